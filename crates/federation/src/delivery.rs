//! The delivery worker: claims due deliveries from the queue, signs each with its author's
//! key, POSTs it, and records the outcome (done, retry with backoff, or failed).
//!
//! Several workers (in one process or several against one PostgreSQL) may run: claims are
//! leases, so a delivery is held by one worker at a time and a dead worker's leases expire.
//!
//! The path of a healthy host touches the database twice per batch, not per delivery: one
//! claim (with the author's key id, so sending needs no query) and one transaction recording
//! the outcomes of whatever finished meanwhile ([`record_outcomes`]). Signing runs on the
//! blocking pool, one signature per core at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::TimeDelta;
use cooperage_db::deliveries::{self, Claimed, Finished, Outcome};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::FederationContext;
use crate::protocol::ACTIVITY_JSON;
use crate::signatures;

/// How long finished deliveries stay visible in the queue before they are pruned.
const KEEP_FINISHED: TimeDelta = TimeDelta::days(7);
/// How long received activity ids are kept for deduplication (senders retry for days).
const KEEP_RECEIVED_IDS: TimeDelta = TimeDelta::days(30);
/// How often the worker prunes.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Longest response body kept in the log of a failed delivery.
const MAX_LOGGED_BODY: usize = 300;
/// Most bytes read of a failed delivery's response (for the log): a peer answering with an
/// endless body must not fill our memory.
const MAX_READ_BODY: usize = 512;

/// Most outcomes recorded in one transaction.
const MAX_RECORDED: usize = 512;

/// Starts the worker on `tracker`; it stops claiming when `shutdown` is cancelled and lets
/// in-flight sends finish and their outcomes be recorded.
pub fn spawn(context: FederationContext, shutdown: CancellationToken, tracker: &TaskTracker) {
    let concurrency = context.settings().delivery.concurrency.max(1);
    // Bounded: a send waits here when recording falls behind.
    let (recorder, outcomes) = mpsc::channel(MAX_RECORDED * 2);
    tracker.spawn(record_outcomes(context.clone(), outcomes));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let worker = Worker {
        id: format!("{}", uuid::Uuid::new_v4().simple()),
        global: Arc::new(Semaphore::new(concurrency)),
        per_host: Arc::new(Mutex::new(HashMap::new())),
        signing: Arc::new(Semaphore::new(cores)),
        recorder,
        context,
    };
    let sends = tracker.clone();
    tracker.spawn(async move { worker.run(shutdown, sends).await });
}

struct Worker {
    id: String,
    context: FederationContext,
    global: Arc<Semaphore>,
    per_host: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    /// Signatures in progress, at most one per core.
    signing: Arc<Semaphore>,
    recorder: mpsc::Sender<Attempt>,
}

/// A finished attempt on its way to the database.
struct Attempt {
    finished: Finished,
    host: String,
}

impl Worker {
    async fn run(self, shutdown: CancellationToken, sends: TaskTracker) {
        let settings = self.context.settings().delivery.clone();
        let mut batch = 0u64;
        let mut last_prune: Option<std::time::Instant> = None;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                last_prune = Some(std::time::Instant::now());
                prune(&self.context).await;
            }
            batch += 1;
            let token = format!("{}:{batch}", self.id);
            let claimed = match self.claim(&token).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(%error, "cannot claim deliveries");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.context.delivery_woken() => {}
                    _ = tokio::time::sleep(settings.poll_interval) => {}
                }
                continue;
            }
            for delivery in claimed {
                // Wait for a free slot; the lease covers the wait.
                let Ok(slot) = self.global.clone().acquire_owned().await else {
                    return;
                };
                let host_slots = self.host_semaphore(&delivery.host);
                let context = self.context.clone();
                let token = token.clone();
                let (signing, recorder) = (self.signing.clone(), self.recorder.clone());
                let span = tracing::info_span!("delivery", activity = %delivery.activity_ap_id, inbox = %delivery.inbox);
                sends.spawn(
                    async move {
                        let Ok(_host_slot) = host_slots.acquire_owned().await else {
                            return;
                        };
                        let attempt = deliver(&context, &signing, token, delivery).await;
                        // Recorded before the next claim can see the row again: the lease
                        // holds it until then.
                        if recorder.send(attempt).await.is_err() {
                            tracing::error!("the delivery recorder stopped; the lease runs out and the delivery is tried again");
                        }
                        drop(slot);
                    }
                    .instrument(span),
                );
            }
        }
    }

    /// Claims up to twice the global limit: one claim per batch of sends, not per free slot
    /// (the lease covers the wait for a slot).
    async fn claim(&self, token: &str) -> Result<Vec<Claimed>, cooperage_db::DbError> {
        let settings = &self.context.settings().delivery;
        let lease = settings.lease;
        let limit = (settings.concurrency.max(1) * 2) as i64;
        let token = token.to_owned();
        self.context
            .db()
            .write(move |conn| {
                let now = cooperage_db::now();
                let until = now + TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(120));
                deliveries::claim(conn, &token, now, until, limit)
            })
            .await
    }

    fn host_semaphore(&self, host: &str) -> Arc<Semaphore> {
        let per_host = self.context.settings().delivery.per_host_concurrency.max(1);
        self.per_host
            .lock()
            .expect("per-host limits")
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(per_host)))
            .clone()
    }
}

