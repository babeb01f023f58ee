//! A member's flows in a real browser: joining from an invitation, listings found across the
//! network, a network proposal voted on from another coop, the language switch, and the
//! main flows once more with JavaScript off.

use std::time::Duration;

use cooperage_domain::member::Role;
use fantoccini::Locator;

use super::{Network, in_seconds};
use crate::support::{Browser, DEADLINE, TestInstance, wait_for};

const PASSWORD: &str = TestInstance::PASSWORD;

backend_tests! {
    async fn a_new_member_signs_up_from_the_invitation_link_and_logs_in(db) {
        let Some(browser) = Browser::open().await else { return };
        let coop = TestInstance::start(&db).await;
        coop.create_account("ada", Role::Member, true).await;
        let ada = cooperage_app::members::find(coop.app(), "ada").await.unwrap();
        let invitation = cooperage_app::invitations::invite(coop.app(), &ada, Role::Member, false, None)
            .await.unwrap();

        // The link as the admin sends it: the code after '#' lands in the form by itself.
        browser.goto(&invitation.url).await;
        browser.check_page().await;
        let code = browser.control("Invitation link or code").await.prop("value").await.unwrap();
        assert_eq!(code.as_deref(), Some(invitation.secret.as_str()));
        assert!(!browser.client().current_url().await.unwrap().as_str().contains('#'),
            "the code leaves the address bar");
        browser.screenshot("join").await;
        browser.fill("Username", "bea").await;
        browser.fill("Display name (optional)", "Bea Beispiel").await;
        browser.fill("Password", PASSWORD).await;
        browser.submit("Join").await;
        browser.wait_for_path("/").await;
        browser.wait_for_text("Welcome, Bea Beispiel").await;
        browser.check_page().await;

        // Out, and in again with the new password.
        browser.submit("Log out").await;
        browser.wait_for_path("/login").await;
        browser.login(&coop, "bea", PASSWORD).await;
        browser.wait_for_text("Welcome, Bea Beispiel").await;
        let bea = cooperage_app::members::find(coop.app(), "bea").await.unwrap();
        assert_eq!(bea.role, Role::Member);

        // The link works once: a second sign-up says why not, on the form.
        browser.submit("Log out").await;
        browser.wait_for_path("/login").await;
        browser.goto(&invitation.url).await;
        browser.fill("Username", "cleo").await;
        browser.fill("Password", PASSWORD).await;
        browser.submit("Join").await;
        browser.wait_for_text("was already used").await;
        browser.check_page().await;
        assert!(cooperage_app::members::find(coop.app(), "cleo").await.is_err());
        browser.close().await;
        coop.stop().await;
    }

    async fn a_listing_published_on_one_coop_is_found_in_the_other_coops_directory(db) {
        let Some(browser) = Browser::open().await else { return };
        let net = Network::start(&db).await;
        let (a, b) = (&net.a, &net.b);

        // Bea publishes two listings on B from her pages.
        browser.login(b, "bea", PASSWORD).await;
        for (skill, region, hours) in [("PostgreSQL replication", "Leipzig", "12"), ("PostgreSQL tuning", "Leipzig", "6")] {
            browser.follow("My listings").await;
            browser.check_page().await;
            browser.follow("Publish a skill listing").await;
            browser.check_page().await;
            browser.fill("Skill", skill).await;
            browser.fill("More tags (optional)", "Backups").await;
            browser.fill("Level", "expert").await;
            browser.fill("Hours per week", hours).await;
            browser.fill("Region", region).await;
            browser.choose("my coop's network").await;
            browser.submit("Save listing").await;
            browser.wait_for_path("/listings").await;
            browser.wait_for_text(skill).await;
        }
        browser.screenshot("my-listings").await;
        // A mistake comes back on the form, with what was entered.
        browser.visit(b, "/listings/new").await;
        browser.fill("Skill", "Töpfern").await;
        browser.fill("More tags (optional)", "Glasur, ---").await;
        browser.fill("Hours per week", "4").await;
        browser.submit("Save listing").await;
        browser.wait_for_text("must contain a letter or digit").await;
        browser.check_page().await;
        assert_eq!(browser.control("Skill").await.prop("value").await.unwrap().as_deref(), Some("Töpfern"));
        browser.submit("Log out").await;
        browser.wait_for_path("/login").await;

        // Ana searches A's directory: the results arrive from B over federation.
        browser.login(a, "ana", PASSWORD).await;
        browser.follow("Directory").await;
        browser.check_page().await;
        browser.fill("Search skills", "replication").await;
        browser.fill("City or region", "Leipzig").await;
        browser.fill("At least level", "practitioner").await;
        browser.submit("Search").await;
        browser.wait_for_text_reloading("PostgreSQL replication").await;
        let main = browser.main_text().await;
        assert!(main.contains(&format!("bea@{}", b.domain)), "{main}");
        assert!(main.contains("Coop sued"), "{main}");
        assert!(!main.contains("PostgreSQL tuning"), "{main}");
        // The search is a link: its query is in the address.
        let searched = browser.path().await;
        assert!(searched.starts_with("/directory?") && searched.contains("q=replication"), "{searched}");
        browser.screenshot("directory").await;

        // A page at a time: both listings, one per page.
        browser.visit(a, "/directory?q=postgresql&limit=1").await;
        browser.wait_for_text_reloading("2 listings found").await;
        let first = browser.text_of("#hits li strong").await.unwrap();
        browser.follow("Next page").await;
        browser.check_page().await;
        let second = browser.text_of("#hits li strong").await.unwrap();
        assert_ne!(first, second);
        assert!(browser.client().find(Locator::LinkText("Next page")).await.is_err());
        browser.follow("Previous page").await;
        assert_eq!(browser.text_of("#hits li strong").await.unwrap(), first);
        browser.submit("Log out").await;
        browser.wait_for_path("/login").await;

        // Bea narrows one to her coop: it leaves A's directory.
        browser.login(b, "bea", PASSWORD).await;
        browser.follow("My listings").await;
        browser.follow("PostgreSQL replication").await;
        browser.check_page().await;
        browser.choose("only my coop").await;
        browser.submit("Save listing").await;
        browser.wait_for_text("Visible to: only my coop").await;
        // And deletes the other.
        browser.follow("PostgreSQL tuning").await;
        browser.submit("Delete this listing").await;
        browser.wait_for_path("/listings").await;
        assert!(!browser.main_text().await.contains("PostgreSQL tuning"));
        browser.submit("Log out").await;
        browser.wait_for_path("/login").await;
        browser.login(a, "ana", PASSWORD).await;
        browser.visit(a, "/directory?q=postgresql").await;
        browser.wait_for_text_gone("PostgreSQL").await;
        browser.close().await;
        net.stop().await;
    }
}

