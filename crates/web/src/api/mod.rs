//! The member-facing JSON API under `/api/v1`: session cookie or bearer token.

pub(crate) mod directory;
mod groups;
mod invitations;
mod me;
mod members;
mod offers;
mod projects;
mod proposals;
pub(crate) mod session;
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
        .route("/api/v1/me/revoke-all", post(me::revoke_all))
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
        .route("/api/v1/projects/{id}/offers", post(offers::create))
        .route(
            "/api/v1/projects/{id}/applications",
            get(offers::of_project),
        )
        .route(
            "/api/v1/projects/{id}/applications/{application}/accept",
            post(offers::accept),
        )
        .route(
            "/api/v1/projects/{id}/applications/{application}/decline",
            post(offers::decline),
        )
        .route("/api/v1/offers", get(offers::list))
        .route(
            "/api/v1/offers/{id}",
            get(offers::show).put(offers::update).delete(offers::delete),
        )
        .route("/api/v1/offers/{id}/close", post(offers::close))
        .route("/api/v1/offers/{id}/applications", post(offers::apply))
        .route(
            "/api/v1/offers/{id}/applications/mine",
            delete(offers::withdraw),
        )
        .route("/api/v1/me/applications", get(offers::mine))
        .route("/api/v1/cockpit", get(projects::cockpit))
        .route("/api/v1/directory", get(directory::search))
        .route(
            "/api/v1/proposals",
            get(proposals::list).post(proposals::create),
        )
        .route("/api/v1/proposals/{id}", get(proposals::show))
        .route("/api/v1/proposals/{id}/votes", post(proposals::vote))
        .route(
            "/api/v1/proposals/{id}/decision",
            post(proposals::open_decision),
        )
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
    /// The hash of the session's secret, when logged in by session cookie.
    pub session_hash: Option<String>,
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
        let mut session_hash = None;
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
            // The browser sends the cookie with any site's request: a write must come from
            // our own pages. Checked before the database is asked anything.
            let base = state.federation.context().settings().base_url();
            refuse_cross_site_write(&parts.method, &parts.headers, &base)?;
            let hash = tokens::hash(&secret);
            session_hash = Some(hash.clone());
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
        Ok(Self {
            member,
            via,
            session_hash,
        })
    }
}

/// Refuses a cookie-authenticated write that a browser says came from another site: by
/// `Sec-Fetch-Site` when sent (every current browser does), else by `Origin`. A request with
/// neither is not from a browser that would attach our cookie on another site's behalf (curl,
/// scripts), so it passes. SameSite=Lax on the cookie is the first line; this is the second,
/// for browsers or subdomains where Lax does not hold.
pub fn refuse_cross_site_write(
    method: &axum::http::Method,
    headers: &axum::http::HeaderMap,
    base_url: &str,
) -> Result<(), AppError> {
    use axum::http::Method;
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let refused = || {
        AppError::Forbidden(format!(
            "cross-site request refused: a write with the session cookie must come from \
             {base_url} (use an API token for other clients)"
        ))
    };
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: the user made the request themselves (typed or bookmarked).
        return match site.to_str().map(str::to_ascii_lowercase).as_deref() {
            Ok("same-origin" | "none") => Ok(()),
            _ => Err(refused()),
        };
    }
    if let Some(origin) = headers.get(axum::http::header::ORIGIN) {
        let same = origin
            .to_str()
            .is_ok_and(|o| o.trim_end_matches('/').eq_ignore_ascii_case(base_url));
        return if same { Ok(()) } else { Err(refused()) };
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, Method};

    fn check(method: Method, headers: &[(&str, &str)]) -> bool {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        refuse_cross_site_write(&method, &map, "https://coop.example").is_ok()
    }

    #[test]
    fn cookie_writes_must_be_same_origin() {
        assert!(check(Method::GET, &[("sec-fetch-site", "cross-site")]));
        assert!(check(Method::POST, &[]));
        assert!(check(Method::POST, &[("sec-fetch-site", "same-origin")]));
        assert!(check(Method::POST, &[("sec-fetch-site", "none")]));
        assert!(!check(Method::POST, &[("sec-fetch-site", "cross-site")]));
        assert!(!check(Method::DELETE, &[("sec-fetch-site", "same-site")]));
        assert!(check(Method::PATCH, &[("origin", "https://coop.example")]));
        assert!(!check(Method::PATCH, &[("origin", "https://evil.example")]));
        assert!(!check(Method::PUT, &[("origin", "null")]));
        assert!(!check(Method::POST, &[("origin", "http://coop.example")]));
        // Sec-Fetch-Site decides when both are sent.
        assert!(!check(
            Method::POST,
            &[
                ("origin", "https://coop.example"),
                ("sec-fetch-site", "cross-site")
            ]
        ));
    }
}
