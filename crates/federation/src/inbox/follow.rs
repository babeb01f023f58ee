//! Follows: `Follow` of one of our actors, `Accept` / `Reject` of our follows, `Undo{Follow}`.

use cooperage_db::{actors, follows};

use super::dispatch::{Effect, FollowUp, Handler, Incoming, Tx};
use super::envelope::id_of;
use crate::{Error, outbox};

/// Someone follows one of our actors.
pub struct Follow {
    id: String,
    /// The actor followed (ours, or the activity is ignored).
    object: String,
    /// A coop following us may be joining our network.
    from_group: bool,
}

impl Handler for Follow {
    const TYPES: &'static [&'static str] = &["Follow"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let object = incoming
            .envelope
            .object_id()
            .ok_or_else(|| Error::BadRequest("Follow without object".into()))?;
        Ok(Some(Self {
            id: incoming.envelope.id.clone(),
            object: object.to_owned(),
            from_group: incoming.signer.actor_type == actors::GROUP,
        }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        let Some(followed) = actors::by_ap_id(tx.conn, &self.object)?.filter(|a| a.local) else {
            return Ok(Effect::Ignored);
        };
        let state = if followed.manually_approves_followers {
            follows::PENDING
        } else {
            follows::ACCEPTED
        };
        let follow = follows::upsert(tx.conn, tx.signer.id, followed.id, &self.id, state)?;
        if follow.state != follows::ACCEPTED {
            return Ok(Effect::Done); // waits for an admin
        }
        // Accepted (also when a known follower knocks again): answer with an Accept.
        outbox::answer_follow(tx.settings, "Accept", &followed, tx.signer, &self.id)
            .enqueue(tx.conn)?;
        joined_network(tx)?;
        Ok(Effect::Queued)
    }

    fn follow_up(&self) -> FollowUp {
        FollowUp {
            backfill_listings: self.from_group,
            ..FollowUp::default()
        }
    }
}

/// A coop and ours now follow each other: it is in our network, and gets the listings it
/// may now see.
fn joined_network(tx: &mut Tx<'_>) -> Result<bool, cooperage_db::DbError> {
    if tx.signer.actor_type != actors::GROUP
        || !crate::skills::in_network(tx.conn, tx.settings, tx.signer.id)?
    {
        return Ok(false);
    }
    let listings = crate::skills::queue_listings_for(tx.conn, tx.settings, tx.signer)?;
    let offers = crate::offers::queue_offers_for(tx.conn, tx.settings, tx.signer)?;
    Ok(listings + offers > 0)
}

/// `Accept` or `Reject` of one of our Follows, from the actor we asked to follow.
pub struct Answer {
    accepted: bool,
    /// The id of our Follow, as the answer names it.
    follow_id: Option<String>,
    /// Our actor that followed, when the answer embeds a Follow of its own making.
    follower: Option<String>,
    /// A coop accepting our follow has members to fetch.
    from_group: bool,
}

impl Handler for Answer {
    const TYPES: &'static [&'static str] = &["Accept", "Reject"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let envelope = incoming.envelope;
        let accepted = envelope.kind == "Accept";
        Ok(Some(Self {
            accepted,
            follow_id: envelope.object_id().map(str::to_owned),
            follower: envelope
                .object
                .get("actor")
                .and_then(id_of)
                .map(str::to_owned),
            from_group: accepted && incoming.signer.actor_type == actors::GROUP,
        }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        let mut follow = match &self.follow_id {
            Some(id) => follows::by_activity_id(tx.conn, id)?,
            None => None,
        };
        if follow.is_none() {
            // Some servers answer with a Follow of their own making: match by actor and object.
            if let Some(local) = match &self.follower {
                Some(follower) => actors::by_ap_id(tx.conn, follower)?,
                None => None,
            } {
                follow = follows::between(tx.conn, local.id, tx.signer.id)?;
            }
        }
        let Some(follow) = follow.filter(|f| f.followed_id == tx.signer.id) else {
            return Ok(Effect::Ignored);
        };
        if !self.accepted {
            follows::remove(tx.conn, follow.id)?;
            return Ok(Effect::Done);
        }
        follows::accept(tx.conn, follow.id)?;
        Ok(if joined_network(tx)? {
            Effect::Queued
        } else {
            Effect::Done
        })
    }

    fn follow_up(&self) -> FollowUp {
        FollowUp {
            refresh_members: self.from_group,
            backfill_listings: self.from_group,
            ..FollowUp::default()
        }
    }
}

/// `Undo` of a Follow: by the Follow's id, or by its actor and object.
pub struct Undo {
    follow_id: Option<String>,
    /// The actor that was followed, when the Undo embeds the Follow.
    followed: Option<String>,
}

impl Handler for Undo {
    const TYPES: &'static [&'static str] = &["Undo"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let envelope = incoming.envelope;
        let followed = (envelope.object_type() == Some("Follow"))
            .then(|| envelope.object.get("object").and_then(id_of))
            .flatten()
            .map(str::to_owned);
        Ok(Some(Self {
            follow_id: envelope.object_id().map(str::to_owned),
            followed,
        }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        let signer = tx.signer.id;
        let mut follow = match &self.follow_id {
            Some(id) => follows::by_activity_id(tx.conn, id)?.filter(|f| f.follower_id == signer),
            None => None,
        };
        if follow.is_none()
            && let Some(followed) = match &self.followed {
                Some(target) => actors::by_ap_id(tx.conn, target)?,
                None => None,
            }
        {
            follow = follows::between(tx.conn, signer, followed.id)?;
        }
        match follow {
            Some(follow) => {
                follows::remove(tx.conn, follow.id)?;
                if tx.signer.actor_type == actors::GROUP {
                    // The coop left our network: its listings leave our directory.
                    cooperage_db::skills::delete_of_coop(tx.conn, tx.signer.id)?;
                    cooperage_db::offers::delete_of_coop(tx.conn, tx.signer.id)?;
                }
                Ok(Effect::Done)
            }
            None => Ok(Effect::Ignored),
        }
    }
}
