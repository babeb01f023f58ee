//! Invitations: single-use, expiring; also how an admin resets a member's password.

use chrono::NaiveDateTime;
use cooperage_domain::member::Role;
use diesel::prelude::*;

use crate::schema::invitations;
use crate::{AnyConnection, DbError};

/// One invitation as stored (only the hash of its secret).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: i64,
    pub token_hash: String,
    #[diesel(deserialize_as = String)]
    pub role: Role,
    pub is_admin: bool,
    pub created_by: Option<i64>,
    /// Set for a password reset of this member.
    pub member_id: Option<i64>,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A new invitation.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation {
    pub token_hash: String,
    #[diesel(serialize_as = String)]
    pub role: Role,
    pub is_admin: bool,
    pub created_by: Option<i64>,
    pub member_id: Option<i64>,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Stores an invitation.
pub fn create(conn: &mut AnyConnection, invitation: &NewInvitation) -> Result<Invitation, DbError> {
    diesel::insert_into(invitations::table)
        .values(invitation.clone())
        .execute(conn)?;
    Ok(invitations::table
        .filter(invitations::token_hash.eq(&invitation.token_hash))
        .select(Invitation::as_select())
        .first(conn)?)
}

/// The invitation with this secret hash, used or not.
pub fn by_hash(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<Invitation>, DbError> {
    Ok(invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .select(Invitation::as_select())
        .first(conn)
        .optional()?)
}

/// Marks an invitation used, if it still was unused; returns whether this call used it
/// (two sign-ups racing for one invitation: only one wins).
pub fn use_up(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<bool, DbError> {
    Ok(diesel::update(
        invitations::table
            .filter(invitations::id.eq(id))
            .filter(invitations::used_at.is_null()),
    )
    .set(invitations::used_at.eq(Some(now)))
    .execute(conn)?
        == 1)
}

/// Invitations not used yet and not expired, newest first.
pub fn open(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<Vec<Invitation>, DbError> {
    Ok(invitations::table
        .filter(invitations::used_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .order(invitations::id.desc())
        .select(Invitation::as_select())
        .load(conn)?)
}

/// Makes a claimed invitation usable again (the sign-up it was claimed for failed).
pub fn release(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    diesel::update(invitations::table.find(id))
        .set(invitations::used_at.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}

/// Revokes an invitation not used yet (removes it); returns whether there was one.
pub fn revoke(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    Ok(diesel::delete(
        invitations::table
            .filter(invitations::id.eq(id))
            .filter(invitations::used_at.is_null()),
    )
    .execute(conn)?
        == 1)
}
