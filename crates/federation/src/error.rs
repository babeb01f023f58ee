//! Federation errors, each with the HTTP status an inbox answers with.

use cooperage_db::DbError;

use crate::signatures::SignatureError;

/// What went wrong receiving, fetching or sending.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is not signed, or not by whom it claims.
    #[error("{0}")]
    Unauthorized(String),
    /// Policy refuses it (blocked host, wrong origin).
    #[error("{0}")]
    Forbidden(String),
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A fetch from another server failed.
    #[error("fetching from another server failed: {0}")]
    Fetch(#[from] activitypub_federation::error::Error),
    #[error(transparent)]
    Db(#[from] DbError),
    /// A fault of ours; `source` keeps the cause chain for the log.
    #[error("{what}")]
    Internal {
        what: &'static str,
        #[source]
        source: Option<BoxError>,
    },
}

/// Any error, kept as the cause of another.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Error {
    /// A fault of ours caused by `source`.
    pub fn internal(what: &'static str, source: impl Into<BoxError>) -> Self {
        Error::Internal {
            what,
            source: Some(source.into()),
        }
    }

    /// Federation could not be set up.
    pub fn setup(source: impl Into<BoxError>) -> Self {
        Self::internal("cannot set up federation", source)
    }
}

/// An error and its causes, one line: `outer: cause: root cause`. For logs, written once
/// where the error ends.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // `#[error(transparent)]` and "...: {0}" wrappers repeat their cause: say it once.
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

impl Error {
    /// The status code an inbox answers with.
    pub fn status(&self) -> u16 {
        match self {
            Error::Unauthorized(_) => 401,
            Error::Forbidden(_) => 403,
            Error::BadRequest(_) => 400,
            Error::NotFound => 404,
            Error::Signature(e) => e.status_code().as_u16(),
            // We could not get the signer's key: the sender should try again later.
            Error::Fetch(_) => 401,
            Error::Db(e) if e.is_not_found() => 404,
            Error::Db(_) | Error::Internal { .. } => 500,
        }
    }

    /// A stable short code for JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self.status() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            _ => "internal",
        }
    }
}
