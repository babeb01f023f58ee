//! The current member: profile, password, personal API tokens.

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cooperage_db::members::{self, ProfileChange};
use serde::Deserialize;
use serde_json::json;

use super::{CurrentMember, member_view};
use crate::auth::{password, tokens};
use crate::{AppError, AppState};

/// Longest profile texts.
const MAX_BIO: usize = 5_000;
const MAX_SHORT: usize = 100;

/// `GET /api/v1/me`.
pub async fn show(State(state): State<AppState>, me: CurrentMember) -> Result<Response, AppError> {
    let actor = super::actor_of(&state, &me.member).await?;
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

fn bounded(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, AppError> {
    match value {
        Some(v) if v.chars().count() > max => Err(AppError::field(
            field,
            &format!("must be at most {max} characters"),
        )),
        other => Ok(other.map(|v| v.trim().to_owned())),
    }
}

/// `PATCH /api/v1/me`: edit one's own profile.
pub async fn update(
    State(state): State<AppState>,
    me: CurrentMember,
    Json(body): Json<ProfileUpdate>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let avatar_url = match body.avatar_url {
        None => None,
        Some(url) if url.trim().is_empty() => Some(None),
        Some(url) => {
            let parsed = url::Url::parse(url.trim())
                .map_err(|_| AppError::field("avatar_url", "must be an http(s) URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(AppError::field("avatar_url", "must be an http(s) URL"));
            }
            Some(Some(parsed.to_string()))
        }
    };
    let change = ProfileChange {
        bio: bounded("bio", body.bio, MAX_BIO)?,
        pronouns: bounded("pronouns", body.pronouns, MAX_SHORT)?,
        city: bounded("city", body.city, MAX_SHORT)?,
        avatar_url,
    };
    let display_name = bounded("display_name", body.display_name, MAX_SHORT)?;
    let summary = change.bio.as_deref().map(|bio| {
        if bio.is_empty() {
            String::new()
        } else {
            cooperage_federation::operations::paragraphs(bio)
        }
    });
    let (id, actor_id) = (me.member.id, me.member.actor_id);
    let context = state.federation.context();
    context
        .db()
        .write(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                members::update_profile(conn, id, &change)?;
                if let Some(name) = display_name {
                    cooperage_db::actors::set_display_name(conn, actor_id, &name)?;
                }
                // The bio is the actor's `summary` on the Fediverse.
                if let Some(summary) = &summary {
                    cooperage_db::actors::set_summary(conn, actor_id, summary)?;
                }
                Ok::<_, cooperage_db::DbError>(())
            })
        })
        .await?;
    let member = context
        .db()
        .run(move |conn| members::by_id(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = super::actor_of(&state, &member).await?;
    // Followers on other servers see the new profile.
    cooperage_federation::operations::announce_actor_update(context, &member.username).await?;
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
    let current = me.member.password_hash.clone().unwrap_or_default();
    let given = body.current_password;
    let passwords = &state.accounts.settings.passwords;
    let verified = passwords
        .run(move || password::verify(&given, &current))
        .await;
    match verified {
        Ok(true) => limiter.succeeded(&account, ip),
        Ok(false) => return Err(AppError::field("current_password", "is wrong")),
        Err(error) => {
            limiter.abandoned(&account, ip);
            return Err(error.into());
        }
    }
    password::check_strength(&body.new_password, &me.member.username)
        .map_err(|e| AppError::field("new_password", &e.to_string()))?;
    let new_password = body.new_password;
    let hashed = passwords
        .run(move || password::hash(&new_password))
        .await?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let (id, keep) = (me.member.id, me.session_hash);
    state
        .federation
        .context()
        .db()
        .write(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                members::set_password_hash(conn, id, &hashed)?;
                members::revoke_tokens_of(conn, id)?;
                match &keep {
                    Some(keep) => members::delete_other_sessions(conn, id, keep),
                    None => members::delete_sessions_of(conn, id),
                }
            })
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v1/me/revoke-all`: revokes every API token and ends every session, this one
/// included (for a member who fears a secret has leaked).
pub async fn revoke_all(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Response, AppError> {
    me.require_write()?;
    let id = me.member.id;
    state
        .federation
        .context()
        .db()
        .write(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                members::revoke_tokens_of(conn, id)?;
                members::delete_sessions_of(conn, id)
            })
        })
        .await?;
    let clear = crate::auth::cookie::clear_session_cookie(state.accounts.settings.secure_cookies);
    Ok((
        StatusCode::NO_CONTENT,
        [(axum::http::header::SET_COOKIE, clear)],
    )
        .into_response())
}

/// `GET /api/v1/me/tokens`: the member's tokens, without secrets.
pub async fn tokens(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Response, AppError> {
    let id = me.member.id;
    let list = state
        .federation
        .context()
        .db()
        .run(move |conn| members::tokens_of(conn, id))
        .await?;
    let list: Vec<_> = list
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
    /// `read` or `write`.
    scope: String,
}

/// `POST /api/v1/me/tokens`: the secret is in this answer and nowhere else, ever.
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
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_SHORT {
        return Err(AppError::field("name", "must be 1 to 100 characters"));
    }
    if body.scope != "read" && body.scope != "write" {
        return Err(AppError::field("scope", "must be \"read\" or \"write\""));
    }
    let secret = tokens::generate(tokens::SecretKind::ApiToken);
    let (id, hash, scope) = (me.member.id, secret.hash.clone(), body.scope.clone());
    let token = state
        .federation
        .context()
        .db()
        .write(move |conn| members::create_token(conn, id, &name, &scope, &hash))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": token.id, "name": token.name, "scope": token.scope, "token": secret.secret })),
    )
        .into_response())
}

/// `DELETE /api/v1/me/tokens/{id}`.
pub async fn revoke_token(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(token_id): Path<i64>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let id = me.member.id;
    let revoked = state
        .federation
        .context()
        .db()
        .write(move |conn| members::revoke_token(conn, id, token_id))
        .await?;
    if revoked {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(AppError::NotFound)
    }
}
