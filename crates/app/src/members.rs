//! The coop's members: the list, admins' changes of role, status and buddy, and each
//! member's own profile. Changes the network must know of are queued with them.

use chrono::TimeDelta;
use cooperage_db::groups::{self, Group};
use cooperage_db::members::{self, AdminChange, Member, ProfileChange};
use cooperage_db::{actors, follows};
use cooperage_domain::member::{self as rules, Role, Status};
use cooperage_federation::outbox;
use cooperage_federation::sanitize::paragraphs;

use crate::{App, Error};

/// Longest bio, in characters.
pub const MAX_BIO: usize = 5_000;
/// Longest short profile field (name, pronouns, city), in characters.
pub const MAX_SHORT: usize = 100;

/// All members, by username.
pub async fn list(app: &App) -> Result<Vec<Member>, Error> {
    app.read(members::list).await
}

/// A member by username.
pub async fn find(app: &App, username: &str) -> Result<Member, Error> {
    let username = username.to_owned();
    app.read(move |conn| members::by_username(conn, &username))
        .await?
        .ok_or(Error::NotFound)
}

/// A member with their actor and the groups they are in.
pub struct Profile {
    pub member: Member,
    pub actor: actors::Actor,
    pub groups: Vec<Group>,
}

/// A member's profile.
pub async fn profile(app: &App, username: &str) -> Result<Profile, Error> {
    let member = find(app, username).await?;
    let (member_id, actor_id) = (member.id, member.actor_id);
    let (actor, groups) = app
        .read(move |conn| {
            Ok((
                actors::by_id(conn, actor_id)?,
                groups::of_member(conn, member_id)?,
            ))
        })
        .await?;
    Ok(Profile {
        member,
        actor,
        groups,
    })
}

/// The actor of a member (display name, actor id).
pub async fn actor_of(app: &App, member: &Member) -> Result<actors::Actor, Error> {
    let actor_id = member.actor_id;
    app.read(move |conn| actors::by_id(conn, actor_id)).await
}

/// What an admin changes about a member; `None` leaves it as it is.
#[derive(Debug, Default)]
pub struct MemberChange {
    pub role: Option<Role>,
    pub status: Option<Status>,
    pub admin: Option<bool>,
    /// Username of the onboarding buddy; `Some(None)` clears it.
    pub buddy: Option<Option<String>>,
}

/// An admin changes a member's role, status, admin flag or buddy. Promoting a candidate
/// clears the trial date; making someone a candidate starts one. Leaving ends the member's
/// follows. When who votes changes, the coop's `Update` goes out in the same transaction, and
/// the member's own `Update` whenever role or status change (their profile shows the role).
pub async fn change(
    app: &App,
    admin: &Member,
    username: &str,
    change: MemberChange,
) -> Result<Member, Error> {
    let member = find(app, username).await?;
    if member.id == admin.id
        && (change.admin == Some(false) || change.status.is_some_and(|s| s != Status::Active))
    {
        return Err(Error::invalid(
            "admin",
            "admins cannot demote or suspend themselves",
        ));
    }
    let buddy_id = match change.buddy {
        None => None,
        Some(None) => Some(None),
        Some(Some(buddy)) => {
            let buddy = find(app, buddy.trim())
                .await
                .map_err(|_| Error::invalid("buddy", "no such member"))?;
            if buddy.role != Role::Member || buddy.id == member.id {
                return Err(Error::invalid(
                    "buddy",
                    "must be another member (not a candidate)",
                ));
            }
            Some(Some(buddy.id))
        }
    };
    let trial = TimeDelta::from_std(app.accounts().trial).unwrap_or(TimeDelta::days(182));
    let eligible_from = match change.role {
        Some(Role::Member) => Some(None),
        Some(Role::Candidate) if member.role != Role::Candidate => {
            Some(Some(cooperage_db::now() + trial))
        }
        _ => None,
    };
    let update = AdminChange {
        role: change.role,
        status: change.status,
        is_admin: change.admin,
        buddy_id,
        eligible_from,
    };
    let before = member;
    app.write(move |conn, settings| {
        members::update_by_admin(conn, before.id, &update)?;
        let after = members::by_id(conn, before.id)?.ok_or(Error::NotFound)?;
        if after.status == Status::Left && before.status != Status::Left {
            // Leaving without moving (account migration is not supported): nobody follows the
            // member's actor here any more and it follows nobody. Their history stays; their
            // skill listings leave every directory.
            follows::remove_all_of(conn, after.actor_id)?;
            crate::skills::withdraw_all(conn, settings, after.actor_id)?;
        }
        if (after.role, after.status) != (before.role, before.status) {
            let actor = actors::by_id(conn, after.actor_id)?;
            outbox::queue_actor_update(conn, settings, &actor)?;
        }
        if rules::changes_voters((before.role, before.status), (after.role, after.status)) {
            outbox::queue_coop_update(conn, settings)?;
        }
        Ok(after)
    })
    .await
}

