//! The coop's members: list and detail for everyone in the coop; role, status, buddy and
//! password resets for admins.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use cooperage_app::members::{self, MemberChange as Change};
use cooperage_domain::member::{Role, Status};
use serde::Deserialize;
use serde_json::json;

use super::{CurrentMember, invitation_view, member_view};
use crate::{AppError, AppState};

/// `GET /api/v1/members`.
pub async fn list(State(state): State<AppState>, me: CurrentMember) -> Result<Response, AppError> {
    let all = members::list(&state.app).await?;
    let admin = me.member.is_admin;
    let views: Vec<_> = all.iter().map(|m| member_view(m, None, admin)).collect();
    Ok(Json(json!({ "members": views })).into_response())
}

/// `GET /api/v1/members/{username}`.
pub async fn show(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let profile = members::profile(&state.app, &username).await?;
    let private = me.member.is_admin || me.member.id == profile.member.id;
    let mut view = member_view(&profile.member, Some(&profile.actor), private);
    view["groups"] = json!(
        profile
            .groups
            .iter()
            .map(|g| json!({ "id": g.id, "name": g.name, "kind": g.kind.as_str() }))
            .collect::<Vec<_>>()
    );
    Ok(Json(view).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberChange {
    role: Option<String>,
    status: Option<String>,
    admin: Option<bool>,
    /// Username of the onboarding buddy (a member); empty to clear.
    buddy: Option<String>,
}

/// `PATCH /api/v1/members/{username}` (admins): role, status, admin flag, buddy.
pub async fn update(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(username): Path<String>,
    Json(body): Json<MemberChange>,
) -> Result<Response, AppError> {
    me.require_write()?;
    me.require_admin()?;
    let change = Change {
        role: body
            .role
            .as_deref()
            .map(Role::parse)
            .transpose()
            .map_err(|e| AppError::field("role", &e.to_string()))?,
        status: body
            .status
            .as_deref()
            .map(Status::parse)
            .transpose()
            .map_err(|e| AppError::field("status", &e.to_string()))?,
        admin: body.admin,
        buddy: body
            .buddy
            .map(|b| Some(b.trim().to_owned()).filter(|b| !b.is_empty())),
    };
    let updated = members::change(&state.app, &me.member, &username, change).await?;
    Ok(Json(member_view(&updated, None, true)).into_response())
}

/// `GET /api/v1/members/candidates-ready` (admins): candidates whose trial is over.
pub async fn candidates_ready(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Response, AppError> {
    me.require_admin()?;
    let ready = members::candidates_ready(&state.app).await?;
    Ok(Json(json!({ "candidates": ready.iter().map(|m| member_view(m, None, true)).collect::<Vec<_>>() })).into_response())
}

/// `POST /api/v1/members/{username}/password-reset` (admins): a single-use link with which
/// the member sets a new password.
pub async fn password_reset(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    me.require_write()?;
    me.require_admin()?;
    let member = members::find(&state.app, &username).await?;
    let invitation =
        cooperage_app::invitations::password_reset(&state.app, &me.member, &member).await?;
    Ok(Json(invitation_view(&invitation)).into_response())
}
