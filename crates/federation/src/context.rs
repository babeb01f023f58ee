//! The federation context: database, settings, key caches and the HTTP client, shared by the
//! inbox, the delivery worker and activitypub_federation's fetching.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use activitypub_federation::config::{FederationConfig, UrlVerifier};
use activitypub_federation::error::Error as ApError;
use cooperage_db::Database;
use tokio::sync::Notify;

use crate::Settings;
use crate::inbox::SignerCache;
use crate::signatures::PrivateKey;

/// Data handed to activitypub_federation's fetches and to our handlers.
pub type Data = activitypub_federation::config::Data<FederationContext>;

/// Shared federation state of one instance. Cheap to clone.
#[derive(Clone)]
pub struct FederationContext {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    settings: Settings,
    signers: SignerCache,
    hosts_seen: Mutex<HashMap<String, std::time::Instant>>,
    policies: std::sync::RwLock<PolicyCache>,
    inbox_writer: std::sync::OnceLock<tokio::sync::mpsc::Sender<crate::inbox::Job>>,
    fetch_signer: crate::fetch::FetchSigner,
    signing_keys: Mutex<HashMap<i64, Arc<PrivateKey>>>,
    client: reqwest::Client,
    delivery_wake: Notify,
}

impl std::fmt::Debug for FederationContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FederationContext")
            .field("domain", &self.inner.settings.domain)
            .finish()
    }
}

/// Why the federation layer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("cannot configure federation: {0}")]
    Config(String),
}

