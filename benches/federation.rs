//! Federation benchmarks over loopback, with real instances:
//!
//! 1. inbox throughput: pre-signed `Create{Note}` POSTs from one real instance to another,
//!    next to the throughput of signature verification alone, measured in the same run;
//! 2. fan-out: one post to 1,000 followers spread over 10 instances (shared inboxes), time
//!    until all 10 have stored it.
//!
//! Run: `COOPERAGE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench federation`
//! Optional: `BENCH_INBOX_POSTS` (default 20000), `BENCH_CONCURRENCY` (default 64),
//! `BENCH_BACKENDS=sqlite` (SQLite only), `BENCH_SKIP_FANOUT=1`.

#[path = "../tests/it/support/mod.rs"]
#[macro_use]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use cooperage_app::federation as operations;
use cooperage_db::actors::{self, ActorForm};
use cooperage_db::{follows, posts};
use cooperage_federation::signatures::{self, PrivateKey, PublicKey, RequestParts};
use futures::StreamExt;
use serde_json::json;
use support::{TestDb, TestInstance, wait_for};

// The allocator of the `cooperage` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LONG: Duration = Duration::from_secs(600);

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let posts = env_usize("BENCH_INBOX_POSTS", 20_000);
    let concurrency = env_usize("BENCH_CONCURRENCY", 64);
    let mut backends = vec![("SQLite", TestDb::sqlite as fn() -> TestDb)];
    let only_sqlite = std::env::var("BENCH_BACKENDS").is_ok_and(|b| b == "sqlite");
    if std::env::var(support::db::POSTGRES_ENV).is_ok() && !only_sqlite {
        backends.push(("PostgreSQL", || TestDb::postgres().expect("PostgreSQL")));
    }
    println!(
        "cooperage federation benchmarks ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for (name, make_db) in &backends {
        inbox_throughput(name, *make_db, posts, concurrency).await;
    }
    if std::env::var("BENCH_SKIP_FANOUT").is_err() {
        for (name, make_db) in &backends {
            fan_out(name, *make_db).await;
        }
    }
}

/// A signed inbox POST, ready to send.
struct Prepared {
    request: http::Request<Vec<u8>>,
}

