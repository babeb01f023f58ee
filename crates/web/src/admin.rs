//! The admin API for federation (`/api/v1/admin/...`), behind a bearer token until member
//! accounts exist. Every operation is also a CLI command (`cooperage federation ...`).

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use cooperage_app::federation as operations;
use cooperage_db::actors::Actor;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{AppError, AppState};

/// The admin routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/federation/follows",
            post(follow).delete(unfollow),
        )
        .route("/api/v1/admin/federation/network", get(network))
        .route("/api/v1/admin/federation/queue", get(queue))
        .route("/api/v1/admin/federation/hosts", get(hosts))
        .route(
            "/api/v1/admin/federation/hosts/{host}",
            put(set_host_policy).delete(clear_host_policy),
        )
        .route("/api/v1/admin/follow-requests", get(follow_requests))
        .route(
            "/api/v1/admin/follow-requests/{decision}",
            post(answer_follow_request),
        )
        .route("/api/v1/admin/announcements", post(announce))
        .route(
            "/api/v1/admin/actors/{username}/approval",
            put(set_approval),
        )
}

/// Proof that the request carries the admin token.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    /// The configured admin token, or the session or write token of a member who is an admin.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let bearer = crate::auth::cookie::bearer_token(&parts.headers);
        if let (Some(expected), Some(given)) = (state.admin_token.as_deref(), bearer.as_deref())
            && constant_time_eq(given.as_bytes(), expected.as_bytes())
        {
            return Ok(Admin);
        }
        let member = crate::api::CurrentMember::from_request_parts(parts, state).await?;
        member.require_write()?;
        member.require_admin()?;
        Ok(Admin)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn actor_view(actor: &Actor) -> Value {
    json!({
        "id": actor.ap_id,
        "username": actor.username,
        "domain": actor.domain,
        "name": actor.display_name,
        "type": actor.actor_type,
    })
}

#[derive(Deserialize)]
struct Target {
    /// `@coop@other.example` or an actor URL.
    target: String,
}

async fn follow(
    _: Admin,
    State(state): State<AppState>,
    Json(body): Json<Target>,
) -> Result<Response, AppError> {
    let followed = operations::follow(&state.app, &body.target).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "following": actor_view(&followed), "state": "pending" })),
    )
        .into_response())
}

async fn unfollow(
    _: Admin,
    State(state): State<AppState>,
    Json(body): Json<Target>,
) -> Result<Response, AppError> {
    let followed = operations::unfollow(&state.app, &body.target).await?;
    Ok(Json(json!({ "unfollowed": actor_view(&followed) })).into_response())
}

async fn network(_: Admin, State(state): State<AppState>) -> Result<Response, AppError> {
    let coops = operations::network(&state.app).await?;
    Ok(
        Json(json!({ "network": coops.iter().map(actor_view).collect::<Vec<_>>() }))
            .into_response(),
    )
}

async fn queue(_: Admin, State(state): State<AppState>) -> Result<Response, AppError> {
    let hosts = operations::queue(&state.app).await?;
    let hosts: Vec<Value> = hosts
        .into_iter()
        .map(|h| {
            json!({
                "host": h.host,
                "pending": h.pending,
                "failed": h.failed,
                "delivered": h.delivered,
                "next_attempt_at": h.next_attempt_at.map(|t| t.and_utc().to_rfc3339()),
                "last_error": h.last_error,
            })
        })
        .collect();
    Ok(Json(json!({ "hosts": hosts })).into_response())
}

async fn hosts(_: Admin, State(state): State<AppState>) -> Result<Response, AppError> {
    let context = state.federation.context();
    let view = |hosts: Vec<cooperage_db::hosts::Host>| -> Vec<Value> {
        hosts
            .into_iter()
            .map(|h| json!({ "host": h.host, "reason": h.reason }))
            .collect()
    };
    let blocked =
        view(operations::hosts_with_policy(&state.app, cooperage_db::hosts::BLOCK).await?);
    let allowed =
        view(operations::hosts_with_policy(&state.app, cooperage_db::hosts::ALLOW).await?);
    Ok(Json(json!({
        "allowlist_only": context.settings().allowlist_only,
        "blocked": blocked,
        "allowed": allowed,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct HostPolicy {
    policy: String,
    reason: Option<String>,
}

async fn set_host_policy(
    _: Admin,
    State(state): State<AppState>,
    Path(host): Path<String>,
    Json(body): Json<HostPolicy>,
) -> Result<Response, AppError> {
    match body.policy.as_str() {
        "block" => operations::block_host(&state.app, &host, body.reason).await?,
        "allow" => operations::allow_host(&state.app, &host).await?,
        other => {
            return Err(AppError::BadRequest(format!(
                "policy: expected \"block\" or \"allow\", got {other:?}"
            )));
        }
    }
    Ok(Json(json!({ "host": host, "policy": body.policy })).into_response())
}

async fn clear_host_policy(
    _: Admin,
    State(state): State<AppState>,
    Path(host): Path<String>,
) -> Result<Response, AppError> {
    operations::clear_host_policy(&state.app, &host).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct ActorQuery {
    /// Local username whose requests to list; the coop by default.
    actor: Option<String>,
}

async fn follow_requests(
    _: Admin,
    State(state): State<AppState>,
    Query(query): Query<ActorQuery>,
) -> Result<Response, AppError> {
    let context = state.federation.context();
    let actor = query
        .actor
        .unwrap_or_else(|| context.settings().coop_handle.clone());
    let pending = operations::pending_followers(&state.app, &actor).await?;
    Ok(Json(
        json!({ "actor": actor, "pending": pending.iter().map(actor_view).collect::<Vec<_>>() }),
    )
    .into_response())
}

#[derive(Deserialize)]
struct FollowAnswer {
    actor: Option<String>,
    follower: String,
}

async fn answer_follow_request(
    _: Admin,
    State(state): State<AppState>,
    Path(decision): Path<String>,
    Json(body): Json<FollowAnswer>,
) -> Result<Response, AppError> {
    let accept = match decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => return Err(AppError::NotFound),
    };
    let actor = body
        .actor
        .unwrap_or_else(|| state.federation.context().settings().coop_handle.clone());
    operations::answer_follower(&state.app, &actor, &body.follower, accept).await?;
    Ok(
        Json(json!({ "actor": actor, "follower": body.follower, "decision": decision }))
            .into_response(),
    )
}

#[derive(Deserialize)]
struct Announcement {
    text: String,
    /// Local username to post as; the coop by default.
    author: Option<String>,
}

async fn announce(
    _: Admin,
    State(state): State<AppState>,
    Json(body): Json<Announcement>,
) -> Result<Response, AppError> {
    let context = state.federation.context();
    let author = body
        .author
        .unwrap_or_else(|| context.settings().coop_handle.clone());
    let published = cooperage_app::posts::publish_note(&state.app, &author, &body.text).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": published.id, "inboxes": published.inboxes })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct Approval {
    manually_approves_followers: bool,
}

async fn set_approval(
    _: Admin,
    State(state): State<AppState>,
    Path(username): Path<String>,
    Json(body): Json<Approval>,
) -> Result<Response, AppError> {
    let on = body.manually_approves_followers;
    operations::set_manual_approval(&state.app, &username, on).await?;
    Ok(Json(json!({ "actor": username, "manually_approves_followers": on })).into_response())
}
