//! Configuration: `config/default.toml` documents every key; a file given with `--config`
//! and `COOPERAGE__SECTION__KEY` environment variables override the built-in defaults.

mod load;
mod values;

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

pub use load::{ConfigError, Origin, load};
pub use values::{DatabaseUrl, FederationDebug, InstanceDomain, LogFilter, UsernameValue};

/// The whole configuration of one instance. Passed by value: no globals, so several
/// instances can run in one process (the test kit does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub instance: InstanceConfig,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub federation: FederationConfig,
    pub log: LogConfig,
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

/// `[http]`: where the server listens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    #[serde(deserialize_with = "values::socket_addr")]
    pub bind: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
        }
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
}

/// `[log]`: what gets logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub filter: LogFilter,
}

impl Config {
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
