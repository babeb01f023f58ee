//! Groups inside the coop (AGs, city and competence groups): everyone in the coop sees them;
//! admins create them and add anyone; members join and leave themselves.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cooperage_app::groups;
use cooperage_db::groups::Group;
use cooperage_domain::member::GroupKind;
use serde::Deserialize;
use serde_json::{Value, json};

use super::CurrentMember;
use crate::{AppError, AppState};

fn group_view(group: &Group, members: &[String]) -> Value {
    json!({
        "id": group.id,
        "name": group.name,
        "kind": group.kind.as_str(),
        "description": group.description,
        "members": members,
    })
}

pub async fn list(State(state): State<AppState>, _me: CurrentMember) -> Result<Response, AppError> {
    let views: Vec<_> = groups::list(&state.app)
        .await?
        .iter()
        .map(|(group, members)| group_view(group, members))
        .collect();
    Ok(Json(json!({ "groups": views })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    name: String,
    kind: String,
    #[serde(default)]
    description: String,
}

pub async fn create(
    State(state): State<AppState>,
    me: CurrentMember,
    Json(body): Json<NewGroup>,
) -> Result<Response, AppError> {
    me.require_write()?;
    me.require_admin()?;
    let kind = GroupKind::parse(&body.kind).map_err(|e| AppError::field("kind", &e.to_string()))?;
    let created = groups::create(&state.app, &body.name, kind, body.description).await?;
    Ok((StatusCode::CREATED, Json(group_view(&created, &[]))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    username: String,
}

pub async fn add_member(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(group_id): Path<i64>,
    Json(body): Json<Membership>,
) -> Result<Response, AppError> {
    me.require_write()?;
    groups::add_member(&state.app, &me.member, group_id, &body.username).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn remove_member(
    State(state): State<AppState>,
    me: CurrentMember,
    Path((group_id, username)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    me.require_write()?;
    groups::remove_member(&state.app, &me.member, group_id, &username).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
