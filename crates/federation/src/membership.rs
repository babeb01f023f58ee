//! "Is X a voting member of coop Y?": each coop attests its own voting members in a
//! `members` collection; we keep a copy per coop (see ARCHITECTURE.md).

use activitypub_federation::traits::Object;

use crate::objects::ApubActor;
use crate::{Data, Error, FederationContext};

/// Fetches a remote coop's `members` collection and stores who it attests as voting
/// members. Only actors on the coop's own host are accepted: a coop vouches for its own
/// people, never for another coop's.
pub async fn refresh_remote_members(data: &Data, coop_ap_id: &str) -> Result<Vec<String>, Error> {
    // One fetch of the coop's document serves twice: it refreshes our copy of the actor and
    // names its members collection.
    let coop_url = url::Url::parse(coop_ap_id).map_err(|e| Error::BadRequest(e.to_string()))?;
    let document =
        activitypub_federation::fetch::fetch_object_http::<_, serde_json::Value>(&coop_url, data)
            .await?
            .object;
    <ApubActor as Object>::verify(&document, &coop_url, data).await?;
    let coop = <ApubActor as Object>::from_json(document.clone(), data).await?;
    let Some(collection) = document.get("members").and_then(|m| m.as_str()) else {
        return Ok(Vec::new()); // not a Cooperage coop: it attests nobody
    };
    let collection_url =
        url::Url::parse(collection).map_err(|e| Error::BadRequest(e.to_string()))?;
    let host = crate::settings::host_of(coop_ap_id);
    if crate::settings::host_of(collection) != host {
        return Err(Error::Forbidden(
            "members collection on another host".into(),
        ));
    }
    let members = activitypub_federation::fetch::fetch_object_http::<_, serde_json::Value>(
        &collection_url,
        data,
    )
    .await?
    .object;
    let ids: Vec<String> = members
        .get("orderedItems")
        .and_then(|items| items.as_array())
        .into_iter()
        .flatten()
        .filter_map(|item| crate::inbox::id_of(item).map(str::to_owned))
        .filter(|id| crate::settings::host_of(id) == host)
        .collect();
    let (coop_id, stored) = (coop.row.id, ids.clone());
    data.db()
        .run(move |conn| cooperage_db::memberships::replace(conn, coop_id, &stored))
        .await?;
    Ok(ids)
}

/// Whether `actor` is a voting member of `coop` (both ActivityPub ids): asked of our own
/// members for our coop, and of the last attested collection for other coops.
pub async fn is_voting_member(
    context: &FederationContext,
    actor: &str,
    coop: &str,
) -> Result<bool, Error> {
    let (actor, coop) = (actor.to_owned(), coop.to_owned());
    let local_coop = context.settings().actor_id(&context.settings().coop_handle);
    Ok(context
        .db()
        .run(move |conn| {
            if coop == local_coop {
                return Ok(cooperage_db::members::voting_actor_ids(conn)?.contains(&actor));
            }
            match cooperage_db::actors::by_ap_id(conn, &coop)? {
                Some(coop) => cooperage_db::memberships::is_member(conn, coop.id, &actor),
                None => Ok(false),
            }
        })
        .await?)
}