/// Candidates whose trial is over, for admins to promote.
pub async fn candidates_ready(app: &App) -> Result<Vec<Member>, Error> {
    let now = cooperage_db::now();
    app.read(move |conn| members::candidates_ready(conn, now))
        .await
}

/// Active candidates whose trial ends within `within` (or has ended), soonest first: who
/// the admins should look at next.
pub async fn trials_ending(app: &App, within: chrono::TimeDelta) -> Result<Vec<Member>, Error> {
    let until = cooperage_db::now() + within;
    let mut due: Vec<Member> = list(app)
        .await?
        .into_iter()
        .filter(|m| {
            m.role == cooperage_domain::member::Role::Candidate
                && cooperage_domain::member::can_log_in(m.status)
                && m.eligible_from.is_some_and(|at| at <= until)
        })
        .collect();
    due.sort_by_key(|m| m.eligible_from);
    Ok(due)
}

/// What a member changes of their own profile; `None` leaves it as it is.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub pronouns: Option<String>,
    pub city: Option<String>,
    /// `Some(None)` removes the avatar.
    pub avatar_url: Option<Option<String>>,
}

fn bounded(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, Error> {
    match value {
        Some(v) if v.chars().count() > max => Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        )),
        other => Ok(other.map(|v| v.trim().to_owned())),
    }
}

/// A member edits their profile; followers on other servers get `Update{Person}` with it.
pub async fn update_profile(
    app: &App,
    member: &Member,
    update: ProfileUpdate,
) -> Result<Member, Error> {
    let avatar_url = match update.avatar_url {
        None => None,
        Some(None) => Some(None),
        Some(Some(url)) if url.trim().is_empty() => Some(None),
        Some(Some(url)) => {
            let parsed = url::Url::parse(url.trim())
                .map_err(|_| Error::invalid("avatar_url", "must be an http(s) URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(Error::invalid("avatar_url", "must be an http(s) URL"));
            }
            Some(Some(parsed.to_string()))
        }
    };
    let change = ProfileChange {
        bio: bounded("bio", update.bio, MAX_BIO)?,
        pronouns: bounded("pronouns", update.pronouns, MAX_SHORT)?,
        city: bounded("city", update.city, MAX_SHORT)?,
        avatar_url,
    };
    let display_name = bounded("display_name", update.display_name, MAX_SHORT)?;
    // The bio is the actor's `summary` on the Fediverse.
    let summary = change.bio.as_deref().map(|bio| {
        if bio.is_empty() {
            String::new()
        } else {
            paragraphs(bio)
        }
    });
    let (id, actor_id) = (member.id, member.actor_id);
    app.write(move |conn, settings| {
        members::update_profile(conn, id, &change)?;
        if let Some(name) = display_name {
            actors::set_display_name(conn, actor_id, &name)?;
        }
        if let Some(summary) = &summary {
            actors::set_summary(conn, actor_id, summary)?;
        }
        let actor = actors::by_id(conn, actor_id)?;
        outbox::queue_actor_update(conn, settings, &actor)?;
        members::by_id(conn, id)?.ok_or(Error::NotFound)
    })
    .await
}

/// A member chooses the language of their pages (`None` or empty: as the browser asks).
pub async fn set_language(
    app: &App,
    member: &Member,
    language: Option<&str>,
) -> Result<Member, Error> {
    let language = rules::page_language(language.unwrap_or_default())
        .map_err(|e| Error::invalid("language", e))?;
    let id = member.id;
    app.read(move |conn| {
        members::set_language(conn, id, language)?;
        members::by_id(conn, id)
    })
    .await?
    .ok_or(Error::NotFound)
}
