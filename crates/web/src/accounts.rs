//! What the HTTP side keeps of accounts: failed-login limits and cookie settings. Creating
//! members, logging in and sessions are operations of `cooperage_app::accounts`.

use std::sync::Arc;

use crate::auth::rate_limit::LoginLimiter;

/// Account state shared by the handlers.
#[derive(Clone)]
pub struct Accounts {
    pub limiter: Arc<LoginLimiter>,
    /// Whether cookies get `Secure` (the instance is reached over https).
    pub secure_cookies: bool,
}
