//! `config/default.toml` is the documentation of every key; it must say the truth.

use std::path::Path;

use cooperage::Config;
use cooperage::config::{ConfigError, Origin, load};

fn default_toml() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml")
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every leaf key of a TOML table, as `section.key`.
fn keys(value: &toml::Value, prefix: &str, out: &mut Vec<String>) {
    if let toml::Value::Table(table) = value {
        for (k, v) in table {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if v.is_table() {
                keys(v, &key, out)
            } else {
                out.push(key)
            }
        }
    }
}

#[test]
fn default_toml_holds_exactly_the_built_in_defaults() {
    let from_file = load(Some(&default_toml()), Vec::new()).expect("default.toml loads");
    assert_eq!(from_file, Config::default());
}

#[test]
fn default_toml_documents_every_key_with_its_environment_variable() {
    let text = std::fs::read_to_string(default_toml()).expect("read default.toml");
    let mut all = Vec::new();
    keys(
        &toml::Value::try_from(Config::default()).expect("serialize"),
        "",
        &mut all,
    );
    assert!(all.len() >= 8, "{all:?}");
    for key in all {
        let (section, name) = key.split_once('.').expect("section.key");
        assert!(
            text.contains(&format!("\n{name} = ")),
            "default.toml lacks `{key}`"
        );
        let var = format!(
            "COOPERAGE__{}__{}",
            section.to_uppercase(),
            name.to_uppercase()
        );
        assert!(text.contains(&var), "default.toml does not name {var}");
    }
}

#[test]
fn environment_overrides_the_file() {
    let config = load(
        Some(&default_toml()),
        env(&[
            ("COOPERAGE__HTTP__BIND", "0.0.0.0:9000"),
            ("COOPERAGE__DATABASE__MAX_CONNECTIONS", "3"),
            ("COOPERAGE__INSTANCE__NAME", "Kollektiv Nord"),
            ("COOPERAGE__FEDERATION__DEBUG", "false"),
            ("COOPERAGE__INSTANCE__DOMAIN", "nord.coop.example"),
            ("UNRELATED", "ignored"),
        ]),
    )
    .expect("valid overrides");
    assert_eq!(config.http.bind.to_string(), "0.0.0.0:9000");
    assert_eq!(config.database.max_connections, 3);
    assert_eq!(config.instance.name, "Kollektiv Nord");
    assert!(!config.federation_debug());
}

#[test]
fn federation_debug_defaults_to_on_only_for_localhost() {
    let local = load(None, Vec::new()).expect("defaults");
    assert!(local.federation_debug());
    let public = load(
        None,
        env(&[("COOPERAGE__INSTANCE__DOMAIN", "coop.example")]),
    )
    .unwrap();
    assert!(!public.federation_debug());
}

/// Each bad input names where it came from, the key, and what is expected.
#[test]
fn bad_values_name_their_origin_key_and_expectation() {
    let check = |pairs: &[(&str, &str)], key: &str, needle: &str| {
        let error = load(None, env(pairs)).expect_err("must be refused");
        let ConfigError::Invalid {
            origin,
            key: got,
            reason,
        } = &error
        else {
            panic!("unexpected error {error:?}");
        };
        assert_eq!(got, key, "{error}");
        assert!(
            matches!(origin, Origin::Env(var) if var == pairs[0].0),
            "{error}"
        );
        assert!(reason.contains(needle), "{error} lacks {needle:?}");
        assert!(!error.to_string().contains('\n'));
    };
    check(
        &[("COOPERAGE__HTTP__BIND", "localhost")],
        "http.bind",
        "IP:PORT",
    );
    check(
        &[("COOPERAGE__INSTANCE__DOMAIN", "https://coop.example")],
        "instance.domain",
        "scheme",
    );
    check(
        &[("COOPERAGE__INSTANCE__DOMAIN", "coop.example/x")],
        "instance.domain",
        "without scheme or path",
    );
    check(
        &[("COOPERAGE__INSTANCE__COOP_HANDLE", "Our Coop")],
        "instance.coop_handle",
        "a-z",
    );
    check(
        &[("COOPERAGE__DATABASE__URL", "mysql://db/coop")],
        "database.url",
        "`mysql`",
    );
    check(
        &[("COOPERAGE__DATABASE__MAX_CONNECTIONS", "lots")],
        "database.max_connections",
        "u32",
    );
    check(
        &[("COOPERAGE__DATABASE__MAX_CONNECTIONS", "0")],
        "database.max_connections",
        "1 to 1000",
    );
    check(
        &[("COOPERAGE__FEDERATION__DEBUG", "maybe")],
        "federation.debug",
        "auto",
    );
    check(
        &[("COOPERAGE__LOG__FILTER", "cooperage=loud")],
        "log.filter",
        "tracing filter",
    );
    check(
        &[("COOPERAGE__HTTP__PORT", "80")],
        "http.port",
        "unknown field",
    );
    check(
        &[
            ("COOPERAGE__INSTANCE__DOMAIN", "coop.example:8443"),
            ("COOPERAGE__FEDERATION__DEBUG", "false"),
        ],
        "instance.domain",
        "port",
    );
}

#[test]
fn errors_in_a_file_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coop.toml");
    std::fs::write(&path, "[instance]\nname = \"Nord\"\n[http]\nbind = 8080\n").unwrap();
    let error = load(Some(&path), Vec::new()).expect_err("wrong type");
    let message = error.to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    assert!(message.contains("`http.bind`"), "{message}");

    std::fs::write(&path, "[instance\nname = 1\n").unwrap();
    let message = load(Some(&path), Vec::new())
        .expect_err("syntax")
        .to_string();
    assert!(message.contains("coop.toml: line 1"), "{message}");

    let missing = dir.path().join("missing.toml");
    let message = load(Some(&missing), Vec::new())
        .expect_err("missing")
        .to_string();
    assert!(message.contains("cannot read config file"), "{message}");
}
