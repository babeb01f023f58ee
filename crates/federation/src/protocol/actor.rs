//! Actor documents: the JSON Mastodon, GoToSocial and Lemmy read (MASTODON.md §2).

use activitypub_federation::kinds::actor::{ApplicationType, GroupType, PersonType};
use cooperage_db::actors::{APPLICATION, Actor, GROUP};
use serde::{Deserialize, Serialize};
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

/// What every one of our actor documents carries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActorBase {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    pub preferred_username: String,
    /// `user@domain`, so Mastodon shows the handle without a WebFinger round trip.
    pub webfinger: String,
    pub name: String,
    pub summary: String,
    pub url: String,
    pub published: String,
    pub inbox: String,
    pub outbox: String,
    pub endpoints: ActorEndpoints,
    pub manually_approves_followers: bool,
    pub public_key: PublicKey,
}

/// What a profile others follow adds: its collections, search flags and profile fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProfileParts {
    pub followers: String,
    pub following: String,
    pub featured: String,
    pub discoverable: bool,
    pub indexable: bool,
    pub attachment: Vec<PropertyValue>,
}

/// `endpoints` of our actors.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActorEndpoints {
    pub shared_inbox: String,
}

/// A profile field, as Mastodon shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PropertyValue {
    #[serde(rename = "type")]
    pub kind: PropertyValueType,
    pub name: String,
    pub value: String,
}

/// `"PropertyValue"` (schema.org's, in Mastodon's context).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub enum PropertyValueType {
    #[default]
    PropertyValue,
}

/// A member of the coop.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Person {
    #[serde(flatten)]
    pub base: ActorBase,
    #[serde(rename = "type")]
    pub kind: PersonType,
    #[serde(flatten)]
    pub profile: ProfileParts,
}

/// The coop itself, with the collection of its voting members.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Group {
    #[serde(flatten)]
    pub base: ActorBase,
    #[serde(rename = "type")]
    pub kind: GroupType,
    #[serde(flatten)]
    pub profile: ProfileParts,
    /// The ids of the coop's voting members (`cooperage:members`), for one member one vote
    /// across the network.
    pub members: String,
}

/// The instance actor: it only signs fetches, so it offers no collections.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Application {
    #[serde(flatten)]
    pub base: ActorBase,
    #[serde(rename = "type")]
    pub kind: ApplicationType,
}

/// The document of one of our actors.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum LocalActorDocument {
    Person(Person),
    Group(Group),
    Application(Application),
}

impl LocalActorDocument {
    /// The `@context` of the document, which an `Update` carrying it repeats.
    pub fn context(&self) -> &Value {
        match self {
            Self::Person(person) => &person.base.context,
            Self::Group(group) => &group.base.context,
            Self::Application(application) => &application.base.context,
        }
    }
}

/// The JSON-LD context of the coop's Group: the actor context plus our own context document,
/// which defines `members` (the term also stays inline for processors that fetch nothing).
pub fn group_context(settings: &Settings) -> Value {
    let mut context = actor_context();
    if let Value::Array(items) = &mut context {
        items.insert(2, Value::from(super::context::context_url(settings)));
    }
    context
}

fn actor_base(settings: &Settings, actor: &Actor, context: Value) -> ActorBase {
    let id = &actor.ap_id;
    ActorBase {
        context,
        id: id.clone(),
        preferred_username: actor.username.clone(),
        webfinger: format!("{}@{}", actor.username, settings.domain),
        name: actor
            .display_name
            .clone()
            .unwrap_or_else(|| actor.username.clone()),
        summary: actor.summary.clone().unwrap_or_default(),
        url: settings.profile_url(&actor.username),
        published: format!("{}Z", actor.published.format("%Y-%m-%dT%H:%M:%S")),
        inbox: format!("{id}/inbox"),
        outbox: format!("{id}/outbox"),
        endpoints: ActorEndpoints {
            shared_inbox: settings.shared_inbox(),
        },
        manually_approves_followers: actor.manually_approves_followers,
        public_key: PublicKey {
            id: actor.public_key_id.clone(),
            owner: id.clone(),
            public_key_pem: actor.public_key_pem.clone(),
        },
    }
}

fn profile_parts(actor: &Actor, facts: &ProfileFacts) -> ProfileParts {
    let id = &actor.ap_id;
    ProfileParts {
        followers: format!("{id}/followers"),
        following: format!("{id}/following"),
        featured: format!("{id}/featured"),
        discoverable: true,
        indexable: true,
        attachment: facts
            .fields
            .iter()
            .map(|(name, value)| PropertyValue {
                kind: PropertyValueType::PropertyValue,
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
    }
}

/// A member's Person actor, with profile fields (coop, city, role).
pub fn member_to_person(settings: &Settings, actor: &Actor, facts: &ProfileFacts) -> Person {
    Person {
        base: actor_base(settings, actor, actor_context()),
        kind: PersonType::Person,
        profile: profile_parts(actor, facts),
    }
}

/// The coop's Group actor, linking the collection of its voting members.
pub fn coop_to_group(settings: &Settings, actor: &Actor, facts: &ProfileFacts) -> Group {
    Group {
        base: actor_base(settings, actor, group_context(settings)),
        kind: GroupType::Group,
        profile: profile_parts(actor, facts),
        members: format!("{}/members", actor.ap_id),
    }
}

/// The instance actor's Application document.
pub fn instance_to_application(settings: &Settings, actor: &Actor) -> Application {
    Application {
        base: actor_base(settings, actor, actor_context()),
        kind: ApplicationType::Application,
    }
}

/// The document of any of our actors, by its type (our actors are only ever these three;
/// anything else is shown as a Person, the type Mastodon handles best).
pub fn local_actor(settings: &Settings, actor: &Actor, facts: &ProfileFacts) -> LocalActorDocument {
    match actor.actor_type.as_str() {
        GROUP => LocalActorDocument::Group(coop_to_group(settings, actor, facts)),
        APPLICATION => LocalActorDocument::Application(instance_to_application(settings, actor)),
        _ => LocalActorDocument::Person(member_to_person(settings, actor, facts)),
    }
}

/// The actor document of one of our actors, as JSON.
pub fn local_actor_document(settings: &Settings, actor: &Actor, facts: &ProfileFacts) -> Value {
    super::to_json(&local_actor(settings, actor, facts))
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
