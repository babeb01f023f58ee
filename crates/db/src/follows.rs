//! Follow relationships, in both directions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::actors::Actor;
use crate::schema::{actors, follows};
use crate::{AnyConnection, DbError};

/// Waiting for the followed actor (or its admin) to accept.
pub const PENDING: &str = "pending";
/// Accepted: the follower receives the followed actor's posts.
pub const ACCEPTED: &str = "accepted";

/// One follow as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = follows)]
pub struct Follow {
    pub id: i64,
    pub follower_id: i64,
    pub followed_id: i64,
    pub activity_id: String,
    pub state: String,
    pub created_at: NaiveDateTime,
}

/// Records a follow (or refreshes the Follow activity id and state of an existing one).
pub fn upsert(
    conn: &mut AnyConnection,
    follower_id: i64,
    followed_id: i64,
    activity_id: &str,
    state: &str,
) -> Result<Follow, DbError> {
    crate::transaction(conn, |conn| {
        let existing = between(conn, follower_id, followed_id)?;
        match existing {
            Some(follow) => {
                // An accepted follow stays accepted when the same follower knocks again.
                let state = if follow.state == ACCEPTED {
                    ACCEPTED
                } else {
                    state
                };
                diesel::update(follows::table.find(follow.id))
                    .set((
                        follows::activity_id.eq(activity_id),
                        follows::state.eq(state),
                    ))
                    .execute(conn)?;
            }
            None => {
                diesel::insert_into(follows::table)
                    .values((
                        follows::follower_id.eq(follower_id),
                        follows::followed_id.eq(followed_id),
                        follows::activity_id.eq(activity_id),
                        follows::state.eq(state),
                        follows::created_at.eq(crate::now()),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(between(conn, follower_id, followed_id)?.ok_or(diesel::result::Error::NotFound)?)
    })
}

/// The follow from one actor to another, if any.
pub fn between(
    conn: &mut AnyConnection,
    follower_id: i64,
    followed_id: i64,
) -> Result<Option<Follow>, DbError> {
    Ok(follows::table
        .filter(follows::follower_id.eq(follower_id))
        .filter(follows::followed_id.eq(followed_id))
        .select(Follow::as_select())
        .first(conn)
        .optional()?)
}

/// The follow created by this Follow activity id.
pub fn by_activity_id(
    conn: &mut AnyConnection,
    activity_id: &str,
) -> Result<Option<Follow>, DbError> {
    Ok(follows::table
        .filter(follows::activity_id.eq(activity_id))
        .select(Follow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a follow accepted.
pub fn accept(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    diesel::update(follows::table.find(id))
        .set(follows::state.eq(ACCEPTED))
        .execute(conn)?;
    Ok(())
}

/// Removes a follow; returns whether there was one.
pub fn remove(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    Ok(diesel::delete(follows::table.find(id)).execute(conn)? > 0)
}

/// Removes every follow from or to actors of `domain` (when the domain is blocked).
pub fn remove_for_domain(conn: &mut AnyConnection, domain: &str) -> Result<usize, DbError> {
    let ids = actors::table
        .filter(actors::domain.eq(domain))
        .select(actors::id);
    Ok(diesel::delete(
        follows::table.filter(
            follows::follower_id
                .eq_any(ids)
                .or(follows::followed_id.eq_any(ids)),
        ),
    )
    .execute(conn)?)
}

/// Followers of an actor in one state, newest first, with paging.
pub fn followers(
    conn: &mut AnyConnection,
    followed_id: i64,
    state: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<Actor>, DbError> {
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::followed_id.eq(followed_id))
        .filter(follows::state.eq(state))
        .order(follows::id.desc())
        .offset(offset)
        .limit(limit)
        .select(Actor::as_select())
        .load(conn)?)
}

/// Actors this actor follows (accepted), newest first, with paging.
pub fn following(
    conn: &mut AnyConnection,
    follower_id: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<Actor>, DbError> {
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::followed_id)))
        .filter(follows::follower_id.eq(follower_id))
        .filter(follows::state.eq(ACCEPTED))
        .order(follows::id.desc())
        .offset(offset)
        .limit(limit)
        .select(Actor::as_select())
        .load(conn)?)
}

/// Number of accepted followers.
pub fn count_followers(conn: &mut AnyConnection, followed_id: i64) -> Result<i64, DbError> {
    Ok(follows::table
        .filter(follows::followed_id.eq(followed_id))
        .filter(follows::state.eq(ACCEPTED))
        .count()
        .get_result(conn)?)
}

/// Number of accepted follows by an actor.
pub fn count_following(conn: &mut AnyConnection, follower_id: i64) -> Result<i64, DbError> {
    Ok(follows::table
        .filter(follows::follower_id.eq(follower_id))
        .filter(follows::state.eq(ACCEPTED))
        .count()
        .get_result(conn)?)
}

/// The distinct delivery inboxes of an actor's accepted followers (shared inbox preferred).
pub fn follower_inboxes(
    conn: &mut AnyConnection,
    followed_id: i64,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String, Option<String>)> = follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::followed_id.eq(followed_id))
        .filter(follows::state.eq(ACCEPTED))
        .filter(actors::local.eq(false))
        .select((actors::inbox, actors::shared_inbox))
        .load(conn)?;
    let mut inboxes: Vec<String> = rows
        .into_iter()
        .map(|(inbox, shared)| shared.unwrap_or(inbox))
        .collect();
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// Actors that follow `a` and are followed by `a`, both accepted: the coop's network.
pub fn mutual(conn: &mut AnyConnection, actor_id: i64) -> Result<Vec<Actor>, DbError> {
    let followed_by_us: Vec<i64> = follows::table
        .filter(follows::follower_id.eq(actor_id))
        .filter(follows::state.eq(ACCEPTED))
        .select(follows::followed_id)
        .load(conn)?;
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::followed_id.eq(actor_id))
        .filter(follows::state.eq(ACCEPTED))
        .filter(follows::follower_id.eq_any(followed_by_us))
        .order(actors::ap_id)
        .select(Actor::as_select())
        .load(conn)?)
}

/// Whether any local actor follows this actor (accepted).
pub fn has_local_follower(conn: &mut AnyConnection, followed_id: i64) -> Result<bool, DbError> {
    let count: i64 = follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::followed_id.eq(followed_id))
        .filter(follows::state.eq(ACCEPTED))
        .filter(actors::local.eq(true))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Removes every follow from or to an actor (it was deleted).
pub fn remove_all_of(conn: &mut AnyConnection, actor_id: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(
        follows::table.filter(
            follows::follower_id
                .eq(actor_id)
                .or(follows::followed_id.eq(actor_id)),
        ),
    )
    .execute(conn)?)
}

/// Removes the follows of remote actors whose personal inbox is `inbox` (it answered 410).
pub fn remove_followers_with_inbox(
    conn: &mut AnyConnection,
    inbox: &str,
) -> Result<usize, DbError> {
    let gone = actors::table
        .filter(actors::inbox.eq(inbox))
        .filter(actors::local.eq(false))
        .select(actors::id);
    Ok(diesel::delete(follows::table.filter(follows::follower_id.eq_any(gone))).execute(conn)?)
}
