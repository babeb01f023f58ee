//! Usernames of members and of the coop itself (`@name@domain`).

use std::fmt;

/// Longest username we hand out. Mastodon accepts up to 30 characters for local accounts.
pub const MAX_LEN: usize = 30;

/// A Mastodon-compatible username: `[a-z0-9_]+([.-][a-z0-9_]+)*`, at most 30 characters.
///
/// Mastodon's WebFinger round-trip rejects handles outside this pattern, so an actor with any
/// other name could not be followed from the Fediverse.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

/// Why a string is not a valid username.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {MAX_LEN} characters")]
    TooLong,
    #[error("may only contain a-z, 0-9, '_', and single '.' or '-' between other characters")]
    InvalidCharacters,
}

impl Username {
    /// Checks `raw` against the Mastodon username rules.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        if raw.is_empty() {
            return Err(UsernameError::Empty);
        }
        if raw.len() > MAX_LEN {
            return Err(UsernameError::TooLong);
        }
        let word = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_';
        let separator = |c: u8| c == b'.' || c == b'-';
        let bytes = raw.as_bytes();
        let mut previous_was_separator = true; // forbids a leading separator
        for &c in bytes {
            if word(c) {
                previous_was_separator = false;
            } else if separator(c) && !previous_was_separator {
                previous_was_separator = true;
            } else {
                return Err(UsernameError::InvalidCharacters);
            }
        }
        if previous_was_separator {
            return Err(UsernameError::InvalidCharacters); // trailing separator
        }
        Ok(Self(raw.to_owned()))
    }

    /// The username as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: Result<(), UsernameError>) {
        assert_eq!(Username::parse(raw).map(|_| ()), expected, "input: {raw:?}");
    }

    #[test]
    fn accepts_mastodon_usernames() {
        for ok in [
            "coop",
            "river-builders",
            "river.builders",
            "a_b",
            "x1",
            "a.b-c_d",
        ] {
            check(ok, Ok(()));
        }
    }

    #[test]
    fn rejects_everything_else() {
        check("", Err(UsernameError::Empty));
        check(&"a".repeat(31), Err(UsernameError::TooLong));
        for bad in [
            "-a", "a-", ".a", "a.", "a..b", "a-.b", "A", "ä", "a b", "a@b", "a/b",
        ] {
            check(bad, Err(UsernameError::InvalidCharacters));
        }
    }
}
