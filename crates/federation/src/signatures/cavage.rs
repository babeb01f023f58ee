//! draft-cavage-http-signatures-12, the way Mastodon signs and verifies it.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderValue, Method, Request, header};

use super::error::shown;
use super::{
    PrivateKey, PublicKey, RequestParts, SignatureError, b64, check_window, digest,
    outgoing_target, starts_with_ignore_case, unix_time,
};

/// A parsed draft-cavage signature, with its signing strings already built.
#[derive(Debug)]
pub(super) struct Cavage {
    pub(super) key_id: String,
    signature: Vec<u8>,
    /// The signing string with the full request target, then (if the target has a query) the
    /// one without it: older Mastodon and GoToSocial sign `(request-target)` without the query.
    candidates: Vec<Vec<u8>>,
    /// From the `created` parameter, when `(created)` is signed.
    created: Option<SystemTime>,
    /// From the `expires` parameter, when `(expires)` is signed.
    expires: Option<SystemTime>,
    /// From the `Date` header, when `date` is signed.
    date: Option<SystemTime>,
    /// The `Digest` header, when `digest` is signed.
    digest: Option<String>,
}

/// Parses a `Signature` (or `Authorization: Signature`) value and checks Mastodon's rules.
pub(super) fn parse(parts: &RequestParts<'_>, value: &str) -> Result<Cavage, SignatureError> {
    let mut value = value.trim();
    if starts_with_ignore_case(value, "signature ") {
        value = value["signature ".len()..].trim_start();
    }
    let params = parse_params(value)?;
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };

    let (Some(key_id), Some(signature)) = (
        param("keyId").filter(|v| !v.is_empty()),
        param("signature").filter(|v| !v.is_empty()),
    ) else {
        return Err(SignatureError::Malformed(
            "keyId and signature parameters are required".into(),
        ));
    };
    // As in Mastodon: no algorithm means hs2019 ("derive it from the key"), and we only
    // have RSA keys, so both names mean RSA PKCS#1 v1.5 SHA-256.
    let algorithm = param("algorithm").unwrap_or("hs2019");
    let hs2019 = match algorithm.to_ascii_lowercase().as_str() {
        "hs2019" => true,
        "rsa-sha256" => false,
        _ => return Err(SignatureError::UnsupportedAlgorithm(shown(algorithm))),
    };
    let default_headers = if hs2019 { "(created)" } else { "date" };
    let headers: Vec<String> = param("headers")
        .unwrap_or(default_headers)
        .to_ascii_lowercase()
        .split_ascii_whitespace()
        .map(str::to_owned)
        .collect();
    check_strength(parts.method, &headers)?;

    let timestamp = |name: &str| -> Result<Option<SystemTime>, SignatureError> {
        if !headers.iter().any(|h| *h == format!("({name})")) {
            // Unsigned `created`/`expires` could be rewritten by a replayer: ignore them.
            return Ok(None);
        }
        if !hs2019 {
            return Err(SignatureError::Malformed(format!(
                "({name}) cannot be used with algorithm rsa-sha256"
            )));
        }
        let raw = param(name).ok_or_else(|| {
            SignatureError::Malformed(format!(
                "({name}) is signed but the {name} parameter is missing"
            ))
        })?;
        raw.parse::<i64>()
            .ok()
            .and_then(unix_time)
            .map(Some)
            .ok_or_else(|| {
                SignatureError::Malformed(format!("invalid {name} parameter {}", shown(raw)))
            })
    };
    let created = timestamp("created")?;
    let expires = timestamp("expires")?;

    let mut candidates = vec![signing_string(parts, &headers, &param, true)?];
    if parts.path_and_query.contains('?') && headers.iter().any(|h| h == "(request-target)") {
        candidates.push(signing_string(parts, &headers, &param, false)?);
    }

    let date = if headers.iter().any(|h| h == "date") {
        let text = parts.header_str("date")?.unwrap_or_default();
        Some(httpdate::parse_http_date(&text).map_err(|_| {
            SignatureError::Malformed(format!("invalid Date header {}", shown(&text)))
        })?)
    } else {
        None
    };
    let digest = if headers.iter().any(|h| h == "digest") {
        parts.header_str("digest")?
    } else {
        None
    };
    let signature = b64()
        .decode(signature)
        .map_err(|_| SignatureError::Malformed("signature is not valid base64".into()))?;

    Ok(Cavage {
        key_id: key_id.to_owned(),
        signature,
        candidates,
        created,
        expires,
        date,
        digest,
    })
}

