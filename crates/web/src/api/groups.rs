//! Groups inside the coop (AGs, city and competence groups): everyone in the coop sees them;
//! admins create them and add anyone; members join and leave themselves.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cooperage_db::groups::{self, Group};
use cooperage_db::members;
use cooperage_domain::member::GroupKind;
use serde::Deserialize;
use serde_json::{Value, json};

use super::CurrentMember;
use crate::{AppError, AppState};

fn group_view(group: &Group, members: Vec<String>) -> Value {
    json!({
        "id": group.id,
        "name": group.name,
        "kind": group.kind,
        "description": group.description,
        "members": members,
    })
}

/// `GET /api/v1/groups`.
pub async fn list(State(state): State<AppState>, _me: CurrentMember) -> Result<Response, AppError> {
    let views = state
        .federation
        .context()
        .db()
        .run(|conn| {
            groups::list(conn)?
                .into_iter()
                .map(|g| Ok(group_view(&g, groups::member_names(conn, g.id)?)))
                .collect::<Result<Vec<_>, cooperage_db::DbError>>()
        })
        .await?;
    Ok(Json(json!({ "groups": views })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    name: String,
    /// `working`, `city` or `competence`.
    kind: String,
    #[serde(default)]
    description: String,
}

/// `POST /api/v1/groups` (admins).
pub async fn create(
    State(state): State<AppState>,
    me: CurrentMember,
    Json(body): Json<NewGroup>,
) -> Result<Response, AppError> {
    me.require_write()?;
    me.require_admin()?;
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "must be 1 to 100 characters"));
    }
    let kind = GroupKind::parse(&body.kind).map_err(|e| AppError::field("kind", &e.to_string()))?;
    if body.description.chars().count() > 5_000 {
        return Err(AppError::field(
            "description",
            "must be at most 5000 characters",
        ));
    }
    let description = body.description;
    let created = state
        .federation
        .context()
        .db()
        .write(move |conn| groups::create(conn, &name, kind.as_str(), &description))
        .await?
        .ok_or_else(|| AppError::conflict("name", "a group of that name exists"))?;
    Ok((StatusCode::CREATED, Json(group_view(&created, Vec::new()))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    username: String,
}

/// Finds the group and member, and checks that `me` may change this membership.
async fn resolve(
    state: &AppState,
    me: &CurrentMember,
    group_id: i64,
    username: String,
) -> Result<(i64, i64), AppError> {
    me.require_write()?;
    if !me.member.is_admin && me.member.username != username {
        return Err(AppError::Forbidden(
            "members join and leave groups themselves; admins for others".into(),
        ));
    }
    let db = state.federation.context().db();
    db.run(move |conn| groups::by_id(conn, group_id))
        .await?
        .ok_or(AppError::NotFound)?;
    let member = db
        .run(move |conn| members::by_username(conn, &username))
        .await?
        .ok_or_else(|| AppError::field("username", "no such member"))?;
    Ok((group_id, member.id))
}

/// `POST /api/v1/groups/{id}/members`.
pub async fn add_member(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(group_id): Path<i64>,
    Json(body): Json<Membership>,
) -> Result<Response, AppError> {
    let (group, member) = resolve(&state, &me, group_id, body.username).await?;
    state
        .federation
        .context()
        .db()
        .write(move |conn| groups::add_member(conn, group, member))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v1/groups/{id}/members/{username}`.
pub async fn remove_member(
    State(state): State<AppState>,
    me: CurrentMember,
    Path((group_id, username)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let (group, member) = resolve(&state, &me, group_id, username).await?;
    let removed = state
        .federation
        .context()
        .db()
        .write(move |conn| groups::remove_member(conn, group, member))
        .await?;
    if removed {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(AppError::NotFound)
    }
}
