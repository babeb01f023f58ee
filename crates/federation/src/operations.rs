//! What an admin (through the CLI or the admin API) does with federation: follow other coops,
//! list the network, answer follow requests, block hosts, publish announcements, see the queue.

use activitypub_federation::config::FederationConfig;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use activitypub_federation::traits::Object;
use cooperage_db::actors::Actor;
use cooperage_db::deliveries::HostQueue;
use cooperage_db::{follows, hosts, posts};

use crate::objects::ApubActor;
use crate::{Data, Error, FederationContext, local_actors, outbox};

/// The federation layer of one instance: its context and activitypub_federation's config.
#[derive(Clone)]
pub struct Federation {
    config: FederationConfig<FederationContext>,
    context: FederationContext,
}

impl Federation {
    /// Sets up federation and makes sure the coop and instance actors exist.
    pub async fn start(context: FederationContext) -> Result<Self, Error> {
        let config = context
            .federation_config()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        local_actors::ensure_instance_actors(&context).await?;
        let instance = local_actors::instance_actor(&context).await?;
        let key = context.signing_key(instance.id).await?;
        context.sign_fetches_with(instance.public_key_id, key);
        Ok(Self { config, context })
    }

    /// Request-scoped data (counts fetches, to bound recursive fetching).
    pub fn data(&self) -> Data {
        self.config.to_request_data()
    }

    pub fn context(&self) -> &FederationContext {
        &self.context
    }
}

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

/// The coop follows another coop (or any actor); returns the target. Sends a Follow; the
/// follow counts once the other side accepts.
pub async fn follow(data: &Data, target: &str) -> Result<Actor, Error> {
    let followed = resolve_actor(data, target).await?;
    if followed.local {
        return Err(Error::BadRequest("that actor is on this instance".into()));
    }
    let coop = local_actors::coop(data).await?;
    let activity = outbox::follow(data.settings(), &coop, &followed);
    let (coop_id, followed_id, follow_id) = (coop.id, followed.id, activity.id.clone());
    data.db()
        .run(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                follows::upsert(conn, coop_id, followed_id, &follow_id, follows::PENDING)?;
                activity.enqueue(conn)
            })
        })
        .await?;
    data.wake_delivery();
    Ok(followed)
}

/// The coop stops following an actor: Undo{Follow} is sent and the follow removed.
pub async fn unfollow(data: &Data, target: &str) -> Result<Actor, Error> {
    let followed = resolve_actor(data, target).await?;
    let coop = local_actors::coop(data).await?;
    let (coop_id, followed_id) = (coop.id, followed.id);
    let follow = data
        .db()
        .run(move |conn| follows::between(conn, coop_id, followed_id))
        .await?;
    let Some(follow) = follow else {
        return Err(Error::BadRequest(format!(
            "the coop does not follow {}",
            followed.ap_id
        )));
    };
    let undo = outbox::undo_follow(data.settings(), &coop, &followed, &follow.activity_id);
    data.db()
        .run(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                follows::remove(conn, follow.id)?;
                undo.enqueue(conn)
            })
        })
        .await?;
    data.wake_delivery();
    Ok(followed)
}

/// Coops that follow the coop and are followed back: its network.
pub async fn network(context: &FederationContext) -> Result<Vec<Actor>, Error> {
    let coop = local_actors::coop(context).await?;
    Ok(context
        .db()
        .run(move |conn| follows::mutual(conn, coop.id))
        .await?)
}

/// Follow requests waiting for approval, for a local actor.
pub async fn pending_followers(
    context: &FederationContext,
    username: &str,
) -> Result<Vec<Actor>, Error> {
    let actor = local_actors::local(context, username)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(context
        .db()
        .run(move |conn| follows::followers(conn, actor.id, follows::PENDING, 0, 1000))
        .await?)
}

/// Accepts or rejects a follower of a local actor; a Reject also removes an accepted follower.
pub async fn answer_follower(
    data: &Data,
    username: &str,
    follower: &str,
    accept: bool,
) -> Result<(), Error> {
    let actor = local_actors::local(data, username)
        .await?
        .ok_or(Error::NotFound)?;
    let follower = resolve_actor(data, follower).await?;
    let (actor_id, follower_id) = (actor.id, follower.id);
    let follow = data
        .db()
        .run(move |conn| follows::between(conn, follower_id, actor_id))
        .await?
        .ok_or_else(|| {
            Error::BadRequest(format!("{} does not follow {username}", follower.ap_id))
        })?;
    let kind = if accept { "Accept" } else { "Reject" };
    let answer = outbox::answer_follow(
        data.settings(),
        kind,
        &actor,
        &follower,
        &follow.activity_id,
    );
    data.db()
        .run(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                if accept {
                    follows::accept(conn, follow.id)?;
                } else {
                    follows::remove(conn, follow.id)?;
                }
                answer.enqueue(conn)
            })
        })
        .await?;
    data.wake_delivery();
    Ok(())
}