impl Cavage {
    /// Time window of every signed timestamp, and the body against the signed `Digest`.
    pub(super) fn check_request(&self, body: &[u8], now: SystemTime) -> Result<(), SignatureError> {
        for created in [self.created, self.date].into_iter().flatten() {
            check_window(created, self.expires, now)?;
        }
        match &self.digest {
            Some(value) => digest::verify_digest(value, body),
            None if !body.is_empty() => Err(SignatureError::Insufficient(
                "the Digest header must be signed on requests with a body".into(),
            )),
            None => Ok(()),
        }
    }

    /// Tries each candidate signing string; any match verifies.
    pub(super) fn verify_signature(&self, key: &PublicKey) -> Result<(), SignatureError> {
        if self
            .candidates
            .iter()
            .any(|candidate| key.verify(candidate, &self.signature).is_ok())
        {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

/// Mastodon's minimum coverage: a date, and something binding the request to its target or body.
fn check_strength(method: &Method, headers: &[String]) -> Result<(), SignatureError> {
    let covers = |name: &str| headers.iter().any(|h| h == name);
    let missing = if !covers("date") && !covers("(created)") {
        "the Date header or (created) must be signed"
    } else if !covers("(request-target)") && !covers("digest") {
        "(request-target) or the Digest header must be signed"
    } else if *method == Method::GET && !covers("host") {
        "the Host header must be signed on GET requests"
    } else if *method == Method::POST && !covers("digest") {
        "the Digest header must be signed on POST requests"
    } else {
        return Ok(());
    };
    Err(SignatureError::Insufficient(missing.into()))
}

/// Builds the signing string: one `name: value` line per entry of `headers`, in that order.
fn signing_string<'p>(
    parts: &RequestParts<'_>,
    headers: &[impl AsRef<str>],
    param: &impl Fn(&str) -> Option<&'p str>,
    with_query: bool,
) -> Result<Vec<u8>, SignatureError> {
    let mut out = Vec::with_capacity(256);
    for (i, name) in headers.iter().enumerate() {
        let name = name.as_ref();
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        match name {
            "(request-target)" => {
                let target = if with_query {
                    parts.path_and_query
                } else {
                    parts.path()
                };
                out.extend_from_slice(parts.method.as_str().to_ascii_lowercase().as_bytes());
                out.push(b' ');
                out.extend_from_slice(target.as_bytes());
            }
            "(created)" | "(expires)" => {
                let param_name = name.trim_matches(|c| c == '(' || c == ')');
                out.extend_from_slice(param(param_name).unwrap_or_default().as_bytes());
            }
            _ => {
                let value = parts
                    .header(name)
                    .ok_or_else(|| SignatureError::MissingHeader(shown(name)))?;
                out.extend_from_slice(&value);
            }
        }
    }
    Ok(out)
}

/// Splits `keyId="…",algorithm="…",headers="…",signature="…"` into (name, value) pairs.
///
/// Values may be quoted (with `\` escapes) or bare (`created=1700000000`); unknown parameters
/// are kept and ignored by the caller; the first occurrence of a name wins.
fn parse_params(input: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let malformed = |what: &str| SignatureError::Malformed(format!("Signature header: {what}"));
    let mut params: Vec<(String, String)> = Vec::new();
    let mut rest = input;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            break;
        }
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| malformed("expected name=value"))?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(malformed("invalid parameter name"));
        }
        let after = after.trim_start();
        let value;
        if let Some(quoted) = after.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next() {
                    None => return Err(malformed("unterminated quoted value")),
                    Some((i, '"')) => break i,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, c)) => text.push(c),
                        None => return Err(malformed("unterminated quoted value")),
                    },
                    Some((_, c)) => text.push(c),
                }
            };
            value = text;
            rest = &quoted[end + 1..];
            let trimmed = rest.trim_start();
            if !(trimmed.is_empty() || trimmed.starts_with(',')) {
                return Err(malformed("expected `,` after a quoted value"));
            }
        } else {
            let end = after.find(',').unwrap_or(after.len());
            value = after[..end].trim().to_owned();
            rest = &after[end..];
        }
        if !params.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            params.push((name.to_owned(), value));
        }
    }
    Ok(params)
}