async fn inbox_throughput(
    backend: &str,
    make_db: fn() -> TestDb,
    count: usize,
    concurrency: usize,
) {
    let (db_a, db_b) = (make_db(), make_db());
    let receiver = TestInstance::start_named(&db_a, "nord").await;
    let sender = TestInstance::start_named(&db_b, "sued").await;
    operations::follow(receiver.app(), &sender.coop_handle())
        .await
        .expect("follow");
    let sender_id = sender.coop_id();
    wait_for("the follow to be accepted", LONG, || {
        let sender_id = sender_id.clone();
        let receiver = &receiver;
        async move {
            receiver
                .query(move |conn| {
                    let Some(followed) = actors::by_ap_id(conn, &sender_id)? else {
                        return Ok(None);
                    };
                    Ok(follows::has_local_follower(conn, followed.id)?.then_some(()))
                })
                .await
        }
    })
    .await;

    let coop = sender
        .query(|conn| Ok(actors::local_by_username(conn, "sued")?.expect("coop")))
        .await;
    let coop_id = coop.id;
    let pem = sender
        .query(move |conn| actors::private_key_pem(conn, coop_id))
        .await;
    let key = Arc::new(PrivateKey::from_pem(&pem).expect("key"));
    let public = PublicKey::from_pem(&coop.public_key_pem).expect("public key");
    // Addressed by its domain: a signed `host` must name the receiver's domain.
    let inbox = format!("http://{}/inbox", receiver.domain);
    let filler = "Wir suchen Mitstreiter*innen für ein Projekt. ".repeat(30);

    let started = Instant::now();
    let prepared: Vec<Prepared> = {
        let chunks: Vec<Vec<usize>> = (0..count)
            .collect::<Vec<_>>()
            .chunks(count.div_ceil(2).max(1))
            .map(<[usize]>::to_vec)
            .collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|chunk| {
                    let (key, coop, inbox, filler) = (key.clone(), &coop, &inbox, &filler);
                    scope.spawn(move || {
                        chunk
                            .into_iter()
                            .map(|n| {
                                let note_id =
                                    format!("{}/bench/{n}", coop.ap_id.replace("/actors/sued", ""));
                                let body = json!({
                                    "@context": "https://www.w3.org/ns/activitystreams",
                                    "id": format!("{note_id}/activity"),
                                    "type": "Create",
                                    "actor": coop.ap_id,
                                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                                    "object": {
                                        "id": note_id, "type": "Note", "attributedTo": coop.ap_id,
                                        "content": format!("<p>{n}: {filler}</p>"),
                                        "to": ["https://www.w3.org/ns/activitystreams#Public"],
                                    },
                                });
                                let mut request = http::Request::post(inbox.as_str())
                                    .header("content-type", "application/activity+json")
                                    .body(serde_json::to_vec(&body).unwrap())
                                    .unwrap();
                                signatures::sign_cavage(
                                    &mut request,
                                    &coop.public_key_id,
                                    &key,
                                    SystemTime::now(),
                                )
                                .unwrap();
                                Prepared { request }
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        })
    };
    let signing = started.elapsed();
    let body_len = prepared[0].request.body().len();

    // Verification alone, on the same requests: parse the header, check Date and Digest,
    // verify RSA with the key parsed once (as the inbox's cache does).
    let verify_all = |slice: &[Prepared]| {
        for p in slice {
            let path = p.request.uri().path_and_query().unwrap().as_str();
            let parts = RequestParts {
                method: p.request.method(),
                scheme: "http",
                authority: "unused",
                path_and_query: path,
                headers: p.request.headers(),
            };
            let input = signatures::parse_signature(&parts).unwrap();
            input
                .verify(&public, p.request.body(), SystemTime::now())
                .unwrap();
        }
    };
    let t = Instant::now();
    verify_all(&prepared);
    let verify_one_core = count as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    std::thread::scope(|scope| {
        for half in prepared.chunks(count.div_ceil(2).max(1)) {
            scope.spawn(|| verify_all(half));
        }
    });
    let verify_two_cores = count as f64 / t.elapsed().as_secs_f64();

    // The whole inbox path: HTTP over loopback, verification, idempotency record, storage.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let requests: Vec<reqwest::Request> = prepared
        .into_iter()
        .map(|p| reqwest::Request::try_from(p.request).unwrap())
        .collect();
    let t = Instant::now();
    let cpu_before = process_cpu_seconds();
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
    let inbox_time = t.elapsed();
    let cpu = process_cpu_seconds() - cpu_before;
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    let stored = receiver.query(posts::count_remote).await;
    let inbox_rate = count as f64 / inbox_time.as_secs_f64();
    println!("\n== inbox throughput, {backend} ==");
    println!(
        "  {count} signed Create{{Note}} POSTs of {body_len} bytes, concurrency {concurrency}"
    );
    println!(
        "  pre-signing (aws-lc-rs, 2 threads): {:.0}/s",
        count as f64 / signing.as_secs_f64()
    );
    println!(
        "  verify only (aws-lc-rs, cached key): {verify_one_core:.0}/s on 1 core, {verify_two_cores:.0}/s on 2 threads"
    );
    println!(
        "  whole inbox path over loopback:     {inbox_rate:.0}/s  ({:.0}% of 2-thread verify-only)",
        100.0 * inbox_rate / verify_two_cores
    );
    println!(
        "  CPU of this process (client and server) in that phase: {:.1} core-seconds in {:.1} s, {:.0} µs per activity",
        cpu,
        inbox_time.as_secs_f64(),
        cpu * 1e6 / count as f64
    );
    println!("  accepted {accepted}/{count}, stored {stored}");
    assert_eq!(
        accepted,
        count,
        "statuses other than 202: {:?}",
        statuses
            .iter()
            .filter(|s| **s != 202)
            .take(5)
            .collect::<Vec<_>>()
    );
    assert_eq!(stored as usize, count);
    receiver.stop().await;
    sender.stop().await;
}

async fn fan_out(backend: &str, make_db: fn() -> TestDb) {
    const INSTANCES: usize = 10;
    const FOLLOWERS: usize = 1000;
    const ROUNDS: usize = 5;
    let sender_db = make_db();
    let sender = TestInstance::start_named(&sender_db, "hub").await;
    let mut dbs = Vec::new();
    let mut receivers = Vec::new();
    for n in 0..INSTANCES {
        dbs.push(make_db());
        let receiver = TestInstance::start_named(dbs.last().unwrap(), &format!("coop{n}")).await;
        operations::follow(receiver.app(), &sender.coop_handle())
            .await
            .expect("follow");
        receivers.push(receiver);
    }
    let hub = sender
        .query(|conn| Ok(actors::local_by_username(conn, "hub")?.expect("hub")))
        .await;
    let hub_id = hub.id;
    wait_for("10 accepted followers", LONG, || async {
        let count = sender
            .query(move |conn| follows::count_followers(conn, hub_id))
            .await;
        (count as usize == INSTANCES).then_some(())
    })
    .await;
    // The other 990 followers: members of the 10 instances, known to the hub as remote actors
    // whose shared inbox is their instance's. Deliveries go once per shared inbox.
    let extra: Vec<(String, String, String)> = receivers
        .iter()
        .flat_map(|r| {
            let domain = r.domain.clone();
            (0..(FOLLOWERS / INSTANCES - 1)).map(move |m| {
                (
                    domain.clone(),
                    format!("member{m}"),
                    format!("http://{domain}/inbox"),
                )
            })
        })
        .collect();
    let pem = hub.public_key_pem.clone();
    sender
        .query(move |conn| {
            for (domain, name, shared_inbox) in extra {
                let ap_id = format!("http://{domain}/actors/{name}");
                let actor = actors::upsert(
                    conn,
                    &ActorForm {
                        ap_id: ap_id.clone(),
                        actor_type: "Person".into(),
                        local: false,
                        username: name,
                        domain,
                        display_name: None,
                        summary: None,
                        inbox: format!("{ap_id}/inbox"),
                        shared_inbox: Some(shared_inbox),
                        followers_url: None,
                        public_key_id: format!("{ap_id}#main-key"),
                        public_key_pem: pem.clone(),
                        manually_approves_followers: false,
                        published: cooperage_db::now(),
                        fetched_at: Some(cooperage_db::now()),
                    },
                )?;
                follows::upsert(
                    conn,
                    actor.id,
                    hub_id,
                    &format!("{ap_id}/follow"),
                    follows::ACCEPTED,
                )?;
            }
            Ok(())
        })
        .await;
    let followers = sender
        .query(move |conn| follows::count_followers(conn, hub_id))
        .await;

    let mut times = Vec::new();
    for round in 0..ROUNDS {
        let started = Instant::now();
        let note =
            cooperage_app::posts::publish_note(sender.app(), "hub", &format!("Fan-out {round}"))
                .await
                .unwrap()
                .id;
        for receiver in &receivers {
            let note = note.clone();
            wait_for("the post on every instance", LONG, || {
                let note = note.clone();
                async move {
                    let found = receiver
                        .query(move |conn| posts::by_ap_id(conn, &note))
                        .await;
                    found.map(|_| ())
                }
            })
            .await;
        }
        times.push(started.elapsed());
    }
    times.sort();
    println!("\n== fan-out, {backend} ==");
    println!(
        "  one post to {followers} followers on {INSTANCES} instances (shared inboxes), {ROUNDS} rounds"
    );
    println!(
        "  time until all {INSTANCES} stored it: median {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(times[ROUNDS / 2]),
        ms(times[0]),
        ms(times[ROUNDS - 1])
    );
    for receiver in receivers {
        receiver.stop().await;
    }
    sender.stop().await;
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// User plus system CPU time of this process so far, from /proc (Linux).
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}