/// Turns approval of new followers on or off for a local actor (`manuallyApprovesFollowers`).
pub async fn set_manual_approval(
    context: &FederationContext,
    username: &str,
    on: bool,
) -> Result<(), Error> {
    let actor = local_actors::local(context, username)
        .await?
        .ok_or(Error::NotFound)?;
    context
        .db()
        .run(move |conn| cooperage_db::actors::set_manually_approves(conn, actor.id, on))
        .await?;
    // Followers' servers show "follow request" instead of "follow" once they know.
    announce_actor_update(context, username).await
}

/// Blocks a host: refused at the inbox, never fetched, no deliveries; its follows are removed.
pub async fn block_host(
    context: &FederationContext,
    host: &str,
    reason: Option<String>,
) -> Result<(), Error> {
    let host = normalize_host(host)?;
    context
        .db()
        .run(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                hosts::set_policy(conn, &host, Some(hosts::BLOCK), reason.as_deref())?;
                follows::remove_for_domain(conn, &host)?;
                cooperage_db::deliveries::cancel_for_host(conn, &host)?;
                Ok::<_, cooperage_db::DbError>(())
            })
        })
        .await?;
    context.policies_changed();
    Ok(())
}

/// Allows a host (in allow-list mode, the only hosts federated with).
pub async fn allow_host(context: &FederationContext, host: &str) -> Result<(), Error> {
    let host = normalize_host(host)?;
    context
        .db()
        .run(move |conn| hosts::set_policy(conn, &host, Some(hosts::ALLOW), None))
        .await?;
    context.policies_changed();
    Ok(())
}

/// Removes any policy of a host.
pub async fn clear_host_policy(context: &FederationContext, host: &str) -> Result<(), Error> {
    let host = normalize_host(host)?;
    context
        .db()
        .run(move |conn| hosts::set_policy(conn, &host, None, None))
        .await?;
    context.policies_changed();
    Ok(())
}

/// Hosts with a policy (`block` or `allow`).
pub async fn hosts_with_policy(
    context: &FederationContext,
    policy: &'static str,
) -> Result<Vec<hosts::Host>, Error> {
    Ok(context
        .db()
        .run(move |conn| hosts::with_policy(conn, policy))
        .await?)
}

/// Pending, failed and delivered counts per host.
pub async fn queue(context: &FederationContext) -> Result<Vec<HostQueue>, Error> {
    Ok(context
        .db()
        .run(cooperage_db::deliveries::queue_by_host)
        .await?)
}

/// Publishes a public Note ("announcement") from a local actor to all its followers.
/// `text` is plain text; it is escaped and split into paragraphs.
pub async fn publish_note(
    context: &FederationContext,
    username: &str,
    text: &str,
) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::BadRequest("an announcement needs some text".into()));
    }
    if text.len() > 20_000 {
        return Err(Error::BadRequest(
            "an announcement is at most 20000 bytes".into(),
        ));
    }
    let author = local_actors::local(context, username)
        .await?
        .ok_or(Error::NotFound)?;
    let author_id = author.id;
    let inboxes = context
        .db()
        .run(move |conn| follows::follower_inboxes(conn, author_id))
        .await?;
    let (note, create) =
        outbox::create_note(context.settings(), &author, &paragraphs(text), inboxes);
    let note_id = note["id"].as_str().unwrap_or_default().to_owned();
    let form = posts::PostForm {
        ap_id: note_id.clone(),
        author_id,
        object_type: "Note".into(),
        content: note["content"].as_str().unwrap_or_default().to_owned(),
        object_json: note.to_string(),
        local: true,
        published: cooperage_db::now(),
        updated: None,
    };
    context
        .db()
        .run(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                posts::upsert(conn, &form)?;
                create.enqueue(conn)
            })
        })
        .await?;
    context.wake_delivery();
    Ok(note_id)
}

/// Plain text as HTML paragraphs (blank lines separate them), escaped.
pub fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", escape_html(p.trim()).replace('\n', "<br>")))
        .collect()
}

/// Escapes text for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn normalize_host(host: &str) -> Result<String, Error> {
    let host = host.trim().trim_end_matches('/').to_ascii_lowercase();
    let host = host
        .strip_prefix("https://")
        .or_else(|| host.strip_prefix("http://"))
        .unwrap_or(&host)
        .to_owned();
    if host.is_empty() || host.contains(['/', '@', ' ']) {
        return Err(Error::BadRequest(format!("{host:?} is not a host name")));
    }
    Ok(host)
}

/// Sends `Update` of a local actor's document to its followers: after a profile edit
/// (`Update{Person}`), or, for the coop, after its voting membership changed
/// (`Update{Group}`), so that peers refresh their copy of the `members` collection.
pub async fn announce_actor_update(
    context: &FederationContext,
    username: &str,
) -> Result<(), Error> {
    let actor = local_actors::local(context, username)
        .await?
        .ok_or(Error::NotFound)?;
    let document = local_actors::actor_document(context, &actor).await?;
    let actor_id = actor.id;
    let inboxes = context
        .db()
        .run(move |conn| follows::follower_inboxes(conn, actor_id))
        .await?;
    let update = outbox::update_actor(context.settings(), &actor, document, inboxes);
    outbox::send(context, update).await?;
    Ok(())
}

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
