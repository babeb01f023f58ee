//! Real activities as other servers send them (tests/fixtures/activities/, sources in its
//! SOURCES.md), each through the real inbox: signed by a peer that serves the sample's actors,
//! accepted or refused as Mastodon would.
//!
//! The samples' hosts are rewritten to the peer's loopback origin (namespaces such as
//! `https://www.w3.org/ns/activitystreams#Public` are left alone), so every id in a sample
//! can be fetched for real.

use cooperage_app::federation as operations;
use cooperage_db::{actors, follows, posts};
use serde_json::{Value, json};

use crate::support::{MastodonPeer, TestInstance};

/// Hosts of vocabularies, not of servers: never rewritten.
const NAMESPACE_HOSTS: [&str; 8] = [
    "www.w3.org",
    "w3id.org",
    "joinmastodon.org",
    "purl.org",
    "schema.org",
    "gotosocial.org",
    "misskey-hub.net",
    "litepub.social",
];

fn load(file: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/activities/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Moves every server URL of `value` onto the peer.
fn rehome(value: &mut Value, base: &str) {
    match value {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            let Ok(url) = reqwest::Url::parse(s) else {
                return;
            };
            if NAMESPACE_HOSTS.contains(&url.host_str().unwrap_or_default()) {
                return;
            }
            let mut moved = format!("{base}{}", url.path());
            if let Some(query) = url.query() {
                moved = format!("{moved}?{query}");
            }
            if let Some(fragment) = url.fragment() {
                moved = format!("{moved}#{fragment}");
            }
            *s = moved;
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rehome(v, base)),
        Value::Object(map) => map.values_mut().for_each(|v| rehome(v, base)),
        _ => {}
    }
}

/// A sample moved onto the peer, its actor (and the authors it names) served there.
fn sample(peer: &MastodonPeer, file: &str) -> Value {
    let mut activity = load(file);
    rehome(&mut activity, &peer.base());
    let actor = activity["actor"].as_str().expect("actor").to_owned();
    peer.serve_actor(&actor, "Person", "sample");
    activity
}

async fn deliver(coop: &TestInstance, peer: &MastodonPeer, activity: &Value) -> (u16, String) {
    let actor = activity["actor"].as_str().unwrap();
    peer.post_as(actor, &format!("{}/inbox", coop.base), activity)
        .await
}

/// The coop follows `actor` (accepted at once, as if the peer had answered).
async fn coop_follows(coop: &TestInstance, actor: &str) {
    operations::follow(coop.app(), actor).await.expect("follow");
    let actor = actor.to_owned();
    coop.query(move |conn| {
        let coop = actors::local_by_username(conn, "coop")?.unwrap();
        let followed = actors::by_ap_id(conn, &actor)?.unwrap();
        let follow = follows::between(conn, coop.id, followed.id)?.unwrap();
        follows::accept(conn, follow.id)
    })
    .await;
}

async fn stored(coop: &TestInstance, id: &str) -> Option<posts::Post> {
    let id = id.to_owned();
    coop.query(move |conn| posts::by_ap_id(conn, &id)).await
}

/// Delivers a Create sample from a followed author: 202 and stored (sanitized) when
/// `stored_as` names a type, 202 and not stored (a poll vote) when `None`.
async fn check_create(
    coop: &TestInstance,
    peer: &MastodonPeer,
    file: &str,
    stored_as: Option<&str>,
) {
    let activity = sample(peer, file);
    coop_follows(coop, activity["actor"].as_str().unwrap()).await;
    let (status, body) = deliver(coop, peer, &activity).await;
    assert_eq!(status, 202, "{file}: {body}");
    let objects = match &activity["object"] {
        Value::Array(items) => items.clone(),
        object => vec![object.clone()],
    };
    for object in objects {
        let post = stored(coop, object["id"].as_str().unwrap()).await;
        match stored_as {
            Some(kind) => {
                let post = post.unwrap_or_else(|| panic!("{file}: not stored"));
                assert_eq!(post.object_type, kind, "{file}");
                assert!(!post.content.contains("<script"), "{file}: sanitized");
            }
            None => assert!(post.is_none(), "{file}: a vote is not a post"),
        }
    }
}

/// The state of `follower`'s follow of the coop, if any.
async fn state(coop: &TestInstance, follower: String) -> Option<String> {
    coop.query(move |conn| {
        let coop = actors::local_by_username(conn, "coop")?.unwrap();
        let Some(actor) = actors::by_ap_id(conn, &follower)? else {
            return Ok(None);
        };
        Ok(follows::between(conn, actor.id, coop.id)?.map(|f| f.state))
    })
    .await
}

