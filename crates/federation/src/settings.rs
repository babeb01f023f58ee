//! What the federation layer needs to know about this instance, and the URLs it mints.

use std::time::Duration;

/// Instance-wide federation settings, from the config.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `coop.example`, or `localhost:<port>` in debug mode.
    pub domain: String,
    /// Debug mode: plain http and `localhost:<port>` peers allowed.
    pub debug: bool,
    /// The instance serves https itself (so its URLs are https even in debug mode).
    pub tls: bool,
    /// Username of the coop's Group actor.
    pub coop_handle: String,
    /// Display name of the coop.
    pub coop_name: String,
    /// Federate only with hosts on the allow-list.
    pub allowlist_only: bool,
    /// Version reported in NodeInfo.
    pub software_version: String,
    pub delivery: DeliverySettings,
}

/// How outgoing activities are delivered and retried.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Deliveries in flight at once, over all hosts.
    pub concurrency: usize,
    /// Deliveries in flight at once to one host.
    pub per_host_concurrency: usize,
    /// Delay before the first retry; it doubles with each failure ...
    pub retry_initial: Duration,
    /// ... up to this.
    pub retry_max: Duration,
    /// A delivery still failing this long after it was queued is given up.
    pub give_up_after: Duration,
    /// A host failing every delivery this long is skipped until it contacts us again.
    pub unreachable_after: Duration,
    /// How long a worker holds a claimed delivery before another may take it over.
    pub lease: Duration,
    /// How often the worker looks for due retries when nothing wakes it.
    pub poll_interval: Duration,
    /// Timeout of one delivery POST.
    pub request_timeout: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            concurrency: 32,
            per_host_concurrency: 4,
            retry_initial: Duration::from_secs(60),
            retry_max: Duration::from_secs(24 * 3600),
            give_up_after: Duration::from_secs(5 * 24 * 3600),
            unreachable_after: Duration::from_secs(2 * 24 * 3600),
            lease: Duration::from_secs(120),
            poll_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Username of the instance actor, which signs fetches. Reserved: no member may take it.
pub const INSTANCE_ACTOR: &str = "instance.actor";

impl Settings {
    /// `https`, or `http` in debug mode without TLS.
    pub fn scheme(&self) -> &'static str {
        if self.debug && !self.tls {
            "http"
        } else {
            "https"
        }
    }

    /// `https://coop.example`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.domain)
    }

    /// The id of a local actor.
    pub fn actor_id(&self, username: &str) -> String {
        format!("{}/actors/{username}", self.base_url())
    }

    /// The id of a local actor's key.
    pub fn key_id(&self, username: &str) -> String {
        format!("{}#main-key", self.actor_id(username))
    }

    /// The human profile page of a local actor.
    pub fn profile_url(&self, username: &str) -> String {
        format!("{}/@{username}", self.base_url())
    }

    /// The shared inbox of this instance.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base_url())
    }

    /// A fresh id for an activity we send.
    pub fn new_activity_id(&self) -> String {
        format!("{}/activities/{}", self.base_url(), uuid::Uuid::new_v4())
    }

    /// A fresh id for a post we publish.
    pub fn new_post_id(&self) -> String {
        format!("{}/posts/{}", self.base_url(), uuid::Uuid::new_v4())
    }

    /// A fresh id for an object of ours of `kind` (`skills`, `offers`, ...):
    /// `<base>/<kind>/<uuid>`, where it is served.
    pub fn new_object_id(&self, kind: &str) -> String {
        format!("{}/{kind}/{}", self.base_url(), uuid::Uuid::new_v4())
    }

    /// Whether a URL points at this instance.
    pub fn is_local(&self, url: &str) -> bool {
        host_of(url).as_deref() == Some(self.domain.as_str())
    }
}

pub use cooperage_db::host_of;
