//! `GET /healthz`: is this instance able to serve, including its database?

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::AppState;

/// 200 when the database answers with its schema in place, 503 otherwise. Load balancers and
/// orchestrators take the instance out of rotation on 503.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let backend = state.db.backend().to_string();
    match state.db.run(cooperage_db::instance::check_health).await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": { "status": "ok", "backend": backend } })),
        ),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "status": "unavailable",
                    "database": { "status": "error", "backend": backend, "error": error.to_string() }
                })),
            )
        }
    }
}