/// Keeps the queue and the idempotency record from growing without end.
async fn prune(context: &FederationContext) {
    let pruned = context
        .db()
        .write(|conn| {
            let now = cooperage_db::now();
            let deliveries = deliveries::prune(conn, now - KEEP_FINISHED)?;
            let received = cooperage_db::received::prune(conn, now - KEEP_RECEIVED_IDS)?;
            Ok((deliveries, received))
        })
        .await;
    match pruned {
        Ok((0, 0)) => {}
        Ok((deliveries, received)) => tracing::info!(deliveries, received, "pruned old records"),
        Err(error) => tracing::warn!(%error, "cannot prune old records"),
    }
}

/// One attempt at one delivery, and its outcome (to be recorded).
async fn deliver(
    context: &FederationContext,
    signing: &Semaphore,
    token: String,
    delivery: Claimed,
) -> Attempt {
    let settings = &context.settings().delivery;
    let result = send(context, signing, &delivery).await;
    let age = cooperage_db::now() - delivery.created_at;
    let given_up = age >= TimeDelta::from_std(settings.give_up_after).unwrap_or(TimeDelta::MAX);
    let outcome = match result {
        Ok(Response { status, .. }) if (200..300).contains(&status) => {
            tracing::debug!(status, "delivered");
            Outcome::Delivered {
                status: i32::from(status),
            }
        }
        Ok(Response {
            status,
            retry_after,
            body,
        }) if retryable(status) && !given_up => {
            tracing::info!(status, "delivery refused for now; will retry");
            Outcome::Retry {
                status: Some(i32::from(status)),
                error: format!("HTTP {status}: {}", snippet(&body)),
                next_attempt_at: next_attempt(settings, delivery.attempts, retry_after),
            }
        }
        Ok(Response { status, body, .. }) => {
            tracing::warn!(status, response = %snippet(&body), "delivery failed for good");
            if status == 410 {
                gone(context, &delivery.inbox).await;
            }
            Outcome::Failed {
                status: Some(i32::from(status)),
                error: format!("HTTP {status}: {}", snippet(&body)),
            }
        }
        Err(SendError::Refused(reason)) => {
            tracing::warn!(%reason, "delivery refused: the inbox may not be connected to");
            Outcome::Failed {
                status: None,
                error: format!("refused: {reason}"),
            }
        }
        Err(SendError::Failed(error)) if !given_up => {
            tracing::info!(%error, "delivery failed; will retry");
            Outcome::Retry {
                status: None,
                error,
                next_attempt_at: next_attempt(settings, delivery.attempts, None),
            }
        }
        Err(SendError::Failed(error)) => {
            tracing::warn!(%error, "delivery given up");
            Outcome::Failed {
                status: None,
                error,
            }
        }
    };
    Attempt {
        finished: Finished {
            id: delivery.id,
            token,
            outcome,
        },
        host: delivery.host,
    }
}

