//! Body digests: `Digest` (RFC 3230, used with draft-cavage) and `Content-Digest` (RFC 9530).

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::SignatureError;
use super::error::shown;
use super::sfv::{self, BareItem, MemberValue};

/// `SHA-256=<base64>`, the `Digest` header value Mastodon sends and expects.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", sha256_base64(body))
}

/// `sha-256=:<base64>:`, the RFC 9530 `Content-Digest` header value.
pub fn content_digest_header(body: &[u8]) -> String {
    format!("sha-256=:{}:", sha256_base64(body))
}

/// Checks a `Digest` header: comma-separated `algo=value`, needs a matching SHA-256 entry.
pub fn verify_digest(header_value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut offered = Vec::new();
    for entry in header_value.split(',') {
        let (algorithm, value) = entry.split_once('=').unwrap_or((entry, ""));
        let algorithm = algorithm.trim();
        if algorithm.eq_ignore_ascii_case("sha-256") {
            // Compared as text, like Mastodon: base64 has one canonical form for 32 bytes.
            return if value.trim() == sha256_base64(body) {
                Ok(())
            } else {
                Err(SignatureError::Digest(
                    "SHA-256 in Digest does not match the body".into(),
                ))
            };
        }
        offered.push(algorithm);
    }
    Err(SignatureError::Digest(format!(
        "Digest has no SHA-256 entry (offered: {})",
        shown(&offered.join(", "))
    )))
}

/// Checks a `Content-Digest` header (RFC 8941 dictionary), needs a matching `sha-256` entry.
pub fn verify_content_digest(header_value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let members = sfv::parse_dictionary(header_value).map_err(|reason| {
        SignatureError::Digest(format!("Content-Digest is not a dictionary: {reason}"))
    })?;
    let Some(member) = members.iter().find(|m| m.key == "sha-256") else {
        let offered: Vec<&str> = members.iter().map(|m| m.key.as_str()).collect();
        return Err(SignatureError::Digest(format!(
            "Content-Digest has no sha-256 entry (offered: {})",
            shown(&offered.join(", "))
        )));
    };
    match &member.value {
        MemberValue::Item(item) => match &item.bare {
            BareItem::ByteSeq(bytes) if bytes.as_slice() == sha256(body).as_ref() => Ok(()),
            BareItem::ByteSeq(_) => Err(SignatureError::Digest(
                "sha-256 in Content-Digest does not match the body".into(),
            )),
            _ => Err(SignatureError::Digest(
                "sha-256 in Content-Digest is not a byte sequence".into(),
            )),
        },
        MemberValue::InnerList(..) => Err(SignatureError::Digest(
            "sha-256 in Content-Digest is not a byte sequence".into(),
        )),
    }
}

fn sha256(body: &[u8]) -> aws_lc_rs::digest::Digest {
    digest(&SHA256, body)
}

fn sha256_base64(body: &[u8]) -> String {
    STANDARD.encode(sha256(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 9530 §2's example body and value; the empty-body value is the well-known SHA-256 of "".
    const HELLO: &[u8] = br#"{"hello": "world"}"#;
    const HELLO_B64: &str = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";

    #[test]
    fn headers_have_the_standard_shapes() {
        assert_eq!(
            digest_header(b""),
            "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            content_digest_header(HELLO),
            format!("sha-256=:{HELLO_B64}:")
        );
        assert_eq!(digest_header(HELLO), format!("SHA-256={HELLO_B64}"));
    }

    #[test]
    fn digest_accepts_any_case_and_other_algorithms() {
        verify_digest(&format!("SHA-256={HELLO_B64}"), HELLO).unwrap();
        verify_digest(&format!("sha-256={HELLO_B64}"), HELLO).unwrap();
        verify_digest(&format!("MD5=abc, Sha-256={HELLO_B64}"), HELLO).unwrap();
    }

    #[test]
    fn digest_rejects_mismatch_and_missing_sha256() {
        let err = verify_digest(&format!("SHA-256={HELLO_B64}"), b"tampered").unwrap_err();
        assert!(matches!(err, SignatureError::Digest(_)));
        let err = verify_digest("SHA-512=abc,MD5=def", HELLO).unwrap_err();
        assert!(err.to_string().contains("SHA-512, MD5"), "{err}");
        assert!(verify_digest("", HELLO).is_err());
    }

    #[test]
    fn content_digest_accepts_dictionary_with_other_algorithms() {
        verify_content_digest(&format!("sha-256=:{HELLO_B64}:"), HELLO).unwrap();
        verify_content_digest(&format!("sha-512=:YQ==:, sha-256=:{HELLO_B64}:"), HELLO).unwrap();
    }

    #[test]
    fn content_digest_rejects_mismatch_and_bad_syntax() {
        let err = verify_content_digest(&format!("sha-256=:{HELLO_B64}:"), b"tampered");
        assert!(matches!(err, Err(SignatureError::Digest(_))));
        for value in [
            "sha-512=:YQ==:".to_string(),
            format!("sha-256={HELLO_B64}"),
            format!("sha-256=\"{HELLO_B64}\""),
            format!("SHA-256=:{HELLO_B64}:"),
        ] {
            let err = verify_content_digest(&value, HELLO).unwrap_err();
            assert!(matches!(err, SignatureError::Digest(_)), "{value}: {err}");
        }
    }
}
