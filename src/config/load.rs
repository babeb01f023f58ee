//! Reading the configuration: built-in defaults, then a TOML file, then the environment.
//! Every error names where the bad value came from, the key, and what is expected.

use std::fmt;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::Config;

/// Prefix of environment overrides: `COOPERAGE__HTTP__BIND=0.0.0.0:8080` sets `http.bind`.
pub const ENV_PREFIX: &str = "COOPERAGE__";

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Env(String),
    Defaults,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Env(var) => write!(f, "environment variable {var}"),
            Origin::Defaults => f.write_str("built-in defaults"),
        }
    }
}

/// A configuration that cannot be used. Its message is one line for a human.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{origin}: {reason}")]
    Syntax { origin: Origin, reason: String },
    #[error("{origin}: key `{key}`: {reason}")]
    Invalid {
        origin: Origin,
        key: String,
        reason: String,
    },
}

/// Loads the configuration from an optional file and the given environment variables.
///
/// The environment is passed in (not read here) so tests can load configs side by side.
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut table = match file {
        Some(path) => read_file(path)?,
        None => Table::new(),
    };
    let from_file = table.clone();
    let mut from_env = Vec::new();
    for (var, raw) in env {
        let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        if path.iter().any(String::is_empty) {
            return Err(ConfigError::Invalid {
                origin: Origin::Env(var.clone()),
                key: path.join("."),
                reason: "expected COOPERAGE__SECTION__KEY".into(),
            });
        }
        set_path(&mut table, &path, env_value(&raw)).map_err(|reason| ConfigError::Invalid {
            origin: Origin::Env(var.clone()),
            key: path.join("."),
            reason,
        })?;
        from_env.push((path.join("."), var));
    }

    // Where `key` was set: the variable, else the file if it has the key. Unset (a default):
    // the key or section set closest to it, since that is what made the value wrong.
    let set_at = |key: &str| {
        let env = from_env.iter().find(|(k, _)| {
            k == key || key.starts_with(&format!("{k}.")) || k.starts_with(&format!("{key}."))
        });
        if let Some((_, var)) = env {
            return Some(Origin::Env(var.clone()));
        }
        let in_file = key
            .split('.')
            .try_fold(&from_file, |table, part| match table.get(part) {
                Some(Value::Table(inner)) => Some(inner),
                Some(_) => Some(table),
                None => None,
            })
            .is_some();
        file.filter(|_| in_file)
            .map(|path| Origin::File(path.to_owned()))
    };
    let origin_of = |key: &str| {
        set_at(key)
            .or_else(|| {
                Config::related_keys(key)
                    .iter()
                    .find_map(|related| set_at(related))
            })
            .or_else(|| {
                // Nothing set explains it: name every variable given, else the file.
                file.map(|p| Origin::File(p.to_owned())).or_else(|| {
                    (!from_env.is_empty()).then(|| {
                        Origin::Env(
                            from_env
                                .iter()
                                .map(|(_, var)| var.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        )
                    })
                })
            })
            .unwrap_or(Origin::Defaults)
    };

    let config: Config = serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| {
        // The path includes an unknown field's own name: `http.bindd`.
        let key = e.path().to_string();
        let reason = e.inner().message().to_owned();
        ConfigError::Invalid {
            origin: origin_of(&key),
            key,
            reason,
        }
    })?;
    config
        .validate()
        .map_err(|(key, reason)| ConfigError::Invalid {
            origin: origin_of(&key),
            key,
            reason,
        })?;
    Ok(config)
}

fn read_file(path: &Path) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    text.parse::<Table>().map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start].lines().count().max(1));
        ConfigError::Syntax {
            origin: Origin::File(path.to_owned()),
            reason: match line {
                Some(line) => format!("line {line}: {}", e.message()),
                None => e.message().to_owned(),
            },
        }
    })
}

/// An environment value is read as a TOML value when it is one (`true`, `10`, `"text"`),
/// otherwise as a plain string (`localhost:8080`).
fn env_value(raw: &str) -> Value {
    let trimmed = raw.trim();
    format!("v = {trimmed}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !matches!(v, Value::Table(_) | Value::Datetime(_)))
        .unwrap_or_else(|| Value::String(raw.to_owned()))
}

fn set_path(table: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty key")?;
    let mut current = table;
    for part in parents {
        let entry = current
            .entry(part.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        current = match entry {
            Value::Table(t) => t,
            _ => return Err(format!("`{part}` is a value, not a section")),
        };
    }
    current.insert(last.clone(), value);
    Ok(())
}
