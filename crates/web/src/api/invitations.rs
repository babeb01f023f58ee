//! Invitations: how people join (admins only).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cooperage_domain::member::Role;
use serde::Deserialize;

use super::{CurrentMember, invitation_view};
use crate::{AppError, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    role: String,
    #[serde(default)]
    admin: bool,
    expires_in_hours: Option<u32>,
}

pub async fn create(
    State(state): State<AppState>,
    me: CurrentMember,
    Json(body): Json<NewInvite>,
) -> Result<Response, AppError> {
    me.require_write()?;
    me.require_admin()?;
    let role = Role::parse(&body.role).map_err(|e| AppError::field("role", &e.to_string()))?;
    let invitation = cooperage_app::invitations::invite(
        &state.app,
        &me.member,
        role,
        body.admin,
        body.expires_in_hours,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(invitation_view(&invitation))).into_response())
}
