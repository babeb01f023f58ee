//! RFC 9421 HTTP Message Signatures with `rsa-v1_5-sha256`, as Fedify sends and Mastodon accepts.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderValue, Method, Request};

use super::error::shown;
use super::sfv::{self, BareItem, MemberValue};
use super::{
    PrivateKey, RequestParts, SignatureError, check_window, digest, outgoing_target, unix_seconds,
    unix_time,
};

/// The only algorithm we accept: RSA PKCS#1 v1.5 with SHA-256, what fediverse keys are.
const ALG: &str = "rsa-v1_5-sha256";
/// The label we sign under; verification takes whatever label the sender chose.
const LABEL: &str = "sig1";

/// A parsed RFC 9421 signature, with its signature base already built.
#[derive(Debug)]
pub(super) struct Rfc9421 {
    pub(super) key_id: String,
    pub(super) signature: Vec<u8>,
    pub(super) base: Vec<u8>,
    created: SystemTime,
    expires: Option<SystemTime>,
    /// The `Content-Digest` header, when covered.
    content_digest: Option<String>,
}

/// Parses the first `Signature-Input` member and its `Signature`, and checks Mastodon's rules.
pub(super) fn parse(parts: &RequestParts<'_>) -> Result<Rfc9421, SignatureError> {
    let input_header = dictionary_header(parts, "signature-input")?;
    let inputs = sfv::parse_dictionary(&input_header)
        .map_err(|reason| SignatureError::Malformed(format!("Signature-Input: {reason}")))?;
    // Several labels appear only when intermediaries add their own; the sender's comes first.
    let input = inputs
        .first()
        .ok_or_else(|| SignatureError::Malformed("Signature-Input is empty".into()))?;
    let MemberValue::InnerList(components, params) = &input.value else {
        return Err(SignatureError::Malformed(
            "Signature-Input member is not a component list".into(),
        ));
    };

    let signature_header = dictionary_header(parts, "signature")?;
    let signatures = sfv::parse_dictionary(&signature_header)
        .map_err(|reason| SignatureError::Malformed(format!("Signature: {reason}")))?;
    let signature = match signatures
        .iter()
        .find(|m| m.key == input.key)
        .map(|m| &m.value)
    {
        Some(MemberValue::Item(item)) => match &item.bare {
            BareItem::ByteSeq(bytes) => bytes.clone(),
            _ => {
                return Err(SignatureError::Malformed(
                    "Signature member is not a byte sequence".into(),
                ));
            }
        },
        _ => {
            return Err(SignatureError::Malformed(format!(
                "no Signature for label {}",
                shown(&input.key)
            )));
        }
    };

    let key_id = match params.get("keyid") {
        Some(BareItem::String(key_id)) if !key_id.is_empty() => key_id.clone(),
        Some(_) => return Err(SignatureError::Malformed("keyid is not a string".into())),
        None => {
            return Err(SignatureError::Insufficient(
                "the keyid parameter is required".into(),
            ));
        }
    };
    match params.get("alg") {
        None => {}
        Some(BareItem::String(alg)) if alg == ALG => {}
        Some(BareItem::String(alg)) => {
            return Err(SignatureError::UnsupportedAlgorithm(shown(alg)));
        }
        Some(_) => return Err(SignatureError::Malformed("alg is not a string".into())),
    }
    let timestamp = |name: &str| match params.get(name) {
        None => Ok(None),
        Some(BareItem::Integer(seconds)) => unix_time(*seconds)
            .map(Some)
            .ok_or_else(|| SignatureError::Malformed(format!("{name} parameter is out of range"))),
        Some(_) => Err(SignatureError::Malformed(format!(
            "{name} parameter is not an integer"
        ))),
    };
    let created = timestamp("created")?
        .ok_or_else(|| SignatureError::Insufficient("the created parameter is required".into()))?;
    let expires = timestamp("expires")?;

    let mut names: Vec<&str> = Vec::with_capacity(components.len());
    for component in components {
        let BareItem::String(name) = &component.bare else {
            return Err(SignatureError::Malformed(
                "a covered component is not a string".into(),
            ));
        };
        if !component.params.0.is_empty() {
            return Err(SignatureError::Malformed(format!(
                "component parameters are not supported (on {})",
                shown(name)
            )));
        }
        if names.contains(&name.as_str()) {
            return Err(SignatureError::Malformed(format!(
                "component {} is covered twice",
                shown(name)
            )));
        }
        names.push(name);
    }
    check_strength(parts.method, &names)?;

    let base = signature_base(parts, &names, input.raw)?;
    let content_digest = if names.contains(&"content-digest") {
        parts.header_str("content-digest")?
    } else {
        None
    };
    Ok(Rfc9421 {
        key_id,
        signature,
        base,
        created,
        expires,
        content_digest,
    })
}

