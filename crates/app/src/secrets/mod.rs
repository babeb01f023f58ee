//! What accounts are protected with: password hashing and rules, and opaque secrets for
//! sessions, API tokens and invitations (only their hashes are stored).

pub mod password;
pub mod tokens;
