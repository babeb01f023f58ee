use thiserror::Error;

/// Everything that can go wrong talking to the database.
#[derive(Debug, Error)]
pub enum DbError {
    /// The database could not be reached or opened; the message is the driver's own.
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error(
        "this database belongs to the instance `{stored}`, not `{configured}`: actor ids embed \
         the domain, so use a fresh database for a new domain"
    )]
    WrongInstance { stored: String, configured: String },
    #[error("the database task was cancelled or panicked: {0}")]
    Task(String),
}

impl DbError {
    /// Whether the error means "the row is not there" (a 404 rather than a 500 upstream).
    pub fn is_not_found(&self) -> bool {
        matches!(self, DbError::Query(diesel::result::Error::NotFound))
    }
}
