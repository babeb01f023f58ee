//! What an outsider can do over HTTP, and what bounds it (issue 9, the HTTP and accounts
//! half): slow and many clients, login floods and guessing, forwarded addresses, leaked
//! secrets after a password change, cross-site writes, a database that stops taking writes.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use cooperage::Config;
use cooperage_domain::member::Role;
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{DEADLINE, TestDb, TestInstance, wait_for};

const PASSWORD: &str = TestInstance::PASSWORD;

/// Starts an instance on `db` with a config the test adjusts.
async fn start(db: &TestDb, adjust: impl FnOnce(&mut Config)) -> TestInstance {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = TestInstance::config(db, listener.local_addr().unwrap().port());
    adjust(&mut config);
    TestInstance::start_with(config, listener).await
}

/// Reads until the server closes the connection; returns what it sent, or `None` if it was
/// still open after `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut received)).await;
    match read {
        Ok(_) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

/// A client whose connections come from `local` (any 127.0.0.0/8 address works on Linux), so
/// one test can play several client addresses.
fn client_from(local: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(local))
        .build()
        .unwrap()
}

/// POSTs a login; returns the status.
async fn login(client: &reqwest::Client, base: &str, login: &str, password: &str) -> u16 {
    login_with(
        client.post(format!("{base}/api/v1/auth/login")),
        login,
        password,
    )
    .await
}

async fn login_with(request: reqwest::RequestBuilder, login: &str, password: &str) -> u16 {
    request
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .expect("login request")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_idle_connections_are_cut_off_while_healthz_answers() {
    let db = TestDb::sqlite();
    let coop = start(&db, |c| c.http.header_timeout_seconds = 1).await;
    // Half a request line, then nothing.
    let mut slow = TcpStream::connect(coop.instance.addr()).await.unwrap();
    slow.write_all(b"GET /healthz HT").await.unwrap();
    let started = Instant::now();
    // Others are served meanwhile.
    let (status, _) = coop.get_json("/healthz").await;
    assert_eq!(status, 200);
    let answer = read_until_closed(&mut slow, Duration::from_secs(10)).await;
    assert!(
        answer.is_some(),
        "a client sending half a request line is never disconnected"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(!answer.unwrap().contains("200 OK"));

    // A keep-alive connection that goes quiet after its request is closed too.
    let mut idle = TcpStream::connect(coop.instance.addr()).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut idle, Duration::from_secs(10)).await;
    let answer = answer.expect("an idle keep-alive connection is never closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    coop.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_capped_and_silent_ones_give_their_place_back() {
    let db = TestDb::sqlite();
    let coop = start(&db, |c| {
        c.http.header_timeout_seconds = 1;
        c.http.max_connections = 4;
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(TcpStream::connect(coop.instance.addr()).await.unwrap());
    }
    // Give the server time to take all four: each holds a slot until its header time is up.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let (status, _) = coop.get_json("/healthz").await;
    assert_eq!(status, 200, "served once a slot is free");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "served at once ({waited:?}): the four silent connections did not fill the cap"
    );
    assert!(waited < Duration::from_secs(8), "{waited:?}");
    coop.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_arrive_in_time_is_refused() {
    let db = TestDb::sqlite();
    let coop = start(&db, |c| c.http.body_timeout_seconds = 1).await;
    let mut slow = TcpStream::connect(coop.instance.addr()).await.unwrap();
    slow.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
          Content-Length: 200\r\nConnection: close\r\n\r\n{\"login\":",
    )
    .await
    .unwrap();
    let answer = read_until_closed(&mut slow, Duration::from_secs(10)).await;
    let answer = answer.expect("a dribbled body holds the connection forever");
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    coop.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_a_dribbling_client() {
    let db = TestDb::sqlite();
    let coop = start(&db, |c| {
        c.http.body_timeout_seconds = 600;
        c.http.shutdown_grace_seconds = 1;
    })
    .await;
    let mut slow = TcpStream::connect(coop.instance.addr()).await.unwrap();
    slow.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
          Content-Length: 200\r\n\r\n{",
    )
    .await
    .unwrap();
    // The request is in flight once the server answers others (it reads in order).
    assert_eq!(coop.get_json("/healthz").await.0, 200);
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), coop.stop())
        .await
        .expect("shutdown waits for a client that never finishes its request");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the grace period was given"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_tls_handshake_is_cut_off() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let coop = start(&db, |c| {
        c.http.header_timeout_seconds = 1;
        c.http.tls_cert = cert;
        c.http.tls_key = key;
    })
    .await;
    let mut stalled = TcpStream::connect(coop.instance.addr()).await.unwrap();
    // The first bytes of a ClientHello record header, then nothing.
    stalled.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
    // Within the header time (1 s), well before the old fixed 10 s handshake limit.
    let closed = read_until_closed(&mut stalled, Duration::from_secs(5)).await;
    assert!(
        closed.is_some(),
        "a stalled TLS handshake holds the connection past the header time"
    );
    coop.stop().await;
}

