//! Wire types: the ActivityStreams JSON we send and accept, kept apart from database rows.
//!
//! Every document we send or serve is a serde struct here, built by a converter that sits
//! next to its type and is named for what it does (`member_to_person`, `coop_to_group`,
//! `post_to_note`, `follow_activity`, `accept_follow`, ...). Converters take rows and
//! [`Settings`](crate::Settings) and do no I/O; `outbox` turns their output into queued
//! activities, `web` serves it. Each document kind has a snapshot in `snapshots/`
//! (`snapshot_tests.rs`).

pub mod activities;
pub mod actor;
pub mod collection;
pub mod context;
pub mod discovery;
pub mod note;
pub mod offer;
pub mod proposal;
pub mod skill;

/// The ActivityStreams context every document must carry (Mastodon checks the exact string).
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
/// The JSON-LD context of posts and their activities: ActivityStreams plus the terms it
/// lacks and Mastodon defines (`Hashtag`, `sensitive`), so JSON-LD processors (Fedify) keep
/// them.
pub fn post_context() -> serde_json::Value {
    serde_json::json!([
        AS_CONTEXT,
        { "Hashtag": "as:Hashtag", "sensitive": "as:sensitive", "toot": "http://joinmastodon.org/ns#" }
    ])
}

/// Prefixes and Mastodon's terms that listings and offers (Notes with hashtags and ValueFlows
/// terms) add to their context.
pub(crate) const NOTE_EXTRA_TERMS: &[(&str, &str)] = &[
    ("vf", context::VALUEFLOWS),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("Hashtag", "as:Hashtag"),
    ("sensitive", "as:sensitive"),
];

/// Who a listing or an offer goes to, by its visibility: `public` is Public, the owner's
/// followers and the network's coop actors; `network` only those coop actors (never Public,
/// never a follower); `coop` nobody outside.
pub fn audience(
    owner: &cooperage_db::actors::Actor,
    visibility: cooperage_domain::skill::Visibility,
    network: &[String],
) -> (Vec<String>, Vec<String>) {
    use cooperage_domain::skill::Visibility;
    match visibility {
        Visibility::Public => (
            vec![PUBLIC.to_owned()],
            std::iter::once(note::followers_of(owner))
                .chain(network.iter().cloned())
                .collect(),
        ),
        Visibility::Network => (network.to_vec(), Vec::new()),
        Visibility::Coop => (Vec::new(), Vec::new()),
    }
}

/// A hashtag as Mastodon writes it in `content`, linking to the tag's page here.
pub(crate) fn hashtag_link(settings: &crate::Settings, tag: &str) -> String {
    format!(
        "<a href=\"{}/tags/{tag}\" class=\"mention hashtag\" rel=\"tag\">#<span>{tag}</span></a>",
        settings.base_url()
    )
}

/// A document as JSON, for the queue (`outbox::Outgoing::json`) and for responses.
///
/// Our wire types are plain structs with string keys and derived `Serialize`, which cannot
/// fail; `Null` stands in should that ever change, and the snapshot tests would show it.
pub fn to_json<T: serde::Serialize>(document: &T) -> serde_json::Value {
    serde_json::to_value(document).unwrap_or_else(|error| {
        tracing::error!(%error, "a wire document did not serialize");
        serde_json::Value::Null
    })
}

/// The audience of public posts.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// Content type of ActivityPub documents we serve and send.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// One id or several: ActivityStreams lets most properties be either.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    #[default]
    None,
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// All values, as a slice-like iterator.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        let slice: &[T] = match self {
            OneOrMany::None => &[],
            OneOrMany::One(value) => std::slice::from_ref(value),
            OneOrMany::Many(values) => values,
        };
        slice.iter()
    }
}

#[cfg(test)]
mod snapshot_tests;