/// Ana opens a network proposal on A that closes in a few seconds; Bea, a member of B,
/// votes on it (and changes her vote) from B's pages; both see the outcome after the close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_proposal_is_voted_on_from_another_coop_and_both_see_the_outcome() {
    let Some(at_a) = Browser::open().await else {
        return;
    };
    let Some(at_b) = Browser::open().await else {
        return;
    };
    let db = crate::support::TestDb::sqlite();
    let net = Network::start(&db).await;
    let (a, b) = (&net.a, &net.b);
    // Enough time for Bea to vote from B through federation, on a busy machine.
    let closes_in = 30;

    at_a.login(a, "ana", PASSWORD).await;
    at_a.follow("Proposals").await;
    at_a.check_page().await;
    at_a.follow("Open a proposal").await;
    at_a.check_page().await;
    at_a.fill("Title", "Move the server to Leipzig").await;
    at_a.fill("What is proposed", "Our **hosting** contract ends.")
        .await;
    at_a.fill("Options", "Yes\nNo").await;
    at_a.fill("Closes at (UTC)", &in_seconds(closes_in)).await;
    at_a.choose("the whole network").await;
    at_a.screenshot("new-proposal").await;
    at_a.submit("Open the proposal").await;
    at_a.wait_for_text("Hosted by").await;
    at_a.check_page().await;
    let opened = std::time::Instant::now();
    let proposal_path = at_a.path().await;
    assert!(at_a.main_text().await.contains("Coop nord"));
    at_a.choose("Yes").await;
    at_a.submit("Vote").await;
    at_a.wait_for_text("You voted: Yes. It counts.").await;

    // Bea, at home on B, finds it waiting for her vote.
    at_b.login(b, "bea", PASSWORD).await;
    at_b.follow("Proposals").await;
    at_b.wait_for_text_reloading("Move the server to Leipzig")
        .await;
    assert!(at_b.main_text().await.contains("waiting for your vote"));
    at_b.follow("Move the server to Leipzig").await;
    at_b.check_page().await;
    let main = at_b.main_text().await;
    assert!(main.contains("Hosted by Coop nord"), "{main}");
    assert!(main.contains("hosting contract"), "{main}");
    at_b.choose("No").await;
    at_b.submit("Vote").await;
    at_b.wait_for_text("You voted: No. It was sent to nord")
        .await;
    at_b.check_page().await;
    // She changes her mind.
    assert!(at_b.is_chosen("No").await);
    at_b.choose("Yes").await;
    at_b.submit("Change my vote").await;
    at_b.wait_for_text("You voted: Yes.").await;
    at_b.fill("Your comment", "Leipzig is *closer* for us.")
        .await;
    at_b.submit("Comment").await;
    at_b.wait_for_text("Leipzig is closer for us.").await;
    at_b.check_page().await;
    at_b.screenshot("proposal-voted").await;

    // On A both votes count, Bea's as a member of B (the coop attests her).
    at_a.wait_for_text_reloading("2 voters").await;
    assert!(
        opened.elapsed() < Duration::from_secs(closes_in as u64),
        "voting took past the close"
    );
    let tally = at_a.text_of("table").await.unwrap();
    assert!(tally.contains("Yes 2") && tally.contains("No 0"), "{tally}");

    // After the close, the outcome on both.
    let close = Duration::from_secs(closes_in as u64) + DEADLINE;
    at_a.wait_for_text_reloading_within("Outcome: Decided: Yes", close)
        .await;
    at_a.screenshot("proposal-outcome").await;
    assert!(
        at_a.main_text()
            .await
            .contains("You cannot vote here: the proposal is closed.")
    );
    at_b.wait_for_text_reloading_within("Outcome: Decided: Yes", close)
        .await;
    // The comment reached the host.
    at_a.visit(a, &proposal_path).await;
    wait_for("the comment on A", DEADLINE, || async {
        at_a.client().refresh().await.unwrap();
        at_a.main_text()
            .await
            .contains("Leipzig is closer for us.")
            .then_some(())
    })
    .await;
    at_a.check_page().await;
    at_a.close().await;
    at_b.close().await;
    net.stop().await;
}

