//! The coop's members: list and detail for everyone in the coop; role, status, buddy and
//! password resets for admins.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use cooperage_db::members::{self, AdminChange};
use cooperage_domain::member::{Role, Status};
use serde::Deserialize;
use serde_json::json;

use super::{CurrentMember, member_view};
use crate::{AppError, AppState};

/// `GET /api/v1/members`.
pub async fn list(State(state): State<AppState>, me: CurrentMember) -> Result<Response, AppError> {
    let all = state.federation.context().db().run(members::list).await?;
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
    let member = find(&state, username).await?;
    let actor = super::actor_of(&state, &member).await?;
    let private = me.member.is_admin || me.member.id == member.id;
    let member_id = member.id;
    let groups = state
        .federation
        .context()
        .db()
        .run(move |conn| cooperage_db::groups::of_member(conn, member_id))
        .await?;
    let mut view = member_view(&member, Some(&actor), private);
    view["groups"] = json!(
        groups
            .iter()
            .map(|g| json!({ "id": g.id, "name": g.name, "kind": g.kind }))
            .collect::<Vec<_>>()
    );
    Ok(Json(view).into_response())
}

async fn find(
    state: &AppState,
    username: String,
) -> Result<cooperage_db::members::Member, AppError> {
    state
        .federation
        .context()
        .db()
        .run(move |conn| members::by_username(conn, &username))
        .await?
        .ok_or(AppError::NotFound)
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
/// Promoting a candidate to member clears the trial date; making someone a candidate starts one.
pub async fn update(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(username): Path<String>,
    Json(body): Json<MemberChange>,
) -> Result<Response, AppError> {
    me.require_write()?;
    me.require_admin()?;
    let member = find(&state, username).await?;
    let role = body
        .role
        .as_deref()
        .map(Role::parse)
        .transpose()
        .map_err(|e| AppError::field("role", &e.to_string()))?;
    let status = body
        .status
        .as_deref()
        .map(Status::parse)
        .transpose()
        .map_err(|e| AppError::field("status", &e.to_string()))?;
    if member.id == me.member.id
        && (body.admin == Some(false) || status.is_some_and(|s| s != Status::Active))
    {
        return Err(AppError::field(
            "admin",
            "admins cannot demote or suspend themselves",
        ));
    }
    let buddy_id = match body.buddy.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(buddy) => {
            let buddy = find(&state, buddy.to_owned())
                .await
                .map_err(|_| AppError::field("buddy", "no such member"))?;
            if Role::parse(&buddy.role) != Ok(Role::Member) || buddy.id == member.id {
                return Err(AppError::field(
                    "buddy",
                    "must be another member (not a candidate)",
                ));
            }
            Some(Some(buddy.id))
        }
    };
    let trial = TimeDelta::from_std(state.accounts.settings.trial).unwrap_or(TimeDelta::days(182));
    let eligible_from = match role {
        Some(Role::Member) => Some(None),
        Some(Role::Candidate) if member.role != Role::Candidate.as_str() => {
            Some(Some(cooperage_db::now() + trial))
        }
        _ => None,
    };
    let change = AdminChange {
        role: role.map(|r| r.as_str().to_owned()),
        status: status.map(|s| s.as_str().to_owned()),
        is_admin: body.admin,
        buddy_id,
        eligible_from,
    };
    let id = member.id;
    let context = state.federation.context();
    context
        .db()
        .write(move |conn| members::update_by_admin(conn, id, &change))
        .await?;
    let updated = context
        .db()
        .run(move |conn| members::by_id(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    if updated.status == Status::Left.as_str() && member.status != Status::Left.as_str() {
        // Leaving without moving (account migration is not supported): nobody follows the
        // member's actor here any more and it follows nobody. Their history stays.
        let actor_id = updated.actor_id;
        context
            .db()
            .write(move |conn| cooperage_db::follows::remove_all_of(conn, actor_id))
            .await?;
    }
    if updated.role != member.role || updated.status != member.status {
        // The member's profile shows their role; the coop's `members` collection changed.
        cooperage_federation::operations::announce_actor_update(context, &updated.username).await?;
        announce_membership(&state).await?;
    }
    Ok(Json(member_view(&updated, None, true)).into_response())
}

/// `GET /api/v1/members/candidates-ready` (admins): candidates whose trial is over.
pub async fn candidates_ready(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Response, AppError> {
    me.require_admin()?;
    let now = cooperage_db::now();
    let ready = state
        .federation
        .context()
        .db()
        .run(move |conn| members::candidates_ready(conn, now))
        .await?;
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
    let member = find(&state, username).await?;
    let role = Role::parse(&member.role).unwrap_or(Role::Candidate);
    let invitation = super::invitations::issue(
        &state,
        role,
        member.is_admin,
        Some(me.member.id),
        Some(member.id),
        TimeDelta::days(2),
    )
    .await?;
    Ok(Json(invitation).into_response())
}

/// Tells the network that the coop's voting members changed (`Update` of the coop actor):
/// peers then refetch its `members` collection.
pub async fn announce_membership(state: &AppState) -> Result<(), AppError> {
    let context = state.federation.context();
    let coop = context.settings().coop_handle.clone();
    cooperage_federation::operations::announce_actor_update(context, &coop).await?;
    Ok(())
}
