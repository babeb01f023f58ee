//! HTTP signatures for server-to-server requests: draft-cavage-12 (what Mastodon and most of the
//! fediverse send) and RFC 9421 HTTP Message Signatures (what Fedify sends first and Mastodon
//! 4.5+ accepts), RSA PKCS#1 v1.5 SHA-256 only, all cryptography in aws-lc-rs.
//!
//! Verifying is two steps so the caller can fetch the sender's key in between:
//!
//! ```no_run
//! # use cooperage_federation::signatures::*;
//! # fn fetch_pem(_: &str) -> String { String::new() }
//! # fn inbox(request: &http::Request<Vec<u8>>) -> Result<(), SignatureError> {
//! let now = std::time::SystemTime::now();
//! let parts = RequestParts::from_request(request, "https")?;
//! let input = parse_signature(&parts)?; // malformed or too weak: rejected before any fetch
//! input.check_request(request.body(), now)?; // stale or wrong digest: likewise
//! let key = PublicKey::from_pem(&fetch_pem(input.key_id()))?; // the inbox caches parsed keys
//! input.verify(&key, request.body(), now)?; // on Mismatch: refetch the key, retry once
//! # Ok(()) }
//! ```
//!
//! Acceptance rules follow Mastodon's `SignedRequest` so that whatever Mastodon accepts, we do.

mod cavage;
mod digest;
mod error;
mod keys;
mod rfc9421;
mod sfv;

#[cfg(test)]
mod test_vectors;
#[cfg(test)]
mod tests;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use http::{HeaderMap, Method, Request, header};

pub use cavage::sign_cavage;
pub use digest::{content_digest_header, digest_header, verify_content_digest, verify_digest};
pub use error::SignatureError;
pub use keys::{KeyPairPem, PrivateKey, PublicKey, generate_keypair};
pub use rfc9421::sign_rfc9421;

/// How far a signature's creation time may lie in the future (clock skew), as Mastodon.
const CLOCK_SKEW: Duration = Duration::from_secs(60 * 60);
/// Validity of a signature that states no `expires`, as Mastodon.
const DEFAULT_VALIDITY: Duration = Duration::from_secs(5 * 60);
/// Upper bound on a stated `expires`, as Mastodon.
const MAX_VALIDITY: Duration = Duration::from_secs(12 * 60 * 60);

/// Which specification a request was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// draft-cavage-http-signatures-12: a `Signature` header with `keyId`, `headers`, `signature`.
    Cavage,
    /// RFC 9421 HTTP Message Signatures: `Signature-Input` and `Signature` dictionaries.
    Rfc9421,
}

/// What the verifier needs to know about a received request.
///
/// The scheme and authority are explicit because a server behind a TLS-terminating proxy
/// cannot read them off the request, and RFC 9421 signs them (`@target-uri`, `@authority`).
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The request method.
    pub method: &'a Method,
    /// `https` or `http`: how the sender addressed us.
    pub scheme: &'a str,
    /// Host and optional port the sender addressed, e.g. `coop.example`. A server passes the
    /// domain it is configured with: that is what a signed `host` must name.
    pub authority: &'a str,
    /// The request target as received, e.g. `/users/alice/inbox?page=1`.
    pub path_and_query: &'a str,
    /// All request headers.
    pub headers: &'a HeaderMap,
}

impl<'a> RequestParts<'a> {
    /// Reads a received request; the authority comes from the URI (HTTP/2) or the `Host` header.
    pub fn from_request<B>(
        request: &'a Request<B>,
        scheme: &'a str,
    ) -> Result<Self, SignatureError> {
        let uri = request.uri();
        let authority = match uri.authority() {
            Some(authority) => authority.as_str(),
            None => request
                .headers()
                .get(header::HOST)
                .ok_or_else(|| SignatureError::MissingHeader("host".into()))?
                .to_str()
                .map_err(|_| SignatureError::Malformed("Host header is not ASCII".into()))?,
        };
        Ok(RequestParts {
            method: request.method(),
            scheme,
            authority,
            path_and_query: uri.path_and_query().map_or("/", |pq| pq.as_str()),
            headers: request.headers(),
        })
    }

    /// The URI path without the query, `/` when empty.
    fn path(&self) -> &'a str {
        match self.path_and_query.split_once('?') {
            Some((path, _)) => path,
            None => self.path_and_query,
        }
    }

    /// The values of header `name`, each trimmed, joined with `, ` (how both specifications
    /// combine repeated fields). `host` is always the authority, never the Host header: the
    /// inbox passes its configured domain, so a request signed for another server (replayed
    /// here with its Host header) does not verify; and HTTP/2 has no Host header anyway.
    fn header(&self, name: &str) -> Option<Vec<u8>> {
        if name == "host" {
            return Some(self.authority.as_bytes().to_vec());
        }
        let mut joined: Option<Vec<u8>> = None;
        for value in self.headers.get_all(name) {
            let out = joined.get_or_insert_with(Vec::new);
            if !out.is_empty() {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(value.as_bytes().trim_ascii());
        }
        joined
    }

    /// Like [`Self::header`] but as text, for headers we must parse (Date, digests).
    fn header_str(&self, name: &str) -> Result<Option<String>, SignatureError> {
        self.header(name)
            .map(|value| {
                String::from_utf8(value).map_err(|_| {
                    SignatureError::Malformed(format!("{name} header is not valid UTF-8"))
                })
            })
            .transpose()
    }
}

