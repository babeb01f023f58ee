//! Skill listings from other coops: `Create` / `Update` of a listing Note, `Delete` of its
//! Tombstone. Asked before the post family, which would otherwise take them for posts.

use cooperage_db::skills;
use serde_json::Value;

use super::dispatch::{Effect, Handler, Incoming, Tx};
use crate::Error;
use crate::protocol::skill::{KIND, ListingNote};
use crate::skills::{Received, read_note, store_received};

/// Whether an object is one of our skill listings (or its Tombstone).
fn is_listing(object: &Value) -> bool {
    object.get("coopKind").and_then(Value::as_str) == Some(KIND)
}

/// A listing published or changed by its member.
pub struct ListingPublished(Received);

impl Handler for ListingPublished {
    const TYPES: &'static [&'static str] = &["Create", "Update"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let object = &incoming.envelope.object;
        if !is_listing(object) {
            return Ok(None);
        }
        let note: ListingNote = serde_json::from_value(object.clone())
            .map_err(|e| Error::BadRequest(format!("not a skill listing: {e}")))?;
        Ok(Some(Self(read_note(&note, incoming.signer)?)))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        Ok(if store_received(tx.conn, tx.settings, &self.0)? {
            Effect::Done
        } else {
            Effect::Ignored
        })
    }
}

/// A listing its member removed, or that we may no longer see.
pub struct ListingDeleted {
    id: String,
}

impl Handler for ListingDeleted {
    const TYPES: &'static [&'static str] = &["Delete"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let object = &incoming.envelope.object;
        if !is_listing(object) {
            return Ok(None);
        }
        Ok(incoming
            .envelope
            .object_id()
            .map(|id| Self { id: id.to_owned() }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        Ok(if skills::delete_remote(tx.conn, &self.id, tx.signer.id)? {
            Effect::Done
        } else {
            Effect::Ignored
        })
    }
}
