//! Issue 9, the federation half: what an outsider can make the instance connect to, read,
//! fetch or accept. Each test is an attack that worked before.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use cooperage_db::{actors, deliveries, follows};
use diesel::prelude::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::mastodon::{SignedPost, send};
use crate::support::{DEADLINE, MastodonPeer, TestInstance, wait_for};

/// A listener that counts the connections it accepts (and answers none).
async fn connection_counter(addr: &str) -> Option<(u16, Arc<AtomicUsize>)> {
    let listener = TcpListener::bind(addr).await.ok()?;
    let port = listener.local_addr().ok()?.port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    Some((port, count))
}

/// (state, attempts, last_error) of every delivery, by inbox.
async fn delivery_rows(coop: &TestInstance) -> Vec<(String, String, i32, Option<String>)> {
    use cooperage_db::schema::deliveries as d;
    coop.query(|conn| {
        Ok(d::table
            .select((d::inbox, d::state, d::attempts, d::last_error))
            .order(d::id)
            .load::<(String, String, i32, Option<String>)>(conn)?)
    })
    .await
}

/// Queues one activity of the coop to `inboxes`, as if a stored actor named them.
async fn queue_to(coop: &TestInstance, inboxes: Vec<String>) {
    coop.query(move |conn| {
        let author = actors::local_by_username(conn, "coop")?.expect("coop");
        let id = format!("{}/activities/{}", author.ap_id, uuid::Uuid::new_v4());
        let activity = deliveries::NewActivity {
            ap_id: &id,
            actor_id: author.id,
            kind: "Create",
            payload: "{}",
            public: true,
        };
        deliveries::enqueue(conn, &activity, &inboxes)
    })
    .await;
    coop.federation().wake_delivery();
}

/// Stores a remote actor row directly (as older versions could have stored it).
async fn store_actor(coop: &TestInstance, ap_id: &str, key_id: &str, pem: &str) -> actors::Actor {
    let form = actors::ActorForm {
        ap_id: ap_id.into(),
        actor_type: "Person".into(),
        local: false,
        username: "mallory".into(),
        domain: cooperage_db::host_of(ap_id).unwrap(),
        display_name: None,
        summary: None,
        inbox: format!("{ap_id}/inbox"),
        shared_inbox: None,
        followers_url: None,
        public_key_id: key_id.into(),
        public_key_pem: pem.into(),
        manually_approves_followers: false,
        published: cooperage_db::now(),
        fetched_at: Some(cooperage_db::now()),
    };
    coop.query(move |conn| actors::upsert(conn, &form)).await
}

fn follow_of(actor: &str, coop: &TestInstance) -> Vec<u8> {
    let host = actor.split("/users/").next().unwrap();
    serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{host}/{}", uuid::Uuid::new_v4()),
        "type": "Follow", "actor": actor, "object": coop.coop_id(),
    }))
    .unwrap()
}

async fn follower_count(coop: &TestInstance) -> i64 {
    coop.query(|conn| {
        let coop = actors::local_by_username(conn, "coop")?.expect("coop");
        follows::count_followers(conn, coop.id)
    })
    .await
}

