//! Activities we send: built from the wire types of `protocol` (`protocol::activities`),
//! stored with their deliveries before any network I/O, then sent by the delivery worker.

use cooperage_db::actors::Actor;
use cooperage_db::deliveries::{self, NewActivity};
use cooperage_db::{AnyConnection, DbError};
use serde_json::Value;

use crate::protocol::activities;
use crate::protocol::actor::LocalActorDocument;
use crate::protocol::note::{NewPost, post_to_note};
use crate::protocol::to_json;
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
        json: to_json(&activities::follow_activity(&id, follower, followed)),
        id,
        kind: "Follow",
        actor_id: follower.id,
        public: false,
        inboxes: vec![followed.inbox.clone()],
    }
}

/// `Accept` or `Reject` (`kind`) of a Follow, embedding the Follow, from the followed actor.
/// Any `kind` other than `"Reject"` accepts.
pub fn answer_follow(
    settings: &Settings,
    kind: &'static str,
    followed: &Actor,
    follower: &Actor,
    follow_activity_id: &str,
) -> Outgoing {
    let id = settings.new_activity_id();
    let answer = if kind == "Reject" {
        activities::reject_follow(&id, followed, follower, follow_activity_id)
    } else {
        activities::accept_follow(&id, followed, follower, follow_activity_id)
    };
    Outgoing {
        json: to_json(&answer),
        id,
        kind: answer.kind.as_str(),
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
        json: to_json(&activities::undo_follow(
            &id,
            follower,
            followed,
            follow_activity_id,
        )),
        id,
        kind: "Undo",
        actor_id: follower.id,
        public: false,
        inboxes: vec![followed.inbox.clone()],
    }
}

/// A public Note by a local actor: the Note itself (as stored), and the Create that
/// announces it to `to: Public, cc: followers` (what puts it in Mastodon home timelines) and
/// the actors it mentions, delivered to `inboxes` and to the mentioned actors' inboxes.
pub fn create_note(
    settings: &Settings,
    author: &Actor,
    content_html: &str,
    mentioned: &[Actor],
    mut inboxes: Vec<String>,
) -> (Value, Outgoing) {
    let post = NewPost {
        id: settings.new_post_id(),
        author,
        content_html,
        published: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        mentioned,
    };
    let note = post_to_note(settings, &post);
    // Mentioned actors get the post too (Mastodon notifies them), once per inbox; an actor
    // mentioned in `mentioned` but not in the text is not addressed.
    for actor in mentioned.iter().filter(|a| note.cc.contains(&a.ap_id)) {
        let inbox = actor.delivery_inbox();
        if !actor.local && !inboxes.iter().any(|i| i == inbox) {
            inboxes.push(inbox.to_owned());
        }
    }
    let note_json = to_json(&note);
    let create = activities::create_note(author, note);
    let create = Outgoing {
        json: to_json(&create),
        id: create.id,
        kind: "Create",
        actor_id: author.id,
        public: true,
        inboxes,
    };
    (note_json, create)
}

/// `Update` of a local actor's document (`Update{Person}` after a profile edit,
/// `Update{Group}` after the coop's voting membership changed), public, to `inboxes`.
pub fn update_actor(
    settings: &Settings,
    actor: &Actor,
    document: LocalActorDocument,
    inboxes: Vec<String>,
) -> Outgoing {
    let id = settings.new_activity_id();
    Outgoing {
        json: to_json(&activities::update_actor(&id, actor, document)),
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
    let document = crate::local_actors::actor_document_in(conn, settings, actor)?;
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
