//! One error type for every handler, mapped to a status code and a JSON body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cooperage_app::Error as AppErr;
use cooperage_db::DbError;
use serde_json::json;

/// An error a handler returns. Client mistakes carry a message that says what to fix;
/// server faults are logged in full and shown only as a generic message.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// A field of the request is invalid: the message names the field.
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    /// The request conflicts with what exists (a taken username).
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Federation(#[from] cooperage_federation::Error),
    #[error(transparent)]
    App(#[from] cooperage_app::Error),
}

impl AppError {
    /// An invalid field, with what to fix.
    pub fn field(field: &'static str, message: &str) -> Self {
        AppError::Field {
            field,
            message: message.to_owned(),
        }
    }

    /// A field that conflicts with existing data.
    pub fn conflict(field: &'static str, message: &str) -> Self {
        AppError::Conflict {
            field,
            message: message.to_owned(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Field { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            AppError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            AppError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Database(e) if e.is_not_found() => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Federation(e) => federation_status(e),
            AppError::App(e) => match e {
                AppErr::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
                AppErr::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
                AppErr::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
                AppErr::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
                AppErr::NotFound => (StatusCode::NOT_FOUND, "not_found"),
                AppErr::Busy { .. } => (StatusCode::TOO_MANY_REQUESTS, "busy"),
                AppErr::Database(e) if e.is_not_found() => (StatusCode::NOT_FOUND, "not_found"),
                AppErr::Federation(e) => federation_status(e),
                AppErr::Database(_) | AppErr::Internal { .. } => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "internal")
                }
            },
            AppError::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

fn federation_status(e: &cooperage_federation::Error) -> (StatusCode, &'static str) {
    match e {
        cooperage_federation::Error::Fetch(_) => (StatusCode::BAD_GATEWAY, "remote_unavailable"),
        e => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            e.code(),
        ),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() && status != StatusCode::BAD_GATEWAY {
            // The one place a failed request is logged, with the whole cause chain.
            tracing::error!(error = %cooperage_federation::error_chain(&self), "request failed");
            "internal server error".to_owned()
        } else {
            self.to_string()
        };
        let field = match &self {
            AppError::Field { field, .. }
            | AppError::Conflict { field, .. }
            | AppError::App(AppErr::Invalid { field, .. } | AppErr::Conflict { field, .. }) => {
                Some(*field)
            }
            _ => None,
        };
        let mut body = json!({ "error": code, "message": message });
        if let Some(field) = field {
            body["field"] = json!(field);
        }
        let mut response = (status, Json(body)).into_response();
        if let AppError::TooManyRequests {
            retry_after_secs, ..
        }
        | AppError::App(AppErr::Busy {
            retry_after_secs, ..
        }) = &self
            && let Ok(value) = retry_after_secs.to_string().parse()
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}
