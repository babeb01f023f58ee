//! Logging in and out, and signing up with an invitation.

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cooperage_app::accounts::{self, SignUp, SignedUp};
use serde::Deserialize;
use serde_json::json;

use super::member_view;
use crate::auth::cookie;
use crate::{AppError, AppState};

#[derive(Deserialize)]
pub struct Login {
    login: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(crate::ClientAddr(peer)): ConnectInfo<crate::ClientAddr>,
    Json(body): Json<Login>,
) -> Result<Response, AppError> {
    let member = authenticate(&state, peer.ip(), &body.login, &body.password).await?;
    let secret = accounts::start_session(&state.app, member.id).await?;
    Ok((
        [(SET_COOKIE, session_cookie(&state, &secret))],
        Json(json!({ "member": member_view(&member, None, true) })),
    )
        .into_response())
}

/// Checks a login and password under the login limits: the one way in, for the API and the
/// login page alike.
pub(crate) async fn authenticate(
    state: &AppState,
    ip: std::net::IpAddr,
    login: &str,
    password: &str,
) -> Result<cooperage_db::members::Member, AppError> {
    let limiter = &state.accounts.limiter;
    let found = accounts::find_login(&state.app, login).await?;
    let account = limit_key(found.as_ref(), login);
    // Counted before the password is checked, so concurrent guesses cannot outrun the limit.
    if let Err(wait) = limiter.begin(&account, ip, std::time::Instant::now()) {
        return Err(AppError::TooManyRequests {
            message: "too many failed logins: try again later".into(),
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let member = match accounts::verify_login(&state.app, found, password).await {
        Ok(Some(member)) => member,
        Ok(None) => return Err(AppError::Unauthorized("wrong login or password".into())),
        Err(error) => {
            // Busy: the password was not checked, so the attempt does not count.
            limiter.abandoned(&account, ip);
            return Err(error.into());
        }
    };
    limiter.succeeded(&account, ip);
    Ok(member)
}

/// What login limits count against: the member when the login names one, so that their
/// username and e-mail are one account; otherwise the login as typed.
pub(crate) fn limit_key(member: Option<&cooperage_db::members::Member>, login: &str) -> String {
    match member {
        Some(member) => format!("member:{}", member.id),
        None => format!("login:{}", login.trim().to_lowercase()),
    }
}

pub(crate) fn session_cookie(state: &AppState, secret: &str) -> String {
    cookie::session_cookie(
        secret,
        state.accounts.secure_cookies,
        state.app.accounts().session_lifetime,
    )
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(secret) = cookie::session_from_headers(&headers) {
        accounts::end_session(&state.app, &secret).await?;
    }
    let clear = cookie::clear_session_cookie(state.accounts.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, clear)]).into_response())
}

#[derive(Deserialize)]
pub struct Signup {
    invitation: String,
    username: Option<String>,
    password: String,
    email: Option<String>,
    display_name: Option<String>,
}

pub async fn signup(
    State(state): State<AppState>,
    Json(body): Json<Signup>,
) -> Result<Response, AppError> {
    let form = SignUp {
        invitation: body.invitation,
        username: body.username,
        password: body.password,
        email: body.email,
        display_name: body.display_name,
    };
    match accounts::sign_up(&state.app, form).await? {
        SignedUp::PasswordReset(member) => Ok(Json(
            json!({ "member": member_view(&member, None, true), "password_reset": true }),
        )
        .into_response()),
        SignedUp::Member { member, session } => Ok((
            StatusCode::CREATED,
            [(SET_COOKIE, session_cookie(&state, &session))],
            Json(json!({ "member": member_view(&member, None, true) })),
        )
            .into_response()),
    }
}
