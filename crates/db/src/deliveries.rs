//! The persistent delivery queue: every outgoing activity, and one row per target inbox.
//!
//! Workers claim due rows by setting a lease (`lease_until`, `leased_by`). A lease that runs out
//! (the worker died mid-send) makes the row claimable again, so nothing is lost; the claim
//! re-checks the lease in the UPDATE itself, so two workers never hold the same row.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use crate::schema::{deliveries, outgoing_activities};
use crate::{AnyConnection, DbError};

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// An activity to send, as it will be stored.
#[derive(Debug, Clone)]
pub struct NewActivity<'a> {
    pub ap_id: &'a str,
    pub actor_id: i64,
    pub kind: &'a str,
    pub payload: &'a str,
    pub public: bool,
}

/// Delivery rows per INSERT statement (8 parameters each, far below both backends' limits).
const ROWS_PER_INSERT: usize = 500;

/// Stores an activity and one pending delivery per inbox, in one transaction; returns the
/// activity's row id. Inboxes are deduplicated.
pub fn enqueue(
    conn: &mut AnyConnection,
    activity: &NewActivity<'_>,
    inboxes: &[String],
) -> Result<i64, DbError> {
    let now = crate::now();
    crate::transaction(conn, |conn| {
        diesel::insert_into(outgoing_activities::table)
            .values((
                outgoing_activities::ap_id.eq(activity.ap_id),
                outgoing_activities::actor_id.eq(activity.actor_id),
                outgoing_activities::kind.eq(activity.kind),
                outgoing_activities::payload.eq(activity.payload),
                outgoing_activities::public.eq(activity.public),
                outgoing_activities::created_at.eq(now),
            ))
            .execute(conn)?;
        let activity_id: i64 = outgoing_activities::table
            .filter(outgoing_activities::ap_id.eq(activity.ap_id))
            .select(outgoing_activities::id)
            .first(conn)?;
        let mut targets: Vec<&String> = inboxes.iter().collect();
        targets.sort();
        targets.dedup();
        let rows: Vec<_> = targets
            .into_iter()
            .map(|inbox| {
                (
                    deliveries::activity_id.eq(activity_id),
                    deliveries::inbox.eq(inbox.as_str()),
                    deliveries::host.eq(crate::host_of(inbox).unwrap_or_default()),
                    deliveries::state.eq(PENDING),
                    deliveries::attempts.eq(0),
                    deliveries::next_attempt_at.eq(now),
                    deliveries::created_at.eq(now),
                    deliveries::updated_at.eq(now),
                )
            })
            .collect();
        // Many rows per statement (a post to thousands of followers is a few statements, not
        // thousands); typed per backend, as multi-row INSERT does not compile through the
        // two-backend connection.
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            match conn {
                AnyConnection::Postgresql(c) => diesel::insert_into(deliveries::table)
                    .values(chunk)
                    .execute(c)?,
                AnyConnection::Sqlite(c) => diesel::insert_into(deliveries::table)
                    .values(chunk)
                    .execute(c)?,
            };
        }
        Ok(activity_id)
    })
}

/// A delivery a worker holds the lease for, with what it needs to send it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub inbox: String,
    #[diesel(sql_type = Text)]
    pub host: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    pub activity_ap_id: String,
    #[diesel(sql_type = Text)]
    pub payload: String,
    #[diesel(sql_type = BigInt)]
    pub actor_id: i64,
    /// The author's key id, which signs the delivery.
    #[diesel(sql_type = Text)]
    pub key_id: String,
}

