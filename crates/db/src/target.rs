//! Which database a URL names, decided by its scheme.

use std::fmt;
use std::path::PathBuf;

/// The two supported backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// `sqlite://relative/path.sqlite` or `sqlite:///absolute/path.sqlite`.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, handed to libpq as is.
    Postgres(String),
}

/// Why a database URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("unsupported database URL scheme `{0}`")]
    UnknownScheme(String),
    #[error("not a database URL (no scheme)")]
    NoScheme,
    #[error("sqlite:// URL has no file path")]
    EmptyPath,
}

impl DatabaseTarget {
    /// Parses a database URL; the scheme picks the backend.
    pub fn parse(url: &str) -> Result<Self, TargetError> {
        let (scheme, rest) = url.split_once(':').ok_or(TargetError::NoScheme)?;
        match scheme {
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                if path.is_empty() {
                    return Err(TargetError::EmptyPath);
                }
                Ok(Self::Sqlite(PathBuf::from(path)))
            }
            "postgres" | "postgresql" => Ok(Self::Postgres(url.to_owned())),
            "" => Err(TargetError::NoScheme),
            other => Err(TargetError::UnknownScheme(other.to_owned())),
        }
    }

    /// The backend this target runs on.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL with any password replaced, safe for logs and error messages.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => match url::Url::parse(url) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    let _ = parsed.set_password(Some("***"));
                    parsed.to_string()
                }
                _ => url.clone(),
            },
        }
    }
}

impl fmt::Display for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

// Debug must not leak a password either.
impl fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseTarget({})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_the_backend() {
        assert_eq!(
            DatabaseTarget::parse("sqlite://data/cooperage.sqlite"),
            Ok(DatabaseTarget::Sqlite("data/cooperage.sqlite".into()))
        );
        assert_eq!(
            DatabaseTarget::parse("sqlite:///var/lib/c.sqlite"),
            Ok(DatabaseTarget::Sqlite("/var/lib/c.sqlite".into()))
        );
        assert_eq!(
            DatabaseTarget::parse("postgresql://u@h/db").map(|t| t.backend()),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            DatabaseTarget::parse("mysql://x"),
            Err(TargetError::UnknownScheme("mysql".into()))
        );
        assert_eq!(
            DatabaseTarget::parse("data.sqlite"),
            Err(TargetError::NoScheme)
        );
        assert_eq!(
            DatabaseTarget::parse("sqlite://"),
            Err(TargetError::EmptyPath)
        );
    }

    #[test]
    fn passwords_are_redacted() {
        let target = DatabaseTarget::parse("postgres://coop:s3cret@db:5432/coop").unwrap();
        assert!(!format!("{target} {target:?}").contains("s3cret"));
    }
}
