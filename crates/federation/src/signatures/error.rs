//! The one error type of the module: variants a server maps to a status, messages fit a log line.

use http::StatusCode;

/// Why a request could not be signed or its signature was not accepted.
///
/// Messages are one line and never contain key material; request-supplied text in them is
/// escaped and truncated (see [`shown`]), so they are safe to log and to return to the sender.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `Signature`, `Signature-Input` or `Authorization: Signature` header at all.
    #[error("request is not signed: no Signature or Signature-Input header")]
    Missing,
    /// A signature header (or a header it relies on) cannot be parsed.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// Well-formed but too weak for our policy (a required component or parameter is not covered).
    #[error("insufficient signature: {0}")]
    Insufficient(String),
    /// A header the signature covers is absent from the request.
    #[error("signed header `{0}` is missing from the request")]
    MissingHeader(String),
    /// The sender used an algorithm other than RSA PKCS#1 v1.5 with SHA-256.
    #[error("unsupported signature algorithm {0} (supported: rsa-sha256, hs2019, rsa-v1_5-sha256)")]
    UnsupportedAlgorithm(String),
    /// `Digest`/`Content-Digest` is missing, malformed, lacks SHA-256, or does not match the body.
    #[error("body digest: {0}")]
    Digest(String),
    /// The signature's date/creation time (or `expires`) is too far in the past.
    #[error("signature expired: signed too long ago")]
    Expired,
    /// The signature's date/creation time is more than the allowed clock skew in the future.
    #[error("signature date is too far in the future")]
    FromFuture,
    /// A PEM key could not be decoded or is not an acceptable RSA key.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The signature does not verify with the given public key.
    #[error("signature does not match the request and key")]
    Mismatch,
    /// Our side failed to produce a signature (bad request URI, key id, or crypto failure).
    #[error("cannot sign request: {0}")]
    Sign(String),
}

impl SignatureError {
    /// The status a server should answer an incoming request with (Mastodon answers 401 to all).
    ///
    /// `InvalidKey` maps to 401 because on the receiving side the key is the remote actor's; a
    /// failure to load our own key surfaces while signing, where no response is sent.
    pub fn status_code(&self) -> StatusCode {
        match self {
            SignatureError::Sign(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

/// Quotes request-supplied text for an error message: escaped to one line, at most 80 chars.
pub(crate) fn shown(text: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}
