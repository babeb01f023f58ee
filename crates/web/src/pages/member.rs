//! What every member page shares: the logged-in member (a visitor without a session goes to
//! the login page), the layout with the member's navigation, and the line between a mistake
//! the member can correct on the form and an error page.

use axum::extract::FromRequestParts;
use axum::http::header::LOCATION;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{Layout, PageError, Visitor};
use crate::api::{CurrentMember, refuse_cross_site_write};
use crate::{AppError, AppState};

/// A member logged in by session cookie, on a page. Every form POST is refused first when it
/// comes from another site (before the session is even looked up).
pub struct SignedIn {
    pub current: CurrentMember,
    pub visitor: Visitor,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let visitor = Visitor::of(&parts.uri, &parts.headers);
        let base = state.federation.context().settings().base_url();
        if let Err(error) = refuse_cross_site_write(&parts.method, &parts.headers, &base) {
            return Err(PageError { visitor, error }.into_response());
        }
        match CurrentMember::from_request_parts(parts, state).await {
            Ok(current) => Ok(SignedIn { current, visitor }),
            Err(AppError::Unauthorized(_)) if parts.method == Method::GET => {
                Err(see_other("/login"))
            }
            Err(error) => Err(PageError { visitor, error }.into_response()),
        }
    }
}

impl SignedIn {
    /// The layout of a member page titled `title`.
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        let mut l = Layout::new(&self.visitor, title);
        l.logged_in = true;
        l
    }

    /// The error page for `error`.
    pub fn error(&self, error: impl Into<AppError>) -> Response {
        PageError {
            visitor: self.visitor,
            error: error.into(),
        }
        .into_response()
    }
}

/// `303 See Other` to `to`: where a form's POST sends the browser (reloading does not post
/// again).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// The message of a mistake in what the member entered, to show on the form again; `None`
/// for everything else (not found, forbidden, faults), which gets an error page.
pub fn correctable(error: &AppError) -> Option<String> {
    use cooperage_app::Error as E;
    match error {
        AppError::Field { .. } | AppError::Conflict { .. } | AppError::BadRequest(_) => {
            Some(error.to_string())
        }
        AppError::App(E::Invalid { .. } | E::Conflict { .. } | E::BadRequest(_)) => {
            Some(error.to_string())
        }
        _ => None,
    }
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

/// A time as pages show it (UTC, to the minute).
pub fn when(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
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
pub fn choices(t: &super::Tr, prefix: &str, words: &[&'static str], current: &str) -> Vec<Choice> {
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
