//! Project offers on the wire: a `Note` from the coop that reads well in Mastodon (a bold
//! title line, the facts, the description, `#projectoffer` and the skills as hashtags, a link)
//! with the structured fields under the Cooperage context (`coopKind: "ProjectOffer"`) and
//! the FEP-0837 shape where it fits (`purpose: "request"`, a work `Intent` it `publishes`, a
//! money `Intent` as its `reciprocal`). Applications are FEP-0837 `Offer`s of a `Commitment`
//! in reply to the offer, answered with `Accept` / `Reject` and withdrawn with `Undo`.

use std::collections::BTreeMap;

use activitypub_federation::kinds::activity::{CreateType, DeleteType, UpdateType};
use activitypub_federation::kinds::object::{NoteType, TombstoneType};
use cooperage_db::actors::Actor;
use cooperage_db::offers::{Application, Offer};
use cooperage_domain::offer::Compensation;
use cooperage_domain::project::{Currency, format_amount};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::note::Tag;
use super::{PUBLIC, context, hashtag_link};
use crate::Settings;
use crate::sanitize::{escape_html, paragraphs};

/// The `coopKind` of a project offer.
pub const KIND: &str = "ProjectOffer";
/// The `coopKind` of an application's Commitment.
pub const APPLICATION_KIND: &str = "OfferApplication";
/// The hashtag every offer carries, for discovery in Mastodon.
pub const HASHTAG: &str = "projectoffer";

/// A project offer as a Note with our structured fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OfferNote {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NoteType,
    /// The coop: offers are published by the coop, not by a member.
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
    /// `#projectoffer`, then the needed skills, as Hashtags.
    #[serde(default)]
    pub tag: Vec<Tag>,
    pub coop_kind: String,
    pub title: String,
    /// The description as plain text (the `content` is HTML written for people).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub details: String,
    /// The needed skills' tags.
    pub skills: Vec<String>,
    pub positions: u32,
    pub estimated_hours: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_end: Option<String>,
    /// `hourly`, `fixed` or `to_be_discussed`.
    pub compensation: String,
    /// Decimal text in `currency` ("55.00"), never a float.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub remote: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_deadline: Option<String>,
    /// `network` or `public`.
    pub visibility: String,
    /// `open`, `filled`, `withdrawn` or `expired`.
    pub status: String,
    /// FEP-0837: a proposal that requests work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishes: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reciprocal: Option<Value>,
}

/// Our terms an offer (or an application) uses, kept inline for peers that fetch no contexts.
const OFFER_TERMS: &[&str] = &[
    "coopKind",
    "coop",
    "title",
    "details",
    "skills",
    "positions",
    "estimatedHours",
    "periodStart",
    "periodEnd",
    "compensation",
    "amount",
    "currency",
    "region",
    "remote",
    "applicationDeadline",
    "visibility",
    "status",
    "purpose",
    "publishes",
    "reciprocal",
    "Intent",
    "Commitment",
    "action",
    "resourceClassifiedAs",
    "effortQuantity",
    "resourceQuantity",
    "hasUnit",
    "hasNumericalValue",
    "unitBased",
];

/// The JSON-LD context of offers and applications: posts' context, our context document, and
/// the terms used inline.
pub fn offer_context(settings: &Settings) -> Value {
    context::inline(settings, OFFER_TERMS, super::NOTE_EXTRA_TERMS)
}

/// Who an offer goes to: `to` and `cc` for its audience (the coop's followers when public).
pub use super::audience;

/// The offer's pay as people read it ("55.00 EUR/hour"), and as decimal text.
fn pay(offer: &Offer) -> (String, Option<String>) {
    let amount = match (offer.amount_minor, offer.currency.as_deref()) {
        (Some(minor), Some(code)) => Currency::parse(code)
            .ok()
            .map(|currency| format_amount(minor, currency)),
        _ => None,
    };
    let code = offer.currency.clone().unwrap_or_default();
    let words = match (offer.compensation, &amount) {
        (Compensation::Hourly, Some(amount)) => format!("{amount} {code}/hour"),
        (Compensation::Fixed, Some(amount)) => format!("{amount} {code} in total"),
        _ => "pay to be discussed".to_owned(),
    };
    (words, amount)
}

