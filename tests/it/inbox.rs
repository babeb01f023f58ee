//! The inbox trusts nothing: every way a POST can be wrong is refused, and leaves no trace.

use cooperage_db::{follows, posts, received};
use serde_json::{Value, json};

use crate::support::mastodon::{SignedPost, send};
use crate::support::{MastodonPeer, TestInstance};

/// What a refused request must not have left behind.
async fn assert_no_trace(coop: &TestInstance) {
    let (received, posts, followers) = coop
        .query(|conn| {
            let coop = cooperage_db::actors::local_by_username(conn, "coop")?.expect("coop");
            Ok((
                received::count(conn)?,
                posts::count_remote(conn)?,
                follows::count_followers(conn, coop.id)?,
            ))
        })
        .await;
    assert_eq!(
        (received, posts, followers),
        (0, 0, 0),
        "(received activities, posts, followers)"
    );
}

fn follow(peer: &MastodonPeer, coop: &TestInstance) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id(), "type": "Follow", "actor": peer.actor_id(), "object": coop.coop_id(),
    })
}

async fn expect_status(coop: &TestInstance, request: SignedPost, expected: u16, needle: &str) {
    let (status, body) = send(&coop.http, request).await;
    assert_eq!(status, expected, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "message {message:?} lacks {needle:?}"
    );
    assert_no_trace(coop).await;
}

backend_tests! {
    // Done-when 3: tampered body, wrong Digest, stale Date, unknown key, signer ≠ actor,
    // blocked domain: each refused with the right status, nothing stored.
    async fn forged_or_unwanted_posts_are_refused_and_leave_no_trace(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        let inbox = format!("{}/inbox", coop.base);
        let body = |activity: &Value| serde_json::to_vec(activity).unwrap();

        // Tampered body: signed, then changed in transit.
        let mut request = peer.signed_post(&inbox, body(&follow(&peer, &coop)), None);
        request.body = body(&json!({ "type": "Follow", "id": peer.new_id(), "actor": peer.actor_id(), "object": "x" }));
        expect_status(&coop, request, 401, "digest").await;

        // A Digest that does not match the body (and a signature over that Digest).
        let mut request = peer.signed_post(&inbox, body(&follow(&peer, &coop)), None);
        request.set_header("digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into());
        expect_status(&coop, request, 401, "digest").await;

        // Signed two hours ago.
        let stale = httpdate::fmt_http_date(std::time::SystemTime::now() - std::time::Duration::from_secs(7200));
        let request = peer.signed_post(&inbox, body(&follow(&peer, &coop)), Some(stale));
        expect_status(&coop, request, 401, "expired").await;
        // None of these made the coop fetch the sender's key: refused before any I/O.
        assert!(peer.signed_fetches().is_empty(), "{:?}", peer.signed_fetches());

        // A keyId nobody serves.
        let mut request = peer.signed_post(&inbox, body(&follow(&peer, &coop)), None);
        let signature = request.headers.iter().find(|(n, _)| n == "signature").unwrap().1.clone();
        let unknown = format!("http://localhost:{}/users/nobody#main-key", peer.port);
        request.set_header("signature", signature.replace(&format!("{}#main-key", peer.actor_id()), &unknown));
        expect_status(&coop, request, 401, "").await;

        // Signed by alice, claiming to be bob.
        let mut forged = follow(&peer, &coop);
        forged["actor"] = json!(format!("http://localhost:{}/users/bob", peer.port));
        let request = peer.signed_post(&inbox, body(&forged), None);
        expect_status(&coop, request, 401, "signed by").await;

        // Not signed at all.
        let (status, _) = send(&coop.http, SignedPost {
            url: inbox.clone(),
            headers: vec![("content-type".into(), "application/activity+json".into())],
            body: body(&follow(&peer, &coop)),
        }).await;
        assert_eq!(status, 401);

        // An activity id on another host than its actor.
        let mut foreign = follow(&peer, &coop);
        foreign["id"] = json!("http://elsewhere.example/follow/1");
        let request = peer.signed_post(&inbox, body(&foreign), None);
        expect_status(&coop, request, 403, "host").await;

        // Over 1 MiB: refused before anything else.
        let huge = vec![b' '; 1024 * 1024 + 10];
        let response = coop.http.post(&inbox).header("content-type", "application/activity+json").body(huge).send().await.unwrap();
        assert_eq!(response.status(), 413);

        // A blocked host, even correctly signed.
        let response = coop
            .admin(reqwest::Method::PUT, &format!("/api/v1/admin/federation/hosts/{}", peer.domain()))
            .json(&json!({ "policy": "block", "reason": "spam" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let request = peer.signed_post(&inbox, body(&follow(&peer, &coop)), None);
        expect_status(&coop, request, 403, "blocked").await;
        coop.stop().await;
    }

    async fn unknown_activity_types_are_accepted_and_ignored(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        let like = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.new_id(), "type": "Like", "actor": peer.actor_id(), "object": coop.coop_id(),
            "proof": { "type": "DataIntegrityProof", "proofValue": "z..." },
            "signature": { "type": "RsaSignature2017", "signatureValue": "..." },
        });
        let (status, body) = peer.post(&format!("{}/inbox", coop.base), &like).await;
        assert_eq!(status, 202, "{body}");
        // A Create of an object kind we do not know from someone nobody here follows.
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.new_id(), "type": "Create", "actor": peer.actor_id(),
            "object": { "id": peer.new_id(), "type": "Hologram", "attributedTo": peer.actor_id() },
        });
        let (status, _) = peer.post(&format!("{}/inbox", coop.base), &create).await;
        assert_eq!(status, 202);
        let stored = coop.query(posts::count_remote).await;
        assert_eq!(stored, 0);
        // Signed garbage is a 400.
        let request = peer.signed_post(&format!("{}/inbox", coop.base), b"{not json".to_vec(), None);
        let (status, _) = send(&coop.http, request).await;
        assert_eq!(status, 400);
        coop.stop().await;
    }

    // RFC 9421 signatures (Fedify's first knock, Mastodon 4.5+) verify too, and tampering with
    // them is caught.
    async fn rfc9421_signed_posts_are_accepted(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        // Signed for the instance's public URL, as a real peer addresses it.
        let inbox = format!("http://{}/inbox", coop.domain);

        let mut tampered = peer.rfc9421_post(&inbox, serde_json::to_vec(&follow(&peer, &coop)).unwrap());
        tampered.body = serde_json::to_vec(&follow(&peer, &coop)).unwrap();
        expect_status(&coop, tampered, 401, "digest").await;

        let request = peer.rfc9421_post(&inbox, serde_json::to_vec(&follow(&peer, &coop)).unwrap());
        let (status, body) = send(&coop.http, request).await;
        assert_eq!(status, 202, "{body}");
        crate::support::wait_for("the Accept", crate::support::DEADLINE, || async {
            (!peer.received_of_type("Accept").is_empty()).then_some(())
        })
        .await;
        coop.stop().await;
    }
}

