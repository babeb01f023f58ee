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

/// Values that would break the instance later are refused at load (issue 9).
#[test]
fn reserved_handles_port_zero_and_unbounded_hours_are_refused() {
    let refused = |pairs: &[(&str, &str)], key: &str, needle: &str| {
        let error = load(None, env(pairs)).expect_err("must be refused");
        let message = error.to_string();
        assert!(message.contains(&format!("`{key}`")), "{message}");
        assert!(message.contains(needle), "{message} lacks {needle:?}");
        assert!(
            message.contains(pairs[0].0),
            "{message} does not name {}",
            pairs[0].0
        );
    };
    for handle in ["instance.actor", "healthz", "inbox", "api"] {
        refused(
            &[("COOPERAGE__INSTANCE__COOP_HANDLE", handle)],
            "instance.coop_handle",
            "reserved",
        );
    }
    refused(
        &[("COOPERAGE__INSTANCE__DOMAIN", "localhost:0")],
        "instance.domain",
        "port 0",
    );
    for hours in ["0", "87601", "5124095576030432"] {
        refused(
            &[("COOPERAGE__DELIVERY__GIVE_UP_AFTER_HOURS", hours)],
            "delivery.give_up_after_hours",
            "1 to 87600",
        );
        refused(
            &[("COOPERAGE__DELIVERY__UNREACHABLE_AFTER_HOURS", hours)],
            "delivery.unreachable_after_hours",
            "1 to 87600",
        );
    }
    for (key, value) in [
        ("HEADER_TIMEOUT_SECONDS", "0"),
        ("BODY_TIMEOUT_SECONDS", "0"),
        ("MAX_CONNECTIONS", "0"),
    ] {
        refused(
            &[(&format!("COOPERAGE__HTTP__{key}"), value)],
            &format!("http.{}", key.to_lowercase()),
            "expected a number",
        );
    }
    refused(
        &[("COOPERAGE__HTTP__TRUSTED_PROXIES", "[\"localhost\"]")],
        "http.trusted_proxies[0]",
        "CIDR",
    );
    let config = load(
        None,
        env(&[(
            "COOPERAGE__HTTP__TRUSTED_PROXIES",
            "[\"127.0.0.1\", \"10.0.0.0/8\"]",
        )]),
    )
    .expect("proxies");
    assert_eq!(config.http.trusted_proxies.len(), 2);
}

/// A mistake that shows on a key left at its default is named by the variable that caused
/// it, not by "built-in defaults".
#[test]
fn errors_name_the_variable_that_made_a_default_wrong() {
    for (pairs, needle) in [
        (
            vec![("COOPERAGE__FEDERATION__DEBUG", "false")],
            "environment variable COOPERAGE__FEDERATION__DEBUG",
        ),
        (
            vec![("COOPERAGE__HTTP__TLS_CERT", "/etc/cert.pem")],
            "environment variable COOPERAGE__HTTP__TLS_CERT",
        ),
        (
            vec![
                ("COOPERAGE__DELIVERY__RETRY_INITIAL_SECONDS", "86400"),
                ("COOPERAGE__DELIVERY__RETRY_MAX_SECONDS", "60"),
            ],
            "environment variable COOPERAGE__DELIVERY__RETRY_MAX_SECONDS",
        ),
    ] {
        let message = load(None, env(&pairs)).expect_err("refused").to_string();
        assert!(message.starts_with(needle), "{message}");
        assert!(!message.contains("built-in defaults"), "{message}");
    }
    // Only a default wrong because of a file: the file is named.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coop.toml");
    std::fs::write(&path, "[federation]\ndebug = false\n").unwrap();
    let message = load(Some(&path), Vec::new())
        .expect_err("refused")
        .to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
}