impl Rfc9421 {
    /// Time window from the signed `created`/`expires`, and the body against `Content-Digest`.
    pub(super) fn check_request(&self, body: &[u8], now: SystemTime) -> Result<(), SignatureError> {
        check_window(self.created, self.expires, now)?;
        match &self.content_digest {
            Some(value) => digest::verify_content_digest(value, body),
            None if !body.is_empty() => Err(SignatureError::Insufficient(
                "content-digest must be covered on requests with a body".into(),
            )),
            None => Ok(()),
        }
    }
}

/// Mastodon's minimum coverage: method and target, and the body digest on POST.
fn check_strength(method: &Method, names: &[&str]) -> Result<(), SignatureError> {
    let covers = |name: &str| names.contains(&name);
    let missing = if !covers("@method") {
        "@method must be covered"
    } else if !(covers("@target-uri") || (covers("@authority") && covers("@path"))) {
        "@target-uri (or @authority and @path) must be covered"
    } else if *method == Method::POST && !covers("content-digest") {
        "content-digest must be covered on POST requests"
    } else {
        return Ok(());
    };
    Err(SignatureError::Insufficient(missing.into()))
}

/// The signature base of RFC 9421 §2.5: one `"name": value` line per component, then the
/// `@signature-params` line carrying the Signature-Input member exactly as sent.
fn signature_base(
    parts: &RequestParts<'_>,
    names: &[&str],
    params: &str,
) -> Result<Vec<u8>, SignatureError> {
    let mut base = Vec::with_capacity(512);
    for name in names {
        base.push(b'"');
        base.extend_from_slice(name.as_bytes());
        base.extend_from_slice(b"\": ");
        let authority = || normalize_authority(parts.scheme, parts.authority);
        let query = || match parts.path_and_query.split_once('?') {
            Some((_, query)) => format!("?{query}"),
            None => "?".to_owned(),
        };
        let value: Vec<u8> = match *name {
            "@method" => parts.method.as_str().as_bytes().to_vec(),
            "@target-uri" => format!(
                "{}://{}{}",
                parts.scheme.to_ascii_lowercase(),
                authority(),
                parts.path_and_query
            )
            .into_bytes(),
            "@authority" => authority().into_bytes(),
            "@scheme" => parts.scheme.to_ascii_lowercase().into_bytes(),
            "@request-target" => parts.path_and_query.as_bytes().to_vec(),
            "@path" => parts.path().as_bytes().to_vec(),
            "@query" => query().into_bytes(),
            derived if derived.starts_with('@') => {
                return Err(SignatureError::Malformed(format!(
                    "unsupported derived component {}",
                    shown(derived)
                )));
            }
            field if field.bytes().any(|b| b.is_ascii_uppercase()) => {
                return Err(SignatureError::Malformed(format!(
                    "field name {} is not lower-case",
                    shown(field)
                )));
            }
            field => parts
                .header(field)
                .ok_or_else(|| SignatureError::MissingHeader(shown(field)))?,
        };
        base.extend_from_slice(&value);
        base.push(b'\n');
    }
    base.extend_from_slice(b"\"@signature-params\": ");
    base.extend_from_slice(params.as_bytes());
    Ok(base)
}

