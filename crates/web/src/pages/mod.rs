//! Server-rendered HTML pages: askama templates (`crates/web/templates/`), translated with
//! Fluent catalogues (`crates/web/locales/`). Every page calls the same `cooperage_app`
//! operations (or, for documents served to anyone, the same lookups) as the API and the
//! ActivityPub routes; a page only chooses what to show and in which language.

mod admin;
mod directory;
pub mod format;
pub mod i18n;
mod listings;
mod offers;
mod projects;
pub mod proposals;
pub mod public;
mod session;
mod settings;
pub mod signed_in;
mod signup;

use askama::Template;
use axum::Router;
use axum::extract::OriginalUri;
use axum::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::{AppError, AppState};
pub use i18n::{Lang, Tr};

/// The page routes (the public pages on shared URLs are routed in `lib.rs`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/style.css", get(stylesheet))
        .route("/static/icon.svg", get(icon))
        .route("/", get(session::dashboard))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", axum::routing::post(session::logout))
        .merge(signup::routes())
        .merge(directory::routes())
        .merge(listings::routes())
        .merge(proposals::routes())
        .merge(projects::routes())
        .merge(offers::routes())
        .merge(admin::routes())
        .merge(settings::routes())
}

/// The whole policy: our own origin only, no inline script or style, no framing, forms post
/// only to us. Pages need nothing else (one script of ours, `/static/join.js`, and every
/// page works without it).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       base-uri 'none'; form-action 'self'; frame-ancestors 'none'; \
                       object-src 'none'";

const STYLESHEET: &str = include_str!("../../static/style.css");

async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

const ICON: &str = include_str!("../../static/icon.svg");

/// The site's icon (without one, browsers ask for `/favicon.ico` and log the 404 as an error).
async fn icon() -> Response {
    (
        [
            (CONTENT_TYPE, "image/svg+xml"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        ICON,
    )
        .into_response()
}

/// Who is looking: the language chosen for this request, and whether the switch
/// (`?lang=`) chose it, in which case the response keeps the choice in a cookie.
#[derive(Debug, Clone, Copy)]
pub struct Visitor {
    pub lang: Lang,
    switched: bool,
}

impl Visitor {
    /// The visitor of a request with this URI and these headers.
    pub fn of(uri: &Uri, headers: &HeaderMap) -> Self {
        let switch = uri.query().and_then(|query| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| *name == "lang")
                .and_then(|(_, value)| Lang::from_tag(value))
        });
        Visitor {
            lang: switch.unwrap_or_else(|| Lang::negotiate(None, headers)),
            switched: switch.is_some(),
        }
    }

    /// The translator for this visitor.
    pub fn tr(&self) -> Tr {
        Tr { lang: self.lang }
    }

    /// This visitor with a member's own choice of language (`members.language`), which
    /// comes after the switch and before the cookie and the browser's.
    pub fn choosing(self, chosen: Option<&str>) -> Visitor {
        match chosen.and_then(Lang::from_tag) {
            Some(lang) if !self.switched => Visitor { lang, ..self },
            _ => self,
        }
    }
}

impl axum::extract::FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    /// As [`Visitor::of`], except that a logged-in member's own choice of language
    /// (settings) comes after the switch and before the cookie and the browser's.
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::of(&parts.uri, &parts.headers);
        if visitor.switched {
            return Ok(visitor);
        }
        let chosen = settings::chosen_language(state, &parts.headers).await;
        Ok(visitor.choosing(chosen.as_deref()))
    }
}

/// The 403 page for a form POST that a browser says came from another site
/// (`api::refuse_cross_site_write`), `None` for any other request: the first thing every
/// form's handler checks (login and sign-up too, against login CSRF).
pub fn refuse_cross_site(
    state: &AppState,
    visitor: Visitor,
    method: &Method,
    headers: &HeaderMap,
) -> Option<Response> {
    let base = state.federation.context().settings().base_url();
    crate::api::refuse_cross_site_write(method, headers, &base)
        .err()
        .map(|error| PageError { visitor, error }.into_response())
}

/// What the base layout needs from every page.
pub struct Layout {
    pub t: Tr,
    pub title: String,
    /// OpenGraph tags: Mastodon's preview card of a link to this page.
    pub og: Option<OpenGraph>,
    /// The ActivityPub document this page shows.
    pub alternate: Option<String>,
    /// Whether a member is logged in (shows log out rather than log in).
    pub logged_in: bool,
    /// Whether the member is an admin (shows the admin pages in the navigation).
    pub admin: bool,
}

