//! End-to-end tests: real keys, requests signed here or by OpenSSL, verified as a server would.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderValue, Method, Request, header};

use super::test_vectors::*;
use super::*;

const INBOX: &str = "https://coop.example/users/alice/inbox";
const KEY_ID: &str = "https://coop.example/users/alice#main-key";
const ACTIVITY: &[u8] = br#"{"type":"Create","object":{"type":"Note","content":"hi"}}"#;

/// One generated key pair per test binary: RSA generation is slow in debug builds.
pub(super) fn generated_pair() -> &'static KeyPairPem {
    static PAIR: OnceLock<KeyPairPem> = OnceLock::new();
    PAIR.get_or_init(|| generate_keypair().unwrap())
}

fn private_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::from_pem(&generated_pair().private_pem).unwrap())
}

fn public_key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| PublicKey::from_pem(&generated_pair().public_pem).unwrap())
}

/// A different key: the OpenSSL fixture.
fn other_public_key() -> PublicKey {
    PublicKey::from_pem(PUBLIC_SPKI_PEM).unwrap()
}

/// `SIGNED_AT` shifted by `seconds`.
fn at(seconds: i64) -> SystemTime {
    unix_time(SIGNED_AT as i64 + seconds).unwrap()
}

fn post(uri: &str, body: &[u8]) -> Request<Vec<u8>> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/activity+json")
        .body(body.to_vec())
        .unwrap()
}

fn get(uri: &str) -> Request<Vec<u8>> {
    Request::get(uri)
        .header(header::ACCEPT, "application/activity+json")
        .body(Vec::new())
        .unwrap()
}

/// The request as a server receives it: origin-form URI, `Host` set by the client.
fn received(sent: &Request<Vec<u8>>) -> Request<Vec<u8>> {
    let mut request = Request::builder()
        .method(sent.method())
        .uri(sent.uri().path_and_query().unwrap().as_str())
        .body(sent.body().clone())
        .unwrap();
    *request.headers_mut() = sent.headers().clone();
    if let Some(authority) = sent.uri().authority() {
        request
            .headers_mut()
            .entry(header::HOST)
            .or_insert(HeaderValue::from_str(authority.as_str()).unwrap());
    }
    request
}

fn parse(sent: &Request<Vec<u8>>) -> Result<SignatureInput, SignatureError> {
    let request = received(sent);
    let parts = RequestParts::from_request(&request, "https")?;
    parse_signature(&parts)
}

fn verify_with(
    sent: &Request<Vec<u8>>,
    key: &PublicKey,
    now: SystemTime,
) -> Result<(), SignatureError> {
    parse(sent)?.verify(key, sent.body(), now)
}

fn verify(sent: &Request<Vec<u8>>) -> Result<(), SignatureError> {
    verify_with(sent, public_key(), at(30))
}

fn header(request: &Request<Vec<u8>>, name: &str) -> String {
    request.headers()[name].to_str().unwrap().to_owned()
}

fn set(request: &mut Request<Vec<u8>>, name: &'static str, value: &str) {
    request
        .headers_mut()
        .insert(name, HeaderValue::from_str(value).unwrap());
}

/// Adds a hand-made draft-cavage `Signature` over a hand-written signing string.
fn sign_cavage_by_hand(request: &mut Request<Vec<u8>>, params: &str, signing_string: &str) {
    let signature = STANDARD.encode(private_key().sign(signing_string.as_bytes()).unwrap());
    set(
        request,
        "signature",
        &format!("{params},signature=\"{signature}\""),
    );
}

/// Adds hand-made RFC 9421 headers over a hand-written base (without the params line).
fn sign_rfc9421_by_hand(request: &mut Request<Vec<u8>>, lines: &str, params: &str) {
    let base = format!("{lines}\"@signature-params\": {params}");
    let signature = STANDARD.encode(private_key().sign(base.as_bytes()).unwrap());
    set(request, "signature-input", &format!("sig1={params}"));
    set(request, "signature", &format!("sig1=:{signature}:"));
}

