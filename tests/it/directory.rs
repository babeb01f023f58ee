//! The network's skill directory, `GET /api/v1/directory`: listings seeded straight into the
//! database (ours, and the network's as the federation layer stores them), then searched
//! through the API on both backends.

use chrono::TimeDelta;
use cooperage_db::actors::{self, ActorForm};
use cooperage_db::skills::{self, ListingForm};
use cooperage_domain::member::Role;
use cooperage_domain::skill::{Level, Visibility, WorkMode, fold, tag};
use diesel::RunQueryDsl;
use serde_json::Value;

use crate::support::TestInstance;

/// A listing with defaults: expert, remote, 20 hours, always available, network-visible.
fn listing(
    actor_id: i64,
    coop_actor_id: i64,
    local: bool,
    label: &str,
    description: &str,
) -> ListingForm {
    ListingForm {
        ap_id: format!("http://listings.test/{actor_id}/{}", tag(label).unwrap()),
        actor_id,
        coop_actor_id: Some(coop_actor_id),
        local,
        label: label.into(),
        tags: String::new(),
        level: Level::Expert,
        description: description.into(),
        hours_per_week: 20,
        available_from: None,
        available_until: None,
        work_mode: WorkMode::Remote,
        region: String::new(),
        visibility: Visibility::Network,
        search_text: String::new(),
        published: cooperage_db::now(),
        updated: None,
    }
}

/// Stores a listing as the skills module does: tags from the label first, search text folded.
async fn seed(coop: &TestInstance, mut form: ListingForm, extra_tags: &[&str], age_minutes: i64) {
    let mut tags = vec![tag(&form.label).unwrap()];
    tags.extend(extra_tags.iter().map(|t| tag(t).unwrap()));
    form.tags = skills::tags_column(&tags);
    form.search_text = fold(&format!(
        "{} {} {}",
        form.label, form.tags, form.description
    ));
    form.published = cooperage_db::now() - TimeDelta::minutes(age_minutes);
    coop.query(move |conn| skills::insert(conn, &form)).await;
}

/// A remote actor as the federation layer stores it.
async fn remote_actor(
    coop: &TestInstance,
    domain: &str,
    username: &str,
    kind: &str,
    name: &str,
) -> i64 {
    let ap_id = format!("https://{domain}/actors/{username}");
    let form = ActorForm {
        ap_id: ap_id.clone(),
        actor_type: kind.into(),
        local: false,
        username: username.into(),
        domain: domain.into(),
        display_name: Some(name.into()),
        summary: None,
        inbox: format!("{ap_id}/inbox"),
        shared_inbox: Some(format!("https://{domain}/inbox")),
        followers_url: None,
        public_key_id: format!("{ap_id}#main-key"),
        public_key_pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".into(),
        manually_approves_followers: false,
        published: cooperage_db::now(),
        fetched_at: Some(cooperage_db::now()),
    };
    coop.query(move |conn| actors::upsert(conn, &form)).await.id
}

async fn local_actor(coop: &TestInstance, username: &str) -> i64 {
    let username = username.to_owned();
    coop.query(move |conn| {
        Ok(actors::local_by_username(conn, &username)?
            .expect("actor")
            .id)
    })
    .await
}

