//! Actor documents: the JSON Mastodon, GoToSocial and Lemmy read (MASTODON.md §2).

use cooperage_db::actors::Actor;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AS_CONTEXT, OneOrMany};
use crate::Settings;

/// Types of actors Mastodon accepts.
pub const ACTOR_TYPES: [&str; 5] = ["Application", "Group", "Organization", "Person", "Service"];

/// The JSON-LD context of our actor documents: Mastodon's compact terms, literally.
pub fn actor_context() -> Value {
    json!([
        AS_CONTEXT,
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "cooperage": "https://codeberg.org/cooperage/ns#",
            "members": { "@id": "cooperage:members", "@type": "@id" }
        }
    ])
}

/// Extra facts shown on a local actor's profile.
pub struct ProfileFacts {
    /// `attachment` PropertyValues: (name, value) pairs, shown as profile fields.
    pub fields: Vec<(String, String)>,
}

/// The actor document of one of our actors.
pub fn local_actor_document(settings: &Settings, actor: &Actor, facts: &ProfileFacts) -> Value {
    let id = &actor.ap_id;
    let attachment: Vec<Value> = facts
        .fields
        .iter()
        .map(|(name, value)| json!({ "type": "PropertyValue", "name": name, "value": value }))
        .collect();
    let mut document = json!({
        "@context": actor_context(),
        "id": id,
        "type": actor.actor_type,
        "preferredUsername": actor.username,
        "webfinger": format!("{}@{}", actor.username, settings.domain),
        "name": actor.display_name.clone().unwrap_or_else(|| actor.username.clone()),
        "summary": actor.summary.clone().unwrap_or_default(),
        "url": settings.profile_url(&actor.username),
        "published": format!("{}Z", actor.published.format("%Y-%m-%dT%H:%M:%S")),
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "following": format!("{id}/following"),
        "featured": format!("{id}/featured"),
        "endpoints": { "sharedInbox": settings.shared_inbox() },
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": true,
        "indexable": true,
        "attachment": attachment,
        "publicKey": {
            "id": actor.public_key_id,
            "owner": id,
            "publicKeyPem": actor.public_key_pem,
        },
    });
    if actor.actor_type == "Group" {
        // The ids of the coop's voting members, for one member one vote across the network.
        document["members"] = json!(format!("{id}/members"));
    }
    if actor.actor_type == "Application" {
        // The instance actor only signs fetches: no collections to offer.
        if let Some(map) = document.as_object_mut() {
            for key in [
                "followers",
                "following",
                "featured",
                "attachment",
                "discoverable",
                "indexable",
            ] {
                map.remove(key);
            }
        }
    }
    document
}

/// A remote actor document, read leniently: only what we use, with its variations.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteActor {
    pub id: url::Url,
    #[serde(rename = "type")]
    pub kind: OneOrMany<String>,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub summary: Option<String>,
    pub inbox: url::Url,
    pub outbox: Option<url::Url>,
    pub followers: Option<url::Url>,
    #[serde(default)]
    pub endpoints: Option<Endpoints>,
    /// Some servers put it at the top level.
    pub shared_inbox: Option<url::Url>,
    pub public_key: OneOrMany<PublicKey>,
    #[serde(default)]
    pub manually_approves_followers: Option<bool>,
    /// A coop's collection of voting members (Cooperage extension).
    pub members: Option<url::Url>,
}

/// `endpoints` of an actor.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: Option<url::Url>,
}

/// An RSA public key as actors publish it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    pub id: String,
    pub owner: String,
    pub public_key_pem: String,
}

impl RemoteActor {
    /// The first supported actor type, as Mastodon picks it.
    pub fn actor_type(&self) -> Option<&str> {
        self.kind
            .iter()
            .map(String::as_str)
            .find(|t| ACTOR_TYPES.contains(t))
    }

    /// The key this actor signs with: the first one it owns.
    pub fn main_key(&self) -> Option<&PublicKey> {
        self.public_key.iter().find(|k| k.owner == self.id.as_str())
    }

    /// The inbox to deliver public activities to.
    pub fn shared_inbox(&self) -> Option<&url::Url> {
        self.endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
            .or(self.shared_inbox.as_ref())
    }
}
