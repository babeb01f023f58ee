//! A Mastodon-shaped peer: its own RSA keys (the `rsa` crate, not our aws-lc-rs code), a
//! Person actor served as Mastodon serves it, draft-cavage signatures exactly as Mastodon
//! signs them (MASTODON.md §3.1), and an inbox that verifies and records what it receives.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::sha2::{Digest, Sha256};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// One POST the peer received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub path: String,
    pub body: Value,
    /// Whether its HTTP signature verified against the sender's published key.
    pub signature_verified: bool,
    pub signature_error: Option<String>,
}

struct PeerState {
    base: String,
    /// What the inbox answers (202 normally; tests set failures).
    inbox_status: std::sync::atomic::AtomicU16,
    /// Whether the actor advertises a shared inbox (Mastodon does; GoToSocial does not).
    shared_inbox: bool,
    username: String,
    public_pem: String,
    received: Mutex<Vec<Delivery>>,
    http: reqwest::Client,
    /// Signed GETs of the actor: (keyId, verification result).
    signed_fetches: Mutex<Vec<(String, Result<(), String>)>>,
    /// Further documents served by path (other actors, objects fetched by URL).
    documents: Mutex<std::collections::HashMap<String, Value>>,
    /// Every GET of the actor, signed or not.
    actor_gets: std::sync::atomic::AtomicUsize,
}

/// A running Mastodon-shaped peer.
pub struct MastodonPeer {
    state: Arc<PeerState>,
    key: Arc<RsaPrivateKey>,
    stop: CancellationToken,
    pub port: u16,
}

impl MastodonPeer {
    /// Starts the peer on a free port (or on `port`, to come back after a stop).
    pub async fn start(port: Option<u16>) -> Self {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("rsa key");
        Self::start_with_key(port, Arc::new(key), Vec::new(), true).await
    }

    /// A peer whose actor has no shared inbox: everything goes to its personal inbox.
    pub async fn start_without_shared_inbox() -> Self {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("rsa key");
        Self::start_with_key(None, Arc::new(key), Vec::new(), false).await
    }

    /// Makes the inbox answer `status` from now on (it still records what arrives).
    pub fn set_inbox_status(&self, status: u16) {
        self.state
            .inbox_status
            .store(status, std::sync::atomic::Ordering::SeqCst);
    }

