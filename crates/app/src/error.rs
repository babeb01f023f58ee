//! What an operation answers when it cannot do what was asked.

use cooperage_db::DbError;
use cooperage_federation::BoxError;

/// An operation's failure. The client's mistakes say what to fix; faults of ours keep their
/// cause chain, for the one log line written where the error ends.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of the request is invalid: the message names the field.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The request conflicts with what exists (a taken username).
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    /// Too much work of this kind right now (password checks): try again shortly.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    #[error(transparent)]
    Federation(#[from] cooperage_federation::Error),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("{what}")]
    Internal {
        what: &'static str,
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// An invalid field, with what to fix.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    /// A field that conflicts with existing data.
    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict {
            field,
            message: message.into(),
        }
    }

    /// A fault of ours, caused by `source`.
    pub fn internal(what: &'static str, source: impl Into<BoxError>) -> Self {
        Error::Internal {
            what,
            source: source.into(),
        }
    }
}

impl From<diesel_free::QueryError> for Error {
    fn from(error: diesel_free::QueryError) -> Self {
        Error::Database(error.into())
    }
}

/// Lets `?` work on query errors inside transactions without this crate importing diesel.
mod diesel_free {
    pub use cooperage_db::QueryError;
}
