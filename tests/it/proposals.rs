//! Proposals across real instances: a network proposal of A is voted on by members of A, B
//! and C from home, by a Mastodon-shaped peer (advisory), refused for a non-member; tallies
//! reach every instance and the peer; at the close all show the same outcome.

use cooperage_db::proposals::Proposal;
use cooperage_domain::member::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{DEADLINE, MastodonPeer, TestInstance, wait_for};
use crate::support::{call, link};

async fn stored(instance: &TestInstance, ap_id: &str) -> Option<Proposal> {
    let ap_id = ap_id.to_owned();
    instance
        .query(move |conn| cooperage_db::proposals::by_ap_id(conn, &ap_id))
        .await
}

/// The proposal as `cookie`'s member sees it through the API of `instance`.
async fn shown(instance: &TestInstance, cookie: &str, ap_id: &str) -> Value {
    let id = wait_for(
        &format!("{ap_id} on {}", instance.domain),
        DEADLINE,
        || async { stored(instance, ap_id).await.map(|p| p.id) },
    )
    .await;
    let (status, body) = call(
        instance,
        cookie,
        Method::GET,
        &format!("/api/v1/proposals/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Brings a proposal's close forward to now (the worker closes it on its next pass).
async fn close_now(instance: &TestInstance, ap_id: &str) {
    let ap_id = ap_id.to_owned();
    instance
        .query(move |conn| {
            use cooperage_db::schema::proposals::dsl;
            use diesel::prelude::*;
            diesel::update(dsl::proposals.filter(dsl::ap_id.eq(ap_id)))
                .set(dsl::closes_at.eq(cooperage_db::now()))
                .execute(conn)?;
            Ok(())
        })
        .await;
}

fn votes(view: &Value) -> Vec<u64> {
    view["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["votes"].as_u64().unwrap())
        .collect()
}

/// A vote as Mastodon sends it, from the peer to the coop's inbox.
fn mastodon_vote(peer: &MastodonPeer, coop: &str, question: &str, name: &str) -> Value {
    let id = format!(
        "{}#votes/{}",
        peer.actor_id(),
        uuid::Uuid::new_v4().simple()
    );
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"), "type": "Create", "actor": peer.actor_id(), "to": coop,
        "object": {
            "id": id, "type": "Note", "name": name, "attributedTo": peer.actor_id(),
            "inReplyTo": question, "to": coop,
        },
    })
}

/// The proposal's row id on `instance`, once it is there.
async fn id_on(instance: &TestInstance, ap_id: &str) -> i64 {
    wait_for(
        &format!("{ap_id} on {}", instance.domain),
        DEADLINE,
        || async { stored(instance, ap_id).await.map(|p| p.id) },
    )
    .await
}

async fn vote_as(instance: &TestInstance, cookie: &str, id: i64, options: &[&str]) -> (u16, Value) {
    call(
        instance,
        cookie,
        Method::POST,
        &format!("/api/v1/proposals/{id}/votes"),
        Some(json!({ "options": options })),
    )
    .await
}

async fn comments_on(instance: &TestInstance, cookie: &str, id: i64) -> Vec<(String, String)> {
    let (status, body) = call(
        instance,
        cookie,
        Method::GET,
        &format!("/api/v1/proposals/{id}/comments"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["author"].as_str().unwrap().to_owned(),
                c["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

backend_tests! {
    async fn a_network_proposal_is_decided_by_members_voting_from_home(db) {
        let (db_b, db_c) = (db.sibling(), db.sibling());
        let a = TestInstance::start_named(&db, "nord").await;
        let b = TestInstance::start_named(&db_b, "sued").await;
        let c = TestInstance::start_named(&db_c, "west").await;
        a.create_account("ana", Role::Member, false).await;
        b.create_account("bea", Role::Member, false).await;
        let cand = b.create_account("cand", Role::Candidate, false).await;
        c.create_account("cai", Role::Member, false).await;
        let (ana, bea, cai) = (a.login_cookie("ana").await, b.login_cookie("bea").await, c.login_cookie("cai").await);
        link(&[(&a, &b), (&a, &c)]).await;
        let peer = MastodonPeer::start(None).await;
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.new_id(), "type": "Follow", "actor": peer.actor_id(), "object": a.coop_id(),
        });
        assert_eq!(peer.post(&format!("{}/inbox", a.base), &follow).await.0, 202);
        wait_for("the Accept", DEADLINE, || async {
            (!peer.received_of_type("Accept").is_empty()).then_some(())
        })
        .await;

        // A opens a network proposal, open to outside (advisory) votes.
        let closes_at = chrono::Utc::now() + chrono::TimeDelta::hours(1);
        let (status, created) = call(&a, &ana, Method::POST, "/api/v1/proposals", Some(json!({
            "title": "Solidarity fund", "body": "Adopt a **3%** fund?", "kind": "single",
            "scope": "network", "options": ["Approve", "Reject", "Abstain"],
            "closes_at": closes_at.to_rfc3339(), "open_poll": true, "quorum_coops": 2,
        }))).await;
        assert_eq!(status, 201, "{created}");
        let question = created["ap_id"].as_str().unwrap().to_owned();
        assert_eq!(created["eligibility"]["can_vote"], true);
        assert_eq!(created["eligible_voters"], 3, "ana, and bea and cai as their coops attest");

        // Every instance of the network shows it; the peer got the Question.
        for (instance, cookie) in [(&b, &bea), (&c, &cai)] {
            let view = shown(instance, cookie, &question).await;
            assert_eq!(view["title"], "Solidarity fund");
            assert_eq!(view["scope"], "network");
            assert_eq!(view["eligibility"]["can_vote"], true);
        }
        let create = wait_for("the Question at the peer", DEADLINE, || async {
            peer.received_of_type("Create").into_iter().find(|d| d.body["object"]["id"] == question.as_str())
        })
        .await;
        assert_eq!(create.body["object"]["type"], "Question");
        assert_eq!(create.body["object"]["oneOf"][1]["name"], "Reject");

        // The Question is served at its id, with the Cooperage context.
        let served: Value = a.http.get(&question).header("accept", "application/activity+json").send().await.unwrap().json().await.unwrap();
        assert_eq!(served["type"], "Question");
        assert_eq!(served["countingMode"], "member");
        assert_eq!(served["oneOf"].as_array().unwrap().len(), 3);

        // Members vote from home; bea changes her mind (the latest counts, once).
        let vote = |instance: &'static str| json!({ "options": [instance] });
        let (a_id, b_id, c_id) = (
            stored(&a, &question).await.unwrap().id,
            stored(&b, &question).await.unwrap().id,
            stored(&c, &question).await.unwrap().id,
        );
        let path = |id: i64| format!("/api/v1/proposals/{id}/votes");
        assert_eq!(call(&a, &ana, Method::POST, &path(a_id), Some(vote("Approve"))).await.0, 200);
        assert_eq!(call(&b, &bea, Method::POST, &path(b_id), Some(vote("Reject"))).await.0, 200);
        let (status, mine) = call(&b, &bea, Method::POST, &path(b_id), Some(vote("Approve"))).await;
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine["my_vote"], json!(["Approve"]));
        assert_eq!(call(&c, &cai, Method::POST, &path(c_id), Some(vote("Approve"))).await.0, 200);
        let (status, refused) = call(&c, &cai, Method::POST, &path(c_id), Some(vote("Maybe"))).await;
        assert_eq!(status, 422, "{refused}");
        // The Mastodon user votes (twice: counted once), and for an option that does not exist.
        let inbox = format!("{}/actors/nord/inbox", a.base);
        for name in ["Reject", "Reject", "Maybe"] {
            let (status, body) = peer.post(&inbox, &mastodon_vote(&peer, &a.coop_id(), &question, name)).await;
            assert_eq!(status, 202, "{body}");
        }
        // B's candidate is no voting member of B: the vote (sent as B would send it) is kept,
        // not counted.
        let proposal_on_b = stored(&b, &question).await.unwrap();
        b.query(move |conn| {
            let voter = cooperage_db::actors::by_ap_id(conn, &cand)?.unwrap();
            let vote_id = format!("{cand}#votes/1");
            cooperage_federation::proposals::queue_vote(conn, &voter, &proposal_on_b, "Reject", &vote_id)
        })
        .await;
        b.federation().wake_delivery();

        // A counts ana, bea and cai; the peer is advisory; the candidate is kept with the reason.
        let view = wait_for("the tally on A", DEADLINE, || async {
            let view = shown(&a, &ana, &question).await;
            (votes(&view) == [3, 0, 0] && view["not_counted"].as_array().unwrap().len() == 1
                && view["advisory_voters"] == 1)
                .then_some(view)
        })
        .await;
        assert_eq!(view["voters"], 3);
        assert_eq!(view["coops_taking_part"], 3);
        assert_eq!(view["options"][1]["advisory_votes"], 1);
        assert!(view["not_counted"][0]["reason"].as_str().unwrap().contains("not a voting member"), "{view}");

        // The tallies reach B, C and the peer (debounced Updates).
        for (instance, cookie) in [(&b, &bea), (&c, &cai)] {
            wait_for(&format!("the tally on {}", instance.domain), DEADLINE, || async {
                let view = shown(instance, cookie, &question).await;
                (votes(&view) == [3, 0, 0] && view["voters"] == 3).then_some(())
            })
            .await;
        }
        wait_for("the tally at the peer", DEADLINE, || async {
            peer.received_of_type("Update").into_iter().find(|d| {
                d.body["object"]["id"] == question.as_str()
                    && d.body["object"]["oneOf"][0]["replies"]["totalItems"] == 3
            })
        })
        .await;

        // At the close (brought forward: the test does not wait an hour), all show the same
        // outcome; the peer gets the closed Question and the announcement.
        close_now(&a, &question).await;
        let deadline = DEADLINE;
        for (instance, cookie) in [(&a, &ana), (&b, &bea), (&c, &cai)] {
            let view = wait_for(&format!("the outcome on {}", instance.domain), deadline, || async {
                let view = shown(instance, cookie, &question).await;
                (view["closed"] == true && !view["outcome"].is_null()).then_some(view)
            })
            .await;
            assert_eq!(view["outcome"], "winner:Approve", "{view}");
            assert_eq!(view["eligibility"]["can_vote"], false);
        }
        let closed = wait_for("the closed Question at the peer", DEADLINE, || async {
            peer.received_of_type("Update").into_iter().find(|d| {
                d.body["object"]["id"] == question.as_str() && d.body["object"]["closed"].is_string()
            })
        })
        .await;
        assert!(closed.body["object"].get("updated").is_none(), "an updated would make Mastodon drop it");
        wait_for("the announcement at the peer", DEADLINE, || async {
            peer.received_of_type("Create").into_iter().find(|d| {
                d.body["object"]["inReplyTo"] == question.as_str()
                    && d.body["object"]["content"].as_str().unwrap_or("").contains("chosen: Approve")
            })
        })
        .await;

        // After the close, votes are refused: from a member, and from outside.
        let (status, _) = call(&c, &cai, Method::POST, &path(c_id), Some(vote("Reject"))).await;
        assert_eq!(status, 403);
        let (status, _) = peer.post(&inbox, &mastodon_vote(&peer, &a.coop_id(), &question, "Abstain")).await;
        assert_eq!(status, 202);
        let view = shown(&a, &ana, &question).await;
        assert_eq!(view["options"][2]["advisory_votes"], 0);
    }

    async fn hidden_results_show_zeros_until_the_close_and_candidates_do_not_vote(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, false).await;
        coop.create_account("max", Role::Member, false).await;
        coop.create_account("cleo", Role::Candidate, false).await;
        let (ana, max, cleo) = (coop.login_cookie("ana").await, coop.login_cookie("max").await, coop.login_cookie("cleo").await);
        let closes_at = chrono::Utc::now() + chrono::TimeDelta::hours(1);
        let (status, created) = call(&coop, &ana, Method::POST, "/api/v1/proposals", Some(json!({
            "title": "Four-day week", "kind": "consent", "scope": "coop", "results": "hidden",
            "closes_at": closes_at.to_rfc3339(), "quorum_percent": 50,
        }))).await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_i64().unwrap();
        let names: Vec<&str> = created["options"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["agree", "abstain", "disagree", "block"]);
        let path = format!("/api/v1/proposals/{id}/votes");
        assert_eq!(call(&coop, &ana, Method::POST, &path, Some(json!({ "options": ["agree"] }))).await.0, 200);
        let (status, view) = call(&coop, &max, Method::POST, &path, Some(json!({ "options": ["block"] }))).await;
        assert_eq!(status, 200);
        assert_eq!(votes(&view), [0, 0, 0, 0], "hidden until the close");
        assert_eq!(view["voters"], 2);
        let (status, view) = call(&coop, &cleo, Method::POST, &path, Some(json!({ "options": ["agree"] }))).await;
        assert_eq!(status, 403, "{view}");
        let (status, _) = call(&coop, &ana, Method::POST, &path, Some(json!({ "options": ["agree", "block"] }))).await;
        assert_eq!(status, 422, "consent takes one answer");
        // Comments are kept in order.
        for text in ["Why?", "Because *rest*."] {
            assert_eq!(call(&coop, &cleo, Method::POST, &format!("/api/v1/proposals/{id}/comments"), Some(json!({ "text": text }))).await.0, 201);
        }
        let (_, comments) = call(&coop, &ana, Method::GET, &format!("/api/v1/proposals/{id}/comments"), None).await;
        assert_eq!(comments["comments"][1]["content"], "<p>Because <em>rest</em>.</p>");
        close_now(&coop, created["ap_id"].as_str().unwrap()).await;
        let view = wait_for("the close", DEADLINE, || async {
            let (_, view) = call(&coop, &ana, Method::GET, &format!("/api/v1/proposals/{id}"), None).await;
            (view["closed"] == true).then_some(view)
        })
        .await;
        assert_eq!(votes(&view), [1, 0, 0, 1]);
        assert_eq!(view["outcome"], "blocked");
        let (_, list) = call(&coop, &ana, Method::GET, "/api/v1/proposals?state=closed&scope=coop", None).await;
        assert_eq!(list["proposals"].as_array().unwrap().len(), 1);
        let (_, list) = call(&coop, &ana, Method::GET, "/api/v1/proposals?state=open", None).await;
        assert_eq!(list["proposals"].as_array().unwrap().len(), 0);
    }

    async fn a_budget_proposal_writes_its_ledger_entry_only_if_it_passes(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, true).await;
        coop.create_account("max", Role::Member, false).await;
        let (ana, max) = (coop.login_cookie("ana").await, coop.login_cookie("max").await);
        let (status, project) = call(&coop, &ana, Method::POST, "/api/v1/projects", Some(json!({ "name": "Website", "currency": "EUR", "budget": "1000" }))).await;
        assert_eq!(status, 201, "{project}");
        let project = project["id"].as_i64().unwrap();
        let closes_at = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
        let open = |reason: &str| json!({
            "title": format!("Budget: {reason}"), "kind": "consent", "scope": "coop", "closes_at": closes_at,
            "budget": { "project_id": project, "kind": "expense", "amount": "250.50", "category": "design", "reason": reason },
        });
        // A budget change on a network proposal, or in a currency's wrong precision, is refused.
        let mut network = open("x");
        network["scope"] = json!("network");
        assert_eq!(call(&coop, &ana, Method::POST, "/api/v1/proposals", Some(network)).await.0, 422);
        let mut precise = open("x");
        precise["budget"]["amount"] = json!("1.001");
        assert_eq!(call(&coop, &ana, Method::POST, "/api/v1/proposals", Some(precise)).await.0, 422);

        let mut ids = Vec::new();
        for reason in ["Logo", "Fonts"] {
            let (status, made) = call(&coop, &ana, Method::POST, "/api/v1/proposals", Some(open(reason))).await;
            assert_eq!(status, 201, "{made}");
            ids.push((made["id"].as_i64().unwrap(), made["ap_id"].as_str().unwrap().to_owned()));
        }
        let vote = |id: i64, cookie: &str, answer: &str| {
            let (cookie, answer) = (cookie.to_owned(), answer.to_owned());
            let coop = &coop;
            async move {
                call(coop, &cookie, Method::POST, &format!("/api/v1/proposals/{id}/votes"), Some(json!({ "options": [answer] }))).await.0
            }
        };
        // Logo passes (two agree); Fonts is blocked.
        assert_eq!(vote(ids[0].0, &ana, "agree").await, 200);
        assert_eq!(vote(ids[0].0, &max, "agree").await, 200);
        assert_eq!(vote(ids[1].0, &ana, "agree").await, 200);
        assert_eq!(vote(ids[1].0, &max, "block").await, 200);
        for (_, ap_id) in &ids {
            close_now(&coop, ap_id).await;
        }
        let mut outcomes = Vec::new();
        for (id, _) in &ids {
            let view = wait_for("the close", DEADLINE, || async {
                let (_, view) = call(&coop, &ana, Method::GET, &format!("/api/v1/proposals/{id}"), None).await;
                (view["closed"] == true).then_some(view)
            })
            .await;
            outcomes.push(view);
        }
        assert_eq!(outcomes[0]["outcome"], "passed");
        assert_eq!(outcomes[1]["outcome"], "blocked");
        assert!(outcomes[0]["budget"]["ledger_entry_id"].is_i64(), "{}", outcomes[0]);
        assert!(outcomes[1]["budget"]["ledger_entry_id"].is_null());
        let (status, ledger) = call(&coop, &ana, Method::GET, &format!("/api/v1/projects/{project}/ledger"), None).await;
        assert_eq!(status, 200);
        let entries = ledger["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{ledger}");
        assert_eq!(entries[0]["amount"], "250.50");
        assert!(entries[0]["description"].as_str().unwrap().contains(&ids[0].1), "{ledger}");
    }

    async fn one_coop_one_vote_is_decided_inside_each_coop_and_cast_by_the_coop(db) {
        let (db_b, db_c) = (db.sibling(), db.sibling());
        let a = TestInstance::start_named(&db, "nord").await;
        let b = TestInstance::start_named(&db_b, "sued").await;
        let c = TestInstance::start_named(&db_c, "west").await;
        a.create_account("ana", Role::Member, false).await;
        b.create_account("bea", Role::Member, false).await;
        b.create_account("ben", Role::Member, false).await;
        b.create_account("bo", Role::Member, false).await;
        c.create_account("cai", Role::Member, false).await;
        let (ana, bea, ben, bo, cai) = (
            a.login_cookie("ana").await, b.login_cookie("bea").await, b.login_cookie("ben").await,
            b.login_cookie("bo").await, c.login_cookie("cai").await,
        );
        link(&[(&a, &b), (&a, &c)]).await;

        // A opens a network proposal counted one coop, one vote.
        let closes_at = chrono::Utc::now() + chrono::TimeDelta::hours(2);
        let (status, created) = call(&a, &ana, Method::POST, "/api/v1/proposals", Some(json!({
            "title": "Shared server", "kind": "single", "scope": "network", "counting": "coop",
            "options": ["Approve", "Reject"], "closes_at": closes_at.to_rfc3339(), "quorum_coops": 3,
        }))).await;
        assert_eq!(status, 201, "{created}");
        let question = created["ap_id"].as_str().unwrap().to_owned();
        assert_eq!(created["eligible_voters"], 3, "three coops");
        let (a_id, b_id, c_id) = (id_on(&a, &question).await, id_on(&b, &question).await, id_on(&c, &question).await);

        // Members do not vote on it directly: their coop does.
        let (status, refused) = vote_as(&b, &bea, b_id, &["Approve"]).await;
        assert_eq!(status, 403, "{refused}");

        // Each coop decides inside, by a coop proposal with the same options.
        let decide_by = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
        let mut decisions = Vec::new();
        for (instance, cookie, id) in [(&a, &ana, a_id), (&b, &bea, b_id), (&c, &cai, c_id)] {
            let (status, decision) = call(instance, cookie, Method::POST, &format!("/api/v1/proposals/{id}/decision"),
                Some(json!({ "closes_at": decide_by }))).await;
            assert_eq!(status, 201, "{decision}");
            assert_eq!(decision["scope"], "coop");
            assert_eq!(decision["decides"], id);
            assert_eq!(decision["options"].as_array().unwrap().len(), 2);
            decisions.push((decision["id"].as_i64().unwrap(), decision["ap_id"].as_str().unwrap().to_owned()));
            let view = shown(instance, cookie, &question).await;
            assert_eq!(view["decided_by"], decision["id"]);
        }
        // One decision per coop; it must close before the network proposal.
        let (status, _) = call(&b, &ben, Method::POST, &format!("/api/v1/proposals/{b_id}/decision"), Some(json!({ "closes_at": decide_by }))).await;
        assert_eq!(status, 409);
        let late = (closes_at + chrono::TimeDelta::minutes(5)).to_rfc3339();
        let (status, _) = call(&c, &cai, Method::POST, &format!("/api/v1/proposals/{}/decision", decisions[2].0), Some(json!({ "closes_at": late }))).await;
        assert_eq!(status, 422, "a coop proposal decides nothing of another coop proposal");

        // A: Reject. B: two of three Approve. C: Reject.
        assert_eq!(vote_as(&a, &ana, decisions[0].0, &["Reject"]).await.0, 200);
        for (cookie, choice) in [(&bea, "Approve"), (&ben, "Approve"), (&bo, "Reject")] {
            assert_eq!(vote_as(&b, cookie, decisions[1].0, &[choice]).await.0, 200);
        }
        assert_eq!(vote_as(&c, &cai, decisions[2].0, &["Reject"]).await.0, 200);
        for (instance, (_, ap_id)) in [&a, &b, &c].into_iter().zip(&decisions) {
            close_now(instance, ap_id).await;
        }

        // Each coop's result is cast as its coop actor's vote, here and across the network;
        // A counts one vote per coop.
        let view = wait_for("the coops' votes on A", DEADLINE, || async {
            let view = shown(&a, &ana, &question).await;
            (votes(&view) == [1, 2]).then_some(view)
        })
        .await;
        assert_eq!(view["voters"], 3);
        assert_eq!(view["coops_taking_part"], 3);
        assert_eq!(view["coop_vote"], json!(["Reject"]));
        assert_eq!(view["not_counted"], json!([]));
        let on_b = shown(&b, &bea, &question).await;
        assert_eq!(on_b["coop_vote"], json!(["Approve"]));
        let decided = wait_for("B's decision closed", DEADLINE, || async {
            let (_, view) = call(&b, &bea, Method::GET, &format!("/api/v1/proposals/{}", decisions[1].0), None).await;
            (view["closed"] == true).then_some(view)
        })
        .await;
        assert_eq!(decided["outcome"], "winner:Approve");

        // At the close every instance shows the same outcome.
        close_now(&a, &question).await;
        for (instance, cookie) in [(&a, &ana), (&b, &bea), (&c, &cai)] {
            let view = wait_for(&format!("the outcome on {}", instance.domain), DEADLINE, || async {
                let view = shown(instance, cookie, &question).await;
                (view["closed"] == true && !view["outcome"].is_null()).then_some(view)
            })
            .await;
            assert_eq!(view["outcome"], "winner:Reject", "{view}");
            assert_eq!(votes(&view), [1, 2]);
        }
    }

    async fn a_narrowed_multiple_choice_vote_withdraws_the_dropped_options(db) {
        let db_b = db.sibling();
        let a = TestInstance::start_named(&db, "nord").await;
        let b = TestInstance::start_named(&db_b, "sued").await;
        a.create_account("ana", Role::Member, false).await;
        b.create_account("bea", Role::Member, false).await;
        let (ana, bea) = (a.login_cookie("ana").await, b.login_cookie("bea").await);
        link(&[(&a, &b)]).await;
        let closes_at = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
        let (status, created) = call(&a, &ana, Method::POST, "/api/v1/proposals", Some(json!({
            "title": "Colours", "kind": "multiple", "scope": "network",
            "options": ["Red", "Green", "Blue"], "closes_at": closes_at,
        }))).await;
        assert_eq!(status, 201, "{created}");
        let question = created["ap_id"].as_str().unwrap().to_owned();
        let (a_id, b_id) = (id_on(&a, &question).await, id_on(&b, &question).await);

        // Locally: ana chooses two, then narrows to one.
        assert_eq!(vote_as(&a, &ana, a_id, &["Red", "Green"]).await.0, 200);
        let (status, mine) = vote_as(&a, &ana, a_id, &["Green"]).await;
        assert_eq!(status, 200);
        assert_eq!(mine["my_vote"], json!(["Green"]));
        assert_eq!(votes(&mine), [0, 1, 0]);

        // From B: bea chooses Red and Blue; A counts both.
        assert_eq!(vote_as(&b, &bea, b_id, &["Red", "Blue"]).await.0, 200);
        wait_for("bea's two options on A", DEADLINE, || async {
            (votes(&shown(&a, &ana, &question).await) == [1, 1, 1]).then_some(())
        })
        .await;
        // She narrows to Blue: Red is withdrawn on A, not only on B.
        let (status, mine) = vote_as(&b, &bea, b_id, &["Blue"]).await;
        assert_eq!(status, 200);
        assert_eq!(mine["my_vote"], json!(["Blue"]));
        let view = wait_for("bea's narrowed vote on A", DEADLINE, || async {
            let view = shown(&a, &ana, &question).await;
            (votes(&view) == [0, 1, 1]).then_some(view)
        })
        .await;
        assert_eq!(view["voters"], 2);
        // And widening again adds back.
        assert_eq!(vote_as(&b, &bea, b_id, &["Blue", "Green"]).await.0, 200);
        wait_for("bea's widened vote on A", DEADLINE, || async {
            (votes(&shown(&a, &ana, &question).await) == [0, 2, 1]).then_some(())
        })
        .await;
    }

    async fn comments_on_a_network_proposal_reach_the_whole_network(db) {
        let (db_b, db_c) = (db.sibling(), db.sibling());
        let a = TestInstance::start_named(&db, "nord").await;
        let b = TestInstance::start_named(&db_b, "sued").await;
        let c = TestInstance::start_named(&db_c, "west").await;
        a.create_account("ana", Role::Member, false).await;
        let bea_id = b.create_account("bea", Role::Member, false).await;
        c.create_account("cai", Role::Member, false).await;
        let (ana, bea, cai) = (a.login_cookie("ana").await, b.login_cookie("bea").await, c.login_cookie("cai").await);
        link(&[(&a, &b), (&a, &c)]).await;
        let peer = MastodonPeer::start(None).await;
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.new_id(), "type": "Follow", "actor": peer.actor_id(), "object": a.coop_id(),
        });
        assert_eq!(peer.post(&format!("{}/inbox", a.base), &follow).await.0, 202);
        wait_for("the Accept", DEADLINE, || async {
            (!peer.received_of_type("Accept").is_empty()).then_some(())
        })
        .await;
        let closes_at = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
        let (status, created) = call(&a, &ana, Method::POST, "/api/v1/proposals", Some(json!({
            "title": "Open books", "kind": "consent", "scope": "network", "closes_at": closes_at,
        }))).await;
        assert_eq!(status, 201, "{created}");
        let question = created["ap_id"].as_str().unwrap().to_owned();
        let (a_id, b_id, c_id) = (id_on(&a, &question).await, id_on(&b, &question).await, id_on(&c, &question).await);

        // A member of B comments from home: A keeps it and relays it to C and to the coop's
        // followers on Mastodon (an Announce of the comment, which C fetches from B).
        let (status, comment) = call(&b, &bea, Method::POST, &format!("/api/v1/proposals/{b_id}/comments"), Some(json!({ "text": "Which books?" }))).await;
        assert_eq!(status, 201, "{comment}");
        let comment_id = comment["ap_id"].as_str().unwrap().to_owned();
        let from_bea = (bea_id.clone(), "<p>Which books?</p>".to_owned());
        for (instance, cookie, id) in [(&a, &ana, a_id), (&c, &cai, c_id)] {
            wait_for(&format!("bea's comment on {}", instance.domain), DEADLINE, || async {
                comments_on(instance, cookie, id).await.contains(&from_bea).then_some(())
            })
            .await;
        }
        let relayed = wait_for("the relayed comment at the peer", DEADLINE, || async {
            peer.received_of_type("Announce").into_iter().find(|d| d.body["object"] == comment_id.as_str())
        })
        .await;
        assert_eq!(relayed.body["actor"], a.coop_id().as_str());
        // The comment is served at its id, as a public reply to the Question.
        let served: Value = b.http.get(&comment_id).header("accept", "application/activity+json").send().await.unwrap().json().await.unwrap();
        assert_eq!(served["inReplyTo"], question.as_str());
        assert_eq!(served["attributedTo"], bea_id.as_str());
        assert!(served["cc"].as_array().unwrap().iter().any(|c| c == "https://www.w3.org/ns/activitystreams#Public"), "{served}");

        // A member of A comments: B and C see it.
        assert_eq!(call(&a, &ana, Method::POST, &format!("/api/v1/proposals/{a_id}/comments"), Some(json!({ "text": "The ledger." }))).await.0, 201);
        // A Mastodon user replies publicly: A keeps it and relays it too.
        let reply_id = format!("{}/statuses/1", peer.actor_id());
        let reply = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": reply_id, "type": "Note", "attributedTo": peer.actor_id(), "inReplyTo": question,
            "content": "<p>Good idea</p>", "to": [a.coop_id()], "cc": ["https://www.w3.org/ns/activitystreams#Public"],
        });
        peer.serve(&reply_id, reply.clone());
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{reply_id}/activity"), "type": "Create", "actor": peer.actor_id(),
            "to": [a.coop_id()], "cc": ["https://www.w3.org/ns/activitystreams#Public"], "object": reply,
        });
        assert_eq!(peer.post(&format!("{}/inbox", a.base), &create).await.0, 202);
        for (instance, cookie, id) in [(&b, &bea, b_id), (&c, &cai, c_id)] {
            let all = wait_for(&format!("the discussion on {}", instance.domain), DEADLINE, || async {
                let all = comments_on(instance, cookie, id).await;
                (all.len() == 3).then_some(all)
            })
            .await;
            assert!(all.iter().any(|(_, text)| text == "<p>The ledger.</p>"), "{all:?}");
            assert!(all.iter().any(|(author, text)| *author == peer.actor_id() && text == "<p>Good idea</p>"), "{all:?}");
        }
        let on_a = comments_on(&a, &ana, a_id).await;
        assert_eq!(on_a.len(), 3, "{on_a:?}");
    }

    async fn a_mastodon_user_the_coop_follows_back_is_no_coop_and_votes_advisory(db) {
        let coop = TestInstance::start_named(&db, "nord").await;
        coop.create_account("ana", Role::Member, false).await;
        let ana = coop.login_cookie("ana").await;
        let peer = MastodonPeer::start(None).await;
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.new_id(), "type": "Follow", "actor": peer.actor_id(), "object": coop.coop_id(),
        });
        assert_eq!(peer.post(&format!("{}/inbox", coop.base), &follow).await.0, 202);
        wait_for("the Accept", DEADLINE, || async {
            (!peer.received_of_type("Accept").is_empty()).then_some(())
        })
        .await;
        // The coop follows the user back: they follow each other, but a Person is no coop.
        let user = peer.actor_id();
        coop.query(move |conn| {
            let ours = cooperage_db::actors::local_by_username(conn, "nord")?.unwrap();
            let theirs = cooperage_db::actors::by_ap_id(conn, &user)?.unwrap();
            cooperage_db::follows::upsert(conn, ours.id, theirs.id, "https://x/follow-back", "accepted")?;
            Ok(())
        })
        .await;
        let closes_at = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
        let (status, created) = call(&coop, &ana, Method::POST, "/api/v1/proposals", Some(json!({
            "title": "Open day", "kind": "single", "scope": "network", "options": ["Yes", "No"],
            "closes_at": closes_at, "open_poll": true,
        }))).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["eligible_voters"], 1, "ana only: the user attests no members");
        let question = created["ap_id"].as_str().unwrap().to_owned();
        let inbox = format!("{}/actors/nord/inbox", coop.base);
        assert_eq!(peer.post(&inbox, &mastodon_vote(&peer, &coop.coop_id(), &question, "No")).await.0, 202);
        let view = wait_for("the advisory vote", DEADLINE, || async {
            let view = shown(&coop, &ana, &question).await;
            (view["advisory_voters"] == 1).then_some(view)
        })
        .await;
        assert_eq!(view["options"][1]["advisory_votes"], 1);
        assert_eq!(view["not_counted"], json!([]));
    }
}
