//! The inbox: nothing is stored before the request's signature is verified.
//!
//! Order: signature parsed → signer's host checked against policy → key found (cache, database,
//! then a fetch) → signature and digest verified (one refetch of the key on failure, for
//! rotated keys) → signer must be the activity's actor, ids on the actor's host → the activity
//! is applied in one transaction with its id recorded, so a duplicate has no second effect.

mod apply;
mod envelope;
mod signer;

use std::time::SystemTime;

use serde_json::Value;

use crate::settings::host_of;
use crate::signatures::{self, RequestParts};
use crate::{Data, Error};

pub use apply::{Job, spawn_writer};
pub use envelope::{Envelope, id_of};
pub use signer::SignerCache;

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
    let refresh = refreshes_members(&signer, &envelope).then(|| signer.ap_id.clone());
    let received = apply::apply(data, signer, envelope, json).await?;
    if let (Received::Applied, Some(coop)) = (received, refresh) {
        // A coop changed its members, or accepted our follow: fetch its members collection,
        // after answering (the fetch may take a while).
        let data = data.reset_request_count();
        tokio::spawn(async move {
            if let Err(error) = crate::operations::refresh_remote_members(&data, &coop).await {
                tracing::warn!(%error, coop, "cannot refresh the members of a coop");
            }
        });
    }
    Ok(received)
}

/// A Group announcing an update of itself, or accepting our follow, has members to refresh.
fn refreshes_members(signer: &cooperage_db::actors::Actor, envelope: &Envelope) -> bool {
    signer.actor_type == cooperage_db::actors::GROUP
        && match envelope.kind.as_str() {
            "Update" => envelope.object_id() == Some(signer.ap_id.as_str()),
            "Accept" => true,
            _ => false,
        }
}