/// A stored local offer as its Note, addressed as `to` / `cc` say.
pub fn offer_to_note(
    settings: &Settings,
    offer: &Offer,
    coop: &Actor,
    status: &str,
    (to, cc): (Vec<String>, Vec<String>),
) -> OfferNote {
    let skills = offer.skill_list();
    let (pay_words, amount) = pay(offer);
    let mut facts = vec![
        format!(
            "{} {} · about {} h each",
            offer.positions,
            if offer.positions == 1 {
                "person"
            } else {
                "people"
            },
            offer.estimated_hours
        ),
        pay_words,
    ];
    match (&offer.period_start, &offer.period_end) {
        (Some(from), Some(until)) => facts.push(format!("{from} to {until}")),
        (Some(from), None) => facts.push(format!("from {from}")),
        (None, Some(until)) => facts.push(format!("until {until}")),
        (None, None) => {}
    }
    let place = match (offer.location.is_empty(), offer.remote) {
        (true, true) => "remote".to_owned(),
        (true, false) => String::new(),
        (false, true) => format!("{} or remote", escape_html(&offer.location)),
        (false, false) => escape_html(&offer.location),
    };
    if !place.is_empty() {
        facts.push(place);
    }
    if let Some(deadline) = &offer.application_deadline {
        facts.push(format!("apply by {deadline}"));
    }
    if status != "open" {
        facts.push(format!("closed ({status})"));
    }
    let mut content = format!(
        "<p><strong>Project offer: {}</strong></p><p>{}</p>",
        escape_html(&offer.title),
        facts.join(" · ")
    );
    if !offer.description.is_empty() {
        content.push_str(&paragraphs(&offer.description));
    }
    let tags: Vec<String> = std::iter::once(HASHTAG.to_owned())
        .chain(skills.iter().cloned())
        .collect();
    let links: Vec<String> = tags.iter().map(|t| hashtag_link(settings, t)).collect();
    content.push_str(&format!(
        "<p><a href=\"{id}\">{id}</a> {}</p>",
        links.join(" "),
        id = offer.ap_id
    ));
    let time = |t: chrono::NaiveDateTime| {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let hours = u32::try_from(offer.estimated_hours).unwrap_or(0);
    let reciprocal = amount.as_ref().map(|amount| {
        json!({
            "type": "Intent",
            "action": "transfer",
            "resourceQuantity": {
                "hasUnit": offer.currency.clone().unwrap_or_default(),
                "hasNumericalValue": amount,
            },
            "unitBased": offer.compensation == Compensation::Hourly,
        })
    });
    OfferNote {
        context: Some(offer_context(settings)),
        id: offer.ap_id.clone(),
        kind: NoteType::Note,
        attributed_to: coop.ap_id.clone(),
        content_map: BTreeMap::from([("en".to_owned(), content.clone())]),
        content,
        published: time(offer.published),
        updated: offer.updated.map(time),
        url: offer.ap_id.clone(),
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
        title: offer.title.clone(),
        details: offer.description.clone(),
        skills: skills.clone(),
        positions: u32::try_from(offer.positions).unwrap_or(0),
        estimated_hours: hours,
        period_start: offer.period_start.clone(),
        period_end: offer.period_end.clone(),
        compensation: offer.compensation.as_str().to_owned(),
        amount,
        currency: offer.currency.clone(),
        region: (!offer.location.is_empty()).then(|| offer.location.clone()),
        remote: offer.remote,
        application_deadline: offer.application_deadline.clone(),
        visibility: offer.audience.as_str().to_owned(),
        status: status.to_owned(),
        purpose: Some("request".to_owned()),
        publishes: Some(json!({
            "type": "Intent",
            "action": "work",
            "resourceClassifiedAs": skills,
            "effortQuantity": { "hasUnit": "hour", "hasNumericalValue": hours.to_string() },
        })),
        reciprocal,
    }
}

/// `Create` or `Update` of an offer, with its audience.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OfferActivity {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub object: OfferNote,
}

fn wrap(id: &str, kind: String, note: OfferNote) -> OfferActivity {
    OfferActivity {
        context: note.context.clone().unwrap_or(Value::Null),
        id: id.to_owned(),
        kind,
        actor: note.attributed_to.clone(),
        to: note.to.clone(),
        cc: note.cc.clone(),
        object: OfferNote {
            context: None,
            ..note
        },
    }
}

/// `Create{Note}` of an offer for whoever has not seen it (each with an id of its own: an
/// offer is created for several audiences over its life).
pub fn create_offer(id: &str, note: OfferNote) -> OfferActivity {
    wrap(id, CreateType::Create.to_string(), note)
}

