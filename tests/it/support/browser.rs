//! A real browser for page tests: Debian's `chromium`, headless, driven over WebDriver
//! (fantoccini) through its own `chromedriver`.
//!
//! Each [`Browser`] starts its own chromedriver on a port the driver picks (`--port=0`, read
//! back from its first lines), with one session: tests run in parallel without sharing a
//! driver, and a failing test takes only its own browser down (the driver runs in a process
//! group of its own, killed whole when the `Browser` is dropped).
//!
//! Without chromedriver the browser tests say "skipped" and return, unless
//! `COOPERAGE_TEST_BROWSER=required` (as CI sets it): then a missing driver fails them.

use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Once;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use scraper::Html;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::pages::accessibility_problem;
use super::{DEADLINE, TestInstance};

/// `required`: a missing chromedriver fails the browser tests instead of skipping them.
pub const BROWSER_ENV: &str = "COOPERAGE_TEST_BROWSER";
/// The chromedriver to run (default: `chromedriver` on the PATH).
pub const DRIVER_ENV: &str = "COOPERAGE_TEST_CHROMEDRIVER";

/// A headless Chromium session with its own chromedriver.
pub struct Browser {
    client: Client,
    driver: Child,
    /// The test's name, for screenshot files.
    test: String,
    /// Whether pages may run JavaScript in this session.
    pub javascript: bool,
}

/// `GET /session/{id}/se/log` for the `browser` log: chromedriver's endpoint for the console
/// messages it collects when the session asks for them (`goog:loggingPrefs`).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

fn driver_path() -> Option<PathBuf> {
    if let Ok(path) = std::env::var(DRIVER_ENV) {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join("chromedriver"))
        .find(|candidate| candidate.is_file())
}

fn required() -> bool {
    std::env::var(BROWSER_ENV).is_ok_and(|v| v == "required")
}

/// XPath string literal for any text (XPath 1.0 has no escapes: `concat` around quotes).
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    if !text.contains('"') {
        return format!("\"{text}\"");
    }
    let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
    format!("concat({})", parts.join(", \"'\", "))
}

impl Browser {
    /// A browser that runs JavaScript, or `None` (skipped) without chromedriver.
    pub async fn open() -> Option<Browser> {
        Self::start(true).await
    }

    /// A browser with JavaScript switched off (Chrome's content setting), or `None`.
    pub async fn open_without_javascript() -> Option<Browser> {
        Self::start(false).await
    }

