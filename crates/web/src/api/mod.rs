//! The member-facing JSON API under `/api/v1`: session cookie or bearer token.

mod groups;
mod invitations;
mod me;
mod members;
mod projects;
mod proposals;
mod session;
mod skills;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use cooperage_db::members::Member;
use serde_json::{Value, json};

use crate::auth::{cookie, tokens};
use crate::{AppError, AppState};

/// The API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/auth/login", post(session::login))
        .route("/api/v1/auth/logout", post(session::logout))
        .route("/api/v1/auth/signup", post(session::signup))
        .route("/api/v1/me", get(me::show).patch(me::update))
        .route("/api/v1/me/password", post(me::change_password))
        .route("/api/v1/me/tokens", get(me::tokens).post(me::create_token))
        .route("/api/v1/me/tokens/{id}", delete(me::revoke_token))
        .route("/api/v1/invitations", post(invitations::create))
        .route("/api/v1/members", get(members::list))
        .route(
            "/api/v1/members/candidates-ready",
            get(members::candidates_ready),
        )
        .route(
            "/api/v1/members/{username}",
            get(members::show).patch(members::update),
        )
        .route(
            "/api/v1/members/{username}/password-reset",
            post(members::password_reset),
        )
        .route("/api/v1/skills", get(skills::mine).post(skills::create))
        .route(
            "/api/v1/skills/{id}",
            get(skills::show).put(skills::update).delete(skills::delete),
        )
        .route(
            "/api/v1/projects",
            get(projects::list).post(projects::create),
        )
        .route(
            "/api/v1/projects/{id}",
            get(projects::show).patch(projects::update),
        )
        .route("/api/v1/projects/{id}/members", post(projects::add_member))
        .route(
            "/api/v1/projects/{id}/members/{username}",
            delete(projects::remove_member),
        )
        .route(
            "/api/v1/projects/{id}/ledger",
            get(projects::ledger).post(projects::record_money),
        )
        .route(
            "/api/v1/projects/{id}/ledger.csv",
            get(projects::ledger_csv),
        )
        .route("/api/v1/projects/{id}/time", post(projects::record_time))
        .route(
            "/api/v1/projects/{id}/ledger/{entry}/reversal",
            post(projects::reverse),
        )
        .route("/api/v1/cockpit", get(projects::cockpit))
        .route(
            "/api/v1/proposals",
            get(proposals::list).post(proposals::create),
        )
        .route("/api/v1/proposals/{id}", get(proposals::show))
        .route("/api/v1/proposals/{id}/votes", post(proposals::vote))
        .route(
            "/api/v1/proposals/{id}/comments",
            get(proposals::comments).post(proposals::comment),
        )
        .route("/api/v1/groups", get(groups::list).post(groups::create))
        .route("/api/v1/groups/{id}/members", post(groups::add_member))
        .route(
            "/api/v1/groups/{id}/members/{username}",
            delete(groups::remove_member),
        )
}

/// The OpenAPI document of the API (kept true by a test that calls every operation in it).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session,
    /// A personal API token; `write` is false for read-only tokens.
    Token {
        write: bool,
    },
}

/// The member making the request (active, logged in by session or token).
pub struct CurrentMember {
    pub member: Member,
    pub via: Via,
}

impl CurrentMember {
    /// Refuses read-only tokens for requests that change something.
    pub fn require_write(&self) -> Result<(), AppError> {
        match self.via {
            Via::Token { write: false } => {
                Err(AppError::Forbidden("this token is read-only".into()))
            }
            _ => Ok(()),
        }
    }

    /// Refuses anyone but admins.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.member.is_admin {
            Ok(())
        } else {
            Err(AppError::Forbidden("only admins may do this".into()))
        }
    }
}

impl FromRequestParts<AppState> for CurrentMember {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let db = state.federation.context().db();
        let (member, via) = if let Some(token) = cookie::bearer_token(&parts.headers) {
            let hash = tokens::hash(&token);
            let found = db
                .run(move |conn| cooperage_db::members::by_token(conn, &hash))
                .await?;
            let (member, scope) =
                found.ok_or_else(|| AppError::Unauthorized("unknown or revoked token".into()))?;
            (
                member,
                Via::Token {
                    write: scope == "write",
                },
            )
        } else if let Some(secret) = cookie::session_from_headers(&parts.headers) {
            let hash = tokens::hash(&secret);
            let now = cooperage_db::now();
            let found = db
                .run(move |conn| cooperage_db::members::by_session(conn, &hash, now))
                .await?;
            (
                found.ok_or_else(|| {
                    AppError::Unauthorized("session expired: log in again".into())
                })?,
                Via::Session,
            )
        } else {
            return Err(AppError::Unauthorized(
                "log in, or send `Authorization: Bearer <token>`".into(),
            ));
        };
        if !cooperage_domain::member::can_log_in(member.status) {
            return Err(AppError::Forbidden(format!(
                "this account is {}",
                member.status
            )));
        }
        Ok(Self { member, via })
    }
}

/// An invitation as the API shows it (the secret only here, once).
pub fn invitation_view(invitation: &cooperage_app::invitations::Invitation) -> Value {
    json!({
        "invitation": invitation.secret,
        "url": invitation.url,
        "role": invitation.role.as_str(),
        "admin": invitation.admin,
        "expires_at": invitation.expires_at.and_utc().to_rfc3339(),
    })
}

/// A member as the API shows them.
pub fn member_view(
    member: &Member,
    actor: Option<&cooperage_db::actors::Actor>,
    private: bool,
) -> Value {
    let mut view = json!({
        "username": member.username,
        "display_name": actor.and_then(|a| a.display_name.clone()).unwrap_or_else(|| member.username.clone()),
        "actor_id": actor.map(|a| a.ap_id.clone()),
        "bio": member.bio,
        "pronouns": member.pronouns,
        "city": member.city,
        "avatar_url": member.avatar_url,
        "role": member.role.as_str(),
        "admin": member.is_admin,
        "status": member.status.as_str(),
        "joined_at": member.joined_at.and_utc().to_rfc3339(),
        "eligible_from": member.eligible_from.map(|t| t.and_utc().to_rfc3339()),
        "buddy_id": member.buddy_id,
    });
    if private {
        view["email"] = json!(member.email);
    }
    view
}