backend_tests! {
    async fn samples_of_posts_are_stored_and_votes_are_not(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        check_create(&coop, &peer, "mastodon/create_note.json", Some("Note")).await;
        check_create(&coop, &peer, "mastodon/create_note_attachment.json", Some("Note")).await;
        check_create(&coop, &peer, "gotosocial/create_note.json", Some("Note")).await;
        check_create(&coop, &peer, "misskey/create_note.json", Some("Note")).await;
        check_create(&coop, &peer, "fedify/create_note.json", Some("Note")).await;
        // Poll votes (a Note with a name and no content) are not posts; GoToSocial sends
        // several in one Create.
        check_create(&coop, &peer, "mastodon/create_poll_vote.json", None).await;
        check_create(&coop, &peer, "mastodon/create_poll_vote_sdf.json", None).await;
        check_create(&coop, &peer, "gotosocial/create_poll_votes.json", None).await;
        // Once the poll is one of our open network proposals, GoToSocial's two choices count,
        // in the advisory tally (the voter is outside the network).
        coop.create_account("ana", cooperage_domain::member::Role::Member, false).await;
        let closes_at = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
        let proposal: Value = coop.http.post(format!("{}/api/v1/proposals", coop.base))
            .header("cookie", coop.login_cookie("ana").await)
            .json(&json!({ "title": "Which paper?", "kind": "multiple", "scope": "network", "open_poll": true,
                "options": ["tissues", "financial times", "neither"], "closes_at": closes_at }))
            .send().await.unwrap().json().await.unwrap();
        let (proposal_id, question) = (proposal["id"].as_i64().unwrap(), proposal["ap_id"].as_str().unwrap().to_owned());
        let mut votes = sample(&peer, "gotosocial/create_poll_votes.json");
        votes["id"] = json!(format!("{}/again", votes["id"].as_str().unwrap()));
        for note in votes["object"].as_array_mut().unwrap() {
            note["inReplyTo"] = json!(question);
        }
        let (status, body) = deliver(&coop, &peer, &votes).await;
        assert_eq!(status, 202, "{body}");
        crate::support::wait_for("the advisory votes", crate::support::DEADLINE, || async {
            let stored = coop.query(move |conn| cooperage_db::proposals::votes_of(conn, proposal_id)).await;
            (stored.len() == 2 && stored.iter().all(|v| v.standing == cooperage_domain::proposal::Standing::Advisory)).then_some(())
        })
        .await;

        // Mastodon's hashtags and mentions survive in the stored object.
        let activity = sample(&peer, "mastodon/create_note.json");
        let post = stored(&coop, activity["object"]["id"].as_str().unwrap()).await.unwrap();
        let object: Value = serde_json::from_str(&post.object_json).unwrap();
        let kinds: Vec<_> = object["tag"].as_array().unwrap().iter().map(|t| t["type"].clone()).collect();
        assert!(kinds.contains(&json!("Hashtag")) && kinds.contains(&json!("Mention")), "{kinds:?}");

        // A poll's Update (a Question) from a followed author is kept.
        let activity = sample(&peer, "mastodon/update_question.json");
        coop_follows(&coop, activity["actor"].as_str().unwrap()).await;
        let (status, body) = deliver(&coop, &peer, &activity).await;
        assert_eq!(status, 202, "{body}");
        let question = stored(&coop, activity["object"]["id"].as_str().unwrap()).await;
        assert_eq!(question.map(|q| q.object_type).as_deref(), Some("Question"));

        // Likes are not ours to keep: accepted and ignored.
        let like = sample(&peer, "mastodon/like.json");
        let (status, body) = deliver(&coop, &peer, &like).await;
        assert_eq!(status, 202, "{body}");
    }

    async fn samples_that_forge_or_misplace_their_object_are_refused(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        // The same Create, attributed to someone else: Mastodon refuses it too.
        let mut forged = sample(&peer, "mastodon/create_note.json");
        forged["object"]["attributedTo"] = json!(format!("{}/users/someone-else", peer.base()));
        let (status, body) = deliver(&coop, &peer, &forged).await;
        assert_eq!(status, 400, "{body}");
        // Its object claimed on another host.
        let mut elsewhere = sample(&peer, "mastodon/create_note.json");
        elsewhere["object"]["id"] = json!("https://elsewhere.example/notes/1");
        let (status, body) = deliver(&coop, &peer, &elsewhere).await;
        assert_eq!(status, 400, "{body}");
        // Text no database can store.
        let mut nul = sample(&peer, "gotosocial/create_note.json");
        nul["object"]["content"] = json!("nul \u{0} inside");
        let (status, body) = deliver(&coop, &peer, &nul).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("NUL"), "{body}");
    }

    async fn samples_of_follows_updates_and_deletes_apply(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        // Mastodon's Follow, aimed at our coop: accepted, answered.
        let mut follow = sample(&peer, "mastodon/follow.json");
        follow["object"] = json!(coop.coop_id());
        let (status, body) = deliver(&coop, &peer, &follow).await;
        assert_eq!(status, 202, "{body}");
        let follower = follow["actor"].as_str().unwrap().to_owned();
        assert_eq!(state(&coop, follower.clone()).await.as_deref(), Some(follows::ACCEPTED));
        // Its Undo (the Follow embedded, by id): the follower is gone.
        let mut undo = sample(&peer, "mastodon/undo_follow.json");
        undo["object"]["object"] = json!(coop.coop_id());
        let (status, body) = deliver(&coop, &peer, &undo).await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(state(&coop, follower).await, None);

        // An Accept of a Follow we never sent changes nothing.
        let accept = sample(&peer, "mastodon/accept_follow.json");
        let (status, body) = deliver(&coop, &peer, &accept).await;
        assert_eq!(status, 202, "{body}");

        // A profile Update. The source's key is damaged: refused, not stored.
        let damaged = sample(&peer, "mastodon/update_person.json");
        let (status, body) = deliver(&coop, &peer, &damaged).await;
        assert_eq!(status, 400, "{body}");
        // With the peer's own key in its place, applied.
        let mut update = sample(&peer, "mastodon/update_person.json");
        update["object"]["publicKey"]["publicKeyPem"] = json!(peer.public_pem());
        let actor = update["actor"].as_str().unwrap().to_owned();
        let (status, body) = deliver(&coop, &peer, &update).await;
        assert_eq!(status, 202, "{body}");
        let id = actor.clone();
        let name = coop.query(move |conn| Ok(actors::by_ap_id(conn, &id)?.and_then(|a| a.display_name))).await;
        assert_eq!(name.as_deref(), update["object"]["name"].as_str());

        // An account deleted: nobody here follows it or is followed by it any more.
        let delete = sample(&peer, "mastodon/delete_actor.json");
        let deleted = delete["actor"].as_str().unwrap().to_owned();
        coop_follows(&coop, &deleted).await;
        let (status, body) = deliver(&coop, &peer, &delete).await;
        assert_eq!(status, 202, "{body}");
        let follows_left = coop.query(move |conn| {
            let coop = actors::local_by_username(conn, "coop")?.unwrap();
            let actor = actors::by_ap_id(conn, &deleted)?.unwrap();
            Ok(follows::between(conn, coop.id, actor.id)?.is_some())
        })
        .await;
        assert!(!follows_left);
    }

    async fn announced_and_referenced_objects_are_fetched_then_applied(db) {
        let coop = TestInstance::start(&db).await;
        let peer = MastodonPeer::start(None).await;
        // Mastodon's boost with the object as a bare URL: fetched from its origin, stored.
        let announce = sample(&peer, "mastodon/announce_by_url.json");
        let announcer = announce["actor"].as_str().unwrap().to_owned();
        let object_id = announce["object"].as_str().unwrap().to_owned();
        peer.serve(&object_id, json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": object_id, "type": "Note", "attributedTo": announcer,
            "content": "<p>boosted <script>alert(1)</script></p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        }));
        coop_follows(&coop, &announcer).await;
        let (status, body) = deliver(&coop, &peer, &announce).await;
        assert_eq!(status, 202, "{body}");
        let post = stored(&coop, &object_id).await.expect("the announced post");
        assert_eq!(post.content, "<p>boosted </p>");

        // A relay's Announce of a URL, from a relay nobody here follows: fetched, not kept.
        let relay = sample(&peer, "pleroma/relay_announce_by_url.json");
        let relayed = relay["object"].as_str().unwrap().to_owned();
        assert_eq!(relayed, object_id, "the relay sample announces the same status");
        let (status, body) = deliver(&coop, &peer, &relay).await;
        assert_eq!(status, 202, "{body}");

        // A Create that names its object only by URL: fetched (signed), then applied.
        let author = format!("{}/users/pleroma-user", peer.base());
        peer.serve_actor(&author, "Person", "pleroma-user");
        let note_id = format!("{}/objects/by-url-1", peer.base());
        peer.serve(&note_id, json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": note_id, "type": "Note", "attributedTo": author, "content": "<p>by reference</p>",
        }));
        coop_follows(&coop, &author).await;
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/by-url-1", peer.base()),
            "type": "Create", "actor": author, "object": note_id,
        });
        let (status, body) = deliver(&coop, &peer, &create).await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(stored(&coop, &note_id).await.map(|p| p.content).as_deref(), Some("<p>by reference</p>"));
        // A URL that cannot be fetched is refused; the sender retries later.
        let missing = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/by-url-2", peer.base()),
            "type": "Create", "actor": author, "object": format!("{}/objects/gone", peer.base()),
        });
        let (status, _) = deliver(&coop, &peer, &missing).await;
        assert!(status >= 400, "an unfetchable object is not accepted: {status}");

        // Lemmy: a group announces a member's Create{Page}; the Page is kept, by its author.
        let lemmy = sample(&peer, "lemmy/announce_create_page.json");
        let group = lemmy["actor"].as_str().unwrap().to_owned();
        peer.serve_actor(&group, "Group", "main");
        let page_author = lemmy["object"]["object"]["attributedTo"].as_str().unwrap().to_owned();
        peer.serve_actor(&page_author, "Person", "lemmy_beta");
        coop_follows(&coop, &group).await;
        let (status, body) = deliver(&coop, &peer, &lemmy).await;
        assert_eq!(status, 202, "{body}");
        let page = stored(&coop, lemmy["object"]["object"]["id"].as_str().unwrap()).await.expect("the Page");
        assert_eq!(page.object_type, "Page");
        let author_id = page.author_id;
        let author = coop.query(move |conn| actors::by_id(conn, author_id)).await;
        assert_eq!(author.ap_id, page_author);
    }
}
