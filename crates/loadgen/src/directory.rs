//! `directory`: searches of a large network directory through `GET /api/v1/directory`, as a
//! signed-in member asks them. The listings (`--listings`, from 200 coops of 100 members) are
//! written straight into the server's database once it has migrated it, from the same words
//! as `benches/directory.rs`; then each kind of search (text, tags, availability, combined,
//! browse) is sent `--queries` times over `--concurrency` connections.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use cooperage_db::actors;
use cooperage_db::skills::{self, ListingForm};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::client::{self, Connection};
use crate::server::{Backend, Server};
use crate::stats::Latencies;

#[path = "../../../benches/data/directory.rs"]
mod data;
use data::{
    CITIES, COOPS, EXTRA_TAGS, MEMBERS_PER_COOP, SKILLS, day, listing, prefix, remote_actor,
};
const KINDS: [&str; 5] = ["text", "tags", "availability", "combined", "browse"];

pub struct Options {
    pub listings: usize,
    pub queries: usize,
    pub concurrency: usize,
}

pub struct KindReport {
    pub kind: &'static str,
    pub rate: f64,
    pub latencies: Latencies,
    pub cpu_per_query: Duration,
}

pub struct Report {
    pub backend: Backend,
    pub seeded: Duration,
    pub kinds: Vec<KindReport>,
    pub peak_rss_mb: f64,
}

pub async fn run(
    binary: &std::path::Path,
    backend: Backend,
    admin: Option<&str>,
    options: &Options,
) -> anyhow::Result<Report> {
    Server::measured(binary, backend, admin, async |server| {
        measure(server, options).await
    })
    .await
}

async fn measure(server: &Server, options: &Options) -> anyhow::Result<Report> {
    let password = "correct horse battery staple 42";
    server.create_admin("bench", password).await?;
    let cookie = login(server, "bench", password).await?;

    eprintln!("  seeding {} listings ...", options.listings);
    let started = Instant::now();
    seed(server.db.url(), options.listings).await?;
    let seeded = started.elapsed();

    let mut rng = StdRng::seed_from_u64(7);
    let mut kinds = Vec::new();
    for kind in KINDS {
        let queries: Vec<String> = (0..options.queries + 20)
            .map(|_| query(kind, &mut rng))
            .collect();
        let (warmup, measured) = queries.split_at(20);
        send_all(server, &cookie, warmup.to_vec(), options.concurrency).await?;
        let cpu_before = server.cpu();
        let started = Instant::now();
        let latencies = send_all(server, &cookie, measured.to_vec(), options.concurrency).await?;
        let wall = started.elapsed();
        let cpu = server.cpu() - cpu_before;
        kinds.push(KindReport {
            kind,
            rate: measured.len() as f64 / wall.as_secs_f64(),
            latencies: Latencies::new(latencies),
            cpu_per_query: cpu / measured.len() as u32,
        });
    }
    Ok(Report {
        backend: server.backend(),
        seeded,
        kinds,
        peak_rss_mb: server.peak_rss_mb(),
    })
}

