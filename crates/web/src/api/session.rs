//! Logging in and out, and signing up with an invitation.

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cooperage_db::{invitations, members};
use cooperage_domain::member::Role;
use serde::Deserialize;
use serde_json::json;

use super::member_view;
use crate::accounts::{self, NewAccount};
use crate::auth::{cookie, tokens};
use crate::{AppError, AppState};

#[derive(Deserialize)]
pub struct Login {
    /// Username or e-mail address.
    login: String,
    password: String,
}

/// `POST /api/v1/auth/login`: sets the session cookie. Attempts are limited per account and
/// address, per address and per account (`auth::rate_limit`), and a failure never says
/// whether the account exists.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(crate::ClientAddr(peer)): ConnectInfo<crate::ClientAddr>,
    Json(body): Json<Login>,
) -> Result<Response, AppError> {
    let limiter = &state.accounts.limiter;
    let context = state.federation.context();
    let found = accounts::find_login(context, &body.login).await?;
    let account = limit_key(found.as_ref(), &body.login);
    let ip = peer.ip();
    // Counted before the password is checked, so concurrent guesses cannot outrun the limit.
    if let Err(wait) = limiter.begin(&account, ip, std::time::Instant::now()) {
        return Err(AppError::TooManyRequests {
            message: "too many failed logins: try again later".into(),
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let verified = accounts::verify_login(&state.accounts.settings, found, &body.password).await;
    let member = match verified {
        Ok(Some(member)) => member,
        Ok(None) => return Err(AppError::Unauthorized("wrong login or password".into())),
        Err(error) => {
            // Busy: the password was not checked, so the attempt does not count.
            limiter.abandoned(&account, ip);
            return Err(error);
        }
    };
    limiter.succeeded(&account, ip);
    let secret = accounts::start_session(context, &state.accounts.settings, member.id).await?;
    let cookie = cookie::session_cookie(
        &secret,
        state.accounts.settings.secure_cookies,
        state.accounts.settings.session_lifetime,
    );
    Ok((
        [(SET_COOKIE, cookie)],
        Json(json!({ "member": member_view(&member, None, true) })),
    )
        .into_response())
}

/// What login limits count against: the member when the login names one, so that their
/// username and e-mail are one account; otherwise the login as typed.
pub(crate) fn limit_key(member: Option<&cooperage_db::members::Member>, login: &str) -> String {
    match member {
        Some(member) => format!("member:{}", member.id),
        None => format!("login:{}", login.trim().to_lowercase()),
    }
}

/// `POST /api/v1/auth/logout`: ends the session (if any) and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(secret) = cookie::session_from_headers(&headers) {
        let hash = tokens::hash(&secret);
        state
            .federation
            .context()
            .db()
            .run(move |conn| members::delete_session(conn, &hash))
            .await?;
    }
    let clear = cookie::clear_session_cookie(state.accounts.settings.secure_cookies);
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

/// `POST /api/v1/auth/signup`: the invitee chooses username and password (or, with a
/// password-reset invitation, only a new password).
pub async fn signup(
    State(state): State<AppState>,
    Json(body): Json<Signup>,
) -> Result<Response, AppError> {
    let context = state.federation.context();
    let hash = tokens::hash(body.invitation.trim());
    let now = cooperage_db::now();
    let invitation = context
        .db()
        .run(move |conn| invitations::by_hash(conn, &hash))
        .await?;
    let invitation = invitation.ok_or_else(|| AppError::field("invitation", "is not valid"))?;
    if invitation.used_at.is_some() {
        return Err(AppError::field("invitation", "was already used"));
    }
    if invitation.expires_at <= now {
        return Err(AppError::field(
            "invitation",
            "has expired: ask an admin for a new one",
        ));
    }
    // Password reset: the invitation names the member.
    if let Some(member_id) = invitation.member_id {
        let member = context
            .db()
            .run(move |conn| members::by_id(conn, member_id))
            .await?
            .ok_or(AppError::NotFound)?;
        crate::auth::password::check_strength(&body.password, &member.username)
            .map_err(|e| AppError::field("password", &e.to_string()))?;
        let password = body.password.clone();
        let new_hash = state
            .accounts
            .settings
            .passwords
            .run(move || crate::auth::password::hash(&password))
            .await?
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let id = invitation.id;
        let used = context
            .db()
            .write(move |conn| {
                cooperage_db::transaction(conn, |conn| {
                    if !invitations::use_up(conn, id, now)? {
                        return Ok(false);
                    }
                    members::set_password_hash(conn, member_id, &new_hash)?;
                    // Whoever had the old password may have left a session or a token.
                    members::delete_sessions_of(conn, member_id)?;
                    members::revoke_tokens_of(conn, member_id)?;
                    Ok(true)
                })
            })
            .await?;
        if !used {
            return Err(AppError::field("invitation", "was already used"));
        }
        return Ok(Json(
            json!({ "member": member_view(&member, None, true), "password_reset": true }),
        )
        .into_response());
    }
    let id = invitation.id;
    // Claim the invitation first: two sign-ups racing for it get one account, not two.
    if !context
        .db()
        .write(move |conn| invitations::use_up(conn, id, now))
        .await?
    {
        return Err(AppError::field("invitation", "was already used"));
    }
    let role = Role::parse(&invitation.role).map_err(|e| AppError::Internal(e.to_string()))?;
    let account = NewAccount {
        username: body.username.unwrap_or_default(),
        password: body.password,
        email: body.email,
        display_name: body.display_name,
        role,
        is_admin: invitation.is_admin,
    };
    let created = accounts::create_member(context, &state.accounts.settings, account).await;
    let member = match created {
        Ok(member) => member,
        Err(error) => {
            // The invitation stays usable for a corrected attempt.
            context
                .db()
                .write(move |conn| invitations::release(conn, id))
                .await?;
            return Err(error);
        }
    };
    if role == Role::Member {
        super::members::announce_membership(&state).await?;
    }
    let secret = accounts::start_session(context, &state.accounts.settings, member.id).await?;
    let cookie = cookie::session_cookie(
        &secret,
        state.accounts.settings.secure_cookies,
        state.accounts.settings.session_lifetime,
    );
    Ok((
        StatusCode::CREATED,
        [(SET_COOKIE, cookie)],
        Json(json!({ "member": member_view(&member, None, true) })),
    )
        .into_response())
}
