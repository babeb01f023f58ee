//! Who votes is the network's business: every path that changes it announces the coop's
//! `Update`, in the same transaction as the change.

use std::io::Write;
use std::process::{Command, Stdio};

use cooperage_domain::member::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{DEADLINE, MastodonPeer, TestInstance, wait_for};

/// A Mastodon-shaped follower of the coop, accepted.
async fn follower(coop: &TestInstance) -> MastodonPeer {
    let peer = MastodonPeer::start(None).await;
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
    peer
}

/// `Update{Group}` activities the peer received so far.
fn coop_updates(peer: &MastodonPeer) -> usize {
    peer.received_of_type("Update")
        .iter()
        .filter(|d| d.body["object"]["type"] == "Group")
        .count()
}

async fn wait_for_coop_updates(peer: &MastodonPeer, count: usize, after: &str) {
    wait_for(
        &format!("Update{{Group}} #{count} after {after}"),
        DEADLINE,
        || async { (coop_updates(peer) >= count).then_some(()) },
    )
    .await;
}

/// Runs `cooperage admin create` against the instance's database, as an operator would.
fn cli_admin_create(coop: &TestInstance, database_url: &str, username: &str) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cooperage"));
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("COOPERAGE")) {
        command.env_remove(var);
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .env("COOPERAGE__DATABASE__URL", database_url)
        .env("COOPERAGE__INSTANCE__DOMAIN", &coop.domain)
        .env("COOPERAGE__INSTANCE__COOP_HANDLE", "coop")
        .args(["admin", "create", "--username", username])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cooperage");
    writeln!(child.stdin.take().unwrap(), "{}", TestInstance::PASSWORD).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "admin create failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn call(
    coop: &TestInstance,
    cookie: &str,
    method: Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let response = coop
        .http
        .request(method, format!("{}{path}", coop.base))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn sign_up(coop: &TestInstance, cookie: &str, role: &str, username: &str) {
    let (status, invite) = call(
        coop,
        cookie,
        Method::POST,
        "/api/v1/invitations",
        json!({ "role": role }),
    )
    .await;
    assert_eq!(status, 201, "{invite}");
    let (status, body) = call(coop, "", Method::POST, "/api/v1/auth/signup", json!({
        "invitation": invite["invitation"], "username": username, "password": TestInstance::PASSWORD,
    }))
    .await;
    assert_eq!(status, 201, "{body}");
}

backend_tests! {
    async fn every_path_that_changes_who_votes_announces_the_coop(db) {
        let coop = TestInstance::start(&db).await;
        let peer = follower(&coop).await;

        // `cooperage admin create`, in a process of its own on the same database: the
        // running instance delivers what it queued.
        cli_admin_create(&coop, db.url(), "ana");
        wait_for_coop_updates(&peer, 1, "admin create").await;
        let (_, members) = coop.get_json("/actors/coop/members").await;
        assert_eq!(members["orderedItems"], json!([format!("http://{}/actors/ana", coop.domain)]));

        let ana = coop.login_cookie("ana").await;
        sign_up(&coop, &ana, "member", "bea").await;
        wait_for_coop_updates(&peer, 2, "a member's sign-up").await;
        // A candidate does not vote: no Update for her sign-up, but one for her promotion.
        sign_up(&coop, &ana, "candidate", "cem").await;
        let (status, body) = call(&coop, &ana, Method::PATCH, "/api/v1/members/cem", json!({ "role": "member" })).await;
        assert_eq!(status, 200, "{body}");
        wait_for_coop_updates(&peer, 3, "a promotion").await;
        let (status, _) = call(&coop, &ana, Method::PATCH, "/api/v1/members/bea", json!({ "status": "suspended" })).await;
        assert_eq!(status, 200);
        wait_for_coop_updates(&peer, 4, "a suspension").await;
        let (status, _) = call(&coop, &ana, Method::PATCH, "/api/v1/members/cem", json!({ "status": "left" })).await;
        assert_eq!(status, 200);
        wait_for_coop_updates(&peer, 5, "leaving").await;

        let (_, members) = coop.get_json("/actors/coop/members").await;
        assert_eq!(members["orderedItems"], json!([format!("http://{}/actors/ana", coop.domain)]));
        // Each Update{Group} is exactly one per change (the candidate's sign-up sent none).
        assert_eq!(coop_updates(&peer), 5);
    }

    async fn a_role_change_whose_update_cannot_be_queued_leaves_the_role_unchanged(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, true).await;
        coop.create_account("cem", Role::Candidate, false).await;
        let ana = coop.login_cookie("ana").await;
        // The delivery queue is unavailable: the outgoing Update cannot be stored.
        coop.query(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("ALTER TABLE outgoing_activities RENAME TO outgoing_activities_away")
                .execute(conn)?;
            Ok(())
        })
        .await;
        let (status, body) = call(&coop, &ana, Method::PATCH, "/api/v1/members/cem", json!({ "role": "member" })).await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["message"], "internal server error", "causes are logged, not shown");
        coop.query(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("ALTER TABLE outgoing_activities_away RENAME TO outgoing_activities")
                .execute(conn)?;
            Ok(())
        })
        .await;
        let (status, cem) = call(&coop, &ana, Method::GET, "/api/v1/members/cem", Value::Null).await;
        assert_eq!(status, 200);
        assert_eq!(cem["role"], "candidate", "the change and its Update are one transaction");
        // With the queue back, the same change goes through.
        let (status, cem) = call(&coop, &ana, Method::PATCH, "/api/v1/members/cem", json!({ "role": "member" })).await;
        assert_eq!(status, 200);
        assert_eq!(cem["role"], "member");
    }
}
