//! The coop's work in a real browser: a ledger entry moves the cockpit's figure and bar, an
//! offer published on one coop is applied to from another and accepted, and an admin follows
//! a coop by handle (two real instances where it crosses coops). Screenshots of the projects,
//! cockpit, offers and admin pages land in `target/screenshots/`.

use cooperage_domain::member::Role;
use fantoccini::Locator;

use super::Network;
use crate::support::{Browser, DEADLINE, TestDb, TestInstance, wait_for};

const PASSWORD: &str = TestInstance::PASSWORD;

/// The width of a project's "spent" bar in the cockpit's chart, as the browser has it.
async fn spent_bar(browser: &Browser, project: &str) -> String {
    let css = format!("svg g[data-project=\"{project}\"] rect.spent");
    let bar = browser
        .client()
        .find(Locator::Css(&css))
        .await
        .unwrap_or_else(|e| panic!("no bar for project {project}: {e}"));
    bar.attr("width").await.unwrap().unwrap_or_default()
}

/// Ada starts a project, records an expense on its page, and the cockpit shows it: the
/// figure in the table and the length of the SVG bar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_entry_entered_on_the_project_page_moves_the_cockpit() {
    let Some(browser) = Browser::open().await else {
        return;
    };
    let db = TestDb::sqlite();
    let coop = TestInstance::start(&db).await;
    coop.create_account("ada", Role::Member, false).await;
    browser.login(&coop, "ada", PASSWORD).await;

    browser.follow("Projects").await;
    browser.check_page().await;
    browser.fill("Name", "Kassenbuch").await;
    browser.fill("Client", "Bäckerei Sommer").await;
    browser.fill("Budget", "1,000").await;
    browser.fill("Hourly rate", "50").await;
    browser.submit("Start the project").await;
    browser.wait_for_text("Record income or an expense").await;
    browser.check_page().await;
    let page = browser.path().await;
    let id = page.strip_prefix("/projects/").expect("the project's page");

    browser.follow("Cockpit").await;
    browser.check_page().await;
    let spent = format!("#cockpit tr[data-project=\"{id}\"] td.spent");
    assert_eq!(browser.text_of(&spent).await.as_deref(), Some("€0.00"));
    assert_eq!(spent_bar(&browser, id).await, "0");

    browser.visit(&coop, &page).await;
    browser.fill("Kind", "expense").await;
    browser.fill("Amount", "250.50").await;
    browser.fill("Date", "2026-12-01").await;
    browser.fill("Category", "Material").await;
    browser.fill("Description", "Kassenrollen").await;
    browser.submit("Record").await;
    browser.wait_for_text("Kassenrollen").await;
    browser.check_page().await;
    assert!(browser.main_text().await.contains("December 1, 2026"));
    browser.screenshot("project").await;

    browser.follow("Cockpit").await;
    browser.check_page().await;
    assert_eq!(browser.text_of(&spent).await.as_deref(), Some("€250.50"));
    // 250.50 of 1,000 on a budget bar 400 long.
    assert_eq!(spent_bar(&browser, id).await, "100");
    browser.screenshot("cockpit").await;
    browser.follow("Projects").await;
    browser.check_page().await;
    browser.screenshot("projects").await;
    browser.close().await;
    coop.stop().await;
}