/// A request with `Host`, `Date` and `Digest` set as `sign_cavage` would, but unsigned.
fn prepared_post(uri: &str) -> Request<Vec<u8>> {
    let mut request = post(uri, ACTIVITY);
    set(&mut request, "host", "coop.example");
    set(&mut request, "date", "Tue, 14 Nov 2023 22:13:20 GMT");
    set(&mut request, "digest", &digest_header(ACTIVITY));
    request
}

// --- round trips ----------------------------------------------------------------------------

#[test]
fn cavage_post_round_trip() {
    let mut request = post(INBOX, ACTIVITY);
    sign_cavage(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    assert_eq!(header(&request, "host"), "coop.example");
    assert_eq!(header(&request, "date"), "Tue, 14 Nov 2023 22:13:20 GMT");
    assert_eq!(header(&request, "digest"), digest_header(ACTIVITY));
    let signature = header(&request, "signature");
    assert!(
        signature.starts_with(&format!(
            "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",\
             headers=\"(request-target) host date digest content-type\",signature=\""
        )),
        "{signature}"
    );
    let input = parse(&request).unwrap();
    assert_eq!(input.scheme(), Scheme::Cavage);
    assert_eq!(input.key_id(), KEY_ID);
    input.verify(public_key(), ACTIVITY, at(30)).unwrap();
}

#[test]
fn cavage_get_round_trip_with_port_and_query() {
    let mut request = get("https://coop.example:8443/users/alice/outbox?page=true");
    sign_cavage(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    assert_eq!(header(&request, "host"), "coop.example:8443");
    assert!(request.headers().get("digest").is_none());
    assert!(header(&request, "signature").contains("headers=\"(request-target) host date\""));
    verify(&request).unwrap();
}

#[test]
fn rfc9421_post_round_trip() {
    let mut request = post(INBOX, ACTIVITY);
    sign_rfc9421(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    assert_eq!(
        header(&request, "content-digest"),
        content_digest_header(ACTIVITY)
    );
    assert_eq!(
        header(&request, "signature-input"),
        format!(
            "sig1=(\"@method\" \"@target-uri\" \"content-digest\");created={SIGNED_AT};\
             keyid=\"{KEY_ID}\";alg=\"rsa-v1_5-sha256\""
        )
    );
    assert!(header(&request, "signature").starts_with("sig1=:"));
    let input = parse(&request).unwrap();
    assert_eq!(input.scheme(), Scheme::Rfc9421);
    assert_eq!(input.key_id(), KEY_ID);
    input.verify(public_key(), ACTIVITY, at(30)).unwrap();
}

#[test]
fn rfc9421_get_round_trip() {
    let mut request = get("https://coop.example/users/alice/outbox?page=true");
    sign_rfc9421(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    assert!(header(&request, "signature-input").starts_with("sig1=(\"@method\" \"@target-uri\");"));
    verify(&request).unwrap();
}

#[test]
fn signature_input_takes_the_rfc9421_path_even_with_a_signature_header() {
    let mut request = post(INBOX, ACTIVITY);
    sign_rfc9421(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    assert_eq!(parse(&request).unwrap().scheme(), Scheme::Rfc9421);
}

#[test]
fn http2_request_without_host_header_uses_the_uri_authority() {
    let mut request = post(INBOX, ACTIVITY);
    sign_cavage(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    request.headers_mut().remove(header::HOST);
    let parts = RequestParts::from_request(&request, "https").unwrap();
    parse_signature(&parts)
        .unwrap()
        .verify(public_key(), ACTIVITY, at(30))
        .unwrap();
}

// --- tampering ------------------------------------------------------------------------------

#[test]
fn tampered_body_is_a_digest_error() {
    for sign in [sign_cavage, sign_rfc9421] {
        let mut request = post(INBOX, ACTIVITY);
        sign(&mut request, KEY_ID, private_key(), at(0)).unwrap();
        *request.body_mut() = b"{\"type\":\"Delete\"}".to_vec();
        let err = verify(&request).unwrap_err();
        assert!(matches!(err, SignatureError::Digest(_)), "{err}");
    }
}

#[test]
fn tampered_signed_header_is_a_mismatch() {
    let mut request = post(INBOX, ACTIVITY);
    sign_cavage(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    set(&mut request, "content-type", "text/plain");
    assert!(matches!(verify(&request), Err(SignatureError::Mismatch)));

    let mut request = post(INBOX, ACTIVITY);
    sign_cavage(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    set(&mut request, "date", "Tue, 14 Nov 2023 22:13:21 GMT");
    assert!(matches!(verify(&request), Err(SignatureError::Mismatch)));

    // RFC 9421: same headers, delivered to another inbox.
    let mut request = post(INBOX, ACTIVITY);
    sign_rfc9421(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    *request.uri_mut() = "https://coop.example/users/bob/inbox".parse().unwrap();
    assert!(matches!(verify(&request), Err(SignatureError::Mismatch)));
}

// A request signed for another server, replayed here with its own Host header: the signed
// `host` is compared with the authority the server is configured with, not the header.
#[test]
fn a_request_signed_for_another_host_does_not_verify_here() {
    for sign in [sign_cavage, sign_rfc9421] {
        let mut request = post("https://other.example/users/alice/inbox", ACTIVITY);
        sign(&mut request, KEY_ID, private_key(), at(0)).unwrap();
        let replayed = received(&request);
        let verify_at = |authority: &str| {
            let parts = RequestParts {
                method: replayed.method(),
                scheme: "https",
                authority,
                path_and_query: "/users/alice/inbox",
                headers: replayed.headers(),
            };
            parse_signature(&parts)?.verify(public_key(), replayed.body(), at(30))
        };
        assert!(matches!(
            verify_at("coop.example"),
            Err(SignatureError::Mismatch)
        ));
        verify_at("other.example").expect("valid where it was meant to go");
    }
}

#[test]
fn wrong_key_is_a_mismatch() {
    for sign in [sign_cavage, sign_rfc9421] {
        let mut request = post(INBOX, ACTIVITY);
        sign(&mut request, KEY_ID, private_key(), at(0)).unwrap();
        let err = verify_with(&request, &other_public_key(), at(30)).unwrap_err();
        assert!(matches!(err, SignatureError::Mismatch), "{err}");
    }
}

// --- time window ----------------------------------------------------------------------------

#[test]
fn two_hours_old_is_expired_one_hour_is_fine() {
    for sign in [sign_cavage, sign_rfc9421] {
        let mut request = post(INBOX, ACTIVITY);
        sign(&mut request, KEY_ID, private_key(), at(0)).unwrap();
        verify_with(&request, public_key(), at(3600)).unwrap();
        let err = verify_with(&request, public_key(), at(2 * 3600)).unwrap_err();
        assert!(matches!(err, SignatureError::Expired), "{err}");
    }
}

#[test]
fn two_hours_ahead_is_rejected_one_hour_is_fine() {
    for sign in [sign_cavage, sign_rfc9421] {
        let mut request = post(INBOX, ACTIVITY);
        sign(&mut request, KEY_ID, private_key(), at(0)).unwrap();
        verify_with(&request, public_key(), at(-3600)).unwrap();
        let err = verify_with(&request, public_key(), at(-2 * 3600)).unwrap_err();
        assert!(matches!(err, SignatureError::FromFuture), "{err}");
    }
}

#[test]
fn check_request_rejects_before_any_key_is_needed() {
    let mut request = post(INBOX, ACTIVITY);
    sign_cavage(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    let input = parse(&request).unwrap();
    input.check_request(ACTIVITY, at(30)).unwrap();
    assert!(input.check_request(ACTIVITY, at(3 * 3600)).is_err());
    assert!(input.check_request(b"other", at(30)).is_err());
}

// --- draft-cavage details -------------------------------------------------------------------

#[test]
fn hs2019_and_absent_algorithm_are_accepted() {
    for algorithm in [",algorithm=\"hs2019\"", ""] {
        let mut request = prepared_post(INBOX);
        sign_cavage_by_hand(
            &mut request,
            &format!("keyId=\"{KEY_ID}\"{algorithm},headers=\"(request-target) host date digest\""),
            &format!(
                "(request-target): post /users/alice/inbox\nhost: coop.example\n\
                 date: Tue, 14 Nov 2023 22:13:20 GMT\ndigest: {}",
                digest_header(ACTIVITY)
            ),
        );
        verify(&request).unwrap();
    }
}

#[test]
fn other_algorithms_are_rejected() {
    for algorithm in ["rsa-sha512", "ed25519", "hmac-sha256"] {
        let mut request = prepared_post(INBOX);
        set(
            &mut request,
            "signature",
            &format!(
                "keyId=\"{KEY_ID}\",algorithm=\"{algorithm}\",headers=\"(request-target) host date digest\",signature=\"AAAA\""
            ),
        );
        let err = parse(&request).unwrap_err();
        assert!(
            matches!(err, SignatureError::UnsupportedAlgorithm(_)),
            "{err}"
        );
        assert!(err.to_string().contains(algorithm), "{err}");
    }
}

#[test]
fn key_id_without_fragment_is_fine() {
    let key_id = "https://gts.example/users/bob/main-key";
    let mut request = post(INBOX, ACTIVITY);
    sign_cavage(&mut request, key_id, private_key(), at(0)).unwrap();
    let input = parse(&request).unwrap();
    assert_eq!(input.key_id(), key_id);
    input.verify(public_key(), ACTIVITY, at(30)).unwrap();
}

#[test]
fn signing_string_follows_the_order_of_the_headers_parameter() {
    let lines = format!(
        "date: Tue, 14 Nov 2023 22:13:20 GMT\ndigest: {}\nhost: coop.example\n\
         (request-target): post /users/alice/inbox",
        digest_header(ACTIVITY)
    );
    let mut request = prepared_post(INBOX);
    sign_cavage_by_hand(
        &mut request,
        &format!(
            "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"date digest host (request-target)\""
        ),
        &lines,
    );
    verify(&request).unwrap();

    // The same signature claimed for the usual order does not verify.
    let reordered = header(&request, "signature").replace(
        "date digest host (request-target)",
        "(request-target) host date digest",
    );
    set(&mut request, "signature", &reordered);
    assert!(matches!(verify(&request), Err(SignatureError::Mismatch)));
}

#[test]
fn headers_parameter_is_case_insensitive() {
    let mut request = prepared_post(INBOX);
    sign_cavage_by_hand(
        &mut request,
        &format!(
            "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"(request-target) Host Date Digest\""
        ),
        &format!(
            "(request-target): post /users/alice/inbox\nhost: coop.example\n\
             date: Tue, 14 Nov 2023 22:13:20 GMT\ndigest: {}",
            digest_header(ACTIVITY)
        ),
    );
    verify(&request).unwrap();
}

#[test]
fn request_target_signed_without_query_still_verifies() {
    let mut request = prepared_post("https://coop.example/users/alice/inbox?via=relay");
    sign_cavage_by_hand(
        &mut request,
        &format!(
            "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\""
        ),
        &format!(
            "(request-target): post /users/alice/inbox\nhost: coop.example\n\
             date: Tue, 14 Nov 2023 22:13:20 GMT\ndigest: {}",
            digest_header(ACTIVITY)
        ),
    );
    verify(&request).unwrap();
}

#[test]
fn created_and_expires_pseudo_headers() {
    let params = |created: i64, expires: i64| {
        format!(
            "keyId=\"{KEY_ID}\",algorithm=\"hs2019\",created={created},expires={expires},\
             headers=\"(request-target) (created) (expires) host digest\""
        )
    };
    let lines = |created: i64, expires: i64| {
        format!(
            "(request-target): post /users/alice/inbox\n(created): {created}\n\
             (expires): {expires}\nhost: coop.example\ndigest: {}",
            digest_header(ACTIVITY)
        )
    };
    let created = SIGNED_AT as i64;
    let mut request = prepared_post(INBOX);
    request.headers_mut().remove(header::DATE);
    sign_cavage_by_hand(
        &mut request,
        &params(created, created + 60),
        &lines(created, created + 60),
    );
    verify(&request).unwrap();
    // A signed expiry is honoured: an hour (of skew) after it, the request is stale.
    let err = verify_with(&request, public_key(), at(60 + 3601)).unwrap_err();
    assert!(matches!(err, SignatureError::Expired), "{err}");

    // (created) is not allowed with rsa-sha256.
    let rsa = params(created, created + 60).replace("hs2019", "rsa-sha256");
    sign_cavage_by_hand(&mut request, &rsa, &lines(created, created + 60));
    assert!(matches!(parse(&request), Err(SignatureError::Malformed(_))));
}

#[test]
fn mastodon_strength_rules() {
    let cases = [
        (Method::GET, "host date"),
        (Method::GET, "(request-target) date"),
        (Method::POST, "(request-target) host date"),
        (Method::POST, "(request-target) host digest"),
    ];
    for (method, headers) in cases {
        let mut request = prepared_post(INBOX);
        *request.method_mut() = method.clone();
        set(
            &mut request,
            "signature",
            &format!(
                "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"{headers}\",signature=\"AAAA\""
            ),
        );
        let err = parse(&request).unwrap_err();
        assert!(
            matches!(err, SignatureError::Insufficient(_)),
            "{method} {headers}: {err}"
        );
    }
}

#[test]
fn signed_but_absent_header_is_reported() {
    let mut request = prepared_post(INBOX);
    set(
        &mut request,
        "signature",
        &format!(
            "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest x-missing\",signature=\"AAAA\""
        ),
    );
    assert!(matches!(
        parse(&request),
        Err(SignatureError::MissingHeader(_))
    ));
}

#[test]
fn signature_prefix_and_authorization_header_are_accepted() {
    let mut request = post(INBOX, ACTIVITY);
    sign_cavage(&mut request, KEY_ID, private_key(), at(0)).unwrap();
    let value = header(&request, "signature");

    set(&mut request, "signature", &format!("Signature {value}"));
    verify(&request).unwrap();

    request.headers_mut().remove("signature");
    set(&mut request, "authorization", &format!("Signature {value}"));
    verify(&request).unwrap();
}

#[test]
fn unsigned_request_is_missing() {
    let request = post(INBOX, ACTIVITY);
    assert!(matches!(parse(&request), Err(SignatureError::Missing)));
    let mut request = post(INBOX, ACTIVITY);
    set(&mut request, "authorization", "Bearer abc");
    assert!(matches!(parse(&request), Err(SignatureError::Missing)));
    assert_eq!(
        SignatureError::Missing.status_code(),
        http::StatusCode::UNAUTHORIZED
    );
}

#[test]
fn malformed_signature_headers() {
    for value in [
        "garbage",
        "keyId=\"k\"",
        "keyId=\"k\",signature=\"not base64!\",headers=\"(request-target) host date digest\"",
        "keyId=\"unterminated",
    ] {
        let mut request = prepared_post(INBOX);
        set(&mut request, "signature", value);
        let err = parse(&request).unwrap_err();
        assert!(
            matches!(err, SignatureError::Malformed(_)),
            "{value}: {err}"
        );
    }
}

// --- RFC 9421 details -----------------------------------------------------------------------

fn rfc9421_lines(components: &[(&str, &str)]) -> String {
    components
        .iter()
        .map(|(name, value)| format!("\"{name}\": {value}\n"))
        .collect()
}

#[test]
fn rfc9421_accepts_authority_and_path_instead_of_target_uri() {
    let mut request = post(INBOX, ACTIVITY);
    set(
        &mut request,
        "content-digest",
        &content_digest_header(ACTIVITY),
    );
    let lines = rfc9421_lines(&[
        ("@method", "POST"),
        ("@authority", "coop.example"),
        ("@path", "/users/alice/inbox"),
        ("content-digest", &content_digest_header(ACTIVITY)),
    ]);
    let params = format!(
        "(\"@method\" \"@authority\" \"@path\" \"content-digest\");created={SIGNED_AT};keyid=\"{KEY_ID}\""
    );
    sign_rfc9421_by_hand(&mut request, &lines, &params);
    verify(&request).unwrap();
}

#[test]
fn rfc9421_honours_expires_and_other_labels() {
    let mut request = get(INBOX);
    let lines = rfc9421_lines(&[("@method", "GET"), ("@target-uri", INBOX)]);
    let expires = SIGNED_AT + 10;
    let params = format!(
        "(\"@method\" \"@target-uri\");created={SIGNED_AT};expires={expires};keyid=\"{KEY_ID}\";alg=\"rsa-v1_5-sha256\";tag=\"fedify\""
    );
    sign_rfc9421_by_hand(&mut request, &lines, &params);
    verify_with(&request, public_key(), at(3600)).unwrap();
    let err = verify_with(&request, public_key(), at(3611)).unwrap_err();
    assert!(matches!(err, SignatureError::Expired), "{err}");

    // Another label works as long as both headers agree.
    let input = header(&request, "signature-input").replacen("sig1", "fedify", 1);
    let signature = header(&request, "signature").replacen("sig1", "fedify", 1);
    set(&mut request, "signature-input", &input);
    set(&mut request, "signature", &signature);
    verify_with(&request, public_key(), at(0)).unwrap();
    set(
        &mut request,
        "signature",
        &signature.replacen("fedify", "other", 1),
    );
    assert!(matches!(parse(&request), Err(SignatureError::Malformed(_))));
}

#[test]
fn rfc9421_rejects_other_algorithms() {
    let mut request = get(INBOX);
    let lines = rfc9421_lines(&[("@method", "GET"), ("@target-uri", INBOX)]);
    let params = format!(
        "(\"@method\" \"@target-uri\");created={SIGNED_AT};keyid=\"{KEY_ID}\";alg=\"ed25519\""
    );
    sign_rfc9421_by_hand(&mut request, &lines, &params);
    let err = parse(&request).unwrap_err();
    assert!(
        matches!(err, SignatureError::UnsupportedAlgorithm(_)),
        "{err}"
    );
    assert!(err.to_string().contains("ed25519"), "{err}");
}

#[test]
fn rfc9421_strength_rules() {
    let cases = [
        // POST without content-digest.
        (
            Method::POST,
            "(\"@method\" \"@target-uri\");created=1700000000;keyid=\"k\"",
        ),
        // No @method.
        (
            Method::GET,
            "(\"@target-uri\");created=1700000000;keyid=\"k\"",
        ),
        // Neither @target-uri nor @authority + @path.
        (
            Method::GET,
            "(\"@method\" \"@authority\");created=1700000000;keyid=\"k\"",
        ),
        // created and keyid are required.
        (Method::GET, "(\"@method\" \"@target-uri\");keyid=\"k\""),
        (
            Method::GET,
            "(\"@method\" \"@target-uri\");created=1700000000",
        ),
    ];
    for (method, params) in cases {
        let mut request = get(INBOX);
        *request.method_mut() = method.clone();
        set(&mut request, "signature-input", &format!("sig1={params}"));
        set(&mut request, "signature", "sig1=:AAAA:");
        let err = parse(&request).unwrap_err();
        assert!(
            matches!(err, SignatureError::Insufficient(_)),
            "{params}: {err}"
        );
    }
}

#[test]
fn rfc9421_body_without_content_digest_is_insufficient() {
    // A PUT (not POST) with a body, signed without content-digest.
    let mut request = post(INBOX, ACTIVITY);
    *request.method_mut() = Method::PUT;
    let lines = rfc9421_lines(&[("@method", "PUT"), ("@target-uri", INBOX)]);
    let params = format!("(\"@method\" \"@target-uri\");created={SIGNED_AT};keyid=\"{KEY_ID}\"");
    sign_rfc9421_by_hand(&mut request, &lines, &params);
    let err = verify(&request).unwrap_err();
    assert!(matches!(err, SignatureError::Insufficient(_)), "{err}");
}

#[test]
fn rfc9421_malformed_headers() {
    for (input, signature) in [
        ("sig1=(\"@method\"", "sig1=:AAAA:"),
        ("sig1=\"@method\"", "sig1=:AAAA:"),
        (
            "sig1=(\"@method\" \"@target-uri\");created=1;keyid=\"k\"",
            "sig1=\"AAAA\"",
        ),
        (
            "sig1=(\"@method\" \"@target-uri\" \"@method\");created=1;keyid=\"k\"",
            "sig1=:AAAA:",
        ),
        (
            "sig1=(\"@method\" \"@target-uri\" \"Host\");created=1;keyid=\"k\"",
            "sig1=:AAAA:",
        ),
        (
            "sig1=(\"@method\" \"@target-uri\" \"@query-param\";name=\"a\");created=1;keyid=\"k\"",
            "sig1=:AAAA:",
        ),
    ] {
        let mut request = get(INBOX);
        set(&mut request, "signature-input", input);
        set(&mut request, "signature", signature);
        let err = parse(&request).unwrap_err();
        assert!(
            matches!(err, SignatureError::Malformed(_)),
            "{input}: {err}"
        );
    }
}

// --- fixed vectors (signed by OpenSSL) ------------------------------------------------------

fn fixture_request() -> Request<Vec<u8>> {
    Request::post("/users/alice/inbox")
        .header("host", "coop.example")
        .header("date", "Tue, 14 Nov 2023 22:13:20 GMT")
        .header(
            "digest",
            "SHA-256=5VE/ZRRgV/HWbVyh4Y1M3u/d90cy3+pk5dY/zvNLAhQ=",
        )
        .header(
            "content-digest",
            "sha-256=:5VE/ZRRgV/HWbVyh4Y1M3u/d90cy3+pk5dY/zvNLAhQ=:",
        )
        .header("content-type", "application/activity+json")
        .body(BODY.as_bytes().to_vec())
        .unwrap()
}

fn verify_fixture(request: &Request<Vec<u8>>) -> Result<(), SignatureError> {
    let parts = RequestParts::from_request(request, "https")?;
    let input = parse_signature(&parts)?;
    assert_eq!(input.key_id(), "https://remote.example/users/bob#main-key");
    for pem in [PUBLIC_SPKI_PEM, PUBLIC_PKCS1_PEM] {
        input.verify(&PublicKey::from_pem(pem)?, request.body(), at(30))?;
    }
    Ok(())
}

#[test]
fn fixed_vector_cavage_from_openssl() {
    let mut request = fixture_request();
    set(
        &mut request,
        "signature",
        &format!(
            "keyId=\"https://remote.example/users/bob#main-key\",algorithm=\"rsa-sha256\",\
             headers=\"(request-target) host date digest content-type\",signature=\"{CAVAGE_SIGNATURE}\""
        ),
    );
    verify_fixture(&request).unwrap();
}

#[test]
fn fixed_vector_rfc9421_from_openssl() {
    let mut request = fixture_request();
    set(
        &mut request,
        "signature-input",
        "sig1=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;\
         keyid=\"https://remote.example/users/bob#main-key\";alg=\"rsa-v1_5-sha256\"",
    );
    set(
        &mut request,
        "signature",
        &format!("sig1=:{RFC9421_SIGNATURE}:"),
    );
    verify_fixture(&request).unwrap();
}

#[test]
fn our_signers_reproduce_the_openssl_vectors_exactly() {
    // RSA PKCS#1 v1.5 is deterministic, so the same key and input give the same bytes.
    let key = PrivateKey::from_pem(PRIVATE_PKCS1_PEM).unwrap();
    let key_id = "https://remote.example/users/bob#main-key";

    let mut request = post(INBOX, BODY.as_bytes());
    sign_cavage(&mut request, key_id, &key, at(0)).unwrap();
    assert!(header(&request, "signature").ends_with(&format!("signature=\"{CAVAGE_SIGNATURE}\"")));

    let mut request = post(INBOX, BODY.as_bytes());
    sign_rfc9421(&mut request, key_id, &key, at(0)).unwrap();
    assert_eq!(
        header(&request, "signature"),
        format!("sig1=:{RFC9421_SIGNATURE}:")
    );
}

#[test]
fn signers_reject_relative_uris_and_unquotable_key_ids() {
    for sign in [sign_cavage, sign_rfc9421] {
        let mut request = post("/users/alice/inbox", ACTIVITY);
        let err = sign(&mut request, KEY_ID, private_key(), at(0)).unwrap_err();
        assert!(matches!(err, SignatureError::Sign(_)), "{err}");
        let mut request = post(INBOX, ACTIVITY);
        assert!(sign(&mut request, "k\u{e9}y", private_key(), at(0)).is_err());
    }
}

#[test]
fn time_helpers_round_trip() {
    assert_eq!(unix_seconds(at(0)), SIGNED_AT);
    assert_eq!(
        unix_time(-1),
        UNIX_EPOCH.checked_sub(Duration::from_secs(1))
    );
}
