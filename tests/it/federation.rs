//! Federation between real instances, and with a Mastodon-shaped peer, over loopback.

use cooperage_app::federation as operations;
use cooperage_db::{actors, follows, posts, received};
use serde_json::{Value, json};

use crate::support::{DEADLINE, MastodonPeer, TestInstance, wait_for};

/// Waits until `instance` has stored the post `ap_id`.
async fn wait_for_post(instance: &TestInstance, ap_id: &str) -> posts::Post {
    let ap_id = ap_id.to_owned();
    wait_for("the post to arrive", DEADLINE, || {
        let ap_id = ap_id.clone();
        async move {
            instance
                .query(move |conn| posts::by_ap_id(conn, &ap_id))
                .await
        }
    })
    .await
}

/// Waits until the follow from `follower` (a local coop) to actor `followed` is accepted.
async fn wait_for_accepted(instance: &TestInstance, follower: &str, followed: &str) {
    let (follower, followed) = (follower.to_owned(), followed.to_owned());
    wait_for("the follow to be accepted", DEADLINE, || {
        let (follower, followed) = (follower.clone(), followed.clone());
        async move {
            instance
                .query(move |conn| {
                    let (Some(a), Some(b)) = (
                        actors::by_ap_id(conn, &follower)?,
                        actors::by_ap_id(conn, &followed)?,
                    ) else {
                        return Ok(None);
                    };
                    Ok(
                        follows::between(conn, a.id, b.id)?
                            .filter(|f| f.state == follows::ACCEPTED),
                    )
                })
                .await
        }
    })
    .await;
}

