//! Members (accounts of the coop's people), with their sessions and API tokens.

use chrono::NaiveDateTime;
use cooperage_domain::member::{self as rules, Role, Status};
use diesel::prelude::*;

use crate::schema::{actors, api_tokens, members, sessions};
use crate::{AnyConnection, DbError};

/// One member as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = members)]
pub struct Member {
    pub id: i64,
    pub actor_id: i64,
    pub username: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub bio: String,
    pub pronouns: String,
    pub city: String,
    pub avatar_url: Option<String>,
    #[diesel(deserialize_as = String)]
    pub role: Role,
    pub is_admin: bool,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub joined_at: NaiveDateTime,
    pub eligible_from: Option<NaiveDateTime>,
    pub buddy_id: Option<i64>,
    /// The language chosen for pages (`en`, `de`); `None`: the browser's.
    pub language: Option<String>,
}

/// A new member.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = members)]
pub struct NewMember {
    pub actor_id: i64,
    pub username: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    #[diesel(serialize_as = String)]
    pub role: Role,
    pub is_admin: bool,
    #[diesel(serialize_as = String)]
    pub status: Status,
    pub joined_at: NaiveDateTime,
    pub eligible_from: Option<NaiveDateTime>,
    pub buddy_id: Option<i64>,
}

/// Profile fields a member edits; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = members)]
pub struct ProfileChange {
    pub bio: Option<String>,
    pub pronouns: Option<String>,
    pub city: Option<String>,
    pub avatar_url: Option<Option<String>>,
}

/// What an admin changes about a member; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AdminChange {
    pub role: Option<Role>,
    pub status: Option<Status>,
    pub is_admin: Option<bool>,
    pub buddy_id: Option<Option<i64>>,
    pub eligible_from: Option<Option<NaiveDateTime>>,
}

/// [`AdminChange`] as diesel writes it (roles and statuses as their words).
#[derive(AsChangeset)]
#[diesel(table_name = members)]
struct AdminChangeset {
    role: Option<String>,
    status: Option<String>,
    is_admin: Option<bool>,
    buddy_id: Option<Option<i64>>,
    eligible_from: Option<Option<NaiveDateTime>>,
}

/// Stores a new member; the username is taken for good.
pub fn create(conn: &mut AnyConnection, member: &NewMember) -> Result<Member, DbError> {
    diesel::insert_into(members::table)
        .values(member.clone())
        .execute(conn)?;
    by_username(conn, &member.username)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// The member with this id.
pub fn by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<Member>, DbError> {
    Ok(members::table
        .find(id)
        .select(Member::as_select())
        .first(conn)
        .optional()?)
}

/// The member whose actor this is.
pub fn by_actor_id(conn: &mut AnyConnection, actor_id: i64) -> Result<Option<Member>, DbError> {
    Ok(members::table
        .filter(members::actor_id.eq(actor_id))
        .select(Member::as_select())
        .first(conn)
        .optional()?)
}

/// The member with this username.
pub fn by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<Member>, DbError> {
    Ok(members::table
        .filter(members::username.eq(username))
        .select(Member::as_select())
        .first(conn)
        .optional()?)
}

/// The member who logs in with `login`: a username, or an e-mail address (lower-cased).
pub fn by_login(conn: &mut AnyConnection, login: &str) -> Result<Option<Member>, DbError> {
    let login = login.trim();
    if login.contains('@') {
        return Ok(members::table
            .filter(members::email.eq(login.to_lowercase()))
            .select(Member::as_select())
            .first(conn)
            .optional()?);
    }
    by_username(conn, login)
}

/// Whether a username was ever taken (left members keep theirs), here or by any local actor.
pub fn username_taken(conn: &mut AnyConnection, username: &str) -> Result<bool, DbError> {
    let members: i64 = members::table
        .filter(members::username.eq(username))
        .count()
        .get_result(conn)?;
    let actors: i64 = actors::table
        .filter(actors::local.eq(true))
        .filter(actors::username.eq(username))
        .count()
        .get_result(conn)?;
    Ok(members + actors > 0)
}

/// Whether an e-mail address is in use.
pub fn email_taken(conn: &mut AnyConnection, email: &str) -> Result<bool, DbError> {
    let count: i64 = members::table
        .filter(members::email.eq(email))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// All members, by username.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<Member>, DbError> {
    Ok(members::table
        .order(members::username)
        .select(Member::as_select())
        .load(conn)?)
}

/// Number of members (any role and status).
pub fn count(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(members::table.count().get_result(conn)?)
}

/// The actor ids of voting members ([`rules::can_vote`]): the coop's `members` collection,
/// which other instances fetch to check "one member, one vote". Filtered here rather than in
/// SQL so that the rule is written once, in `domain` (a coop has hundreds of members at most).
pub fn voting_actor_ids(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String, String, String)> = members::table
        .inner_join(actors::table)
        .order(actors::ap_id)
        .select((actors::ap_id, members::role, members::status))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, role, status)| {
            matches!((Role::parse(role), Status::parse(status)), (Ok(r), Ok(s)) if rules::can_vote(r, s))
        })
        .map(|(id, _, _)| id)
        .collect())
}

/// Applies a profile change.
pub fn update_profile(
    conn: &mut AnyConnection,
    id: i64,
    change: &ProfileChange,
) -> Result<(), DbError> {
    if change.bio.is_none()
        && change.pronouns.is_none()
        && change.city.is_none()
        && change.avatar_url.is_none()
    {
        return Ok(());
    }
    diesel::update(members::table.find(id))
        .set(change)
        .execute(conn)?;
    Ok(())
}

