//! The offer pages across two real instances: a project's member publishes an offer on A
//! through the form, a member of B finds it on B's offer list (with the hint that it fits
//! her skills), applies from B's page, and A's project sees the application on its review
//! page and accepts it; B's page then says so.

use cooperage_domain::member::Role;
use reqwest::Method;
use serde_json::json;

use crate::support::pages::{HttpBrowser, check_page};
use crate::support::{DEADLINE, TestInstance, call, link, wait_for};

backend_tests! {
    async fn an_offer_published_on_a_page_is_applied_to_from_another_coops_page(db) {
        let a = TestInstance::start_named(&db, "nord").await;
        // Kept for the whole test: a dropped TestDb drops its database.
        let db_b = db.sibling();
        let b = TestInstance::start_named(&db_b, "sued").await;
        link(&[(&a, &b)]).await;
        a.create_account("ana", Role::Member, false).await;
        b.create_account("bea", Role::Member, false).await;
        let bea_cookie = b.login_cookie("bea").await;
        let listing = json!({ "skill": "Rust", "level": "expert", "hours_per_week": 20, "visibility": "network" });
        let (status, body) = call(&b, &bea_cookie, Method::POST, "/api/v1/skills", Some(listing)).await;
        assert_eq!(status, 201, "{body}");

        // On A: a project, and its offer through the form.
        let ana = HttpBrowser::login(&a, "ana").await;
        let started = ana.post("/projects", &[("name", "Kassenbuch"), ("status", "active"),
            ("currency", "EUR"), ("budget", "20000")]).await;
        assert_eq!(started.status, 303, "{}", started.main_text());
        let project = started.location().strip_prefix("/projects/").unwrap().to_owned();
        let form = ana.open(&format!("/projects/{project}/offers/new"), "en").await;
        assert_eq!(form.attr("#currency", "value").as_deref(), Some("EUR"));
        let wrong = ana.post(&format!("/projects/{project}/offers"), &[("title", "Rust-Entwicklung"),
            ("skills", ""), ("estimated_hours", "40"), ("compensation", "to_be_discussed"),
            ("audience", "network")]).await;
        assert_eq!(wrong.status, 422);
        check_page("the offer form again", &wrong, "en");
        assert!(wrong.text("[role=alert]").starts_with("Please check Skills wanted:"), "{}", wrong.text("[role=alert]"));
        assert_eq!(wrong.attr("#title", "value").as_deref(), Some("Rust-Entwicklung"));
        let published = ana.post(&format!("/projects/{project}/offers"), &[
            ("title", "Rust-Entwicklung"), ("description", "Ein Kassensystem <script>x</script>"),
            ("skills", "Rust, PostgreSQL"), ("positions", "1"), ("estimated_hours", "40"),
            ("compensation", "hourly"), ("amount", "55.00"), ("currency", "EUR"),
            ("location", "Hamburg"), ("remote", "yes"), ("application_deadline", "2099-12-31"),
            ("audience", "network"),
        ]).await;
        assert_eq!(published.status, 303, "{}", published.main_text());
        let ours = published.location();
        let details = ana.open(&ours, "en").await;
        assert_eq!(details.text("h1"), "Rust-Entwicklung");
        assert_eq!(details.text("#offer-status"), "open");
        assert!(details.main_text().contains("€55.00 an hour"), "{}", details.main_text());
        assert!(details.select("form[action$=\"/apply\"]").is_empty(), "no applying to our own offer");
        assert_eq!(details.select("form[action$=\"/close\"]").len(), 1);
        let list = ana.open("/offers", "en").await;
        assert_eq!(list.texts("#our-offers ~ ul li > a"), ["Rust-Entwicklung"]);

        // On B: the offer in the network, fitting bea's listing.
        let bea = HttpBrowser::login(&b, "bea").await;
        let list = wait_for("the offer on B's offer page", DEADLINE, || async {
            let list = bea.get("/offers").await;
            (!list.select("#network-offers ~ ul li").is_empty()).then_some(list)
        }).await;
        check_page("/offers on B", &list, "en");
        assert_eq!(list.texts("#network-offers ~ ul li > a"), ["Rust-Entwicklung"]);
        assert_eq!(list.text("#network-offers ~ ul li .fits"), "Fits: bea (Rust)");
        assert!(list.text("#network-offers ~ ul li").contains(&format!("@nord@{}", a.domain)));
        let filtered = bea.open("/offers?skill=Keramik", "en").await;
        assert!(filtered.select("#network-offers ~ ul li").is_empty());
        let href = list.attr("#network-offers ~ ul li > a", "href").unwrap();
        let details = bea.open(&href, "en").await;
        assert!(details.main_text().contains("Ein Kassensystem <script>x</script>"));
        assert!(details.select("form[action$=\"/close\"]").is_empty(), "not B's to close");

        // Applying from B's page.
        let offer = href.strip_suffix("/details").unwrap().to_owned();
        let wrong = bea.post(&format!("{offer}/apply"), &[("message", "Gern!"), ("hours_available", "viele")]).await;
        assert_eq!(wrong.status, 422);
        assert_eq!(wrong.text("#message"), "Gern!");
        let applied = bea.post(&format!("{offer}/apply"), &[("message", "Gern! Ich kenne Kassen."), ("hours_available", "20")]).await;
        assert_eq!((applied.status, applied.location()), (303, href.clone()), "{}", applied.main_text());
        let details = bea.open(&href, "en").await;
        assert_eq!(details.text("#application-status"), "waiting for an answer");
        assert!(details.select("form[action$=\"/apply\"]").is_empty(), "applied once");
        assert_eq!(bea.open("/offers", "en").await.text(".mine"), "My application: waiting for an answer");

        // On A: the review page shows it; ana accepts.
        let review_path = format!("/projects/{project}/applications");
        let review = wait_for("the application on A's review page", DEADLINE, || async {
            let review = ana.get(&review_path).await;
            (!review.select("[data-application]").is_empty()).then_some(review)
        }).await;
        check_page(&review_path, &review, "en");
        assert_eq!(review.text(".applicant"), format!("@bea@{}", b.domain));
        assert_eq!(review.text("blockquote"), "Gern! Ich kenne Kassen.");
        assert!(review.text("[data-application]").contains("Rust (expert)"), "{}", review.text("[data-application]"));
        assert_eq!(review.text(".status"), "waiting for an answer");
        let application = review.attr("[data-application]", "data-application").unwrap();
        let accepted = ana.post(&format!("{review_path}/{application}/accept"), &[]).await;
        assert_eq!((accepted.status, accepted.location()), (303, review_path.clone()));
        let review = ana.open(&review_path, "en").await;
        assert_eq!(review.text(".status"), "accepted");
        assert!(review.select("[data-application] form").is_empty(), "answered once");
        // A member of another project may not answer (a candidate does not even see it).
        a.create_account("cid", Role::Candidate, false).await;
        let cid = HttpBrowser::login(&a, "cid").await;
        assert_eq!(cid.get(&review_path).await.status, 404);

        // On B: the answer arrives.
        wait_for("the acceptance on B's page", DEADLINE, || async {
            let details = bea.get(&href).await;
            (details.text("#application-status") == "accepted").then_some(())
        }).await;

        // Closing the offer on A: it leaves the lists.
        let closed = ana.post(&format!("{}/close", ours.strip_suffix("/details").unwrap()), &[("status", "filled")]).await;
        assert_eq!(closed.status, 303, "{}", closed.main_text());
        assert_eq!(ana.open(&ours, "en").await.text("#offer-status"), "filled");
        assert!(ana.open("/offers", "en").await.select("#our-offers ~ ul li").is_empty());
        a.stop().await;
        b.stop().await;
    }
}