/// Searches as `cookie`; returns status and body.
async fn search(coop: &TestInstance, cookie: &str, query: &str) -> (u16, Value) {
    let response = coop
        .http
        .get(format!("{}/api/v1/directory?{query}", coop.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The labels a search finds, in order.
async fn labels(coop: &TestInstance, cookie: &str, query: &str) -> Vec<String> {
    let (status, body) = search(coop, cookie, query).await;
    assert_eq!(status, 200, "{query}: {body}");
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["label"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted(mut labels: Vec<String>) -> Vec<String> {
    labels.sort();
    labels
}

/// Ours: ana (member) and cleo (candidate); nord.example: a coop and its member jo.
struct Network {
    cookie: String,
    candidate_cookie: String,
    ana: i64,
    coop: i64,
    nord: i64,
    jo: i64,
}

async fn network(coop: &TestInstance) -> Network {
    coop.create_account("ana", Role::Member, false).await;
    coop.create_account("cleo", Role::Candidate, false).await;
    Network {
        cookie: coop.login_cookie("ana").await,
        candidate_cookie: coop.login_cookie("cleo").await,
        ana: local_actor(coop, "ana").await,
        coop: local_actor(coop, "coop").await,
        nord: remote_actor(coop, "nord.example", "nord", "Group", "Kollektiv Nord").await,
        jo: remote_actor(coop, "nord.example", "jo", "Person", "Jo Müller").await,
    }
}

backend_tests! {
    async fn every_filter_narrows_the_directory(db) {
        let coop = TestInstance::start(&db).await;
        let n = network(&coop).await;
        let mut pg = listing(n.ana, n.coop, true, "PostgreSQL", "Replikation und Backups");
        pg.level = Level::Practitioner;
        pg.hours_per_week = 10;
        pg.available_from = Some("2027-01-01".into());
        pg.available_until = Some("2027-03-31".into());
        pg.visibility = Visibility::Coop;
        seed(&coop, pg, &["Replication", "Databases"], 5).await;
        let mut rust = listing(n.jo, n.nord, false, "Rust", "Async services");
        rust.level = Level::Learning;
        rust.hours_per_week = 30;
        rust.available_from = Some("2027-02-15".into());
        rust.work_mode = WorkMode::Hybrid;
        rust.region = "München".into();
        seed(&coop, rust, &["Databases"], 4).await;
        let mut design = listing(n.jo, n.nord, false, "Grafikdesign", "Plakate");
        design.hours_per_week = 5;
        design.available_until = Some("2026-12-31".into());
        design.work_mode = WorkMode::OnSite;
        design.region = "Kassel".into();
        design.visibility = Visibility::Public;
        seed(&coop, design, &[], 3).await;
        let c = n.cookie.as_str();

        // No filter: everything, newest first (ours of every visibility, the network's).
        assert_eq!(labels(&coop, c, "").await, ["Grafikdesign", "Rust", "PostgreSQL"]);
        // Candidates search too.
        assert_eq!(labels(&coop, &n.candidate_cookie, "").await.len(), 3);
        // Tags: all of, any of; as typed (folded to tags), comma-separated or repeated.
        assert_eq!(labels(&coop, c, "tags=databases").await, ["Rust", "PostgreSQL"]);
        assert_eq!(labels(&coop, c, "tags=Databases,Replication").await, ["PostgreSQL"]);
        assert_eq!(labels(&coop, c, "tags=databases&tags=rust").await, ["Rust"]);
        assert_eq!(labels(&coop, c, "tags=data").await, Vec::<String>::new(), "whole tags only");
        assert_eq!(labels(&coop, c, "any_tags=rust,grafikdesign").await, ["Grafikdesign", "Rust"]);
        assert_eq!(labels(&coop, c, "any_tags=cobol").await, Vec::<String>::new());
        // Level at least.
        assert_eq!(labels(&coop, c, "level=practitioner").await, ["Grafikdesign", "PostgreSQL"]);
        assert_eq!(labels(&coop, c, "level=expert").await, ["Grafikdesign"]);
        assert_eq!(labels(&coop, c, "level=learning").await.len(), 3);
        // Hours.
        assert_eq!(labels(&coop, c, "min_hours=10").await, ["Rust", "PostgreSQL"]);
        assert_eq!(labels(&coop, c, "min_hours=25").await, ["Rust"]);
        // Available on a day (open ends count as always).
        assert_eq!(labels(&coop, c, "available_on=2027-01-10").await, ["PostgreSQL"]);
        assert_eq!(labels(&coop, c, "available_on=2027-03-01").await, ["Rust", "PostgreSQL"]);
        assert_eq!(labels(&coop, c, "available_on=2026-06-01").await, ["Grafikdesign"]);
        assert_eq!(labels(&coop, c, "available_on=2027-04-01").await, ["Rust"]);
        // Overlapping a range, either end open.
        assert_eq!(labels(&coop, c, "available_from=2027-01-01&available_until=2027-01-31").await, ["PostgreSQL"]);
        assert_eq!(labels(&coop, c, "available_from=2026-12-01&available_until=2027-01-31").await, ["Grafikdesign", "PostgreSQL"]);
        assert_eq!(labels(&coop, c, "available_from=2027-04-01").await, ["Rust"]);
        assert_eq!(labels(&coop, c, "available_until=2026-12-31").await, ["Grafikdesign"]);
        // Work mode.
        assert_eq!(labels(&coop, c, "work_mode=hybrid").await, ["Rust"]);
        assert_eq!(labels(&coop, c, "work_mode=on_site").await, ["Grafikdesign"]);
        // City or region: folded, prefix.
        assert_eq!(labels(&coop, c, "region=munchen").await, ["Rust"]);
        assert_eq!(labels(&coop, c, "region=M%C3%9CN").await, ["Rust"]);
        assert_eq!(labels(&coop, c, "region=kass").await, ["Grafikdesign"]);
        assert_eq!(labels(&coop, c, "region=berlin").await, Vec::<String>::new());
        // Coop: actor id, handle, our own coop by name alone.
        assert_eq!(labels(&coop, c, "coop=https://nord.example/actors/nord").await, ["Grafikdesign", "Rust"]);
        assert_eq!(labels(&coop, c, "coop=%40nord%40nord.example").await, ["Grafikdesign", "Rust"]);
        assert_eq!(labels(&coop, c, "coop=coop").await, ["PostgreSQL"]);
        assert_eq!(labels(&coop, c, &format!("coop=coop%40{}", coop.domain)).await, ["PostgreSQL"]);
        // Combined.
        assert_eq!(labels(&coop, c, "q=async&tags=databases&level=learning&min_hours=20&available_on=2027-03-01&work_mode=hybrid&region=M%C3%BCnchen&coop=nord%40nord.example").await, ["Rust"]);
        assert_eq!(labels(&coop, c, "q=async&work_mode=remote").await, Vec::<String>::new());

        // Each hit names the member and the coop.
        let (_, body) = search(&coop, c, "tags=rust").await;
        let hit = &body["hits"][0];
        assert_eq!(hit["member"]["display_name"], "Jo Müller");
        assert_eq!(hit["member"]["handle"], "jo@nord.example");
        assert_eq!(hit["member"]["actor_id"], "https://nord.example/actors/jo");
        assert_eq!(hit["coop"]["name"], "Kollektiv Nord");
        assert_eq!(hit["coop"]["handle"], "nord@nord.example");
        assert_eq!(hit["coop"]["actor_id"], "https://nord.example/actors/nord");
        assert_eq!(hit["tags"], serde_json::json!(["rust", "databases"]));
        assert_eq!(hit["level"], "learning");
        assert_eq!(hit["region"], "München");
        assert_eq!(hit["stale"], false);
        assert_eq!(body["total"], 1);
        let (_, body) = search(&coop, c, "tags=postgresql").await;
        assert_eq!(body["hits"][0]["member"]["handle"], format!("ana@{}", coop.domain));
        assert_eq!(body["hits"][0]["coop"]["handle"], format!("coop@{}", coop.domain));
        assert_eq!(body["hits"][0]["visibility"], "coop");
        coop.stop().await;
    }

    async fn text_search_is_folded_prefixed_and_ranked(db) {
        let coop = TestInstance::start(&db).await;
        let n = network(&coop).await;
        seed(&coop, listing(n.ana, n.coop, true, "PostgreSQL", "Streaming replication, point-in-time recovery"), &[], 9).await;
        seed(&coop, listing(n.jo, n.nord, false, "Buchhaltung", "Jahresabschluss für Genossenschaften, Kontakt: Frau Müller"), &[], 8).await;
        seed(&coop, listing(n.jo, n.nord, false, "Gestaltung für Genossenschaften", "Logos, Flyer und Websites"), &["Design"], 7).await;
        seed(&coop, listing(n.ana, n.coop, true, "Backend development", "Rust services on PostgreSQL"), &[], 6).await;
        seed(&coop, listing(n.ana, n.coop, true, "Öffentlichkeitsarbeit", "Pressearbeit, Social Media"), &[], 5).await;
        seed(&coop, listing(n.jo, n.nord, false, "C++", "Embedded-Systeme"), &[], 4).await;
        seed(&coop, listing(n.jo, n.nord, false, "Controlling", "Kostenrechnung"), &[], 3).await;
        let c = n.cookie.as_str();
        // One letter is a whole word, not the start of every word.
        assert_eq!(labels(&coop, c, "q=C").await, ["C++"]);
        assert_eq!(labels(&coop, c, "q=contr").await, ["Controlling"]);

        // A prefix finds the word; the listing whose label matches ranks above the one whose
        // description does, although it is older.
        assert_eq!(labels(&coop, c, "q=postg").await, ["PostgreSQL", "Backend development"]);
        assert_eq!(labels(&coop, c, "q=POSTGRESQL").await, ["PostgreSQL", "Backend development"]);
        // Case and accents: either way round.
        assert_eq!(labels(&coop, c, "q=M%C3%BCller").await, ["Buchhaltung"]);
        assert_eq!(labels(&coop, c, "q=muller").await, ["Buchhaltung"]);
        assert_eq!(labels(&coop, c, "q=offentlich").await, ["Öffentlichkeitsarbeit"]);
        assert_eq!(labels(&coop, c, "q=%C3%96FFENTLICHKEIT").await, ["Öffentlichkeitsarbeit"]);
        // Several words: all must match (as prefixes), German and English.
        assert_eq!(labels(&coop, c, "q=Gestaltung+f%C3%BCr").await, ["Gestaltung für Genossenschaften"]);
        assert_eq!(
            sorted(labels(&coop, c, "q=genossenschaft").await),
            ["Buchhaltung", "Gestaltung für Genossenschaften"]
        );
        assert_eq!(labels(&coop, c, "q=genossenschaften+gestalt").await, ["Gestaltung für Genossenschaften"]);
        assert_eq!(labels(&coop, c, "q=streaming+recovery").await, ["PostgreSQL"]);
        assert_eq!(labels(&coop, c, "q=rust+services").await, ["Backend development"]);
        assert_eq!(labels(&coop, c, "q=rust+cobol").await, Vec::<String>::new());
        // Tags are searched as text too.
        assert_eq!(labels(&coop, c, "q=design").await, ["Gestaltung für Genossenschaften"]);
        // Search syntax is only ever words.
        assert_eq!(labels(&coop, c, "q=%22postg%22*+OR+NOT+x").await, Vec::<String>::new());
        assert_eq!(labels(&coop, c, "q=postg%3A*+%26+!x%27").await, Vec::<String>::new());
        assert_eq!(labels(&coop, c, "q=(postg)").await, ["PostgreSQL", "Backend development"]);
        coop.stop().await;
    }

    async fn pages_and_stale_coops_last(db) {
        let coop = TestInstance::start(&db).await;
        let n = network(&coop).await;
        let sued = remote_actor(&coop, "sued.example", "sued", "Group", "Sued eG").await;
        let kim = remote_actor(&coop, "sued.example", "kim", "Person", "Kim").await;
        let west = remote_actor(&coop, "west.example", "west", "Group", "West eG").await;
        let lu = remote_actor(&coop, "west.example", "lu", "Person", "Lu").await;
        // Newest first would be: Sued, West, Nord, then ours 4 down to 0.
        for i in 0..5 {
            seed(&coop, listing(n.ana, n.coop, true, &format!("Skill {i}"), "Kochen"), &[], 10 - i).await;
        }
        seed(&coop, listing(n.jo, n.nord, false, "Nord", "Kochen"), &[], 3).await;
        seed(&coop, listing(lu, west, false, "West", "Kochen"), &[], 2).await;
        seed(&coop, listing(kim, sued, false, "Sued", "Kochen"), &[], 1).await;
        let c = n.cookie.as_str();

        // Pages: limit and offset, total and next_offset.
        let mut seen = Vec::new();
        let mut offset = Some(0);
        while let Some(at) = offset {
            let (status, body) = search(&coop, c, &format!("q=kochen&limit=3&offset={at}")).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["total"], 8);
            seen.extend(body["hits"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap().to_owned()));
            offset = body["next_offset"].as_i64();
            assert!(seen.len() <= 8, "{seen:?}");
        }
        assert_eq!(seen.len(), 8);
        assert_eq!(sorted(seen.clone()), sorted(labels(&coop, c, "limit=100").await));
        let (status, past) = search(&coop, c, "limit=3&offset=50").await;
        assert_eq!(status, 200, "{past}");
        assert_eq!(past["hits"], serde_json::json!([]));
        assert_eq!(past["total"], 8);
        assert_eq!(past["next_offset"], Value::Null);

        // sued.example has failed every delivery for 30 days (> 14, the default); west.example
        // only since now: only Sued's listing is stale, and comes last.
        coop.query(|conn| {
            cooperage_db::hosts::record_failure(conn, "sued.example", TimeDelta::zero())?;
            cooperage_db::hosts::record_failure(conn, "west.example", TimeDelta::zero())?;
            use cooperage_db::schema::hosts;
            use diesel::{ExpressionMethods, QueryDsl};
            diesel::update(hosts::table.find("sued.example"))
                .set(hosts::failing_since.eq(cooperage_db::now() - TimeDelta::days(30)))
                .execute(conn)?;
            Ok(())
        })
        .await;
        let all = labels(&coop, c, "").await;
        assert_eq!(all.first().map(String::as_str), Some("West"));
        assert_eq!(all.last().map(String::as_str), Some("Sued"));
        // Pages of the newest-first listing keep that order, stale last, across the seam.
        {
            let mut paged = Vec::new();
            let mut offset = Some(0);
            while let Some(at) = offset {
                let (status, body) = search(&coop, c, &format!("limit=3&offset={at}")).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["total"], 8);
                paged.extend(body["hits"].as_array().unwrap().iter().map(|h| (h["label"].as_str().unwrap().to_owned(), h["stale"].as_bool().unwrap())));
                offset = body["next_offset"].as_i64();
                assert!(paged.len() <= 8, "{paged:?}");
            }
            assert_eq!(paged.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>(), all);
            assert_eq!(paged.iter().filter(|(_, stale)| *stale).count(), 1, "{paged:?}");
        }
        for at in [6, 7, 8] {
            let (_, body) = search(&coop, c, &format!("limit=3&offset={at}")).await;
            let got: Vec<&str> = body["hits"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap()).collect();
            assert_eq!(got, all[at..].iter().map(String::as_str).collect::<Vec<_>>(), "offset {at}");
        }
        let (_, body) = search(&coop, c, "q=kochen&limit=100").await;
        let stale: Vec<bool> = body["hits"].as_array().unwrap().iter().map(|h| h["stale"].as_bool().unwrap()).collect();
        assert_eq!(stale, [false, false, false, false, false, false, false, true]);
        assert_eq!(body["hits"][7]["label"], "Sued");
        // Reachable again: no longer stale.
        coop.query(|conn| cooperage_db::hosts::record_seen(conn, "sued.example")).await;
        assert_eq!(labels(&coop, c, "").await.first().map(String::as_str), Some("Sued"));
        coop.stop().await;
    }

    async fn counts_without_words_stop_at_the_cap(db) {
        let coop = TestInstance::start(&db).await;
        let n = network(&coop).await;
        let count = cooperage_db::directory::COUNT_CAP as usize + 5;
        let forms: Vec<ListingForm> = (0..count)
            .map(|i| {
                let mut form = listing(n.jo, n.nord, false, &format!("Skill {i}"), "Kochen");
                form.tags = skills::tags_column(&[tag(&form.label).unwrap()]);
                form.search_text = fold(&format!("{} {} {}", form.label, form.tags, form.description));
                form
            })
            .collect();
        coop.query(move |conn| {
            cooperage_db::transaction(conn, |conn| forms.iter().try_for_each(|f| skills::insert(conn, f).map(drop)))
        })
        .await;
        let c = n.cookie.as_str();
        let (_, body) = search(&coop, c, "limit=100").await;
        assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(1000), Some(false)), "{}", body["total"]);
        assert_eq!(body["next_offset"], 100);
        // A deep page counts exactly, and ends.
        let (_, body) = search(&coop, c, "limit=100&offset=950").await;
        assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(count as i64), Some(true)));
        assert_eq!(body["hits"].as_array().unwrap().len(), 55);
        assert_eq!(body["next_offset"], Value::Null);
        // With words that match fewer listings than the cap, the count is exact; a word of
        // two characters or more is a prefix, a single one a whole word.
        let (_, body) = search(&coop, c, "q=kochen%20skill%2012&limit=1").await;
        let twelves = (0..count).filter(|i| i.to_string().starts_with("12")).count();
        assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(twelves as i64), Some(true)));
        let (_, body) = search(&coop, c, "q=kochen%20skill%201&limit=1").await;
        assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(1), Some(true)), "{body}");
        coop.stop().await;
    }

    async fn broad_searches_rank_the_newest_matches(db) {
        // More matches than a search ranks in full (on SQLite): "Skill i" listings whose
        // description says "Kochen", one a minute, every tenth with 40 hours; among them
        // "Kochkurs" listings, whose label the word starts.
        let sqlite = matches!(db, crate::support::TestDb::Sqlite { .. });
        let coop = TestInstance::start(&db).await;
        let n = network(&coop).await;
        // Ranked in full up to RANKED_IN_FULL matches; beyond, among the newest BROAD_MATCHES.
        let broad = cooperage_db::directory::BROAD_MATCHES;
        let count = cooperage_db::directory::RANKED_IN_FULL + 100;
        let at = |label: &str, age: i64, hours: i32| {
            let mut form = listing(n.jo, n.nord, false, label, "Kochen");
            form.ap_id = format!("http://listings.test/{age}");
            form.hours_per_week = hours;
            form.tags = skills::tags_column(&[tag(label).unwrap(), "kochen".into()]);
            form.search_text = fold(&format!("{} {} {}", form.label, form.tags, form.description));
            form.published = cooperage_db::now() - TimeDelta::minutes(age);
            form
        };
        // Two label hits within the newest `broad` matches, one older than them.
        let kochkurs = [5, broad / 2, count - 10];
        let mut forms: Vec<ListingForm> = (0..count)
            .map(|i| match i {
                _ if kochkurs.contains(&i) => at("Kochkurs", i, 10),
                _ => at(&format!("Skill {i}"), i, if i % 10 == 3 { 40 } else { 10 }),
            })
            .collect();
        forms.push(at("Skill old", 100_000, 10));
        coop.query(move |conn| {
            cooperage_db::transaction(conn, |conn| forms.iter().try_for_each(|f| skills::insert(conn, f).map(drop)))
        })
        .await;
        let c = n.cookie.as_str();

        let (status, body) = search(&coop, c, "q=koch&limit=4").await;
        assert_eq!(status, 200, "{body}");
        let hits: Vec<&str> = body["hits"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap()).collect();
        if sqlite {
            // Label hits among the newest matches first, then the newest; the count says "at least".
            assert_eq!(hits, ["Kochkurs", "Kochkurs", "Skill 0", "Skill 1"], "{body}");
            assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(broad), Some(false)));
            assert_eq!(body["next_offset"], 4);
        } else {
            // Every match is ranked: all three label hits first, counted as far as the cap.
            assert_eq!(hits[..3], ["Kochkurs", "Kochkurs", "Kochkurs"], "{body}");
            let cap = cooperage_db::directory::COUNT_CAP;
            assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(cap), Some(false)));
        }

        // Filters still hold, and a broad search they narrow below the limit counts exactly.
        let (_, body) = search(&coop, c, "q=koch&min_hours=30&limit=100").await;
        let hits = body["hits"].as_array().unwrap();
        assert!(hits.iter().all(|h| h["hours_per_week"] == 40), "{body}");
        assert_eq!(hits.first().map(|h| &h["label"]), Some(&Value::from("Skill 3")));
        let forty = (0..count).filter(|i| i % 10 == 3 && !kochkurs.contains(i)).count();
        assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(forty as i64), Some(true)));

        // A narrow search among the same listings is ranked in full.
        let (_, body) = search(&coop, c, "q=kochen%20old").await;
        assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(1), Some(true)), "{body}");

        // Tags alone rank nothing: every match newest first, however many there are.
        let (_, body) = search(&coop, c, "tags=Kochen&limit=3&offset=4").await;
        let hits: Vec<&str> = body["hits"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap()).collect();
        assert_eq!(hits, ["Skill 4", "Kochkurs", "Skill 6"], "{body}");
        // Counted as far as the cap.
        let cap = cooperage_db::directory::COUNT_CAP;
        assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(cap), Some(false)));
        // A deep page counts exactly.
        let (_, body) = search(&coop, c, &format!("tags=Kochen&limit=10&offset={}", count - 5)).await;
        assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(count + 1), Some(true)), "{body}");
        assert_eq!(body["hits"].as_array().unwrap().len(), 6);
        let (_, body) = search(&coop, c, "tags=Kochen&min_hours=30&limit=100").await;
        assert!(body["hits"].as_array().unwrap().iter().all(|h| h["hours_per_week"] == 40), "{body}");
        assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(forty as i64), Some(true)));
        // The oldest match is on the last page.
        let (_, body) = search(&coop, c, &format!("tags=Kochen&limit=1&offset={count}")).await;
        assert_eq!(body["hits"][0]["label"], "Skill old", "{body}");
        coop.stop().await;
    }

    async fn a_region_of_several_words_is_matched_from_its_start(db) {
        let coop = TestInstance::start(&db).await;
        let n = network(&coop).await;
        let mut main = listing(n.jo, n.nord, false, "Lektorat", "Texte");
        main.region = "Frankfurt am Main".into();
        seed(&coop, main, &[], 3).await;
        let mut oder = listing(n.jo, n.nord, false, "Satz", "Bücher");
        oder.region = "Frankfurt (Oder)".into();
        seed(&coop, oder, &[], 2).await;
        let mut bei = listing(n.jo, n.nord, false, "Druck", "Plakate");
        bei.region = "Offenbach bei Frankfurt".into();
        seed(&coop, bei, &[], 1).await;
        let c = n.cookie.as_str();
        assert_eq!(labels(&coop, c, "region=frankfurt+a").await, ["Lektorat"]);
        assert_eq!(labels(&coop, c, "region=FRANKFURT+AM+M").await, ["Lektorat"]);
        assert_eq!(labels(&coop, c, "region=frankfurt+(o").await, ["Satz"]);
        assert_eq!(sorted(labels(&coop, c, "region=frankf").await), ["Lektorat", "Satz"]);
        // Only from the start: "Offenbach bei Frankfurt" does not start with "frankfurt".
        assert_eq!(labels(&coop, c, "region=frankfurt+b").await, Vec::<String>::new());
        assert_eq!(labels(&coop, c, "region=bei").await, Vec::<String>::new());
        coop.stop().await;
    }

    async fn bad_input_names_the_field(db) {
        let coop = TestInstance::start(&db).await;
        let n = network(&coop).await;
        for (query, field) in [
            ("level=guru", "level"),
            ("work_mode=moon", "work_mode"),
            ("min_hours=0", "min_hours"),
            ("min_hours=81", "min_hours"),
            ("min_hours=ten", "min_hours"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=x", "limit"),
            ("offset=-1", "offset"),
            ("available_on=2027-02-30", "available_on"),
            ("available_from=soon", "available_from"),
            ("available_from=2027-02-01&available_until=2027-01-01", "available_until"),
            ("available_on=2027-02-01&available_from=2027-01-01", "available_on"),
            ("q=---", "q"),
            ("tags=%2B%2B,-", "tags"),
        ] {
            let (status, body) = search(&coop, &n.cookie, query).await;
            assert_eq!(status, 422, "{query}: {body}");
            assert_eq!(body["field"], field, "{query}: {body}");
            assert_eq!(body["error"], "invalid_field");
        }
        let (status, body) = search(&coop, &n.cookie, "levle=expert").await;
        assert_eq!(status, 400, "{body}");
        assert!(body["message"].as_str().unwrap().contains("levle"), "{body}");
        let response = coop.http.get(format!("{}/api/v1/directory", coop.base)).send().await.unwrap();
        assert_eq!(response.status(), 401);
        coop.stop().await;
    }
}
