//! What admins do with the federation: follow other coops, see the network, answer follow
//! requests, set host policy, watch the delivery queue.

use cooperage_db::actors::{self, Actor};
use cooperage_db::deliveries::HostQueue;
use cooperage_db::{follows, hosts};
use cooperage_federation::resolve::resolve_actor;
use cooperage_federation::{local_actors, outbox};

use crate::{App, Error};

/// The coop follows another coop (or any actor); returns the target. Sends a Follow; the
/// follow counts once the other side accepts.
pub async fn follow(app: &App, target: &str) -> Result<Actor, Error> {
    let followed = resolve_actor(&app.data(), target).await?;
    if followed.local {
        return Err(Error::BadRequest("that actor is on this instance".into()));
    }
    let coop = local_actors::coop(app.context()).await?;
    let target = followed.clone();
    app.write(move |conn, settings| {
        let activity = outbox::follow(settings, &coop, &target);
        follows::upsert(conn, coop.id, target.id, &activity.id, follows::PENDING)?;
        activity.enqueue(conn)?;
        Ok(())
    })
    .await?;
    Ok(followed)
}

/// Where the coop's follow of an actor stands, for commands that wait for the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowState {
    /// Accepted: the coop receives the actor's posts.
    Accepted,
    /// Not answered yet; `delivered` says whether the Follow reached the other side, and
    /// `failed` that its delivery was given up.
    Pending { delivered: bool, failed: bool },
    /// No follow: never made, rejected or undone.
    Absent,
}

/// Where the coop's follow of `followed` stands (read-only; the running instance's delivery
/// worker and inbox move it on).
pub async fn follow_state(app: &App, followed: &Actor) -> Result<FollowState, Error> {
    let coop = local_actors::coop(app.context()).await?;
    let followed_id = followed.id;
    app.read(move |conn| {
        let Some(follow) = follows::between(conn, coop.id, followed_id)? else {
            return Ok(FollowState::Absent);
        };
        if follow.state == follows::ACCEPTED {
            return Ok(FollowState::Accepted);
        }
        let states = cooperage_db::deliveries::states_of(conn, &follow.activity_id)?;
        Ok(FollowState::Pending {
            delivered: states.iter().any(|s| s == cooperage_db::deliveries::DONE),
            failed: !states.is_empty()
                && states.iter().all(|s| s == cooperage_db::deliveries::FAILED),
        })
    })
    .await
}

/// The coop stops following an actor: `Undo{Follow}` is sent and the follow removed.
pub async fn unfollow(app: &App, target: &str) -> Result<Actor, Error> {
    let followed = resolve_actor(&app.data(), target).await?;
    let coop = local_actors::coop(app.context()).await?;
    let target = followed.clone();
    app.write(move |conn, settings| {
        let Some(follow) = follows::between(conn, coop.id, target.id)? else {
            return Err(Error::BadRequest(format!(
                "the coop does not follow {}",
                target.ap_id
            )));
        };
        follows::remove(conn, follow.id)?;
        // It leaves our network: its listings leave our directory.
        cooperage_db::skills::delete_of_coop(conn, target.id)?;
        cooperage_db::offers::delete_of_coop(conn, target.id)?;
        outbox::undo_follow(settings, &coop, &target, &follow.activity_id).enqueue(conn)?;
        Ok(())
    })
    .await?;
    Ok(followed)
}

/// Coops that follow the coop and are followed back: its network.
pub async fn network(app: &App) -> Result<Vec<Actor>, Error> {
    let coop = local_actors::coop(app.context()).await?;
    app.read(move |conn| follows::mutual(conn, coop.id)).await
}

async fn local_actor(app: &App, username: &str) -> Result<Actor, Error> {
    local_actors::local(app.context(), username)
        .await?
        .ok_or(Error::NotFound)
}

/// Follow requests waiting for approval, for a local actor.
pub async fn pending_followers(app: &App, username: &str) -> Result<Vec<Actor>, Error> {
    let actor = local_actor(app, username).await?;
    app.read(move |conn| follows::followers(conn, actor.id, follows::PENDING, 0, 1000))
        .await
}

