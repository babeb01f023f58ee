//! The login page and the member's dashboard. Logging in is the API's own
//! (`api::session::authenticate`: the same operation and login limits); the session cookie
//! is the API's too, so a member logged in here is logged in there.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use cooperage_app::{accounts, members, offers, projects, proposals, skills};
use serde::Deserialize;

use super::public::ListingItem;
use super::{Layout, PageError, Visitor, render};
use crate::api::{CurrentMember, refuse_cross_site_write};
use crate::auth::cookie;
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    login: String,
    error: Option<String>,
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
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
    let base = state.federation.context().settings().base_url();
    if let Err(error) = refuse_cross_site_write(&method, &headers, &base) {
        return PageError { visitor, error }.into_response();
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
    let base = state.federation.context().settings().base_url();
    if let Err(error) = refuse_cross_site_write(&method, &headers, &base) {
        return PageError { visitor, error }.into_response();
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

/// A line of the dashboard: a name, what to know about it, and a link if it has a page.
pub struct Line {
    pub url: Option<String>,
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
pub async fn dashboard(
    State(state): State<AppState>,
    visitor: Visitor,
    current: Result<CurrentMember, AppError>,
) -> Response {
    let current = match current {
        Ok(current) => current,
        Err(AppError::Unauthorized(_)) => return see_other("/login"),
        Err(error) => return PageError { visitor, error }.into_response(),
    };
    match dashboard_page(&state, visitor, current).await {
        Ok(response) => response,
        Err(error) => PageError { visitor, error }.into_response(),
    }
}

async fn dashboard_page(
    state: &AppState,
    visitor: Visitor,
    current: CurrentMember,
) -> Result<Response, AppError> {
    let member = &current.member;
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
                url: view.offer.ap_id.clone(),
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
            url: None,
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
                    url: Some(format!("/@{}", candidate.username)),
                    meta: candidate
                        .eligible_from
                        .map(|at| t.with("dashboard-trial-ends", "when", &super::member::when(at)))
                        .unwrap_or_default(),
                    name: candidate.username,
                })
                .collect(),
        )
    } else {
        None
    };
    let heading = t.with("dashboard-title", "name", &name);
    let mut l = Layout::new(&visitor, heading.clone());
    l.logged_in = true;
    let page = DashboardPage {
        l,
        heading,
        listings: listings
            .iter()
            .map(|listing| ListingItem {
                url: listing.ap_id.clone(),
                label: listing.label.clone(),
                level: t.get(&format!("word-{}", listing.level.as_str())),
                hours_per_week: listing.hours_per_week,
                description: listing.description.clone(),
            })
            .collect(),
        matches,
        waiting,
        projects,
        trials,
    };
    Ok(render(&visitor, StatusCode::OK, &page))
}
