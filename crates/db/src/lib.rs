//! Cooperage storage: the only crate that speaks SQL.
//!
//! One binary serves both SQLite (embedded, the default) and PostgreSQL (production); the
//! backend is picked at run time from the database URL. Queries are written once against
//! [`AnyConnection`] and run on either backend.

pub mod actors;
mod connection;
pub mod deliveries;
pub mod directory;
mod error;
pub mod follows;
pub mod groups;
pub mod hosts;
pub mod instance;
pub mod invitations;
pub mod members;
pub mod memberships;
pub mod migrations;
pub mod offers;
pub mod posts;
pub mod projects;
pub mod proposals;
pub mod received;
pub mod schema;
pub mod scratch;
pub mod skills;
mod target;

pub use connection::{AnyConnection, Database, PoolOptions};
pub use error::DbError;
pub use target::{Backend, DatabaseTarget, TargetError};

/// Current time as stored: UTC, truncated to microseconds so that SQLite (nanoseconds) and
/// PostgreSQL (microseconds) compare and sort the same.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now().naive_utc();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

/// Host, with port when the URL has one: the unit of federation policy and delivery limits.
pub fn host_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Whether a query failed on a UNIQUE constraint (works on both backends).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
pub use diesel::result::Error as QueryError;

/// Runs `work` in a transaction: committed when it returns `Ok`, rolled back otherwise.
/// (Lets crates above apply several changes atomically without importing diesel.)
///
/// On SQLite the transaction takes the write lock at `BEGIN IMMEDIATE`: a deferred transaction
/// that reads and then writes fails at once with "database is locked" when another writer got
/// in between, while an immediate one waits its turn (`busy_timeout`).
pub fn transaction<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    use diesel::connection::{AnsiTransactionManager, TransactionManager};

    let AnyConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(work);
    };
    let depth =
        AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()?;
    if depth.is_some() {
        // Already inside one: the work joins it, and an error rolls back the outer one.
        return work(conn);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let result = work(conn);
    let AnyConnection::Sqlite(sqlite) = conn else {
        unreachable!("backend cannot change")
    };
    match result {
        Ok(value) => {
            <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::commit_transaction(sqlite)?;
            Ok(value)
        }
        Err(error) => {
            <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(sqlite)?;
            Err(error)
        }
    }
}

/// Runs one INSERT that may hit a UNIQUE constraint; returns whether it inserted.
///
/// The insert runs in a savepoint when inside a transaction: on PostgreSQL a failed statement
/// would otherwise abort the whole surrounding transaction.
pub(crate) fn insert_if_absent(
    conn: &mut AnyConnection,
    insert: impl FnOnce(&mut AnyConnection) -> Result<usize, diesel::result::Error>,
) -> Result<bool, DbError> {
    use diesel::Connection;
    match conn.transaction(insert) {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Runs `work` in a savepoint of the surrounding transaction: an error rolls back only what
/// `work` did.
pub fn savepoint<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    conn.transaction(work)
}