backend_tests! {
    // Done-when 1: coop A follows coop B by handle through WebFinger; B accepts; B posts; A
    // stores the post. Then they follow each other and each lists the other as its network.
    async fn a_coop_follows_another_by_handle_and_stores_its_posts(db) {
        let db_b = db.sibling();
        let a = TestInstance::start_named(&db, "nord").await;
        let b = TestInstance::start_named(&db_b, "sued").await;

        let response = a
            .admin(reqwest::Method::POST, "/api/v1/admin/federation/follows")
            .json(&json!({ "target": b.coop_handle() }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
        wait_for_accepted(&a, &a.coop_id(), &b.coop_id()).await;

        let note_id = cooperage_app::posts::publish_note(b.app(), "sued", "Wir suchen Rust-Leute für ein #Genossenschaft Projekt <3")
            .await
            .expect("publish")
            .id;
        let post = wait_for_post(&a, &note_id).await;
        // The hashtag arrives as a link (its class and rel are ours to set, not the sender's).
        assert!(
            post.content.starts_with("<p>Wir suchen Rust-Leute für ein <a href=\"")
                && post.content.ends_with("/tags/genossenschaft\" rel=\"nofollow noopener noreferrer\">#<span>Genossenschaft</span></a> Projekt &lt;3</p>"),
            "{}",
            post.content
        );
        assert!(!post.local);

        // B follows A back: now they are each other's network.
        operations::follow(b.app(), &a.coop_handle()).await.expect("follow back");
        wait_for_accepted(&b, &b.coop_id(), &a.coop_id()).await;
        let network = operations::network(a.app()).await.unwrap();
        assert_eq!(network.iter().map(|c| c.ap_id.as_str()).collect::<Vec<_>>(), [b.coop_id()]);
        let (status, body) = a.get_json_with_admin("/api/v1/admin/federation/network").await;
        assert_eq!(status, 200);
        assert_eq!(body["network"][0]["id"], b.coop_id());

        // A unfollows: B no longer lists A as a follower.
        operations::unfollow(a.app(), &b.coop_id()).await.expect("unfollow");
        let b_coop = b.coop_id();
        wait_for("B to drop the follower", DEADLINE, || {
            let b_coop = b_coop.clone();
            async {
                let count = b.query(move |conn| {
                    let coop = actors::by_ap_id(conn, &b_coop)?.expect("coop");
                    follows::count_followers(conn, coop.id)
                }).await;
                (count == 0).then_some(())
            }
        }).await;
        a.stop().await;
        b.stop().await;
    }

    // Done-when 2: a Mastodon-shaped peer follows a member and the coop, gets signed Accepts
    // that embed its Follow, receives the coop's next post addressed to Public and followers,
    // and its Undo removes the follow.
    async fn a_mastodon_peer_follows_gets_accepts_and_posts_and_undoes(db) {
        let coop = TestInstance::start(&db).await;
        let member = cooperage_federation::local_actors::ensure_member(coop.federation(), "maria", Some("María".into()))
            .await
            .expect("member");
        let peer = MastodonPeer::start(None).await;

        let mut follow_ids = Vec::new();
        for target in [coop.coop_id(), member.ap_id.clone()] {
            let follow_id = peer.new_id();
            let follow = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": follow_id, "type": "Follow", "actor": peer.actor_id(), "object": target,
            });
            let (status, body) = peer.post(&format!("{target}/inbox"), &follow).await;
            assert_eq!(status, 202, "{body}");
            follow_ids.push(follow_id);
        }
        // We fetched alice's actor to check her signature: with a GET signed by our instance
        // actor, which her server verified.
        let fetches = peer.signed_fetches();
        assert!(!fetches.is_empty(), "the actor fetch was not signed");
        for (key_id, verdict) in &fetches {
            assert_eq!(key_id, &format!("http://{}/actors/instance.actor#main-key", coop.domain));
            assert!(verdict.is_ok(), "{verdict:?}");
        }

        let accepts = wait_for("two Accepts", DEADLINE, || async {
            let accepts = peer.received_of_type("Accept");
            (accepts.len() >= 2).then_some(accepts)
        })
        .await;
        for accept in &accepts {
            assert!(accept.signature_verified, "Accept signature: {:?}", accept.signature_error);
            assert_eq!(accept.path, "/users/alice/inbox", "Accepts go to the personal inbox");
            let embedded = &accept.body["object"];
            assert_eq!(embedded["type"], "Follow");
            assert_eq!(embedded["actor"], peer.actor_id());
            assert!(follow_ids.contains(&embedded["id"].as_str().unwrap().to_owned()));
            assert_eq!(accept.body["actor"], embedded["object"], "signed by the followed actor");
        }

        let note_id = cooperage_app::posts::publish_note(coop.app(), "coop", "Offene Stelle: Backend").await.unwrap().id;
        let create = wait_for("the Create", DEADLINE, || async {
            peer.received_of_type("Create").into_iter().next()
        })
        .await;
        assert!(create.signature_verified, "{:?}", create.signature_error);
        assert_eq!(create.path, "/inbox", "posts go to the shared inbox");
        assert_eq!(create.body["object"]["id"], note_id.as_str());
        assert_eq!(create.body["to"], json!(["https://www.w3.org/ns/activitystreams#Public"]));
        assert_eq!(create.body["cc"], json!([format!("{}/followers", coop.coop_id())]));
        assert_eq!(create.body["object"]["attributedTo"], coop.coop_id());

        // Undo the coop follow by id; the member follow by actor+object (no matching id).
        let undo = |object: Value| json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.new_id(), "type": "Undo", "actor": peer.actor_id(), "object": object,
        });
        let (status, _) = peer.post(&format!("{}/inbox", coop.base), &undo(json!(follow_ids[0]))).await;
        assert_eq!(status, 202);
        let by_pair = json!({ "id": peer.new_id(), "type": "Follow", "actor": peer.actor_id(), "object": member.ap_id });
        let (status, _) = peer.post(&format!("{}/inbox", coop.base), &undo(by_pair)).await;
        assert_eq!(status, 202);
        let peer_id = peer.actor_id();
        let remaining = coop.query(move |conn| {
            let alice = actors::by_ap_id(conn, &peer_id)?.expect("peer known");
            follows::following(conn, alice.id, 0, 10)
        }).await;
        assert!(remaining.is_empty(), "follows left: {remaining:?}");
        coop.stop().await;
    }

    // Done-when 4: the same activity delivered twice has one effect.
    async fn a_duplicate_delivery_has_one_effect(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.new_id(), "type": "Follow", "actor": peer.actor_id(), "object": coop.coop_id(),
        });
        for _ in 0..2 {
            let (status, body) = peer.post(&format!("{}/inbox", coop.coop_id()), &follow).await;
            assert_eq!(status, 202, "{body}");
        }
        wait_for("an Accept", DEADLINE, || async { (!peer.received_of_type("Accept").is_empty()).then_some(()) }).await;
        let queued = coop.query(cooperage_db::deliveries::queue_by_host).await;
        let accepts: i64 = queued.iter().map(|h| h.pending + h.delivered + h.failed).sum();
        assert_eq!(accepts, 1, "one Accept queued for two identical Follows: {queued:?}");
        assert_eq!(coop.query(received::count).await, 1);

        // A new Follow (new id) from a known follower is accepted again.
        let again = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.new_id(), "type": "Follow", "actor": peer.actor_id(), "object": coop.coop_id(),
        });
        let (status, _) = peer.post(&format!("{}/inbox", coop.coop_id()), &again).await;
        assert_eq!(status, 202);
        wait_for("a second Accept", DEADLINE, || async { (peer.received_of_type("Accept").len() == 2).then_some(()) }).await;
        coop.stop().await;
    }
}
