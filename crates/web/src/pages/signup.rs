//! Joining from an invitation: the link an admin sends (`/join#<secret>`, the secret in the
//! fragment so that it reaches no log and no Referer) opens this form. A small script copies
//! the fragment into the form; without JavaScript the member pastes the link (or the code),
//! and the part after `#` is taken. Signing up is the API's operation
//! (`accounts::sign_up`), and so is the session it starts.

use askama::Template;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use cooperage_app::accounts::{self, SignUp, SignedUp};
use serde::Deserialize;

use super::signed_in::{PROBLEM, form_problem, optional, see_other};
use super::{Layout, PageError, Visitor, refuse_cross_site, render};
use crate::AppState;

/// The sign-up routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/join", get(form).post(join))
        .route("/static/join.js", get(script))
}

const SCRIPT: &str = include_str!("../../static/join.js");

async fn script() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    l: Layout,
    entered: JoinForm,
    error: Option<String>,
}

/// What the form sends (and shows again after a mistake; never the password).
#[derive(Deserialize, Default)]
pub struct JoinForm {
    #[serde(default)]
    invitation: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `GET /join`: the form.
async fn form(visitor: Visitor) -> Response {
    let page = JoinPage {
        l: Layout::new(&visitor, visitor.tr().get("join-title")),
        entered: JoinForm::default(),
        error: None,
    };
    render(&visitor, StatusCode::OK, &page)
}

/// The invitation's secret from a pasted link (`…/join#coop_inv_…`) or the code alone.
fn secret_of(pasted: &str) -> String {
    let pasted = pasted.trim();
    pasted
        .rsplit_once('#')
        .map_or(pasted, |(_, secret)| secret)
        .trim()
        .to_owned()
}

/// `POST /join`: signs up and logs in (to the dashboard); a reset invitation sets the
/// password and goes to the login page; a mistake shows the form again with what to fix.
async fn join(
    State(state): State<AppState>,
    visitor: Visitor,
    method: Method,
    headers: HeaderMap,
    Form(mut entered): Form<JoinForm>,
) -> Response {
    if let Some(refused) = refuse_cross_site(&state, visitor, &method, &headers) {
        return refused;
    }
    let password = std::mem::take(&mut entered.password);
    let form = SignUp {
        invitation: secret_of(&entered.invitation),
        username: optional(&entered.username),
        password,
        email: optional(&entered.email),
        display_name: optional(&entered.display_name),
    };
    match accounts::sign_up(&state.app, form).await {
        Ok(SignedUp::Member { session, .. }) => {
            let mut response = see_other("/");
            if let Ok(value) = crate::api::session::session_cookie(&state, &session).parse() {
                response.headers_mut().insert(SET_COOKIE, value);
            }
            response
        }
        Ok(SignedUp::PasswordReset(_)) => see_other("/login"),
        Err(error) => match form_problem(&visitor.tr(), error) {
            Ok(problem) => {
                let page = JoinPage {
                    l: Layout::new(&visitor, visitor.tr().get("join-title")),
                    entered,
                    error: Some(problem),
                };
                render(&visitor, PROBLEM, &page)
            }
            Err(error) => PageError { visitor, error }.into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_pasted_link_gives_its_secret() {
        assert_eq!(
            super::secret_of(" https://coop.example/join#coop_inv_abc "),
            "coop_inv_abc"
        );
        assert_eq!(super::secret_of("coop_inv_abc"), "coop_inv_abc");
    }
}
