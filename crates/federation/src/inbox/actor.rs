//! `Update` of an actor by itself: a new name, key, inbox or, for a coop, new members.

use cooperage_db::actors::{self, ActorForm};

use super::dispatch::{Effect, FollowUp, Handler, Incoming, Tx};
use crate::Error;
use crate::objects::actor::remote_actor_form;

/// The signer's new actor document, parsed and checked before the transaction.
pub struct ActorUpdate {
    form: ActorForm,
    /// A coop's update may change its voting members.
    group: bool,
}

impl Handler for ActorUpdate {
    const TYPES: &'static [&'static str] = &["Update"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        if incoming.envelope.object_id() != Some(incoming.signer.ap_id.as_str()) {
            return Ok(None);
        }
        let remote = serde_json::from_value(incoming.envelope.object.clone())
            .map_err(|e| Error::BadRequest(format!("not an actor document: {e}")))?;
        let form = remote_actor_form(&remote, incoming.settings.debug)?;
        // A key we could not read would lock the actor out of its next request.
        crate::signatures::PublicKey::from_pem(&form.public_key_pem)
            .map_err(|e| Error::BadRequest(format!("the actor's new key cannot be read: {e}")))?;
        Ok(Some(Self {
            group: incoming.signer.actor_type == actors::GROUP,
            form,
        }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        actors::upsert(tx.conn, &self.form)?;
        Ok(Effect::Done)
    }

    fn follow_up(&self) -> FollowUp {
        FollowUp {
            forget_key: true,
            refresh_members: self.group,
            ..FollowUp::default()
        }
    }
}
