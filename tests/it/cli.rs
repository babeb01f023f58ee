//! The `cooperage` binary as an operator meets it: exit codes and one-line errors.

use std::net::TcpListener;
use std::process::{Command, Output, Stdio};

use crate::support::{DEADLINE, wait_for};

fn cooperage() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cooperage"));
    // A test's environment must not leak into the child's configuration.
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("COOPERAGE")) {
        command.env_remove(var);
    }
    command.env("RUST_LOG", "warn");
    command
}

/// Runs to completion; returns exit code and the last non-empty stderr line.
fn run(command: &mut Command) -> (i32, String, Output) {
    let output = command.output().expect("run cooperage");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_owned();
    (output.status.code().unwrap_or(-1), last, output)
}

fn sqlite_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn help_explains_each_command() {
    let (code, _, output) = run(cooperage().arg("--help"));
    assert_eq!(code, 0);
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "serve",
        "migrate",
        "check-config",
        "--config",
        "COOPERAGE__",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[test]
fn a_bad_config_file_exits_2_naming_file_and_key() {
    let dir = sqlite_dir();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[http]\nbind = \"everywhere\"\n").unwrap();
    let (code, line, _) = run(cooperage().arg("--config").arg(&path).arg("serve"));
    assert_eq!(code, 2, "{line}");
    assert!(
        line.contains(&path.display().to_string()) && line.contains("`http.bind`"),
        "{line}"
    );
}

#[test]
fn an_unknown_database_scheme_exits_2() {
    let (code, line, _) = run(cooperage()
        .arg("serve")
        .env("COOPERAGE__DATABASE__URL", "mysql://root@localhost/coop"));
    assert_eq!(code, 2, "{line}");
    assert!(
        line.contains("COOPERAGE__DATABASE__URL") && line.contains("`mysql`"),
        "{line}"
    );
}

#[test]
fn an_unreachable_postgres_shows_the_real_cause() {
    // Port 1 on loopback: nothing listens there.
    for command in ["serve", "migrate"] {
        let (code, line, _) = run(cooperage().arg(command).env(
            "COOPERAGE__DATABASE__URL",
            "postgres://postgres:secret@127.0.0.1:1/coop",
        ));
        assert_eq!(code, 1, "{line}");
        assert!(line.contains("Connection refused"), "{line}");
        assert!(!line.contains("secret"), "password leaked: {line}");
    }
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().unwrap();
    let dir = sqlite_dir();
    let (code, line, _) = run(cooperage()
        .arg("serve")
        .current_dir(dir.path())
        .env("COOPERAGE__HTTP__BIND", addr.to_string()));
    assert_eq!(code, 1, "{line}");
    assert!(line.contains(&format!("cannot listen on {addr}")), "{line}");
    assert!(
        line.to_lowercase().contains("address already in use"),
        "{line}"
    );
}

#[test]
fn a_database_of_another_domain_is_refused() {
    let dir = sqlite_dir();
    let migrate = |domain: &str| {
        run(cooperage()
            .arg("migrate")
            .current_dir(dir.path())
            .env("COOPERAGE__INSTANCE__DOMAIN", domain))
    };
    let (code, line, _) = migrate("localhost:8080");
    assert_eq!(code, 0, "{line}");
    let (code, line, _) = migrate("localhost:9090");
    assert_eq!(code, 1, "{line}");
    assert!(
        line.contains("belongs to the instance `localhost:8080`"),
        "{line}"
    );
}

#[test]
fn migrate_reports_the_version_on_a_fresh_sqlite_under_data() {
    let dir = sqlite_dir();
    let (code, line, output) = run(cooperage().arg("migrate").current_dir(dir.path()));
    assert_eq!(code, 0, "{line}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("SQLite database is at version"));
    assert!(
        dir.path().join("data/cooperage.sqlite").exists(),
        "default database under data/"
    );
}

backend_tests! {
    async fn serve_answers_healthz_and_stops_cleanly_on_sigterm(db) {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = sqlite_dir();
        let mut child = tokio::process::Command::from({
            let mut command = cooperage();
            command
                .arg("serve")
                .current_dir(dir.path())
                .env("COOPERAGE__HTTP__BIND", format!("127.0.0.1:{port}"))
                .env("COOPERAGE__INSTANCE__DOMAIN", format!("localhost:{port}"))
                .env("COOPERAGE__DATABASE__URL", db.url())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            command
        })
        .kill_on_drop(true)
        .spawn()
        .expect("spawn serve");

        let url = format!("http://127.0.0.1:{port}/healthz");
        let client = reqwest::Client::new();
        let status = wait_for("serve to answer /healthz", DEADLINE, || {
            let request = client.get(&url).send();
            async move { request.await.ok().map(|r| r.status()) }
        })
        .await;
        assert_eq!(status, 200);

        let pid = child.id().expect("pid").to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(killed.success());
        let status = tokio::time::timeout(DEADLINE, child.wait()).await.expect("exits").unwrap();
        assert!(status.success(), "exit status {status:?}");
    }
}
