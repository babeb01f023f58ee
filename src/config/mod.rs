//! Configuration: `config/default.toml` documents every key; a file given with `--config`
//! and `COOPERAGE__SECTION__KEY` environment variables override the built-in defaults.

mod load;
mod values;

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

pub use load::{ConfigError, Origin, load};
pub use values::{
    DatabaseUrl, FederationDebug, InstanceDomain, LogFilter, ProxyRange, UsernameValue,
};

/// The whole configuration of one instance. Passed by value: no globals, so several
/// instances can run in one process (the test kit does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub instance: InstanceConfig,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub federation: FederationConfig,
    pub delivery: DeliveryConfig,
    pub admin: AdminConfig,
    pub members: MembersConfig,
    pub directory: DirectoryConfig,
    pub proposals: ProposalsConfig,
    pub log: LogConfig,
}

/// `[directory]`: the network's skill directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectoryConfig {
    pub stale_after_days: u32,
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        Self {
            stale_after_days: 14,
        }
    }
}

/// `[proposals]`: pacing of tallies and the freshness of membership copies behind votes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProposalsConfig {
    pub poll_interval_ms: u64,
    pub update_interval_seconds: u64,
    pub membership_max_age_hours: u64,
}

impl Default for ProposalsConfig {
    fn default() -> Self {
        Self {
            poll_interval_ms: 1000,
            update_interval_seconds: 180,
            membership_max_age_hours: 24,
        }
    }
}

impl DirectoryConfig {
    /// The application's directory settings.
    pub fn settings(&self) -> cooperage_app::directory::DirectorySettings {
        cooperage_app::directory::DirectorySettings {
            stale_after: std::time::Duration::from_secs(u64::from(self.stale_after_days) * 86_400),
        }
    }
}

impl ProposalsConfig {
    /// The proposal worker's settings.
    pub fn settings(&self) -> cooperage_federation::proposals::ProposalSettings {
        use std::time::Duration;
        cooperage_federation::proposals::ProposalSettings {
            poll_interval: Duration::from_millis(self.poll_interval_ms.max(10)),
            update_interval: Duration::from_secs(self.update_interval_seconds),
            membership_max_age: Duration::from_secs(self.membership_max_age_hours * 3600),
        }
    }
}

/// `[members]`: accounts and the path to membership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MembersConfig {
    pub trial_days: u32,
    pub invitation_valid_hours: u32,
    pub session_days: u32,
}

impl Default for MembersConfig {
    fn default() -> Self {
        Self {
            trial_days: 182,
            invitation_valid_hours: 168,
            session_days: 30,
        }
    }
}

/// `[instance]`: who this coop is on the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstanceConfig {
    pub domain: InstanceDomain,
    pub name: String,
    pub coop_handle: UsernameValue,
}

impl Default for InstanceConfig {
    fn default() -> Self {
        Self {
            domain: InstanceDomain::parse("localhost:8080").expect("valid default"),
            name: "Our Cooperative".to_owned(),
            coop_handle: UsernameValue::parse("coop").expect("valid default"),
        }
    }
}

/// `[http]`: where the server listens, and what it allows a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    #[serde(deserialize_with = "values::socket_addr")]
    pub bind: SocketAddr,
    /// PEM certificate chain; with `tls_key`, `serve` speaks https itself.
    pub tls_cert: String,
    pub tls_key: String,
    /// Time for a client to send a request's headers (and the TLS handshake); also how long
    /// an idle keep-alive connection stays open.
    pub header_timeout_seconds: u64,
    /// Time for a client to send a request's whole body.
    pub body_timeout_seconds: u64,
    /// Connections served at once; further clients wait in the kernel's accept queue.
    pub max_connections: u32,
    /// How long shutdown waits for in-flight requests before closing their connections.
    pub shutdown_grace_seconds: u64,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed.
    pub trusted_proxies: Vec<ProxyRange>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls_cert: String::new(),
            tls_key: String::new(),
            header_timeout_seconds: 10,
            body_timeout_seconds: 30,
            max_connections: 8192,
            shutdown_grace_seconds: 10,
            trusted_proxies: Vec::new(),
        }
    }
}

impl HttpConfig {
    /// Whether `serve` terminates TLS itself.
    pub fn tls(&self) -> bool {
        !self.tls_cert.is_empty()
    }
}

/// `[database]`: SQLite or PostgreSQL, picked by the URL scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub url: DatabaseUrl,
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: DatabaseUrl::parse("sqlite://data/cooperage.sqlite").expect("valid default"),
            max_connections: 10,
        }
    }
}

/// `[federation]`: how this instance talks to others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    pub debug: FederationDebug,
    pub allowlist_only: bool,
}

/// `[delivery]`: how outgoing activities are sent and retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    pub concurrency: u32,
    pub per_host_concurrency: u32,
    pub retry_initial_seconds: u64,
    pub retry_max_seconds: u64,
    pub give_up_after_hours: u64,
    pub unreachable_after_hours: u64,
    pub lease_seconds: u64,
    pub poll_interval_ms: u64,
    pub request_timeout_seconds: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            concurrency: 32,
            per_host_concurrency: 4,
            retry_initial_seconds: 60,
            retry_max_seconds: 86_400,
            give_up_after_hours: 120,
            unreachable_after_hours: 48,
            lease_seconds: 120,
            poll_interval_ms: 1000,
            request_timeout_seconds: 10,
        }
    }
}

