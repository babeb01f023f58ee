//! Remote hosts: the admin's federation policy for each, and whether it is reachable.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::hosts;
use crate::{AnyConnection, DbError};

/// Policy values: a blocked host is never fetched, gets no deliveries and is refused at the
/// inbox; an allowed host is the only kind federated with in allow-list mode.
pub const BLOCK: &str = "block";
pub const ALLOW: &str = "allow";

/// One host as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = hosts)]
pub struct Host {
    pub host: String,
    pub policy: Option<String>,
    pub reason: Option<String>,
    pub failing_since: Option<NaiveDateTime>,
    pub unreachable: bool,
    /// When it last answered after failing (successes of a healthy host are not recorded).
    pub last_success_at: Option<NaiveDateTime>,
    pub last_seen_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

fn ensure(conn: &mut AnyConnection, host: &str) -> Result<(), DbError> {
    if get(conn, host)?.is_some() {
        return Ok(());
    }
    crate::insert_if_absent(conn, |conn| {
        diesel::insert_into(hosts::table)
            .values((
                hosts::host.eq(host),
                hosts::unreachable.eq(false),
                hosts::updated_at.eq(crate::now()),
            ))
            .execute(conn)
    })?;
    Ok(())
}

/// The host's row, if we know it.
pub fn get(conn: &mut AnyConnection, host: &str) -> Result<Option<Host>, DbError> {
    Ok(hosts::table
        .find(host)
        .select(Host::as_select())
        .first(conn)
        .optional()?)
}

/// Sets (or with `None` clears) the policy of a host.
pub fn set_policy(
    conn: &mut AnyConnection,
    host: &str,
    policy: Option<&str>,
    reason: Option<&str>,
) -> Result<(), DbError> {
    ensure(conn, host)?;
    diesel::update(hosts::table.find(host))
        .set((
            hosts::policy.eq(policy),
            hosts::reason.eq(reason),
            hosts::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Hosts with a policy, by name.
pub fn with_policy(conn: &mut AnyConnection, policy: &str) -> Result<Vec<Host>, DbError> {
    Ok(hosts::table
        .filter(hosts::policy.eq(policy))
        .order(hosts::host)
        .select(Host::as_select())
        .load(conn)?)
}

/// These hosts answered deliveries with success: those marked failing or unreachable are
/// healthy again. A healthy host's row is not written (nor created): successes are the
/// delivery path's common case, and a write per success was most of its database work.
pub fn record_successes(conn: &mut AnyConnection, names: &[&str]) -> Result<(), DbError> {
    let now = crate::now();
    for names in names.chunks(1000) {
        diesel::update(
            hosts::table
                .filter(hosts::host.eq_any(names))
                .filter(hosts::failing_since.is_not_null().or(hosts::unreachable)),
        )
        .set((
            hosts::failing_since.eq(None::<NaiveDateTime>),
            hosts::unreachable.eq(false),
            hosts::last_success_at.eq(Some(now)),
            hosts::updated_at.eq(now),
        ))
        .execute(conn)?;
    }
    Ok(())
}

/// The host failed a delivery. It is marked unreachable once it has failed for longer than
/// `unreachable_after`; returns whether it is unreachable now.
pub fn record_failure(
    conn: &mut AnyConnection,
    host: &str,
    unreachable_after: chrono::TimeDelta,
) -> Result<bool, DbError> {
    ensure(conn, host)?;
    let now = crate::now();
    let row = get(conn, host)?.ok_or(diesel::result::Error::NotFound)?;
    let since = row.failing_since.unwrap_or(now);
    let unreachable = now - since >= unreachable_after;
    diesel::update(hosts::table.find(host))
        .set((
            hosts::failing_since.eq(Some(since)),
            hosts::unreachable.eq(unreachable),
            hosts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(unreachable)
}

/// The host contacted us (a verified inbox POST): it is reachable again.
pub fn record_seen(conn: &mut AnyConnection, host: &str) -> Result<(), DbError> {
    ensure(conn, host)?;
    let now = crate::now();
    diesel::update(hosts::table.find(host))
        .set((
            hosts::failing_since.eq(None::<NaiveDateTime>),
            hosts::unreachable.eq(false),
            hosts::last_seen_at.eq(Some(now)),
            hosts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every host with a policy, as (host, policy) pairs: small enough to keep in memory.
pub fn policies(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, DbError> {
    let rows: Vec<(String, Option<String>)> = hosts::table
        .filter(hosts::policy.is_not_null())
        .select((hosts::host, hosts::policy))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(host, policy)| Some((host, policy?)))
        .collect())
}