async fn block(coop: &TestInstance, host: &str) {
    let response = coop
        .admin(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/federation/hosts/{host}"),
        )
        .json(&json!({ "policy": "block", "reason": "test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "block {host}");
}

/// Sends a prepared request with its Host header as prepared (a replay keeps it).
async fn send_with_host(http: &reqwest::Client, request: SignedPost) -> (u16, String) {
    let mut builder = http.post(&request.url);
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let response = builder.body(request.body).send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

backend_tests! {
    // Item 1, store time: in production mode an Update{Person} may not point the actor's
    // inbox or shared inbox at loopback, link-local or an IP literal.
    async fn an_actor_update_cannot_point_its_inbox_at_private_addresses(db) {
        let coop = TestInstance::start_production(&db).await;
        let peer = MastodonPeer::start(None).await;
        let alice = "https://peer.example/users/alice";
        let key_id = format!("{alice}#main-key");
        store_actor(&coop, alice, &key_id, &peer.public_pem()).await;
        let inbox = format!("{}/inbox", coop.base);
        let update = |inbox_url: &str, shared: &str| {
            serde_json::to_vec(&json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("https://peer.example/{}", uuid::Uuid::new_v4()),
                "type": "Update", "actor": alice,
                "object": {
                    "id": alice, "type": "Person", "preferredUsername": "alice",
                    "inbox": inbox_url, "endpoints": { "sharedInbox": shared },
                    "publicKey": { "id": key_id, "owner": alice, "publicKeyPem": peer.public_pem() },
                },
            }))
            .unwrap()
        };
        let good_shared = "https://peer.example/inbox";
        for (inbox_url, shared) in [
            ("http://127.0.0.1:6379/inbox", good_shared),
            ("https://peer.example/users/alice/inbox", "http://[::1]:8080/inbox"),
            ("http://169.254.169.254/latest/meta-data/", good_shared),
            ("https://169.254.169.254/inbox", good_shared),
            ("https://10.0.0.7/inbox", good_shared),
            ("https://peer.example:6379/inbox", good_shared),
            ("https://user:secret@peer.example/inbox", good_shared),
        ] {
            // Sent as a reverse proxy forwards it: Host is the instance's domain.
            let request = peer.signed_post_as(&inbox, "coop.example", &key_id, update(inbox_url, shared), None);
            let (status, body) = send_with_host(&coop.http, request).await;
            assert_eq!(status, 400, "{inbox_url} {shared}: {body}");
            assert!(body.contains("refused"), "{body}");
        }
        let row = coop.query(move |conn| actors::by_ap_id(conn, alice)).await.unwrap();
        assert_eq!((row.inbox.as_str(), row.shared_inbox), ("https://peer.example/users/alice/inbox", None));

        // A proper update still goes through.
        let request = peer.signed_post_as(&inbox, "coop.example", &key_id,
            update("https://peer.example/users/alice/inbox2", good_shared), None);
        let (status, body) = send_with_host(&coop.http, request).await;
        assert_eq!(status, 202, "{body}");
        let row = wait_for("the update", DEADLINE, || async {
            let row = coop.query(move |conn| actors::by_ap_id(conn, alice)).await.unwrap();
            (row.inbox.ends_with("/inbox2")).then_some(row)
        }).await;
        assert_eq!(row.shared_inbox.as_deref(), Some(good_shared));
        coop.stop().await;
    }

    // Item 1, request time: a delivery row naming a private address (stored before the
    // checks, or inserted by hand) is failed without any connection being opened.
    async fn deliveries_to_private_addresses_are_never_connected_to(db) {
        let coop = TestInstance::start_production(&db).await;
        let (v4_port, v4_hits) = connection_counter("127.0.0.1:0").await.expect("listener");
        let mut inboxes = vec![
            format!("http://127.0.0.1:{v4_port}/inbox"),
            format!("https://127.0.0.1:{v4_port}/inbox"),
            format!("https://localhost:{v4_port}/inbox"),
            format!("https://user:pw@localhost:{v4_port}/inbox"),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "https://169.254.169.254/latest/meta-data/".to_owned(),
        ];
        // IPv6 loopback, where the sandbox has it.
        let v6 = connection_counter("[::1]:0").await;
        if let Some((v6_port, _)) = &v6 {
            inboxes.push(format!("http://[::1]:{v6_port}/inbox"));
            inboxes.push(format!("https://[::1]:{v6_port}/inbox"));
        }
        let refused = inboxes.len();
        // A domain by name, which resolves to loopback: let through to the resolver, which
        // finds no public address (retried, since DNS may change).
        inboxes.push("https://localhost/inbox".to_owned());
        queue_to(&coop, inboxes).await;

        let rows = wait_for("every delivery attempted", DEADLINE, || async {
            let rows = delivery_rows(&coop).await;
            rows.iter().all(|(_, _, attempts, _)| *attempts > 0).then_some(rows)
        })
        .await;
        for (inbox, state, _, error) in &rows[..] {
            let error = error.clone().unwrap_or_default();
            if inbox == "https://localhost/inbox" {
                assert!(error.contains("resolves to no public address"), "{inbox}: {error}");
            } else {
                assert_eq!(state, deliveries::FAILED, "{inbox}: {error}");
                assert!(error.starts_with("refused"), "{inbox}: {error}");
            }
        }
        assert_eq!(rows.len(), refused + 1);
        assert_eq!(v4_hits.load(Ordering::SeqCst), 0, "connections to 127.0.0.1");
        if let Some((_, v6_hits)) = v6 {
            assert_eq!(v6_hits.load(Ordering::SeqCst), 0, "connections to ::1");
        }
        coop.stop().await;
    }

    // Item 2: a peer answering 500 with a 100 MB body. The delivery is retried, having read
    // only the start of it: the peer cannot write much before we drop the connection.
    async fn an_endless_error_body_is_not_read(db) {
        let coop = TestInstance::start(&db).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let written = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicBool::new(false));
        let (w, f) = (written.clone(), finished.clone());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 64 * 1024];
            let _ = socket.read(&mut request).await;
            let head = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\n\
                        content-length: 104857600\r\n\r\n";
            if socket.write_all(head.as_bytes()).await.is_ok() {
                let chunk = vec![b'x'; 64 * 1024];
                while w.load(Ordering::SeqCst) < 100 * 1024 * 1024 {
                    if socket.write_all(&chunk).await.is_err() {
                        break;
                    }
                    w.fetch_add(chunk.len(), Ordering::SeqCst);
                }
            }
            f.store(true, Ordering::SeqCst);
        });
        queue_to(&coop, vec![format!("http://localhost:{port}/inbox")]).await;
        let (_, state, _, error) = wait_for("the failed attempt", DEADLINE, || async {
            delivery_rows(&coop).await.into_iter().find(|row| row.2 > 0)
        })
        .await;
        assert_eq!(state, deliveries::PENDING, "retried");
        let error = error.unwrap_or_default();
        assert!(error.starts_with("HTTP 500: xxx"), "{error}");
        assert!(error.len() < 1024, "logged {} bytes", error.len());
        wait_for("the peer to stop writing", DEADLINE, || async {
            finished.load(Ordering::SeqCst).then_some(())
        })
        .await;
        let total = written.load(Ordering::SeqCst);
        eprintln!("the peer wrote {total} bytes of its 500 body before we dropped the connection");
        assert!(total < 32 * 1024 * 1024, "the peer wrote {total} bytes before being dropped");
        coop.stop().await;
    }

    // Item 7: a blocked actor signing with a key id on another host, and an actor on a
    // subdomain of a blocked host, are refused.
    async fn a_block_is_not_bypassed_by_foreign_key_ids_or_subdomains(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        let inbox = format!("{}/inbox", coop.base);

        // Mallory lives on localhost:<port> (blocked) and names her key on 127.0.0.1:<port>.
        let mallory = format!("http://localhost:{}/users/mallory", peer.port);
        let foreign_key = format!("http://127.0.0.1:{}/users/mallory#main-key", peer.port);
        store_actor(&coop, &mallory, &foreign_key, &peer.public_pem()).await;
        block(&coop, &peer.domain()).await;
        let request = peer.signed_post_as(&inbox, &coop.domain, &foreign_key, follow_of(&mallory, &coop), None);
        let (status, body) = send(&coop.http, request).await;
        assert!(status == 401 || status == 403, "{status} {body}");

        // An actor on a subdomain of a blocked host.
        let sub = "http://a.evil.test/users/mallory";
        let sub_key = format!("{sub}#main-key");
        store_actor(&coop, sub, &sub_key, &peer.public_pem()).await;
        block(&coop, "evil.test").await;
        let request = peer.signed_post_as(&inbox, &coop.domain, &sub_key, follow_of(sub, &coop), None);
        let (status, body) = send(&coop.http, request).await;
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("blocked"), "{body}");
        assert_eq!(follower_count(&coop).await, 0);

        // Unblocked, the same subdomain actor is accepted (the test can fail).
        let response = coop
            .admin(reqwest::Method::DELETE, "/api/v1/admin/federation/hosts/evil.test")
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        coop.federation().policies_changed();
        let request = peer.signed_post_as(&inbox, &coop.domain, &sub_key, follow_of(sub, &coop), None);
        let (status, body) = send(&coop.http, request).await;
        assert_eq!(status, 202, "{body}");
        coop.stop().await;
    }

    // Item 7: one key id, one actor: storing a second actor with the same key id takes the
    // key from the first, whose placeholder no request can name.
    async fn a_key_id_belongs_to_one_actor(db) {
        let coop = TestInstance::start(&db).await;
        let first = store_actor(&coop, "http://a.example/users/one", "http://a.example/key", "pem").await;
        let second = store_actor(&coop, "http://a.example/users/two", "http://a.example/key", "pem").await;
        let (owner, first_now) = coop
            .query(move |conn| Ok((actors::by_key_id(conn, "http://a.example/key")?, actors::by_id(conn, first.id)?)))
            .await;
        assert_eq!(owner.map(|a| a.id), Some(second.id));
        assert!(first_now.public_key_id.starts_with(actors::DISOWNED_KEY), "{}", first_now.public_key_id);
        coop.stop().await;
    }

    // Item 7: the migration making key ids unique keeps each key with its rightful actor
    // (the one whose id the key id extends, else the oldest) and disowns the others.
    async fn the_unique_key_migration_resolves_existing_duplicates(db) {
        use diesel::connection::SimpleConnection;
        let mut conn = db.raw_connection();
        cooperage_db::migrations::run_pending(&mut conn).expect("migrate");
        conn.batch_execute("DROP INDEX actors_public_key_id").expect("drop index");
        let rows = [
            ("https://evil.example/users/x", "https://a.example/users/one#main-key"),
            ("https://a.example/users/one", "https://a.example/users/one#main-key"),
            ("https://b.example/u/1", "https://b.example/shared-key"),
            ("https://b.example/u/2", "https://b.example/shared-key"),
            ("https://c.example/u/1", "https://c.example/u/1#main-key"),
        ];
        for (ap_id, key_id) in rows {
            let form = actors::ActorForm {
                ap_id: ap_id.into(), actor_type: "Person".into(), local: false,
                username: "x".into(), domain: cooperage_db::host_of(ap_id).unwrap(),
                display_name: None, summary: None, inbox: format!("{ap_id}/inbox"),
                shared_inbox: None, followers_url: None, public_key_id: key_id.into(),
                public_key_pem: "pem".into(), manually_approves_followers: false,
                published: cooperage_db::now(), fetched_at: None,
            };
            diesel::insert_into(cooperage_db::schema::actors::table).values(&form).execute(&mut conn).expect("insert");
        }
        let dir = if db.url().starts_with("postgres") { "postgres" } else { "sqlite" };
        let up = std::fs::read_to_string(format!(
            "{}/migrations/{dir}/2026-12-01-100000_unique_actor_keys/up.sql",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("migration");
        conn.batch_execute(&up).expect("migration applies over duplicates");
        for (key, rightful) in [
            ("https://a.example/users/one#main-key", "https://a.example/users/one"),
            ("https://b.example/shared-key", "https://b.example/u/1"),
            ("https://c.example/u/1#main-key", "https://c.example/u/1"),
        ] {
            let owner = actors::by_key_id(&mut conn, key).expect("query").map(|a| a.ap_id);
            assert_eq!(owner.as_deref(), Some(rightful), "{key}");
        }
        for ap_id in ["https://evil.example/users/x", "https://b.example/u/2"] {
            let row = actors::by_ap_id(&mut conn, ap_id).expect("query").expect("row");
            assert!(row.public_key_id.starts_with(actors::DISOWNED_KEY), "{ap_id}: {}", row.public_key_id);
        }
    }

    // Item 8: POSTs naming a key id nobody serves make at most two fetches in all (actor,
    // then key document), not two each.
    async fn unknown_key_ids_are_fetched_once(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        let gets = Arc::new(AtomicUsize::new(0));
        let counter = gets.clone();
        let app = axum::Router::new().fallback(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::NOT_FOUND
            }
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ghost_port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        let ghost = format!("http://localhost:{ghost_port}/users/ghost");
        let key_id = format!("{ghost}#main-key");
        let inbox = format!("{}/inbox", coop.base);
        let posts = (0..10).map(|_| {
            let request = peer.signed_post_as(&inbox, &coop.domain, &key_id, follow_of(&ghost, &coop), None);
            send(&coop.http, request)
        });
        for (status, body) in futures::future::join_all(posts).await {
            assert_eq!(status, 401, "{body}");
        }
        let fetched = gets.load(Ordering::SeqCst);
        assert!((1..=2).contains(&fetched), "{fetched} fetches for 10 POSTs");
        coop.stop().await;
    }

    // Item 8: bad signatures under a known key make one refetch per cooldown, not one each.
    async fn bad_signatures_refetch_a_known_key_once(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        let inbox = format!("{}/inbox", coop.base);
        let (status, body) = peer.post(&inbox, &serde_json::from_slice::<Value>(&follow_of(&peer.actor_id(), &coop)).unwrap()).await;
        assert_eq!(status, 202, "{body}");
        let before = peer.actor_gets();
        for _ in 0..5 {
            // The signature of another request: well formed, by the right key, not matching.
            let mut request = peer.signed_post(&inbox, follow_of(&peer.actor_id(), &coop), None);
            let other = peer.signed_post(&inbox, b"{}".to_vec(), None);
            let signature = |r: &SignedPost| r.headers.iter().find(|(n, _)| n == "signature").unwrap().1.clone();
            request.set_header("signature", signature(&other));
            let (status, body) = send(&coop.http, request).await;
            assert_eq!(status, 401, "{body}");
        }
        let refetches = peer.actor_gets() - before;
        assert_eq!(refetches, 1, "refetches of the actor for 5 bad signatures");
        coop.stop().await;
    }

    // Item 10: a request signed for another server, replayed here with its Host header,
    // is refused: the signed host must be our domain.
    async fn a_request_signed_for_another_server_is_refused(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        let inbox = format!("{}/inbox", coop.base);
        let key_id = format!("{}#main-key", peer.actor_id());
        let request = peer.signed_post_as(&inbox, "other.example", &key_id, follow_of(&peer.actor_id(), &coop), None);
        let (status, body) = send_with_host(&coop.http, request).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(follower_count(&coop).await, 0);
        // Signed for us, it is accepted.
        let request = peer.signed_post_as(&inbox, &coop.domain, &key_id, follow_of(&peer.actor_id(), &coop), None);
        let (status, body) = send_with_host(&coop.http, request).await;
        assert_eq!(status, 202, "{body}");
        coop.stop().await;
    }
}