/// Records outcomes as they come, whatever arrived meanwhile in one transaction (group
/// commit, as the inbox does). Ends when every sender is gone, after the last outcome.
async fn record_outcomes(context: FederationContext, mut outcomes: mpsc::Receiver<Attempt>) {
    let mut batch = Vec::with_capacity(MAX_RECORDED);
    while outcomes.recv_many(&mut batch, MAX_RECORDED).await > 0 {
        let attempts = std::mem::take(&mut batch);
        if let Err((error, attempts)) = record(&context, attempts).await {
            if attempts.len() <= 1 {
                // The lease runs out and the delivery is tried again: at worst a duplicate,
                // which the receiver drops by activity id.
                tracing::error!(error = %crate::error_chain(&error), "cannot record a delivery outcome");
                continue;
            }
            tracing::warn!(error = %crate::error_chain(&error), outcomes = attempts.len(), "cannot record outcomes together: one by one");
            for attempt in attempts {
                if let Err((error, _)) = record(&context, vec![attempt]).await {
                    tracing::error!(error = %crate::error_chain(&error), "cannot record a delivery outcome");
                }
            }
        }
    }
}

/// Records attempts in one transaction: each outcome (where its lease still holds), the hosts
/// that answered again and those that failed. Gives the attempts back on failure.
async fn record(
    context: &FederationContext,
    attempts: Vec<Attempt>,
) -> Result<(), (cooperage_db::DbError, Vec<Attempt>)> {
    let unreachable_after = TimeDelta::from_std(context.settings().delivery.unreachable_after)
        .unwrap_or(TimeDelta::MAX);
    let (result, attempts) = context
        .db()
        .write(move |conn| {
            let result = cooperage_db::transaction(conn, |conn| {
                record_in(conn, &attempts, unreachable_after)
            });
            Ok((result, attempts))
        })
        .await
        .unwrap_or_else(|error| (Err(error), Vec::new()));
    match result {
        Ok(unreachable) => {
            for host in unreachable {
                tracing::warn!(%host, "host unreachable: deliveries wait until it contacts us");
                // Its next verified request must clear the mark at once, not a minute later.
                context.forget_host_seen(&host);
            }
            Ok(())
        }
        Err(error) => Err((error, attempts)),
    }
}

/// Returns the hosts that became unreachable.
fn record_in(
    conn: &mut cooperage_db::AnyConnection,
    attempts: &[Attempt],
    unreachable_after: TimeDelta,
) -> Result<Vec<String>, cooperage_db::DbError> {
    let finished: Vec<Finished> = attempts.iter().map(|a| a.finished.clone()).collect();
    deliveries::finish_all(conn, &finished)?;
    let answered: std::collections::BTreeSet<&str> = attempts
        .iter()
        .filter(|a| matches!(a.finished.outcome, Outcome::Delivered { .. }))
        .map(|a| a.host.as_str())
        .collect();
    let answered: Vec<&str> = answered.into_iter().collect();
    cooperage_db::hosts::record_successes(conn, &answered)?;
    let failing: std::collections::BTreeSet<&str> = attempts
        .iter()
        .filter(|a| matches!(a.finished.outcome, Outcome::Retry { .. }))
        .map(|a| a.host.as_str())
        .filter(|host| answered.binary_search(host).is_err())
        .collect();
    let mut unreachable = Vec::new();
    for host in failing {
        if cooperage_db::hosts::record_failure(conn, host, unreachable_after)? {
            unreachable.push(host.to_owned());
        }
    }
    Ok(unreachable)
}

