//! Skill listings across real instances: each reaches exactly whom its visibility allows, and
//! every change (update, narrowing, removal, leaving, unfollow, block) follows it there.

use cooperage_app::federation as operations;
use cooperage_db::skills::Listing;
use cooperage_domain::member::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{DEADLINE, MastodonPeer, TestInstance, wait_for};
use crate::support::{call, link};

/// Publishes a listing as the member of `cookie`; returns its row id and ActivityPub id.
async fn publish(
    instance: &TestInstance,
    cookie: &str,
    skill: &str,
    visibility: &str,
) -> (i64, String) {
    let body = json!({
        "skill": skill, "tags": ["Replication"], "level": "expert", "hours_per_week": 10,
        "available_from": "2027-01-01", "available_until": "2027-03-31",
        "description": format!("{skill} für Genossenschaften"), "visibility": visibility,
    });
    let (status, listing) =
        call(instance, cookie, Method::POST, "/api/v1/skills", Some(body)).await;
    assert_eq!(status, 201, "{listing}");
    (
        listing["id"].as_i64().unwrap(),
        listing["ap_id"].as_str().unwrap().to_owned(),
    )
}

async fn stored(instance: &TestInstance, ap_id: &str) -> Option<Listing> {
    let ap_id = ap_id.to_owned();
    instance
        .query(move |conn| cooperage_db::skills::by_ap_id(conn, &ap_id))
        .await
}

async fn wait_stored(instance: &TestInstance, ap_id: &str) -> Listing {
    wait_for(
        &format!("{ap_id} on {}", instance.domain),
        DEADLINE,
        || async { stored(instance, ap_id).await },
    )
    .await
}

async fn wait_gone(instance: &TestInstance, ap_id: &str) {
    wait_for(
        &format!("{ap_id} gone from {}", instance.domain),
        DEADLINE,
        || async { stored(instance, ap_id).await.is_none().then_some(()) },
    )
    .await;
}

/// The inboxes `instance` queued any activity naming `object` for.
async fn inboxes_sent(instance: &TestInstance, object: &str) -> Vec<String> {
    let pattern = format!("%{object}%");
    instance
        .query(move |conn| {
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::Text)]
                inbox: String,
            }
            let sql = "SELECT d.inbox FROM deliveries d JOIN outgoing_activities a ON a.id = d.activity_id WHERE a.payload LIKE ";
            let rows: Vec<Row> = match conn {
                cooperage_db::AnyConnection::Sqlite(c) => diesel::sql_query(format!("{sql}?"))
                    .bind::<diesel::sql_types::Text, _>(&pattern)
                    .load(c)?,
                cooperage_db::AnyConnection::Postgresql(c) => diesel::sql_query(format!("{sql}$1"))
                    .bind::<diesel::sql_types::Text, _>(&pattern)
                    .load(c)?,
            };
            Ok(rows.into_iter().map(|r| r.inbox).collect())
        })
        .await
}

/// A Mastodon-shaped follower of `actor` (a member's or the coop's actor id).
async fn mastodon_follows(peer: &MastodonPeer, instance: &TestInstance, actor: &str) {
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id(), "type": "Follow", "actor": peer.actor_id(), "object": actor,
    });
    let (status, body) = peer
        .post(&format!("{}/inbox", instance.base), &follow)
        .await;
    assert_eq!(status, 202, "{body}");
    wait_for("the Accept", DEADLINE, || async {
        peer.received_of_type("Accept")
            .iter()
            .any(|d| d.body["actor"] == actor)
            .then_some(())
    })
    .await;
}

fn received_object(peer: &MastodonPeer, kind: &str, object: &str) -> Option<Value> {
    peer.received_of_type(kind).into_iter().find_map(|d| {
        let id = d.body["object"]["id"]
            .as_str()
            .or(d.body["object"].as_str())
            .unwrap_or_default()
            .to_owned();
        (id == object).then_some(d.body)
    })
}

