//! Invitations: how people join, and how an admin lets a member set a new password.

use chrono::{NaiveDateTime, TimeDelta};
pub use cooperage_db::invitations::Invitation as StoredInvitation;
use cooperage_db::invitations::{self, NewInvitation};
use cooperage_db::members::Member;
use cooperage_domain::member::Role;

use crate::secrets::tokens;
use crate::{App, Error};

/// Longest an invitation may be valid, in hours (90 days).
pub const MAX_VALID_HOURS: u32 = 2160;

/// A single-use link, shown once.
pub struct Invitation {
    pub secret: String,
    pub url: String,
    pub role: Role,
    pub admin: bool,
    pub expires_at: NaiveDateTime,
}

/// An invitation to join with `role` (and the admin flag), valid for `hours` or the
/// configured default.
pub async fn invite(
    app: &App,
    by: &Member,
    role: Role,
    admin: bool,
    hours: Option<u32>,
) -> Result<Invitation, Error> {
    let validity = match hours {
        Some(0) => {
            return Err(Error::invalid(
                "expires_in_hours",
                format!("must be from 1 to {MAX_VALID_HOURS} (90 days)"),
            ));
        }
        Some(hours) if hours > MAX_VALID_HOURS => {
            return Err(Error::invalid(
                "expires_in_hours",
                format!("must be from 1 to {MAX_VALID_HOURS} (90 days)"),
            ));
        }
        Some(hours) => TimeDelta::hours(i64::from(hours)),
        None => {
            TimeDelta::from_std(app.accounts().invitation_validity).unwrap_or(TimeDelta::days(7))
        }
    };
    issue(app, role, admin, Some(by.id), None, validity).await
}

/// A single-use link with which `member` sets a new password (valid two days).
pub async fn password_reset(app: &App, by: &Member, member: &Member) -> Result<Invitation, Error> {
    issue(
        app,
        member.role,
        member.is_admin,
        Some(by.id),
        Some(member.id),
        TimeDelta::days(2),
    )
    .await
}

async fn issue(
    app: &App,
    role: Role,
    admin: bool,
    created_by: Option<i64>,
    member_id: Option<i64>,
    validity: TimeDelta,
) -> Result<Invitation, Error> {
    let secret = tokens::generate(tokens::SecretKind::Invitation);
    let now = cooperage_db::now();
    let invitation = NewInvitation {
        token_hash: secret.hash.clone(),
        role,
        is_admin: admin,
        created_by,
        member_id,
        expires_at: now + validity,
        created_at: now,
    };
    let stored = app
        .read(move |conn| invitations::create(conn, &invitation))
        .await?;
    let base = app.settings().base_url();
    Ok(Invitation {
        url: format!("{base}/join#{}", secret.secret),
        secret: secret.secret,
        role: stored.role,
        admin: stored.is_admin,
        expires_at: stored.expires_at,
    })
}

/// Invitations and password-reset links not used yet and still valid, newest first (their
/// secrets are not stored: only what they are for and until when).
pub async fn open(app: &App) -> Result<Vec<StoredInvitation>, Error> {
    let now = cooperage_db::now();
    app.read(move |conn| invitations::open(conn, now)).await
}

/// Revokes an unused invitation: its link no longer works.
pub async fn revoke(app: &App, id: i64) -> Result<(), Error> {
    if app.read(move |conn| invitations::revoke(conn, id)).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
