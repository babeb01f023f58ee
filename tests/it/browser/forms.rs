//! Form posts as another site would send them: refused with a valid session cookie, and
//! nothing changes. (Plain HTTP: a browser would not let a test forge these headers.)

use cooperage_domain::member::Role;

use crate::support::TestInstance;

backend_tests! {
    async fn a_cross_site_form_post_with_a_valid_session_is_refused_and_changes_nothing(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ada", Role::Member, false).await;
        let cookie = coop.login_cookie("ada").await;
        let ada = cooperage_app::members::find(coop.app(), "ada").await.unwrap();
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let post = |path: &str, origin: &str, site: Option<&str>, body: &str| {
            let mut request = client.post(format!("{}{path}", coop.base))
                .header("cookie", &cookie)
                .header("accept", "text/html")
                .header("origin", origin)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_owned());
            if let Some(site) = site {
                request = request.header("sec-fetch-site", site);
            }
            request.send()
        };
        let listing = "skill=Rust&level=expert&hours_per_week=10&work_mode=remote&visibility=public";
        for site in [None, Some("cross-site")] {
            let response = post("/listings", "http://evil.example", site, listing).await.unwrap();
            assert_eq!(response.status(), 403, "{site:?}");
            assert!(response.text().await.unwrap().contains("Not allowed"));
        }
        let response = post("/proposals", "http://evil.example", None,
            "title=Sell+everything&kind=single&options=Yes%0ANo&scope=coop&closes_at=2099-01-01T00:00").await.unwrap();
        assert_eq!(response.status(), 403);
        assert!(cooperage_app::skills::mine(coop.app(), &ada).await.unwrap().is_empty());
        assert!(cooperage_app::proposals::list(coop.app(), &ada, None, None).await.unwrap().is_empty());

        // The same post from our own pages goes through: the check is what refused it.
        let response = post("/listings", &coop.base, Some("same-origin"), listing).await.unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(cooperage_app::skills::mine(coop.app(), &ada).await.unwrap().len(), 1);
        coop.stop().await;
    }
}
