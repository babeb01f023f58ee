//! Accounts of the coop's people: creating members (sign-up, first admin), logging in,
//! sessions, passwords and personal API tokens.

use chrono::TimeDelta;
use cooperage_db::members::{self, ApiToken, Member, NewMember};
use cooperage_db::{actors, invitations};
use cooperage_domain::Username;
use cooperage_domain::member::{self as rules, Role, Status};
use cooperage_federation::local_actors;
use cooperage_federation::outbox;
use cooperage_federation::settings::INSTANCE_ACTOR;

use crate::secrets::{password, tokens};
use crate::{App, Error};

/// What a new account is made of.
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Role,
    pub is_admin: bool,
}

/// Creates a member: checks every field, makes their actor (with its own keys) and stores
/// both; a voting member is announced to the network (`Update` of the coop) in the same
/// transaction. Used by sign-up and by `cooperage admin create`.
pub async fn create_member(app: &App, account: NewAccount) -> Result<Member, Error> {
    let username = Username::parse(&account.username)
        .map_err(|e| Error::invalid("username", e.to_string()))?
        .to_string();
    password::check_strength(&account.password, &username)
        .map_err(|e| Error::invalid("password", e.to_string()))?;
    let email = account
        .email
        .filter(|e| !e.trim().is_empty())
        .map(|e| rules::normalize_email(&e).map_err(|why| Error::invalid("email", why)))
        .transpose()?;
    if username == app.settings().coop_handle || username == INSTANCE_ACTOR {
        return Err(Error::invalid("username", "is reserved"));
    }
    let (name, mail) = (username.clone(), email.clone());
    let (taken, mail_taken) = app
        .read(move |conn| {
            let taken = members::username_taken(conn, &name)?;
            let mail_taken = match &mail {
                Some(mail) => members::email_taken(conn, mail)?,
                None => false,
            };
            Ok((taken, mail_taken))
        })
        .await?;
    if taken {
        return Err(Error::conflict(
            "username",
            "is already taken (usernames are never reused)",
        ));
    }
    if mail_taken {
        return Err(Error::conflict(
            "email",
            "is already used by another member",
        ));
    }
    let secret = account.password;
    let hash = app
        .accounts()
        .passwords
        .run(move || password::hash(&secret))
        .await?
        .map_err(|e| Error::internal("cannot hash a password", e))?;
    let keys = local_actors::generate_keys().await?;
    let (actor_form, private_pem) = local_actors::new_actor(
        app.settings(),
        &username,
        actors::PERSON,
        account.display_name.filter(|n| !n.trim().is_empty()),
        keys,
    );
    let now = cooperage_db::now();
    let trial = TimeDelta::from_std(app.accounts().trial).unwrap_or(TimeDelta::days(182));
    let role = account.role;
    let mut member = NewMember {
        actor_id: 0,
        username,
        email,
        password_hash: Some(hash),
        role,
        is_admin: account.is_admin,
        status: Status::Active,
        joined_at: now,
        eligible_from: (role == Role::Candidate).then_some(now + trial),
        buddy_id: None,
    };
    app.write(move |conn, settings| {
        // Checked again inside the transaction: two sign-ups may race for one name.
        if members::username_taken(conn, &member.username)? {
            return Err(Error::conflict(
                "username",
                "is already taken (usernames are never reused)",
            ));
        }
        let actor = actors::create_local(conn, &actor_form, &private_pem)?;
        member.actor_id = actor.id;
        let created = members::create(conn, &member)?;
        if rules::can_vote(created.role, created.status) {
            outbox::queue_coop_update(conn, settings)?;
        }
        Ok(created)
    })
    .await
}

/// The member who logs in as `login` (username or e-mail), if any: what login limits are
/// counted against, before the password is checked.
pub async fn find_login(app: &App, login: &str) -> Result<Option<Member>, Error> {
    let owned = login.to_owned();
    app.read(move |conn| members::by_login(conn, &owned)).await
}

