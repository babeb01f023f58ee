//! Project offers across real instances: a coop's offer reaches its network (or, public, the
//! coop's Mastodon followers too); the network's members see who of them fits, apply from
//! home, and learn the answer; applying twice is one application; a withdrawal reaches the
//! offering coop; closing and removing follow the offer everywhere.

use cooperage_db::offers::{Application, Offer};
use cooperage_domain::member::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{DEADLINE, MastodonPeer, TestInstance, wait_for};
use crate::support::{call, link};

async fn stored(instance: &TestInstance, ap_id: &str) -> Option<Offer> {
    let ap_id = ap_id.to_owned();
    instance
        .query(move |conn| cooperage_db::offers::by_ap_id(conn, &ap_id))
        .await
}

async fn wait_stored(instance: &TestInstance, ap_id: &str) -> Offer {
    wait_for(
        &format!("{ap_id} on {}", instance.domain),
        DEADLINE,
        || async { stored(instance, ap_id).await },
    )
    .await
}

async fn applications(instance: &TestInstance, offer: &Offer) -> Vec<Application> {
    let offer_id = offer.id;
    instance
        .query(move |conn| {
            use cooperage_db::schema::offer_applications as apps;
            use diesel::prelude::*;
            Ok(apps::table
                .filter(apps::offer_id.eq(offer_id))
                .select(Application::as_select())
                .load(conn)?)
        })
        .await
}

/// How many activities of `kind` `instance` queued.
async fn queued(instance: &TestInstance, kind: &'static str) -> i64 {
    instance
        .query(move |conn| {
            use cooperage_db::schema::outgoing_activities as out;
            use diesel::prelude::*;
            Ok(out::table
                .filter(out::kind.eq(kind))
                .count()
                .get_result(conn)?)
        })
        .await
}

async fn listing(instance: &TestInstance, cookie: &str, skill: &str, visibility: &str) {
    let body = json!({ "skill": skill, "level": "expert", "hours_per_week": 20, "visibility": visibility });
    let (status, body) = call(instance, cookie, Method::POST, "/api/v1/skills", Some(body)).await;
    assert_eq!(status, 201, "{body}");
}

fn offer_body(title: &str, audience: &str) -> Value {
    json!({
        "title": title, "description": "Wir bauen eine Buchhaltung für Genossenschaften.",
        "skills": ["Rust", "PostgreSQL"], "positions": 2, "estimated_hours": 120,
        "period_start": "2027-02-01", "period_end": "2027-06-30",
        "compensation": "hourly", "amount": "55.00", "currency": "EUR",
        "location": "Kassel", "remote": true, "application_deadline": "2027-01-15",
        "audience": audience,
    })
}