/// Group commit: a batch holds many senders' activities; one sender's fault is its own.
mod batches {
    use super::*;

    backend_tests! {
        // Issue 9, item 3: one activity with text PostgreSQL cannot store, among many clean ones
        // arriving at once (so in the same group-commit batches), is refused on its own.
        async fn a_nul_activity_among_clean_ones_fails_alone(db) {
            let coop = TestInstance::start(&db).await;
            let peer = MastodonPeer::start(None).await;
            let inbox = format!("{}/inbox", coop.base);
            // Posts are kept only from followed authors: the coop follows the peer.
            cooperage_app::federation::follow(coop.app(), &peer.actor_id()).await.expect("follow");
            let peer_id = peer.actor_id();
            coop.query(move |conn| {
                let coop = cooperage_db::actors::local_by_username(conn, "coop")?.unwrap();
                let alice = cooperage_db::actors::by_ap_id(conn, &peer_id)?.unwrap();
                let follow = follows::between(conn, coop.id, alice.id)?.unwrap();
                follows::accept(conn, follow.id)
            })
            .await;
            let create = |content: &str| {
                let id = peer.new_id();
                json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("{id}/activity"), "type": "Create", "actor": peer.actor_id(),
                    "object": { "id": id, "type": "Note", "attributedTo": peer.actor_id(), "content": content },
                })
            };
            let mut activities: Vec<Value> = (0..60).map(|n| create(&format!("<p>clean {n}</p>"))).collect();
            activities.insert(30, create("<p>nul \u{0} inside</p>"));
            let statuses = futures::future::join_all(activities.iter().map(|a| peer.post(&inbox, a))).await;
            let refused: Vec<usize> = statuses.iter().enumerate().filter(|(_, (s, _))| *s != 202).map(|(i, _)| i).collect();
            assert_eq!(refused, [30], "only the NUL activity is refused: {statuses:?}");
            assert_eq!(statuses[30].0, 400, "{}", statuses[30].1);
            let stored = coop.query(posts::count_remote).await;
            assert_eq!(stored, 60);
        }
    }
}