    async fn start_with_key(
        port: Option<u16>,
        key: Arc<RsaPrivateKey>,
        received: Vec<Delivery>,
        shared_inbox: bool,
    ) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))
            .await
            .expect("bind peer");
        let port = listener.local_addr().unwrap().port();
        let public_pem = RsaPublicKey::from(&*key)
            .to_public_key_pem(LineEnding::LF)
            .expect("pem");
        let state = Arc::new(PeerState {
            base: format!("http://localhost:{port}"),
            inbox_status: std::sync::atomic::AtomicU16::new(202),
            shared_inbox,
            username: "alice".into(),
            public_pem,
            received: Mutex::new(received),
            http: reqwest::Client::new(),
            signed_fetches: Mutex::new(Vec::new()),
            documents: Mutex::new(std::collections::HashMap::new()),
            actor_gets: std::sync::atomic::AtomicUsize::new(0),
        });
        let app = axum::Router::new()
            .route("/users/alice", get(actor))
            .route("/users/alice/inbox", post(inbox))
            .route("/inbox", post(inbox))
            .fallback(document)
            .with_state(state.clone());
        let stop = CancellationToken::new();
        let token = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(token.cancelled_owned())
                .await
                .ok();
        });
        Self {
            state,
            key,
            stop,
            port,
        }
    }

    /// Stops serving (connections are refused), keeping what was received.
    pub async fn stop(self) -> (u16, Arc<RsaPrivateKey>, Vec<Delivery>) {
        self.stop.cancel();
        let received = self.received();
        // Give the listener a moment to close; the port is then free for `restart`.
        tokio::task::yield_now().await;
        (self.port, self.key, received)
    }

    /// Comes back on the same port with the same key and records.
    pub async fn restart(port: u16, key: Arc<RsaPrivateKey>, received: Vec<Delivery>) -> Self {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(probe) => {
                    drop(probe);
                    return Self::start_with_key(Some(port), key, received, true).await;
                }
                Err(_) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await
                }
                Err(e) => panic!("cannot rebind peer port {port}: {e}"),
            }
        }
    }

    /// The peer's actor id.
    pub fn actor_id(&self) -> String {
        format!("{}/users/{}", self.state.base, self.state.username)
    }

    /// The peer's origin, `http://localhost:port`.
    pub fn base(&self) -> String {
        self.state.base.clone()
    }

    /// Serves `document` at the path of its URL `id` (on this peer).
    pub fn serve(&self, id: &str, document: Value) {
        let path = reqwest::Url::parse(id).expect("URL").path().to_owned();
        self.state.documents.lock().unwrap().insert(path, document);
    }

    /// Serves another actor of this peer (same key pair, key id `<id>#main-key`).
    pub fn serve_actor(&self, id: &str, kind: &str, name: &str) {
        let document = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": kind,
            "preferredUsername": name,
            "name": name,
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "followers": format!("{id}/followers"),
            "endpoints": { "sharedInbox": format!("{}/inbox", self.state.base) },
            "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": self.state.public_pem },
        });
        self.serve(id, document);
    }

    /// POSTs `activity` signed as `actor` (one of [`Self::serve_actor`]'s).
    pub async fn post_as(&self, actor: &str, inbox: &str, activity: &Value) -> (u16, String) {
        let body = serde_json::to_vec(activity).unwrap();
        let url = reqwest::Url::parse(inbox).expect("inbox URL");
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap()),
            None => url.host_str().unwrap().to_owned(),
        };
        let request = self.signed_post_as(inbox, &host, &format!("{actor}#main-key"), body, None);
        send(&self.state.http, request).await
    }

    /// The handle, `alice@localhost:port`.
    pub fn domain(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Delivery> {
        self.state.received.lock().unwrap().clone()
    }

    /// Signed GETs of the actor so far: (keyId, verification result).
    pub fn signed_fetches(&self) -> Vec<(String, Result<(), String>)> {
        self.state.signed_fetches.lock().unwrap().clone()
    }

    /// How many times the actor document was fetched.
    pub fn actor_gets(&self) -> usize {
        self.state
            .actor_gets
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The peer's public key, PEM.
    pub fn public_pem(&self) -> String {
        self.state.public_pem.clone()
    }

    /// Received activities of one type.
    pub fn received_of_type(&self, kind: &str) -> Vec<Delivery> {
        self.received()
            .into_iter()
            .filter(|d| d.body["type"] == kind)
            .collect()
    }

    /// A new activity id on the peer's host, shaped like Mastodon's (`https://host/<uuid>`).
    pub fn new_id(&self) -> String {
        format!("{}/{}", self.state.base, uuid::Uuid::new_v4())
    }

    /// POSTs `activity` to `inbox`, signed as Mastodon signs; returns status and body.
    pub async fn post(&self, inbox: &str, activity: &Value) -> (u16, String) {
        let body = serde_json::to_vec(activity).unwrap();
        let request = self.signed_post(inbox, body, None);
        send(&self.state.http, request).await
    }

    /// Builds a signed POST; `date` overrides the Date header (for stale-date tests).
    pub fn signed_post(&self, inbox: &str, body: Vec<u8>, date: Option<String>) -> SignedPost {
        let url = reqwest::Url::parse(inbox).expect("inbox URL");
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap()),
            None => url.host_str().unwrap().to_owned(),
        };
        let key_id = format!("{}#main-key", self.actor_id());
        self.signed_post_as(inbox, &host, &key_id, body, date)
    }

    /// Builds a POST to `inbox` signed with this peer's key for `host` under `key_id`, as a
    /// server at another address (or an impostor) would.
    pub fn signed_post_as(
        &self,
        inbox: &str,
        host: &str,
        key_id: &str,
        body: Vec<u8>,
        date: Option<String>,
    ) -> SignedPost {
        let url = reqwest::Url::parse(inbox).expect("inbox URL");
        let date = date.unwrap_or_else(|| httpdate::fmt_http_date(std::time::SystemTime::now()));
        let digest = format!("SHA-256={}", STANDARD.encode(Sha256::digest(&body)));
        let content_type = "application/activity+json";
        let target = match url.query() {
            Some(q) => format!("post {}?{q}", url.path()),
            None => format!("post {}", url.path()),
        };
        // Mastodon's order: the request's headers, then (request-target) (MASTODON.md §3.1).
        let signing_string = format!(
            "host: {host}\ndate: {date}\ncontent-type: {content_type}\ndigest: {digest}\n(request-target): {target}"
        );
        let signer = SigningKey::<Sha256>::new((*self.key).clone());
        let signature = STANDARD.encode(signer.sign(signing_string.as_bytes()).to_bytes());
        let header = format!(
            "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"host date content-type digest (request-target)\",signature=\"{signature}\""
        );
        SignedPost {
            url: inbox.to_owned(),
            headers: vec![
                ("host".into(), host.to_owned()),
                ("date".into(), date),
                ("content-type".into(), content_type.into()),
                ("digest".into(), digest),
                ("signature".into(), header),
            ],
            body,
        }
    }
}

