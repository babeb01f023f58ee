//! The current member: profile, password, personal API tokens.

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cooperage_app::{accounts, members};
use serde::Deserialize;
use serde_json::json;

use super::{CurrentMember, member_view};
use crate::{AppError, AppState};

pub async fn show(State(state): State<AppState>, me: CurrentMember) -> Result<Response, AppError> {
    let actor = members::actor_of(&state.app, &me.member).await?;
    Ok(Json(member_view(&me.member, Some(&actor), true)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    display_name: Option<String>,
    bio: Option<String>,
    pronouns: Option<String>,
    city: Option<String>,
    avatar_url: Option<String>,
}

pub async fn update(
    State(state): State<AppState>,
    me: CurrentMember,
    Json(body): Json<ProfileUpdate>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let update = members::ProfileUpdate {
        display_name: body.display_name,
        bio: body.bio,
        pronouns: body.pronouns,
        city: body.city,
        avatar_url: body.avatar_url.map(Some),
    };
    let member = members::update_profile(&state.app, &me.member, update).await?;
    let actor = members::actor_of(&state.app, &member).await?;
    Ok(Json(member_view(&member, Some(&actor), true)).into_response())
}

#[derive(Deserialize)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/me/password`: needs the current password (guesses at it are limited like
/// logins); revokes every API token and ends every other session.
pub async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(crate::ClientAddr(peer)): ConnectInfo<crate::ClientAddr>,
    me: CurrentMember,
    Json(body): Json<PasswordChange>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let limiter = &state.accounts.limiter;
    let account = super::session::limit_key(Some(&me.member), &me.member.username);
    let ip = peer.ip();
    if let Err(wait) = limiter.begin(&account, ip, std::time::Instant::now()) {
        return Err(AppError::TooManyRequests {
            message: "too many wrong passwords: try again later".into(),
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let changed = accounts::change_password(
        &state.app,
        &me.member,
        body.current_password,
        body.new_password,
        me.session_hash.clone(),
    )
    .await;
    match &changed {
        // A wrong current password counts as a failed attempt; nothing else does.
        Err(cooperage_app::Error::Invalid {
            field: "current_password",
            ..
        }) => {}
        Err(cooperage_app::Error::Busy { .. }) => limiter.abandoned(&account, ip),
        _ => limiter.succeeded(&account, ip),
    }
    changed?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v1/me/revoke-all`: revokes every API token and ends every session, this one
/// included (for a member who fears a secret has leaked).
pub async fn revoke_all(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Response, AppError> {
    me.require_write()?;
    accounts::revoke_all(&state.app, &me.member).await?;
    let clear = crate::auth::cookie::clear_session_cookie(state.accounts.secure_cookies);
    Ok((
        StatusCode::NO_CONTENT,
        [(axum::http::header::SET_COOKIE, clear)],
    )
        .into_response())
}

pub async fn tokens(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Response, AppError> {
    let list: Vec<_> = accounts::tokens_of(&state.app, &me.member)
        .await?
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id, "name": t.name, "scope": t.scope,
                "created_at": t.created_at.and_utc().to_rfc3339(),
                "last_used_at": t.last_used_at.map(|d| d.and_utc().to_rfc3339()),
                "revoked": t.revoked_at.is_some(),
            })
        })
        .collect();
    Ok(Json(json!({ "tokens": list })).into_response())
}

#[derive(Deserialize)]
pub struct NewToken {
    name: String,
    scope: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    me: CurrentMember,
    Json(body): Json<NewToken>,
) -> Result<Response, AppError> {
    me.require_write()?;
    if me.via != super::Via::Session {
        return Err(AppError::Forbidden(
            "tokens are made from a logged-in session".into(),
        ));
    }
    let made = accounts::create_token(&state.app, &me.member, &body.name, &body.scope).await?;
    let token = made.token;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": token.id, "name": token.name, "scope": token.scope, "token": made.secret })),
    )
        .into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(token_id): Path<i64>,
) -> Result<Response, AppError> {
    me.require_write()?;
    accounts::revoke_token(&state.app, &me.member, token_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
