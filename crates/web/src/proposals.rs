//! Network proposals served at their id as `Question`s (public, like the Question we send):
//! Mastodon refreshes a poll by fetching it, and peers that got only its id fetch it too.
//! Coop proposals stay inside the coop (404, as if absent). Our members' comments on network
//! proposals are served at their ids too: the hosting coop relays them by id.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use cooperage_db::proposals;

use crate::activitypub::activity_json;
use crate::{AppError, AppState};

/// `GET /proposals/{id}`: the Question, or for a browser the member's page of it.
pub async fn question(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    mut parts: axum::http::request::Parts,
) -> Result<Response, AppError> {
    if crate::pages::wants_html(&parts.headers) {
        return Ok(crate::pages::proposals::page(&state, &mut parts).await);
    }
    let settings = state.federation.context().settings().clone();
    let ap_id = format!("{}{}", settings.base_url(), uri.path());
    let question = state
        .db
        .run(move |conn| {
            let Some(proposal) = proposals::by_ap_id(conn, &ap_id)?.filter(|p| p.is_public())
            else {
                return Ok(None);
            };
            cooperage_federation::proposals::question_of(conn, &settings, &proposal).map(Some)
        })
        .await?;
    Ok(activity_json(question.ok_or(AppError::NotFound)?))
}

/// `GET /comments/{id}`: a comment of one of our members on a network proposal (public, as
/// sent); anything else 404.
pub async fn comment(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, AppError> {
    let settings = state.federation.context().settings().clone();
    let ap_id = format!("{}{}", settings.base_url(), uri.path());
    let note = state
        .db
        .run(
            move |conn| match proposals::comment_by_ap_id(conn, &ap_id)? {
                None => Ok(None),
                Some(comment) => cooperage_federation::proposals::comment_reply(conn, &comment),
            },
        )
        .await?;
    let reply = note.ok_or(AppError::NotFound)?;
    // The Note with the activity's context: a fetched object stands alone.
    let mut served = serde_json::to_value(&reply.object)
        .map_err(|e| cooperage_app::Error::internal("a comment as JSON", e))?;
    served["@context"] = reply.context;
    Ok(activity_json(served))
}
