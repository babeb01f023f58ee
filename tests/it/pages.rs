//! The web pages: public pages with preview cards at the same URLs as the ActivityPub
//! documents, translations, the login form and the dashboard, CSRF, error pages. Pages are
//! read with an HTML parser and checked as a browser and a screen reader would meet them.

use cooperage_domain::member::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::pages::{BROWSER, HttpBrowser, Page, check_page, client, page_of};
use crate::support::{DEADLINE, TestInstance, call, wait_for};

/// A visitor's GET of `path` on `coop`, with other headers.
async fn page(coop: &TestInstance, path: &str, headers: &[(&str, &str)]) -> Page {
    HttpBrowser::anonymous(coop).get_with(path, headers).await
}

/// The preview card and the alternate link of a public page.
fn check_card(path: &str, page: &Page, ap_id: &str, title: &str) {
    let alternate = page.attr(
        "link[rel=alternate][type=\"application/activity+json\"]",
        "href",
    );
    assert_eq!(alternate.as_deref(), Some(ap_id), "{path}: alternate link");
    let og_title = page
        .attr("meta[property=\"og:title\"]", "content")
        .unwrap_or_default();
    assert!(og_title.contains(title), "{path}: og:title {og_title:?}");
    assert!(
        page.attr("meta[property=\"og:url\"]", "content").is_some(),
        "{path}: og:url"
    );
    assert!(
        page.attr("meta[property=\"og:type\"]", "content").is_some(),
        "{path}: og:type"
    );
}

const HOSTILE: &str = "<script>alert(1)</script>Ada \"&\" <b>";