struct Response {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

/// Why a delivery was not answered.
enum SendError {
    /// We will not send to this inbox (not a public https URL, or a blocked host): for good.
    Refused(String),
    /// Anything else (network, signing): worth another try.
    Failed(String),
}

impl<E: std::fmt::Display> From<E> for SendError {
    fn from(error: E) -> Self {
        SendError::Failed(error.to_string())
    }
}

/// Checks, before each request, that the inbox may be connected to: the row may predate the
/// checks made when actors are stored, or name a host blocked since (blocks cover subdomains,
/// which the claim's exact match does not).
async fn check_inbox(context: &FederationContext, inbox: &str) -> Result<(), SendError> {
    if !context.settings().debug {
        crate::net_guard::check_url_str(inbox)
            .map_err(|why| SendError::Refused(why.to_string()))?;
    }
    let host = crate::settings::host_of(inbox)
        .ok_or_else(|| SendError::Refused("the inbox is not a URL".into()))?;
    if !context.host_allowed(&host).await? {
        return Err(SendError::Refused(format!(
            "{host} is blocked by federation policy"
        )));
    }
    Ok(())
}

async fn send(
    context: &FederationContext,
    signing: &Semaphore,
    delivery: &Claimed,
) -> Result<Response, SendError> {
    check_inbox(context, &delivery.inbox).await?;
    let key = context.signing_key(delivery.actor_id).await?;
    let request = http::Request::post(&delivery.inbox)
        .header(http::header::CONTENT_TYPE, ACTIVITY_JSON)
        .header(http::header::ACCEPT, ACTIVITY_JSON)
        .body(delivery.payload.clone().into_bytes())
        .map_err(|e| SendError::Refused(format!("bad inbox URL: {e}")))?;
    let request = sign(signing, request, delivery.key_id.clone(), key).await?;
    let request = reqwest::Request::try_from(request)?;
    let mut response = context
        .client()
        .execute(request)
        .await
        .map_err(|e| SendError::Failed(error_chain(&e)))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let body = if (200..300).contains(&status) {
        String::new()
    } else {
        read_prefix(&mut response, MAX_READ_BODY).await
    };
    Ok(Response {
        status,
        retry_after,
        body,
    })
}

/// Signs on the blocking pool, at most one signature per core at once: an RSA signature
/// (~0.3 ms) would otherwise hold up an async worker thread, and every send waiting on it.
async fn sign(
    signing: &Semaphore,
    mut request: http::Request<Vec<u8>>,
    key_id: String,
    key: Arc<crate::signatures::PrivateKey>,
) -> Result<http::Request<Vec<u8>>, SendError> {
    let _core = signing.acquire().await?;
    tokio::task::spawn_blocking(move || {
        signatures::sign_cavage(&mut request, &key_id, &key, SystemTime::now()).map(|()| request)
    })
    .await?
    .map_err(SendError::from)
}

/// The first `limit` bytes (about) of a response body, read chunk by chunk; the rest is never
/// read (the connection is dropped with the response).
async fn read_prefix(response: &mut reqwest::Response, limit: usize) -> String {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk[..chunk.len().min(limit - body.len())])
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// An error with its causes: reqwest's own message hides why a connection was refused.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// 401 (the receiver may not have our key yet), 408, 429 and 5xx are worth another try.
fn retryable(status: u16) -> bool {
    matches!(status, 401 | 408 | 429) || status >= 500
}

/// Exponential backoff from `retry_initial`, doubling up to `retry_max`; a `Retry-After`
/// from the receiver wins when it asks for longer.
fn next_attempt(
    settings: &crate::DeliverySettings,
    attempts_before: i32,
    retry_after: Option<Duration>,
) -> chrono::NaiveDateTime {
    let delay = backoff(settings.retry_initial, settings.retry_max, attempts_before);
    let delay = retry_after.map_or(delay, |r| r.max(delay).min(settings.retry_max.max(r)));
    cooperage_db::now() + TimeDelta::from_std(delay).unwrap_or(TimeDelta::days(1))
}

/// The delay after the `attempts_before + 1`-th failure.
pub fn backoff(initial: Duration, max: Duration, attempts_before: i32) -> Duration {
    let factor = 2u32.saturating_pow(attempts_before.clamp(0, 30) as u32);
    initial.saturating_mul(factor).min(max)
}

fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

fn snippet(body: &str) -> String {
    body.chars()
        .take(MAX_LOGGED_BODY)
        .flat_map(char::escape_debug)
        .collect()
}

/// 410 from a personal inbox: that actor is gone, so it follows nobody here any more.
async fn gone(context: &FederationContext, inbox: &str) {
    let inbox = inbox.to_owned();
    let removed = context
        .db()
        .run(move |conn| cooperage_db::follows::remove_followers_with_inbox(conn, &inbox))
        .await;
    if let Err(error) = removed {
        tracing::warn!(%error, "cannot remove gone follower");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute_to_a_day() {
        let (minute, day) = (Duration::from_secs(60), Duration::from_secs(86_400));
        let delays: Vec<u64> = (0..13).map(|n| backoff(minute, day, n).as_secs()).collect();
        assert_eq!(&delays[..5], &[60, 120, 240, 480, 960]);
        assert_eq!(delays[12], 86_400);
        assert_eq!(backoff(minute, day, i32::MAX), day);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
        let parsed = parse_retry_after(&later).expect("date");
        assert!(parsed > Duration::from_secs(3500) && parsed <= Duration::from_secs(3600));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn which_statuses_are_retried() {
        for status in [401, 408, 429, 500, 502, 503] {
            assert!(retryable(status), "{status}");
        }
        for status in [400, 403, 404, 410, 422] {
            assert!(!retryable(status), "{status}");
        }
    }
}
