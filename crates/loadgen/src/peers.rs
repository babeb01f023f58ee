//! The remote side the generator plays: hosts on loopback ports (`localhost:<port>`, each a
//! distinct host to the server), serving their actors' documents and recording what is
//! delivered to their inboxes.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use cooperage_federation::signatures::{self, PrivateKey};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;

/// A delivery as it arrived, checked after the measurement.
pub struct Delivery {
    pub port: u16,
    pub path_and_query: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

/// The remote hosts and what they received.
pub struct Peers {
    /// One key for every actor: verifying costs the server the same whoever signs.
    pub key: PrivateKey,
    public_pem: String,
    pub ports: Vec<u16>,
    /// Actors per host, `/users/a0` ... `/users/a<n-1>`.
    actors: usize,
    received: Mutex<Vec<Delivery>>,
    /// Deliveries whose `type` is `Create`, and all deliveries.
    creates: AtomicUsize,
    total: AtomicUsize,
}

#[derive(serde::Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

impl Peers {
    /// Binds `hosts` ports with `actors` actors each and starts serving them.
    pub async fn start(hosts: usize, actors: usize) -> anyhow::Result<Arc<Self>> {
        let pair = signatures::generate_keypair()?;
        let mut listeners = Vec::with_capacity(hosts);
        for _ in 0..hosts {
            listeners.push(TcpListener::bind("127.0.0.1:0").await?);
        }
        let peers = Arc::new(Self {
            key: PrivateKey::from_pem(&pair.private_pem)?,
            public_pem: pair.public_pem,
            ports: listeners
                .iter()
                .map(|l| l.local_addr().map(|a| a.port()))
                .collect::<Result<_, _>>()?,
            actors,
            received: Mutex::new(Vec::new()),
            creates: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
        });
        for listener in listeners {
            let peers = peers.clone();
            tokio::spawn(async move { peers.serve(listener).await });
        }
        Ok(peers)
    }

    async fn serve(self: Arc<Self>, listener: TcpListener) {
        let Ok(port) = listener.local_addr().map(|a| a.port()) else {
            return;
        };
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let peers = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let peers = peers.clone();
                    async move { Ok::<_, Infallible>(peers.handle(port, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    async fn handle(
        &self,
        port: u16,
        request: http::Request<hyper::body::Incoming>,
    ) -> http::Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        if parts.method == http::Method::GET {
            return match path.strip_prefix("/users/") {
                Some(name) if self.is_actor(name) => {
                    let document = self.actor_document(port, name);
                    http::Response::builder()
                        .header("content-type", "application/activity+json")
                        .body(Full::new(Bytes::from(document.to_string())))
                        .expect("a response")
                }
                _ => status(404),
            };
        }
        let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
            return status(400);
        };
        let is_create = serde_json::from_slice::<Head<'_>>(&body).is_ok_and(|h| h.kind == "Create");
        self.received.lock().expect("received").push(Delivery {
            port,
            path_and_query: parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned(),
            headers: parts.headers,
            body,
            at: Instant::now(),
        });
        if is_create {
            self.creates.fetch_add(1, Ordering::Relaxed);
        }
        self.total.fetch_add(1, Ordering::Relaxed);
        status(202)
    }

    fn is_actor(&self, name: &str) -> bool {
        name.strip_prefix('a')
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n < self.actors)
    }

    /// `http://localhost:<port>/users/a<n>`.
    pub fn actor_id(&self, port: u16, n: usize) -> String {
        format!("http://localhost:{port}/users/a{n}")
    }

    fn actor_document(&self, port: u16, name: &str) -> serde_json::Value {
        let id = format!("http://localhost:{port}/users/{name}");
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id, "type": "Person", "preferredUsername": name,
            // A personal inbox only: no shared inbox for the server to deduplicate on.
            "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"),
            "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": self.public_pem },
        })
    }

    /// A POST of `activity` by `actor` to `url` on the server, signed (draft-cavage) now.
    pub fn signed_post(
        &self,
        actor: &str,
        url: &str,
        activity: &serde_json::Value,
    ) -> crate::client::Request {
        let mut request = http::Request::post(url)
            .header("content-type", "application/activity+json")
            .body(serde_json::to_vec(activity).expect("JSON"))
            .expect("a request");
        signatures::sign_cavage(
            &mut request,
            &format!("{actor}#main-key"),
            &self.key,
            SystemTime::now(),
        )
        .expect("signing");
        crate::client::for_connection(request)
    }

    pub fn creates(&self) -> usize {
        self.creates.load(Ordering::Relaxed)
    }

    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// Takes what was received so far (the counters keep counting).
    pub fn take(&self) -> Vec<Delivery> {
        std::mem::take(&mut *self.received.lock().expect("received"))
    }
}

fn status(code: u16) -> http::Response<Full<Bytes>> {
    http::Response::builder()
        .status(code)
        .body(Full::new(Bytes::new()))
        .expect("a response")
}
