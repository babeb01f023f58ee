//! `GET /healthz`: is this instance able to serve, including reading and writing its database?

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::AppState;

/// How long a write probe's outcome is reused: `/healthz` is public, and a write per request
/// would let anyone make the database fsync in a loop.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// When a write probe ran, and what it found.
type Probed = (Instant, Result<(), String>);

/// The last write probe and when it ran. Concurrent health checks wait for one probe.
#[derive(Debug, Clone, Default)]
pub struct WriteProbe {
    last: Arc<tokio::sync::Mutex<Option<Probed>>>,
}

impl WriteProbe {
    async fn check(&self, state: &AppState) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, outcome)) = last.as_ref()
            && at.elapsed() < PROBE_EVERY
        {
            return outcome.clone();
        }
        let outcome = state
            .db
            .write(cooperage_db::instance::check_writable)
            .await
            .map_err(|e| e.to_string());
        *last = Some((Instant::now(), outcome.clone()));
        outcome
    }
}

/// 200 when the database answers with its schema in place and takes writes, 503 otherwise
/// (a full disk fails every write while reads go on). Load balancers and orchestrators take
/// the instance out of rotation on 503.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let backend = state.db.backend().to_string();
    let read = state.db.run(cooperage_db::instance::check_health).await;
    let outcome = match read {
        Ok(()) => state.health.check(&state).await,
        Err(error) => Err(error.to_string()),
    };
    match outcome {
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
                    "database": { "status": "error", "backend": backend, "error": error }
                })),
            )
        }
    }
}
