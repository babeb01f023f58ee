//! Deliveries survive a receiver that is down and a sender that restarts, and several workers
//! on one database deliver each activity once.

use cooperage_db::deliveries;
use serde_json::json;
use tokio::net::TcpListener;

use crate::support::{DEADLINE, MastodonPeer, TestDb, TestInstance, wait_for};

/// The peer follows the coop and waits for the Accept.
async fn peer_follows(peer: &MastodonPeer, coop: &TestInstance) {
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id(), "type": "Follow", "actor": peer.actor_id(), "object": coop.coop_id(),
    });
    let (status, body) = peer
        .post(&format!("{}/inbox", coop.coop_id()), &follow)
        .await;
    assert_eq!(status, 202, "{body}");
    wait_for("the Accept", DEADLINE, || async {
        (!peer.received_of_type("Accept").is_empty()).then_some(())
    })
    .await;
}

async fn delivery_states(coop: &TestInstance, activity: &str) -> Vec<String> {
    let activity = activity.to_owned();
    coop.query(move |conn| deliveries::states_of(conn, &activity))
        .await
}

backend_tests! {
    // Done-when 5: the receiver is down while the coop posts; the coop restarts; the receiver
    // comes back and gets the post exactly once.
    async fn a_post_reaches_a_peer_that_was_down_across_a_restart(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        peer_follows(&peer, &coop).await;

        let (port, key, received) = peer.stop().await;
        let note = cooperage_app::posts::publish_note(coop.app(), "coop", "Während du weg warst").await.unwrap().id;
        let create = format!("{note}/activity");
        // The first attempt fails (connection refused) and is scheduled again.
        wait_for("a failed attempt", DEADLINE, || {
            let coop = &coop;
            let create = create.clone();
            async move {
                let queue = coop.query(deliveries::queue_by_host).await;
                let failing = queue.iter().any(|h| h.pending == 1 && h.last_error.is_some());
                let states = delivery_states(coop, &create).await;
                (failing && states == ["pending"]).then_some(())
            }
        })
        .await;

        let coop = coop.restart().await;
        let peer = MastodonPeer::restart(port, key, received).await;
        wait_for("the delivery to complete", DEADLINE, || async {
            (delivery_states(&coop, &create).await == ["done"]).then_some(())
        })
        .await;
        let creates: Vec<_> = peer.received_of_type("Create").into_iter().filter(|d| d.body["id"] == create.as_str()).collect();
        assert_eq!(creates.len(), 1, "delivered exactly once");
        assert!(creates[0].signature_verified, "{:?}", creates[0].signature_error);
        coop.stop().await;
    }

    // Finished deliveries and old activity ids are pruned; pending deliveries never are.
    async fn old_records_are_pruned_but_pending_deliveries_stay(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        peer_follows(&peer, &coop).await; // one received Follow, one delivered Accept
        peer.set_inbox_status(503);
        let note = cooperage_app::posts::publish_note(coop.app(), "coop", "Pending").await.unwrap().id;
        let create = format!("{note}/activity");
        wait_for("a refused attempt", DEADLINE, || async { (!peer.received_of_type("Create").is_empty()).then_some(()) }).await;
        let (deliveries, received) = coop
            .query(|conn| {
                let later = cooperage_db::now() + chrono::TimeDelta::seconds(5);
                Ok((deliveries::prune(conn, later)?, cooperage_db::received::prune(conn, later)?))
            })
            .await;
        assert_eq!((deliveries, received), (1, 1), "the Accept's delivery and the Follow's id");
        assert_eq!(delivery_states(&coop, &create).await, ["pending"], "pending deliveries stay");
        coop.stop().await;
    }

    // A 4xx other than 401/408/429 is a permanent failure: one attempt, no retry.
    async fn a_refused_delivery_fails_for_good(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        peer_follows(&peer, &coop).await;
        peer.set_inbox_status(422);
        let note = cooperage_app::posts::publish_note(coop.app(), "coop", "Nope").await.unwrap().id;
        let create = format!("{note}/activity");
        wait_for("the delivery to fail", DEADLINE, || async {
            (delivery_states(&coop, &create).await == ["failed"]).then_some(())
        })
        .await;
        let queue = coop.query(deliveries::queue_by_host).await;
        assert!(queue[0].last_error.as_deref().unwrap_or_default().contains("422"), "{queue:?}");
        assert_eq!(peer.received_of_type("Create").len(), 1, "no second attempt");
        coop.stop().await;
    }

    // 503 with Retry-After is retried; the retry succeeds once the peer recovers.
    async fn a_busy_peer_gets_the_delivery_on_a_retry(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        peer_follows(&peer, &coop).await;
        peer.set_inbox_status(503);
        let note = cooperage_app::posts::publish_note(coop.app(), "coop", "Later").await.unwrap().id;
        let create = format!("{note}/activity");
        wait_for("a refused attempt", DEADLINE, || async { (!peer.received_of_type("Create").is_empty()).then_some(()) }).await;
        peer.set_inbox_status(202);
        wait_for("the retry to succeed", DEADLINE, || async {
            (delivery_states(&coop, &create).await == ["done"]).then_some(())
        })
        .await;
        assert!(peer.received_of_type("Create").len() >= 2, "refused once, then delivered");
        // The success that followed failures clears the host's failing mark.
        let host = peer.domain();
        wait_for("the host to be healthy again", DEADLINE, || {
            let (coop, host) = (&coop, host.clone());
            async move {
                let row = coop.query(move |conn| cooperage_db::hosts::get(conn, &host)).await;
                row.filter(|h| h.failing_since.is_none() && !h.unreachable && h.last_success_at.is_some()).map(|_| ())
            }
        })
        .await;
        coop.stop().await;
    }

    // A healthy host's successes are not written about the host (no row, no update per
    // delivery); outcomes are recorded in batches.
    async fn deliveries_to_a_healthy_host_leave_its_row_alone(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        peer_follows(&peer, &coop).await;
        let host = peer.domain();
        let before = {
            let host = host.clone();
            coop.query(move |conn| cooperage_db::hosts::get(conn, &host)).await
        };
        let mut creates = Vec::new();
        for n in 0..5 {
            let note = cooperage_app::posts::publish_note(coop.app(), "coop", &format!("Fine {n}")).await.unwrap().id;
            creates.push(format!("{note}/activity"));
        }
        for create in &creates {
            wait_for("the delivery to complete", DEADLINE, || async {
                (delivery_states(&coop, create).await == ["done"]).then_some(())
            })
            .await;
        }
        let after = coop.query(move |conn| cooperage_db::hosts::get(conn, &host)).await;
        // The row its Follow made (the host was seen) is as it was.
        assert_eq!(before, after);
        assert!(after.is_some_and(|h| h.last_success_at.is_none()));
        coop.stop().await;
    }

    // Activity ids are recorded a batch at a time: an id seen before, or twice in one batch,
    // is new only once.
    async fn received_ids_are_new_once_per_batch_and_across_batches(db) {
        let coop = TestInstance::start(&db).await;
        let actor = coop
            .query(|conn| Ok(cooperage_db::actors::local_by_username(conn, "coop")?.expect("coop").id))
            .await;
        let (first, second) = coop
            .query(move |conn| {
                let first = cooperage_db::received::record_all(
                    conn,
                    &[("https://a.example/1", actor, "Create"), ("https://a.example/2", actor, "Like"), ("https://a.example/1", actor, "Create")],
                )?;
                let second = cooperage_db::received::record_all(
                    conn,
                    &[("https://a.example/2", actor, "Like"), ("https://a.example/3", actor, "Like")],
                )?;
                Ok((first, second))
            })
            .await;
        assert_eq!(first, [true, true, false]);
        assert_eq!(second, [false, true]);
        coop.stop().await;
    }

    // 410 from a follower's own inbox: that follower is gone.
    async fn a_gone_follower_is_removed(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start_without_shared_inbox().await;
        peer_follows(&peer, &coop).await;
        peer.set_inbox_status(410);
        let note = cooperage_app::posts::publish_note(coop.app(), "coop", "Anyone there?").await.unwrap().id;
        let create = format!("{note}/activity");
        wait_for("the delivery to fail", DEADLINE, || async {
            (delivery_states(&coop, &create).await == ["failed"]).then_some(())
        })
        .await;
        let followers = coop
            .query(|conn| {
                let coop = cooperage_db::actors::local_by_username(conn, "coop")?.expect("coop");
                cooperage_db::follows::count_followers(conn, coop.id)
            })
            .await;
        assert_eq!(followers, 0);
        coop.stop().await;
    }

    // A host that keeps failing is skipped, until it contacts us again.
    async fn an_unreachable_host_is_skipped_until_it_calls_again(db) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut config = TestInstance::config(&db, listener.local_addr().unwrap().port());
        config.delivery.unreachable_after_hours = 0; // the first failure marks it
        let coop = TestInstance::start_with(config, listener).await;
        let peer = MastodonPeer::start(None).await;
        peer_follows(&peer, &coop).await;
        peer.set_inbox_status(503);
        let note = cooperage_app::posts::publish_note(coop.app(), "coop", "Hello?").await.unwrap().id;
        let create = format!("{note}/activity");
        let host = peer.domain();
        wait_for("the host to be marked unreachable", DEADLINE, || {
            let host = host.clone();
            let coop = &coop;
            async move {
                let row = coop.query(move |conn| cooperage_db::hosts::get(conn, &host)).await;
                row.filter(|h| h.unreachable).map(|_| ())
            }
        })
        .await;
        // Due or not, nothing for that host is handed to a worker now.
        let claimable = coop
            .query(|conn| {
                let later = cooperage_db::now() + chrono::TimeDelta::hours(1);
                deliveries::claim(conn, "probe", later, later, 100)
            })
            .await;
        assert!(claimable.is_empty(), "{claimable:?}");

        // The peer talks to us (any verified activity): deliveries resume.
        peer.set_inbox_status(202);
        let like = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.new_id(), "type": "Like", "actor": peer.actor_id(), "object": note,
        });
        let (status, _) = peer.post(&format!("{}/inbox", coop.base), &like).await;
        assert_eq!(status, 202);
        wait_for("the delivery to complete", DEADLINE, || async {
            (delivery_states(&coop, &create).await == ["done"]).then_some(())
        })
        .await;
        coop.stop().await;
    }
}

