//! Notes: the posts we publish, with their hashtags and mentions.

use std::collections::BTreeMap;

use activitypub_federation::kinds::object::NoteType;
use cooperage_db::actors::Actor;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{PUBLIC, post_context};
use crate::Settings;

/// A post, as Mastodon renders it natively. Stored as it was sent (`posts.object_json`) and
/// served at its id (with [`post_context`](super::post_context) added).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NoteType,
    pub attributed_to: String,
    pub content: String,
    /// The same HTML per language; Mastodon reads the language from it.
    pub content_map: BTreeMap<String, String>,
    pub published: String,
    pub url: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub tag: Vec<Tag>,
}

/// A Note served at its id: the stored Note with the post context.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServedNote {
    #[serde(rename = "@context")]
    pub context: Value,
    #[serde(flatten)]
    pub note: Note,
}

/// A stored Note as `GET <note id>` answers it.
pub fn served_note(note: Note) -> ServedNote {
    ServedNote {
        context: post_context(),
        note,
    }
}

/// A `tag` of a Note.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type")]
pub enum Tag {
    /// `#word`, linking the instance's page for the tag (needs `Hashtag` in the context).
    Hashtag { href: String, name: String },
    /// `@user@host`, linking the actor (Mastodon notifies it).
    Mention { href: String, name: String },
}

/// What a new public post says, before it has an id.
pub struct NewPost<'a> {
    pub id: String,
    pub author: &'a Actor,
    pub content_html: &'a str,
    pub published: String,
}

/// A public post by a local actor: `to: Public, cc: followers` (what puts it in Mastodon home
/// timelines), its `#tags` as Hashtags.
pub fn post_to_note(settings: &Settings, post: &NewPost<'_>) -> Note {
    Note {
        id: post.id.clone(),
        kind: NoteType::Note,
        attributed_to: post.author.ap_id.clone(),
        content: post.content_html.to_owned(),
        content_map: BTreeMap::from([("en".to_owned(), post.content_html.to_owned())]),
        published: post.published.clone(),
        url: post.id.clone(),
        to: vec![PUBLIC.to_owned()],
        cc: vec![followers_of(post.author)],
        tag: hashtags(settings, post.content_html),
    }
}

/// The followers collection of a local actor.
pub fn followers_of(actor: &Actor) -> String {
    format!("{}/followers", actor.ap_id)
}

/// `#tag` words of a text, as Hashtag tags (lowercased, sorted, once each).
pub fn hashtags(settings: &Settings, text: &str) -> Vec<Tag> {
    let mut tags: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '#'))
        .filter_map(|w| w.strip_prefix('#'))
        .filter(|t| !t.is_empty() && !t.contains('#'))
        .map(str::to_lowercase)
        .collect();
    tags.sort();
    tags.dedup();
    tags.into_iter()
        .map(|tag| Tag::Hashtag {
            name: format!("#{tag}"),
            href: format!("{}/tags/{tag}", settings.base_url()),
        })
        .collect()
}
