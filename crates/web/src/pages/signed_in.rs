//! What every page of a logged-in member shares: who is looking ([`SignedIn`], the extractor
//! every member page takes), the layout with their navigation, how a failed operation is shown
//! (next to the form for a client's mistake, as an error page otherwise), the redirect after a
//! form succeeded, and reading form fields.
//!
//! A handler builds its page as a `Result<Response, AppError>` (the operations' errors pass
//! with `?`) and hands it to [`SignedIn::finish`]; a form's handler turns the operation's
//! error into [`form_problem`] to show the form again with status [`PROBLEM`].
//!
//! CSRF: [`SignedIn`] refuses a POST from another site (`api::refuse_cross_site_write`)
//! before anything else, session or not; the session cookie is SameSite=Lax besides.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use cooperage_app::Error as AppErr;
use cooperage_db::members::Member;
use serde::Deserialize;

use super::{Lang, Layout, PageError, Tr, Visitor, answer, refuse_cross_site};
use crate::api::CurrentMember;
use crate::{AppError, AppState};

/// A member logged in (by session cookie), on one of their pages, and the language the page
/// is in: the switch, else the member's own setting, else the cookie and the browser's.
pub struct SignedIn {
    pub member: Member,
    pub visitor: Visitor,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    /// A cross-site POST gets the 403 page before the session is even looked up; a visitor
    /// without a session (or whose session ended) goes to the login page.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        SignedIn::of(parts, state)
            .await?
            .ok_or_else(|| see_other("/login"))
    }
}

impl SignedIn {
    /// The member of a request, `None` for a visitor without a (valid) session, for the
    /// pages that visitors see too; the refusals as [`SignedIn`]'s.
    pub async fn of(parts: &mut Parts, state: &AppState) -> Result<Option<SignedIn>, Response> {
        let visitor = Visitor::of(&parts.uri, &parts.headers);
        if let Some(refused) = refuse_cross_site(state, visitor, &parts.method, &parts.headers) {
            return Err(refused);
        }
        match CurrentMember::from_request_parts(parts, state).await {
            Ok(current) => Ok(Some(SignedIn {
                visitor: visitor.choosing(current.member.language.as_deref()),
                member: current.member,
            })),
            Err(AppError::Unauthorized(_)) => Ok(None),
            Err(error) => Err(PageError { visitor, error }.into_response()),
        }
    }

    /// The translator of the page.
    pub fn tr(&self) -> Tr {
        self.visitor.tr()
    }

    /// The page's language.
    pub fn lang(&self) -> Lang {
        self.visitor.lang
    }

    /// Refuses anyone but an admin (the 403 page), as `require_admin` does in the API.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.member.is_admin {
            Ok(())
        } else {
            Err(AppError::Forbidden("only admins may do this".into()))
        }
    }

    /// The layout of a member's page titled `title`: logged in, with the admin link for
    /// admins.
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        let mut layout = Layout::new(&self.visitor, title);
        layout.logged_in = true;
        layout.admin = self.member.is_admin;
        layout
    }

    /// The response of a member's page: the page, or the error page in the page's language
    /// (the login page when the session ended meanwhile).
    pub fn finish(&self, result: Result<Response, AppError>) -> Response {
        match result {
            Err(AppError::Unauthorized(_)) => see_other("/login"),
            result => answer(self.visitor, result),
        }
    }
}

/// After a form succeeded: back to the page that shows its effect (POST, redirect, GET).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// A client's mistake in a form, to show next to the form again: what to fix, in the page's
/// language, with the operation's own words for the detail. Anything else (not found, not
/// allowed, a fault) is not a form's problem and goes on to the error page.
pub fn form_problem(t: &Tr, error: impl Into<AppError>) -> Result<String, AppError> {
    let error = error.into();
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

/// [`PROBLEM`] when there is one, else 200.
pub fn status_for(problem: &Option<String>) -> StatusCode {
    if problem.is_some() {
        PROBLEM
    } else {
        StatusCode::OK
    }
}

// ---- form fields ----

/// A form with one button and nothing else to say (accept, revoke, unblock).
#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

/// A checkbox as a form sends it: present (any value) when ticked, absent otherwise.
pub fn ticked(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.is_empty())
}

/// Text of an optional form field: `None` when left empty.
pub fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// A `YYYY-MM-DD HH:MM` (from `datetime-local`) or RFC 3339 time as RFC 3339, taking a time
/// without a zone as UTC (the form says so).
pub fn rfc3339(value: &str) -> String {
    let value = value.trim();
    if chrono::DateTime::parse_from_rfc3339(value).is_ok() {
        return value.to_owned();
    }
    let value = value.replace(' ', "T");
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(&value, format) {
            return at.and_utc().to_rfc3339();
        }
    }
    // Not a time: the operation says what is wrong with it.
    value
}

/// One option of a select or a radio group: the word sent, its translated name, and
/// whether it is the current one.
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// The options for words (named by `<prefix>-<value>` in the catalogues), `current`
/// selected.
pub fn choices(t: &Tr, prefix: &str, words: &[&'static str], current: &str) -> Vec<Choice> {
    words
        .iter()
        .map(|value| Choice {
            value,
            label: t.get(&format!("{prefix}-{value}")),
            selected: *value == current,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_times_become_rfc3339() {
        assert_eq!(rfc3339("2030-05-01T10:30"), "2030-05-01T10:30:00+00:00");
        assert_eq!(
            rfc3339(" 2030-05-01 10:30:05 "),
            "2030-05-01T10:30:05+00:00"
        );
        assert_eq!(
            rfc3339("2030-05-01T10:30:00+02:00"),
            "2030-05-01T10:30:00+02:00"
        );
        assert_eq!(rfc3339("soon"), "soon");
    }
}
