//! Finding remote actors by handle or URL.

use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use cooperage_db::actors::Actor;

use crate::objects::ApubActor;
use crate::{Data, Error, FederationContext};

/// Finds a remote actor by `@user@host`, `user@host` or actor URL (WebFinger, then fetch).
pub async fn resolve_actor(data: &Data, target: &str) -> Result<Actor, Error> {
    let target = target.trim();
    if target.starts_with("http://") || target.starts_with("https://") {
        let id = ObjectId::<ApubActor>::parse(target)
            .map_err(|e| Error::BadRequest(format!("{target}: {e}")))?;
        return Ok(id.dereference(data).await?.row);
    }
    let handle = target.strip_prefix('@').unwrap_or(target);
    let (user, host) = handle
        .split_once('@')
        .ok_or_else(|| Error::BadRequest(format!("{target:?} is neither @user@host nor a URL")))?;
    if user.is_empty() || host.is_empty() {
        return Err(Error::BadRequest(format!(
            "{target:?} is neither @user@host nor a URL"
        )));
    }
    if !data.host_allowed(host).await? {
        return Err(Error::Forbidden(format!(
            "{host} is blocked by this instance"
        )));
    }
    Ok(
        webfinger_resolve_actor::<FederationContext, ApubActor>(handle, data)
            .await?
            .row,
    )
}
