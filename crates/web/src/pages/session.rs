//! The login page and the member's dashboard. Logging in is the API's own
//! (`api::session::authenticate`: the same operation and login limits); the session cookie
//! is the API's too, so a member logged in here is logged in there.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use cooperage_app::{accounts, members, offers, projects, proposals, skills};
use serde::Deserialize;

use super::public::{ListingItem, listing_item};
use super::signed_in::{SignedIn, see_other};
use super::{Layout, PageError, Visitor, format, refuse_cross_site, render};
use crate::auth::cookie;
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    login: String,
    error: Option<String>,
}

/// `GET /login`: the form. Shown even with a session cookie: the cookie may have expired,
/// and sending its holder to the dashboard would send them straight back here.
pub async fn login_form(visitor: Visitor) -> Response {
    let t = visitor.tr();
    let page = LoginPage {
        l: Layout::new(&visitor, t.get("login-title")),
        login: String::new(),
        error: None,
    };
    render(&visitor, StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
}

/// `POST /login`: checks the form like the API's login, starts a session, goes to the
/// dashboard; a wrong password shows the form again with what went wrong.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(crate::ClientAddr(peer)): ConnectInfo<crate::ClientAddr>,
    visitor: Visitor,
    method: Method,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    // Another site must not log a visitor into an account of its choosing (login CSRF).
    if let Some(refused) = refuse_cross_site(&state, visitor, &method, &headers) {
        return refused;
    }
    let t = visitor.tr();
    let failed = |status: StatusCode, key: &str| {
        let page = LoginPage {
            l: Layout::new(&visitor, t.get("login-title")),
            login: form.login.clone(),
            error: Some(t.get(key)),
        };
        render(&visitor, status, &page)
    };
    let member =
        match crate::api::session::authenticate(&state, peer.ip(), &form.login, &form.password)
            .await
        {
            Ok(member) => member,
            Err(AppError::Unauthorized(_)) => {
                return failed(StatusCode::UNAUTHORIZED, "login-failed");
            }
            Err(AppError::TooManyRequests { .. }) => {
                return failed(StatusCode::TOO_MANY_REQUESTS, "login-limited");
            }
            Err(error) => return PageError { visitor, error }.into_response(),
        };
    match accounts::start_session(&state.app, member.id).await {
        Ok(secret) => {
            let mut response = see_other("/");
            if let Ok(value) = crate::api::session::session_cookie(&state, &secret).parse() {
                response.headers_mut().insert(SET_COOKIE, value);
            }
            // The member's own language, also for the pages that do not look them up.
            if let Some(language) = member.language.as_deref() {
                super::i18n::remember(response.headers_mut(), Some(language));
            }
            response
        }
        Err(error) => PageError {
            visitor,
            error: error.into(),
        }
        .into_response(),
    }
}

/// `POST /logout`: ends the session (the API's operation) and goes to the login page.
pub async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refuse_cross_site(&state, visitor, &method, &headers) {
        return refused;
    }
    if let Some(secret) = cookie::session_from_headers(&headers)
        && let Err(error) = accounts::end_session(&state.app, &secret).await
    {
        return PageError {
            visitor,
            error: error.into(),
        }
        .into_response();
    }
    let mut response = see_other("/login");
    if let Ok(value) = cookie::clear_session_cookie(state.accounts.secure_cookies).parse() {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// A network offer on the dashboard.
pub struct MatchItem {
    pub url: String,
    pub title: String,
    pub fits: String,
}

/// A line of the dashboard: a name with a link to its page, and what to know about it.
pub struct Line {
    pub url: String,
    pub name: String,
    pub meta: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    heading: String,
    listings: Vec<ListingItem>,
    matches: Vec<MatchItem>,
    waiting: Vec<super::proposals::Item>,
    projects: Vec<Line>,
    /// For admins: candidates whose trial ends within four weeks.
    trials: Option<Vec<Line>>,
}

/// How far ahead the admins' dashboard looks for trials that end.
const TRIALS_AHEAD_DAYS: i64 = 28;

/// `GET /`: the member's dashboard; visitors who are not logged in go to the login page.
pub async fn dashboard(State(state): State<AppState>, me: SignedIn) -> Response {
    me.finish(dashboard_page(&state, &me).await)
}

async fn dashboard_page(state: &AppState, me: &SignedIn) -> Result<Response, AppError> {
    let (visitor, member) = (me.visitor, &me.member);
    let t = visitor.tr();
    let actor = members::actor_of(&state.app, member).await?;
    let name = actor
        .display_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| member.username.clone());
    let settings = state.federation.context().settings();
    let our_coop = settings.actor_id(&settings.coop_handle);
    let listings = skills::mine(&state.app, member).await?;
    // The API's offer list, with the members whose listings fit each: mine among them, and
    // published by another coop of the network.
    let matches = offers::list(&state.app, member, None)
        .await?
        .into_iter()
        .filter(|view| view.coop != our_coop)
        .filter_map(|view| {
            let fit = view.fits.iter().find(|f| f.username == member.username)?;
            Some(MatchItem {
                url: format!("/offers/{}/details", view.offer.id),
                title: view.offer.title.clone(),
                fits: t.with("dashboard-fits", "skills", &fit.skills.join(", ")),
            })
        })
        .collect();
    // Open proposals I may vote on and have not, here and across the network.
    let waiting = proposals::list(&state.app, member, Some(false), None)
        .await?
        .iter()
        .filter(|view| super::proposals::waiting(view))
        .map(|view| super::proposals::item(&t, view))
        .collect();
    let projects = projects::list(&state.app, member)
        .await?
        .into_iter()
        .filter(|view| view.members.contains(&member.username))
        .map(|view| Line {
            url: format!("/projects/{}", view.project.id),
            meta: t.get(&format!(
                "dashboard-status-{}",
                view.project.status.as_str()
            )),
            name: view.project.name,
        })
        .collect();
    let trials = if member.is_admin {
        let due =
            members::trials_ending(&state.app, chrono::TimeDelta::days(TRIALS_AHEAD_DAYS)).await?;
        Some(
            due.into_iter()
                .map(|candidate| Line {
                    url: format!("/@{}", candidate.username),
                    meta: candidate
                        .eligible_from
                        .map(|at| {
                            t.with("dashboard-trial-ends", "when", &format::moment(at, t.lang))
                        })
                        .unwrap_or_default(),
                    name: candidate.username,
                })
                .collect(),
        )
    } else {
        None
    };
    let heading = t.with("dashboard-title", "name", &name);
    let page = DashboardPage {
        l: me.layout(heading.clone()),
        heading,
        listings: listings
            .iter()
            .map(|listing| listing_item(&t, listing))
            .collect(),
        matches,
        waiting,
        projects,
        trials,
    };
    Ok(render(&visitor, StatusCode::OK, &page))
}
