//! Skill listings on the wire: a `Note` that reads well in Mastodon (a bold title line,
//! level and availability, the description, hashtags, a link) with the structured fields as
//! extension properties under the Cooperage context (`coopKind: "SkillListing"`), and the
//! activities that carry it: Create, Update, Delete (a Tombstone), and the coop's Announce.

use std::collections::BTreeMap;

use activitypub_federation::kinds::activity::{AnnounceType, CreateType, DeleteType, UpdateType};
use activitypub_federation::kinds::object::{NoteType, TombstoneType};
use cooperage_db::actors::Actor;
use cooperage_db::skills::Listing;
use cooperage_domain::skill::{Level, WorkMode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::note::{Tag, followers_of};
use super::{AS_CONTEXT, PUBLIC, context, hashtag_link};
use crate::Settings;
use crate::sanitize::{escape_html, paragraphs};

/// The `coopKind` of a skill listing.
pub const KIND: &str = "SkillListing";

/// A skill listing as a Note with our structured fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ListingNote {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NoteType,
    pub attributed_to: String,
    pub content: String,
    #[serde(default)]
    pub content_map: BTreeMap<String, String>,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    pub url: String,
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    /// The skill's tag first, then the listing's other tags, as Hashtags.
    #[serde(default)]
    pub tag: Vec<Tag>,
    pub coop_kind: String,
    /// The skill as its member wrote it ("PostgreSQL replication").
    pub skill: String,
    pub level: String,
    pub hours_per_week: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_until: Option<String>,
    pub work_mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub visibility: String,
    /// The description as plain text (the `content` is HTML written for people).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub details: String,
    /// The coop that vouches for the member (on the member's own host).
    pub coop: String,
}

/// The JSON-LD context of listings: posts' context, our context document, and the terms it
/// uses inline (Mastodon and bovine fetch no contexts).
pub fn listing_context(settings: &Settings) -> Value {
    context::inline(
        settings,
        &[
            "coopKind",
            "skill",
            "level",
            "hoursPerWeek",
            "availableFrom",
            "availableUntil",
            "workMode",
            "region",
            "visibility",
            "details",
            "coop",
        ],
        super::NOTE_EXTRA_TERMS,
    )
}

/// Who a listing goes to: `to` and `cc` for its visibility (the member's followers when public).
pub use super::audience;

fn level_words(level: Level) -> &'static str {
    match level {
        Level::Learning => "learning",
        Level::Practitioner => "practitioner",
        Level::Expert => "expert",
    }
}

fn mode_words(mode: WorkMode) -> &'static str {
    match mode {
        WorkMode::Remote => "remote",
        WorkMode::OnSite => "on site",
        WorkMode::Hybrid => "hybrid",
    }
}

/// A stored local listing as its Note, addressed as `to` / `cc` say.
pub fn listing_to_note(
    settings: &Settings,
    listing: &Listing,
    member: &Actor,
    coop: &Actor,
    (to, cc): (Vec<String>, Vec<String>),
) -> ListingNote {
    let tags = listing.tag_list();
    let mut facts = vec![
        format!(
            "{} · {} h/week",
            level_words(listing.level),
            listing.hours_per_week
        ),
        mode_words(listing.work_mode).to_owned(),
    ];
    match (&listing.available_from, &listing.available_until) {
        (Some(from), Some(until)) => facts.push(format!("{from} to {until}")),
        (Some(from), None) => facts.push(format!("from {from}")),
        (None, Some(until)) => facts.push(format!("until {until}")),
        (None, None) => {}
    }
    if !listing.region.is_empty() {
        facts.push(escape_html(&listing.region));
    }
    let mut content = format!(
        "<p><strong>{}</strong></p><p>{}</p>",
        escape_html(&listing.label),
        facts.join(" · ")
    );
    if !listing.description.is_empty() {
        content.push_str(&paragraphs(&listing.description));
    }
    let links: Vec<String> = tags.iter().map(|t| hashtag_link(settings, t)).collect();
    content.push_str(&format!(
        "<p><a href=\"{id}\">{id}</a> {}</p>",
        links.join(" "),
        id = listing.ap_id
    ));
    let time = |t: chrono::NaiveDateTime| {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    ListingNote {
        context: Some(listing_context(settings)),
        id: listing.ap_id.clone(),
        kind: NoteType::Note,
        attributed_to: member.ap_id.clone(),
        content_map: BTreeMap::from([("en".to_owned(), content.clone())]),
        content,
        published: time(listing.published),
        updated: listing.updated.map(time),
        url: listing.ap_id.clone(),
        to,
        cc,
        tag: tags
            .iter()
            .map(|t| Tag::Hashtag {
                href: format!("{}/tags/{t}", settings.base_url()),
                name: format!("#{t}"),
            })
            .collect(),
        coop_kind: KIND.to_owned(),
        skill: listing.label.clone(),
        level: listing.level.as_str().to_owned(),
        hours_per_week: u32::try_from(listing.hours_per_week).unwrap_or(0),
        available_from: listing.available_from.clone(),
        available_until: listing.available_until.clone(),
        work_mode: listing.work_mode.as_str().to_owned(),
        region: (!listing.region.is_empty()).then(|| listing.region.clone()),
        visibility: listing.visibility.as_str().to_owned(),
        details: listing.description.clone(),
        coop: coop.ap_id.clone(),
    }
}

/// `Create` or `Update` of a listing, with its audience.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ListingActivity {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub object: ListingNote,
}

