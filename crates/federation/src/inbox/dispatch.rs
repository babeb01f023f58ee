//! Typed dispatch: each activity family (one file each) recognizes its activities with a pure
//! check before the transaction and applies them inside it. The list of families is written
//! once, in [`families!`]; adding a kind of object is a new file and one line there.

use std::collections::HashMap;

use cooperage_db::actors::Actor;
use cooperage_db::{AnyConnection, DbError};
use serde_json::Value;

use super::envelope::Envelope;
use super::{actor, delete, follow, offer, post, proposal, skill};
use crate::{Error, Settings};

/// What applying an activity did, before commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Done,
    /// Verified and recorded, but nothing for us to do (not addressed here, unknown object).
    Ignored,
    /// Done, and something was queued for delivery.
    Queued,
}

/// Work after the commit, outside the transaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowUp {
    /// The signer's actor document changed: drop its cached key.
    pub forget_key: bool,
    /// A coop announced a change of its voting members (or accepted our follow): refetch its
    /// `members` collection.
    pub refresh_members: bool,
    /// A coop may have joined our network: pull its skill listings.
    pub backfill_listings: bool,
}

/// A verified activity, as every family sees it while recognizing.
pub struct Incoming<'a> {
    pub signer: &'a Actor,
    pub envelope: &'a Envelope,
    /// The whole activity as received (with a fetched object in place of a bare URL).
    pub json: &'a Value,
    pub settings: &'a Settings,
}

/// The transaction an activity is applied in, with what the batch has learnt so far.
pub struct Tx<'a> {
    pub conn: &'a mut AnyConnection,
    pub settings: &'a Settings,
    pub signer: &'a Actor,
    /// Whether someone here follows an actor, asked once per actor and batch.
    followed_here: &'a mut HashMap<i64, bool>,
}

impl Tx<'_> {
    /// Whether one of our actors follows `actor` (cached for the batch: a busy author's
    /// posts arrive many to a batch).
    pub fn followed_here(&mut self, actor_id: i64) -> Result<bool, DbError> {
        if let Some(followed) = self.followed_here.get(&actor_id) {
            return Ok(*followed);
        }
        let followed = cooperage_db::follows::has_local_follower(self.conn, actor_id)?;
        self.followed_here.insert(actor_id, followed);
        Ok(followed)
    }
}

/// One family of activities: Follow and its answers, posts, actor updates, deletes, ...
pub trait Handler: Sized {
    /// The activity types (`type`) this family may handle.
    const TYPES: &'static [&'static str];

    /// Reads the activity into this family's typed form and refuses what no one may store,
    /// without the database. `Ok(None)`: not this family's (an `Update` of a Note is not an
    /// actor update); the next family is asked.
    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error>;

    /// Applies it inside the batch's transaction; its id is already recorded.
    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, DbError>;

    /// What to do after the commit when the activity was applied.
    fn follow_up(&self) -> FollowUp {
        FollowUp::default()
    }
}

macro_rules! families {
    ($( $variant:ident($handler:ty) ),+ $(,)?) => {
        /// An incoming activity in the typed form of the family that handles it.
        pub enum Activity {
            $( $variant($handler), )+
            /// No family handles it: recorded (so a duplicate is cheap) and ignored.
            Unknown,
        }

        impl Activity {
            /// Asks each family in turn; the first that recognizes the activity takes it.
            pub fn recognize(incoming: &Incoming<'_>) -> Result<Self, Error> {
                let kind = incoming.envelope.kind.as_str();
                $(
                    if <$handler as Handler>::TYPES.contains(&kind)
                        && let Some(activity) = <$handler as Handler>::recognize(incoming)?
                    {
                        return Ok(Self::$variant(activity));
                    }
                )+
                Ok(Self::Unknown)
            }

            pub fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, DbError> {
                match self {
                    $( Self::$variant(activity) => activity.apply(tx), )+
                    Self::Unknown => Ok(Effect::Ignored),
                }
            }

            pub fn follow_up(&self) -> FollowUp {
                match self {
                    $( Self::$variant(activity) => activity.follow_up(), )+
                    Self::Unknown => FollowUp::default(),
                }
            }
        }
    };
}

// The order matters only where two families share a type: an actor's `Update` of itself is
// asked before a post's `Update`, and our own object kinds (skill listings) before posts and
// plain deletes.
families! {
    // Before `Answer` and `Undo`, which take every Accept, Reject and Undo for a follow's.
    ApplicationAnswered(offer::ApplicationAnswered),
    Follow(follow::Follow),
    Answer(follow::Answer),
    Undo(follow::Undo),
    ActorUpdate(actor::ActorUpdate),
    ListingPublished(skill::ListingPublished),
    ListingDeleted(skill::ListingDeleted),
    OfferPublished(offer::OfferPublished),
    OfferDeleted(offer::OfferDeleted),
    ApplicationReceived(offer::ApplicationReceived),
    Proposal(proposal::ProposalActivity),
    Post(post::PostActivity),
    Announce(post::Announce),
    Delete(delete::Delete),
}

/// Applies a batch of recognized activities inside one transaction: records their ids first
/// (one statement for the batch), so a duplicate ends there with no second effect (`None`).
pub fn apply_recorded(
    conn: &mut AnyConnection,
    settings: &Settings,
    batch: &[(Actor, Envelope, Activity)],
) -> Result<Vec<Option<Effect>>, DbError> {
    let ids: Vec<(&str, i64, &str)> = batch
        .iter()
        .map(|(signer, envelope, _)| (envelope.id.as_str(), signer.id, envelope.kind.as_str()))
        .collect();
    let new = cooperage_db::received::record_all(conn, &ids)?;
    let mut followed_here = HashMap::new();
    batch
        .iter()
        .zip(new)
        .map(|((signer, _, activity), new)| {
            if !new {
                return Ok(None);
            }
            let mut tx = Tx {
                conn,
                settings,
                signer,
                followed_here: &mut followed_here,
            };
            activity.apply(&mut tx).map(Some)
        })
        .collect()
}