/// Ana publishes an offer of her project on nord; Bea, at home on sued, finds it on her offer
/// page and applies; Ana accepts on the review page, and Bea's page says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_published_on_one_coop_is_applied_to_from_another_and_accepted() {
    let Some(at_a) = Browser::open().await else {
        return;
    };
    let Some(at_b) = Browser::open().await else {
        return;
    };
    let db = TestDb::sqlite();
    let net = Network::start(&db).await;
    let (a, b) = (&net.a, &net.b);

    at_a.login(a, "ana", PASSWORD).await;
    at_a.follow("Projects").await;
    at_a.fill("Name", "Kassensystem").await;
    at_a.fill("Budget", "20000").await;
    at_a.submit("Start the project").await;
    at_a.wait_for_text("Record income or an expense").await;
    let project = at_a.path().await;
    at_a.follow("Publish an offer for this project").await;
    at_a.check_page().await;
    at_a.fill("Title", "Rust-Entwicklung").await;
    at_a.fill("Description", "Ein Kassensystem für die Bäckerei.")
        .await;
    at_a.fill("Skills wanted", "Rust, PostgreSQL").await;
    at_a.fill("Estimated hours", "40").await;
    at_a.fill("Compensation", "hourly").await;
    at_a.fill("Amount", "55").await;
    at_a.fill("Who sees it", "the coops of our network").await;
    at_a.submit("Publish the offer").await;
    at_a.wait_for_text("Ein Kassensystem").await;
    at_a.check_page().await;
    assert!(at_a.main_text().await.contains("€55.00 an hour"));
    at_a.screenshot("offer").await;

    // On sued: the offer in the network; Bea applies from home.
    at_b.login(b, "bea", PASSWORD).await;
    at_b.follow("Offers").await;
    at_b.wait_for_text_reloading("Rust-Entwicklung").await;
    at_b.screenshot("offers").await;
    at_b.follow("Rust-Entwicklung").await;
    at_b.check_page().await;
    at_b.fill("Message", "Gern! Ich kenne Kassen.").await;
    at_b.fill("Hours I can give", "20").await;
    at_b.submit("Send my application").await;
    at_b.wait_for_text("waiting for an answer").await;
    at_b.check_page().await;
    let offer_on_b = at_b.path().await;

    // On nord: the review page shows it; Ana accepts.
    at_a.visit(a, &format!("{project}/applications")).await;
    at_a.wait_for_text_reloading("Gern! Ich kenne Kassen.")
        .await;
    assert!(
        at_a.main_text()
            .await
            .contains(&format!("@bea@{}", b.domain))
    );
    at_a.screenshot("applications").await;
    at_a.submit("Accept").await;
    at_a.wait_for_text("accepted").await;
    at_a.check_page().await;

    // Bea sees the answer at home.
    at_b.visit(b, &offer_on_b).await;
    wait_for("the acceptance on sued", DEADLINE, || async {
        at_b.client().refresh().await.unwrap();
        let status = at_b.text_of("#application-status").await;
        (status.as_deref() == Some("accepted")).then_some(())
    })
    .await;
    at_b.check_page().await;
    at_a.close().await;
    at_b.close().await;
    net.stop().await;
}

/// Two coops that do not know each other: each admin follows the other by handle on the
/// federation page, and each network page then lists the other coop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_follows_a_coop_by_handle_and_the_network_page_shows_it() {
    let Some(at_a) = Browser::open().await else {
        return;
    };
    let Some(at_b) = Browser::open().await else {
        return;
    };
    let db = TestDb::sqlite();
    let a = TestInstance::start_named(&db, "nord").await;
    let db_b = db.sibling();
    let b = TestInstance::start_named(&db_b, "sued").await;
    a.create_account("root", Role::Member, true).await;
    b.create_account("boss", Role::Member, true).await;

    at_a.login(&a, "root", PASSWORD).await;
    at_a.follow("Admin").await;
    at_a.check_page().await;
    at_a.screenshot("admin").await;
    at_a.visit(&a, "/admin/members").await;
    at_a.screenshot("admin-members").await;
    at_a.visit(&a, "/admin/federation").await;
    assert_eq!(at_a.text_of("#network-list li").await, None);
    at_a.fill("Follow a coop (handle or address)", &b.coop_handle())
        .await;
    at_a.submit("Follow").await;
    at_a.wait_for_text("Follow request sent to").await;
    at_a.check_page().await;

    at_b.login(&b, "boss", PASSWORD).await;
    at_b.visit(&b, "/admin/federation").await;
    at_b.fill("Follow a coop (handle or address)", &a.coop_handle())
        .await;
    at_b.submit("Follow").await;
    at_b.wait_for_text("Follow request sent to").await;

    for (browser, instance, other) in [(&at_a, &a, &b), (&at_b, &b, &a)] {
        browser.visit(instance, "/admin/federation").await;
        let handle = other.coop_handle();
        wait_for("the other coop on the network page", DEADLINE, || async {
            browser.client().refresh().await.unwrap();
            let network = browser.text_of("#network-list").await.unwrap_or_default();
            network.contains(&handle).then_some(())
        })
        .await;
        browser.check_page().await;
    }
    at_a.screenshot("admin-federation").await;
    at_a.close().await;
    at_b.close().await;
    a.stop().await;
    b.stop().await;
}