/// `Create{Note}` of a listing for whoever has not seen it. A listing may be created for
/// several audiences over its life (published, widened, sent to a coop that joins the
/// network), so each Create has an id of its own.
pub fn create_listing(id: &str, note: ListingNote) -> ListingActivity {
    ListingActivity {
        context: note.context.clone().unwrap_or(Value::Null),
        id: id.to_owned(),
        kind: CreateType::Create.to_string(),
        actor: note.attributed_to.clone(),
        to: note.to.clone(),
        cc: note.cc.clone(),
        object: ListingNote {
            context: None,
            ..note
        },
    }
}

/// `Update{Note}` of a changed listing (Mastodon applies an edit only with a newer `updated`).
pub fn update_listing(id: &str, note: ListingNote) -> ListingActivity {
    ListingActivity {
        context: note.context.clone().unwrap_or(Value::Null),
        id: id.to_owned(),
        kind: UpdateType::Update.to_string(),
        actor: note.attributed_to.clone(),
        to: note.to.clone(),
        cc: note.cc.clone(),
        object: ListingNote {
            context: None,
            ..note
        },
    }
}

/// What is left of a deleted listing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: TombstoneType,
    /// Tells a Cooperage instance that a skill listing went (a plain Delete names no kind).
    pub coop_kind: String,
}

/// `Delete` of a listing (removed, narrowed out of someone's sight, or its member left).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeleteListing {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: DeleteType,
    pub actor: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub object: Tombstone,
}

/// `Delete{Tombstone}` of a listing, to `to` / `cc`.
pub fn delete_listing(
    settings: &Settings,
    id: &str,
    listing_id: &str,
    member: &Actor,
    (to, cc): (Vec<String>, Vec<String>),
) -> DeleteListing {
    DeleteListing {
        context: listing_context(settings),
        id: id.to_owned(),
        kind: DeleteType::Delete,
        actor: member.ap_id.clone(),
        to,
        cc,
        object: Tombstone {
            id: listing_id.to_owned(),
            kind: TombstoneType::Tombstone,
            coop_kind: KIND.to_owned(),
        },
    }
}

/// The coop boosts a member's public listing, so that its followers (Mastodon users of
/// `@coop@domain` too) see it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Announce {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: AnnounceType,
    pub actor: String,
    pub published: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub object: String,
}

/// `Announce` of `object` by the coop, public, to the coop's followers.
pub fn coop_announces(id: &str, coop: &Actor, object: &str) -> Announce {
    Announce {
        context: json!(AS_CONTEXT),
        id: id.to_owned(),
        kind: AnnounceType::Announce,
        actor: coop.ap_id.clone(),
        published: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        to: vec![PUBLIC.to_owned()],
        cc: vec![followers_of(coop)],
        object: object.to_owned(),
    }
}