impl FederationContext {
    /// Builds the context. The HTTP client refuses private addresses unless in debug mode.
    pub fn new(db: Database, settings: Settings) -> Result<Self, SetupError> {
        let client = http_client(&settings)?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                settings,
                signers: SignerCache::default(),
                hosts_seen: Mutex::new(HashMap::new()),
                policies: std::sync::RwLock::new(PolicyCache::default()),
                inbox_writer: std::sync::OnceLock::new(),
                fetch_signer: Arc::default(),
                signing_keys: Mutex::new(HashMap::new()),
                client,
                delivery_wake: Notify::new(),
            }),
        })
    }

    /// The activitypub_federation configuration around this context.
    pub async fn federation_config(&self) -> Result<FederationConfig<Self>, SetupError> {
        FederationConfig::builder()
            .domain(self.settings().domain.clone())
            .app_data(self.clone())
            .debug(self.settings().debug)
            .client(
                reqwest_middleware::ClientBuilder::new(self.inner.client.clone())
                    .with(crate::fetch::SignedFetch {
                        signer: self.inner.fetch_signer.clone(),
                    })
                    .build(),
            )
            .url_verifier(Box::new(PolicyVerifier {
                context: self.clone(),
            }))
            .http_fetch_limit(50)
            .build()
            .await
            .map_err(|e| SetupError::Config(e.to_string()))
    }

    pub fn db(&self) -> &Database {
        &self.inner.db
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Parsed public keys of remote actors, with their actors, by key id.
    pub fn signers(&self) -> &SignerCache {
        &self.inner.signers
    }

    /// Forgets when a host was last seen, so that its next request is written through.
    pub fn forget_host_seen(&self, host: &str) {
        self.inner
            .hosts_seen
            .lock()
            .expect("hosts seen")
            .remove(host);
    }

    /// A host sent us a verified activity: it is reachable. Written at most once a minute
    /// per host, to keep the inbox's hot path free of needless writes.
    pub async fn note_host_seen(&self, host: &str) {
        let now = std::time::Instant::now();
        {
            let mut seen = self.inner.hosts_seen.lock().expect("hosts seen");
            if seen
                .get(host)
                .is_some_and(|at| now.duration_since(*at).as_secs() < 60)
            {
                return;
            }
            seen.insert(host.to_owned(), now);
        }
        let owned = host.to_owned();
        if let Err(error) = self
            .db()
            .run(move |conn| cooperage_db::hosts::record_seen(conn, &owned))
            .await
        {
            tracing::warn!(%error, host, "cannot record host as seen");
        }
    }

    /// The HTTP client for deliveries and fetches.
    pub fn client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// Wakes the delivery worker: new deliveries are queued.
    pub fn wake_delivery(&self) {
        self.inner.delivery_wake.notify_one();
    }

    /// Waits until woken by [`Self::wake_delivery`].
    pub async fn delivery_woken(&self) {
        self.inner.delivery_wake.notified().await;
    }

    /// The parsed private key of a local actor (parsed once, then cached).
    pub async fn signing_key(&self, actor_id: i64) -> Result<Arc<PrivateKey>, crate::Error> {
        if let Some(key) = self.inner.signing_keys.lock().expect("lock").get(&actor_id) {
            return Ok(key.clone());
        }
        let pem = self
            .db()
            .run(move |conn| cooperage_db::actors::private_key_pem(conn, actor_id))
            .await?;
        let key = Arc::new(PrivateKey::from_pem(&pem)?);
        self.inner
            .signing_keys
            .lock()
            .expect("lock")
            .insert(actor_id, key.clone());
        Ok(key)
    }

    /// Whether federation with `host` is allowed by the admin's policy.
    ///
    /// Policies are read from a copy in memory, reloaded when older than [`POLICY_TTL`] (other
    /// processes on the same database see a change within that time) or when this process
    /// changes one.
    pub async fn host_allowed(&self, host: &str) -> Result<bool, crate::Error> {
        if host == self.settings().domain {
            return Ok(true);
        }
        let fresh = {
            let cache = self.inner.policies.read().expect("policy cache");
            cache
                .loaded_at
                .filter(|at| at.elapsed() < POLICY_TTL)
                .map(|_| policy_for(&cache.policies, host))
        };
        let policy = match fresh {
            Some(policy) => policy,
            None => {
                let rows = self.db().run(cooperage_db::hosts::policies).await?;
                let mut cache = self.inner.policies.write().expect("policy cache");
                cache.policies = rows.into_iter().collect();
                cache.loaded_at = Some(std::time::Instant::now());
                policy_for(&cache.policies, host)
            }
        };
        Ok(match policy {
            Some(Policy::Block) => false,
            Some(Policy::Allow) => true,
            None => !self.settings().allowlist_only,
        })
    }

    /// From now on, fetches are signed by this key (the instance actor's).
    pub fn sign_fetches_with(&self, key_id: String, key: Arc<PrivateKey>) {
        let _ = self.inner.fetch_signer.set((key_id, key));
    }

    /// The queue of the task that applies verified activities in batches (started on first
    /// use; it holds no reference to the context, so it ends when the context is dropped).
    pub fn inbox_writer(&self) -> &tokio::sync::mpsc::Sender<crate::inbox::Job> {
        self.inner
            .inbox_writer
            .get_or_init(|| crate::inbox::spawn_writer(self.db().clone(), self.settings().clone()))
    }

    /// A policy changed: the next check reloads them.
    pub fn policies_changed(&self) {
        self.inner.policies.write().expect("policy cache").loaded_at = None;
    }
}

/// How long the in-memory copy of host policies is trusted.
const POLICY_TTL: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    Block,
    Allow,
}

/// The policy that applies to `host`: a block of `evil.example` also covers
/// `a.evil.example` (a blocked admin can mint subdomains at will), and wins over any allow.
/// An allow covers only the host itself (allowing a host vouches for nobody else on it).
/// The port, if any, is ignored when matching parents (`localhost:1234` in debug mode).
fn policy_for(policies: &HashMap<String, String>, host: &str) -> Option<Policy> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, Some(port)),
        _ => (host.as_str(), None),
    };
    let mut suffix = name;
    loop {
        let candidates = [
            Some(suffix.to_owned()),
            port.map(|port| format!("{suffix}:{port}")),
        ];
        for candidate in candidates.into_iter().flatten() {
            if policies.get(&candidate).map(String::as_str) == Some(cooperage_db::hosts::BLOCK) {
                return Some(Policy::Block);
            }
        }
        match suffix.split_once('.') {
            Some((_, parent)) if !parent.is_empty() => suffix = parent,
            _ => break,
        }
    }
    match policies.get(&host).map(String::as_str) {
        Some(cooperage_db::hosts::ALLOW) => Some(Policy::Allow),
        _ => None,
    }
}

