//! Cooperage over HTTP: the routes of the API, of ActivityPub, WebFinger and NodeInfo, and of
//! health checks, with one error type mapped to responses.

mod error;
mod health;

use axum::Router;
use axum::routing::get;
use cooperage_db::Database;
use tower_http::trace::TraceLayer;

pub use error::AppError;

/// What this instance is, as the HTTP layer needs to know it.
#[derive(Debug, Clone)]
pub struct InstanceInfo {
    /// Host (and port, in debug mode) the instance is reached at, e.g. `coop.example`.
    pub domain: String,
    /// The coop's display name.
    pub name: String,
    /// The coop actor's username (`@coop@domain`).
    pub coop_handle: String,
}

/// Shared state of every request handler. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    pub instance: InstanceInfo,
}

/// The whole HTTP application. Tests drive it directly or over a real socket.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
