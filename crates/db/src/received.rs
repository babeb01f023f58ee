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
    use diesel::sql_types::{BigInt, Text, Timestamp};
    // One statement, no savepoint: a conflict is not an error that aborts the transaction.
    const SQL: &str = "INSERT INTO received_activities (ap_id, actor_id, kind, received_at) \
                       VALUES ($1, $2, $3, $4) ON CONFLICT (ap_id) DO NOTHING";
    let now = crate::now();
    let inserted = match conn {
        AnyConnection::Postgresql(c) => diesel::sql_query(SQL)
            .bind::<Text, _>(ap_id)
            .bind::<BigInt, _>(actor_id)
            .bind::<Text, _>(kind)
            .bind::<Timestamp, _>(now)
            .execute(c)?,
        AnyConnection::Sqlite(c) => diesel::sql_query(SQL.replace('$', "?"))
            .bind::<Text, _>(ap_id)
            .bind::<BigInt, _>(actor_id)
            .bind::<Text, _>(kind)
            .bind::<Timestamp, _>(now)
            .execute(c)?,
    };
    Ok(inserted == 1)
}

/// Whether an activity id was received before.
pub fn seen(conn: &mut AnyConnection, ap_id: &str) -> Result<bool, DbError> {
    Ok(received_activities::table
        .find(ap_id)
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Number of recorded activities (tests and statistics).
pub fn count(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(received_activities::table.count().get_result(conn)?)
}
