//! Activities already received, by id: the inbox's idempotency record.

use diesel::prelude::*;

use crate::schema::received_activities;
use crate::{AnyConnection, DbError};

/// Records an activity id; returns `false` when it was already recorded (a duplicate).
///
/// Call it inside the transaction that applies the activity, so that the record and the
/// effect are stored together or not at all.
pub fn record(
    conn: &mut AnyConnection,
    ap_id: &str,
    actor_id: i64,
    kind: &str,
) -> Result<bool, DbError> {
    // One statement, no savepoint: a conflict is not an error that aborts the transaction.
    // Typed per backend (ON CONFLICT does not compile through the two-backend connection),
    // so diesel caches the prepared statement on the inbox's hot path.
    let values = (
        received_activities::ap_id.eq(ap_id),
        received_activities::actor_id.eq(actor_id),
        received_activities::kind.eq(kind),
        received_activities::received_at.eq(crate::now()),
    );
    let inserted = match conn {
        AnyConnection::Postgresql(c) => diesel::insert_into(received_activities::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(c)?,
        AnyConnection::Sqlite(c) => diesel::insert_into(received_activities::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(inserted == 1)
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
