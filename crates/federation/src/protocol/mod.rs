//! Wire types: the ActivityStreams JSON we send and accept, kept apart from database rows.

pub mod actor;
pub mod collection;
pub mod discovery;

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