/// RFC 9110 normalization for `@authority`: lower-case host, default port omitted.
fn normalize_authority(scheme: &str, authority: &str) -> String {
    let authority = authority.to_ascii_lowercase();
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return authority,
    };
    match authority.strip_suffix(default_port) {
        Some(host) => host.to_owned(),
        None => authority,
    }
}

/// All lines of a dictionary header joined with `, `, as RFC 8941 parses repeated fields.
fn dictionary_header(parts: &RequestParts<'_>, name: &str) -> Result<String, SignatureError> {
    parts
        .header_str(name)?
        .ok_or_else(|| SignatureError::Malformed(format!("{name} header is missing")))
}

/// Signs an outgoing request with RFC 9421 under label `sig1`, setting `Content-Digest` (when
/// the request has a body, always for POST), `Signature-Input` and `Signature`.
///
/// Covers `"@method" "@target-uri"` plus `"content-digest"` with a body; parameters `created`,
/// `keyid` and `alg="rsa-v1_5-sha256"`. The URI must be absolute.
pub fn sign_rfc9421(
    request: &mut Request<Vec<u8>>,
    key_id: &str,
    key: &PrivateKey,
    now: SystemTime,
) -> Result<(), SignatureError> {
    let key_id = sfv::serialize_string(key_id)
        .filter(|_| !key_id.is_empty())
        .ok_or_else(|| SignatureError::Sign("key id must be printable ASCII".into()))?;
    let (scheme, authority) = outgoing_target(request)?;
    let has_body = request.method() == Method::POST || !request.body().is_empty();
    let mut names = vec!["@method", "@target-uri"];
    if has_body {
        let value = digest::content_digest_header(request.body());
        request
            .headers_mut()
            .insert("content-digest", header_value(&value)?);
        names.push("content-digest");
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let params = format!(
        "({});created={};keyid={key_id};alg=\"{ALG}\"",
        quoted.join(" "),
        unix_seconds(now)
    );
    let parts = RequestParts {
        method: request.method(),
        scheme: &scheme,
        authority: authority.as_str(),
        path_and_query: request.uri().path_and_query().map_or("/", |pq| pq.as_str()),
        headers: request.headers(),
    };
    let base = signature_base(&parts, &names, &params)?;
    let signature = STANDARD.encode(key.sign(&base)?);
    let headers = request.headers_mut();
    headers.insert(
        "signature-input",
        header_value(&format!("{LABEL}={params}"))?,
    );
    headers.insert(
        "signature",
        header_value(&format!("{LABEL}=:{signature}:"))?,
    );
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
    fn authority_is_normalized() {
        assert_eq!(
            normalize_authority("https", "Coop.Example:443"),
            "coop.example"
        );
        assert_eq!(
            normalize_authority("http", "coop.example:80"),
            "coop.example"
        );
        assert_eq!(
            normalize_authority("https", "coop.example:8443"),
            "coop.example:8443"
        );
        assert_eq!(
            normalize_authority("http", "coop.example:443"),
            "coop.example:443"
        );
    }

    #[test]
    fn base_has_every_supported_derived_component() {
        let headers = http::HeaderMap::new();
        let parts = RequestParts {
            method: &Method::GET,
            scheme: "https",
            authority: "Coop.Example:443",
            path_and_query: "/users/alice/outbox?page=2",
            headers: &headers,
        };
        let names = [
            "@method",
            "@target-uri",
            "@authority",
            "@scheme",
            "@request-target",
            "@path",
            "@query",
            "host",
        ];
        let base = signature_base(&parts, &names, "(…);created=1").unwrap();
        assert_eq!(
            String::from_utf8(base).unwrap(),
            "\"@method\": GET\n\
             \"@target-uri\": https://coop.example/users/alice/outbox?page=2\n\
             \"@authority\": coop.example\n\
             \"@scheme\": https\n\
             \"@request-target\": /users/alice/outbox?page=2\n\
             \"@path\": /users/alice/outbox\n\
             \"@query\": ?page=2\n\
             \"host\": Coop.Example:443\n\
             \"@signature-params\": (…);created=1"
        );
        let base = signature_base(&parts, &["@status"], "()");
        assert!(matches!(base, Err(SignatureError::Malformed(_))));
    }
}
