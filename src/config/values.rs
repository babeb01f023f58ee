//! Config values that are checked when they are read, so that a mistake is reported with the
//! key it came from.

use std::fmt;

use cooperage_db::DatabaseTarget;
use cooperage_domain::Username;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// Implements serde for a type that round-trips through a string with `parse`/`as_str`.
macro_rules! string_value {
    ($ty:ty, $expecting:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl de::Visitor<'_> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, raw: &str) -> Result<$ty, E> {
                        <$ty>::parse(raw)
                            .map_err(|why| E::custom(format!("{why}; expected {}", $expecting)))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// The public host of the instance, with a port only for local testing: `coop.example`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceDomain(String);

impl InstanceDomain {
    /// Accepts a bare host name (`coop.example`) or `host:port`; no scheme, path or user.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.contains("://") {
            return Err("a domain has no scheme".into());
        }
        if raw.is_empty() || raw.contains(['/', '@', '?', '#', ' ']) {
            return Err("not a bare domain".into());
        }
        let parsed = url::Url::parse(&format!("http://{raw}")).map_err(|e| e.to_string())?;
        let host = parsed.host_str().ok_or("no host")?;
        if parsed.port() == Some(0) {
            return Err("port 0 is not a port peers can reach".into());
        }
        let normalized = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        if normalized != raw {
            return Err(format!(
                "not in canonical form (did you mean {normalized:?}?)"
            ));
        }
        Ok(Self(normalized))
    }

    /// The domain as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `localhost` or `localhost:<port>`: an instance for trying things out.
    pub fn is_localhost(&self) -> bool {
        self.0 == "localhost" || self.0.starts_with("localhost:")
    }

    /// Whether the domain names an explicit port.
    pub fn has_port(&self) -> bool {
        self.0.contains(':')
    }
}
string_value!(
    InstanceDomain,
    "a domain such as coop.example, without scheme or path"
);

/// A database URL whose scheme names a supported backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: String,
    target: DatabaseTarget,
}

impl DatabaseUrl {
    /// Parses and checks the scheme.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let target = DatabaseTarget::parse(raw).map_err(|e| e.to_string())?;
        Ok(Self {
            raw: raw.to_owned(),
            target,
        })
    }

    /// The URL as configured (it may hold a password: do not log it, use `target()`).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Which database the URL names.
    pub fn target(&self) -> &DatabaseTarget {
        &self.target
    }
}
string_value!(DatabaseUrl, "sqlite://PATH or postgres://USER@HOST:PORT/DB");

/// A Mastodon-compatible username, e.g. the coop actor's handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsernameValue(Username);

impl UsernameValue {
    /// Checks the Mastodon username rules.
    pub fn parse(raw: &str) -> Result<Self, String> {
        Username::parse(raw).map(Self).map_err(|e| e.to_string())
    }

    /// The username as a string slice.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}
string_value!(
    UsernameValue,
    "a username of a-z, 0-9, '_', '.' and '-', such as coop"
);

/// A trusted proxy: an address (`127.0.0.1`, `::1`) or a network (`10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyRange(ipnet::IpNet);

impl ProxyRange {
    /// Parses an address or a CIDR network.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Ok(ip) = raw.parse::<std::net::IpAddr>() {
            return Ok(Self(ipnet::IpNet::from(ip)));
        }
        raw.parse::<ipnet::IpNet>()
            .map(|net| Self(net.trunc()))
            .map_err(|_| format!("{raw:?} is not an address or network"))
    }

    /// The network.
    pub fn net(&self) -> ipnet::IpNet {
        self.0
    }

    fn as_str(&self) -> String {
        // A single address reads as written, without `/32`.
        if self.0.prefix_len() == self.0.max_prefix_len() {
            self.0.addr().to_string()
        } else {
            self.0.to_string()
        }
    }
}

impl<'de> Deserialize<'de> for ProxyRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        ProxyRange::parse(&raw).map_err(|why| {
            de::Error::custom(format!(
                "{why}; expected an IP address or CIDR such as 10.0.0.0/8"
            ))
        })
    }
}

impl Serialize for ProxyRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_str())
    }
}

/// A `tracing` filter such as `info` or `cooperage=debug,tower_http=info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter(String);

impl LogFilter {
    /// Checks the directive syntax.
    pub fn parse(raw: &str) -> Result<Self, String> {
        tracing_subscriber::EnvFilter::builder()
            .parse(raw)
            .map(|_| Self(raw.to_owned()))
            .map_err(|e| e.to_string())
    }

    /// The filter as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for LogFilter {
    fn default() -> Self {
        Self("info".into())
    }
}
string_value!(
    LogFilter,
    "a tracing filter such as info or cooperage=debug,info"
);

/// A listen address, with an error message that shows the expected form.
pub(super) fn socket_addr<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<std::net::SocketAddr, D::Error> {
    let raw = String::deserialize(deserializer)?;
    raw.parse().map_err(|_| {
        de::Error::custom(format!(
            "{raw:?} is not an address and port; expected IP:PORT such as 127.0.0.1:8080"
        ))
    })
}

/// `federation.debug`: `"auto"` (debug only while the domain is `localhost:*`), `true`, `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FederationDebug {
    #[default]
    Auto,
    On,
    Off,
}

impl<'de> Deserialize<'de> for FederationDebug {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = FederationDebug;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false or \"auto\"")
            }
            fn visit_bool<E: de::Error>(self, on: bool) -> Result<FederationDebug, E> {
                Ok(if on {
                    FederationDebug::On
                } else {
                    FederationDebug::Off
                })
            }
            fn visit_str<E: de::Error>(self, raw: &str) -> Result<FederationDebug, E> {
                match raw {
                    "auto" => Ok(FederationDebug::Auto),
                    "true" => Ok(FederationDebug::On),
                    "false" => Ok(FederationDebug::Off),
                    _ => Err(E::invalid_value(de::Unexpected::Str(raw), &self)),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Serialize for FederationDebug {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            FederationDebug::Auto => serializer.serialize_str("auto"),
            FederationDebug::On => serializer.serialize_bool(true),
            FederationDebug::Off => serializer.serialize_bool(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_ranges() {
        for (raw, shown) in [
            ("127.0.0.1", "127.0.0.1"),
            ("10.1.2.3/8", "10.0.0.0/8"),
            ("::1", "::1"),
            ("fd00::/8", "fd00::/8"),
        ] {
            assert_eq!(ProxyRange::parse(raw).unwrap().as_str(), shown);
        }
        for bad in ["", "localhost", "10.0.0.0/33", "1.2.3"] {
            assert!(ProxyRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domains_are_bare_hosts() {
        for ok in ["coop.example", "localhost:8080", "xn--mnchen-3ya.example"] {
            assert!(InstanceDomain::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://coop.example",
            "coop.example/path",
            "",
            "a b",
            "user@host",
            "Coop.Example",
            "localhost:0",
        ] {
            assert!(InstanceDomain::parse(bad).is_err(), "{bad}");
        }
    }
}
