//! Accounts of the coop's people: creating members, logging in, sessions and tokens. The
//! HTTP handlers in `api/` and the CLI (`cooperage admin create`) both go through here.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use cooperage_db::members::{self, Member, NewMember};
use cooperage_domain::Username;
use cooperage_domain::member::{self as rules, Role, Status};
use cooperage_federation::{FederationContext, local_actors};

use crate::AppError;
use crate::auth::{password, rate_limit::LoginLimiter, tokens};

/// Account settings, from the config's `[members]` section.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// Length of a candidate's trial before they may be promoted.
    pub trial: Duration,
    /// How long an invitation stays valid.
    pub invitation_validity: Duration,
    /// How long a login session lasts.
    pub session_lifetime: Duration,
    /// Whether cookies get `Secure` (the instance is reached over https).
    pub secure_cookies: bool,
    /// The bound on argon2 work, shared by everything that hashes or verifies passwords.
    pub passwords: password::PasswordWork,
}

/// Account state shared by the handlers.
#[derive(Clone)]
pub struct Accounts {
    pub settings: AccountSettings,
    pub limiter: Arc<LoginLimiter>,
}

/// What a new account is made of.
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Role,
    pub is_admin: bool,
}

/// Creates a member: checks every field, makes their actor (with its own keys), stores them.
pub async fn create_member(
    context: &FederationContext,
    settings: &AccountSettings,
    account: NewAccount,
) -> Result<Member, AppError> {
    let username = Username::parse(&account.username)
        .map_err(|e| AppError::field("username", &e.to_string()))?
        .to_string();
    password::check_strength(&account.password, &username)
        .map_err(|e| AppError::field("password", &e.to_string()))?;
    let email = account
        .email
        .filter(|e| !e.trim().is_empty())
        .map(|e| rules::normalize_email(&e).map_err(|why| AppError::field("email", why)))
        .transpose()?;
    if username == context.settings().coop_handle
        || username == cooperage_federation::settings::INSTANCE_ACTOR
    {
        return Err(AppError::field("username", "is reserved"));
    }
    let (name, mail) = (username.clone(), email.clone());
    let (taken, mail_taken) = context
        .db()
        .run(move |conn| {
            let taken = members::username_taken(conn, &name)?;
            let mail_taken = match &mail {
                Some(mail) => members::email_taken(conn, mail)?,
                None => false,
            };
            Ok((taken, mail_taken))
        })
        .await?;
    if taken {
        return Err(AppError::conflict(
            "username",
            "is already taken (usernames are never reused)",
        ));
    }
    if mail_taken {
        return Err(AppError::conflict(
            "email",
            "is already used by another member",
        ));
    }
    let password = account.password;
    let hash = settings
        .passwords
        .run(move || password::hash(&password))
        .await?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let actor = local_actors::ensure_member(
        context,
        &username,
        account.display_name.filter(|n| !n.trim().is_empty()),
    )
    .await?;
    let now = cooperage_db::now();
    let trial = TimeDelta::from_std(settings.trial).unwrap_or(TimeDelta::days(182));
    let member = NewMember {
        actor_id: actor.id,
        username,
        email,
        password_hash: Some(hash),
        role: account.role.as_str().to_owned(),
        is_admin: account.is_admin,
        status: Status::Active.as_str().to_owned(),
        joined_at: now,
        eligible_from: (account.role == Role::Candidate).then_some(now + trial),
        buddy_id: None,
    };
    Ok(context
        .db()
        .run(move |conn| members::create(conn, &member))
        .await?)
}

/// The member who logs in as `login` (username or e-mail), if any.
pub async fn find_login(
    context: &FederationContext,
    login: &str,
) -> Result<Option<Member>, AppError> {
    let owned = login.to_owned();
    Ok(context
        .db()
        .run(move |conn| members::by_login(conn, &owned))
        .await?)
}

/// Checks the password of a login found by [`find_login`] (within the bound on argon2 work).
/// The answer never says which was wrong, and takes the same time whether or not the account
/// exists.
pub async fn verify_login(
    settings: &AccountSettings,
    member: Option<Member>,
    password: &str,
) -> Result<Option<Member>, AppError> {
    let password = password.to_owned();
    let verified = settings
        .passwords
        .run(move || match member {
            Some(member) => {
                let ok = member
                    .password_hash
                    .as_deref()
                    .is_some_and(|hash| password::verify(&password, hash));
                let active = Status::parse(&member.status).is_ok_and(rules::can_log_in);
                (ok && active).then_some(member)
            }
            None => {
                password::dummy_verify(&password);
                None
            }
        })
        .await?;
    Ok(verified)
}

/// Starts a session; returns the secret for the cookie.
pub async fn start_session(
    context: &FederationContext,
    settings: &AccountSettings,
    member_id: i64,
) -> Result<String, AppError> {
    let secret = tokens::generate(tokens::SecretKind::Session);
    let expires = cooperage_db::now()
        + TimeDelta::from_std(settings.session_lifetime).unwrap_or(TimeDelta::days(30));
    let hash = secret.hash.clone();
    context
        .db()
        .run(move |conn| members::create_session(conn, member_id, &hash, expires))
        .await?;
    Ok(secret.secret)
}
