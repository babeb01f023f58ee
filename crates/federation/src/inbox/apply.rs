//! Applying verified activities: each in one transaction with its id recorded.

use cooperage_db::actors::{self, Actor};
use cooperage_db::posts::{self, PostForm};
use cooperage_db::{AnyConnection, DbError, follows, received};
use std::collections::HashMap;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::Received;
use super::envelope::{Envelope, id_of};
use crate::objects::actor::remote_actor_form;
use crate::outbox;
use crate::protocol::PUBLIC;
use crate::settings::host_of;
use crate::{Data, Error, Settings};

/// Object types stored as posts.
const POST_TYPES: [&str; 4] = ["Note", "Article", "Page", "Question"];

/// What a handler decided, before commit.
#[derive(Debug, Clone, Copy)]
enum Effect {
    Done,
    Ignored,
    /// Done, and something was queued for delivery.
    Queued,
}

/// One verified activity on its way to the database, and where to send the outcome.
pub struct Job {
    activity: Verified,
    reply: oneshot::Sender<Option<Effect>>,
}

/// A verified activity with everything that needs no database (parsing, sanitizing) already
/// done, so the writer's critical section stays short.
struct Verified {
    signer: Actor,
    envelope: Envelope,
    json: Value,
    actor_update: Option<cooperage_db::actors::ActorForm>,
    /// Sanitized content and serialized object of a post, when the object is one.
    post: Option<(String, String)>,
}

/// Most activities applied in one transaction.
const MAX_BATCH: usize = 256;

/// Starts the tasks that apply activities in batches: one transaction (one commit, one trip
/// to the blocking pool) for everything that arrived meanwhile. This group commit is what
/// lets the inbox keep up with many concurrent deliveries, on SQLite's single writer and on
/// PostgreSQL's per-commit WAL flush alike. Everything a sender can get wrong is refused
/// before (`check`), so only a database fault fails a batch, and then every request in it
/// answers 500 and is retried by its sender.
pub fn spawn_writer(db: cooperage_db::Database, settings: Settings) -> mpsc::Sender<Job> {
    let (sender, receiver) = mpsc::channel::<Job>(4 * MAX_BATCH);
    let receiver = std::sync::Arc::new(tokio::sync::Mutex::new(receiver));
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

/// Applies a batch in one transaction and answers each job.
async fn write_batch(db: &cooperage_db::Database, settings: &Settings, jobs: Vec<Job>) {
    let settings = settings.clone();
    let (replies, work): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .map(|job| (job.reply, job.activity))
        .unzip();
    let outcome = db
        .write(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                let mut results = Vec::with_capacity(work.len());
                let mut followed_here = HashMap::new();
                for activity in &work {
                    results.push(apply_one(conn, &mut followed_here, &settings, activity)?);
                }
                Ok(results)
            })
        })
        .await;
    match outcome {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        // Dropping the replies makes each request answer 500; the senders retry.
        Err(error) => tracing::error!(%error, "cannot apply a batch of activities"),
    }
}