/// A self-signed `localhost` certificate and its key, made with the openssl CLI.
fn self_signed(dir: &std::path::Path) -> (String, String) {
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success());
    let path = |name: &str| dir.join(name).display().to_string();
    (path("cert.pem"), path("key.pem"))
}

#[test]
fn serve_raises_its_open_file_limit_to_the_hard_limit() {
    let db = TestDb::sqlite();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    // Started with a low soft limit, as many service managers do.
    let mut command = std::process::Command::new("sh");
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("COOPERAGE")) {
        command.env_remove(var);
    }
    command
        .arg("-c")
        .arg(format!(
            "ulimit -S -n 256 && exec {} serve",
            env!("CARGO_BIN_EXE_cooperage")
        ))
        .current_dir(dir.path())
        .env("COOPERAGE__HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("COOPERAGE__INSTANCE__DOMAIN", format!("localhost:{port}"))
        .env("COOPERAGE__DATABASE__URL", db.url())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = command.spawn().expect("spawn serve");
    let limits_of = |pid: u32| -> Option<(String, String)> {
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        Some((fields[3].to_owned(), fields[4].to_owned()))
    };
    let started = Instant::now();
    let pid = child.id();
    let outcome = loop {
        // Serving means the limit was set already (it is raised before the bind).
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break limits_of(pid);
        }
        if started.elapsed() > DEADLINE {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    let (soft, hard) = outcome.expect("serve started");
    assert_eq!(soft, hard, "soft limit {soft}, hard limit {hard}");
}

backend_tests! {
    async fn concurrent_bad_logins_from_one_address_mostly_get_429(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, false).await;
        let url = format!("{}/api/v1/auth/login", coop.base);
        let started = Instant::now();
        // 500 at once on one account, then 500 at once on as many accounts.
        for (round, limit) in [("one account", 5), ("many accounts", 20)] {
            let attempts = (0..500).map(|i| {
                let account = if round == "one account" { "ana".to_owned() } else { format!("user{i}") };
                let request = coop.http.post(&url).json(&json!({ "login": account, "password": "wrong guess" }));
                async move { request.send().await.expect("login request").status().as_u16() }
            });
            let statuses = join_all(attempts).await;
            let evaluated = statuses.iter().filter(|s| **s == 401).count();
            let refused = statuses.iter().filter(|s| **s == 429).count();
            assert_eq!(evaluated + refused, 500, "{round}: {statuses:?}");
            assert!(evaluated <= limit, "{round}: {evaluated} passwords checked, limit {limit}");
            if round == "one account" {
                // The address is now at 5 of its 20.
                assert_eq!(evaluated, 5, "{round}");
            } else {
                assert_eq!(evaluated, 15, "{round}");
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60));
        coop.stop().await;
    }

    async fn strangers_cannot_lock_a_member_out(db) {
        let coop = TestInstance::start(&db).await;
        cooperage_app::accounts::create_member(coop.app(), cooperage_app::accounts::NewAccount {
            username: "ana".into(), password: PASSWORD.into(), email: Some("ana@coop.example".into()),
            display_name: None, role: Role::Member, is_admin: false,
        }).await.unwrap();
        let attacker = client_from([127, 0, 0, 2]);
        for _ in 0..5 {
            assert_eq!(login(&attacker, &coop.base, "ana", "a wrong guess").await, 401);
        }
        assert_eq!(login(&attacker, &coop.base, "ana", "another guess").await, 429);
        // The e-mail address is the same account.
        assert_eq!(login(&attacker, &coop.base, "ANA@coop.example", "a guess").await, 429);
        // Even the right password is refused from the guessing address...
        assert_eq!(login(&attacker, &coop.base, "ana", PASSWORD).await, 429);
        // ...but not from Ana's own.
        let ana = client_from([127, 0, 0, 3]);
        assert_eq!(login(&ana, &coop.base, "ana", PASSWORD).await, 200);
        assert_eq!(login(&ana, &coop.base, "ana@coop.example", PASSWORD).await, 200);
        coop.stop().await;
    }

    async fn logins_through_a_trusted_proxy_are_keyed_on_the_forwarded_address(db) {
        let proxied = start(&db, |c| {
            c.http.trusted_proxies = vec![cooperage::config::ProxyRange::parse("127.0.0.1").unwrap()];
        }).await;
        proxied.create_account("ana", Role::Member, false).await;
        let url = format!("{}/api/v1/auth/login", proxied.base);
        let via = |chain: &str| proxied.http.post(&url).header("x-forwarded-for", chain);
        for _ in 0..5 {
            assert_eq!(login_with(via("203.0.113.7"), "ana", "a guess").await, 401);
        }
        assert_eq!(login_with(via("203.0.113.7"), "ana", "a guess").await, 429);
        // A client cannot escape by prepending an address of its choice: our proxy appends.
        assert_eq!(login_with(via("198.51.100.99, 203.0.113.7"), "ana", PASSWORD).await, 429);
        // Another client behind the same proxy is not affected.
        assert_eq!(login_with(via("198.51.100.2"), "ana", PASSWORD).await, 200);
        let forwarded = proxied.http.post(&url).header("forwarded", "for=\"[2001:db8::5]:4711\"");
        assert_eq!(login_with(forwarded, "ana", PASSWORD).await, 200);
        proxied.stop().await;

        // Without trusted proxies the headers are ignored: the connection's address counts.
        let other = db.sibling();
        let direct = start(&other, |_| {}).await;
        direct.create_account("ana", Role::Member, false).await;
        let url = format!("{}/api/v1/auth/login", direct.base);
        for i in 0..5 {
            let spoofed = direct.http.post(&url).header("x-forwarded-for", format!("203.0.113.{i}"));
            assert_eq!(login_with(spoofed, "ana", "a guess").await, 401);
        }
        let spoofed = direct.http.post(&url).header("x-forwarded-for", "198.51.100.2");
        assert_eq!(login_with(spoofed, "ana", PASSWORD).await, 429);
        direct.stop().await;
    }

    async fn tokens_and_sessions_do_not_survive_a_password_reset_or_change(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, true).await;
        coop.create_account("ben", Role::Member, false).await;
        let admin = coop.login_cookie("ana").await;
        let call = |method: Method, path: &str, auth: Auth, body: Option<Value>| {
            let mut request = coop.http.request(method, format!("{}{path}", coop.base));
            request = match auth {
                Auth::Cookie(c) => request.header("cookie", c),
                Auth::Bearer(t) => request.bearer_auth(t),
                Auth::None => request,
            };
            if let Some(body) = body {
                request = request.json(&body);
            }
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let call_ref = &call;
        let token_of = move |cookie: String| {
            let call = call_ref;
            async move {
                let (status, token) = call(Method::POST, "/api/v1/me/tokens", Auth::Cookie(cookie), Some(json!({ "name": "script", "scope": "write" }))).await;
                assert_eq!(status, 201, "{token}");
                token["token"].as_str().unwrap().to_owned()
            }
        };

        // A reset by an admin: every token and session of ben ends.
        let session = coop.login_cookie("ben").await;
        let token = token_of(session.clone()).await;
        assert_eq!(call(Method::GET, "/api/v1/me", Auth::Bearer(token.clone()), None).await.0, 200);
        let (status, reset) = call(Method::POST, "/api/v1/members/ben/password-reset", Auth::Cookie(admin.clone()), None).await;
        assert_eq!(status, 200, "{reset}");
        let (status, body) = call(Method::POST, "/api/v1/auth/signup", Auth::None, Some(json!({ "invitation": reset["invitation"], "password": "a brand new passphrase" }))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(call(Method::GET, "/api/v1/me", Auth::Bearer(token), None).await.0, 401, "token after reset");
        assert_eq!(call(Method::GET, "/api/v1/me", Auth::Cookie(session), None).await.0, 401, "session after reset");

        // A change: tokens and other sessions end, the session making it stays.
        let coop_ref = &coop;
        let login_ben = move |password: &'static str| {
            let coop = coop_ref;
            async move {
                let response = coop.http.post(format!("{}/api/v1/auth/login", coop.base))
                    .json(&json!({ "login": "ben", "password": password })).send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
            }
        };
        let here = login_ben("a brand new passphrase").await;
        let elsewhere = login_ben("a brand new passphrase").await;
        let token = token_of(here.clone()).await;
        let (status, body) = call(Method::POST, "/api/v1/me/password", Auth::Cookie(here.clone()), Some(json!({ "current_password": "a brand new passphrase", "new_password": "yet another passphrase" }))).await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(call(Method::GET, "/api/v1/me", Auth::Bearer(token), None).await.0, 401, "token after change");
        assert_eq!(call(Method::GET, "/api/v1/me", Auth::Cookie(elsewhere), None).await.0, 401, "other session after change");
        assert_eq!(call(Method::GET, "/api/v1/me", Auth::Cookie(here.clone()), None).await.0, 200, "the changing session stays");

        // Revoke all: every token and session, this one included.
        let token = token_of(here.clone()).await;
        let other = login_ben("yet another passphrase").await;
        let (status, body) = call(Method::POST, "/api/v1/me/revoke-all", Auth::Cookie(here.clone()), None).await;
        assert_eq!(status, 204, "{body}");
        for (what, auth) in [("token", Auth::Bearer(token)), ("other session", Auth::Cookie(other)), ("this session", Auth::Cookie(here))] {
            assert_eq!(call(Method::GET, "/api/v1/me", auth, None).await.0, 401, "{what} after revoke-all");
        }
        coop.stop().await;
    }

    async fn cookie_writes_from_other_sites_are_refused(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, false).await;
        let cookie = coop.login_cookie("ana").await;
        let own = format!("http://{}", coop.domain);
        let patch = |headers: &[(&str, &str)], auth: Option<&str>| {
            let mut request = coop.http.patch(format!("{}/api/v1/me", coop.base)).json(&json!({ "city": "Kassel" }));
            request = match auth {
                Some(token) => request.bearer_auth(token),
                None => request.header("cookie", cookie.as_str()),
            };
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            async move {
                let response = request.send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, body) = patch(&[("origin", "https://evil.example")], None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body["message"].as_str().unwrap().contains("cross-site"), "{body}");
        assert_eq!(patch(&[("sec-fetch-site", "cross-site"), ("origin", own.as_str())], None).await.0, 403);
        assert_eq!(patch(&[("sec-fetch-site", "same-site")], None).await.0, 403);
        assert_eq!(patch(&[("origin", own.as_str())], None).await.0, 200);
        assert_eq!(patch(&[("sec-fetch-site", "same-origin")], None).await.0, 200);
        // Reading is not refused, and a token is no ambient credential.
        let read = coop.http.get(format!("{}/api/v1/me", coop.base)).header("cookie", cookie.as_str())
            .header("sec-fetch-site", "cross-site").send().await.unwrap();
        assert_eq!(read.status(), 200);
        let (_, token) = {
            let response = coop.http.post(format!("{}/api/v1/me/tokens", coop.base)).header("cookie", cookie.as_str())
                .json(&json!({ "name": "t", "scope": "write" })).send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        };
        let token = token["token"].as_str().unwrap().to_owned();
        assert_eq!(patch(&[("origin", "https://evil.example")], Some(&token)).await.0, 200);
        coop.stop().await;
    }

    async fn healthz_is_503_when_writes_fail(db) {
        let coop = TestInstance::start(&db).await;
        assert_eq!(coop.get_json("/healthz").await.0, 200);
        // What a full disk looks like to the database: reads work, every write fails.
        let mut conn = db.raw_connection();
        let statements: &[&str] = if db.url().starts_with("sqlite") {
            &["CREATE TRIGGER disk_full BEFORE UPDATE ON instance \
               BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"]
        } else {
            &[
                "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$",
                "CREATE TRIGGER disk_full BEFORE UPDATE ON instance \
                 FOR EACH ROW EXECUTE FUNCTION disk_full()",
            ]
        };
        for statement in statements {
            diesel::RunQueryDsl::execute(diesel::sql_query(*statement), &mut conn).unwrap();
        }
        let instance = &coop;
        let body = wait_for("/healthz to report failing writes", DEADLINE, || async move {
            let (status, body) = instance.get_json("/healthz").await;
            (status == 503).then_some(body)
        })
        .await;
        assert_eq!(body["database"]["status"], "error");
        assert!(!body["database"]["error"].as_str().unwrap_or_default().is_empty(), "{body}");
        coop.stop().await;
    }
}

/// How a test request authenticates.
enum Auth {
    Cookie(String),
    Bearer(String),
    None,
}
