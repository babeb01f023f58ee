//! Scratch PostgreSQL databases, made and dropped whole (the load generator runs each
//! measurement on a fresh one, as the tests do).

use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::DbError;

/// Creates an empty database `name` on the server of `admin_url` (a URL the role may
/// `CREATE DATABASE` with); returns the new database's URL.
pub fn create_postgres(admin_url: &str, name: &str) -> Result<String, DbError> {
    let mut url = url::Url::parse(admin_url).map_err(|e| connect_error(admin_url, e))?;
    let mut admin = PgConnection::establish(admin_url).map_err(|e| connect_error(admin_url, e))?;
    diesel::sql_query(format!("CREATE DATABASE {}", quoted(name))).execute(&mut admin)?;
    url.set_path(name);
    Ok(url.to_string())
}

/// Drops database `name`, closing connections still open to it.
pub fn drop_postgres(admin_url: &str, name: &str) -> Result<(), DbError> {
    let mut admin = PgConnection::establish(admin_url).map_err(|e| connect_error(admin_url, e))?;
    diesel::sql_query(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quoted(name)
    ))
    .execute(&mut admin)?;
    Ok(())
}

/// An identifier quoted for PostgreSQL.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn connect_error(admin_url: &str, error: impl std::fmt::Display) -> DbError {
    let target = crate::DatabaseTarget::parse(admin_url)
        .map(|t| t.redacted())
        .unwrap_or_else(|_| "the PostgreSQL server".into());
    DbError::Connect {
        target,
        reason: error.to_string(),
    }
}
