//! Follow approval, removing followers, host blocks, and what followed actors post.

use cooperage_app::federation as operations;
use cooperage_db::{actors, follows, posts};
use serde_json::{Value, json};

use crate::support::{DEADLINE, MastodonPeer, TestInstance, wait_for};

fn activity(peer: &MastodonPeer, kind: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id(), "type": kind, "actor": peer.actor_id(), "object": object,
    })
}

async fn follower_state(coop: &TestInstance, peer: &MastodonPeer) -> Option<String> {
    let peer_id = peer.actor_id();
    coop.query(move |conn| {
        let (Some(alice), Some(coop)) = (
            actors::by_ap_id(conn, &peer_id)?,
            actors::local_by_username(conn, "coop")?,
        ) else {
            return Ok(None);
        };
        Ok(follows::between(conn, alice.id, coop.id)?.map(|f| f.state))
    })
    .await
}

backend_tests! {
    async fn followers_wait_for_approval_and_can_be_rejected_or_removed(db) {
        let coop = TestInstance::start(&db).await;
        let response = coop
            .admin(reqwest::Method::PUT, "/api/v1/admin/actors/coop/approval")
            .json(&json!({ "manually_approves_followers": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let actor: Value = coop
            .http
            .get(coop.coop_id())
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(actor["manuallyApprovesFollowers"], true);

        let peer = MastodonPeer::start(None).await;
        let follow = activity(&peer, "Follow", json!(coop.coop_id()));
        let (status, _) = peer.post(&format!("{}/inbox", coop.coop_id()), &follow).await;
        assert_eq!(status, 202);
        assert_eq!(follower_state(&coop, &peer).await.as_deref(), Some("pending"));
        let (status, body) = coop.get_json_with_admin("/api/v1/admin/follow-requests").await;
        assert_eq!(status, 200);
        assert_eq!(body["pending"][0]["id"], peer.actor_id());
        assert!(peer.received_of_type("Accept").is_empty(), "no Accept before approval");

        let response = coop
            .admin(reqwest::Method::POST, "/api/v1/admin/follow-requests/accept")
            .json(&json!({ "follower": peer.actor_id() }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let accept = wait_for("the Accept", DEADLINE, || async { peer.received_of_type("Accept").into_iter().next() }).await;
        assert_eq!(accept.body["object"]["id"], follow["id"]);
        assert!(accept.signature_verified);
        assert_eq!(follower_state(&coop, &peer).await.as_deref(), Some("accepted"));

        // Removing a follower is a Reject of its Follow.
        operations::answer_follower(coop.app(), "coop", &peer.actor_id(), false).await.unwrap();
        let reject = wait_for("the Reject", DEADLINE, || async { peer.received_of_type("Reject").into_iter().next() }).await;
        assert_eq!(reject.body["object"]["id"], follow["id"]);
        assert_eq!(follower_state(&coop, &peer).await, None);
        coop.stop().await;
    }

    async fn posts_of_followed_actors_are_stored_edited_and_deleted(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        // Before anyone here follows alice, her posts are not kept.
        let note_id = peer.new_id();
        let note = |content: &str| json!({
            "id": note_id, "type": "Note", "attributedTo": peer.actor_id(), "content": content,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        });
        let inbox = format!("{}/inbox", coop.base);
        let (status, _) = peer.post(&inbox, &activity(&peer, "Create", note("<p>early</p>"))).await;
        assert_eq!(status, 202);
        assert_eq!(coop.query(posts::count_remote).await, 0);

        operations::follow(coop.app(), &peer.actor_id()).await.unwrap();
        let follow = wait_for("the Follow", DEADLINE, || async { peer.received_of_type("Follow").into_iter().next() }).await;
        assert!(follow.signature_verified, "{:?}", follow.signature_error);
        let (status, _) = peer.post(&format!("{}/inbox", coop.coop_id()), &activity(&peer, "Accept", follow.body.clone())).await;
        assert_eq!(status, 202);

        let (status, _) = peer
            .post(&inbox, &activity(&peer, "Create", note("<p onclick=\"x()\">Hallo <script>alert(1)</script><b>Welt</b></p>")))
            .await;
        assert_eq!(status, 202);
        let id = note_id.clone();
        let stored = coop.query(move |conn| posts::by_ap_id(conn, &id)).await.expect("stored");
        assert_eq!(stored.content, "<p>Hallo <b>Welt</b></p>", "sanitized");

        let (status, _) = peer.post(&inbox, &activity(&peer, "Update", note("<p>Hallo, bearbeitet</p>"))).await;
        assert_eq!(status, 202);
        let id = note_id.clone();
        let edited = coop.query(move |conn| posts::by_ap_id(conn, &id)).await.expect("stored");
        assert_eq!(edited.content, "<p>Hallo, bearbeitet</p>");
        assert!(edited.updated.is_some());

        let (status, _) = peer.post(&inbox, &activity(&peer, "Delete", json!({ "id": note_id, "type": "Tombstone" }))).await;
        assert_eq!(status, 202);
        // A replayed Create does not bring it back.
        let (status, _) = peer.post(&inbox, &activity(&peer, "Create", note("<p>again</p>"))).await;
        assert_eq!(status, 202);
        let id = note_id.clone();
        let deleted = coop.query(move |conn| posts::by_ap_id(conn, &id)).await.expect("tombstone");
        assert!(deleted.deleted_at.is_some());
        assert_eq!(deleted.content, "");

        // A Note claiming another author, or living on another host, is refused.
        let mut forged = note("<p>x</p>");
        forged["id"] = json!(peer.new_id());
        forged["attributedTo"] = json!("http://localhost:1/users/mallory");
        let (status, _) = peer.post(&inbox, &activity(&peer, "Create", forged)).await;
        assert_eq!(status, 400);
        let mut elsewhere = note("<p>x</p>");
        elsewhere["id"] = json!("http://elsewhere.example/notes/1");
        let (status, _) = peer.post(&inbox, &activity(&peer, "Create", elsewhere)).await;
        assert_eq!(status, 400);
        coop.stop().await;
    }

    async fn blocking_a_host_removes_its_follows_and_stops_deliveries(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        let (status, _) = peer.post(&format!("{}/inbox", coop.coop_id()), &activity(&peer, "Follow", json!(coop.coop_id()))).await;
        assert_eq!(status, 202);
        assert_eq!(follower_state(&coop, &peer).await.as_deref(), Some("accepted"));
        operations::block_host(coop.app(), &peer.domain(), Some("spam".into())).await.unwrap();
        assert_eq!(follower_state(&coop, &peer).await, None);
        let blocked = operations::hosts_with_policy(coop.app(), "block").await.unwrap();
        assert_eq!(blocked[0].host, peer.domain());
        // Not fetched either: following an actor there is refused.
        let error = operations::follow(coop.app(), &format!("alice@{}", peer.domain())).await.unwrap_err();
        assert!(matches!(error, cooperage_app::Error::Federation(ref e) if e.status() == 403), "{error}");
        // Unblocked, it may follow again.
        operations::clear_host_policy(coop.app(), &peer.domain()).await.unwrap();
        let (status, _) = peer.post(&format!("{}/inbox", coop.coop_id()), &activity(&peer, "Follow", json!(coop.coop_id()))).await;
        assert_eq!(status, 202);
        coop.stop().await;
    }

    async fn allowlist_mode_federates_only_with_allowed_hosts(db) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut config = TestInstance::config(&db, listener.local_addr().unwrap().port());
        config.federation.allowlist_only = true;
        let coop = TestInstance::start_with(config, listener).await;
        let peer = MastodonPeer::start(None).await;
        let follow = activity(&peer, "Follow", json!(coop.coop_id()));
        let (status, _) = peer.post(&format!("{}/inbox", coop.coop_id()), &follow).await;
        assert_eq!(status, 403);
        operations::allow_host(coop.app(), &peer.domain()).await.unwrap();
        let (status, body) = peer.post(&format!("{}/inbox", coop.coop_id()), &follow).await;
        assert_eq!(status, 202, "{body}");
        coop.stop().await;
    }
}