/// Refuses, before any database work, what no handler may store: a Follow without object,
/// a post without id, on another host than its author, or attributed to someone else.
fn check(signer: &Actor, envelope: &Envelope) -> Result<(), Error> {
    match (envelope.kind.as_str(), envelope.object_type()) {
        ("Follow", _) if envelope.object_id().is_none() => {
            Err(Error::BadRequest("Follow without object".into()))
        }
        ("Create" | "Update", Some(kind)) if POST_TYPES.contains(&kind) => {
            let id = envelope
                .object_id()
                .ok_or_else(|| Error::BadRequest("object without id".into()))?;
            if host_of(id) != host_of(&signer.ap_id) {
                return Err(Error::BadRequest(
                    "object is not on its actor's host".into(),
                ));
            }
            let attributed = envelope.object.get("attributedTo").and_then(first_id);
            if attributed.is_some_and(|a| a != signer.ap_id) {
                return Err(Error::BadRequest(
                    "object is attributed to another actor".into(),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Applies `envelope` from `signer`; `json` is the whole activity as received.
pub async fn apply(
    data: &Data,
    signer: Actor,
    envelope: Envelope,
    json: Value,
) -> Result<Received, Error> {
    check(&signer, &envelope)?;
    // An updated actor is parsed before the transaction (it may be refused).
    let actor_update = match (envelope.kind.as_str(), envelope.object_id()) {
        ("Update", Some(id)) if id == signer.ap_id => {
            let remote = serde_json::from_value(envelope.object.clone())
                .map_err(|e| Error::BadRequest(format!("not an actor document: {e}")))?;
            Some(remote_actor_form(&remote)?)
        }
        _ => None,
    };
    let post = match (envelope.kind.as_str(), envelope.object_type()) {
        ("Create" | "Update", Some(kind)) if POST_TYPES.contains(&kind) => {
            let content = envelope
                .object
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Some((crate::sanitize::html(content), envelope.object.to_string()))
        }
        _ => None,
    };
    let kind = envelope.kind.clone();
    let key_id = signer.public_key_id.clone();
    let (reply, outcome) = oneshot::channel();
    let job = Job {
        activity: Verified {
            signer,
            envelope,
            json,
            actor_update,
            post,
        },
        reply,
    };
    data.inbox_writer()
        .send(job)
        .await
        .map_err(|_| Error::Internal("the inbox writer stopped".into()))?;
    let effect = outcome
        .await
        .map_err(|_| Error::Internal("the activity could not be stored".into()))?;
    Ok(match effect {
        None => Received::Duplicate,
        Some(Effect::Ignored) => {
            tracing::debug!(kind, "activity ignored");
            Received::Ignored
        }
        Some(Effect::Done) => {
            if kind == "Update" || kind == "Delete" {
                data.signers().forget(&key_id);
            }
            Received::Applied
        }
        Some(Effect::Queued) => {
            data.wake_delivery();
            Received::Applied
        }
    })
}

/// Records and applies one activity, inside the batch's transaction.
fn apply_one(
    conn: &mut AnyConnection,
    followed_here: &mut HashMap<i64, bool>,
    settings: &Settings,
    activity: &Verified,
) -> Result<Option<Effect>, DbError> {
    let Verified {
        signer,
        envelope,
        json,
        actor_update,
        post,
    } = activity;
    if !received::record(conn, &envelope.id, signer.id, &envelope.kind)? {
        return Ok(None);
    }
    let effect = match (envelope.kind.as_str(), actor_update.as_ref()) {
        ("Follow", _) => follow(conn, settings, signer, envelope)?,
        ("Accept", _) => answer(conn, signer, envelope, true)?,
        ("Reject", _) => answer(conn, signer, envelope, false)?,
        ("Undo", _) => undo(conn, signer, envelope)?,
        ("Create" | "Update", Some(form)) => {
            actors::upsert(conn, form)?;
            Effect::Done
        }
        ("Create" | "Update", None) => match post.as_ref() {
            Some(post) => store_post(conn, followed_here, settings, signer, envelope, json, post)?,
            None => Effect::Ignored,
        },
        ("Delete", _) => delete(conn, signer, envelope)?,
        _ => Effect::Ignored,
    };
    Ok(Some(effect))
}

fn follow(
    conn: &mut AnyConnection,
    settings: &Settings,
    follower: &Actor,
    envelope: &Envelope,
) -> Result<Effect, DbError> {
    let Some(target) = envelope.object_id() else {
        return Ok(Effect::Ignored); // refused by `check` before the transaction
    };
    let Some(followed) = actors::by_ap_id(conn, target)?.filter(|a| a.local) else {
        return Ok(Effect::Ignored);
    };
    let state = if followed.manually_approves_followers {
        follows::PENDING
    } else {
        follows::ACCEPTED
    };
    let follow = follows::upsert(conn, follower.id, followed.id, &envelope.id, state)?;
    if follow.state != follows::ACCEPTED {
        return Ok(Effect::Done); // waits for an admin
    }
    // Accepted (also when a known follower knocks again): answer with an Accept.
    outbox::answer_follow(settings, "Accept", &followed, follower, &envelope.id).enqueue(conn)?;
    Ok(Effect::Queued)
}

/// Accept or Reject of one of our Follows, from the actor we asked to follow.
fn answer(
    conn: &mut AnyConnection,
    signer: &Actor,
    envelope: &Envelope,
    accepted: bool,
) -> Result<Effect, DbError> {
    let mut follow = match envelope.object_id() {
        Some(id) => follows::by_activity_id(conn, id)?,
        None => None,
    };
    if follow.is_none() {
        // Some servers answer with a Follow of their own making: match by actor and object.
        let follower = envelope.object.get("actor").and_then(id_of);
        if let Some(local) = follower
            .map(|f| actors::by_ap_id(conn, f))
            .transpose()?
            .flatten()
        {
            follow = follows::between(conn, local.id, signer.id)?;
        }
    }
    let Some(follow) = follow.filter(|f| f.followed_id == signer.id) else {
        return Ok(Effect::Ignored);
    };
    if accepted {
        follows::accept(conn, follow.id)?;
    } else {
        follows::remove(conn, follow.id)?;
    }
    Ok(Effect::Done)
}

fn undo(conn: &mut AnyConnection, signer: &Actor, envelope: &Envelope) -> Result<Effect, DbError> {
    let object_type = envelope.object_type();
    let by_id = match envelope.object_id() {
        Some(id) => follows::by_activity_id(conn, id)?.filter(|f| f.follower_id == signer.id),
        None => None,
    };
    let follow = match by_id {
        Some(follow) => Some(follow),
        None if object_type == Some("Follow") => {
            let target = envelope.object.get("object").and_then(id_of);
            match target
                .map(|t| actors::by_ap_id(conn, t))
                .transpose()?
                .flatten()
            {
                Some(followed) => follows::between(conn, signer.id, followed.id)?,
                None => None,
            }
        }
        None => None,
    };
    match follow {
        Some(follow) => {
            follows::remove(conn, follow.id)?;
            Ok(Effect::Done)
        }
        None => Ok(Effect::Ignored),
    }
}

fn store_post(
    conn: &mut AnyConnection,
    followed_here: &mut HashMap<i64, bool>,
    settings: &Settings,
    author: &Actor,
    envelope: &Envelope,
    activity: &Value,
    (content, object_json): &(String, String),
) -> Result<Effect, DbError> {
    let object = &envelope.object;
    let Some(object_type) = envelope.object_type().filter(|t| POST_TYPES.contains(t)) else {
        return Ok(Effect::Ignored);
    };
    // `check` refused objects without id, on another host, or attributed to someone else.
    let Some(object_id) = envelope.object_id() else {
        return Ok(Effect::Ignored);
    };
    if !relevant(conn, followed_here, settings, author, activity)? {
        return Ok(Effect::Ignored);
    }
    let published = object
        .get("published")
        .and_then(Value::as_str)
        .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
        .map(|p| p.naive_utc())
        .unwrap_or_else(cooperage_db::now);
    let form = PostForm {
        ap_id: object_id.to_owned(),
        author_id: author.id,
        object_type: object_type.to_owned(),
        content: content.clone(),
        object_json: object_json.clone(),
        local: false,
        published,
        updated: (envelope.kind == "Update").then(cooperage_db::now),
    };
    if envelope.kind == "Create" {
        // A second Create of a known object (or of a deleted one) changes nothing.
        posts::insert_new(conn, &form)?;
    } else {
        posts::upsert(conn, &form)?;
    }
    Ok(Effect::Done)
}

/// A post concerns us when one of our actors follows its author or it is addressed to one.
fn relevant(
    conn: &mut AnyConnection,
    followed_here: &mut HashMap<i64, bool>,
    settings: &Settings,
    author: &Actor,
    activity: &Value,
) -> Result<bool, DbError> {
    let addressed_here = ["to", "cc"]
        .iter()
        .filter_map(|field| activity.get(*field))
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
            Value::String(s) => vec![s.as_str()],
            _ => Vec::new(),
        })
        .any(|target| target != PUBLIC && settings.is_local(target));
    if addressed_here {
        return Ok(true);
    }
    // Asked once per author and batch: a busy author's posts arrive many to a batch.
    if let Some(followed) = followed_here.get(&author.id) {
        return Ok(*followed);
    }
    let followed = follows::has_local_follower(conn, author.id)?;
    followed_here.insert(author.id, followed);
    Ok(followed)
}

fn delete(
    conn: &mut AnyConnection,
    signer: &Actor,
    envelope: &Envelope,
) -> Result<Effect, DbError> {
    let Some(object_id) = envelope.object_id() else {
        return Ok(Effect::Ignored);
    };
    if object_id == signer.ap_id {
        // The actor deleted itself: it follows nobody here and nobody follows it any more.
        follows::remove_all_of(conn, signer.id)?;
        return Ok(Effect::Done);
    }
    Ok(if posts::mark_deleted(conn, object_id, signer.id)? {
        Effect::Done
    } else {
        Effect::Ignored
    })
}

/// `attributedTo` may be a string, an object, or an array of either.
fn first_id(value: &Value) -> Option<&str> {
    match value {
        Value::Array(items) => items.iter().find_map(id_of),
        other => id_of(other),
    }
}