/// A coop with Ada (hostile display name), a public and a network listing of hers, and a
/// public offer; returns Ada's cookie and the ids.
async fn seeded(coop: &TestInstance) -> (String, String, String, String) {
    coop.create_account("ada", Role::Member, true).await;
    let cookie = coop.login_cookie("ada").await;
    let (status, body) = call(
        coop,
        &cookie,
        Method::PATCH,
        "/api/v1/me",
        Some(json!({ "display_name": HOSTILE, "bio": "Buchhaltung & <i>Rust</i>" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut listings = Vec::new();
    for (skill, visibility) in [("Rust", "public"), ("Geheim", "network")] {
        let body = json!({ "skill": skill, "level": "expert", "hours_per_week": 12,
            "description": "Datenbanken <img src=x onerror=alert(2)>", "visibility": visibility });
        let (status, body) = call(coop, &cookie, Method::POST, "/api/v1/skills", Some(body)).await;
        assert_eq!(status, 201, "{body}");
        listings.push(body["ap_id"].as_str().unwrap().to_owned());
    }
    let (status, project) = call(
        coop,
        &cookie,
        Method::POST,
        "/api/v1/projects",
        Some(json!({ "name": "Kassenbuch", "currency": "EUR", "budget": "20000" })),
    )
    .await;
    assert_eq!(status, 201, "{project}");
    let (status, offer) = call(
        coop,
        &cookie,
        Method::POST,
        &format!("/api/v1/projects/{}/offers", project["id"]),
        Some(
            json!({ "title": "Gestaltung <u>jetzt</u>", "skills": ["Design"], "estimated_hours": 20,
            "compensation": "to_be_discussed", "audience": "public" }),
        ),
    )
    .await;
    assert_eq!(status, 201, "{offer}");
    (
        cookie,
        listings[0].clone(),
        listings[1].clone(),
        offer["ap_id"].as_str().unwrap().to_owned(),
    )
}

backend_tests! {
    async fn public_pages_have_preview_cards_and_the_same_urls_serve_activitypub(db) {
        let coop = TestInstance::start(&db).await;
        let (_, listing, network_listing, offer) = seeded(&coop).await;
        let ada = format!("http://{}/actors/ada", coop.domain);

        // The coop: its public listing and public offer, not the network one.
        let html = page(&coop, "/@coop", &[]).await;
        assert_eq!(html.status, 200);
        check_page("/@coop", &html, "en");
        check_card("/@coop", &html, &coop.coop_id(), "Coop coop");
        let links: Vec<String> = html.select("main a").iter()
            .filter_map(|a| a.value().attr("href").map(str::to_owned)).collect();
        assert!(links.contains(&listing), "{links:?}");
        assert!(links.contains(&offer), "{links:?}");
        assert!(!links.contains(&network_listing), "a network listing is not public: {links:?}");
        assert_eq!(html.text("main li a[href*=\"/offers/\"]"), "Gestaltung <u>jetzt</u>");
        // The actor URL opened in a browser is the same page.
        let html = page(&coop, "/actors/coop", &[]).await;
        assert_eq!(html.status, 200);
        check_card("/actors/coop", &html, &coop.coop_id(), "Coop coop");

        // A member: the hostile name is text, not markup.
        let response = client().get(format!("{}/@ada", coop.base)).header("accept", BROWSER)
            .send().await.unwrap();
        let raw = response.text().await.unwrap();
        assert!(!raw.contains("<script>alert"), "display name unescaped");
        assert!(!raw.contains("<i>Rust"), "bio unescaped");
        let html = page(&coop, "/@ada", &[]).await;
        assert_eq!(html.status, 200);
        check_page("/@ada", &html, "en");
        check_card("/@ada", &html, &ada, HOSTILE);
        assert_eq!(html.text("h1"), HOSTILE.trim());
        assert!(html.select("script").is_empty());
        assert!(html.select("main b, main i").is_empty());

        // The listing and the offer at their ids.
        for (url, title) in [(&listing, "Rust"), (&offer, "Gestaltung <u>jetzt</u>")] {
            let path = url.strip_prefix(&format!("http://{}", coop.domain)).unwrap();
            let html = page(&coop, path, &[]).await;
            assert_eq!(html.status, 200, "{path}");
            check_page(path, &html, "en");
            check_card(path, &html, url, title);
            assert_eq!(html.text("h1"), title);
            assert!(html.select("main img, script").is_empty(), "{path}: markup from a member");
            // The same URL, asked for ActivityPub, serves the document.
            let (status, document) = HttpBrowser::activity_json(url).await;
            assert_eq!((status, document["id"].as_str()), (200, Some(url.as_str())), "{document}");
        }
        let (status, document) = HttpBrowser::activity_json(&coop.coop_id()).await;
        assert_eq!((status, document["type"].as_str()), (200, Some("Group")));
        let (status, document) = HttpBrowser::activity_json(&format!("{}/@ada", coop.base)).await;
        assert_eq!((status, document["id"].as_str()), (200, Some(ada.as_str())));

        // A network listing is not found for a browser (which signs nothing): an HTML page.
        let path = network_listing.strip_prefix(&format!("http://{}", coop.domain)).unwrap();
        let html = page(&coop, path, &[]).await;
        assert_eq!(html.status, 404);
        check_page(path, &html, "en");
        assert_eq!(html.text("h1"), "Page not found");
        coop.stop().await;
    }

    async fn pages_speak_german_when_asked(db) {
        let coop = TestInstance::start(&db).await;
        seeded(&coop).await;
        let html = page(&coop, "/@coop", &[("accept-language", "de-DE,de;q=0.9,en;q=0.5")]).await;
        check_page("/@coop de", &html, "de");
        assert_eq!(html.text("#listings"), "Fähigkeiten unserer Mitglieder");
        // The switch sets a cookie that beats the browser's language.
        let html = page(&coop, "/login?lang=de", &[("accept-language", "en")]).await;
        check_page("/login?lang=de", &html, "de");
        assert_eq!(html.text("h1"), "Anmelden");
        let set = html.headers["set-cookie"].to_str().unwrap();
        assert!(set.starts_with("cooperage_lang=de;"), "{set}");
        let html = page(&coop, "/@ada", &[("accept-language", "en"), ("cookie", "cooperage_lang=de")]).await;
        check_page("/@ada de", &html, "de");
        assert_eq!(html.text("#listings"), "Angebotene Fähigkeiten");
        // And back.
        let html = page(&coop, "/@ada?lang=en", &[("cookie", "cooperage_lang=de")]).await;
        assert_eq!(html.attr("html", "lang").as_deref(), Some("en"));
        coop.stop().await;
    }

    async fn a_member_logs_in_on_the_login_page_and_sees_the_dashboard(db) {
        let coop = TestInstance::start(&db).await;
        seeded(&coop).await;
        // Not logged in: to the login page.
        let html = page(&coop, "/", &[]).await;
        assert_eq!((html.status, html.location()), (303, "/login".to_owned()));
        let html = page(&coop, "/login", &[]).await;
        assert_eq!(html.status, 200);
        check_page("/login", &html, "en");
        assert_eq!(html.select("form[method=post][action=\"/login\"] input").len(), 2);

        let login = |password: &'static str, site: &'static str| {
            let url = format!("{}/login", coop.base);
            async move {
                client().post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("sec-fetch-site", site)
                    .body(format!("login=ada&password={}", password.replace(' ', "+")))
                    .send().await.unwrap()
            }
        };
        let wrong = login("wrong", "same-origin").await;
        assert_eq!(wrong.status(), 401);
        let html = page_of(wrong).await;
        assert_eq!(html.text("[role=alert]"), "Wrong login or password.");
        assert_eq!(html.attr("#login", "value").as_deref(), Some("ada"));

        let right = login(TestInstance::PASSWORD, "same-origin").await;
        assert_eq!(right.status(), 303);
        assert_eq!(right.headers()["location"], "/");
        let cookie = right.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        assert!(cookie.starts_with("cooperage_session="), "{cookie}");
        let html = page(&coop, "/", &[("cookie", &cookie)]).await;
        assert_eq!(html.status, 200);
        check_page("/", &html, "en");
        assert_eq!(html.text("h1"), format!("Welcome, {}", HOSTILE.trim()));
        let mut mine: Vec<String> = html.select("#mine ~ ul li a").iter().map(|a| a.text().collect()).collect();
        mine.sort();
        assert_eq!(mine, ["Geheim", "Rust"]);
        // The same session works for the API: one login for both.
        let (status, me) = call(&coop, &cookie, Method::GET, "/api/v1/me", None).await;
        assert_eq!((status, me["username"].as_str()), (200, Some("ada")), "{me}");

        // A stale cookie gets the form, not a redirect back to the dashboard (a loop).
        let html = page(&coop, "/login", &[("cookie", "cooperage_session=coop_ses_stale")]).await;
        assert_eq!((html.status, html.text("h1")), (200, "Log in".to_owned()));

        // Logging out ends the session.
        let out = client().post(format!("{}/logout", coop.base)).header("cookie", &cookie)
            .header("sec-fetch-site", "same-origin").send().await.unwrap();
        assert_eq!(out.status(), 303);
        let html = page(&coop, "/", &[("cookie", &cookie)]).await;
        assert_eq!(html.status, 303);
        coop.stop().await;
    }

    async fn cross_site_form_posts_are_refused_even_with_a_valid_session(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ada", Role::Member, false).await;
        let cookie = coop.login_cookie("ada").await;
        let post = |path: &str, headers: Vec<(&'static str, &'static str)>| {
            let mut request = client().post(format!("{}{path}", coop.base))
                .header("cookie", cookie.as_str()).header("accept", BROWSER)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("login=ada&password={}", TestInstance::PASSWORD.replace(' ', "+")));
            for (name, value) in headers {
                request = request.header(name, value);
            }
            request.send()
        };
        for headers in [
            vec![("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "same-site")],
            vec![("origin", "https://evil.example")],
        ] {
            for path in ["/logout", "/login"] {
                let response = post(path, headers.clone()).await.unwrap();
                assert_eq!(response.status(), 403, "{path} {headers:?}");
                let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
                assert!(csp.starts_with("default-src 'self'"));
                let html = page_of(response).await;
                assert_eq!(html.text("h1"), "Not allowed");
                assert!(response_has_no_session(&html));
            }
        }
        // The session survived the refused logout.
        let html = page(&coop, "/", &[("cookie", &cookie)]).await;
        assert_eq!(html.status, 200);
        coop.stop().await;
    }

    async fn browsers_get_html_error_pages_and_the_api_keeps_json(db) {
        let coop = TestInstance::start(&db).await;
        let html = page(&coop, "/no/such/page", &[]).await;
        assert_eq!(html.status, 404);
        check_page("/no/such/page", &html, "en");
        assert!(html.select("main a[href=\"/\"]").len() == 1, "says where to go");
        let html = page(&coop, "/@nobody", &[("accept-language", "de")]).await;
        assert_eq!((html.status, html.text("h1")), (404, "Seite nicht gefunden".to_owned()));
        for (path, accept) in [("/api/v1/nothing", BROWSER), ("/no/such/page", "application/json")] {
            let response = client().get(format!("{}{path}", coop.base)).header("accept", accept)
                .send().await.unwrap();
            assert_eq!(response.status(), 404);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "not_found", "{path}");
        }
        let css = client().get(format!("{}/static/style.css", coop.base)).send().await.unwrap();
        assert_eq!(css.status(), 200);
        assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
        assert!(css.text().await.unwrap().contains("main"));
        coop.stop().await;
    }

    async fn a_public_proposal_has_a_read_only_page_for_visitors_with_a_preview_card(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ada", Role::Member, true).await;
        let ada = HttpBrowser::login(&coop, "ada").await;
        let closes = (chrono::Utc::now() + chrono::TimeDelta::days(2)).format("%Y-%m-%dT%H:%M").to_string();
        let open = |title: &'static str, scope: &'static str, results: &'static str| {
            let closes = closes.clone();
            let ada = &ada;
            async move {
                let opened = ada.post("/proposals", &[("title", title), ("body", "Unser **Vertrag** endet."),
                    ("kind", "single"), ("options", "Leipzig\nBerlin"), ("closes_at", &closes),
                    ("scope", scope), ("counting", "member"), ("results", results)]).await;
                assert_eq!(opened.status, 303, "{}", opened.main_text());
                opened.location()
            }
        };
        let network = open("Server nach Leipzig", "network", "hidden").await;
        let coop_only = open("Neue Kaffeemaschine", "coop", "live").await;
        let voted = ada.post(&format!("{network}/vote"), &[("options", "Leipzig")]).await;
        assert_eq!(voted.status, 303, "{}", voted.main_text());
        let commented = ada.post(&format!("{network}/comments"), &[("text", "Leipzig ist *näher*.")]).await;
        assert_eq!(commented.status, 303, "{}", commented.main_text());

        // The member's page: the vote form, and the alternate link to the Question.
        let mine = ada.open(&network, "en").await;
        assert_eq!(mine.select("form[action$=\"/vote\"]").len(), 1);
        let ap_id = mine.attr("link[rel=alternate][type=\"application/activity+json\"]", "href").unwrap();
        let path = ap_id.strip_prefix(&format!("http://{}", coop.domain)).unwrap().to_owned();
        assert!(path.starts_with("/proposals/") && path != network, "{path}");

        // A visitor (a link from Mastodon): read-only, with the preview card.
        let visitor = HttpBrowser::anonymous(&coop);
        for shown in [&path, &network] {
            let page = visitor.open(shown, "en").await;
            check_card(shown, &page, &ap_id, "Server nach Leipzig");
            assert_eq!(page.text("h1"), "Server nach Leipzig");
            assert_eq!(page.text(".body strong"), "Vertrag");
            let main = page.main_text();
            assert!(main.contains(&format!("Hosted by Coop coop (@coop@{})", coop.domain)), "{main}");
            assert!(main.contains("The results are hidden until the proposal closes."), "{main}");
            assert!(main.contains("1 voter"), "{main}");
            assert!(main.contains("Leipzig ist näher."), "{main}");
            assert!(page.select("main form").is_empty(), "no forms for visitors");
            assert_eq!(page.attr("#members-vote a", "href").as_deref(), Some("/login"));
            let description = page.attr("meta[property=\"og:description\"]", "content").unwrap();
            assert!(description.starts_with("the whole network · single choice · closes "), "{description}");
        }
        // The same URL serves the Question to ActivityPub clients.
        let (status, question) = HttpBrowser::activity_json(&ap_id).await;
        assert_eq!((status, question["type"].as_str()), (200, Some("Question")), "{question}");
        assert_eq!(question["id"].as_str(), Some(ap_id.as_str()));

        // A coop proposal is not for visitors, by number or by id; members see it.
        let member = cooperage_app::members::find(coop.app(), "ada").await.unwrap();
        let number: i64 = coop_only.strip_prefix("/proposals/").unwrap().parse().unwrap();
        let inside = cooperage_app::proposals::show(coop.app(), &member, number).await.unwrap();
        let inside_path = inside.proposal.ap_id.strip_prefix(&format!("http://{}", coop.domain)).unwrap().to_owned();
        for hidden in [&coop_only, &inside_path] {
            let page = visitor.get(hidden).await;
            assert_eq!(page.status, 404, "{hidden}");
            check_page(hidden, &page, "en");
            assert_eq!(page.text("h1"), "Page not found");
            assert!(!page.main_text().contains("Kaffeemaschine"));
        }
        assert_eq!(ada.open(&coop_only, "en").await.text("h1"), "Neue Kaffeemaschine");
        coop.stop().await;
    }

    async fn a_budget_change_is_attached_to_a_coop_proposal_on_its_form(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ada", Role::Member, false).await;
        let ada = HttpBrowser::login(&coop, "ada").await;
        let started = ada.post("/projects", &[("name", "Kassenbuch"), ("status", "active"),
            ("currency", "EUR"), ("budget", "5000")]).await;
        let project = started.location().strip_prefix("/projects/").unwrap().to_owned();
        let form = ada.open("/proposals/new", "en").await;
        assert_eq!(form.texts("#budget_project option"), ["No budget change", "Kassenbuch"]);
        let closes = (chrono::Utc::now() + chrono::TimeDelta::days(2)).format("%Y-%m-%dT%H:%M").to_string();
        let proposal = |scope: &'static str| {
            vec![("title", "Neue Kasse".to_owned()), ("kind", "consent".to_owned()),
                ("closes_at", closes.clone()), ("scope", scope.to_owned()),
                ("budget_project", project.clone()), ("budget_kind", "expense".to_owned()),
                ("budget_amount", "1,200.00".to_owned()), ("budget_category", "Geräte".to_owned()),
                ("budget_reason", "Die alte ist kaputt".to_owned())]
        };
        let fields = proposal("network");
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let wrong = ada.post("/proposals", &fields).await;
        assert_eq!(wrong.status, 422, "a network proposal cannot change a budget");
        check_page("the proposal form again", &wrong, "en");
        assert!(wrong.text("[role=alert]").starts_with("Please check Budget:"), "{}", wrong.text("[role=alert]"));
        assert_eq!(wrong.attr("#budget_amount", "value").as_deref(), Some("1,200.00"));
        assert_eq!(wrong.attr("#budget_project option[selected]", "value"), Some(project.clone()));

        let fields = proposal("coop");
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let opened = ada.post("/proposals", &fields).await;
        assert_eq!(opened.status, 303, "{}", opened.main_text());
        let page = ada.open(&opened.location(), "en").await;
        let facts: Vec<String> = page.texts("dl dt").into_iter().zip(page.texts("dl dd"))
            .map(|(name, value)| format!("{name}: {value}")).collect();
        assert!(facts.contains(&"Budget change: expense of €1,200.00 for Kassenbuch".to_owned()), "{facts:?}");
        coop.stop().await;
    }

    async fn the_dashboard_lists_network_offers_that_match_my_skills(db) {
        let a = TestInstance::start_named(&db, "nord").await;
        // Kept for the whole test: a dropped TestDb drops its database.
        let db_b = db.sibling();
        let b = TestInstance::start_named(&db_b, "sued").await;
        a.create_account("ana", Role::Member, false).await;
        b.create_account("bea", Role::Member, false).await;
        let (ana, bea) = (a.login_cookie("ana").await, b.login_cookie("bea").await);
        for (x, y) in [(&a, &b), (&b, &a)] {
            cooperage_app::federation::follow(x.app(), &y.coop_handle()).await.expect("follow");
        }
        for (from, to) in [(&a, &b), (&b, &a)] {
            wait_for("the network", DEADLINE, || async {
                let network = cooperage_app::federation::network(from.app()).await.unwrap();
                network.iter().any(|c| c.ap_id == to.coop_id()).then_some(())
            }).await;
        }
        let body = json!({ "skill": "Rust", "level": "expert", "hours_per_week": 20, "visibility": "network" });
        let (status, body) = call(&a, &ana, Method::POST, "/api/v1/skills", Some(body)).await;
        assert_eq!(status, 201, "{body}");
        let (_, project) = call(&b, &bea, Method::POST, "/api/v1/projects",
            Some(json!({ "name": "Kassenbuch", "currency": "EUR", "budget": "20000" }))).await;
        for (title, skill) in [("Rust-Entwicklung", "Rust"), ("Töpfern", "Keramik")] {
            let (status, offer) = call(&b, &bea, Method::POST,
                &format!("/api/v1/projects/{}/offers", project["id"]),
                Some(json!({ "title": title, "skills": [skill], "estimated_hours": 20,
                    "compensation": "to_be_discussed", "audience": "network" }))).await;
            assert_eq!(status, 201, "{offer}");
        }
        let matches = wait_for("the matching offer on ana's dashboard", DEADLINE, || async {
            let html = page(&a, "/", &[("cookie", &ana)]).await;
            let found: Vec<String> = html.select("#matches ~ ul li a").iter()
                .map(|e| e.text().collect()).collect();
            (!found.is_empty()).then_some(found)
        }).await;
        assert_eq!(matches, ["Rust-Entwicklung"]);
        a.stop().await;
        b.stop().await;
    }
}

/// An error page offers no way to act as the member (no logout button: not logged in here).
fn response_has_no_session(page: &Page) -> bool {
    page.select("form[action=\"/logout\"]").is_empty()
}