/// Claims up to `limit` due deliveries for `token` until `lease_until`, skipping hosts that
/// are marked unreachable or blocked.
pub fn claim(
    conn: &mut AnyConnection,
    token: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Claimed>, DbError> {
    // The outer WHERE repeats the lease test: under PostgreSQL's READ COMMITTED a concurrent
    // claim of the same row is re-checked against the committed lease and skipped.
    const DUE: &str = "SELECT d.id FROM deliveries d \
         WHERE d.state = 'pending' AND d.next_attempt_at <= $1 \
           AND (d.lease_until IS NULL OR d.lease_until < $1) \
           AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host = d.host \
                           AND (h.unreachable OR h.policy = 'block')) \
         ORDER BY d.next_attempt_at, d.id LIMIT $4";
    let update = |due: &str| {
        format!(
            "UPDATE deliveries SET lease_until = $2, leased_by = $3 \
             WHERE id IN ({due}) AND state = 'pending' \
               AND (lease_until IS NULL OR lease_until < $1)"
        )
    };
    let claimed = match conn {
        AnyConnection::Postgresql(c) => {
            diesel::sql_query(update(&format!("{DUE} FOR UPDATE SKIP LOCKED")))
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(lease_until)
                .bind::<Text, _>(token)
                .bind::<BigInt, _>(limit)
                .execute(c)?
        }
        AnyConnection::Sqlite(c) => diesel::sql_query(update(DUE).replace('$', "?"))
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Text, _>(token)
            .bind::<BigInt, _>(limit)
            .execute(c)?,
    };
    if claimed == 0 {
        return Ok(Vec::new());
    }
    let select = "SELECT d.id, d.inbox, d.host, d.attempts, d.created_at, \
                  a.ap_id AS activity_ap_id, a.payload, a.actor_id, au.public_key_id AS key_id \
                  FROM deliveries d JOIN outgoing_activities a ON a.id = d.activity_id \
                  JOIN actors au ON au.id = a.actor_id \
                  WHERE d.leased_by = $1 AND d.state = 'pending' ORDER BY d.id";
    Ok(match conn {
        AnyConnection::Postgresql(c) => diesel::sql_query(select).bind::<Text, _>(token).load(c)?,
        AnyConnection::Sqlite(c) => diesel::sql_query(select.replace('$', "?"))
            .bind::<Text, _>(token)
            .load(c)?,
    })
}

/// Outcome of one attempt, as the worker decided it.
#[derive(Debug, Clone)]
pub enum Outcome {
    Delivered {
        status: i32,
    },
    Retry {
        status: Option<i32>,
        error: String,
        next_attempt_at: NaiveDateTime,
    },
    Failed {
        status: Option<i32>,
        error: String,
    },
}

/// An attempt's outcome, with the lease it was made under.
#[derive(Debug, Clone)]
pub struct Finished {
    pub id: i64,
    pub token: String,
    pub outcome: Outcome,
}

/// Records the outcomes of many attempts in one statement per kind (the caller wraps it in a
/// transaction), each only where its `token` still holds the lease. Successes, by far the
/// most, are one `UPDATE ... WHERE id IN (...)` per lease and status.
pub fn finish_all(conn: &mut AnyConnection, finished: &[Finished]) -> Result<(), DbError> {
    let mut delivered: std::collections::BTreeMap<(&str, i32), Vec<i64>> = Default::default();
    for one in finished {
        match &one.outcome {
            Outcome::Delivered { status } => delivered
                .entry((one.token.as_str(), *status))
                .or_default()
                .push(one.id),
            _ => finish(conn, one.id, &one.token, &one.outcome)?,
        }
    }
    let now = crate::now();
    for ((token, status), ids) in delivered {
        for ids in ids.chunks(MAX_IDS_PER_STATEMENT) {
            diesel::update(
                deliveries::table
                    .filter(deliveries::id.eq_any(ids))
                    .filter(deliveries::leased_by.eq(token)),
            )
            .set((
                deliveries::state.eq(DONE),
                deliveries::attempts.eq(deliveries::attempts + 1),
                deliveries::last_status.eq(Some(status)),
                deliveries::last_error.eq(None::<String>),
                deliveries::lease_until.eq(None::<NaiveDateTime>),
                deliveries::leased_by.eq(None::<&str>),
                deliveries::updated_at.eq(now),
            ))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// Most ids bound in one statement (SQLite allows 32,766 parameters).
const MAX_IDS_PER_STATEMENT: usize = 1000;

/// Records the outcome of one attempt, if `token` still holds the lease.
fn finish(
    conn: &mut AnyConnection,
    id: i64,
    token: &str,
    outcome: &Outcome,
) -> Result<(), DbError> {
    let now = crate::now();
    let target = deliveries::table
        .filter(deliveries::id.eq(id))
        .filter(deliveries::leased_by.eq(token));
    let none: Option<NaiveDateTime> = None;
    let no_token: Option<&str> = None;
    match outcome {
        Outcome::Delivered { status } => diesel::update(target)
            .set((
                deliveries::state.eq(DONE),
                deliveries::attempts.eq(deliveries::attempts + 1),
                deliveries::last_status.eq(Some(*status)),
                deliveries::last_error.eq(None::<String>),
                deliveries::lease_until.eq(none),
                deliveries::leased_by.eq(no_token),
                deliveries::updated_at.eq(now),
            ))
            .execute(conn)?,
        Outcome::Retry {
            status,
            error,
            next_attempt_at,
        } => diesel::update(target)
            .set((
                deliveries::attempts.eq(deliveries::attempts + 1),
                deliveries::last_status.eq(*status),
                deliveries::last_error.eq(Some(error.as_str())),
                deliveries::next_attempt_at.eq(*next_attempt_at),
                deliveries::lease_until.eq(none),
                deliveries::leased_by.eq(no_token),
                deliveries::updated_at.eq(now),
            ))
            .execute(conn)?,
        Outcome::Failed { status, error } => diesel::update(target)
            .set((
                deliveries::state.eq(FAILED),
                deliveries::attempts.eq(deliveries::attempts + 1),
                deliveries::last_status.eq(*status),
                deliveries::last_error.eq(Some(error.as_str())),
                deliveries::lease_until.eq(none),
                deliveries::leased_by.eq(no_token),
                deliveries::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// Drops pending deliveries to a host (it was blocked).
pub fn cancel_for_host(conn: &mut AnyConnection, host: &str) -> Result<usize, DbError> {
    Ok(diesel::update(
        deliveries::table
            .filter(deliveries::host.eq(host))
            .filter(deliveries::state.eq(PENDING)),
    )
    .set((
        deliveries::state.eq(FAILED),
        deliveries::last_error.eq(Some("host blocked")),
    ))
    .execute(conn)?)
}

/// Delivery state of one host, for `cooperage federation queue` and the admin API.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct HostQueue {
    #[diesel(sql_type = Text)]
    pub host: String,
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = BigInt)]
    pub failed: i64,
    #[diesel(sql_type = BigInt)]
    pub delivered: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub next_attempt_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
}

/// Pending, failed and delivered counts per host.
pub fn queue_by_host(conn: &mut AnyConnection) -> Result<Vec<HostQueue>, DbError> {
    let query = diesel::sql_query(
        "SELECT host, \
           SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending, \
           SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed, \
           SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END) AS delivered, \
           MIN(CASE WHEN state = 'pending' THEN next_attempt_at END) AS next_attempt_at, \
           MAX(last_error) AS last_error \
         FROM deliveries GROUP BY host ORDER BY host",
    );
    Ok(match conn {
        AnyConnection::Postgresql(c) => query.load(c)?,
        AnyConnection::Sqlite(c) => query.load(c)?,
    })
}

/// Counts of deliveries per state for one activity id (tests and diagnostics).
pub fn states_of(conn: &mut AnyConnection, activity_ap_id: &str) -> Result<Vec<String>, DbError> {
    Ok(deliveries::table
        .inner_join(outgoing_activities::table)
        .filter(outgoing_activities::ap_id.eq(activity_ap_id))
        .select(deliveries::state)
        .load(conn)?)
}

/// Deletes finished deliveries (done or failed) last touched before `before`, and outgoing
/// activities left with no delivery; returns how many deliveries went. Pending ones stay.
pub fn prune(conn: &mut AnyConnection, before: NaiveDateTime) -> Result<usize, DbError> {
    crate::transaction(conn, |conn| {
        let removed = diesel::delete(
            deliveries::table
                .filter(deliveries::state.ne(PENDING))
                .filter(deliveries::updated_at.lt(before)),
        )
        .execute(conn)?;
        let still_used = deliveries::table.select(deliveries::activity_id);
        diesel::delete(
            outgoing_activities::table
                .filter(outgoing_activities::created_at.lt(before))
                .filter(outgoing_activities::id.ne_all(still_used)),
        )
        .execute(conn)?;
        Ok(removed)
    })
}