/// The language switch turns the member pages German, and the choice sticks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_switches_the_pages_to_german() {
    let Some(browser) = Browser::open().await else {
        return;
    };
    let db = crate::support::TestDb::sqlite();
    let coop = TestInstance::start(&db).await;
    coop.create_account("ada", Role::Member, false).await;
    browser.login(&coop, "ada", PASSWORD).await;
    browser.follow("Deutsch").await;
    browser.wait_for_text("Willkommen, ada").await;
    browser.check_page().await;
    let lang = browser
        .client()
        .find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("lang")
        .await
        .unwrap();
    assert_eq!(lang.as_deref(), Some("de"));
    // Kept by the cookie on the next pages.
    browser.follow("Abstimmungen").await;
    browser.wait_for_text("Eine Abstimmung eröffnen").await;
    browser.check_page().await;
    browser.follow("Eine Abstimmung eröffnen").await;
    browser.check_page().await;
    browser.control("Endet am (UTC)").await;
    browser.follow("Verzeichnis").await;
    browser.fill("Fähigkeiten suchen", "rust").await;
    browser.submit("Suchen").await;
    browser.wait_for_text("Nichts gefunden").await;
    browser.check_page().await;
    browser.screenshot("directory-de").await;
    browser.follow("English").await;
    browser.wait_for_text("Search skills").await;
    browser.check_page().await;
    browser.close().await;
    coop.stop().await;
}

