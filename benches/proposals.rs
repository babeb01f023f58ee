//! Proposals benchmark over loopback: 10,000 votes from members of 100 coops (100 hosts, all
//! in the hosting coop's network, each attesting 100 voting members) into one network
//! proposal of a real instance, through its real inbox (signed `Create{Note}` as Mastodon
//! sends votes). Reports the ingest rate and the time until the tally is final and correct.
//!
//! The 100 coops are rows in the receiver's database (actors with keys, follows both ways,
//! fresh membership copies), not running servers: the benchmark measures the receiver.
//! Run: `COOPERAGE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench proposals`
//! Optional: `BENCH_VOTE_COOPS` (default 100), `BENCH_VOTES_PER_COOP` (default 100),
//! `BENCH_CONCURRENCY` (default 64), `BENCH_BACKENDS=sqlite`.

#[path = "../tests/it/support/mod.rs"]
#[macro_use]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use cooperage_db::actors::{self, ActorForm};
use cooperage_db::{follows, memberships, proposals};
use cooperage_domain::member::Role;
use cooperage_domain::proposal::Standing;
use cooperage_federation::signatures::{self, PrivateKey};
use futures::StreamExt;
use serde_json::{Value, json};
use support::{TestDb, TestInstance, wait_for};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LONG: Duration = Duration::from_secs(900);
const OPTIONS: [&str; 3] = ["Approve", "Reject", "Abstain"];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let coops = env_usize("BENCH_VOTE_COOPS", 100);
    let per_coop = env_usize("BENCH_VOTES_PER_COOP", 100);
    let concurrency = env_usize("BENCH_CONCURRENCY", 64);
    let mut backends = vec![("SQLite", TestDb::sqlite as fn() -> TestDb)];
    let only_sqlite = std::env::var("BENCH_BACKENDS").is_ok_and(|b| b == "sqlite");
    if std::env::var(support::db::POSTGRES_ENV).is_ok() && !only_sqlite {
        backends.push(("PostgreSQL", || TestDb::postgres().expect("PostgreSQL")));
    }
    for (name, make_db) in &backends {
        votes_into_one_proposal(name, *make_db, coops, per_coop, concurrency).await;
    }
}

async fn votes_into_one_proposal(
    backend: &str,
    make_db: fn() -> TestDb,
    coops: usize,
    per_coop: usize,
    concurrency: usize,
) {
    let db = make_db();
    let host = TestInstance::start_named(&db, "nord").await;
    host.create_account("ana", Role::Member, false).await;
    let cookie = host.login_cookie("ana").await;
    let closes_at = (chrono::Utc::now() + chrono::TimeDelta::hours(2)).to_rfc3339();
    let created: Value = host
        .http
        .post(format!("{}/api/v1/proposals", host.base))
        .header("cookie", cookie)
        .json(
            &json!({ "title": "Bench", "kind": "single", "scope": "network",
            "options": OPTIONS, "closes_at": closes_at }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let question = created["ap_id"].as_str().unwrap().to_owned();
    let proposal_id = created["id"].as_i64().unwrap();

    // 100 coops of the network, each attesting its members; one key pair signs for all.
    let keys = cooperage_federation::signatures::generate_keypair().expect("keys");
    let key = Arc::new(PrivateKey::from_pem(&keys.private_pem).expect("key"));
    let public_pem = keys.public_pem.clone();
    host.query(move |conn| {
        let coop = actors::local_by_username(conn, "nord")?.expect("coop");
        let now = cooperage_db::now();
        for c in 0..coops {
            let domain = format!("coop{c}.example");
            let form = |name: &str, kind: &str| ActorForm {
                ap_id: format!("https://{domain}/actors/{name}"),
                actor_type: kind.into(),
                local: false,
                username: name.into(),
                domain: domain.clone(),
                display_name: None,
                summary: None,
                inbox: format!("https://{domain}/actors/{name}/inbox"),
                shared_inbox: Some(format!("https://{domain}/inbox")),
                followers_url: None,
                public_key_id: format!("https://{domain}/actors/{name}#main-key"),
                public_key_pem: public_pem.clone(),
                manually_approves_followers: false,
                published: now,
                fetched_at: Some(now),
            };
            let remote = actors::upsert(conn, &form("coop", "Group"))?;
            follows::upsert(
                conn,
                coop.id,
                remote.id,
                &format!("https://x/{c}/a"),
                "accepted",
            )?;
            follows::upsert(
                conn,
                remote.id,
                coop.id,
                &format!("https://{domain}/f"),
                "accepted",
            )?;
            let mut members = Vec::new();
            for m in 0..per_coop {
                members.push(actors::upsert(conn, &form(&format!("m{m}"), "Person"))?.ap_id);
            }
            memberships::replace(conn, remote.id, &members)?;
        }
        Ok(())
    })
    .await;

    let inbox = format!("http://{}/actors/nord/inbox", host.domain);
    let count = coops * per_coop;
    let requests: Vec<reqwest::Request> = (0..count)
        .map(|n| {
            let (c, m) = (n / per_coop, n % per_coop);
            let voter = format!("https://coop{c}.example/actors/m{m}");
            let coop = format!("https://coop{c}.example/actors/coop");
            let note = format!("{voter}#votes/1");
            let body = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{note}/activity"), "type": "Create", "actor": voter, "to": coop,
                "object": { "id": note, "type": "Note", "name": OPTIONS[n % 3],
                    "attributedTo": voter, "inReplyTo": question, "to": coop },
            });
            let mut request = http::Request::post(inbox.as_str())
                .header("content-type", "application/activity+json")
                .body(serde_json::to_vec(&body).unwrap())
                .unwrap();
            signatures::sign_cavage(
                &mut request,
                &format!("{voter}#main-key"),
                &key,
                SystemTime::now(),
            )
            .unwrap();
            reqwest::Request::try_from(request).unwrap()
        })
        .collect();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let started = Instant::now();
    let statuses: Vec<u16> = futures::stream::iter(requests)
        .map(|request| {
            let client = client.clone();
            async move {
                client
                    .execute(request)
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let ingest = started.elapsed();
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    let counted = wait_for("every vote counted", LONG, || {
        let host = &host;
        async move {
            let votes = host
                .query(move |conn| proposals::votes_of(conn, proposal_id))
                .await;
            let counted = votes
                .iter()
                .filter(|v| v.standing == Standing::Counted)
                .count();
            (counted == count).then_some(votes)
        }
    })
    .await;
    let final_tally = started.elapsed();
    let mut per_option = [0usize; 3];
    for vote in &counted {
        per_option[vote.option_index as usize] += 1;
    }
    let expected = [count.div_ceil(3), (count + 1) / 3, count / 3];
    println!("\n== proposals: votes into one network proposal, {backend} ==");
    println!("  {count} signed votes from {coops} coops' members, concurrency {concurrency}");
    println!(
        "  inbox ingest: {:.0} votes/s ({:.1} s), accepted {accepted}/{count}",
        count as f64 / ingest.as_secs_f64(),
        ingest.as_secs_f64()
    );
    println!(
        "  time to a correct final tally (every vote checked and counted): {:.1} s; tally {per_option:?}",
        final_tally.as_secs_f64()
    );
    assert_eq!(accepted, count);
    assert_eq!(per_option, expected);
    host.stop().await;
}
