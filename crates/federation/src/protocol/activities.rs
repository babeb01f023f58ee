//! The activities we send: Follow, Accept/Reject of a Follow, Undo{Follow}, Create{Note},
//! Update of an actor. Ids are minted by the caller (`Settings::new_activity_id`), so the
//! converters stay pure.

use activitypub_federation::kinds::activity::{
    AcceptType, CreateType, FollowType, RejectType, UndoType, UpdateType,
};
use cooperage_db::actors::Actor;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::actor::LocalActorDocument;
use super::note::{Note, followers_of};
use super::{AS_CONTEXT, PUBLIC, post_context};

/// `Follow`: `actor` asks to follow `object`. Embedded (without `@context`) in the answers
/// to it and in its Undo.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Follow {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FollowType,
    pub actor: String,
    pub object: String,
}

/// The answer to a Follow.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum AnswerKind {
    Accept(AcceptType),
    Reject(RejectType),
}

impl AnswerKind {
    /// `"Accept"` or `"Reject"`, as the queue records the kind.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Accept(_) => "Accept",
            Self::Reject(_) => "Reject",
        }
    }
}

/// `Accept` or `Reject` of a Follow, embedding the Follow, from the followed actor.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AnswerFollow {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: AnswerKind,
    pub actor: String,
    pub to: Vec<String>,
    pub object: Follow,
}

/// `Undo` of an activity of ours (today: a Follow).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Undo<O = Follow> {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: UndoType,
    pub actor: String,
    pub to: Vec<String>,
    pub object: O,
}

/// `Create` of an object (today: a Note). Items of an outbox page carry neither `@context`
/// (the page has it) nor `published`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Create<O = Note> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: CreateType,
    pub actor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub object: O,
}

/// `Update` of an object (today: one of our actors, after its profile or, for the coop, its
/// voting membership changed).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Update<O> {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: UpdateType,
    pub actor: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub object: O,
}

/// The Follow `follower` sends to `followed`, with id `id`.
pub fn follow_activity(id: &str, follower: &Actor, followed: &Actor) -> Follow {
    Follow {
        context: Some(Value::from(AS_CONTEXT)),
        id: id.to_owned(),
        kind: FollowType::Follow,
        actor: follower.ap_id.clone(),
        object: followed.ap_id.clone(),
    }
}

/// The Follow with id `follow_id` as embedded in an answer or an Undo: no `@context`.
fn embedded_follow(follow_id: &str, follower: &Actor, followed: &Actor) -> Follow {
    Follow {
        context: None,
        id: follow_id.to_owned(),
        kind: FollowType::Follow,
        actor: follower.ap_id.clone(),
        object: followed.ap_id.clone(),
    }
}

fn answer_follow(
    id: &str,
    kind: AnswerKind,
    followed: &Actor,
    follower: &Actor,
    follow_id: &str,
) -> AnswerFollow {
    AnswerFollow {
        context: Value::from(AS_CONTEXT),
        id: id.to_owned(),
        kind,
        actor: followed.ap_id.clone(),
        to: vec![follower.ap_id.clone()],
        object: embedded_follow(follow_id, follower, followed),
    }
}

/// `followed` accepts the Follow `follow_id` of `follower`.
pub fn accept_follow(
    id: &str,
    followed: &Actor,
    follower: &Actor,
    follow_id: &str,
) -> AnswerFollow {
    let kind = AnswerKind::Accept(AcceptType::Accept);
    answer_follow(id, kind, followed, follower, follow_id)
}

/// `followed` rejects the Follow `follow_id` of `follower` (or removes an accepted follower).
pub fn reject_follow(
    id: &str,
    followed: &Actor,
    follower: &Actor,
    follow_id: &str,
) -> AnswerFollow {
    let kind = AnswerKind::Reject(RejectType::Reject);
    answer_follow(id, kind, followed, follower, follow_id)
}

/// `follower` stops following `followed`: Undo of the Follow `follow_id`.
pub fn undo_follow(id: &str, follower: &Actor, followed: &Actor, follow_id: &str) -> Undo {
    Undo {
        context: Value::from(AS_CONTEXT),
        id: id.to_owned(),
        kind: UndoType::Undo,
        actor: follower.ap_id.clone(),
        to: vec![followed.ap_id.clone()],
        object: embedded_follow(follow_id, follower, followed),
    }
}

/// The Create that announces a new Note to its audience; its id is `<note>/activity`.
pub fn create_note(author: &Actor, note: Note) -> Create {
    Create {
        context: Some(post_context()),
        id: format!("{}/activity", note.id),
        kind: CreateType::Create,
        actor: author.ap_id.clone(),
        published: Some(note.published.clone()),
        to: note.to.clone(),
        cc: note.cc.clone(),
        object: note,
    }
}

/// A stored post as an item of its author's outbox: the Create, without `@context` and
/// `published` (the page and the Note carry them).
pub fn outbox_item(author_ap_id: &str, note: Note) -> Create {
    Create {
        context: None,
        id: format!("{}/activity", note.id),
        kind: CreateType::Create,
        actor: author_ap_id.to_owned(),
        published: None,
        to: note.to.clone(),
        cc: note.cc.clone(),
        object: note,
    }
}

/// `Update` of one of our actors, public, to its followers; it carries the document's own
/// `@context` (for the coop, the one defining `members`).
pub fn update_actor(
    id: &str,
    actor: &Actor,
    document: LocalActorDocument,
) -> Update<LocalActorDocument> {
    Update {
        context: document.context().clone(),
        id: id.to_owned(),
        kind: UpdateType::Update,
        actor: actor.ap_id.clone(),
        to: vec![PUBLIC.to_owned()],
        cc: vec![followers_of(actor)],
        object: document,
    }
}
