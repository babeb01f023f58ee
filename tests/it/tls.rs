//! `serve` with its own TLS (`http.tls_cert`, `http.tls_key`): https URLs, even in debug mode.

use std::process::Command;

use tokio::net::TcpListener;

use crate::support::{TestDb, TestInstance};

/// A throw-away CA and a `localhost` certificate it signed, made with the openssl CLI.
/// Returns (CA certificate, server certificate, server key) paths.
fn throw_away_ca(dir: &std::path::Path) -> (String, String, String) {
    let path = |name: &str| dir.join(name).display().to_string();
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl");
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=throw-away CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
    (path("ca.pem"), path("cert.pem"), path("key.pem"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_speaks_https_with_the_configured_certificate() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = throw_away_ca(dir.path());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut config = TestInstance::config(&db, port);
    config.http.tls_cert = cert;
    config.http.tls_key = key;
    let instance = TestInstance::start_with(config, listener).await;

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap())
        .build()
        .unwrap();
    let url = format!(
        "https://localhost:{port}/.well-known/webfinger?resource=acct:coop@localhost:{port}"
    );
    let jrd: serde_json::Value = client
        .get(&url)
        .send()
        .await
        .expect("https request")
        .json()
        .await
        .unwrap();
    assert_eq!(
        jrd["links"][0]["href"],
        format!("https://localhost:{port}/actors/coop"),
        "ids are https"
    );

    // Plain http on the TLS port gets no answer.
    let plain = reqwest::get(format!("http://localhost:{port}/healthz")).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    instance.stop().await;
}