impl MastodonPeer {
    /// Builds a POST signed with RFC 9421 HTTP Message Signatures, as Mastodon 4.7 and Fedify
    /// send them: `@method @target-uri content-digest`, `Content-Digest: sha-256=:…:`.
    pub fn rfc9421_post(&self, inbox: &str, body: Vec<u8>) -> SignedPost {
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let content_digest = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(&body)));
        let params = format!(
            "(\"@method\" \"@target-uri\" \"content-digest\");created={created};keyid=\"{}#main-key\";alg=\"rsa-v1_5-sha256\"",
            self.actor_id()
        );
        let base = format!(
            "\"@method\": POST\n\"@target-uri\": {inbox}\n\"content-digest\": {content_digest}\n\"@signature-params\": {params}"
        );
        let signer = SigningKey::<Sha256>::new((*self.key).clone());
        let signature = STANDARD.encode(signer.sign(base.as_bytes()).to_bytes());
        SignedPost {
            url: inbox.to_owned(),
            headers: vec![
                ("content-type".into(), "application/activity+json".into()),
                ("content-digest".into(), content_digest),
                ("signature-input".into(), format!("sig1={params}")),
                ("signature".into(), format!("sig1=:{signature}:")),
            ],
            body,
        }
    }
}

/// A signed request, whose parts a test may still tamper with.
pub struct SignedPost {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl SignedPost {
    /// Replaces one header's value.
    pub fn set_header(&mut self, name: &str, value: String) {
        for (n, v) in &mut self.headers {
            if n == name {
                *v = value.clone();
            }
        }
    }
}

/// Sends a prepared request.
pub async fn send(http: &reqwest::Client, request: SignedPost) -> (u16, String) {
    let mut builder = http.post(&request.url);
    for (name, value) in &request.headers {
        if name != "host" {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    let response = builder
        .body(request.body)
        .send()
        .await
        .expect("POST to inbox");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn actor(State(state): State<Arc<PeerState>>, headers: HeaderMap) -> Response {
    state
        .actor_gets
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    // Record how we were fetched: Mastodon in authorized-fetch mode (and GoToSocial always)
    // would refuse an unsigned GET.
    if let Some(signature) = headers.get("signature").and_then(|v| v.to_str().ok()) {
        let key_id = signature
            .split(',')
            .find_map(|p| {
                p.trim()
                    .strip_prefix("keyId=")
                    .map(|v| v.trim_matches('"').to_owned())
            })
            .unwrap_or_default();
        let verdict = verify(&state, "get", "/users/alice", &headers, b"").await;
        state.signed_fetches.lock().unwrap().push((key_id, verdict));
    }
    let id = format!("{}/users/{}", state.base, state.username);
    let mut body = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": state.username,
        "name": "Alice (Mastodon)",
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "endpoints": { "sharedInbox": format!("{}/inbox", state.base) },
        "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": state.public_pem },
    });
    if !state.shared_inbox {
        body.as_object_mut().unwrap().remove("endpoints");
    }
    (
        [("content-type", "application/activity+json; charset=utf-8")],
        Json(body),
    )
        .into_response()
}

/// Any other GET: a document a test asked the peer to serve, else 404.
async fn document(State(state): State<Arc<PeerState>>, OriginalUri(uri): OriginalUri) -> Response {
    match state.documents.lock().unwrap().get(uri.path()) {
        Some(document) => (
            [("content-type", "application/activity+json; charset=utf-8")],
            Json(document.clone()),
        )
            .into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

async fn inbox(
    State(state): State<Arc<PeerState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let verdict = verify(&state, "post", uri.path(), &headers, &body).await;
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state.received.lock().unwrap().push(Delivery {
        path: uri.path().to_owned(),
        body: parsed,
        signature_verified: verdict.is_ok(),
        signature_error: verdict.err(),
    });
    let status =
        StatusCode::from_u16(state.inbox_status.load(std::sync::atomic::Ordering::SeqCst)).unwrap();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        return (status, [("retry-after", "1")], "busy").into_response();
    }
    (status, "").into_response()
}

/// Verifies a draft-cavage signature the way Mastodon does: Digest, then the signature over the
/// listed headers with the key fetched from the keyId's actor document.
async fn verify(
    state: &PeerState,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if method == "post" {
        let digest = header("digest").ok_or("no Digest")?;
        let expected = format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)));
        if !digest
            .split(',')
            .any(|d| d.trim().eq_ignore_ascii_case(&expected) || d.trim() == expected)
        {
            return Err(format!("digest mismatch: {digest}"));
        }
    }
    let signature = header("signature").ok_or("no Signature")?;
    let param = |name: &str| {
        signature.split(',').find_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            (k == name).then(|| v.trim_matches('"').to_owned())
        })
    };
    let key_id = param("keyId").ok_or("no keyId")?;
    let covered = param("headers").unwrap_or_else(|| "date".into());
    let signature = STANDARD
        .decode(param("signature").ok_or("no signature")?)
        .map_err(|e| e.to_string())?;
    let mut lines = Vec::new();
    for name in covered.split(' ') {
        let value = if name == "(request-target)" {
            format!("{method} {path}")
        } else {
            header(name).ok_or(format!("signed header {name} missing"))?
        };
        lines.push(format!("{name}: {value}"));
    }
    if method == "post" && !covered.contains("digest") {
        return Err("digest not signed".into());
    }
    if method == "get" && !(covered.contains("host") && covered.contains("(request-target)")) {
        return Err("GET must sign host and (request-target)".into());
    }
    let actor_url = key_id.split('#').next().unwrap().to_owned();
    let actor: Value = state
        .http
        .get(&actor_url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    if actor["publicKey"]["id"] != key_id.as_str() || actor["publicKey"]["owner"] != actor["id"] {
        return Err("key not owned by the actor".into());
    }
    let pem = actor["publicKey"]["publicKeyPem"]
        .as_str()
        .ok_or("no publicKeyPem")?;
    let key = VerifyingKey::<Sha256>::new(
        RsaPublicKey::from_public_key_pem(pem).map_err(|e| e.to_string())?,
    );
    let signature = Signature::try_from(signature.as_slice()).map_err(|e| e.to_string())?;
    key.verify(lines.join("\n").as_bytes(), &signature)
        .map_err(|e| format!("signature mismatch: {e}"))
}