    async fn start(javascript: bool) -> Option<Browser> {
        let Some(path) = driver_path() else {
            assert!(
                !required(),
                "{BROWSER_ENV}=required but no chromedriver: install chromium chromium-driver"
            );
            static SKIP_NOTICE: Once = Once::new();
            SKIP_NOTICE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "NOTE: no chromedriver: browser tests skipped: install chromium chromium-driver \
                     (apt-get install chromium chromium-driver)"
                );
            });
            return None;
        };
        let test = std::thread::current()
            .name()
            .unwrap_or("test")
            .replace("::", "-");
        // One browser starts at a time: started all at once on a loaded machine, drivers and
        // browsers took longer than any deadline. Waiting here counts against no deadline.
        static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let _starting = STARTING.lock().await;
        let mut driver = Command::new(&path)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let port = read_port(&mut driver).await;
        let mut prefs = json!({ "intl.accept_languages": "en" });
        if !javascript {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let mut options = json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--lang=en", "--no-first-run",
                     "--disable-background-networking", "--disable-sync"],
            "prefs": prefs,
        });
        if let Ok(binary) = std::env::var("COOPERAGE_TEST_CHROMIUM") {
            options["binary"] = json!(binary);
        }
        let mut capabilities = Capabilities::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::rustls()
            .expect("rustls connector")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a chromium session (is the chromium package installed?)");
        Some(Browser {
            client,
            driver,
            test,
            javascript,
        })
    }

    /// The WebDriver client, for what the kit does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` (absolute, or a path on `instance`).
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Opens `path` on `instance` and checks the page.
    pub async fn visit(&self, instance: &TestInstance, path: &str) {
        self.goto(&format!("{}{path}", instance.base)).await;
        self.check_page().await;
    }

    /// The path (and query) of the current page.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Logs in on `instance`'s login page and waits for the dashboard.
    pub async fn login(&self, instance: &TestInstance, user: &str, password: &str) {
        self.visit(instance, "/login").await;
        self.fill("Username or e-mail", user).await;
        self.fill("Password", password).await;
        self.submit("Log in").await;
        self.wait_for_path("/").await;
        self.check_page().await;
    }

    /// The form control that `<label>` with exactly this text names (so tests also prove the
    /// control is labelled).
    pub async fn control(&self, label: &str) -> Element {
        let xpath = format!("//label[normalize-space(.)={}]", xpath_literal(label));
        let path = self.path().await;
        let label_element = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no label {label:?} on {path}: {e}"));
        let id = label_element
            .attr("for")
            .await
            .expect("label for")
            .unwrap_or_else(|| panic!("label {label:?} names no control (for=)"));
        self.client
            .find(Locator::Id(&id))
            .await
            .unwrap_or_else(|e| panic!("label {label:?} names #{id}, which is missing: {e}"))
    }

    /// Types `value` into the control labelled `label` (after clearing it); a select gets the
    /// option with that text.
    pub async fn fill(&self, label: &str, value: &str) {
        let control = self.control(label).await;
        let tag = control.tag_name().await.expect("tag name");
        if tag == "select" {
            let xpath = format!("./option[normalize-space(.)={}]", xpath_literal(value));
            control
                .find(Locator::XPath(&xpath))
                .await
                .unwrap_or_else(|e| panic!("{label:?} has no option {value:?}: {e}"))
                .click()
                .await
                .expect("choose option");
            return;
        }
        let kind = control
            .attr("type")
            .await
            .expect("type")
            .unwrap_or_default();
        if self.javascript && matches!(kind.as_str(), "date" | "datetime-local" | "time") {
            // Typing into Chrome's date pickers depends on the locale's field order: set the
            // value as the picker would.
            let element = serde_json::to_value(&control).expect("element reference");
            self.client
                .execute(
                    "arguments[0].value = arguments[1]; \
                     arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
                    vec![element, json!(value)],
                )
                .await
                .expect("set date");
            return;
        }
        control.clear().await.expect("clear");
        control.send_keys(value).await.expect("type");
    }

    /// Ticks the checkbox or radio button labelled `label` (unticks a ticked checkbox).
    pub async fn choose(&self, label: &str) {
        self.control(label).await.click().await.expect("click");
    }

    /// Whether the checkbox or radio button labelled `label` is ticked.
    pub async fn is_chosen(&self, label: &str) -> bool {
        self.control(label)
            .await
            .is_selected()
            .await
            .expect("selected")
    }

    /// Presses the button with this text, in whatever form holds it.
    pub async fn submit(&self, button: &str) {
        let xpath = format!(
            "//button[normalize-space(.)={0}] | //input[@type='submit'][@value={0}]",
            xpath_literal(button)
        );
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button {button:?}: {e}"))
            .click()
            .await
            .expect("press button");
    }

    /// Follows the link with exactly this text.
    pub async fn follow(&self, text: &str) {
        self.client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("no link {text:?}: {e}"))
            .click()
            .await
            .expect("follow link");
    }

    /// The visible text of the page's `main`.
    pub async fn main_text(&self) -> String {
        match self.client.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The visible text of the first element matching `css`, if any.
    pub async fn text_of(&self, css: &str) -> Option<String> {
        let element = self.client.find(Locator::Css(css)).await.ok()?;
        element.text().await.ok()
    }

    /// Waits until the page's `main` shows `text`, failing the test after the kit's deadline.
    pub async fn wait_for_text(&self, text: &str) {
        self.wait_until(text, true, false, DEADLINE).await;
    }

    /// Like [`Self::wait_for_text`], reloading the page between looks: for what another
    /// instance or a worker changes in the background. Each page shown is checked.
    pub async fn wait_for_text_reloading(&self, text: &str) {
        self.wait_until(text, true, true, DEADLINE).await;
    }

    /// [`Self::wait_for_text_reloading`] with a deadline of its own (a proposal's close).
    pub async fn wait_for_text_reloading_within(&self, text: &str, deadline: Duration) {
        self.wait_until(text, true, true, deadline).await;
    }

    /// Waits, reloading, until the page's `main` no longer shows `text`.
    pub async fn wait_for_text_gone(&self, text: &str) {
        self.wait_until(text, false, true, DEADLINE).await;
    }

    async fn wait_until(&self, text: &str, shown: bool, reload: bool, deadline: Duration) {
        let start = Instant::now();
        loop {
            if self.main_text().await.contains(text) == shown {
                if reload {
                    self.check_page().await;
                }
                return;
            }
            if start.elapsed() > deadline {
                let path = self.path().await;
                let main = self.main_text().await;
                self.screenshot("timeout").await;
                panic!(
                    "timed out after {deadline:?} waiting for {text:?} ({}) on {path}: {main}",
                    if shown { "to show" } else { "to go" }
                );
            }
            tokio::time::sleep(Duration::from_millis(if reload { 300 } else { 50 })).await;
            if reload {
                self.client.refresh().await.expect("reload");
            }
        }
    }

    /// Waits until the browser is at `path` (after a form's redirect).
    pub async fn wait_for_path(&self, path: &str) {
        let start = Instant::now();
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            if start.elapsed() > DEADLINE {
                let shown = self.main_text().await;
                self.screenshot("timeout").await;
                panic!("timed out waiting for {path}, still at {now}: {shown}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Writes the viewport as `target/screenshots/<test>-<name>.png`; returns the file.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .map(|target| target.join("screenshots"))
            .expect("target directory");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let file = dir.join(format!("{}-{name}.png", self.test));
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&file, png).expect("write screenshot");
        file
    }

    /// The console messages since the last call (`level`, `message`).
    pub async fn console(&self) -> Vec<(String, String)> {
        let log = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("chromedriver's browser log");
        log.as_array()
            .into_iter()
            .flatten()
            .map(|entry| {
                let text = |key: &str| entry[key].as_str().unwrap_or_default().to_owned();
                (text("level"), text("message"))
            })
            .collect()
    }

    /// What every page must be, asserted on the page the browser shows: no console errors
    /// (a CSP violation is one, and so is a stylesheet, script or icon that failed to load),
    /// `html[lang]`, exactly one `h1`, a `main`, every form control labelled, every image
    /// with alt text. The page's own status (a form shown again with 422, an error page) is
    /// the test's to check, not a console error.
    pub async fn check_page(&self) {
        let path = self.path().await;
        let mut page = self.client.current_url().await.expect("current url");
        page.set_fragment(None);
        let own_status = format!("{page} - Failed to load resource");
        let errors: Vec<String> = self
            .console()
            .await
            .into_iter()
            .filter(|(level, message)| level == "SEVERE" && !message.starts_with(&own_status))
            .map(|(_, message)| message)
            .collect();
        assert!(errors.is_empty(), "{path}: console errors: {errors:?}");
        let source = self.client.source().await.expect("page source");
        if let Err(problem) = accessibility_problem(&Html::parse_document(&source)) {
            panic!("{path}: {problem}");
        }
    }

    /// Ends the session and its driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        self.kill_driver();
    }

    fn kill_driver(&mut self) {
        // The driver leads its own process group, with the browser in it: end the group.
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.driver.start_kill();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.kill_driver();
    }
}

/// chromedriver prints "… started successfully on port N." once it listens.
async fn read_port(driver: &mut Child) -> u16 {
    let stdout = driver.stdout.take().expect("driver stdout");
    let mut lines = BufReader::new(stdout).lines();
    // Starting is the machine's business, not the pages': on a loaded machine (tests and
    // compilers in parallel) it takes longer than anything a test waits for.
    let found = tokio::time::timeout(DEADLINE * 3, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.split("on port ").nth(1) {
                let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                if let Ok(port) = port.parse::<u16>()
                    && port != 0
                {
                    return Some(port);
                }
            }
        }
        None
    })
    .await;
    // Keep reading (and dropping) what the driver prints, so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    match found {
        Ok(Some(port)) => port,
        _ => panic!("chromedriver did not say which port it listens on"),
    }
}