/// Checks the password of a login found by [`find_login`], within the bound on argon2 work
/// (`Error::Busy` when it is full). The answer never says which was wrong, and takes the same
/// time whether or not the account exists.
pub async fn verify_login(
    app: &App,
    member: Option<Member>,
    secret: &str,
) -> Result<Option<Member>, Error> {
    let secret = secret.to_owned();
    Ok(app
        .accounts()
        .passwords
        .run(move || match member {
            Some(member) => {
                let ok = member
                    .password_hash
                    .as_deref()
                    .is_some_and(|hash| password::verify(&secret, hash));
                (ok && rules::can_log_in(member.status)).then_some(member)
            }
            None => {
                password::dummy_verify(&secret);
                None
            }
        })
        .await?)
}

/// Starts a session; returns the secret for the cookie.
pub async fn start_session(app: &App, member_id: i64) -> Result<String, Error> {
    let secret = tokens::generate(tokens::SecretKind::Session);
    let expires = cooperage_db::now()
        + TimeDelta::from_std(app.accounts().session_lifetime).unwrap_or(TimeDelta::days(30));
    let hash = secret.hash.clone();
    app.read(move |conn| members::create_session(conn, member_id, &hash, expires))
        .await?;
    Ok(secret.secret)
}

/// Ends the session with this secret (logging out); unknown secrets are fine.
pub async fn end_session(app: &App, secret: &str) -> Result<(), Error> {
    let hash = tokens::hash(secret);
    app.read(move |conn| members::delete_session(conn, &hash))
        .await
}

/// What a sign-up with an invitation did.
pub enum SignedUp {
    /// A new member (with a session to log them in).
    Member { member: Member, session: String },
    /// The invitation was a password reset for an existing member.
    PasswordReset(Member),
}

/// What someone signing up sends with their invitation.
pub struct SignUp {
    pub invitation: String,
    pub username: Option<String>,
    pub password: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
}

/// Signs up with an invitation, or sets a new password with a reset invitation.
pub async fn sign_up(app: &App, form: SignUp) -> Result<SignedUp, Error> {
    let hash = tokens::hash(form.invitation.trim());
    let now = cooperage_db::now();
    let invitation = app
        .read(move |conn| invitations::by_hash(conn, &hash))
        .await?
        .ok_or_else(|| Error::invalid("invitation", "is not valid"))?;
    if invitation.used_at.is_some() {
        return Err(Error::invalid("invitation", "was already used"));
    }
    if invitation.expires_at <= now {
        return Err(Error::invalid(
            "invitation",
            "has expired: ask an admin for a new one",
        ));
    }
    if let Some(member_id) = invitation.member_id {
        let member = reset_password(app, invitation.id, member_id, form.password).await?;
        return Ok(SignedUp::PasswordReset(member));
    }
    let id = invitation.id;
    // Claim the invitation first: two sign-ups racing for it get one account, not two.
    if !app
        .read(move |conn| invitations::use_up(conn, id, now))
        .await?
    {
        return Err(Error::invalid("invitation", "was already used"));
    }
    let account = NewAccount {
        username: form.username.unwrap_or_default(),
        password: form.password,
        email: form.email,
        display_name: form.display_name,
        role: invitation.role,
        is_admin: invitation.is_admin,
    };
    let member = match create_member(app, account).await {
        Ok(member) => member,
        Err(error) => {
            // The invitation stays usable for a corrected attempt.
            app.read(move |conn| invitations::release(conn, id)).await?;
            return Err(error);
        }
    };
    let session = start_session(app, member.id).await?;
    Ok(SignedUp::Member { member, session })
}