/// With JavaScript off: logging in, publishing a listing and voting all work, and the
/// invitation code has to be pasted (the script that copies it did not run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_flows_work_without_javascript() {
    let Some(browser) = Browser::open_without_javascript().await else {
        return;
    };
    let db = crate::support::TestDb::sqlite();
    let coop = TestInstance::start(&db).await;
    coop.create_account("ada", Role::Member, true).await;
    let ada = cooperage_app::members::find(coop.app(), "ada")
        .await
        .unwrap();
    let invitation =
        cooperage_app::invitations::invite(coop.app(), &ada, Role::Member, false, None)
            .await
            .unwrap();
    browser.goto(&invitation.url).await;
    browser.check_page().await;
    let code = browser
        .control("Invitation link or code")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        code.as_deref(),
        Some(""),
        "JavaScript is off: nothing filled the code in"
    );
    // Pasting the whole link works.
    browser
        .fill("Invitation link or code", &invitation.url)
        .await;
    browser.fill("Username", "bea").await;
    browser.fill("Password", PASSWORD).await;
    browser.submit("Join").await;
    browser.wait_for_text("Welcome, bea").await;
    browser.submit("Log out").await;
    browser.wait_for_path("/login").await;

    browser.login(&coop, "ada", PASSWORD).await;
    browser.visit(&coop, "/listings/new").await;
    browser.fill("Skill", "Bookkeeping").await;
    browser.fill("Hours per week", "8").await;
    browser.choose("everyone (public, Mastodon too)").await;
    browser.submit("Save listing").await;
    browser.wait_for_path("/listings").await;
    browser.wait_for_text("Visible to: everyone").await;
    browser.check_page().await;

    let proposal = cooperage_app::proposals::create(
        coop.app(),
        &ada,
        cooperage_app::proposals::ProposalInput {
            title: "Buy a new printer".into(),
            kind: "consent".into(),
            scope: "coop".into(),
            closes_at: (chrono::Utc::now() + chrono::TimeDelta::days(1)).to_rfc3339(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    browser.visit(&coop, "/proposals").await;
    browser.follow("Buy a new printer").await;
    browser.check_page().await;
    browser.choose("agree").await;
    browser.submit("Vote").await;
    browser.wait_for_text("You voted: agree. It counts.").await;
    browser.check_page().await;
    browser.screenshot("proposal-without-javascript").await;
    let view = cooperage_app::proposals::show(coop.app(), &ada, proposal.proposal.id)
        .await
        .unwrap();
    assert_eq!(view.my_vote, ["agree"]);
    browser.close().await;
    coop.stop().await;
}

/// The dashboard: proposals waiting for my vote (gone once I voted), projects I am in, and
/// for an admin the candidates whose trial ends soon.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_what_waits_for_me() {
    let Some(browser) = Browser::open().await else {
        return;
    };
    let db = crate::support::TestDb::sqlite();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = TestInstance::config(&db, listener.local_addr().unwrap().port());
    config.members.trial_days = 10;
    let coop = TestInstance::start_with(config, listener).await;
    coop.create_account("ada", Role::Member, true).await;
    coop.create_account("cleo", Role::Candidate, false).await;
    let ada = cooperage_app::members::find(coop.app(), "ada")
        .await
        .unwrap();
    cooperage_app::proposals::create(
        coop.app(),
        &ada,
        cooperage_app::proposals::ProposalInput {
            title: "Four-day week".into(),
            kind: "consent".into(),
            scope: "coop".into(),
            closes_at: (chrono::Utc::now() + chrono::TimeDelta::days(2)).to_rfc3339(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    cooperage_app::projects::create(
        coop.app(),
        &ada,
        cooperage_app::projects::ProjectInput {
            name: "Kassenbuch".into(),
            status: "active".into(),
            currency: "EUR".into(),
            budget: "1000".into(),
            hourly_rate: "50".into(),
            planned_hours: "20".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    browser.login(&coop, "ada", PASSWORD).await;
    let section = |id: &'static str| {
        let browser = &browser;
        async move {
            browser
                .text_of(&format!("section:has(#{id})"))
                .await
                .unwrap_or_default()
        }
    };
    assert!(section("waiting").await.contains("Four-day week"));
    assert!(section("projects").await.contains("Kassenbuch · active"));
    let trials = section("trials").await;
    assert!(
        trials.contains("cleo") && trials.contains("trial ends"),
        "{trials}"
    );
    browser.screenshot("dashboard").await;
    browser.follow("Four-day week").await;
    browser.choose("agree").await;
    browser.submit("Vote").await;
    browser.wait_for_text("You voted: agree.").await;
    browser.follow("Home").await;
    browser
        .wait_for_text("No proposal is waiting for your vote.")
        .await;
    browser.check_page().await;
    // A member who is not an admin sees no trials.
    browser.submit("Log out").await;
    browser.wait_for_path("/login").await;
    browser.login(&coop, "cleo", PASSWORD).await;
    assert!(section("trials").await.is_empty());
    // A candidate does not vote: nothing waits for her.
    assert!(section("waiting").await.contains("No proposal is waiting"));
    browser.close().await;
    coop.stop().await;
}