/// Detects the signature scheme of a request and parses it, enforcing the policy that does not
/// depend on time or body (algorithm, covered components), so weak requests fail before a fetch.
///
/// RFC 9421 if a `Signature-Input` header is present; otherwise draft-cavage from `Signature`
/// (a leading `Signature ` is tolerated) or `Authorization: Signature …`.
pub fn parse_signature(parts: &RequestParts<'_>) -> Result<SignatureInput, SignatureError> {
    let kind = if parts.headers.contains_key("signature-input") {
        Kind::Rfc9421(rfc9421::parse(parts)?)
    } else if let Some(value) = parts.headers.get("signature") {
        let value = value
            .to_str()
            .map_err(|_| SignatureError::Malformed("Signature header is not ASCII".into()))?;
        Kind::Cavage(cavage::parse(parts, value)?)
    } else if let Some(value) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .filter(|value| starts_with_ignore_case(value.trim_start(), "signature "))
    {
        Kind::Cavage(cavage::parse(parts, value)?)
    } else {
        return Err(SignatureError::Missing);
    };
    Ok(SignatureInput { kind })
}

/// A parsed signature, ready to be checked once the caller has the sender's key.
#[derive(Debug)]
pub struct SignatureInput {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Cavage(cavage::Cavage),
    Rfc9421(rfc9421::Rfc9421),
}

impl SignatureInput {
    /// The key the sender claims to have signed with (`keyId` / `keyid`), usually a URL.
    pub fn key_id(&self) -> &str {
        match &self.kind {
            Kind::Cavage(sig) => &sig.key_id,
            Kind::Rfc9421(sig) => &sig.key_id,
        }
    }

    /// The specification the request was signed with.
    pub fn scheme(&self) -> Scheme {
        match &self.kind {
            Kind::Cavage(_) => Scheme::Cavage,
            Kind::Rfc9421(_) => Scheme::Rfc9421,
        }
    }

    /// Checks everything but the cryptography (time window, body digest), so a caller can
    /// reject a stale or tampered request before fetching a key. [`Self::verify`] repeats it.
    pub fn check_request(&self, body: &[u8], now: SystemTime) -> Result<(), SignatureError> {
        match &self.kind {
            Kind::Cavage(sig) => sig.check_request(body, now),
            Kind::Rfc9421(sig) => sig.check_request(body, now),
        }
    }

    /// Fully verifies the request: time window, body digest, then the signature with `key`.
    pub fn verify(
        &self,
        key: &PublicKey,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        self.check_request(body, now)?;
        match &self.kind {
            Kind::Cavage(sig) => sig.verify_signature(key),
            Kind::Rfc9421(sig) => key.verify(&sig.base, &sig.signature),
        }
    }
}

/// Rejects a signature created too far in the future or past its expiry, as Mastodon does:
/// expiry defaults to 5 minutes after creation, is capped at 12 hours, and both ends get 1 hour
/// of clock skew.
fn check_window(
    created: SystemTime,
    expires: Option<SystemTime>,
    now: SystemTime,
) -> Result<(), SignatureError> {
    if now
        .checked_add(CLOCK_SKEW)
        .is_some_and(|limit| created > limit)
    {
        return Err(SignatureError::FromFuture);
    }
    let latest = created.checked_add(MAX_VALIDITY).unwrap_or(created);
    let expires = expires
        .or_else(|| created.checked_add(DEFAULT_VALIDITY))
        .unwrap_or(created)
        .min(latest);
    if expires
        .checked_add(CLOCK_SKEW)
        .is_some_and(|limit| now > limit)
    {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

/// A Unix timestamp in seconds as a `SystemTime`, `None` if unrepresentable.
fn unix_time(seconds: i64) -> Option<SystemTime> {
    let magnitude = Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
}

/// Whole seconds since the Unix epoch (0 for times before it).
fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Base64 that accepts missing padding: some senders strip it, and decoding is unambiguous.
fn b64() -> &'static GeneralPurpose {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    &ENGINE
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Scheme and authority of an outgoing request: both signers need an absolute URI.
fn outgoing_target(
    request: &Request<Vec<u8>>,
) -> Result<(String, http::uri::Authority), SignatureError> {
    let uri = request.uri();
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => Ok((scheme.to_owned(), authority.clone())),
        _ => Err(SignatureError::Sign(
            "request URI must be absolute (scheme and host)".into(),
        )),
    }
}
