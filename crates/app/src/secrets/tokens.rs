//! Opaque secrets for sessions, API tokens and invitations: shown once, stored as a hash.

use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Random bytes in a secret: 256 bits, beyond guessing, so a fast hash suffices for storage.
const SECRET_BYTES: usize = 32;

/// What a secret is for; decides its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// A browser session (the session cookie).
    Session,
    /// A personal API token (`Authorization: Bearer`).
    ApiToken,
    /// An invitation to join the coop.
    Invitation,
}

impl SecretKind {
    /// Every kind, for lookups by prefix.
    const ALL: [SecretKind; 3] = [Self::Session, Self::ApiToken, Self::Invitation];

    /// The prefix of this kind's secrets. Prefixes let secret scanners and people recognise a
    /// leaked secret, and stop one kind being presented where another is expected.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Session => "coop_ses_",
            Self::ApiToken => "coop_pat_",
            Self::Invitation => "coop_inv_",
        }
    }
}

/// A freshly generated secret: `secret` goes to the user once, `hash` to the database.
pub struct NewSecret {
    /// The secret itself, e.g. `coop_pat_…`; never stored.
    pub secret: String,
    /// Lowercase hex SHA-256 of `secret`; what the database keeps and looks up by.
    pub hash: String,
}

impl fmt::Debug for NewSecret {
    // Secrets must not end up in logs through a stray `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSecret")
            .field("secret", &"<redacted>")
            .field("hash", &self.hash)
            .finish()
    }
}

/// Generates a new random secret of `kind` and its hash.
pub fn generate(kind: SecretKind) -> NewSecret {
    let mut bytes = [0u8; SECRET_BYTES];
    // Without system randomness no secret can be made safely; there is nothing to fall back on.
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("system randomness is available");
    let secret = format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&secret);
    NewSecret { secret, hash }
}

/// Lowercase hex SHA-256 of a secret, as stored in the database.
pub fn hash(secret: &str) -> String {
    // Unsalted SHA-256 is enough: the secret has 256 random bits, so there is nothing to
    // brute-force, and a deterministic hash lets the database find the row by it.
    let d = digest(&SHA256, secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in d.as_ref() {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    out
}

/// The kind of a secret, by its prefix; `None` for anything else.
pub fn kind_of(secret: &str) -> Option<SecretKind> {
    SecretKind::ALL
        .into_iter()
        .find(|k| secret.starts_with(k.prefix()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_have_prefix_and_length() {
        for kind in SecretKind::ALL {
            let s = generate(kind);
            let body = s.secret.strip_prefix(kind.prefix()).unwrap();
            // 32 bytes in unpadded base64 are 43 characters.
            assert_eq!(body.len(), 43, "{}", s.secret);
            assert!(
                body.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            );
            assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), SECRET_BYTES);
            assert_eq!(kind_of(&s.secret), Some(kind));
            assert_eq!(s.hash, hash(&s.secret));
        }
    }

    #[test]
    fn secrets_are_random() {
        let a = generate(SecretKind::Session);
        let b = generate(SecretKind::Session);
        assert_ne!(a.secret, b.secret);
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn hash_is_lowercase_hex_sha256() {
        // Known answer: SHA-256 of "abc" (FIPS 180-2).
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn kind_by_prefix() {
        assert_eq!(kind_of("coop_ses_abc"), Some(SecretKind::Session));
        assert_eq!(kind_of("coop_pat_abc"), Some(SecretKind::ApiToken));
        assert_eq!(kind_of("coop_inv_abc"), Some(SecretKind::Invitation));
        assert_eq!(kind_of("coop_xyz_abc"), None);
        assert_eq!(kind_of("COOP_PAT_abc"), None);
        assert_eq!(kind_of(""), None);
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let s = generate(SecretKind::ApiToken);
        let shown = format!("{s:?}");
        assert!(!shown.contains(&s.secret), "{shown}");
        assert!(!shown.contains(s.secret.strip_prefix("coop_pat_").unwrap()));
        assert!(shown.contains(&s.hash));
    }
}
