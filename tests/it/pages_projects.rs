//! The project pages over real HTTP: a member starts a project, records money and time and
//! reverses an entry through the forms, and the cockpit's figures and chart follow; a
//! mistake comes back next to the form; a cross-site form is refused; a member's language
//! setting decides the language of their pages.

use cooperage_domain::member::Role;

use crate::support::TestInstance;
use crate::support::pages::{HttpBrowser, Page, check_page, client, encode};

/// The width of a project's "spent" bar in the cockpit's chart.
fn spent_bar(cockpit: &Page, project: &str) -> i64 {
    cockpit
        .attr(
            &format!("svg g[data-project=\"{project}\"] rect.spent"),
            "width",
        )
        .unwrap_or_else(|| panic!("no bar for project {project}"))
        .parse()
        .unwrap()
}

/// A figure of a project's row in the cockpit's table.
fn cockpit_figure(cockpit: &Page, project: &str, column: &str) -> String {
    cockpit.text(&format!(
        "#cockpit tr[data-project=\"{project}\"] td.{column}"
    ))
}

/// Starts a project through the list's form; returns its id.
async fn start_project(ada: &HttpBrowser<'_>, name: &str) -> String {
    let created = ada
        .post(
            "/projects",
            &[
                ("name", name),
                ("client", "Bäckerei Sommer"),
                ("status", "active"),
                ("currency", "EUR"),
                ("budget", "1,000"),
                ("hourly_rate", "50"),
                ("planned_hours", "40"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.main_text());
    created
        .location()
        .strip_prefix("/projects/")
        .expect("to the project's page")
        .to_owned()
}

backend_tests! {
    async fn a_ledger_entry_recorded_on_the_page_changes_the_cockpit(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ada", Role::Member, false).await;
        let ada = HttpBrowser::login(&coop, "ada").await;

        let list = ada.open("/projects", "en").await;
        assert!(list.select("#projects").is_empty(), "no projects yet");
        let id = start_project(&ada, "Kassenbuch").await;
        let list = ada.open("/projects", "en").await;
        assert_eq!(list.texts("#projects tbody th"), ["Kassenbuch"]);
        let dashboard = ada.open("/", "en").await;
        assert_eq!(dashboard.attr("#projects ~ ul li a", "href"), Some(format!("/projects/{id}")));
        assert_eq!(list.text("#projects td.budget"), "€1,000.00");

        let cockpit = ada.open("/cockpit", "en").await;
        assert_eq!(cockpit.attr("svg", "role").as_deref(), Some("img"));
        assert_eq!(cockpit.text("svg > title"), "Budget and spent per project");
        assert_eq!(spent_bar(&cockpit, &id), 0);
        assert_eq!(cockpit_figure(&cockpit, &id, "spent"), "€0.00");
        assert_eq!(cockpit_figure(&cockpit, &id, "remaining"), "€1,000.00");

        // An expense through the form: the cockpit's figures and bar move.
        let recorded = ada.post(&format!("/projects/{id}/money"), &[
            ("kind", "expense"), ("amount", "250.50"), ("date", "2026-12-01"),
            ("category", "Material"), ("description", "Kassenrollen <b>viele</b>"),
        ]).await;
        assert_eq!((recorded.status, recorded.location()), (303, format!("/projects/{id}#ledger")));
        let cockpit = ada.open("/cockpit", "en").await;
        assert_eq!(cockpit_figure(&cockpit, &id, "spent"), "€250.50");
        assert_eq!(cockpit_figure(&cockpit, &id, "remaining"), "€749.50");
        assert_eq!(cockpit_figure(&cockpit, &id, "used"), "25 %");
        // 250.50 of 1,000 on a budget bar 400 long.
        assert_eq!(spent_bar(&cockpit, &id), 100);
        let says = cockpit.text(&format!("svg g[data-project=\"{id}\"] > title"));
        assert_eq!(says, "Kassenbuch: €250.50 spent of €1,000.00");

        // Two hours at 50 an hour.
        let recorded = ada.post(&format!("/projects/{id}/time"), &[
            ("hours", "2"), ("date", "2026-12-02"), ("member", ""), ("note", "Einrichtung"),
        ]).await;
        assert_eq!(recorded.status, 303, "{}", recorded.main_text());
        let cockpit = ada.open("/cockpit", "en").await;
        assert_eq!(cockpit_figure(&cockpit, &id, "spent"), "€350.50");
        assert_eq!(cockpit_figure(&cockpit, &id, "hours"), "2 of 40 h");
        assert_eq!(spent_bar(&cockpit, &id), 140);

        // The project's page: figures, members, the ledger newest first, markup as text.
        let project = ada.open(&format!("/projects/{id}"), "en").await;
        assert_eq!(project.text("h1"), "Kassenbuch");
        assert_eq!(project.texts("#members ~ ul li"), ["ada"]);
        let values = project.texts("table tbody td.value");
        assert_eq!(values, ["2 h", "€250.50"]);
        assert!(project.main_text().contains("December 1, 2026"), "{}", project.main_text());
        assert!(project.select("main b").is_empty(), "a member's text stays text");
        assert!(project.main_text().contains("Kassenrollen <b>viele</b>"));

        // Reversing the expense: a new entry that counts negatively; the original is marked.
        let expense = project.attr("tbody tr:last-child", "data-entry").unwrap();
        let reversed = ada.post(&format!("/projects/{id}/entries/{expense}/reverse"),
            &[("reason", "falsch gebucht")]).await;
        assert_eq!(reversed.status, 303, "{}", reversed.main_text());
        let project = ada.open(&format!("/projects/{id}"), "en").await;
        assert_eq!(project.texts("table tbody td.value"), ["-€250.50", "2 h", "€250.50"]);
        assert!(project.main_text().contains(&format!("reverses entry {expense}")));
        assert!(project.select(&format!("tr#entry-{expense} form")).is_empty(),
            "a reversed entry offers no second reversal");
        let cockpit = ada.open("/cockpit", "en").await;
        assert_eq!(cockpit_figure(&cockpit, &id, "spent"), "€100.00");
        assert_eq!(spent_bar(&cockpit, &id), 40);

        // A mistake comes back next to the form, with what was typed, and writes nothing.
        let wrong = ada.post(&format!("/projects/{id}/money"), &[
            ("kind", "expense"), ("amount", "zwölf"), ("date", "2026-12-01"),
            ("category", "Material"), ("description", ""),
        ]).await;
        assert_eq!(wrong.status, 422);
        check_wrong(&wrong);
        assert!(wrong.text("[role=alert]").starts_with("Please check Amount:"), "{}", wrong.text("[role=alert]"));
        assert_eq!(wrong.attr("#money-amount", "value").as_deref(), Some("zwölf"));
        assert_eq!(wrong.texts("table tbody td.value").len(), 3);
        let too_long = ada.post(&format!("/projects/{id}/time"), &[
            ("hours", "23"), ("date", "2026-12-02"), ("member", ""), ("note", ""),
        ]).await;
        assert_eq!(too_long.status, 422, "more than 24 hours on one day");
        assert!(too_long.text("[role=alert]").starts_with("Please check Hours:"));

        // German: the same figures as Germans write them.
        let mut german = HttpBrowser::login(&coop, "ada").await;
        german.language = "de";
        let cockpit = german.open("/cockpit", "de").await;
        assert_eq!(cockpit_figure(&cockpit, &id, "spent"), "100,00\u{a0}€");
        assert_eq!(cockpit_figure(&cockpit, &id, "remaining"), "900,00\u{a0}€");
        assert_eq!(cockpit.text("svg > title"), "Budget und Ausgaben je Projekt");
        let project = german.open(&format!("/projects/{id}"), "de").await;
        assert!(project.main_text().contains("1. Dezember 2026"), "{}", project.main_text());
        // German input: a decimal comma.
        let recorded = german.post(&format!("/projects/{id}/money"), &[
            ("kind", "income"), ("amount", "1.234,50"), ("date", "2026-12-03"),
            ("category", ""), ("description", "Abschlag"),
        ]).await;
        assert_eq!(recorded.status, 303, "{}", recorded.main_text());
        let project = german.open(&format!("/projects/{id}"), "de").await;
        assert_eq!(project.texts("table tbody td.value")[0], "1.234,50\u{a0}€");
        coop.stop().await;
    }

    async fn cross_site_posts_to_the_project_forms_are_refused(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ada", Role::Member, false).await;
        let ada = HttpBrowser::login(&coop, "ada").await;
        let id = start_project(&ada, "Kassenbuch").await;
        let form = [("kind", "expense"), ("amount", "10"), ("date", "2026-12-01"),
            ("category", ""), ("description", "")];
        let refused = ada.post_from(&format!("/projects/{id}/money"), &form, "https://evil.example").await;
        assert_eq!(refused.status, 403);
        assert_eq!(refused.text("h1"), "Not allowed");
        for path in ["/projects", "/settings/language", "/admin/invitations"] {
            let refused = ada.post_from(path, &[("name", "x")], "https://evil.example").await;
            assert_eq!(refused.status, 403, "{path}");
        }
        let project = ada.open(&format!("/projects/{id}"), "en").await;
        assert!(project.select("table tbody tr").is_empty(), "nothing was recorded");
        assert_eq!(ada.open("/projects", "en").await.texts("#projects tbody th"), ["Kassenbuch"]);
        // Not logged in: to the login page; another member's cookie is needed to write.
        let visitor = HttpBrowser::anonymous(&coop);
        assert_eq!(visitor.get("/cockpit").await.location(), "/login");
        assert_eq!(visitor.post(&format!("/projects/{id}/money"), &form).await.location(), "/login");
        coop.stop().await;
    }

    async fn a_members_language_setting_decides_the_language_of_their_pages(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ada", Role::Member, false).await;
        let ada = HttpBrowser::login(&coop, "ada").await;
        let settings = ada.open("/settings", "en").await;
        assert_eq!(settings.attr("#language option[selected]", "value").as_deref(), Some(""));

        let chosen = ada.post("/settings/language", &[("language", "de")]).await;
        assert_eq!((chosen.status, chosen.location()), (303, "/settings".to_owned()));
        let cookie = chosen.headers["set-cookie"].to_str().unwrap();
        assert!(cookie.starts_with("cooperage_lang=de;"), "{cookie}");
        // The browser still asks for English (and sends no language cookie): German wins.
        let settings = ada.open("/settings", "de").await;
        assert_eq!(settings.text("h1"), "Einstellungen");
        assert_eq!(settings.attr("#language option[selected]", "value").as_deref(), Some("de"));
        ada.open("/cockpit", "de").await;
        // Logging in again (another browser) brings the language cookie along, for the
        // pages that do not look the member up.
        let login = client().post(format!("{}/login", coop.base))
            .header("origin", &coop.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&[("login", "ada"), ("password", TestInstance::PASSWORD)]))
            .send().await.unwrap();
        assert_eq!(login.status(), 303);
        let cookies: Vec<&str> = login.headers().get_all("set-cookie").iter()
            .map(|v| v.to_str().unwrap()).collect();
        assert!(cookies.iter().any(|c| c.starts_with("cooperage_lang=de;")), "{cookies:?}");
        // The switch still beats the setting, for the page it is on.
        ada.open("/cockpit?lang=en", "en").await;
        // Someone else on the same browser language is not affected.
        coop.create_account("bob", Role::Member, false).await;
        HttpBrowser::login(&coop, "bob").await.open("/cockpit", "en").await;

        let unknown = ada.post("/settings/language", &[("language", "fr")]).await;
        assert_eq!(unknown.status, 422);
        assert!(unknown.text("[role=alert]").starts_with("Bitte prüfen: Sprache:"), "{}", unknown.text("[role=alert]"));

        let back = ada.post("/settings/language", &[("language", "")]).await;
        assert_eq!(back.status, 303);
        ada.open("/settings", "en").await;

        // The profile form: the name shows on the dashboard.
        let saved = ada.post("/settings/profile", &[("display_name", "Ada L."), ("bio", "Buchhaltung")]).await;
        assert_eq!(saved.status, 303, "{}", saved.main_text());
        let settings = ada.open("/settings", "en").await;
        assert_eq!(settings.attr("#display_name", "value").as_deref(), Some("Ada L."));
        assert_eq!(settings.text("#bio"), "Buchhaltung");
        assert_eq!(ada.open("/", "en").await.text("h1"), "Welcome, Ada L.");
        coop.stop().await;
    }
}

/// A page shown again with a form's problem still passes the page checks.
fn check_wrong(page: &Page) {
    check_page("a form's problem", page, "en");
}
