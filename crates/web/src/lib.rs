//! Cooperage over HTTP: the routes of the API, of ActivityPub, WebFinger and NodeInfo, and of
//! health checks, with one error type mapped to responses.

pub mod accounts;
mod activitypub;
mod admin;
pub mod api;
pub mod auth;
mod discovery;
mod error;
mod health;
mod proposals;
mod skills;
pub mod tls;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use cooperage_db::Database;
use cooperage_federation::Federation;
use tower_http::trace::TraceLayer;

pub use error::AppError;

/// The address a request came from, for per-address login limits. (Behind a reverse proxy
/// this is the proxy's address; trusting forwarded headers is not implemented yet.)
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::SocketAddr);

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for ClientAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tls::TlsListener>>
    for ClientAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tls::TlsListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
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
        .route("/proposals/{id}", get(proposals::question))
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
        // Mastodon's limit too: bigger activities get 413 before any work is done.
        .layer(DefaultBodyLimit::max(cooperage_federation::inbox::MAX_BODY))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
