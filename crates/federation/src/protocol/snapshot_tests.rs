//! Snapshots of every document kind we send or serve (insta). Ids minted at random (UUIDs),
//! dates and keys are redacted; everything else is what goes on the wire, so a change to a
//! document shows up as a failing test and a diff to review (`cargo insta review`).

use chrono::NaiveDate;
use cooperage_db::actors::{APPLICATION, Actor, GROUP, PERSON};
use serde_json::Value;

use super::activities::AnswerFollow;
use super::actor::{
    LocalActorDocument, ProfileFacts, coop_to_group, local_actor, local_actor_document,
};
use super::collection::{
    members_collection, ordered_collection, ordered_collection_page, outbox_page,
};
use super::context::cooperage_context;
use super::discovery::{self, Usage};
use super::note::{NewPost, Note, Tag, post_to_note, served_note};
use crate::{DeliverySettings, Settings, outbox};

fn settings() -> Settings {
    Settings {
        domain: "coop.example".into(),
        debug: false,
        tls: false,
        coop_handle: "coop".into(),
        coop_name: "Kollektiv Nord eG".into(),
        allowlist_only: false,
        software_version: "0.1.0".into(),
        delivery: DeliverySettings::default(),
    }
}

fn local(settings: &Settings, id: i64, username: &str, actor_type: &str) -> Actor {
    let ap_id = settings.actor_id(username);
    Actor {
        id,
        ap_id: ap_id.clone(),
        actor_type: actor_type.into(),
        local: true,
        username: username.into(),
        domain: settings.domain.clone(),
        display_name: Some(format!("Display {username}")),
        summary: Some("<p>Bio</p>".into()),
        inbox: format!("{ap_id}/inbox"),
        shared_inbox: Some(settings.shared_inbox()),
        followers_url: Some(format!("{ap_id}/followers")),
        public_key_id: settings.key_id(username),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\nsecret\n-----END PUBLIC KEY-----\n".into(),
        manually_approves_followers: false,
        published: NaiveDate::from_ymd_opt(2026, 1, 2)
            .and_then(|d| d.and_hms_opt(3, 4, 5))
            .unwrap_or_default(),
        fetched_at: None,
    }
}

fn remote(id: i64, username: &str) -> Actor {
    let ap_id = format!("https://mastodon.example/users/{username}");
    Actor {
        local: false,
        domain: "mastodon.example".into(),
        inbox: format!("{ap_id}/inbox"),
        shared_inbox: Some("https://mastodon.example/inbox".into()),
        public_key_id: format!("{ap_id}#main-key"),
        ap_id,
        ..local(&settings(), id, username, PERSON)
    }
}

/// The document as JSON, with what differs on every run replaced: UUIDs (inside ids), dates,
/// key material.
fn redact<T: serde::Serialize>(document: T) -> Value {
    redact_value(super::to_json(&document))
}

fn redact_value(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let value = match key.as_str() {
                        "published" | "updated" => Value::from("[date]"),
                        "publicKeyPem" => Value::from("[key]"),
                        _ => redact_value(value),
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_value).collect()),
        Value::String(text) => Value::String(redact_uuids(&text)),
        other => other,
    }
}