/// Signs in; returns the session cookie.
async fn login(server: &Server, login: &str, password: &str) -> anyhow::Result<String> {
    let mut connection = Connection::open(server.port).await?;
    let body = serde_json::json!({ "login": login, "password": password }).to_string();
    let mut request = client::request(
        http::Method::POST,
        &server.domain(),
        "/api/v1/auth/login",
        body.into(),
    );
    request.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let (status, headers, body) = connection.send_with_headers(request).await?;
    anyhow::ensure!(
        status == 200,
        "login answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let cookie = headers
        .get(http::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("login set no cookie"))?;
    Ok(cookie.to_owned())
}

/// Sends the searches over `concurrency` connections; every one must answer 200.
async fn send_all(
    server: &Server,
    cookie: &str,
    queries: Vec<String>,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    let queue = Arc::new(Mutex::new(queries.into_iter()));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (queue, cookie, host, port) = (
            queue.clone(),
            cookie.to_owned(),
            server.domain(),
            server.port,
        );
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(port).await?;
            let mut latencies = Vec::new();
            loop {
                let next = queue.lock().expect("queue").next();
                let Some(query) = next else { break };
                let path = format!("/api/v1/directory?{query}");
                let mut request =
                    client::request(http::Method::GET, &host, &path, bytes::Bytes::new());
                request
                    .headers_mut()
                    .insert(http::header::COOKIE, cookie.parse()?);
                let started = Instant::now();
                let (status, body) = connection.send(request).await?;
                latencies.push(started.elapsed());
                anyhow::ensure!(
                    status == 200,
                    "{path} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(all)
}

/// One search of a kind, as a query string (the kinds of `benches/directory.rs`).
fn query(kind: &str, rng: &mut StdRng) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    match kind {
        "text" => {
            let mut q = prefix(rng);
            if rng.gen_bool(0.3) {
                q = format!("{q} {}", prefix(rng));
            }
            pairs.push(("q", q));
        }
        "tags" => {
            let mut skill = || SKILLS.choose(rng).expect("skills").to_string();
            let (first, second) = (skill(), skill());
            let extra = EXTRA_TAGS.choose(rng).expect("tags").to_string();
            match rng.gen_range(0..3) {
                0 => pairs.push(("tags", first)),
                1 => pairs.push(("tags", format!("{first},{extra}"))),
                _ => pairs.push(("any_tags", format!("{first},{second},{extra}"))),
            }
        }
        "availability" => {
            let from = day(rng);
            if rng.gen_bool(0.5) {
                pairs.push(("available_on", from.to_string()));
            } else {
                let until = from + TimeDelta::days(rng.gen_range(7..90));
                pairs.push(("available_from", from.to_string()));
                pairs.push(("available_until", until.to_string()));
            }
            if rng.gen_bool(0.5) {
                pairs.push(("min_hours", rng.gen_range(5..=30).to_string()));
            }
        }
        "combined" => {
            let from = day(rng);
            pairs.push(("q", prefix(rng)));
            let level = if rng.gen_bool(0.5) {
                "practitioner"
            } else {
                "expert"
            };
            pairs.push(("level", level.into()));
            pairs.push(("min_hours", rng.gen_range(5..=20).to_string()));
            pairs.push(("available_from", from.to_string()));
            pairs.push(("available_until", (from + TimeDelta::days(31)).to_string()));
            if rng.gen_bool(0.5) {
                pairs.push(("work_mode", "remote".into()));
            }
            if rng.gen_bool(0.3) {
                pairs.push(("region", CITIES.choose(rng).expect("cities").to_string()));
            }
        }
        _ => pairs.push(("offset", (20 * rng.gen_range(0..5)).to_string())),
    }
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", percent_encoded(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Writes the coops, their members and `count` listings into the server's database.
async fn seed(url: &str, count: usize) -> anyhow::Result<()> {
    crate::server::on_database(url, move |conn| {
        let mut rng = StdRng::seed_from_u64(42);
        let now = cooperage_db::now();
        let mut people = Vec::with_capacity(COOPS * MEMBERS_PER_COOP);
        for c in 0..COOPS {
            let domain = format!("coop{c}.example");
            let ids: Vec<i64> = cooperage_db::transaction(conn, |conn| {
                (0..=MEMBERS_PER_COOP)
                    .map(|m| {
                        let (username, kind) = match m {
                            0 => ("coop".to_owned(), "Group"),
                            _ => (format!("m{m}"), "Person"),
                        };
                        actors::upsert(conn, &remote_actor(&domain, &username, kind, now))
                            .map(|a| a.id)
                    })
                    .collect()
            })?;
            people.extend(ids[1..].iter().map(|member| (*member, ids[0])));
        }
        let forms: Vec<ListingForm> = (0..count)
            .map(|i| listing(i, &people, now, &mut rng))
            .collect();
        for chunk in forms.chunks(10_000) {
            cooperage_db::transaction(conn, |conn| {
                chunk
                    .iter()
                    .try_for_each(|form| skills::insert(conn, form).map(drop))
            })?;
        }
        Ok(())
    })
    .await
}