/// `Update{Note}` of a changed or closed offer.
pub fn update_offer(id: &str, note: OfferNote) -> OfferActivity {
    wrap(id, UpdateType::Update.to_string(), note)
}

/// What is left of a removed offer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: TombstoneType,
    /// Tells a Cooperage instance that an offer went (a plain Delete names no kind).
    pub coop_kind: String,
}

/// `Delete` of an offer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeleteOffer {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: DeleteType,
    pub actor: String,
    pub to: Vec<String>,
    pub object: Tombstone,
}

/// `Delete{Tombstone}` of an offer by its coop.
pub fn delete_offer(settings: &Settings, id: &str, offer_id: &str, coop: &Actor) -> DeleteOffer {
    DeleteOffer {
        context: offer_context(settings),
        id: id.to_owned(),
        kind: DeleteType::Delete,
        actor: coop.ap_id.clone(),
        to: vec![PUBLIC.to_owned()],
        object: Tombstone {
            id: offer_id.to_owned(),
            kind: TombstoneType::Tombstone,
            coop_kind: KIND.to_owned(),
        },
    }
}

/// How much work an application offers (FEP-0837 / ValueFlows measure).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Quantity {
    pub has_unit: String,
    pub has_numerical_value: String,
}

/// An application: the Commitment a member offers in reply to an offer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Commitment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub attributed_to: String,
    pub in_reply_to: String,
    pub coop_kind: String,
    /// The message as HTML for people, and as plain text in `details`.
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub details: String,
    pub effort_quantity: Quantity,
    /// The applicant's coop, which vouches for them (on their host).
    pub coop: String,
}

/// `Offer{Commitment}`: a member applies to an offer, to the offering coop.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationOffer {
    #[serde(rename = "@context", default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: String,
    #[serde(default)]
    pub to: Vec<String>,
    pub in_reply_to: String,
    pub object: Commitment,
}

/// The `Offer` that carries `application` (by `applicant`, of `coop`) to the coop of the
/// offer `offer_id`, published by `offering_coop`.
pub fn application_offer(
    settings: &Settings,
    application: &Application,
    applicant: &Actor,
    coop: &Actor,
    offer_id: &str,
    offering_coop: &str,
) -> ApplicationOffer {
    ApplicationOffer {
        context: Some(offer_context(settings)),
        id: application.ap_id.clone(),
        kind: "Offer".to_owned(),
        actor: applicant.ap_id.clone(),
        to: vec![offering_coop.to_owned()],
        in_reply_to: offer_id.to_owned(),
        object: Commitment {
            id: format!("{}#commitment", application.ap_id),
            kind: "Commitment".to_owned(),
            attributed_to: applicant.ap_id.clone(),
            in_reply_to: offer_id.to_owned(),
            coop_kind: APPLICATION_KIND.to_owned(),
            content: paragraphs(&application.message),
            details: application.message.clone(),
            effort_quantity: Quantity {
                has_unit: "hour".to_owned(),
                has_numerical_value: application.hours_available.to_string(),
            },
            coop: coop.ap_id.clone(),
        },
    }
}

/// `Accept`, `Reject` (by the offering coop) or `Undo` (by the applicant) of an application's
/// Offer, which it embeds.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationAnswer {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: String,
    pub to: Vec<String>,
    pub in_reply_to: String,
    pub object: ApplicationOffer,
}

/// The coop answers an application: `Accept` or `Reject`.
pub fn answer_application(
    settings: &Settings,
    id: &str,
    kind: &str,
    coop: &Actor,
    offer: ApplicationOffer,
) -> ApplicationAnswer {
    ApplicationAnswer {
        context: offer_context(settings),
        id: id.to_owned(),
        kind: kind.to_owned(),
        actor: coop.ap_id.clone(),
        to: vec![offer.actor.clone()],
        in_reply_to: offer.in_reply_to.clone(),
        object: ApplicationOffer {
            context: None,
            ..offer
        },
    }
}

/// The applicant withdraws: `Undo` of their Offer.
pub fn undo_application(
    settings: &Settings,
    id: &str,
    applicant: &Actor,
    offer: ApplicationOffer,
) -> ApplicationAnswer {
    ApplicationAnswer {
        context: offer_context(settings),
        id: id.to_owned(),
        kind: "Undo".to_owned(),
        actor: applicant.ap_id.clone(),
        to: offer.to.clone(),
        in_reply_to: offer.in_reply_to.clone(),
        object: ApplicationOffer {
            context: None,
            ..offer
        },
    }
}
