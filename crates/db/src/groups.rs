//! Groups inside the coop: working groups (AGs), city groups, competence groups.

use chrono::NaiveDateTime;
use cooperage_domain::member::GroupKind;
use diesel::prelude::*;

use crate::schema::{coop_group_members, coop_groups, members};
use crate::{AnyConnection, DbError};

/// One group as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = coop_groups)]
pub struct Group {
    pub id: i64,
    pub name: String,
    #[diesel(deserialize_as = String)]
    pub kind: GroupKind,
    pub description: String,
    pub created_at: NaiveDateTime,
}

/// Creates a group; `None` when the name is taken.
pub fn create(
    conn: &mut AnyConnection,
    name: &str,
    kind: GroupKind,
    description: &str,
) -> Result<Option<Group>, DbError> {
    let inserted = crate::insert_if_absent(conn, |conn| {
        diesel::insert_into(coop_groups::table)
            .values((
                coop_groups::name.eq(name),
                coop_groups::kind.eq(kind.as_str()),
                coop_groups::description.eq(description),
                coop_groups::created_at.eq(crate::now()),
            ))
            .execute(conn)
    })?;
    if !inserted {
        return Ok(None);
    }
    Ok(Some(
        coop_groups::table
            .filter(coop_groups::name.eq(name))
            .select(Group::as_select())
            .first(conn)?,
    ))
}

/// All groups, by name.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<Group>, DbError> {
    Ok(coop_groups::table
        .order(coop_groups::name)
        .select(Group::as_select())
        .load(conn)?)
}

/// The group with this id.
pub fn by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<Group>, DbError> {
    Ok(coop_groups::table
        .find(id)
        .select(Group::as_select())
        .first(conn)
        .optional()?)
}

/// Adds a member to a group (no effect when already in it).
pub fn add_member(conn: &mut AnyConnection, group_id: i64, member_id: i64) -> Result<(), DbError> {
    crate::insert_if_absent(conn, |conn| {
        diesel::insert_into(coop_group_members::table)
            .values((
                coop_group_members::group_id.eq(group_id),
                coop_group_members::member_id.eq(member_id),
                coop_group_members::joined_at.eq(crate::now()),
            ))
            .execute(conn)
    })?;
    Ok(())
}

/// Removes a member from a group; returns whether they were in it.
pub fn remove_member(
    conn: &mut AnyConnection,
    group_id: i64,
    member_id: i64,
) -> Result<bool, DbError> {
    Ok(diesel::delete(
        coop_group_members::table
            .filter(coop_group_members::group_id.eq(group_id))
            .filter(coop_group_members::member_id.eq(member_id)),
    )
    .execute(conn)?
        > 0)
}

/// Usernames in a group, sorted.
pub fn member_names(conn: &mut AnyConnection, group_id: i64) -> Result<Vec<String>, DbError> {
    Ok(coop_group_members::table
        .inner_join(members::table.on(members::id.eq(coop_group_members::member_id)))
        .filter(coop_group_members::group_id.eq(group_id))
        .order(members::username)
        .select(members::username)
        .load(conn)?)
}

/// The groups a member is in, by name.
pub fn of_member(conn: &mut AnyConnection, member_id: i64) -> Result<Vec<Group>, DbError> {
    Ok(coop_group_members::table
        .inner_join(coop_groups::table)
        .filter(coop_group_members::member_id.eq(member_id))
        .order(coop_groups::name)
        .select(Group::as_select())
        .load(conn)?)
}
