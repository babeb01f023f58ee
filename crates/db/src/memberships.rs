//! Who is a voting member of which remote coop, as that coop attests.

use diesel::prelude::*;

use crate::schema::remote_memberships;
use crate::{AnyConnection, DbError};

/// Replaces what we know of a coop's voting members with `members` (its latest collection).
pub fn replace(
    conn: &mut AnyConnection,
    coop_actor_id: i64,
    members: &[String],
) -> Result<(), DbError> {
    let now = crate::now();
    crate::transaction(conn, |conn| {
        diesel::delete(
            remote_memberships::table.filter(remote_memberships::coop_actor_id.eq(coop_actor_id)),
        )
        .execute(conn)?;
        let mut members: Vec<&String> = members.iter().collect();
        members.sort();
        members.dedup();
        for member in members {
            diesel::insert_into(remote_memberships::table)
                .values((
                    remote_memberships::coop_actor_id.eq(coop_actor_id),
                    remote_memberships::member_ap_id.eq(member),
                    remote_memberships::fetched_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// The voting members of a remote coop as last fetched, sorted.
pub fn of_coop(conn: &mut AnyConnection, coop_actor_id: i64) -> Result<Vec<String>, DbError> {
    Ok(remote_memberships::table
        .filter(remote_memberships::coop_actor_id.eq(coop_actor_id))
        .order(remote_memberships::member_ap_id)
        .select(remote_memberships::member_ap_id)
        .load(conn)?)
}

/// Whether `member_ap_id` is a voting member of the coop, as last attested.
pub fn is_member(
    conn: &mut AnyConnection,
    coop_actor_id: i64,
    member_ap_id: &str,
) -> Result<bool, DbError> {
    let count: i64 = remote_memberships::table
        .filter(remote_memberships::coop_actor_id.eq(coop_actor_id))
        .filter(remote_memberships::member_ap_id.eq(member_ap_id))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}