// Done-when 6: two delivery workers (two `cooperage` instances) on one PostgreSQL database
// deliver every activity exactly once, to every host: claims are leased per batch and
// outcomes recorded in batches, by whichever process claimed them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_postgres_deliver_each_activity_once() {
    let Some(db) = TestDb::postgres() else { return };
    let first = TestInstance::start(&db).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    // Same database, same domain: a second process of the same instance.
    let mut config = first.config.clone();
    config.http.bind = listener.local_addr().unwrap();
    let second = TestInstance::start_with(config, listener).await;

    // Followers on distinct hosts, each with its own inbox (no shared inbox to merge them).
    const HOSTS: usize = 4;
    let mut peers = Vec::new();
    for _ in 0..HOSTS {
        let peer = MastodonPeer::start_without_shared_inbox().await;
        peer_follows(&peer, &first).await;
        peers.push(peer);
    }

    const POSTS: usize = 40;
    let mut creates = Vec::new();
    for n in 0..POSTS {
        let instance = if n % 2 == 0 { &first } else { &second };
        let note = cooperage_app::posts::publish_note(instance.app(), "coop", &format!("Post {n}"))
            .await
            .unwrap()
            .id;
        creates.push(format!("{note}/activity"));
    }
    wait_for("every delivery to complete", DEADLINE, || async {
        let queue = first.query(deliveries::queue_by_host).await;
        let delivered: i64 = queue.iter().map(|h| h.delivered).sum();
        let pending: i64 = queue.iter().map(|h| h.pending).sum();
        // An Accept per host plus every Create to every host.
        (pending == 0 && delivered == (HOSTS * (POSTS + 1)) as i64).then_some(())
    })
    .await;
    creates.sort();
    for peer in &peers {
        let received: Vec<String> = peer
            .received_of_type("Create")
            .into_iter()
            .map(|d| d.body["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        let mut distinct = received.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            received.len(),
            POSTS,
            "no activity delivered twice to {}",
            peer.domain()
        );
        assert_eq!(distinct, creates);
    }
    second.stop().await;
    first.stop().await;
}