#[derive(Default)]
struct PolicyCache {
    loaded_at: Option<std::time::Instant>,
    policies: HashMap<String, String>,
}

/// The one HTTP client of the instance. Outside debug mode every connection it opens passes
/// [`crate::net_guard`]: a connector layer refuses IP literals, plain http and explicit ports,
/// and the resolver keeps only public addresses (also against DNS rebinding).
fn http_client(settings: &Settings) -> Result<reqwest::Client, SetupError> {
    let enforce = !settings.debug;
    let mut builder = reqwest::Client::builder();
    if enforce {
        builder = builder.connector_layer(crate::net_guard::ConnectGuard);
    }
    builder
        .user_agent(format!(
            "cooperage/{} (+{})",
            settings.software_version,
            settings.base_url()
        ))
        // Redirects cannot be validated against the policy: none are followed.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.delivery.request_timeout)
        .connect_timeout(settings.delivery.request_timeout)
        .pool_max_idle_per_host(settings.delivery.per_host_concurrency.max(1) * 2)
        .dns_resolver(crate::net_guard::GuardedResolver { enforce })
        .build()
        .map_err(|e| SetupError::Client(e.to_string()))
}

/// Refuses URLs of blocked hosts (and, in allow-list mode, of hosts not allowed) before
/// activitypub_federation fetches anything.
#[derive(Clone)]
struct PolicyVerifier {
    context: FederationContext,
}

#[async_trait::async_trait]
impl UrlVerifier for PolicyVerifier {
    async fn verify(&self, url: &url::Url) -> Result<(), ApError> {
        // activitypub_federation checks scheme, port and IP literals itself; not userinfo.
        if !self.context.settings().debug && crate::net_guard::check_url(url).is_err() {
            return Err(ApError::UrlVerificationError(
                "not a public https URL by domain",
            ));
        }
        let host = crate::settings::host_of(url.as_str())
            .ok_or(ApError::UrlVerificationError("URL without host"))?;
        match self.context.host_allowed(&host).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ApError::UrlVerificationError(
                "host blocked by federation policy",
            )),
            Err(_) => Err(ApError::UrlVerificationError(
                "federation policy unavailable",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policies(rows: &[(&str, &str)]) -> HashMap<String, String> {
        rows.iter()
            .map(|(h, p)| ((*h).to_owned(), (*p).to_owned()))
            .collect()
    }

    #[test]
    fn a_block_covers_subdomains_and_an_allow_only_its_host() {
        let map = policies(&[
            ("evil.example", cooperage_db::hosts::BLOCK),
            ("friend.example", cooperage_db::hosts::ALLOW),
            ("bad.friend.example", cooperage_db::hosts::BLOCK),
            ("localhost:4000", cooperage_db::hosts::BLOCK),
        ]);
        for (host, expected) in [
            ("evil.example", Some(Policy::Block)),
            ("a.evil.example", Some(Policy::Block)),
            ("a.b.EVIL.example.", Some(Policy::Block)),
            ("evil.example:8443", Some(Policy::Block)),
            ("notevil.example", None),
            ("friend.example", Some(Policy::Allow)),
            ("sub.friend.example", None),
            ("x.bad.friend.example", Some(Policy::Block)),
            ("localhost:4000", Some(Policy::Block)),
            ("localhost:4001", None),
            ("example", None),
        ] {
            assert_eq!(policy_for(&map, host), expected, "{host}");
        }
    }
}