/// The offer with `ap_id` in a member's `GET /api/v1/offers`.
async fn listed(instance: &TestInstance, cookie: &str, ap_id: &str) -> Option<Value> {
    let (status, body) = call(instance, cookie, Method::GET, "/api/v1/offers", None).await;
    assert_eq!(status, 200, "{body}");
    body["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["ap_id"] == ap_id)
        .cloned()
}

backend_tests! {
    async fn an_offer_crosses_three_coops_and_an_application_comes_back(db) {
        let (db_b, db_c) = (db.sibling(), db.sibling());
        let a = TestInstance::start_named(&db, "nord").await;
        let b = TestInstance::start_named(&db_b, "sued").await;
        let c = TestInstance::start_named(&db_c, "west").await;
        a.create_account("ana", Role::Member, false).await;
        b.create_account("bea", Role::Member, false).await;
        c.create_account("carl", Role::Member, false).await;
        c.create_account("dora", Role::Member, false).await;
        let (ana, bea, carl, dora) = (
            a.login_cookie("ana").await, b.login_cookie("bea").await,
            c.login_cookie("carl").await, c.login_cookie("dora").await,
        );
        link(&[(&a, &b), (&b, &c)]).await;
        let peer = MastodonPeer::start(None).await;
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.new_id(), "type": "Follow", "actor": peer.actor_id(), "object": b.coop_id(),
        });
        let (status, body) = peer.post(&format!("{}/inbox", b.base), &follow).await;
        assert_eq!(status, 202, "{body}");
        wait_for("the Accept", DEADLINE, || async {
            (!peer.received_of_type("Accept").is_empty()).then_some(())
        })
        .await;
        listing(&a, &ana, "Rust", "network").await;
        listing(&c, &carl, "PostgreSQL", "coop").await;
        listing(&c, &dora, "Elixir", "coop").await;

        // B publishes a network offer and a public one from a project.
        let (status, project) = call(&b, &bea, Method::POST, "/api/v1/projects",
            Some(json!({ "name": "Kassenbuch", "currency": "EUR", "budget": "20000" }))).await;
        assert_eq!(status, 201, "{project}");
        let project = project["id"].as_i64().unwrap();
        let (status, network_offer) = call(&b, &bea, Method::POST, &format!("/api/v1/projects/{project}/offers"),
            Some(offer_body("Rust-Entwicklung", "network"))).await;
        assert_eq!(status, 201, "{network_offer}");
        let network_ap = network_offer["ap_id"].as_str().unwrap().to_owned();
        let (status, public_offer) = call(&b, &bea, Method::POST, &format!("/api/v1/projects/{project}/offers"),
            Some(json!({ "title": "Gestaltung", "skills": ["Design"], "estimated_hours": 20,
                "compensation": "to_be_discussed", "audience": "public" }))).await;
        assert_eq!(status, 201, "{public_offer}");
        let public_ap = public_offer["ap_id"].as_str().unwrap().to_owned();

        // A and C keep it with its facts, and list it with the members of theirs who fit.
        for instance in [&a, &c] {
            let offer = wait_stored(instance, &network_ap).await;
            assert_eq!(offer.title, "Rust-Entwicklung");
            assert_eq!(offer.skill_list(), ["rust", "postgresql"]);
            assert_eq!((offer.amount_minor, offer.currency.as_deref()), (Some(5500), Some("EUR")));
            assert_eq!(offer.application_deadline.as_deref(), Some("2027-01-15"));
            assert!(!offer.local && offer.project_id.is_none(), "the project stays at home");
            wait_stored(instance, &public_ap).await;
        }
        let on_a = listed(&a, &ana, &network_ap).await.expect("listed on A");
        assert_eq!(on_a["fits"], json!({ "count": 1, "members": [{ "username": "ana", "skills": ["Rust"] }] }));
        assert_eq!(on_a["amount"], "55.00");
        let on_c = listed(&c, &carl, &network_ap).await.expect("listed on C");
        assert_eq!(on_c["fits"]["members"], json!([{ "username": "carl", "skills": ["PostgreSQL"] }]));
        let (_, filtered) = call(&c, &carl, Method::GET, "/api/v1/offers?skill=Design", None).await;
        assert_eq!(filtered["offers"].as_array().unwrap().len(), 1, "{filtered}");
        assert_eq!(filtered["offers"][0]["ap_id"], public_ap.as_str());

        // The Mastodon follower of B's coop gets the public offer as a Note with its hashtags,
        // never the network one; unsigned, only the public one is served.
        let create = wait_for("the public offer at the Mastodon peer", DEADLINE, || async {
            peer.received_of_type("Create").into_iter().find(|d| d.body["object"]["id"] == public_ap.as_str()).map(|d| d.body)
        })
        .await;
        assert_eq!(create["object"]["type"], "Note");
        let tags: Vec<_> = create["object"]["tag"].as_array().unwrap().iter().map(|t| t["name"].clone()).collect();
        assert_eq!(tags, [json!("#projectoffer"), json!("#design")]);
        assert!(create["object"]["content"].as_str().unwrap().contains("<strong>Project offer: Gestaltung</strong>"));
        assert!(peer.received().iter().all(|d| !d.body.to_string().contains(&network_ap)), "network offer leaked");
        let get = |id: String| {
            let http = b.http.clone();
            async move { http.get(&id).header("accept", "application/activity+json").send().await.unwrap().status().as_u16() }
        };
        assert_eq!(get(public_ap.clone()).await, 200);
        assert_eq!(get(network_ap.clone()).await, 404);

        // A member of A applies from home; B sees the application with her listing.
        let a_offer = stored(&a, &network_ap).await.unwrap();
        let apply = json!({ "message": "Ich kenne Rust seit 2016.", "hours_available": 80 });
        let (status, application) = call(&a, &ana, Method::POST, &format!("/api/v1/offers/{}/applications", a_offer.id), Some(apply.clone())).await;
        assert_eq!((status, application["status"].as_str()), (200, Some("pending")), "{application}");
        let b_offer = stored(&b, &network_ap).await.unwrap();
        wait_for("the application on B", DEADLINE, || async { applications(&b, &b_offer).await.pop() }).await;
        let (status, received) = call(&b, &bea, Method::GET, &format!("/api/v1/projects/{project}/applications"), None).await;
        assert_eq!(status, 200, "{received}");
        let received = &received["applications"][0];
        assert_eq!(received["applicant"], format!("ana@{}", a.domain));
        assert_eq!((received["hours_available"].as_i64(), received["message"].as_str()), (Some(80), Some("Ich kenne Rust seit 2016.")));
        assert_eq!(received["listings"][0]["skill"], "Rust", "{received}");

        // B accepts; A shows it.
        let path = format!("/api/v1/projects/{project}/applications/{}/accept", received["id"]);
        let (status, answered) = call(&b, &bea, Method::POST, &path, None).await;
        assert_eq!((status, answered["status"].as_str()), (200, Some("accepted")), "{answered}");
        let (status, again) = call(&b, &bea, Method::POST, &path, None).await;
        assert_eq!(status, 409, "answered once: {again}");
        wait_for("the acceptance on A", DEADLINE, || async {
            let (_, offer) = call(&a, &ana, Method::GET, &format!("/api/v1/offers/{}", a_offer.id), None).await;
            (offer["my_application"]["status"] == "accepted").then_some(())
        })
        .await;
        let (_, mine) = call(&a, &ana, Method::GET, "/api/v1/me/applications", None).await;
        assert_eq!(mine["applications"][0]["status"], "accepted", "{mine}");
        assert_eq!(mine["applications"][0]["offer"]["ap_id"], network_ap.as_str());

        // Applying again is the same application: nothing new is sent.
        let (status, second) = call(&a, &ana, Method::POST, &format!("/api/v1/offers/{}/applications", a_offer.id), Some(apply.clone())).await;
        assert_eq!((status, &second["id"], second["status"].as_str()), (200, &application["id"], Some("accepted")));
        assert_eq!(queued(&a, "Offer").await, 1);
        assert_eq!(applications(&b, &b_offer).await.len(), 1);

        // The accepted guest can be credited with time on B's project; a stranger cannot.
        let today = chrono::Utc::now().date_naive().to_string();
        let (status, entry) = call(&b, &bea, Method::POST, &format!("/api/v1/projects/{project}/time"),
            Some(json!({ "member": format!("ana@{}", a.domain), "date": today, "hours": "3" }))).await;
        assert_eq!(status, 201, "{entry}");
        let (status, _) = call(&b, &bea, Method::POST, &format!("/api/v1/projects/{project}/time"),
            Some(json!({ "member": format!("carl@{}", c.domain), "date": today, "hours": "3" }))).await;
        assert_eq!(status, 422);

        // Withdrawal reaches B.
        let (status, withdrawn) = call(&a, &ana, Method::DELETE, &format!("/api/v1/offers/{}/applications/mine", a_offer.id), None).await;
        assert_eq!((status, withdrawn["status"].as_str()), (200, Some("withdrawn")), "{withdrawn}");
        wait_for("the withdrawal on B", DEADLINE, || async {
            applications(&b, &b_offer).await.into_iter().find(|a| a.status.as_str() == "withdrawn")
        })
        .await;
        let (status, _) = call(&a, &ana, Method::DELETE, &format!("/api/v1/offers/{}/applications/mine", a_offer.id), None).await;
        assert_eq!(status, 404, "nothing left to withdraw");

        // Filled: A and C keep it closed and no longer list it; removed: gone.
        let (status, closed) = call(&b, &bea, Method::POST, &format!("/api/v1/offers/{}/close", b_offer.id), Some(json!({ "status": "filled" }))).await;
        assert_eq!((status, closed["status"].as_str()), (200, Some("filled")), "{closed}");
        for instance in [&a, &c] {
            wait_for("the closed offer", DEADLINE, || async {
                stored(instance, &network_ap).await.filter(|o| o.status.as_str() == "filled").map(|_| ())
            })
            .await;
        }
        assert!(listed(&c, &carl, &network_ap).await.is_none());
        let b_public = stored(&b, &public_ap).await.unwrap();
        let (status, _) = call(&b, &bea, Method::DELETE, &format!("/api/v1/offers/{}", b_public.id), None).await;
        assert_eq!(status, 204);
        for instance in [&a, &c] {
            wait_for("the removed offer gone", DEADLINE, || async {
                stored(instance, &public_ap).await.is_none().then_some(())
            })
            .await;
        }
        wait_for("the Delete at the Mastodon peer", DEADLINE, || async {
            peer.received_of_type("Delete").into_iter().find(|d| d.body["object"]["id"] == public_ap.as_str())
        })
        .await;
        for instance in [a, b, c] {
            instance.stop().await;
        }
    }

    async fn invalid_offers_are_refused_with_the_field(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, false).await;
        coop.create_account("max", Role::Member, false).await;
        let (ana, max) = (coop.login_cookie("ana").await, coop.login_cookie("max").await);
        let (_, project) = call(&coop, &ana, Method::POST, "/api/v1/projects", Some(json!({ "name": "Web", "currency": "EUR" }))).await;
        let path = format!("/api/v1/projects/{}/offers", project["id"]);
        let base = offer_body("Rust", "network");
        for (change, field) in [
            (json!({ "title": " " }), "title"),
            (json!({ "title": "x".repeat(121) }), "title"),
            (json!({ "skills": [] }), "skills"),
            (json!({ "skills": ["---"] }), "skills"),
            (json!({ "positions": 0 }), "positions"),
            (json!({ "estimated_hours": 0 }), "estimated_hours"),
            (json!({ "compensation": "barter" }), "compensation"),
            (json!({ "currency": "EURO" }), "currency"),
            (json!({ "amount": "55.001" }), "amount"),
            (json!({ "amount": "-5" }), "amount"),
            (json!({ "compensation": "to_be_discussed" }), "amount"),
            (json!({ "period_end": "2027-01-01" }), "period_end"),
            (json!({ "application_deadline": "2027-07-01" }), "application_deadline"),
            (json!({ "period_start": "2027-02-30" }), "period_start"),
            (json!({ "audience": "coop" }), "audience"),
        ] {
            let mut body = base.clone();
            for (key, value) in change.as_object().unwrap() {
                body[key] = value.clone();
            }
            let (status, error) = call(&coop, &ana, Method::POST, &path, Some(body)).await;
            assert_eq!((status, error["field"].as_str()), (422, Some(field)), "{change}: {error}");
        }
        // Only the project's members publish from it.
        let (status, _) = call(&coop, &max, Method::POST, &path, Some(base.clone())).await;
        assert_eq!(status, 403);
        let (status, offer) = call(&coop, &ana, Method::POST, &path, Some(base)).await;
        assert_eq!(status, 201, "{offer}");
        // Our own offer is not applied to from here; bad applications are field errors.
        let apply = format!("/api/v1/offers/{}/applications", offer["id"]);
        let (status, _) = call(&coop, &max, Method::POST, &apply, Some(json!({ "hours_available": 10 }))).await;
        assert_eq!(status, 409);
        let (status, error) = call(&coop, &max, Method::POST, &apply, Some(json!({ "hours_available": 0 }))).await;
        assert_eq!((status, error["field"].as_str()), (422, Some("hours_available")));
        let (status, error) = call(&coop, &ana, Method::POST, &format!("/api/v1/offers/{}/close", offer["id"]), Some(json!({ "status": "expired" }))).await;
        assert_eq!((status, error["field"].as_str()), (422, Some("status")));
        let (status, _) = call(&coop, &ana, Method::GET, "/api/v1/offers/999999", None).await;
        assert_eq!(status, 404);
        coop.stop().await;
    }
}
