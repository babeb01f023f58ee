//! Project offers and applications from other instances: `Create` / `Update` of an offer
//! Note and `Delete` of its Tombstone (from a coop); an application's `Offer` and its `Undo`
//! (from a member), and the offering coop's `Accept` / `Reject` of it. Asked before the
//! follow answers and posts, which would otherwise take them for their own.

use cooperage_db::offers::{self, OfferForm};
use serde_json::Value;

use super::dispatch::{Effect, Handler, Incoming, Tx};
use crate::Error;
use crate::offers::{
    ReceivedApplication, read_application, read_note, store_answer, store_application,
    store_received, store_withdrawal,
};
use crate::protocol::offer::{APPLICATION_KIND, ApplicationOffer, KIND, OfferNote};

fn kind_of(object: &Value) -> Option<&str> {
    object.get("coopKind").and_then(Value::as_str)
}

/// Whether an object is an application's `Offer` (embedded in an answer or an Undo).
fn is_application(object: &Value) -> bool {
    object.get("type").and_then(Value::as_str) == Some("Offer")
        && object.get("object").and_then(kind_of) == Some(APPLICATION_KIND)
}

fn done(stored: bool) -> Effect {
    if stored {
        Effect::Done
    } else {
        Effect::Ignored
    }
}

/// An offer published or changed (closed too) by its coop.
pub struct OfferPublished(OfferForm);

impl Handler for OfferPublished {
    const TYPES: &'static [&'static str] = &["Create", "Update"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let object = &incoming.envelope.object;
        if kind_of(object) != Some(KIND) {
            return Ok(None);
        }
        let note: OfferNote = serde_json::from_value(object.clone())
            .map_err(|e| Error::BadRequest(format!("not a project offer: {e}")))?;
        Ok(Some(Self(read_note(&note, incoming.signer)?)))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        Ok(done(store_received(tx.conn, tx.settings, &self.0)?))
    }
}

/// An offer its coop removed.
pub struct OfferDeleted {
    id: String,
}

impl Handler for OfferDeleted {
    const TYPES: &'static [&'static str] = &["Delete"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        if kind_of(&incoming.envelope.object) != Some(KIND) {
            return Ok(None);
        }
        Ok(incoming
            .envelope
            .object_id()
            .map(|id| Self { id: id.to_owned() }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        Ok(done(offers::delete_remote(
            tx.conn,
            &self.id,
            tx.signer.id,
        )?))
    }
}

/// A member of another coop applies to one of our offers.
pub struct ApplicationReceived(ReceivedApplication);

impl Handler for ApplicationReceived {
    const TYPES: &'static [&'static str] = &["Offer"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        if !is_application(incoming.json) {
            return Ok(None);
        }
        let offer: ApplicationOffer = serde_json::from_value(incoming.json.clone())
            .map_err(|e| Error::BadRequest(format!("not an application: {e}")))?;
        Ok(Some(Self(read_application(&offer, incoming.signer)?)))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        Ok(done(store_application(
            tx.conn,
            tx.settings,
            tx.signer,
            &self.0,
        )?))
    }
}

/// The offering coop accepts or declines one of our members' applications; or the applicant
/// withdraws theirs (`Undo`).
pub struct ApplicationAnswered {
    kind: Answer,
    /// The id of the application's Offer activity.
    offer_activity: String,
}

enum Answer {
    Accept,
    Reject,
    Undo,
}

impl Handler for ApplicationAnswered {
    const TYPES: &'static [&'static str] = &["Accept", "Reject", "Undo"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let envelope = incoming.envelope;
        if !is_application(&envelope.object) {
            return Ok(None);
        }
        let offer_activity = envelope
            .object_id()
            .ok_or_else(|| Error::BadRequest("answer to an application without its id".into()))?
            .to_owned();
        let kind = match envelope.kind.as_str() {
            "Accept" => Answer::Accept,
            "Reject" => Answer::Reject,
            _ => Answer::Undo,
        };
        Ok(Some(Self {
            kind,
            offer_activity,
        }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        Ok(done(match self.kind {
            Answer::Accept => store_answer(tx.conn, tx.signer, &self.offer_activity, true)?,
            Answer::Reject => store_answer(tx.conn, tx.signer, &self.offer_activity, false)?,
            Answer::Undo => store_withdrawal(tx.conn, tx.signer, &self.offer_activity)?,
        }))
    }
}