/// `[admin]`: access to the admin API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    pub api_token: String,
}

/// `[log]`: what gets logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub filter: LogFilter,
}

/// Names the coop's handle may not take: the instance actor's, and paths of our own routes
/// (`/{handle}` is the coop's profile page, so `healthz` would be shadowed).
pub const RESERVED_HANDLES: &[&str] = &[
    "instance.actor",
    "actors",
    "api",
    "healthz",
    "inbox",
    "nodeinfo",
    "posts",
    "admin",
];

impl Config {
    /// The keys that `key`'s validation depends on: when `key` keeps its default, the mistake
    /// is in one of these, and the error names where that one came from.
    pub fn related_keys(key: &str) -> &'static [&'static str] {
        match key {
            "http.tls_cert" => &["http.tls_key"],
            "http.tls_key" => &["http.tls_cert"],
            "delivery.retry_max_seconds" => &["delivery.retry_initial_seconds"],
            "instance.domain" => &["federation.debug"],
            _ => &[],
        }
    }

    /// Whether federation runs in debug mode: plain http and `localhost:<port>` domains allowed.
    pub fn federation_debug(&self) -> bool {
        match self.federation.debug {
            FederationDebug::Auto => self.instance.domain.is_localhost(),
            FederationDebug::On => true,
            FederationDebug::Off => false,
        }
    }

    /// Checks rules that span several keys. Single values are checked as they are parsed.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(1..=1000).contains(&self.database.max_connections) {
            return Err((
                "database.max_connections".into(),
                "expected a number from 1 to 1000".into(),
            ));
        }
        if self.http.tls_cert.is_empty() != self.http.tls_key.is_empty() {
            let key = if self.http.tls_cert.is_empty() {
                "http.tls_cert"
            } else {
                "http.tls_key"
            };
            return Err((
                key.into(),
                "expected both http.tls_cert and http.tls_key, or neither".into(),
            ));
        }
        let delivery = &self.delivery;
        let m = &self.members;
        for (key, value, range) in [
            ("members.trial_days", u64::from(m.trial_days), 0..=3650),
            (
                "members.invitation_valid_hours",
                u64::from(m.invitation_valid_hours),
                1..=2160,
            ),
            ("members.session_days", u64::from(m.session_days), 1..=365),
            (
                "http.header_timeout_seconds",
                self.http.header_timeout_seconds,
                1..=3600,
            ),
            (
                "http.body_timeout_seconds",
                self.http.body_timeout_seconds,
                1..=3600,
            ),
            (
                "http.max_connections",
                u64::from(self.http.max_connections),
                1..=1_000_000,
            ),
            (
                "http.shutdown_grace_seconds",
                self.http.shutdown_grace_seconds,
                0..=3600,
            ),
            (
                "directory.stale_after_days",
                u64::from(self.directory.stale_after_days),
                1..=3650,
            ),
            (
                "delivery.concurrency",
                u64::from(delivery.concurrency),
                1..=10_000,
            ),
            (
                "delivery.per_host_concurrency",
                u64::from(delivery.per_host_concurrency),
                1..=1000,
            ),
            (
                "delivery.retry_initial_seconds",
                delivery.retry_initial_seconds,
                1..=86_400,
            ),
            (
                "delivery.retry_max_seconds",
                delivery.retry_max_seconds,
                1..=7 * 86_400,
            ),
            ("delivery.lease_seconds", delivery.lease_seconds, 5..=86_400),
            // Hours become seconds: bounded so that the product cannot overflow.
            (
                "delivery.give_up_after_hours",
                delivery.give_up_after_hours,
                1..=87_600,
            ),
            (
                "delivery.unreachable_after_hours",
                delivery.unreachable_after_hours,
                1..=87_600,
            ),
            (
                "delivery.poll_interval_ms",
                delivery.poll_interval_ms,
                10..=600_000,
            ),
            (
                "delivery.request_timeout_seconds",
                delivery.request_timeout_seconds,
                1..=300,
            ),
        ] {
            if !range.contains(&value) {
                return Err((
                    key.into(),
                    format!(
                        "expected a number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }
        if delivery.retry_max_seconds < delivery.retry_initial_seconds {
            return Err((
                "delivery.retry_max_seconds".into(),
                "expected at least delivery.retry_initial_seconds".into(),
            ));
        }
        if !self.admin.api_token.is_empty() && self.admin.api_token.len() < 24 {
            return Err((
                "admin.api_token".into(),
                "expected at least 24 characters (or empty to turn the admin API off)".into(),
            ));
        }
        let handle = self.instance.coop_handle.as_str();
        if RESERVED_HANDLES.contains(&handle) {
            return Err((
                "instance.coop_handle".into(),
                format!("`{handle}` is reserved (it names a route or the instance's own actor)"),
            ));
        }
        if self.instance.name.trim().is_empty() {
            return Err(("instance.name".into(), "expected a non-empty name".into()));
        }
        if !self.federation_debug() && self.instance.domain.has_port() {
            return Err((
                "instance.domain".into(),
                "a domain with a port only works with federation.debug = true \
                 (production peers reject explicit ports)"
                    .into(),
            ));
        }
        Ok(())
    }
}
