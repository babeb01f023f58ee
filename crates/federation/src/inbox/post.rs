//! Posts: `Create` / `Update` of Note-like objects, and `Announce` (boosts, and what Lemmy
//! groups relay). Objects given only by URL are fetched (signed) before they are applied.

use activitypub_federation::fetch::object_id::ObjectId;
use cooperage_db::actors;
use cooperage_db::posts::{self, PostForm};
use serde_json::Value;

use super::dispatch::{Effect, Handler, Incoming, Tx};
use super::envelope::{Envelope, id_of};
use crate::objects::ApubActor;
use crate::protocol::PUBLIC;
use crate::settings::host_of;
use crate::{Data, Error, Settings};

/// Object types stored as posts.
const POST_TYPES: [&str; 4] = ["Note", "Article", "Page", "Question"];

/// A post as it will be stored, read and sanitized before the transaction.
struct Post {
    form: PostForm,
    /// `to` / `cc` name one of our actors (a mention, a reply to us).
    addressed_here: bool,
}

impl Post {
    /// Reads a Note-like object; `author_id` is filled in by whoever knows the author.
    fn read(object: &Value, settings: &Settings, activity: &Value) -> Option<Self> {
        let object_type = object.get("type").and_then(Value::as_str)?;
        if !POST_TYPES.contains(&object_type) {
            return None;
        }
        let id = object.get("id").and_then(Value::as_str)?;
        let content = object
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let published = object
            .get("published")
            .and_then(Value::as_str)
            .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
            .map(|p| p.naive_utc())
            .unwrap_or_else(cooperage_db::now);
        let addressed_here = [activity, object]
            .into_iter()
            .flat_map(|v| ["to", "cc"].map(|field| v.get(field)))
            .flatten()
            .flat_map(|v| match v {
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
                Value::String(s) => vec![s.as_str()],
                _ => Vec::new(),
            })
            .any(|target| target != PUBLIC && settings.is_local(target));
        Some(Self {
            form: PostForm {
                ap_id: id.to_owned(),
                author_id: 0,
                object_type: object_type.to_owned(),
                content: crate::sanitize::html(content),
                object_json: object.to_string(),
                local: false,
                published,
                updated: None,
            },
            addressed_here,
        })
    }
}

/// `Create` or `Update` of a post by its author.
pub struct PostActivity {
    post: Post,
    update: bool,
}

impl Handler for PostActivity {
    const TYPES: &'static [&'static str] = &["Create", "Update"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let Incoming {
            signer,
            envelope,
            json,
            settings,
        } = incoming;
        if !envelope
            .object_type()
            .is_some_and(|t| POST_TYPES.contains(&t))
            || is_poll_vote(&envelope.object)
        {
            return Ok(None);
        }
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
        let update = envelope.kind == "Update";
        let Some(mut post) = Post::read(&envelope.object, settings, json) else {
            return Ok(None);
        };
        post.form.author_id = signer.id;
        post.form.updated = update.then(cooperage_db::now);
        Ok(Some(Self { post, update }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        // A post concerns us when one of our actors follows its author or it is addressed here.
        if !self.post.addressed_here && !tx.followed_here(tx.signer.id)? {
            return Ok(Effect::Ignored);
        }
        if self.update {
            posts::upsert(tx.conn, &self.post.form)?;
        } else {
            // A second Create of a known object (or of a deleted one) changes nothing.
            posts::insert_new(tx.conn, &self.post.form)?;
        }
        Ok(Effect::Done)
    }
}

/// `Announce` of a post (a boost, or a Lemmy group relaying a post of one of its members).
/// The announced object was made trustworthy before: fetched from its origin, or embedded on
/// the announcer's own host.
pub struct Announce {
    post: Post,
    author: String,
}

impl Handler for Announce {
    const TYPES: &'static [&'static str] = &["Announce"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let object = announced_object(&incoming.envelope.object);
        let Some(author) = object.get("attributedTo").and_then(first_id) else {
            return Ok(None);
        };
        let author = author.to_owned();
        Ok(Post::read(object, incoming.settings, incoming.json).map(|post| Self { post, author }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        if !self.post.addressed_here && !tx.followed_here(tx.signer.id)? {
            return Ok(Effect::Ignored);
        }
        // The author was fetched before the transaction; without it, there is no post to keep.
        let Some(author) = actors::by_ap_id(tx.conn, &self.author)? else {
            return Ok(Effect::Ignored);
        };
        let form = PostForm {
            author_id: author.id,
            ..self.post.form.clone()
        };
        posts::insert_new(tx.conn, &form)?;
        Ok(Effect::Done)
    }
}

/// The post inside an `Announce`: the object itself, or the object of an announced
/// `Create` / `Update` (Lemmy).
fn announced_object(object: &Value) -> &Value {
    match object.get("type").and_then(Value::as_str) {
        Some("Create" | "Update") => object.get("object").unwrap_or(object),
        _ => object,
    }
}

/// Before recognizing: an object given only by URL (a `Create` or `Announce` of an id, as
/// Pleroma, Akkoma and relays send), or announced from another host, is fetched from its
/// origin with a signed GET; an announced post's author is fetched too. What cannot be
/// fetched is refused (the sender retries later).
pub async fn resolve_object(data: &Data, envelope: &mut Envelope) -> Result<(), Error> {
    let announce = envelope.kind == "Announce";
    if !(announce || envelope.kind == "Create") {
        return Ok(());
    }
    let signer_host = host_of(&envelope.actor);
    let trusted = match &envelope.object {
        Value::String(_) => false,
        // Embedded objects are trusted only on the sender's own host (Mastodon's rule too).
        object if announce => {
            let inner = announced_object(object);
            inner.is_object()
                && inner.get("id").and_then(Value::as_str).map(host_of) == Some(signer_host.clone())
        }
        _ => true,
    };
    if !trusted {
        let Some(id) = announced_object(&envelope.object)
            .as_str()
            .or_else(|| id_of(announced_object(&envelope.object)))
            .map(str::to_owned)
        else {
            return Ok(());
        };
        envelope.object = fetch_object(data, &id).await?;
    }
    if announce
        && let Some(author) = announced_object(&envelope.object)
            .get("attributedTo")
            .and_then(first_id)
    {
        let author = ObjectId::<ApubActor>::parse(author)
            .map_err(|e| Error::BadRequest(format!("attributedTo {author}: {e}")))?;
        author.dereference(data).await?;
    }
    Ok(())
}

/// Fetches an object by id with a signed GET and checks that it is what was asked for.
async fn fetch_object(data: &Data, id: &str) -> Result<Value, Error> {
    let url = url::Url::parse(id).map_err(|e| Error::BadRequest(format!("object {id}: {e}")))?;
    let object = activitypub_federation::fetch::fetch_object_http::<_, Value>(&url, data)
        .await?
        .object;
    if object.get("id").and_then(Value::as_str) != Some(id) {
        return Err(Error::BadRequest(format!(
            "fetched object {id} names another id"
        )));
    }
    Ok(object)
}

/// A poll vote as Mastodon and GoToSocial send it: a Note with the option's `name`, replying
/// to the poll, without content. It is a vote, never a post.
fn is_poll_vote(object: &Value) -> bool {
    object.get("name").is_some_and(Value::is_string)
        && object.get("inReplyTo").is_some()
        && object
            .get("content")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
}

/// `attributedTo` may be a string, an object, or an array of either.
fn first_id(value: &Value) -> Option<&str> {
    match value {
        Value::Array(items) => items.iter().find_map(id_of),
        other => id_of(other),
    }
}
