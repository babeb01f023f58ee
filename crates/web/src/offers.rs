//! Offers served to other servers at their id: `public` ones to anyone, `network` ones only
//! to a signed fetch from a coop in our network (otherwise 404, like an offer that does not
//! exist).

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use cooperage_db::offers;
use cooperage_domain::skill::Visibility;
use cooperage_federation::inbox;

use crate::activitypub::activity_json;
use crate::{AppError, AppState};

/// `GET /offers/{id}`: an offer of ours as its Note, or as a page for browsers (who, not
/// signing their requests, see public offers only).
pub async fn offer(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let settings = state.federation.context().settings().clone();
    let ap_id = format!("{}{}", settings.base_url(), uri.path());
    let html = crate::pages::wants_html(&headers);
    let visitor = crate::pages::Visitor::of(&uri, &headers);
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(uri.path())
        .to_owned();
    let signer = inbox::signed_get(&state.federation.data(), &method, &path, &headers).await?;
    let found = state
        .db
        .run(move |conn| {
            let Some(offer) = offers::by_ap_id(conn, &ap_id)?.filter(|o| o.local) else {
                return Ok(None);
            };
            if offer.audience != Visibility::Public {
                let (_, network) = cooperage_federation::skills::network(conn, &settings)?;
                let from_network = signer
                    .as_ref()
                    .is_some_and(|s| network.iter().any(|coop| coop.domain == s.domain));
                if !from_network {
                    return Ok(None);
                }
            }
            if html {
                return Ok(Some(Err(offer)));
            }
            cooperage_federation::offers::note_of(conn, &settings, &offer).map(|n| Some(Ok(n)))
        })
        .await?;
    match found {
        Some(Ok(note)) => Ok(activity_json(note)),
        Some(Err(offer)) => Ok(crate::pages::public::offer(&state, visitor, offer).await),
        None if html => Ok(crate::pages::PageError {
            visitor,
            error: AppError::NotFound,
        }
        .into_response()),
        None => Err(AppError::NotFound),
    }
}
