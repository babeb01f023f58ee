//! The session cookie and the bearer token: setting, clearing and reading them from requests.

use std::time::Duration;

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

/// Name of the cookie that carries the session secret.
pub const SESSION_COOKIE: &str = "cooperage_session";

/// `Set-Cookie` value for a session; `secret` must be cookie-safe (ours are base64url).
pub fn session_cookie(secret: &str, secure: bool, max_age: Duration) -> String {
    // HttpOnly: scripts (and so XSS) cannot read it. SameSite=Lax: not sent on cross-site
    // POSTs, the CSRF shape that matters, but still sent when following a link to us.
    let mut cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        max_age.as_secs()
    );
    // `secure` is off only for plain-http development; browsers drop Secure cookies there.
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// `Set-Cookie` value that makes the browser drop the session cookie.
pub fn clear_session_cookie(secure: bool) -> String {
    // Same attributes as when set, or the browser may treat it as a different cookie.
    session_cookie("", secure, Duration::ZERO)
}

/// The session cookie's value from all `Cookie` headers, if present and not empty.
pub fn session_from_headers(headers: &HeaderMap) -> Option<String> {
    // HTTP/2 clients may split cookies over several headers, so read them all.
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| name.trim() == SESSION_COOKIE)
        .map(|(_, value)| unquote(value.trim()))
        // The first is the most specific (longest path) per RFC 6265; skip cleared ones.
        .find(|value| !value.is_empty())
        .map(str::to_owned)
}

/// Strips the optional double quotes RFC 6265 allows around a cookie value.
fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(|c: char| c.is_ascii_whitespace())?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    // A token never contains spaces; anything else is a malformed header, not a token.
    if token.is_empty() || token.contains(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    Some(token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(name: http::HeaderName, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(name.clone(), HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn set_cookie_values() {
        assert_eq!(
            session_cookie("coop_ses_abc", true, Duration::from_secs(3600)),
            "cooperage_session=coop_ses_abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600; Secure"
        );
        assert_eq!(
            session_cookie("coop_ses_abc", false, Duration::from_secs(60)),
            "cooperage_session=coop_ses_abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        assert_eq!(
            clear_session_cookie(true),
            "cooperage_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure"
        );
        assert_eq!(
            clear_session_cookie(false),
            "cooperage_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
    }

    #[test]
    fn session_from_cookie_headers() {
        let get = |values: &[&str]| session_from_headers(&headers(COOKIE, values));
        assert_eq!(get(&["cooperage_session=abc"]), Some("abc".into()));
        assert_eq!(
            get(&["theme=dark; cooperage_session=abc; lang=en"]),
            Some("abc".into())
        );
        assert_eq!(
            get(&["theme=dark;cooperage_session=abc"]),
            Some("abc".into())
        );
        assert_eq!(
            get(&["  cooperage_session = \"abc\" ; x=1"]),
            Some("abc".into())
        );
        assert_eq!(
            get(&["theme=dark", "cooperage_session=abc"]),
            Some("abc".into())
        );
        // Values may contain '=' (padding, other encodings).
        assert_eq!(get(&["cooperage_session=a=b"]), Some("a=b".into()));
        assert_eq!(
            get(&["cooperage_session=; cooperage_session=abc"]),
            Some("abc".into())
        );
        assert_eq!(get(&["cooperage_session="]), None);
        assert_eq!(
            get(&["cooperage_session_old=abc; xcooperage_session=1"]),
            None
        );
        assert_eq!(get(&["theme=dark"]), None);
        assert_eq!(get(&[]), None);
    }

    #[test]
    fn round_trip_through_a_cookie_header() {
        let secret = crate::auth::tokens::generate(crate::auth::tokens::SecretKind::Session).secret;
        let set = session_cookie(&secret, true, Duration::from_secs(10));
        let pair = set.split(';').next().unwrap();
        assert_eq!(
            session_from_headers(&headers(COOKIE, &[pair])),
            Some(secret)
        );
    }

    #[test]
    fn bearer_tokens() {
        let get = |values: &[&str]| bearer_token(&headers(AUTHORIZATION, values));
        assert_eq!(get(&["Bearer coop_pat_x"]), Some("coop_pat_x".into()));
        assert_eq!(get(&["bearer coop_pat_x"]), Some("coop_pat_x".into()));
        assert_eq!(get(&["BEARER   coop_pat_x  "]), Some("coop_pat_x".into()));
        assert_eq!(get(&["Basic dXNlcjpwYXNz"]), None);
        assert_eq!(get(&["Bearer"]), None);
        assert_eq!(get(&["Bearer "]), None);
        assert_eq!(get(&["Bearer a b"]), None);
        assert_eq!(get(&["Bearercoop_pat_x"]), None);
        assert_eq!(get(&[]), None);
    }
}
