//! Group commit: verified activities are applied in batches, one transaction per batch.

use std::sync::Arc;

use cooperage_db::actors::Actor;
use tokio::sync::{mpsc, oneshot};

use super::dispatch::{self, Activity, Effect};
use super::envelope::Envelope;
use crate::Settings;

/// A recognized activity on its way to the database, and where to send the outcome
/// (`None`: a duplicate). Dropping the reply makes the request answer 500.
pub struct Job {
    pub signer: Actor,
    pub envelope: Envelope,
    pub activity: Activity,
    pub reply: oneshot::Sender<Option<Effect>>,
}

/// Most activities applied in one transaction.
const MAX_BATCH: usize = 256;

/// Starts the tasks that apply activities in batches: one transaction (one commit, one trip
/// to the blocking pool) for everything that arrived meanwhile. This group commit is what
/// lets the inbox keep up with many concurrent deliveries, on SQLite's single writer and on
/// PostgreSQL's per-commit WAL flush alike. Everything a sender can get wrong is refused
/// before (`recognize`); if a batch still fails, its activities are applied one by one, so
/// that one activity's fault is only its own.
pub fn spawn_writer(db: cooperage_db::Database, settings: Settings) -> mpsc::Sender<Job> {
    let (sender, receiver) = mpsc::channel::<Job>(4 * MAX_BATCH);
    let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
    // SQLite writes one transaction at a time: a second writer only collects the next batch
    // while the first commits. PostgreSQL commits several batches in parallel.
    let writers = match db.backend() {
        cooperage_db::Backend::Sqlite => 2,
        cooperage_db::Backend::Postgres => 4,
    };
    for _ in 0..writers {
        let (db, settings, receiver) = (db.clone(), settings.clone(), receiver.clone());
        tokio::spawn(async move {
            loop {
                let jobs = {
                    let mut receiver = receiver.lock().await;
                    let Some(first) = receiver.recv().await else {
                        break;
                    };
                    let mut jobs = vec![first];
                    while jobs.len() < MAX_BATCH {
                        match receiver.try_recv() {
                            Ok(job) => jobs.push(job),
                            Err(_) => break,
                        }
                    }
                    jobs
                };
                write_batch(&db, &settings, jobs).await;
            }
        });
    }
    sender
}

type Work = Vec<(Actor, Envelope, Activity)>;

/// Applies a batch in one transaction and answers each job; on failure, one by one.
async fn write_batch(db: &cooperage_db::Database, settings: &Settings, jobs: Vec<Job>) {
    let (replies, work): (Vec<_>, Work) = jobs
        .into_iter()
        .map(|job| (job.reply, (job.signer, job.envelope, job.activity)))
        .unzip();
    let single = work.len() == 1;
    let batch_settings = settings.clone();
    let (outcome, work) = db
        .write(move |conn| {
            let outcome = cooperage_db::transaction(conn, |conn| {
                dispatch::apply_recorded(conn, &batch_settings, &work)
            });
            Ok::<_, cooperage_db::DbError>((outcome, work))
        })
        .await
        .unwrap_or_else(|error| (Err(error), Vec::new()));
    match outcome {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(error) if single || work.is_empty() => {
            // Dropping the reply makes the request answer 500; the sender retries.
            tracing::error!(error = %crate::error_chain(&error), "cannot apply an activity");
        }
        Err(error) => {
            tracing::warn!(
                error = %crate::error_chain(&error),
                activities = work.len(),
                "a batch of activities failed: applying them one by one"
            );
            for (reply, one) in replies.into_iter().zip(work) {
                let settings = settings.clone();
                let id = one.1.id.clone();
                let outcome = db
                    .write(move |conn| {
                        cooperage_db::transaction(conn, |conn| {
                            dispatch::apply_recorded(conn, &settings, &[one])
                        })
                    })
                    .await;
                match outcome {
                    Ok(mut result) => {
                        let _ = reply.send(result.pop().flatten());
                    }
                    Err(error) => tracing::error!(
                        error = %crate::error_chain(&error),
                        activity = id,
                        "cannot apply an activity"
                    ),
                }
            }
        }
    }
}
