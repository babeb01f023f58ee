//! `fanout`: one post to `followers` followers on as many distinct hosts (personal inboxes,
//! no shared inbox to deduplicate on); every delivery's signature is verified.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use cooperage_federation::signatures::{self, PublicKey, RequestParts};
use serde_json::json;

use crate::peers::Peers;
use crate::server::{Backend, Server};

pub struct Options {
    pub rounds: usize,
    pub concurrency: usize,
}

pub struct Round {
    /// From the post being queued (`cooperage post` done) to the last delivery received.
    pub total: Duration,
    /// From the first delivery to the last.
    pub spread: Duration,
    pub cpu: Duration,
    pub verified: usize,
}

pub struct Report {
    pub backend: Backend,
    pub followers: usize,
    pub rounds: Vec<Round>,
    pub peak_rss_mb: f64,
}

const DEADLINE: Duration = Duration::from_secs(300);

pub async fn run(
    binary: &std::path::Path,
    backend: Backend,
    admin: Option<&str>,
    followers: usize,
    options: &Options,
) -> anyhow::Result<Report> {
    let peers = Peers::start(followers, 1).await?;
    Server::measured(binary, backend, admin, async |server| {
        measure(server, &peers, followers, options).await
    })
    .await
}

async fn measure(
    server: &Server,
    peers: &Arc<Peers>,
    followers: usize,
    options: &Options,
) -> anyhow::Result<Report> {
    eprintln!("  {followers} hosts follow the coop ...");
    let coop = server.coop_id();
    let inbox = format!("{coop}/inbox");
    let follows: Vec<_> = peers
        .ports
        .iter()
        .enumerate()
        .map(|(n, port)| {
            let actor = peers.actor_id(*port, 0);
            let follow = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{actor}/follows/{n}"), "type": "Follow", "actor": actor, "object": coop,
            });
            peers.signed_post(&actor, &inbox, &follow)
        })
        .collect();
    let answers = crate::inbox::send_all(server.port, follows, options.concurrency).await?;
    let refused: Vec<u16> = answers
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s != 202)
        .collect();
    anyhow::ensure!(
        refused.is_empty(),
        "follows refused: {:?}",
        &refused[..refused.len().min(5)]
    );
    wait_until("every Accept", || peers.total() >= followers).await?;
    peers.take();

    let (key_id, key) = coop_key(server).await?;
    let mut rounds = Vec::new();
    for round in 0..options.rounds {
        server
            .post(&format!("Fan-out round {round}: hello, {followers} hosts"))
            .await?;
        let queued = Instant::now();
        let cpu_before = server.cpu();
        wait_until("every delivery", || {
            peers.creates() >= followers * (round + 1)
        })
        .await?;
        let cpu = server.cpu() - cpu_before;
        let deliveries = peers.take();
        let first = deliveries.iter().map(|d| d.at).min().unwrap_or(queued);
        let last = deliveries.iter().map(|d| d.at).max().unwrap_or(queued);
        let verified = verify(&deliveries, &key_id, &key)?;
        anyhow::ensure!(
            verified == followers,
            "{verified} hosts got a verified delivery, {followers} expected"
        );
        let round = Round {
            total: last - first.min(queued),
            spread: last - first,
            cpu,
            verified,
        };
        eprintln!(
            "  round: {followers} deliveries in {:.0} ms, {:.0}/s",
            ms(round.total),
            followers as f64 / round.total.as_secs_f64()
        );
        rounds.push(round);
    }
    Ok(Report {
        backend: if matches!(server.db, crate::server::Scratch::Sqlite { .. }) {
            Backend::Sqlite
        } else {
            Backend::Postgres
        },
        followers,
        rounds,
        peak_rss_mb: server.peak_rss_mb(),
    })
}

/// The coop's key id and public key, from its actor document.
async fn coop_key(server: &Server) -> anyhow::Result<(String, PublicKey)> {
    let (status, body) = crate::client::get(server.port, "/actors/coop", &server.domain()).await?;
    anyhow::ensure!(status == 200, "GET /actors/coop: {status}");
    let document: serde_json::Value = serde_json::from_slice(&body)?;
    let key = &document["publicKey"];
    let id = key["id"].as_str().unwrap_or_default().to_owned();
    let pem = key["publicKeyPem"].as_str().unwrap_or_default();
    Ok((id, PublicKey::from_pem(pem)?))
}

/// Checks every delivery's signature (made by the coop's key, for the host it reached) and
/// that they are one `Create` per host; returns the number of hosts reached.
fn verify(
    deliveries: &[crate::peers::Delivery],
    key_id: &str,
    key: &PublicKey,
) -> anyhow::Result<usize> {
    let mut hosts = HashSet::new();
    let mut activities = HashSet::new();
    for delivery in deliveries {
        let authority = format!("localhost:{}", delivery.port);
        let parts = RequestParts {
            method: &http::Method::POST,
            scheme: "http",
            authority: &authority,
            path_and_query: &delivery.path_and_query,
            headers: &delivery.headers,
        };
        let signature = signatures::parse_signature(&parts)?;
        anyhow::ensure!(
            signature.key_id() == key_id,
            "signed by {}",
            signature.key_id()
        );
        signature.verify(key, &delivery.body, SystemTime::now())?;
        anyhow::ensure!(
            hosts.insert(delivery.port),
            "host {authority} got the post twice"
        );
        let activity: serde_json::Value = serde_json::from_slice(&delivery.body)?;
        activities.insert(activity["id"].as_str().unwrap_or_default().to_owned());
    }
    anyhow::ensure!(
        activities.len() <= 1,
        "several activities in one round: {activities:?}"
    );
    Ok(hosts.len())
}

async fn wait_until(what: &str, done: impl Fn() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
