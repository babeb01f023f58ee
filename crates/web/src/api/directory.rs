//! `GET /api/v1/directory`: the network's skill directory, for members and candidates.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use cooperage_app::directory::{self, DirectoryQuery, Hit};
use serde_json::{Value, json};

use super::CurrentMember;
use crate::{AppError, AppState};

/// `GET /api/v1/directory?q=…&tags=…&level=…`.
pub async fn search(
    State(state): State<AppState>,
    me: CurrentMember,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = parse(raw.as_deref().unwrap_or_default())?;
    let page = directory::search(&state.app, &me.member, query).await?;
    Ok(Json(json!({
        "hits": page.items.iter().map(hit_view).collect::<Vec<_>>(),
        "total": page.total,
        "total_exact": page.total_exact,
        "next_offset": page.next_offset,
    }))
    .into_response())
}

/// Reads the query string by hand: a number that is not one, or an unknown parameter, is
/// the searcher's mistake with a message, not the extractor's plain-text rejection. Tags may
/// be comma-separated, repeated, or both.
pub(crate) fn parse(raw: &str) -> Result<DirectoryQuery, AppError> {
    let mut query = DirectoryQuery::default();
    let number = |field: &'static str, value: &str| {
        value
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::field(field, "must be a whole number"))
    };
    let list = |value: &str| {
        value
            .split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
    };
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let text = Some(value.to_string());
        match name.as_ref() {
            "q" => query.q = text,
            "tags" => query.tags.extend(list(&value)),
            "any_tags" => query.any_tags.extend(list(&value)),
            "level" => query.level = text,
            "min_hours" => query.min_hours = Some(number("min_hours", &value)?),
            "available_on" => query.available_on = text,
            "available_from" => query.available_from = text,
            "available_until" => query.available_until = text,
            "work_mode" => query.work_mode = text,
            "region" => query.region = text,
            "coop" => query.coop = text,
            "limit" => query.limit = Some(number("limit", &value)?),
            "offset" => query.offset = Some(number("offset", &value)?),
            other => {
                return Err(AppError::BadRequest(format!(
                    "unknown parameter {other:?}: expected q, tags, any_tags, level, min_hours, \
                     available_on, available_from, available_until, work_mode, region, coop, \
                     limit, offset"
                )));
            }
        }
    }
    Ok(query)
}

/// One hit as the API shows it.
fn hit_view(hit: &Hit) -> Value {
    let listing = &hit.listing;
    json!({
        "id": listing.ap_id,
        "label": listing.label,
        "tags": listing.tag_list(),
        "level": listing.level.as_str(),
        "description": listing.description,
        "hours_per_week": listing.hours_per_week,
        "available_from": listing.available_from,
        "available_until": listing.available_until,
        "work_mode": listing.work_mode.as_str(),
        "region": listing.region,
        "visibility": listing.visibility.as_str(),
        "local": listing.local,
        "published": listing.published.and_utc().to_rfc3339(),
        "updated": listing.updated.map(|t| t.and_utc().to_rfc3339()),
        "stale": hit.stale,
        "member": {
            "display_name": hit.member.display_name,
            "handle": hit.member.handle(),
            "actor_id": hit.member.actor_id,
        },
        "coop": hit.coop.as_ref().map(|coop| json!({
            "name": coop.name,
            "handle": coop.handle(),
            "actor_id": coop.actor_id,
        })),
    })
}
