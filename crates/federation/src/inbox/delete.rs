//! `Delete` of a post, or of the actor itself.

use cooperage_db::{follows, posts};

use super::dispatch::{Effect, FollowUp, Handler, Incoming, Tx};
use crate::Error;

/// What the signer deletes.
pub enum Delete {
    /// The actor deleted itself: it follows nobody here and nobody follows it any more.
    Actor,
    /// One of its objects (only its own: the author is checked in the database).
    Object(String),
}

impl Handler for Delete {
    const TYPES: &'static [&'static str] = &["Delete"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        Ok(incoming.envelope.object_id().map(|id| {
            if id == incoming.signer.ap_id {
                Delete::Actor
            } else {
                Delete::Object(id.to_owned())
            }
        }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        Ok(match self {
            Delete::Actor => {
                follows::remove_all_of(tx.conn, tx.signer.id)?;
                Effect::Done
            }
            Delete::Object(id) if posts::mark_deleted(tx.conn, id, tx.signer.id)? => Effect::Done,
            Delete::Object(_) => Effect::Ignored,
        })
    }

    fn follow_up(&self) -> FollowUp {
        FollowUp {
            forget_key: matches!(self, Delete::Actor),
            ..FollowUp::default()
        }
    }
}