/// Signs an outgoing request the way Mastodon does, setting `Host`, `Date`, `Digest` (when the
/// request has a body, always for POST) and `Signature`.
///
/// Covers `(request-target) host date` plus `digest` and, if present, `content-type` when the
/// request has a body. The URI must be absolute; `now` becomes the `Date`.
pub fn sign_cavage(
    request: &mut Request<Vec<u8>>,
    key_id: &str,
    key: &PrivateKey,
    now: SystemTime,
) -> Result<(), SignatureError> {
    if key_id.is_empty()
        || !key_id
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"')
    {
        return Err(SignatureError::Sign(
            "key id must be printable ASCII without `\"`".into(),
        ));
    }
    let (scheme, authority) = outgoing_target(request)?;
    // The Host header is host plus explicit port; `Authority` would also keep user info.
    let host = match authority.port() {
        Some(port) => format!("{}:{}", authority.host(), port.as_str()),
        None => authority.host().to_owned(),
    };
    let has_body = request.method() == Method::POST || !request.body().is_empty();
    let digest_value = has_body.then(|| digest::digest_header(request.body()));
    let headers = request.headers_mut();
    headers.insert(header::HOST, header_value(&host)?);
    headers.insert(header::DATE, header_value(&httpdate::fmt_http_date(now))?);
    let mut covered = vec!["(request-target)", "host", "date"];
    if let Some(digest_value) = digest_value {
        headers.insert("digest", header_value(&digest_value)?);
        covered.push("digest");
        if headers.contains_key(header::CONTENT_TYPE) {
            covered.push("content-type");
        }
    }

    let parts = RequestParts {
        method: request.method(),
        scheme: &scheme,
        authority: &host,
        path_and_query: request.uri().path_and_query().map_or("/", |pq| pq.as_str()),
        headers: request.headers(),
    };
    let signing_string = signing_string(&parts, &covered, &|_| None, true)?;
    let signature = STANDARD.encode(key.sign(&signing_string)?);
    let value = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{signature}\"",
        covered.join(" ")
    );
    request
        .headers_mut()
        .insert("signature", header_value(&value)?);
    Ok(())
}

fn header_value(text: &str) -> Result<HeaderValue, SignatureError> {
    HeaderValue::from_str(text)
        .map_err(|_| SignatureError::Sign(format!("invalid header value {}", shown(text))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mastodon_and_odd_but_valid_parameter_lists() {
        let params = parse_params(
            r#"keyId="https://a.example/users/x#main-key",algorithm="rsa-sha256", headers="(request-target) host date",signature="YWJj""#,
        )
        .unwrap();
        assert_eq!(params.len(), 4);
        assert_eq!(
            params[0],
            ("keyId".into(), "https://a.example/users/x#main-key".into())
        );
        let params = parse_params(r#"created=1700000000, keyId="a\"b", keyId="second""#).unwrap();
        assert_eq!(params[0], ("created".into(), "1700000000".into()));
        assert_eq!(params[1], ("keyId".into(), "a\"b".into()));
        assert_eq!(params.len(), 2);
    }

    #[test]
    fn rejects_broken_parameter_lists() {
        for bad in [r#"keyId"#, r#"keyId="open"#, r#"keyId="a"b"#, r#"k y="a""#] {
            assert!(parse_params(bad).is_err(), "{bad}");
        }
    }
}