impl Layout {
    /// A layout titled `title` for `visitor`.
    pub fn new(visitor: &Visitor, title: impl Into<String>) -> Self {
        Layout {
            t: visitor.tr(),
            title: title.into(),
            og: None,
            alternate: None,
            logged_in: false,
            admin: false,
        }
    }

    /// The layout of a public page of one object (a listing, an offer, a proposal): its
    /// preview card (`og:type` article) and the alternate link to the ActivityPub object at
    /// `ap_id`, the same URL.
    pub fn article(
        visitor: &Visitor,
        title: impl Into<String>,
        card_title: String,
        description: String,
        ap_id: &str,
        site_name: &str,
    ) -> Self {
        let mut layout = Layout::new(visitor, title);
        layout.alternate = Some(ap_id.to_owned());
        layout.og = Some(OpenGraph {
            kind: "article",
            title: card_title,
            description,
            url: ap_id.to_owned(),
            site_name: site_name.to_owned(),
        });
        layout
    }

    /// The language switch: every language with whether it is the current one.
    pub fn languages(&self) -> Vec<(&'static str, String, bool)> {
        Lang::ALL
            .iter()
            .map(|lang| {
                (
                    lang.code(),
                    self.t.get(&format!("lang-{}", lang.code())),
                    *lang == self.t.lang,
                )
            })
            .collect()
    }
}

/// OpenGraph properties of a public page.
pub struct OpenGraph {
    /// `profile` or `article`.
    pub kind: &'static str,
    pub title: String,
    pub description: String,
    pub url: String,
    pub site_name: String,
}

/// Whether a browser asked for this (it names `text/html`), rather than an ActivityPub or
/// JSON client: the shared URLs (`/skills/{id}`, `/offers/{id}`) answer JSON to anyone else,
/// as they did before pages existed.
pub fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    accept.contains("text/html")
        && !accept.contains("application/activity+json")
        && !accept.contains("application/ld+json")
}

/// A rendered page with the headers every page carries.
pub fn render(visitor: &Visitor, status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => with_page_headers(visitor, (status, Html(html)).into_response()),
        Err(error) => {
            tracing::error!(%error, "page template failed");
            let mut response =
                (StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response();
            response
                .headers_mut()
                .insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
            response
        }
    }
}

fn with_page_headers(visitor: &Visitor, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // Pages differ by language and login: no shared cache may hand one visitor's to another.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if visitor.switched {
        i18n::remember(headers, Some(visitor.lang.code()));
    }
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    heading: String,
    advice: String,
    /// What the server said, for a client's mistake (never for a fault of ours).
    detail: Option<String>,
}

/// An error shown as an HTML page that says what to do; the status, `Retry-After` and the
/// logging of faults are those of the JSON error (`AppError`).
pub struct PageError {
    pub visitor: Visitor,
    pub error: AppError,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let text = self.error.to_string();
        let json = self.error.into_response();
        let status = json.status();
        let key = match status.as_u16() {
            404 => "404",
            403 | 401 => "403",
            429 => "429",
            400..=499 => "400",
            _ => "500",
        };
        let t = self.visitor.tr();
        let page = ErrorPage {
            l: Layout::new(&self.visitor, t.get(&format!("error-{key}-title"))),
            heading: t.get(&format!("error-{key}-title")),
            advice: t.get(&format!("error-{key}-body")),
            detail: (status.is_client_error() && key != "404").then_some(text),
        };
        let mut response = render(&self.visitor, status, &page);
        if let Some(retry) = json.headers().get(axum::http::header::RETRY_AFTER) {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry.clone());
        }
        response
    }
}

/// A page, or the error page for what kept it from being shown.
pub fn answer(visitor: Visitor, result: Result<Response, AppError>) -> Response {
    result.unwrap_or_else(|error| PageError { visitor, error }.into_response())
}

/// Any route that does not exist: an HTML page for browsers, the JSON error for the API and
/// every other client.
pub async fn not_found(OriginalUri(uri): OriginalUri, headers: HeaderMap) -> Response {
    if uri.path().starts_with("/api/") || !wants_html(&headers) {
        return AppError::NotFound.into_response();
    }
    PageError {
        visitor: Visitor::of(&uri, &headers),
        error: AppError::NotFound,
    }
    .into_response()
}
