//! Who signed a request: the key id's actor, from cache, database or a fetch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use activitypub_federation::fetch::object_id::ObjectId;
use cooperage_db::actors::{self, Actor};
use serde_json::Value;

use crate::objects::ApubActor;
use crate::settings::host_of;
use crate::signatures::{PublicKey, SignatureError, SignatureInput};
use crate::{Data, Error};

/// A remote actor's parsed key, with the actor it belongs to.
pub struct Signer {
    pub key: PublicKey,
    pub actor: Actor,
}

/// Parsed keys by key id (parsing a PEM costs more than verifying with it), and what bounds
/// the fetches a stranger can make us do: every POST names a key id, and an unknown one makes
/// us GET it (up to twice: actor, then key document), a bad signature on a known one makes us
/// refetch it.
#[derive(Default)]
pub struct SignerCache {
    entries: Mutex<HashMap<String, Arc<Signer>>>,
    /// Key ids that could not be resolved lately: refused without fetching for a while.
    unresolvable: Mutex<HashMap<String, Instant>>,
    /// When each actor was last refetched because a signature did not match its key.
    refetched: Mutex<HashMap<String, Instant>>,
    /// Fetches left per host (a token bucket each).
    host_budget: Mutex<HashMap<String, Bucket>>,
    /// One fetch per key id at a time: concurrent POSTs with the same unknown key wait for
    /// the first one's result instead of fetching too.
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Most keys (and most entries of each bounding map) kept; past it a map drops what expired,
/// then starts over (cheap, and rare on a coop's instance).
const MAX_CACHED: usize = 10_000;
/// How long a key id that could not be resolved is refused without a fetch.
const UNRESOLVABLE_FOR: Duration = Duration::from_secs(5 * 60);
/// Least time between two refetches of one actor for a signature that did not verify.
const REFETCH_COOLDOWN: Duration = Duration::from_secs(60);
/// Fetches one host can cause at once ...
const HOST_FETCH_BURST: f64 = 30.0;
/// ... and then per second.
const HOST_FETCHES_PER_SECOND: f64 = 1.0;

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Inserts into a map that may not grow past [`MAX_CACHED`].
fn insert_bounded<V>(
    map: &mut HashMap<String, V>,
    key: &str,
    value: V,
    expired: impl Fn(&V) -> bool,
) {
    if map.len() >= MAX_CACHED && !map.contains_key(key) {
        map.retain(|_, v| !expired(v));
        if map.len() >= MAX_CACHED {
            map.clear();
        }
    }
    map.insert(key.to_owned(), value);
}

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
        insert_bounded(&mut entries, key_id, signer, |_| true);
        self.unresolvable
            .lock()
            .expect("unresolvable keys")
            .remove(key_id);
    }

    /// Forgets a key (its actor was refetched or deleted).
    pub fn forget(&self, key_id: &str) {
        self.entries.lock().expect("signer cache").remove(key_id);
    }

    fn mark_unresolvable(&self, key_id: &str) {
        let mut map = self.unresolvable.lock().expect("unresolvable keys");
        insert_bounded(&mut map, key_id, Instant::now(), |at| {
            at.elapsed() >= UNRESOLVABLE_FOR
        });
    }

    fn is_unresolvable(&self, key_id: &str) -> bool {
        self.unresolvable
            .lock()
            .expect("unresolvable keys")
            .get(key_id)
            .is_some_and(|at| at.elapsed() < UNRESOLVABLE_FOR)
    }

    /// Whether `actor` may be refetched now for a mismatching signature; if so, the cooldown
    /// starts.
    fn may_refetch(&self, actor: &str) -> bool {
        let mut map = self.refetched.lock().expect("refetched actors");
        if map
            .get(actor)
            .is_some_and(|at| at.elapsed() < REFETCH_COOLDOWN)
        {
            return false;
        }
        insert_bounded(&mut map, actor, Instant::now(), |at| {
            at.elapsed() >= REFETCH_COOLDOWN
        });
        true
    }

    /// Takes one fetch from `host`'s budget; false when it is spent for now.
    fn take_fetch(&self, host: &str) -> bool {
        let now = Instant::now();
        let mut map = self.host_budget.lock().expect("host fetch budget");
        let mut bucket = map.get(host).copied().unwrap_or(Bucket {
            tokens: HOST_FETCH_BURST,
            at: now,
        });
        let refill = now.duration_since(bucket.at).as_secs_f64() * HOST_FETCHES_PER_SECOND;
        bucket.tokens = (bucket.tokens + refill).min(HOST_FETCH_BURST);
        bucket.at = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        insert_bounded(&mut map, host, bucket, |b| {
            b.tokens + b.at.elapsed().as_secs_f64() * HOST_FETCHES_PER_SECOND >= HOST_FETCH_BURST
        });
        allowed
    }

    /// Waits for any fetch of `key_id` in progress; the guard keeps others waiting.
    async fn single_flight(&self, key_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = self
            .in_flight
            .lock()
            .expect("fetches in flight")
            .entry(key_id.to_owned())
            .or_default()
            .clone();
        lock.lock_owned().await
    }

    /// Drops the fetch lock of `key_id` once nobody holds or awaits it.
    fn end_flight(&self, key_id: &str) {
        let mut map = self.in_flight.lock().expect("fetches in flight");
        if map
            .get(key_id)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            map.remove(key_id);
        }
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
        None => {
            let cache = data.signers();
            let guard = cache.single_flight(key_id).await;
            // Whoever held the lock may have found (or failed to find) the key meanwhile.
            let loaded = match cache.get(key_id) {
                Some(signer) => Ok((signer, false)),
                None => load(data, key_id, false).await,
            };
            drop(guard);
            cache.end_flight(key_id);
            loaded?
        }
    };
    match signature.verify(&signer.key, body, now) {
        Ok(()) => Ok(signer.actor.clone()),
        // The actor may have rotated its key: refetch it (at most once per cooldown, so bad
        // signatures cannot make us fetch at will) and try again.
        Err(SignatureError::Mismatch) if !fresh => {
            if !data.signers().may_refetch(&signer.actor.ap_id) {
                return Err(SignatureError::Mismatch.into());
            }
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
        None => {
            let cache = data.signers();
            if !refetch && cache.is_unresolvable(key_id) {
                return Err(Error::Unauthorized(format!(
                    "key {key_id} could not be fetched lately; try again later"
                )));
            }
            let host =
                host_of(key_id).ok_or_else(|| Error::Unauthorized("keyId is not a URL".into()))?;
            if !cache.take_fetch(&host) {
                return Err(Error::Unauthorized(format!(
                    "too many key fetches from {host}; try again later"
                )));
            }
            match fetch_key_owner(data, key_id, refetch).await {
                Ok(actor) => (actor, true),
                Err(error) => {
                    cache.mark_unresolvable(key_id);
                    return Err(error);
                }
            }
        }
    };
    // The key must be the actor's own and on the actor's host: a key id on another host
    // would let a blocked host sign with a name the policy does not catch.
    if actor.public_key_id != key_id || host_of(key_id) != host_of(&actor.ap_id) {
        if fetched {
            // Fetching it again would give the same answer: not for a while.
            data.signers().mark_unresolvable(key_id);
        }
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
