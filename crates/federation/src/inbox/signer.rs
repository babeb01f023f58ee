//! Who signed a request: the key id's actor, from cache, database or a fetch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use activitypub_federation::fetch::object_id::ObjectId;
use cooperage_db::actors::{self, Actor};
use serde_json::Value;

use crate::objects::ApubActor;
use crate::signatures::{PublicKey, SignatureError, SignatureInput};
use crate::{Data, Error};

/// A remote actor's parsed key, with the actor it belongs to.
pub struct Signer {
    pub key: PublicKey,
    pub actor: Actor,
}

/// Parsed keys by key id: parsing a PEM costs more than verifying with it.
#[derive(Default)]
pub struct SignerCache {
    entries: Mutex<HashMap<String, Arc<Signer>>>,
}

/// Most keys kept; past it the cache starts over (cheap, and rare on a coop's instance).
const MAX_CACHED: usize = 10_000;

impl SignerCache {
    fn get(&self, key_id: &str) -> Option<Arc<Signer>> {
        self.entries
            .lock()
            .expect("signer cache")
            .get(key_id)
            .cloned()
    }

    fn insert(&self, key_id: &str, signer: Arc<Signer>) {
        let mut entries = self.entries.lock().expect("signer cache");
        if entries.len() >= MAX_CACHED {
            entries.clear();
        }
        entries.insert(key_id.to_owned(), signer);
    }

    /// Forgets a key (its actor was refetched or deleted).
    pub fn forget(&self, key_id: &str) {
        self.entries.lock().expect("signer cache").remove(key_id);
    }
}

/// Verifies the request's signature and returns its signer.
pub async fn verified_signer(
    data: &Data,
    signature: &SignatureInput,
    body: &[u8],
    now: SystemTime,
) -> Result<Actor, Error> {
    let key_id = signature.key_id();
    let (signer, fresh) = match data.signers().get(key_id) {
        Some(signer) => (signer, false),
        None => load(data, key_id, false).await?,
    };
    match signature.verify(&signer.key, body, now) {
        Ok(()) => Ok(signer.actor.clone()),
        // The actor may have rotated its key: refetch it once and try again.
        Err(SignatureError::Mismatch) if !fresh => {
            let (signer, _) = load(data, key_id, true).await?;
            signature.verify(&signer.key, body, now)?;
            Ok(signer.actor.clone())
        }
        Err(error) => Err(error.into()),
    }
}

/// Finds the key (database first unless `refetch`), caches it; says whether it was fetched.
async fn load(data: &Data, key_id: &str, refetch: bool) -> Result<(Arc<Signer>, bool), Error> {
    let owned = key_id.to_owned();
    let known = if refetch {
        None
    } else {
        data.db()
            .run(move |conn| actors::by_key_id(conn, &owned))
            .await?
    };
    let (actor, fetched) = match known {
        Some(actor) => (actor, false),
        None => (fetch_key_owner(data, key_id, refetch).await?, true),
    };
    if actor.public_key_id != key_id {
        return Err(Error::Unauthorized(format!(
            "{} does not own key {key_id}",
            actor.ap_id
        )));
    }
    let signer = Arc::new(Signer {
        key: PublicKey::from_pem(&actor.public_key_pem)?,
        actor,
    });
    data.signers().insert(key_id, signer.clone());
    Ok((signer, fetched))
}

/// Fetches the actor a key id belongs to: `actor#main-key` names the actor document itself;
/// `…/main-key` (GoToSocial) is a key document whose `owner` is the actor.
async fn fetch_key_owner(data: &Data, key_id: &str, forced: bool) -> Result<Actor, Error> {
    let mut url =
        url::Url::parse(key_id).map_err(|_| Error::Unauthorized("keyId is not a URL".into()))?;
    url.set_fragment(None);
    let dereference = |id: url::Url| async move {
        let id = ObjectId::<ApubActor>::from(id);
        if forced {
            id.dereference_forced(data).await
        } else {
            id.dereference(data).await
        }
    };
    match dereference(url.clone()).await {
        Ok(actor) => Ok(actor.row),
        Err(actor_error) => {
            // Not an actor: maybe a key document pointing at its owner.
            let document = activitypub_federation::fetch::fetch_object_http::<_, Value>(&url, data)
                .await
                .map_err(|_| actor_error)?
                .object;
            let owner = document
                .get("owner")
                .and_then(Value::as_str)
                .and_then(|o| url::Url::parse(o).ok())
                .ok_or_else(|| {
                    Error::Unauthorized(format!("{key_id} is neither an actor nor a key"))
                })?;
            if owner.host_str() != url.host_str() {
                return Err(Error::Unauthorized("key owner on another host".into()));
            }
            Ok(dereference(owner).await?.row)
        }
    }
}
