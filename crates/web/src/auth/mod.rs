//! What member accounts need to log in: password hashing and rules, opaque secrets for
//! sessions, API tokens and invitations, failed-login limiting, and the session cookie.
//! No database and no HTTP handlers here; those build on these primitives.

pub mod cookie;
pub mod rate_limit;

// Hashing and secrets belong to the application layer (the CLI creates accounts too).
pub use cooperage_app::secrets::{password, tokens};

pub use cookie::{
    SESSION_COOKIE, bearer_token, clear_session_cookie, session_cookie, session_from_headers,
};
pub use password::{PasswordError, check_strength, dummy_verify};
pub use rate_limit::{LimitPolicy, LoginLimiter};
pub use tokens::{NewSecret, SecretKind, generate, kind_of};