fn redact_uuids(text: &str) -> String {
    text.split('/')
        .map(|segment| {
            if uuid::Uuid::parse_str(segment).is_ok() {
                "[uuid]"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

macro_rules! check {
    ($name:literal, $value:expr) => {
        insta::with_settings!({ sort_maps => true, prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!($name, redact($value));
        })
    };
}

fn member_facts() -> ProfileFacts {
    ProfileFacts {
        fields: vec![
            ("Coop".into(), "@coop@coop.example".into()),
            ("City".into(), "Hamburg".into()),
            ("Role".into(), "member (worker-owner)".into()),
        ],
    }
}

#[test]
fn person() {
    let s = settings();
    check!(
        "person",
        local_actor_document(&s, &local(&s, 1, "maria", PERSON), &member_facts())
    );
}

#[test]
fn group() {
    let s = settings();
    let facts = ProfileFacts { fields: Vec::new() };
    check!(
        "group",
        local_actor_document(&s, &local(&s, 2, "coop", GROUP), &facts)
    );
}

#[test]
fn application() {
    let s = settings();
    let facts = ProfileFacts { fields: Vec::new() };
    check!(
        "application",
        local_actor_document(&s, &local(&s, 3, "instance.actor", APPLICATION), &facts)
    );
}

#[test]
fn follow() {
    let s = settings();
    let activity = outbox::follow(&s, &local(&s, 2, "coop", GROUP), &remote(9, "bob"));
    assert_eq!(activity.kind, "Follow");
    assert_eq!(
        activity.inboxes,
        ["https://mastodon.example/users/bob/inbox"]
    );
    check!("follow", activity.json);
}

#[test]
fn accept_and_reject() {
    let s = settings();
    let follow_id = "https://mastodon.example/activities/1";
    for (kind, name) in [("Accept", "accept"), ("Reject", "reject")] {
        let activity = outbox::answer_follow(
            &s,
            kind,
            &local(&s, 2, "coop", GROUP),
            &remote(9, "bob"),
            follow_id,
        );
        assert_eq!(activity.kind, kind);
        assert!(!activity.public);
        insta::with_settings!({ sort_maps => true, prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!(name, redact(activity.json));
        });
    }
}

#[test]
fn undo_follow() {
    let s = settings();
    let activity = outbox::undo_follow(
        &s,
        &local(&s, 2, "coop", GROUP),
        &remote(9, "bob"),
        "https://coop.example/activities/1",
    );
    assert_eq!(activity.kind, "Undo");
    check!("undo_follow", activity.json);
}

#[test]
fn create_note_with_hashtags() {
    let s = settings();
    let (note, create) = outbox::create_note(
        &s,
        &local(&s, 1, "maria", PERSON),
        "<p>Hello #Rust and #rust, #Coops_2026!</p>",
        &[],
        vec!["https://mastodon.example/inbox".into()],
    );
    assert_eq!(create.kind, "Create");
    assert!(create.public);
    assert_eq!(create.json["object"], note);
    check!("create_note", create.json);
}

#[test]
fn skill_listing() {
    use cooperage_db::skills::Listing;
    use cooperage_domain::skill::{Level, Visibility, WorkMode};
    let s = settings();
    let day = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default();
    let listing = Listing {
        id: 1,
        ap_id: "https://coop.example/skills/1".into(),
        actor_id: 1,
        coop_actor_id: Some(2),
        local: true,
        label: "PostgreSQL <replication>".into(),
        tags: " postgresqlreplication postgresql ".into(),
        level: Level::Expert,
        description: "Streaming & logical.\n\nAlso upgrades.".into(),
        hours_per_week: 10,
        available_from: Some("2027-01-01".into()),
        available_until: Some("2027-03-31".into()),
        work_mode: WorkMode::Remote,
        region: "Kassel".into(),
        visibility: Visibility::Public,
        search_text: String::new(),
        published: day,
        updated: None,
    };
    let maria = local(&s, 1, "maria", PERSON);
    let coop = local(&s, 2, "coop", GROUP);
    let network = vec!["https://sued.example/actors/coop".to_owned()];
    let note = super::skill::listing_to_note(
        &s,
        &listing,
        &maria,
        &coop,
        super::skill::audience(&maria, Visibility::Public, &network),
    );
    check!(
        "skill_listing_create",
        super::skill::create_listing("https://coop.example/activities/1", note)
    );
    let narrowed = super::skill::audience(&maria, Visibility::Network, &network);
    check!("skill_listing_network_audience", narrowed);
    check!(
        "skill_listing_delete",
        super::skill::delete_listing(
            &s,
            "https://coop.example/activities/2",
            &listing.ap_id,
            &maria,
            (vec![super::PUBLIC.into()], vec![])
        )
    );
    check!(
        "coop_announce",
        super::skill::coop_announces("https://coop.example/activities/3", &coop, &listing.ap_id)
    );
}

#[test]
fn project_offer() {
    use cooperage_db::offers::{Application, Offer};
    use cooperage_domain::offer::{ApplicationStatus, Compensation, Status};
    use cooperage_domain::skill::Visibility;
    let s = settings();
    let day = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default();
    let offer = Offer {
        id: 1,
        ap_id: "https://coop.example/offers/1".into(),
        local: true,
        project_id: Some(3),
        coop_actor_id: 2,
        title: "Rust & PostgreSQL <backend>".into(),
        description: "An accounting tool for coops.\n\nPair work, weekly calls.".into(),
        skills: " rust postgresql ".into(),
        positions: 2,
        estimated_hours: 120,
        period_start: Some("2027-02-01".into()),
        period_end: Some("2027-06-30".into()),
        compensation: Compensation::Hourly,
        amount_minor: Some(5_500),
        currency: Some("EUR".into()),
        location: "Kassel".into(),
        remote: true,
        application_deadline: Some("2027-01-15".into()),
        audience: Visibility::Public,
        status: Status::Open,
        published: day,
        updated: None,
    };
    let coop = local(&s, 2, "coop", GROUP);
    let network = vec!["https://sued.example/actors/coop".to_owned()];
    let note = super::offer::offer_to_note(
        &s,
        &offer,
        &coop,
        "open",
        super::offer::audience(&coop, Visibility::Public, &network),
    );
    check!(
        "project_offer_create",
        super::offer::create_offer("https://coop.example/activities/1", note)
    );
    let closed = super::offer::offer_to_note(
        &s,
        &Offer {
            compensation: Compensation::ToBeDiscussed,
            amount_minor: None,
            currency: None,
            audience: Visibility::Network,
            status: Status::Filled,
            ..offer.clone()
        },
        &coop,
        "filled",
        super::offer::audience(&coop, Visibility::Network, &network),
    );
    check!(
        "project_offer_update_closed",
        super::offer::update_offer("https://coop.example/activities/2", closed)
    );
    check!(
        "project_offer_delete",
        super::offer::delete_offer(&s, "https://coop.example/activities/3", &offer.ap_id, &coop)
    );
    let maria = local(&s, 1, "maria", PERSON);
    let application = Application {
        id: 1,
        ap_id: "https://coop.example/activities/4".into(),
        offer_id: 1,
        applicant_actor_id: 1,
        coop_actor_id: Some(2),
        message: "I know Rust since 2016.".into(),
        hours_available: 80,
        status: ApplicationStatus::Pending,
        created_at: day,
        updated_at: day,
    };
    let apply = super::offer::application_offer(
        &s,
        &application,
        &maria,
        &coop,
        "https://sued.example/offers/7",
        "https://sued.example/actors/coop",
    );
    check!("offer_application", apply.clone());
    let sued = remote(5, "coop");
    check!(
        "offer_application_accept",
        super::offer::answer_application(
            &s,
            "https://sued.example/activities/5",
            "Accept",
            &sued,
            apply.clone()
        )
    );
    check!(
        "offer_application_undo",
        super::offer::undo_application(&s, "https://coop.example/activities/6", &maria, apply)
    );
}

#[test]
fn proposal_question_vote_and_outcome() {
    use cooperage_db::proposals::Proposal;
    use cooperage_domain::proposal::{self, Counting, Kind, Results, Scope, Standing};
    let s = settings();
    let day = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default();
    let mut p = Proposal {
        id: 1,
        ap_id: "https://coop.example/proposals/1".into(),
        coop_actor_id: 2,
        author_actor_id: Some(1),
        local: true,
        title: "Solidarity fund <3%>".into(),
        body_html: "<p>Adopt a shared fund.</p>".into(),
        kind: Kind::Single,
        scope: Scope::Network,
        counting: Counting::PerMember,
        results: Results::Live,
        options: "Approve\nReject\nAbstain".into(),
        quorum_percent: Some(30),
        quorum_coops: Some(2),
        open_poll: true,
        opens_at: day,
        closes_at: day + chrono::TimeDelta::days(7),
        closed: false,
        outcome: None,
        remote_tally: None,
        update_due: false,
        last_update_at: None,
        budget_project_id: None,
        budget_kind: None,
        budget_amount: None,
        budget_category: None,
        budget_reason: None,
        budget_entry_id: None,
        created_at: day,
        decides_proposal_id: None,
    };
    let coop = local(&s, 2, "coop", GROUP);
    let maria = remote(3, "maria");
    let network = vec!["https://sued.example/actors/coop".to_owned()];
    let ballots = [
        proposal::Ballot {
            voter: "https://sued.example/actors/ana".into(),
            coop: Some("https://sued.example/actors/coop".into()),
            option: 0,
            standing: Standing::Counted,
            cast_at: 1,
        },
        proposal::Ballot {
            voter: "https://mastodon.example/users/bob".into(),
            coop: None,
            option: 1,
            standing: Standing::Advisory,
            cast_at: 2,
        },
    ];
    let tally = proposal::tally(Kind::Single, Counting::PerMember, 3, &ballots);
    let audience = super::proposal::audience(&coop, &network);
    let question = super::proposal::proposal_to_question(&s, &p, &coop, &tally, audience.clone());
    check!(
        "proposal_create_question",
        super::proposal::create_question("https://coop.example/activities/1", question)
    );
    p.closed = true;
    p.outcome = Some("winner:Approve".into());
    let closed = super::proposal::proposal_to_question(&s, &p, &coop, &tally, audience.clone());
    check!(
        "proposal_update_question_closed",
        super::proposal::update_question("https://coop.example/activities/2", closed)
    );
    check!(
        "proposal_vote",
        super::proposal::vote_to_note(
            "https://mastodon.example/users/maria#votes/1",
            &maria,
            &p.ap_id,
            &coop.ap_id,
            "Approve",
            day
        )
    );
    check!(
        "proposal_comment",
        super::proposal::comment_note(
            "https://mastodon.example/comments/1",
            &maria,
            &p.ap_id,
            &coop.ap_id,
            "<p>Why 3%?</p>",
            day
        )
    );
    check!(
        "proposal_comment_announced",
        super::proposal::announce_comment(
            "https://coop.example/activities/3",
            &coop,
            "https://mastodon.example/comments/1",
            audience.clone()
        )
    );
    check!(
        "proposal_outcome_note",
        super::proposal::announce_outcome(
            "https://coop.example/posts/1",
            &p,
            &coop,
            "winner:Approve",
            audience
        )
    );
}

#[test]
fn collections() {
    let id = "https://coop.example/actors/coop/followers";
    check!("ordered_collection", ordered_collection(id, 45));
    let items = vec![Value::from("https://mastodon.example/users/bob")];
    check!(
        "ordered_collection_page",
        ordered_collection_page(id, 2, 45, items)
    );
}

#[test]
fn webfinger() {
    check!("webfinger", discovery::webfinger(&settings(), "maria"));
}

#[test]
fn nodeinfo() {
    let s = settings();
    let usage = Usage {
        users_total: 5,
        users_active_month: 5,
        users_active_half_year: 5,
        local_posts: 12,
    };
    check!("nodeinfo_links", discovery::nodeinfo_links(&s));
    check!("nodeinfo_2_0", discovery::nodeinfo(&s, "2.0", usage));
    check!("nodeinfo_2_1", discovery::nodeinfo(&s, "2.1", usage));
}

#[test]
fn update_person_and_group() {
    let s = settings();
    let inboxes = vec!["https://mastodon.example/inbox".to_owned()];
    let maria = local(&s, 1, "maria", PERSON);
    let person = local_actor(&s, &maria, &member_facts());
    let update = outbox::update_actor(&s, &maria, person, inboxes.clone());
    assert_eq!((update.kind, update.public), ("Update", true));
    check!("update_person", update.json);

    let coop = local(&s, 2, "coop", GROUP);
    let group = LocalActorDocument::Group(coop_to_group(
        &s,
        &coop,
        &ProfileFacts { fields: Vec::new() },
    ));
    let update = outbox::update_actor(&s, &coop, group, inboxes);
    // Peers refresh their copy of the members collection from this Update: it must say where.
    assert_eq!(
        update.json["object"]["members"],
        "https://coop.example/actors/coop/members"
    );
    check!("update_group", update.json);
}

#[test]
fn members_collection_lists_every_voting_member_at_once() {
    let ids = vec![
        "https://coop.example/actors/maria".to_owned(),
        "https://coop.example/actors/jonas".to_owned(),
    ];
    check!(
        "members_collection",
        members_collection("https://coop.example/actors/coop/members", ids)
    );
}

#[test]
fn outbox_page_and_served_note() {
    let s = settings();
    let maria = local(&s, 1, "maria", PERSON);
    let post = NewPost {
        id: "https://coop.example/posts/1".into(),
        author: &maria,
        content_html: "<p>Hi #coops</p>",
        published: "2026-01-02T03:04:05Z".into(),
        mentioned: &[],
    };
    let note = post_to_note(&s, &post);
    // Notes are stored as sent and read back for the outbox and `GET /posts/..`: lossless.
    let stored = super::to_json(&note).to_string();
    let read_back: Note = serde_json::from_str(&stored).unwrap_or_else(|e| panic!("{e}: {stored}"));
    assert_eq!(read_back, note);
    check!("served_note", served_note(note.clone()));
    check!(
        "outbox_page",
        outbox_page(
            "https://coop.example/actors/maria/outbox",
            &maria.ap_id,
            1,
            1,
            vec![note]
        )
    );
}

#[test]
fn note_with_a_mention() {
    let s = settings();
    let maria = local(&s, 1, "maria", PERSON);
    let post = NewPost {
        id: "https://coop.example/posts/2".into(),
        author: &maria,
        content_html: "<p>Hi @bob@mastodon.example #coops</p>",
        published: "2026-01-02T03:04:05Z".into(),
        mentioned: &[remote(9, "bob")],
    };
    let note = post_to_note(&s, &post);
    assert!(
        note.tag.contains(&Tag::Mention {
            href: "https://mastodon.example/users/bob".into(),
            name: "@bob@mastodon.example".into(),
        }),
        "{:?}",
        note.tag
    );
    assert!(
        note.cc
            .contains(&"https://mastodon.example/users/bob".to_owned())
    );
    check!("note_with_mention", note);
}

#[test]
fn cooperage_ld_context() {
    let document = cooperage_context();
    assert_eq!(
        document.context.get("members"),
        Some(&serde_json::json!({ "@id": "cooperage:members", "@type": "@id" }))
    );
    check!("cooperage_context", document);
}

#[test]
fn answers_parse_back_as_what_they_are() {
    let s = settings();
    let reject = outbox::answer_follow(
        &s,
        "Reject",
        &local(&s, 2, "coop", GROUP),
        &remote(9, "bob"),
        "https://mastodon.example/activities/1",
    );
    let parsed: AnswerFollow = serde_json::from_value(reject.json.clone())
        .unwrap_or_else(|e| panic!("{e}: {}", reject.json));
    assert_eq!(parsed.kind.as_str(), "Reject");
    assert_eq!(parsed.object.id, "https://mastodon.example/activities/1");
    assert!(
        parsed.object.context.is_none(),
        "an embedded Follow has no @context"
    );
}
