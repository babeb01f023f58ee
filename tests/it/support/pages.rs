//! The page kit over plain HTTP: someone using an instance's pages ([`HttpBrowser`]: a member
//! who logged in through the login page, or a visitor) GETs pages as a browser and POSTs
//! forms as one (same-origin `Origin`, url-encoded); pages are parsed with `scraper`; and the
//! checks every page must pass, as a screen reader and the CSP would meet it
//! ([`check_page`]; the accessibility part, [`accessibility_problem`], is the one the real
//! browser's `check_page` runs too).

use reqwest::header::HeaderMap;
use scraper::{ElementRef, Html, Selector};

use super::TestInstance;

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

/// The page a response carries.
pub async fn page_of(response: reqwest::Response) -> Page {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    Page {
        status,
        headers,
        html: Html::parse_document(&body),
    }
}

/// Someone using the pages of one instance over HTTP: their cookie (a session, or just the
/// language cookie; none: a visitor).
pub struct HttpBrowser<'a> {
    pub instance: &'a TestInstance,
    pub cookie: Option<String>,
    /// `Accept-Language` sent with every request.
    pub language: &'static str,
}

impl<'a> HttpBrowser<'a> {
    /// A member who logged in through the login page.
    pub async fn login(instance: &'a TestInstance, username: &str) -> HttpBrowser<'a> {
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
        HttpBrowser {
            instance,
            cookie: Some(cookie),
            language: "en",
        }
    }

    /// A visitor without a session.
    pub fn anonymous(instance: &'a TestInstance) -> HttpBrowser<'a> {
        HttpBrowser {
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
        self.get_with(path, &[]).await
    }

    /// GETs a page with other headers (they replace the browser's own of the same name).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut replaced = HeaderMap::new();
        for (name, value) in headers {
            replaced.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        let request = client().get(format!("{}{path}", self.instance.base));
        let request = self.with_cookie(request).headers(replaced);
        page_of(request.send().await.unwrap()).await
    }

    /// The ActivityPub document at `url` (absolute: an object's id), as a server asks for it.
    pub async fn activity_json(url: &str) -> (u16, serde_json::Value) {
        let response = client()
            .get(url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let document = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, document)
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

/// What every page must be: `lang` set (to `lang`), one `h1`, landmarks, every form control
/// labelled, every image with alt text, every chart an image with a title, no style
/// attribute or script (the CSP would block them), and the strict CSP itself.
pub fn check_page(path: &str, page: &Page, lang: &str) {
    if let Err(problem) = accessibility_problem(&page.html) {
        panic!("{path}: {problem}");
    }
    assert_eq!(
        page.attr("html", "lang").as_deref(),
        Some(lang),
        "{path}: lang"
    );
    assert!(!page.select("header nav").is_empty(), "{path}: navigation");
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
    // One script of ours exists, on the sign-up page (`/static/join.js`), and no inline one.
    for script in page.select("script") {
        assert_eq!(
            script.value().attr("src"),
            Some("/static/join.js"),
            "{path}: a script"
        );
    }
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

/// The accessibility basics of a page, or what is wrong: `lang`, one `h1`, one `main`,
/// labelled controls (by `for`, `aria-label` or an enclosing label), alt text on images.
pub fn accessibility_problem(html: &Html) -> Result<(), String> {
    let select = |css: &str| -> Vec<ElementRef<'_>> {
        html.select(&Selector::parse(css).expect("selector"))
            .collect()
    };
    let lang = select("html")
        .first()
        .and_then(|h| h.value().attr("lang"))
        .unwrap_or_default()
        .to_owned();
    if lang.is_empty() {
        return Err("html has no lang".into());
    }
    let h1 = select("h1").len();
    if h1 != 1 {
        return Err(format!("{h1} h1 elements, not one"));
    }
    if select("main").len() != 1 {
        return Err("no single main landmark".into());
    }
    for control in select("input:not([type=hidden]):not([type=submit]), select, textarea") {
        let id = control.value().attr("id").unwrap_or_default();
        let by_label = !id.is_empty() && !select(&format!("label[for=\"{id}\"]")).is_empty();
        let by_aria = control.value().attr("aria-label").is_some();
        let wrapped = control
            .ancestors()
            .any(|a| a.value().as_element().is_some_and(|e| e.name() == "label"));
        if !(by_label || by_aria || wrapped) {
            return Err(format!(
                "control {:?} (name {:?}) has no label",
                id,
                control.value().attr("name").unwrap_or_default()
            ));
        }
    }
    if !select("img:not([alt])").is_empty() {
        return Err("an image without alt text".into());
    }
    Ok(())
}
