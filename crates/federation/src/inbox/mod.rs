//! The inbox: nothing is stored before the request's signature is verified.
//!
//! Order: signature parsed → signer's host checked against policy → key found (cache, database,
//! then a fetch) → signature and digest verified (one refetch of the key on failure, for
//! rotated keys) → signer must be the activity's actor, ids on the actor's host → the activity
//! is applied in one transaction with its id recorded, so a duplicate has no second effect.

mod actor;
mod delete;
mod dispatch;
mod envelope;
mod follow;
mod offer;
mod post;
mod proposal;
mod signer;
mod skill;
mod writer;

use std::time::SystemTime;

use serde_json::Value;

use crate::settings::host_of;
use crate::signatures::{self, RequestParts};
use crate::{Data, Error};

pub use envelope::{Envelope, id_of};
pub use signer::SignerCache;
pub use writer::{Job, spawn_writer};

use dispatch::{Activity, Effect, Incoming};

/// Largest activity accepted (Mastodon's limit too).
pub const MAX_BODY: usize = 1024 * 1024;

/// An inbox POST as it arrived.
pub struct IncomingRequest<'a> {
    pub method: &'a http::Method,
    pub path_and_query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
}

/// What became of a verified activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Applied now.
    Applied,
    /// Seen before: no second effect.
    Duplicate,
    /// Verified but of a kind we do not handle (or not meant for us): ignored.
    Ignored,
}

/// Verifies and applies one inbox POST.
pub async fn receive(data: &Data, request: IncomingRequest<'_>) -> Result<Received, Error> {
    if request.body.len() > MAX_BODY {
        return Err(Error::BadRequest("activity too large".into()));
    }
    let settings = data.settings();
    // Our configured domain, not the request's Host header: a signature made for another
    // server must not verify here (RFC 9421 `@authority`, draft-cavage `host`).
    let parts = RequestParts {
        method: request.method,
        scheme: settings.scheme(),
        authority: &settings.domain,
        path_and_query: request.path_and_query,
        headers: request.headers,
    };
    let signature = signatures::parse_signature(&parts)?;
    // Stale or with a wrong digest: refused before anything is fetched from the sender's host.
    let now = SystemTime::now();
    signature.check_request(request.body, now)?;
    let key_host = host_of(signature.key_id())
        .ok_or_else(|| Error::Unauthorized("keyId is not a URL".into()))?;
    if !data.host_allowed(&key_host).await? {
        return Err(Error::Forbidden(format!(
            "{key_host} is blocked by this instance"
        )));
    }

    let json: Value = serde_json::from_slice(request.body)
        .map_err(|e| Error::BadRequest(format!("body is not JSON: {e}")))?;
    let envelope = Envelope::parse(&json)?;

    let signer = signer::verified_signer(data, &signature, request.body, now).await?;
    // The policy applies to the signer's own host too, whatever host its key names.
    let actor_host = host_of(&signer.ap_id)
        .ok_or_else(|| Error::Unauthorized("the signer's id is not a URL".into()))?;
    if actor_host != key_host && !data.host_allowed(&actor_host).await? {
        return Err(Error::Forbidden(format!(
            "{actor_host} is blocked by this instance"
        )));
    }
    if signer.ap_id != envelope.actor {
        return Err(Error::Unauthorized(format!(
            "signed by {} but the activity's actor is {}",
            signer.ap_id, envelope.actor
        )));
    }
    envelope.check_origin()?;
    data.note_host_seen(&key_host).await;
    apply(data, signer, envelope, json).await
}

/// Verifies a signed GET (authorized fetch) and returns who signed it: usually another
/// instance's actor. Documents not everyone may see (a coop's `network` listings) are served
/// only to signers on the hosts allowed to see them. `None` when the request is unsigned.
pub async fn signed_get(
    data: &Data,
    method: &http::Method,
    path_and_query: &str,
    headers: &http::HeaderMap,
) -> Result<Option<cooperage_db::actors::Actor>, Error> {
    if !headers.contains_key("signature") && !headers.contains_key("signature-input") {
        return Ok(None);
    }
    let settings = data.settings();
    let parts = RequestParts {
        method,
        scheme: settings.scheme(),
        authority: &settings.domain,
        path_and_query,
        headers,
    };
    let signature = signatures::parse_signature(&parts)?;
    let now = SystemTime::now();
    signature.check_request(&[], now)?;
    let key_host = host_of(signature.key_id())
        .ok_or_else(|| Error::Unauthorized("keyId is not a URL".into()))?;
    if !data.host_allowed(&key_host).await? {
        return Err(Error::Forbidden(format!(
            "{key_host} is blocked by this instance"
        )));
    }
    let signer = signer::verified_signer(data, &signature, &[], now).await?;
    Ok(Some(signer))
}

/// Recognizes a verified activity, hands it to the writers (group commit) and waits for the
/// outcome; then does what its family asks after the commit.
async fn apply(
    data: &Data,
    signer: cooperage_db::actors::Actor,
    mut envelope: Envelope,
    json: Value,
) -> Result<Received, Error> {
    post::resolve_object(data, &mut envelope).await?;
    let activity = Activity::recognize(&Incoming {
        signer: &signer,
        envelope: &envelope,
        json: &json,
        settings: data.settings(),
    })?;
    let follow_up = activity.follow_up();
    let (key_id, signer_id) = (signer.public_key_id.clone(), signer.ap_id.clone());
    let (reply, outcome) = tokio::sync::oneshot::channel();
    let job = Job {
        signer,
        envelope,
        activity,
        reply,
    };
    data.inbox_writer()
        .send(job)
        .await
        .map_err(|_| Error::Internal {
            what: "the inbox writer stopped",
            source: None,
        })?;
    // A dropped reply: the writer could not store it (logged there); the sender retries.
    let effect = outcome.await.map_err(|_| Error::Internal {
        what: "the activity could not be stored",
        source: None,
    })?;
    let Some(effect) = effect else {
        return Ok(Received::Duplicate);
    };
    match effect {
        Effect::Ignored => return Ok(Received::Ignored),
        Effect::Queued => data.wake_delivery(),
        Effect::Done => {}
    }
    if follow_up.forget_key {
        data.signers().forget(&key_id);
    }
    if follow_up.backfill_listings {
        let data = data.reset_request_count();
        let coop = signer_id.clone();
        tokio::spawn(async move {
            if let Err(error) = crate::skills::backfill(&data, &coop).await {
                tracing::warn!(error = %crate::error_chain(&error), coop, "cannot pull the listings of a coop");
            }
        });
    }
    if follow_up.refresh_members {
        // A coop changed its members, or accepted our follow: fetch its members collection,
        // after answering (the fetch may take a while).
        let data = data.reset_request_count();
        tokio::spawn(async move {
            if let Err(error) = crate::membership::refresh_remote_members(&data, &signer_id).await {
                tracing::warn!(error = %crate::error_chain(&error), coop = signer_id, "cannot refresh the members of a coop");
            }
        });
    }
    Ok(Received::Applied)
}
