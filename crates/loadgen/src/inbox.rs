//! `inbox`: pre-signed `Create{Note}` POSTs from many remote actors, `concurrency` at a time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::{Connection, Request};
use crate::peers::Peers;
use crate::server::{Backend, Server};
use crate::stats::Latencies;

pub struct Options {
    pub posts: usize,
    pub warmup: usize,
    pub concurrency: usize,
    pub actors: usize,
}

pub struct Report {
    pub backend: Backend,
    pub posts: usize,
    pub body_bytes: usize,
    pub accepted: usize,
    pub stored: i64,
    pub wall: Duration,
    pub latencies: Latencies,
    pub cpu: Duration,
    pub peak_rss_mb: f64,
}

impl Report {
    pub fn rate(&self) -> f64 {
        self.accepted as f64 / self.wall.as_secs_f64()
    }
}

pub async fn run(
    binary: &std::path::Path,
    backend: Backend,
    admin: Option<&str>,
    options: &Options,
) -> anyhow::Result<Report> {
    let peers = Peers::start(1, options.actors).await?;
    Server::measured(binary, backend, admin, async |server| {
        measure(server, &peers, options).await
    })
    .await
}

async fn measure(server: &Server, peers: &Arc<Peers>, options: &Options) -> anyhow::Result<Report> {
    let total = options.warmup + options.posts;
    eprintln!("  signing {total} activities ...");
    let mut requests = sign_all(server, peers, options.actors, total);
    let measured = requests.split_off(options.warmup);
    let body_bytes = measured.first().map_or(0, http_body_len);

    // Warm-up: every actor's key fetched and cached, connections and pools warm.
    eprintln!("  warm-up: {} activities ...", options.warmup);
    let warmup = send_all(server.port, requests, options.concurrency).await?;
    let refused: Vec<u16> = warmup
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s != 202)
        .collect();
    anyhow::ensure!(
        refused.is_empty(),
        "warm-up refused: {:?}",
        &refused[..refused.len().min(5)]
    );

    eprintln!(
        "  measuring: {} activities, concurrency {} ...",
        options.posts, options.concurrency
    );
    let cpu_before = server.cpu();
    let started = Instant::now();
    let results = send_all(server.port, measured, options.concurrency).await?;
    let wall = started.elapsed();
    let cpu = server.cpu() - cpu_before;
    let accepted = results.iter().filter(|(s, _)| *s == 202).count();
    let other: Vec<u16> = results
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s != 202)
        .take(5)
        .collect();
    anyhow::ensure!(other.is_empty(), "statuses other than 202: {other:?}");
    let stored = stored_posts(server.db.url()).await?;
    anyhow::ensure!(
        stored as usize == total,
        "{total} activities answered 202 but {stored} posts are stored"
    );
    Ok(Report {
        backend: server.backend(),
        posts: options.posts,
        body_bytes,
        accepted,
        stored,
        wall,
        latencies: Latencies::new(results.into_iter().map(|(_, d)| d).collect()),
        cpu,
        peak_rss_mb: server.peak_rss_mb(),
    })
}

fn http_body_len(request: &Request) -> usize {
    hyper::body::Body::size_hint(request.body())
        .exact()
        .unwrap_or(0) as usize
}

/// Signs `count` `Create{Note}` activities, round robin over the actors, on every core.
fn sign_all(server: &Server, peers: &Arc<Peers>, actors: usize, count: usize) -> Vec<Request> {
    let inbox = format!("http://{}/inbox", server.domain());
    let coop = server.coop_id();
    let port = peers.ports[0];
    let filler = "Wir suchen Mitstreiter*innen für ein Projekt. ".repeat(30);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = count.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|start| {
                let (inbox, coop, filler) = (&inbox, &coop, &filler);
                scope.spawn(move || {
                    (start..(start + chunk).min(count))
                        .map(|n| {
                            let actor = peers.actor_id(port, n % actors);
                            let note = format!("{actor}/statuses/{n}");
                            let activity = json!({
                                "@context": "https://www.w3.org/ns/activitystreams",
                                "id": format!("{note}/activity"), "type": "Create", "actor": actor,
                                "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [coop],
                                "object": {
                                    "id": note, "type": "Note", "attributedTo": actor,
                                    "content": format!("<p>{n}: {filler}</p>"),
                                    "published": "2025-01-01T12:00:00Z",
                                    "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [coop],
                                },
                            });
                            peers.signed_post(&actor, inbox, &activity)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("signing thread"))
            .collect()
    })
}

/// Sends every request over `concurrency` connections; returns each status and latency.
pub async fn send_all(
    port: u16,
    requests: Vec<Request>,
    concurrency: usize,
) -> anyhow::Result<Vec<(u16, Duration)>> {
    let queue = Arc::new(Mutex::new(requests.into_iter()));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(port).await?;
            let mut results = Vec::new();
            loop {
                let next = queue.lock().expect("queue").next();
                let Some(request) = next else { break };
                let started = Instant::now();
                let (status, _) = connection.send(request).await?;
                results.push((status, started.elapsed()));
            }
            anyhow::Ok(results)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(all)
}

/// Remote posts in the server's database: every activity answered 202 must be there.
async fn stored_posts(url: &str) -> anyhow::Result<i64> {
    crate::server::on_database(url, |conn| Ok(cooperage_db::posts::count_remote(conn)?)).await
}
