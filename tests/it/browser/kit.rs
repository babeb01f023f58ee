//! The browser kit checks what it claims to check: a console error, a page without `lang`,
//! an unlabelled control each fail `check_page`.

use scraper::Html;

use crate::support::pages::accessibility_problem;
use crate::support::{Browser, TestDb, TestInstance};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_page_fails_on_a_console_error() {
    let Some(browser) = Browser::open().await else {
        return;
    };
    let db = TestDb::sqlite();
    let coop = TestInstance::start(&db).await;
    browser.visit(&coop, "/login").await;
    browser
        .client()
        .execute("console.error('injected by the kit check')", vec![])
        .await
        .expect("script");
    let log = browser.console().await;
    assert!(
        log.iter()
            .any(|(level, m)| level == "SEVERE" && m.contains("injected by the kit check")),
        "{log:?}"
    );
    // Read once: the next page starts clean, and passes.
    browser.visit(&coop, "/login").await;
    browser.screenshot("login").await;
    browser.close().await;
    coop.stop().await;
}

#[test]
fn the_accessibility_check_finds_what_is_missing() {
    let page = |body: &str| {
        Html::parse_document(&format!(
            "<html lang=en><body><main>{body}</main></body></html>"
        ))
    };
    assert!(accessibility_problem(&page("<h1>a</h1>")).is_ok());
    assert!(accessibility_problem(&page("<h1>a</h1><h1>b</h1>")).is_err());
    assert!(accessibility_problem(&page("<p>no heading</p>")).is_err());
    assert!(accessibility_problem(&page("<h1>a</h1><input id=x>")).is_err());
    assert!(accessibility_problem(&page("<h1>a</h1><label for=x>X</label><input id=x>")).is_ok());
    assert!(accessibility_problem(&page("<h1>a</h1><img src=a.png>")).is_err());
    assert!(
        accessibility_problem(&Html::parse_document(
            "<html><body><main><h1>a</h1></main></body></html>"
        ))
        .is_err()
    );
}
