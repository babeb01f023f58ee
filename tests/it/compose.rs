//! docker-compose.yml, checked without a Docker engine: its names must match what the
//! binary reads (config keys, the health route, the database service, volumes).

use serde_norway::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn compose() -> Value {
    let text = std::fs::read_to_string(format!("{ROOT}/docker-compose.yml")).unwrap();
    serde_norway::from_str(&text).expect("docker-compose.yml is YAML")
}

/// Compose's interpolation as it runs with no variables set: `${NAME:-default}` gives the
/// default, `${NAME}` the empty string.
fn interpolate(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed ${") + start;
        let inner = &rest[start + 2..end];
        out.push_str(inner.split_once(":-").map_or("", |(_, default)| default));
        rest = &rest[end + 1..];
    }
    out + rest
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// An environment section as pairs (map or `- KEY=value` list).
fn environment(service: &Value) -> Vec<(String, String)> {
    match &service["environment"] {
        Value::Mapping(map) => map
            .iter()
            .map(|(k, v)| (text(k), interpolate(&text(v))))
            .collect(),
        Value::Sequence(items) => items
            .iter()
            .map(|item| {
                let item = text(item);
                let (k, v) = item.split_once('=').unwrap_or((&item, ""));
                (k.to_owned(), interpolate(v))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Every `COOPERAGE__…` variable config/default.toml documents.
fn documented_variables() -> Vec<String> {
    std::fs::read_to_string(format!("{ROOT}/config/default.toml"))
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# env: "))
        .map(str::to_owned)
        .collect()
}

fn health_command(service: &Value) -> String {
    match &service["healthcheck"]["test"] {
        Value::Sequence(parts) => parts.iter().map(text).collect::<Vec<_>>().join(" "),
        Value::String(s) => s.clone(),
        other => panic!("no health check: {other:?}"),
    }
}

#[test]
fn docker_compose_names_what_the_binary_reads() {
    let compose = compose();
    let services = compose["services"].as_mapping().expect("services");
    let app = &compose["services"]["cooperage"];
    let db = &compose["services"]["db"];
    assert!(
        app.is_mapping() && db.is_mapping(),
        "services: {services:?}"
    );

    // Every variable is a documented config key, and the binary accepts the values.
    let env = environment(app);
    let documented = documented_variables();
    for (var, _) in &env {
        assert!(
            documented.contains(var),
            "docker-compose.yml sets {var}, which config/default.toml does not document"
        );
    }
    let config = cooperage::config::load(None, env.clone())
        .unwrap_or_else(|e| panic!("the binary refuses docker-compose.yml's environment: {e}"));

    // The database URL points at the db service, with its user and database.
    let url = url::Url::parse(config.database.url.as_str()).expect("database URL");
    let db_env: std::collections::HashMap<_, _> = environment(db).into_iter().collect();
    assert_eq!(url.scheme(), "postgres");
    assert_eq!(
        url.host_str(),
        Some("db"),
        "the URL must name the db service"
    );
    assert_eq!(url.username(), db_env["POSTGRES_USER"]);
    assert_eq!(url.password(), Some(db_env["POSTGRES_PASSWORD"].as_str()));
    assert_eq!(url.path().trim_start_matches('/'), db_env["POSTGRES_DB"]);
    assert_eq!(app["depends_on"]["db"]["condition"], "service_healthy");
    assert!(health_command(db).contains("pg_isready"));

    // The app listens where the port mapping and the health check look, and the health check
    // asks /healthz.
    let port = config.http.bind.port();
    let ports: Vec<String> = app["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(text)
        .collect();
    assert!(
        ports.iter().any(|p| p.ends_with(&format!(":{port}"))),
        "no port mapping to {port}: {ports:?}"
    );
    let health = health_command(app);
    assert!(
        health.contains(&format!("127.0.0.1:{port}/healthz")),
        "the health check must ask /healthz on {port}: {health}"
    );
    let dockerfile = std::fs::read_to_string(format!("{ROOT}/Dockerfile")).unwrap();
    assert!(dockerfile.contains(&format!("127.0.0.1:{port}/healthz")));

    // Named volumes used by a service are declared, and PostgreSQL's data is on one.
    let declared = compose["volumes"].as_mapping().cloned().unwrap_or_default();
    for (name, service) in services {
        for volume in service["volumes"].as_sequence().into_iter().flatten() {
            let volume = text(volume);
            let source = volume.split(':').next().unwrap_or_default();
            if !source.starts_with(['.', '/', '~']) {
                assert!(
                    declared.contains_key(source),
                    "service {name:?} uses volume {source}, not declared"
                );
            }
        }
    }
    assert!(
        db["volumes"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|v| text(v).ends_with(":/var/lib/postgresql/data")),
        "PostgreSQL's data must be on a volume"
    );
}

#[test]
fn compose_interpolation_is_read_as_compose_reads_it() {
    assert_eq!(interpolate("a${X:-b}c${Y}d"), "abcd");
    assert_eq!(
        interpolate("postgres://u:${P:-change-me}@db"),
        "postgres://u:change-me@db"
    );
}