/// Sets a new password with a reset invitation; every session of the member ends.
async fn reset_password(
    app: &App,
    invitation_id: i64,
    member_id: i64,
    new_password: String,
) -> Result<Member, Error> {
    let member = app
        .read(move |conn| members::by_id(conn, member_id))
        .await?
        .ok_or(Error::NotFound)?;
    password::check_strength(&new_password, &member.username)
        .map_err(|e| Error::invalid("password", e.to_string()))?;
    let new_hash = app
        .accounts()
        .passwords
        .run(move || password::hash(&new_password))
        .await?
        .map_err(|e| Error::internal("cannot hash a password", e))?;
    let now = cooperage_db::now();
    let used = app
        .write(move |conn, _| {
            if !invitations::use_up(conn, invitation_id, now)? {
                return Ok(false);
            }
            // Whoever held a session or token of the account before the reset loses it.
            members::set_password_hash(conn, member_id, &new_hash)?;
            members::delete_sessions_of(conn, member_id)?;
            members::revoke_tokens_of(conn, member_id)?;
            Ok(true)
        })
        .await?;
    if !used {
        return Err(Error::invalid("invitation", "was already used"));
    }
    Ok(member)
}

/// Changes a member's password after checking the current one (`Error::Invalid` on
/// `current_password` when it is wrong). Every API token is revoked and every session ends,
/// but `keep_session` (the hash of the session making the change, if any).
pub async fn change_password(
    app: &App,
    member: &Member,
    current: String,
    new_password: String,
    keep_session: Option<String>,
) -> Result<(), Error> {
    let stored = member.password_hash.clone().unwrap_or_default();
    let passwords = &app.accounts().passwords;
    if !passwords
        .run(move || password::verify(&current, &stored))
        .await?
    {
        return Err(Error::invalid("current_password", "is wrong"));
    }
    password::check_strength(&new_password, &member.username)
        .map_err(|e| Error::invalid("new_password", e.to_string()))?;
    let hashed = passwords
        .run(move || password::hash(&new_password))
        .await?
        .map_err(|e| Error::internal("cannot hash a password", e))?;
    let id = member.id;
    app.write(move |conn, _| {
        members::set_password_hash(conn, id, &hashed)?;
        members::revoke_tokens_of(conn, id)?;
        match &keep_session {
            Some(keep) => members::delete_other_sessions(conn, id, keep)?,
            None => members::delete_sessions_of(conn, id)?,
        }
        Ok(())
    })
    .await
}

/// Revokes every API token of a member and ends every session (for a member who fears a
/// secret leaked).
pub async fn revoke_all(app: &App, member: &Member) -> Result<(), Error> {
    let id = member.id;
    app.write(move |conn, _| {
        members::revoke_tokens_of(conn, id)?;
        members::delete_sessions_of(conn, id)?;
        Ok(())
    })
    .await
}

/// Longest token name, in characters.
const MAX_TOKEN_NAME: usize = 100;

/// A new personal API token: its row, and the secret shown once.
pub struct NewToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Makes a personal API token (`read` or `write`).
pub async fn create_token(
    app: &App,
    member: &Member,
    name: &str,
    scope: &str,
) -> Result<NewToken, Error> {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME {
        return Err(Error::invalid("name", "must be 1 to 100 characters"));
    }
    if scope != "read" && scope != "write" {
        return Err(Error::invalid("scope", "must be \"read\" or \"write\""));
    }
    let secret = tokens::generate(tokens::SecretKind::ApiToken);
    let (id, hash, scope) = (member.id, secret.hash.clone(), scope.to_owned());
    let token = app
        .read(move |conn| members::create_token(conn, id, &name, &scope, &hash))
        .await?;
    Ok(NewToken {
        token,
        secret: secret.secret,
    })
}

/// A member's tokens, newest first (revoked ones included, marked).
pub async fn tokens_of(app: &App, member: &Member) -> Result<Vec<ApiToken>, Error> {
    let id = member.id;
    app.read(move |conn| members::tokens_of(conn, id)).await
}

/// Revokes one of the member's tokens.
pub async fn revoke_token(app: &App, member: &Member, token_id: i64) -> Result<(), Error> {
    let id = member.id;
    if app
        .read(move |conn| members::revoke_token(conn, id, token_id))
        .await?
    {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
