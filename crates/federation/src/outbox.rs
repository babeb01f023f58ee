//! Activities we send: built here, stored with their deliveries before any network I/O, then
//! sent by the delivery worker.

use cooperage_db::actors::Actor;
use cooperage_db::deliveries::{self, NewActivity};
use cooperage_db::{AnyConnection, DbError};
use serde_json::{Value, json};

use crate::protocol::{AS_CONTEXT, PUBLIC};
use crate::{Error, FederationContext, Settings};

/// An activity ready to be queued.
pub struct Outgoing {
    pub id: String,
    pub kind: &'static str,
    pub actor_id: i64,
    pub json: Value,
    pub public: bool,
    pub inboxes: Vec<String>,
}

impl Outgoing {
    /// Stores the activity and its deliveries (inside the caller's transaction).
    pub fn enqueue(&self, conn: &mut AnyConnection) -> Result<(), DbError> {
        let payload = self.json.to_string();
        deliveries::enqueue(
            conn,
            &NewActivity {
                ap_id: &self.id,
                actor_id: self.actor_id,
                kind: self.kind,
                payload: &payload,
                public: self.public,
            },
            &self.inboxes,
        )?;
        Ok(())
    }
}

/// `Follow` from a local actor to a remote one, sent to its personal inbox.
pub fn follow(settings: &Settings, follower: &Actor, followed: &Actor) -> Outgoing {
    let id = settings.new_activity_id();
    Outgoing {
        json: json!({
            "@context": AS_CONTEXT,
            "id": id,
            "type": "Follow",
            "actor": follower.ap_id,
            "object": followed.ap_id,
        }),
        id,
        kind: "Follow",
        actor_id: follower.id,
        public: false,
        inboxes: vec![followed.inbox.clone()],
    }
}

/// `Accept` or `Reject` of a Follow, embedding the Follow, from the followed actor.
pub fn answer_follow(
    settings: &Settings,
    kind: &'static str,
    followed: &Actor,
    follower: &Actor,
    follow_activity_id: &str,
) -> Outgoing {
    let id = settings.new_activity_id();
    Outgoing {
        json: json!({
            "@context": AS_CONTEXT,
            "id": id,
            "type": kind,
            "actor": followed.ap_id,
            "to": [follower.ap_id],
            "object": {
                "id": follow_activity_id,
                "type": "Follow",
                "actor": follower.ap_id,
                "object": followed.ap_id,
            },
        }),
        id,
        kind,
        actor_id: followed.id,
        public: false,
        inboxes: vec![follower.inbox.clone()],
    }
}

/// `Undo{Follow}` from a local actor that stops following.
pub fn undo_follow(
    settings: &Settings,
    follower: &Actor,
    followed: &Actor,
    follow_activity_id: &str,
) -> Outgoing {
    let id = settings.new_activity_id();
    Outgoing {
        json: json!({
            "@context": AS_CONTEXT,
            "id": id,
            "type": "Undo",
            "actor": follower.ap_id,
            "to": [followed.ap_id],
            "object": {
                "id": follow_activity_id,
                "type": "Follow",
                "actor": follower.ap_id,
                "object": followed.ap_id,
            },
        }),
        id,
        kind: "Undo",
        actor_id: follower.id,
        public: false,
        inboxes: vec![followed.inbox.clone()],
    }
}

/// A public Note by a local actor: the Note itself, and the Create that announces it to
/// `to: Public, cc: followers` (what puts it in Mastodon home timelines).
pub fn create_note(
    settings: &Settings,
    author: &Actor,
    content_html: &str,
    inboxes: Vec<String>,
) -> (Value, Outgoing) {
    let note_id = settings.new_post_id();
    let followers = format!("{}/followers", author.ap_id);
    let published = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let note = json!({
        "id": note_id,
        "type": "Note",
        "attributedTo": author.ap_id,
        "content": content_html,
        "contentMap": { "en": content_html },
        "published": published,
        "url": note_id,
        "to": [PUBLIC],
        "cc": [followers],
        "tag": hashtags(settings, content_html),
    });
    let id = format!("{note_id}/activity");
    let create = Outgoing {
        json: json!({
            "@context": crate::protocol::post_context(),
            "id": id,
            "type": "Create",
            "actor": author.ap_id,
            "published": published,
            "to": [PUBLIC],
            "cc": [followers],
            "object": note,
        }),
        id,
        kind: "Create",
        actor_id: author.id,
        public: true,
        inboxes,
    };
    (note, create)
}

/// `#tag` words of a text, as ActivityStreams Hashtag objects.
fn hashtags(settings: &Settings, text: &str) -> Vec<Value> {
    let mut tags: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '#'))
        .filter_map(|w| w.strip_prefix('#'))
        .filter(|t| !t.is_empty() && !t.contains('#'))
        .map(str::to_lowercase)
        .collect();
    tags.sort();
    tags.dedup();
    tags.into_iter()
        .map(|tag| json!({ "type": "Hashtag", "name": format!("#{tag}"), "href": format!("{}/tags/{tag}", settings.base_url()) }))
        .collect()
}

/// `Update` of a local actor's document, to its followers: after a profile edit
/// (`Update{Person}`), or, for the coop, after its voting members changed (`Update{Group}`),
/// so that peers refresh their copy of the `members` collection.
pub fn update_actor(
    settings: &Settings,
    actor: &Actor,
    document: Value,
    inboxes: Vec<String>,
) -> Outgoing {
    let id = settings.new_activity_id();
    Outgoing {
        json: json!({
            "@context": crate::protocol::actor::actor_context(),
            "id": id,
            "type": "Update",
            "actor": actor.ap_id,
            "to": [PUBLIC],
            "cc": [format!("{}/followers", actor.ap_id)],
            "object": document,
        }),
        id,
        kind: "Update",
        actor_id: actor.id,
        public: true,
        inboxes,
    }
}

/// Queues `Update` of a local actor for its followers, inside the caller's transaction.
pub fn queue_actor_update(
    conn: &mut AnyConnection,
    settings: &Settings,
    actor: &Actor,
) -> Result<(), DbError> {
    let document = crate::local_actors::document_in(conn, settings, actor)?;
    let inboxes = cooperage_db::follows::follower_inboxes(conn, actor.id)?;
    update_actor(settings, actor, document, inboxes).enqueue(conn)
}

/// Queues `Update{Group}` of the coop: its voting members changed. Peers refetch the
/// `members` collection when they get it.
pub fn queue_coop_update(conn: &mut AnyConnection, settings: &Settings) -> Result<(), DbError> {
    let coop = cooperage_db::actors::local_by_username(conn, &settings.coop_handle)?
        .ok_or(DbError::Query(cooperage_db::QueryError::NotFound))?;
    queue_actor_update(conn, settings, &coop)
}

/// Queues an activity built outside a transaction and wakes the worker.
pub async fn send(context: &FederationContext, outgoing: Outgoing) -> Result<String, Error> {
    let id = outgoing.id.clone();
    context.db().run(move |conn| outgoing.enqueue(conn)).await?;
    context.wake_delivery();
    Ok(id)
}
