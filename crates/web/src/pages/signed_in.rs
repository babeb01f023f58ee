//! What the pages of logged-in members share: who is looking, the layout with their
//! navigation, how a failed operation is shown (next to the form for a client's mistake, as
//! an error page otherwise), and the redirect after a form succeeded.
//!
//! CSRF: every handler here takes [`CurrentMember`], whose extractor refuses a
//! cookie-authenticated POST from another site (`api::refuse_cross_site_write`) before the
//! handler runs; the session cookie is SameSite=Lax besides.

use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use cooperage_app::Error as AppErr;
use cooperage_db::members::Member;
use serde::Deserialize;

use super::{Layout, PageError, Tr, Visitor};
use crate::AppError;
use crate::api::CurrentMember;

/// The member looking at a page, refused when they are not logged in.
pub fn member(current: Result<CurrentMember, AppError>) -> Result<Member, AppError> {
    Ok(current?.member)
}

/// The member looking at an admin page; anyone else gets the 403 page.
pub fn admin(current: Result<CurrentMember, AppError>) -> Result<Member, AppError> {
    let current = current?;
    current.require_admin()?;
    Ok(current.member)
}

/// The layout of a member's page: logged in, with the admin link for admins.
pub fn layout(visitor: &Visitor, member: &Member, title: impl Into<String>) -> Layout {
    let mut layout = Layout::new(visitor, title);
    layout.logged_in = true;
    layout.admin = member.is_admin;
    layout
}

/// The response of a member's page: the page, the login page for a visitor who is not
/// logged in (or whose session ended), or the error page.
pub fn finish(visitor: Visitor, result: Result<Response, AppError>) -> Response {
    match result {
        Ok(response) => response,
        Err(AppError::Unauthorized(_)) => see_other("/login"),
        Err(error) => PageError { visitor, error }.into_response(),
    }
}

/// After a form succeeded: back to the page that shows its effect (POST, redirect, GET).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// A client's mistake in a form, to show next to the form again: what to fix, in the page's
/// language, with the operation's own words for the detail. Anything else (not found, not
/// allowed, a fault) is not a form's problem and goes to the error page.
pub fn form_problem(t: &Tr, error: AppError) -> Result<String, AppError> {
    let (field, message) = match &error {
        AppError::App(AppErr::Invalid { field, message })
        | AppError::App(AppErr::Conflict { field, message })
        | AppError::Field { field, message }
        | AppError::Conflict { field, message } => (Some(*field), message.clone()),
        AppError::App(AppErr::BadRequest(message)) | AppError::BadRequest(message) => {
            (None, message.clone())
        }
        _ => return Err(error),
    };
    Ok(match field {
        Some(field) => {
            let label = t.get(&format!("field-{field}"));
            // A field without a label of its own is named as the operation names it.
            let label = if label.starts_with("field-") {
                field.to_owned()
            } else {
                label
            };
            t.with("form-check", "field", &format!("{label}: {message}"))
        }
        None => t.with("form-check", "field", &message),
    })
}

/// Status of a page shown again with a form's problem.
pub const PROBLEM: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// A form with one button and nothing else to say (accept, revoke, unblock).
#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

/// A checkbox as a form sends it: present (any value) when ticked, absent otherwise.
pub fn ticked(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.is_empty())
}
