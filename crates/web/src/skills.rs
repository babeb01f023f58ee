//! Skill listings served to other servers: one listing at its id, and the coop's `skills`
//! collection (how a coop that joins the network fills its directory). Each answers only whom
//! the listing's visibility allows: `public` to anyone, `network` to a signed fetch from a
//! coop in our network, `coop` to nobody outside.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use cooperage_db::skills;
use cooperage_domain::skill::Visibility;
use cooperage_federation::inbox;
use cooperage_federation::protocol::collection::{
    PAGE_SIZE, ordered_collection, ordered_collection_page,
};
use cooperage_federation::protocol::skill::listing_context;
use serde::Deserialize;

use crate::activitypub::activity_json;
use crate::{AppError, AppState};

/// What the requester may see: `public` listings, and `network` ones too when a coop of our
/// network signed the fetch.
async fn visible_to(
    state: &AppState,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
) -> Result<Vec<Visibility>, AppError> {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(uri.path());
    let signer = inbox::signed_get(&state.federation.data(), method, path, headers).await?;
    let Some(signer) = signer else {
        return Ok(vec![Visibility::Public]);
    };
    let settings = state.federation.context().settings().clone();
    let network = state
        .db
        .run(move |conn| Ok(cooperage_federation::skills::network(conn, &settings)?.1))
        .await?;
    Ok(if network.iter().any(|coop| coop.domain == signer.domain) {
        vec![Visibility::Network, Visibility::Public]
    } else {
        vec![Visibility::Public]
    })
}

/// `GET /skills/{id}`: a listing of ours as its Note, or as a page for browsers (who, not
/// signing their requests, see public listings only).
pub async fn listing(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let settings = state.federation.context().settings().clone();
    let ap_id = format!("{}{}", settings.base_url(), uri.path());
    let html = crate::pages::wants_html(&headers);
    let visitor = crate::pages::Visitor::of(&uri, &headers);
    let visible = visible_to(&state, &method, &uri, &headers).await?;
    let found = state
        .db
        .run(move |conn| {
            let Some(listing) = skills::by_ap_id(conn, &ap_id)?.filter(|l| l.local) else {
                return Ok(None);
            };
            // Not visible is not found: nobody learns that a listing exists.
            if !visible.contains(&listing.visibility) {
                return Ok(None);
            }
            if html {
                return Ok(Some(Err(listing)));
            }
            cooperage_federation::skills::note_of(conn, &settings, &listing).map(|n| Some(Ok(n)))
        })
        .await?;
    match found {
        Some(Ok(note)) => Ok(activity_json(note)),
        Some(Err(listing)) => Ok(crate::pages::public::listing(&state, visitor, listing).await),
        None if html => Ok(crate::pages::PageError {
            visitor,
            error: AppError::NotFound,
        }
        .into_response()),
        None => Err(AppError::NotFound),
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

/// `GET /actors/{coop}/skills`: the coop's listings the requester may see, paged.
pub async fn collection(
    State(state): State<AppState>,
    Path(username): Path<String>,
    Query(query): Query<PageQuery>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let settings = state.federation.context().settings().clone();
    if username != settings.coop_handle {
        return Err(AppError::NotFound);
    }
    if query.page.is_some_and(|p| p < 1) {
        return Err(AppError::BadRequest("page numbers start at 1".into()));
    }
    let visible = visible_to(&state, &method, &uri, &headers).await?;
    let id = format!("{}/skills", settings.actor_id(&username));
    let page = query.page;
    let context = listing_context(&settings);
    let (total, notes) = state
        .db
        .run(move |conn| {
            let total = skills::count_local_visible(conn, &visible)?;
            let mut notes = Vec::new();
            if let Some(page) = page {
                let offset = (page - 1).saturating_mul(PAGE_SIZE);
                for listing in skills::local_visible(conn, &visible, offset, PAGE_SIZE)? {
                    let mut note =
                        cooperage_federation::skills::note_of(conn, &settings, &listing)?;
                    note.context = None;
                    notes.push(note);
                }
            }
            Ok((total, notes))
        })
        .await?;
    Ok(match page {
        None => activity_json(ordered_collection(&id, total)),
        Some(page) => {
            let mut document = ordered_collection_page(&id, page, total, notes);
            document.context = context;
            activity_json(document)
        }
    }
    .into_response())
}
