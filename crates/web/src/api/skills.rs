//! A member's skill listings: `/api/v1/skills`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cooperage_app::skills::{self, ListingInput};
use cooperage_db::skills::Listing;
use serde::Deserialize;
use serde_json::{Value, json};

use super::CurrentMember;
use crate::{AppError, AppState};

/// A listing as the API shows it.
pub fn listing_view(listing: &Listing) -> Value {
    json!({
        "id": listing.id,
        "ap_id": listing.ap_id,
        "skill": listing.label,
        "tags": listing.tag_list(),
        "level": listing.level.as_str(),
        "description": listing.description,
        "hours_per_week": listing.hours_per_week,
        "available_from": listing.available_from,
        "available_until": listing.available_until,
        "work_mode": listing.work_mode.as_str(),
        "region": listing.region,
        "visibility": listing.visibility.as_str(),
        "published": listing.published.and_utc().to_rfc3339(),
        "updated": listing.updated.map(|t| t.and_utc().to_rfc3339()),
    })
}

/// A listing as a request sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingBody {
    skill: String,
    #[serde(default)]
    tags: Vec<String>,
    level: String,
    #[serde(default)]
    description: String,
    hours_per_week: u32,
    available_from: Option<String>,
    available_until: Option<String>,
    #[serde(default = "remote")]
    work_mode: String,
    #[serde(default)]
    region: String,
    #[serde(default = "network")]
    visibility: String,
}

fn remote() -> String {
    "remote".into()
}

fn network() -> String {
    "network".into()
}

impl From<ListingBody> for ListingInput {
    fn from(body: ListingBody) -> Self {
        ListingInput {
            skill: body.skill,
            tags: body.tags,
            level: body.level,
            description: body.description,
            hours_per_week: body.hours_per_week,
            available_from: body.available_from,
            available_until: body.available_until,
            work_mode: body.work_mode,
            region: body.region,
            visibility: body.visibility,
        }
    }
}

/// `GET /api/v1/skills`: my listings.
pub async fn mine(State(state): State<AppState>, me: CurrentMember) -> Result<Response, AppError> {
    let listings = skills::mine(&state.app, &me.member).await?;
    Ok(
        Json(json!({ "skills": listings.iter().map(listing_view).collect::<Vec<_>>() }))
            .into_response(),
    )
}

/// `POST /api/v1/skills`: publish a listing.
pub async fn create(
    State(state): State<AppState>,
    me: CurrentMember,
    Json(body): Json<ListingBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let listing = skills::publish(&state.app, &me.member, body.into()).await?;
    Ok((StatusCode::CREATED, Json(listing_view(&listing))).into_response())
}

/// `GET /api/v1/skills/{id}`: a listing of this coop.
pub async fn show(
    State(state): State<AppState>,
    _me: CurrentMember,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let listing = skills::show(&state.app, id).await?;
    Ok(Json(listing_view(&listing)).into_response())
}

/// `PUT /api/v1/skills/{id}`: change my listing (the whole listing is sent).
pub async fn update(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<ListingBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let listing = skills::update(&state.app, &me.member, id, body.into()).await?;
    Ok(Json(listing_view(&listing)).into_response())
}

/// `DELETE /api/v1/skills/{id}`: remove my listing.
pub async fn delete(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    me.require_write()?;
    skills::delete(&state.app, &me.member, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
