//! Invitations: how people join (admins only).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use cooperage_db::invitations::{self, NewInvitation};
use cooperage_domain::member::Role;
use serde::Deserialize;
use serde_json::json;

use super::CurrentMember;
use crate::auth::tokens;
use crate::{AppError, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    /// `member` or `candidate`.
    role: String,
    #[serde(default)]
    admin: bool,
    /// Hours until it expires (default from the config).
    expires_in_hours: Option<u32>,
}

/// `POST /api/v1/invitations`: returns the single-use secret (shown once).
pub async fn create(
    State(state): State<AppState>,
    me: CurrentMember,
    Json(body): Json<NewInvite>,
) -> Result<Response, AppError> {
    me.require_write()?;
    me.require_admin()?;
    let role = Role::parse(&body.role).map_err(|e| AppError::field("role", &e.to_string()))?;
    let hours = match body.expires_in_hours {
        Some(0) | Some(2161..) => {
            return Err(AppError::field(
                "expires_in_hours",
                "must be from 1 to 2160 (90 days)",
            ));
        }
        Some(hours) => TimeDelta::hours(i64::from(hours)),
        None => TimeDelta::from_std(state.accounts.settings.invitation_validity)
            .unwrap_or(TimeDelta::days(7)),
    };
    let invitation = issue(&state, role, body.admin, Some(me.member.id), None, hours).await?;
    Ok((StatusCode::CREATED, Json(invitation)).into_response())
}

/// Stores an invitation and describes it, with its secret and sign-up link.
pub async fn issue(
    state: &AppState,
    role: Role,
    admin: bool,
    created_by: Option<i64>,
    member_id: Option<i64>,
    validity: TimeDelta,
) -> Result<serde_json::Value, AppError> {
    let secret = tokens::generate(tokens::SecretKind::Invitation);
    let now = cooperage_db::now();
    let invitation = NewInvitation {
        token_hash: secret.hash.clone(),
        role: role.as_str().to_owned(),
        is_admin: admin,
        created_by,
        member_id,
        expires_at: now + validity,
        created_at: now,
    };
    let stored = state
        .federation
        .context()
        .db()
        .write(move |conn| invitations::create(conn, &invitation))
        .await?;
    let base = state.federation.context().settings().base_url();
    Ok(json!({
        "invitation": secret.secret,
        "url": format!("{base}/join#{}", secret.secret),
        "role": stored.role,
        "admin": stored.is_admin,
        "expires_at": stored.expires_at.and_utc().to_rfc3339(),
    }))
}
