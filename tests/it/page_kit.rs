//! What the HTTP-level page tests share: a member who logs in through the login page, GETs
//! pages as a browser and POSTs forms as one (same-origin `Origin`, url-encoded), and the
//! checks every page must pass (as a screen reader and the CSP would meet it).

use reqwest::header::HeaderMap;
use scraper::{ElementRef, Html, Selector};

use crate::support::TestInstance;

pub const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A page as a browser got it.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub html: Html,
}

impl Page {
    /// Elements matching `css`.
    pub fn select(&self, css: &str) -> Vec<ElementRef<'_>> {
        self.html.select(&Selector::parse(css).unwrap()).collect()
    }

    /// The trimmed text of the first element matching `css` (empty when none).
    pub fn text(&self, css: &str) -> String {
        self.select(css)
            .first()
            .map(|e| text_of(e))
            .unwrap_or_default()
    }

    /// The texts of every element matching `css`.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.select(css).iter().map(text_of).collect()
    }

    /// An attribute of the first element matching `css`.
    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.select(css)
            .first()
            .and_then(|e| e.value().attr(name))
            .map(str::to_owned)
    }

    /// Where a redirect goes.
    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// The whole visible text of `<main>`, whitespace folded.
    pub fn main_text(&self) -> String {
        self.text("main")
            .split_ascii_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn text_of(element: &ElementRef<'_>) -> String {
    element
        .text()
        .collect::<String>()
        .split_ascii_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A form's fields as a browser sends them (`application/x-www-form-urlencoded`).
pub fn encode(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

/// A client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn page_of(response: reqwest::Response) -> Page {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    Page {
        status,
        headers,
        html: Html::parse_document(&body),
    }
}

/// Someone using the pages of one instance: their session cookie (none: a visitor).
pub struct Browser<'a> {
    pub instance: &'a TestInstance,
    pub cookie: Option<String>,
    /// `Accept-Language` sent with every request.
    pub language: &'static str,
}

impl<'a> Browser<'a> {
    /// A member who logged in through the login page.
    pub async fn login(instance: &'a TestInstance, username: &str) -> Browser<'a> {
        let response = client()
            .post(format!("{}/login", instance.base))
            .header("origin", &instance.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&[
                ("login", username),
                ("password", TestInstance::PASSWORD),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "logging in as {username}");
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        Browser {
            instance,
            cookie: Some(cookie),
            language: "en",
        }
    }

    /// A visitor without a session.
    pub fn anonymous(instance: &'a TestInstance) -> Browser<'a> {
        Browser {
            instance,
            cookie: None,
            language: "en",
        }
    }

    fn with_cookie(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let request = request
            .header("accept", BROWSER)
            .header("accept-language", self.language);
        match &self.cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        }
    }

    /// GETs a page.
    pub async fn get(&self, path: &str) -> Page {
        let request = client().get(format!("{}{path}", self.instance.base));
        page_of(self.with_cookie(request).send().await.unwrap()).await
    }

    /// POSTs a form from one of the instance's own pages.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.post_from(path, form, &self.instance.base).await
    }

    /// POSTs a form as if from a page of `origin`.
    pub async fn post_from(&self, path: &str, form: &[(&str, &str)], origin: &str) -> Page {
        let request = client()
            .post(format!("{}{path}", self.instance.base))
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(form));
        page_of(self.with_cookie(request).send().await.unwrap()).await
    }

    /// GETs a page that must answer 200 and pass [`check_page`] in `lang`.
    pub async fn open(&self, path: &str, lang: &str) -> Page {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.main_text());
        check_page(path, &page, lang);
        page
    }
}

/// What every page must be: `lang` set, one `h1`, landmarks, every form control labelled,
/// every image with alt text, every chart an image with a title, and the strict CSP.
pub fn check_page(path: &str, page: &Page, lang: &str) {
    assert_eq!(
        page.attr("html", "lang").as_deref(),
        Some(lang),
        "{path}: lang"
    );
    assert_eq!(page.select("h1").len(), 1, "{path}: one h1");
    assert_eq!(page.select("main").len(), 1, "{path}: a main landmark");
    assert!(!page.select("header nav").is_empty(), "{path}: navigation");
    for control in page.select("input:not([type=hidden]), select, textarea") {
        let id = control.value().attr("id").unwrap_or_default();
        let labelled = control.value().attr("aria-label").is_some()
            || (!id.is_empty() && !page.select(&format!("label[for=\"{id}\"]")).is_empty());
        assert!(labelled, "{path}: control {id:?} has no label");
    }
    for image in page.select("img") {
        assert!(
            image.value().attr("alt").is_some(),
            "{path}: image without alt"
        );
    }
    for svg in page.select("svg") {
        assert_eq!(svg.value().attr("role"), Some("img"), "{path}: svg role");
        let title = svg
            .select(&Selector::parse("title").unwrap())
            .next()
            .map(|t| t.text().collect::<String>());
        assert!(
            title.is_some_and(|t| !t.trim().is_empty()),
            "{path}: svg title"
        );
    }
    let styled: Vec<_> = page.select("[style]").iter().map(|e| e.html()).collect();
    assert!(
        styled.is_empty(),
        "{path}: style attributes (the CSP blocks them): {styled:?}"
    );
    assert!(page.select("script").is_empty(), "{path}: no script");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}