/// Sets the language a member chose for pages (`None`: the browser's).
pub fn set_language(
    conn: &mut AnyConnection,
    id: i64,
    language: Option<&str>,
) -> Result<(), DbError> {
    diesel::update(members::table.find(id))
        .set(members::language.eq(language))
        .execute(conn)?;
    Ok(())
}

/// Applies an admin's change.
pub fn update_by_admin(
    conn: &mut AnyConnection,
    id: i64,
    change: &AdminChange,
) -> Result<(), DbError> {
    if change.role.is_none()
        && change.status.is_none()
        && change.is_admin.is_none()
        && change.buddy_id.is_none()
        && change.eligible_from.is_none()
    {
        return Ok(());
    }
    let changeset = AdminChangeset {
        role: change.role.map(String::from),
        status: change.status.map(String::from),
        is_admin: change.is_admin,
        buddy_id: change.buddy_id,
        eligible_from: change.eligible_from,
    };
    diesel::update(members::table.find(id))
        .set(&changeset)
        .execute(conn)?;
    Ok(())
}

/// Sets a member's password hash.
pub fn set_password_hash(conn: &mut AnyConnection, id: i64, hash: &str) -> Result<(), DbError> {
    diesel::update(members::table.find(id))
        .set(members::password_hash.eq(Some(hash)))
        .execute(conn)?;
    Ok(())
}

/// Candidates whose trial is over (`eligible_from` passed), oldest first.
pub fn candidates_ready(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> Result<Vec<Member>, DbError> {
    Ok(members::table
        .filter(members::role.eq(Role::Candidate.as_str()))
        .filter(members::status.eq(Status::Active.as_str()))
        .filter(members::eligible_from.le(now))
        .order(members::eligible_from)
        .select(Member::as_select())
        .load(conn)?)
}

/// Starts a session; only the hash of its secret is stored.
pub fn create_session(
    conn: &mut AnyConnection,
    member_id: i64,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::member_id.eq(member_id),
            sessions::created_at.eq(crate::now()),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The member of an unexpired session.
pub fn by_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<Member>, DbError> {
    Ok(sessions::table
        .inner_join(members::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .select(Member::as_select())
        .first(conn)
        .optional()?)
}

/// Ends a session.
pub fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> Result<(), DbError> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(conn)?;
    Ok(())
}

/// Ends every session of a member (password changed or reset).
pub fn delete_sessions_of(conn: &mut AnyConnection, member_id: i64) -> Result<(), DbError> {
    diesel::delete(sessions::table.filter(sessions::member_id.eq(member_id))).execute(conn)?;
    Ok(())
}

/// Ends every session of a member but one (the one changing the password keeps working).
pub fn delete_other_sessions(
    conn: &mut AnyConnection,
    member_id: i64,
    keep_hash: &str,
) -> Result<(), DbError> {
    diesel::delete(
        sessions::table
            .filter(sessions::member_id.eq(member_id))
            .filter(sessions::token_hash.ne(keep_hash)),
    )
    .execute(conn)?;
    Ok(())
}

/// Revokes every unrevoked API token of a member; returns how many.
pub fn revoke_tokens_of(conn: &mut AnyConnection, member_id: i64) -> Result<usize, DbError> {
    Ok(diesel::update(
        api_tokens::table
            .filter(api_tokens::member_id.eq(member_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(crate::now())))
    .execute(conn)?)
}

/// A personal API token as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub member_id: i64,
    pub name: String,
    pub scope: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Stores a new API token by the hash of its secret.
pub fn create_token(
    conn: &mut AnyConnection,
    member_id: i64,
    name: &str,
    scope: &str,
    token_hash: &str,
) -> Result<ApiToken, DbError> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::token_hash.eq(token_hash),
            api_tokens::member_id.eq(member_id),
            api_tokens::name.eq(name),
            api_tokens::scope.eq(scope),
            api_tokens::created_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(api_tokens::table
        .filter(api_tokens::token_hash.eq(token_hash))
        .select(ApiToken::as_select())
        .first(conn)?)
}

/// The member and scope of an unrevoked token; records its use.
pub fn by_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<(Member, String)>, DbError> {
    let found: Option<(Member, String, i64)> = api_tokens::table
        .inner_join(members::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .select((Member::as_select(), api_tokens::scope, api_tokens::id))
        .first(conn)
        .optional()?;
    let Some((member, scope, id)) = found else {
        return Ok(None);
    };
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(Some(crate::now())))
        .execute(conn)?;
    Ok(Some((member, scope)))
}

/// A member's tokens, newest first.
pub fn tokens_of(conn: &mut AnyConnection, member_id: i64) -> Result<Vec<ApiToken>, DbError> {
    Ok(api_tokens::table
        .filter(api_tokens::member_id.eq(member_id))
        .order(api_tokens::id.desc())
        .select(ApiToken::as_select())
        .load(conn)?)
}

/// Revokes one of a member's tokens; returns whether there was one to revoke.
pub fn revoke_token(
    conn: &mut AnyConnection,
    member_id: i64,
    token_id: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(token_id))
            .filter(api_tokens::member_id.eq(member_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(crate::now())))
    .execute(conn)?
        > 0)
}