backend_tests! {
    async fn listings_reach_whom_their_visibility_allows(db) {
        let (db_b, db_c) = (db.sibling(), db.sibling());
        let a = TestInstance::start_named(&db, "nord").await;
        let b = TestInstance::start_named(&db_b, "sued").await;
        let c = TestInstance::start_named(&db_c, "west").await;
        let bea = b.create_account("bea", Role::Member, true).await;
        let cookie = b.login_cookie("bea").await;
        link(&[(&a, &b), (&b, &c)]).await;
        let peer = MastodonPeer::start(None).await;
        mastodon_follows(&peer, &b, &bea).await;
        mastodon_follows(&peer, &b, &b.coop_id()).await;

        let (_, coop_only) = publish(&b, &cookie, "Buchhaltung", "coop").await;
        let (network_id, network_only) = publish(&b, &cookie, "PostgreSQL", "network").await;
        let (public_id, public) = publish(&b, &cookie, "Rust", "public").await;

        // The network has the network and public listings, with their facts.
        for instance in [&a, &c] {
            let listing = wait_stored(instance, &network_only).await;
            assert_eq!(listing.label, "PostgreSQL");
            assert_eq!(listing.tag_list(), ["postgresql", "replication"]);
            assert_eq!(listing.available_until.as_deref(), Some("2027-03-31"));
            assert_eq!(listing.description, "PostgreSQL für Genossenschaften");
            assert!(listing.coop_actor_id.is_some(), "known by its coop");
            wait_stored(instance, &public).await;
        }
        // The Mastodon follower gets the public one as a Note with hashtags, and the coop's boost.
        let note = wait_for("the public listing at the Mastodon peer", DEADLINE, || async {
            received_object(&peer, "Create", &public)
        })
        .await;
        assert_eq!(note["object"]["type"], "Note");
        let tags: Vec<_> = note["object"]["tag"].as_array().unwrap().iter().map(|t| t["name"].clone()).collect();
        assert_eq!(tags, [json!("#rust"), json!("#replication")]);
        assert!(note["object"]["content"].as_str().unwrap().contains("<strong>Rust</strong>"));
        wait_for("the coop's Announce", DEADLINE, || async { received_object(&peer, "Announce", &public) }).await;

        // A coop listing was never queued for anyone; a network one never for the Mastodon peer.
        assert!(inboxes_sent(&b, &coop_only).await.is_empty());
        let network_inboxes = inboxes_sent(&b, &network_only).await;
        assert!(!network_inboxes.is_empty() && network_inboxes.iter().all(|i| !i.contains(&peer.domain())), "{network_inboxes:?}");
        assert!(stored(&a, &coop_only).await.is_none() && stored(&c, &coop_only).await.is_none());
        // Fetched without a network coop's signature: only the public one answers.
        let get = |id: String| {
            let http = b.http.clone();
            async move { http.get(&id).header("accept", "application/activity+json").send().await.unwrap().status().as_u16() }
        };
        assert_eq!(get(public.clone()).await, 200);
        assert_eq!(get(network_only.clone()).await, 404);
        assert_eq!(get(coop_only.clone()).await, 404);

        // Updates propagate; narrowing takes a listing back from whoever may no longer see it.
        let change = |skill: &str, visibility: &str| json!({
            "skill": skill, "level": "practitioner", "hours_per_week": 20, "visibility": visibility,
            "description": "Neu: auch Logical Replication",
        });
        let (status, _) = call(&b, &cookie, Method::PUT, &format!("/api/v1/skills/{network_id}"), Some(change("PostgreSQL", "network"))).await;
        assert_eq!(status, 200);
        wait_for("the update on A", DEADLINE, || async {
            stored(&a, &network_only).await.filter(|l| l.hours_per_week == 20).map(|_| ())
        })
        .await;
        assert_eq!(stored(&a, &network_only).await.unwrap().description, "Neu: auch Logical Replication");
        // public → network: the Mastodon follower gets a Delete, the network keeps it.
        let (status, _) = call(&b, &cookie, Method::PUT, &format!("/api/v1/skills/{public_id}"), Some(change("Rust", "network"))).await;
        assert_eq!(status, 200);
        wait_for("the Delete at the Mastodon peer", DEADLINE, || async { received_object(&peer, "Delete", &public) }).await;
        wait_for("the narrowed listing on C", DEADLINE, || async {
            stored(&c, &public).await.filter(|l| l.visibility.as_str() == "network").map(|_| ())
        })
        .await;
        // network → coop: gone from the network.
        let (status, _) = call(&b, &cookie, Method::PUT, &format!("/api/v1/skills/{network_id}"), Some(change("PostgreSQL", "coop"))).await;
        assert_eq!(status, 200);
        wait_gone(&a, &network_only).await;
        wait_gone(&c, &network_only).await;
        // Removed: gone everywhere.
        let (status, _) = call(&b, &cookie, Method::DELETE, &format!("/api/v1/skills/{public_id}"), None).await;
        assert_eq!(status, 204);
        wait_gone(&a, &public).await;
        wait_gone(&c, &public).await;
        for instance in [a, b, c] {
            instance.stop().await;
        }
    }

    async fn a_coop_that_joins_late_is_backfilled_and_leaving_cleans_up(db) {
        let (db_b, db_c) = (db.sibling(), db.sibling());
        let a = TestInstance::start_named(&db, "nord").await;
        let b = TestInstance::start_named(&db_b, "sued").await;
        let c = TestInstance::start_named(&db_c, "west").await;
        b.create_account("ana", Role::Member, true).await;
        b.create_account("bea", Role::Candidate, false).await;
        let (admin, bea) = (b.login_cookie("ana").await, b.login_cookie("bea").await);
        // Listed before anyone is in B's network.
        let (_, network_only) = publish(&b, &bea, "Elixir", "network").await;
        let (_, public) = publish(&b, &bea, "Gestaltung", "public").await;
        let (_, coop_only) = publish(&b, &bea, "Kassenprüfung", "coop").await;

        // A and C join B's network later: B's listings fill their directories.
        link(&[(&a, &b), (&c, &b)]).await;
        for instance in [&a, &c] {
            wait_stored(instance, &network_only).await;
            wait_stored(instance, &public).await;
        }
        assert!(stored(&a, &coop_only).await.is_none());

        // C unfollows B: B's listings leave C's directory.
        operations::unfollow(c.app(), &b.coop_id()).await.expect("unfollow");
        assert!(stored(&c, &network_only).await.is_none() && stored(&c, &public).await.is_none());
        // B's member leaves her coop: A forgets her listings.
        let (status, body) = call(&b, &admin, Method::PATCH, "/api/v1/members/bea", Some(json!({ "status": "left" }))).await;
        assert_eq!(status, 200, "{body}");
        wait_gone(&a, &network_only).await;
        wait_gone(&a, &public).await;
        assert!(stored(&b, &network_only).await.is_none(), "gone at home too");

        // A blocks B's host: what B's members listed is gone from A.
        let (_, again) = publish(&b, &admin, "Moderation", "network").await;
        wait_stored(&a, &again).await;
        operations::block_host(a.app(), &b.domain, Some("test".into())).await.unwrap();
        assert!(stored(&a, &again).await.is_none());
        for instance in [a, b, c] {
            instance.stop().await;
        }
    }

    async fn invalid_listings_are_refused_with_the_field(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, false).await;
        let cookie = coop.login_cookie("ana").await;
        let base = json!({ "skill": "Rust", "level": "expert", "hours_per_week": 10 });
        for (change, field) in [
            (json!({ "skill": "  " }), "skill"),
            (json!({ "skill": "x".repeat(81) }), "skill"),
            (json!({ "hours_per_week": 0 }), "hours_per_week"),
            (json!({ "hours_per_week": 81 }), "hours_per_week"),
            (json!({ "level": "guru" }), "level"),
            (json!({ "work_mode": "moon" }), "work_mode"),
            (json!({ "visibility": "secret" }), "visibility"),
            (json!({ "available_from": "2027-02-30" }), "available_from"),
            (json!({ "available_from": "2027-03-01", "available_until": "2027-02-01" }), "available_until"),
        ] {
            let mut body = base.clone();
            for (key, value) in change.as_object().unwrap() {
                body[key] = value.clone();
            }
            let (status, error) = call(&coop, &cookie, Method::POST, "/api/v1/skills", Some(body)).await;
            assert_eq!((status, error["field"].as_str()), (422, Some(field)), "{change}: {error}");
        }
        let (status, _) = call(&coop, &cookie, Method::POST, "/api/v1/skills", Some(json!({ "skill": "Rust" }))).await;
        assert_eq!(status, 422, "missing fields are a client's mistake");
        let (status, mine) = call(&coop, &cookie, Method::GET, "/api/v1/skills", None).await;
        assert_eq!((status, mine["skills"].as_array().map(Vec::len)), (200, Some(0)));
    }
}
