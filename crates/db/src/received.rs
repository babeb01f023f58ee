//! Activities already received, by id: the inbox's idempotency record.

use diesel::prelude::*;

use crate::schema::received_activities;
use crate::{AnyConnection, DbError};

/// Records many activity ids at once, a few statements for a whole batch (one round trip
/// per 500 ids on PostgreSQL, not one per activity); returns for each whether it is new: the
/// first with its id, here and earlier in `activities`. Call it inside the transaction that
/// applies the new ones.
pub fn record_all(
    conn: &mut AnyConnection,
    activities: &[(&str, i64, &str)],
) -> Result<Vec<bool>, DbError> {
    let now = crate::now();
    let rows: Vec<_> = activities
        .iter()
        .map(|(ap_id, actor_id, kind)| {
            (
                received_activities::ap_id.eq(*ap_id),
                received_activities::actor_id.eq(*actor_id),
                received_activities::kind.eq(*kind),
                received_activities::received_at.eq(now),
            )
        })
        .collect();
    let mut new = std::collections::HashSet::new();
    for chunk in rows.chunks(500) {
        let inserted: Vec<String> = match conn {
            AnyConnection::Postgresql(c) => diesel::insert_into(received_activities::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .returning(received_activities::ap_id)
                .get_results(c)?,
            AnyConnection::Sqlite(c) => diesel::insert_into(received_activities::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .returning(received_activities::ap_id)
                .get_results(c)?,
        };
        new.extend(inserted);
    }
    // `remove`: a second activity with the same id in one batch is a duplicate.
    Ok(activities
        .iter()
        .map(|(ap_id, ..)| new.remove(*ap_id))
        .collect())
}

/// Number of recorded activities (tests and statistics).
pub fn count(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(received_activities::table.count().get_result(conn)?)
}

/// Forgets activity ids received before `before`. Senders retry for days, not months, so a
/// month of ids keeps duplicates harmless.
pub fn prune(conn: &mut AnyConnection, before: chrono::NaiveDateTime) -> Result<usize, DbError> {
    Ok(diesel::delete(
        received_activities::table.filter(received_activities::received_at.lt(before)),
    )
    .execute(conn)?)
}