/// Accepts or rejects a follower of a local actor; a Reject also removes an accepted
/// follower.
pub async fn answer_follower(
    app: &App,
    username: &str,
    follower: &str,
    accept: bool,
) -> Result<(), Error> {
    let actor = local_actor(app, username).await?;
    let follower = resolve_actor(&app.data(), follower).await?;
    let username = username.to_owned();
    app.write(move |conn, settings| {
        let follow = follows::between(conn, follower.id, actor.id)?.ok_or_else(|| {
            Error::BadRequest(format!("{} does not follow {username}", follower.ap_id))
        })?;
        let kind = if accept {
            follows::accept(conn, follow.id)?;
            "Accept"
        } else {
            follows::remove(conn, follow.id)?;
            "Reject"
        };
        outbox::answer_follow(settings, kind, &actor, &follower, &follow.activity_id)
            .enqueue(conn)?;
        Ok(())
    })
    .await
}

/// Turns approval of new followers on or off for a local actor (`manuallyApprovesFollowers`);
/// followers' servers learn it from the actor's `Update`.
pub async fn set_manual_approval(app: &App, username: &str, on: bool) -> Result<(), Error> {
    let actor = local_actor(app, username).await?;
    app.write(move |conn, settings| {
        actors::set_manually_approves(conn, actor.id, on)?;
        let actor = actors::by_id(conn, actor.id)?;
        outbox::queue_actor_update(conn, settings, &actor)?;
        Ok(())
    })
    .await
}

/// Blocks a host: refused at the inbox, never fetched, no deliveries; its follows are removed.
pub async fn block_host(app: &App, host: &str, reason: Option<String>) -> Result<(), Error> {
    let host = normalize_host(host)?;
    app.write(move |conn, _| {
        hosts::set_policy(conn, &host, Some(hosts::BLOCK), reason.as_deref())?;
        follows::remove_for_domain(conn, &host)?;
        cooperage_db::skills::delete_of_domain(conn, &host)?;
        cooperage_db::offers::delete_of_domain(conn, &host)?;
        cooperage_db::deliveries::cancel_for_host(conn, &host)?;
        Ok(())
    })
    .await?;
    app.context().policies_changed();
    Ok(())
}

/// Allows a host (in allow-list mode, the only hosts federated with).
pub async fn allow_host(app: &App, host: &str) -> Result<(), Error> {
    let host = normalize_host(host)?;
    app.read(move |conn| hosts::set_policy(conn, &host, Some(hosts::ALLOW), None))
        .await?;
    app.context().policies_changed();
    Ok(())
}

/// Removes any policy of a host.
pub async fn clear_host_policy(app: &App, host: &str) -> Result<(), Error> {
    let host = normalize_host(host)?;
    app.read(move |conn| hosts::set_policy(conn, &host, None, None))
        .await?;
    app.context().policies_changed();
    Ok(())
}

/// Hosts with a policy (`block` or `allow`).
pub async fn hosts_with_policy(app: &App, policy: &'static str) -> Result<Vec<hosts::Host>, Error> {
    app.read(move |conn| hosts::with_policy(conn, policy)).await
}

/// Pending, failed and delivered counts per host.
pub async fn queue(app: &App) -> Result<Vec<HostQueue>, Error> {
    app.read(cooperage_db::deliveries::queue_by_host).await
}

fn normalize_host(host: &str) -> Result<String, Error> {
    let host = host.trim().trim_end_matches('/').to_ascii_lowercase();
    let host = host
        .strip_prefix("https://")
        .or_else(|| host.strip_prefix("http://"))
        .unwrap_or(&host)
        .to_owned();
    if host.is_empty() || host.contains(['/', '@', ' ']) {
        return Err(Error::invalid(
            "host",
            format!("{host:?} is not a host name"),
        ));
    }
    Ok(host)
}
