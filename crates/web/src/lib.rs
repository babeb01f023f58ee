//! Cooperage over HTTP: the routes of the API, of ActivityPub, WebFinger and NodeInfo, and of
//! health checks, with one error type mapped to responses, and the HTML pages (`pages`).

pub mod accounts;
mod activitypub;
mod admin;
pub mod api;
pub mod auth;
mod discovery;
mod error;
pub mod health;
mod offers;
pub mod pages;
mod proposals;
pub mod serve;
mod skills;
pub mod tls;

use std::net::IpAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use cooperage_db::Database;
use cooperage_federation::Federation;
use tower_http::trace::TraceLayer;

pub use error::AppError;

/// The address a request came from, for per-address login limits and logs: the peer of the
/// connection, or, when that peer is a trusted reverse proxy, the client it forwarded for
/// (then with port 0, which proxies do not pass on reliably).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::SocketAddr);

impl ClientAddr {
    /// The client of a request that came over a connection from `peer`. Forwarding headers
    /// count only when `peer` is in `trusted`; then the client is the rightmost address in
    /// them that is not itself a trusted proxy (what is left of that could be forged by the
    /// client). `Forwarded` (RFC 7239) wins over `X-Forwarded-For`.
    pub fn resolve(
        peer: std::net::SocketAddr,
        headers: &http::HeaderMap,
        trusted: &[ipnet::IpNet],
    ) -> Self {
        let is_trusted = |ip: IpAddr| {
            let ip = ip.to_canonical();
            trusted.iter().any(|net| net.contains(&ip))
        };
        if trusted.is_empty() || !is_trusted(peer.ip()) {
            return Self(peer);
        }
        let mut hops = forwarded_for(headers);
        if hops.is_empty() {
            hops = x_forwarded_for(headers);
        }
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if is_trusted(*ip) => continue,
                Some(ip) => return Self(std::net::SocketAddr::new(*ip, 0)),
                // An obfuscated or garbled hop: nothing to go on beyond it, so the request
                // counts against the last proxy that named it.
                None => break,
            }
        }
        Self(peer)
    }
}

/// The `for=` addresses of all `Forwarded` headers, in order; `None` for a hop that is not an
/// address (`unknown`, `_hidden`, garbage).
fn forwarded_for(headers: &http::HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all(http::header::FORWARDED)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("for=invalid").split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_node(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// The addresses of all `X-Forwarded-For` headers, in order.
fn x_forwarded_for(headers: &http::HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("invalid").split(','))
        .map(|hop| parse_node(hop.trim()))
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = node.parse::<std::net::SocketAddr>() {
        return Some(addr.ip());
    }
    node.strip_prefix('[')?.split(']').next()?.parse().ok()
}

/// Shared state of every request handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The application operations every handler calls.
    pub app: cooperage_app::App,
    pub db: Database,
    pub federation: Federation,
    /// Bearer token of the admin API; `None` turns the admin API off.
    pub admin_token: Option<String>,
    pub accounts: accounts::Accounts,
    /// The last `/healthz` write probe.
    pub health: health::WriteProbe,
}

/// The whole HTTP application. Tests drive it directly or over a real socket.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/.well-known/webfinger", get(discovery::webfinger))
        .route("/.well-known/host-meta", get(discovery::host_meta))
        .route("/.well-known/nodeinfo", get(discovery::nodeinfo_links))
        .route("/nodeinfo/{version}", get(discovery::nodeinfo))
        .route("/actors/{username}", get(activitypub::actor))
        .route("/actors/{username}/inbox", post(activitypub::inbox))
        .route("/actors/{username}/skills", get(skills::collection))
        .route("/skills/{id}", get(skills::listing))
        .route("/offers/{id}", get(offers::offer))
        .route("/proposals/{id}", get(proposals::question))
        .route("/comments/{id}", get(proposals::comment))
        .route(
            "/actors/{username}/{collection}",
            get(activitypub::collection),
        )
        .route("/inbox", post(activitypub::inbox))
        .route("/posts/{id}", get(activitypub::post))
        .route("/ns", get(activitypub::ld_context))
        .route("/{handle}", get(activitypub::profile))
        .merge(admin::routes())
        .merge(api::routes())
        .merge(pages::routes())
        // Unknown paths: an HTML page for browsers, JSON for everyone else.
        .fallback(pages::not_found)
        // Mastodon's limit too: bigger activities get 413 before any work is done.
        .layer(DefaultBodyLimit::max(cooperage_federation::inbox::MAX_BODY))
        // The client's address (behind a trusted proxy, the forwarded one) in every request's span.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let client = request
                    .extensions()
                    .get::<axum::extract::ConnectInfo<ClientAddr>>()
                    .map(|info| info.0.0.ip());
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    uri = %request.uri(),
                    client = ?client,
                )
            }),
        )
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(peer: &str, headers: &[(&str, &str)], trusted: &[&str]) -> String {
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        let trusted: Vec<ipnet::IpNet> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        ClientAddr::resolve(peer.parse().unwrap(), &map, &trusted)
            .0
            .ip()
            .to_string()
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let xff = [("x-forwarded-for", "203.0.113.9")];
        assert_eq!(resolve("127.0.0.1:5000", &xff, &[]), "127.0.0.1");
        assert_eq!(
            resolve("192.0.2.1:5000", &xff, &["127.0.0.1/32"]),
            "192.0.2.1"
        );
        assert_eq!(
            resolve("127.0.0.1:5000", &xff, &["127.0.0.1/32"]),
            "203.0.113.9"
        );
        // IPv4-mapped peers match IPv4 ranges.
        assert_eq!(
            resolve("[::ffff:127.0.0.1]:5000", &xff, &["127.0.0.0/8"]),
            "203.0.113.9"
        );
        // No header: the proxy itself.
        assert_eq!(
            resolve("127.0.0.1:5000", &[], &["127.0.0.1/32"]),
            "127.0.0.1"
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = ["127.0.0.1/32", "10.0.0.0/8"];
        // The client claims 1.1.1.1; our proxies saw 203.0.113.9.
        let chain = [("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.2")];
        assert_eq!(resolve("127.0.0.1:1", &chain, &trusted), "203.0.113.9");
        let split = [
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.9"),
        ];
        assert_eq!(resolve("127.0.0.1:1", &split, &trusted), "203.0.113.9");
        let forwarded = [(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8::7]:4711\";proto=https, For=10.0.0.3",
        )];
        assert_eq!(resolve("127.0.0.1:1", &forwarded, &trusted), "2001:db8::7");
        // Forwarded wins over X-Forwarded-For.
        let both = [
            ("forwarded", "for=198.51.100.4:80"),
            ("x-forwarded-for", "203.0.113.9"),
        ];
        assert_eq!(resolve("127.0.0.1:1", &both, &trusted), "198.51.100.4");
        // An unusable hop stops the walk: the proxy is the client.
        let hidden = [("forwarded", "for=1.1.1.1, for=_hidden")];
        assert_eq!(resolve("127.0.0.1:1", &hidden, &trusted), "127.0.0.1");
        let garbage = [("x-forwarded-for", "1.1.1.1, not-an-ip")];
        assert_eq!(resolve("127.0.0.1:1", &garbage, &trusted), "127.0.0.1");
        // Only trusted hops: no client is named, so the proxy counts.
        let internal = [("x-forwarded-for", "10.0.0.5")];
        assert_eq!(resolve("127.0.0.1:1", &internal, &trusted), "127.0.0.1");
    }
}
