//! ActivityPub routes: actor documents (or HTML profiles), collections, objects and inboxes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::header::{ACCEPT, ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use cooperage_db::actors::{self, Actor};
use cooperage_db::{follows, posts};
use cooperage_federation::inbox::{self, IncomingRequest};
use cooperage_federation::protocol::ACTIVITY_JSON;
use cooperage_federation::protocol::collection::{
    PAGE_SIZE, members_collection, ordered_collection, ordered_collection_page, outbox_page,
};
use cooperage_federation::protocol::context::{LD_JSON, cooperage_context};
use cooperage_federation::protocol::note::{Note, served_note};
use serde::Deserialize;
use serde_json::json;

use crate::{AppError, AppState};

/// Whether the client asked for ActivityPub JSON rather than a web page.
fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/activity+json") || v.contains("application/ld+json"))
}

/// A JSON body served as `application/activity+json`.
pub fn activity_json<T: serde::Serialize>(body: T) -> Response {
    ([(CONTENT_TYPE, ACTIVITY_JSON)], Json(body)).into_response()
}

async fn local_actor(state: &AppState, username: String) -> Result<Actor, AppError> {
    state
        .federation
        .context()
        .db()
        .run(move |conn| actors::local_by_username(conn, &username))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /actors/{username}`: the actor document, or its HTML profile for browsers.
pub async fn actor(
    State(state): State<AppState>,
    Path(username): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let actor = local_actor(&state, username).await?;
    if !wants_activity_json(&headers) {
        let visitor = crate::pages::Visitor::of(&uri, &headers);
        return Ok(crate::pages::public::profile(&state, visitor, actor).await);
    }
    let context = state.federation.context();
    let document = cooperage_federation::local_actors::document(context, &actor).await?;
    Ok(activity_json(document))
}

/// `GET /@{username}`: the human profile page (WebFinger's profile-page link); the actor
/// document to ActivityPub clients that ask for it here.
pub async fn profile(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let visitor = crate::pages::Visitor::of(&uri, &headers);
    let Some(username) = handle.strip_prefix('@') else {
        return crate::pages::not_found(OriginalUri(uri), headers).await;
    };
    match local_actor(&state, username.to_owned()).await {
        Ok(actor) if wants_activity_json(&headers) => {
            let context = state.federation.context();
            match cooperage_federation::local_actors::document(context, &actor).await {
                Ok(document) => activity_json(document),
                Err(error) => AppError::from(error).into_response(),
            }
        }
        Ok(actor) => crate::pages::public::profile(&state, visitor, actor).await,
        Err(error) if !crate::pages::wants_html(&headers) => error.into_response(),
        Err(error) => crate::pages::PageError { visitor, error }.into_response(),
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

/// `GET /actors/{username}/{collection}`: outbox, followers, following, featured.
pub async fn collection(
    State(state): State<AppState>,
    Path((username, collection)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let actor = local_actor(&state, username).await?;
    let id = format!("{}/{collection}", actor.ap_id);
    let page = query.page;
    if page.is_some_and(|p| p < 1) {
        return Err(AppError::BadRequest("page numbers start at 1".into()));
    }
    let offset = (page.unwrap_or(1) - 1).saturating_mul(PAGE_SIZE);
    let actor_id = actor.id;
    let db = state.federation.context().db().clone();
    // Heads share one shape; pages differ by what they list (actor ids, or Creates).
    let (total, items): (i64, Vec<String>) = match collection.as_str() {
        "followers" => {
            db.run(move |conn| {
                let total = follows::count_followers(conn, actor_id)?;
                let items = if page.is_some() {
                    follows::followers(conn, actor_id, follows::ACCEPTED, offset, PAGE_SIZE)?
                } else {
                    Vec::new()
                };
                Ok((total, items.into_iter().map(|a| a.ap_id).collect()))
            })
            .await?
        }
        "following" => {
            db.run(move |conn| {
                let total = follows::count_following(conn, actor_id)?;
                let items = if page.is_some() {
                    follows::following(conn, actor_id, offset, PAGE_SIZE)?
                } else {
                    Vec::new()
                };
                Ok((total, items.into_iter().map(|a| a.ap_id).collect()))
            })
            .await?
        }
        "outbox" => {
            let (total, notes) = db
                .run(move |conn| {
                    let total = posts::count_by_author(conn, actor_id)?;
                    let items = if page.is_some() {
                        posts::by_author(conn, actor_id, offset, PAGE_SIZE)?
                    } else {
                        Vec::new()
                    };
                    Ok((total, items))
                })
                .await?;
            let Some(page) = page else {
                return Ok(activity_json(ordered_collection(&id, total)));
            };
            // Our posts are stored as the Note we sent; one that does not read back is left
            // out rather than failing the page.
            let notes: Vec<Note> = notes
                .iter()
                .filter_map(|post| serde_json::from_str(&post.object_json).ok())
                .collect();
            return Ok(activity_json(outbox_page(
                &id,
                &actor.ap_id,
                page,
                total,
                notes,
            )));
        }
        "featured" => (0, Vec::new()),
        // The coop's voting members: one page, since other instances verify votes against it.
        "members" if actor.actor_type == actors::GROUP => {
            let ids = db.run(cooperage_db::members::voting_actor_ids).await?;
            return Ok(activity_json(members_collection(&id, ids)));
        }
        _ => return Err(AppError::NotFound),
    };
    Ok(match page {
        None => activity_json(ordered_collection(&id, total)),
        Some(page) => activity_json(ordered_collection_page(&id, page, total, items)),
    })
}

/// `GET /posts/{id}`: one of our posts, as the Note object.
pub async fn post(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, AppError> {
    let context = state.federation.context();
    let ap_id = format!("{}{}", context.settings().base_url(), uri.path());
    let post = context
        .db()
        .run(move |conn| posts::by_ap_id(conn, &ap_id))
        .await?;
    let post = post.filter(|p| p.local).ok_or(AppError::NotFound)?;
    if post.deleted_at.is_some() {
        return Ok(StatusCode::GONE.into_response());
    }
    let note: Note = serde_json::from_str(&post.object_json)
        .map_err(|e| cooperage_app::Error::internal("a stored post is not JSON", e))?;
    Ok(activity_json(served_note(note)))
}

/// `GET /ns`: Cooperage's JSON-LD context, the same on every instance (see
/// `protocol::context` for why each instance serves it).
pub async fn ld_context() -> Response {
    (
        [
            (CONTENT_TYPE, LD_JSON),
            // JSON-LD processors in browsers fetch contexts across origins.
            (ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        Json(cooperage_context()),
    )
        .into_response()
}

/// `POST /inbox` and `POST /actors/{username}/inbox`: verified before anything is stored.
pub async fn inbox(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let data = state.federation.data();
    let path_and_query = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let request = IncomingRequest {
        method: &method,
        path_and_query,
        headers: &headers,
        body: &body,
    };
    match inbox::receive(&data, request).await {
        Ok(received) => {
            tracing::debug!(?received, "inbox");
            StatusCode::ACCEPTED.into_response()
        }
        Err(error) => {
            let status =
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if status.is_server_error() {
                tracing::error!(%error, "inbox failed");
            } else {
                tracing::info!(%error, %status, "inbox refused an activity");
            }
            let message = if status.is_server_error() {
                "internal server error".to_owned()
            } else {
                error.to_string()
            };
            (
                status,
                Json(json!({ "error": error.code(), "message": message })),
            )
                .into_response()
        }
    }
}
