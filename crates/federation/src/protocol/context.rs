//! Cooperage's own JSON-LD context: the extension terms we add to ActivityStreams.
//!
//! Two IRIs, on purpose:
//! - The *term namespace* is fixed: [`NAMESPACE`] (`https://codeberg.org/cooperage/ns#`, the
//!   project's home, already on the wire in every coop's `members` since the first release).
//!   `cooperage:members` must mean the same on every instance, so a verifier (or a JSON-LD
//!   processor comparing expanded IRIs) sees one property, not one per domain. A per-instance
//!   namespace (`https://<domain>/ns#`) would make each coop's `members` a different term.
//! - The *context document* that defines the terms is served by every instance at `/ns`
//!   ([`context_url`]), so a processor that dereferences it never depends on a host other than
//!   the one it is already talking to; every copy is identical.
//!
//! Documents that use our terms put [`context_url`] in their `@context` array and keep the
//! terms they use inline as well (Mastodon and bovine never fetch contexts; Fedify does).
//!
//! Where an existing vocabulary already names a concept, the term maps to it: availability
//! windows are ValueFlows' `hasBeginning`/`hasEnd` (the vocabulary FEP-0837 builds its
//! marketplace on), and an offer's `audience` is ActivityStreams' own `as:audience`, which is
//! therefore not redefined here.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::Settings;

/// The fixed IRI our terms expand to (see the module documentation for why it is fixed).
pub const NAMESPACE: &str = "https://codeberg.org/cooperage/ns#";
/// ValueFlows, used by FEP-0837 (federated marketplace) for intents and proposals.
pub const VALUEFLOWS: &str = "https://w3id.org/valueflows/ont/vf#";
/// Path of the context document on every instance.
pub const PATH: &str = "/ns";
/// Content type of the context document.
pub const LD_JSON: &str = "application/ld+json";

/// Where this instance serves the context document: `https://<domain>/ns`.
pub fn context_url(settings: &Settings) -> String {
    format!("{}{PATH}", settings.base_url())
}

/// The context document served at `/ns`: `{"@context": {term: definition, ...}}`.
#[derive(Debug, Clone, Serialize)]
pub struct ContextDocument {
    #[serde(rename = "@context")]
    pub context: Map<String, Value>,
}

/// The terms Cooperage defines, grouped by the feature that uses them.
pub fn cooperage_context() -> ContextDocument {
    let mut terms = Map::new();
    terms.insert("cooperage".into(), json!(NAMESPACE));
    terms.insert("vf".into(), json!(VALUEFLOWS));
    terms.insert("xsd".into(), json!("http://www.w3.org/2001/XMLSchema#"));
    for (term, definition) in TERMS {
        terms.insert((*term).into(), definition());
    }
    ContextDocument { context: terms }
}

/// The inline definition of one of our terms, for documents that use it (`members`).
pub fn term(name: &str) -> Option<Value> {
    TERMS
        .iter()
        .find(|(term, _)| *term == name)
        .map(|(_, definition)| definition())
}

type Definition = fn() -> Value;

/// Every term, once. `@type: @id` marks values that are links; dates are `xsd:dateTime`.
const TERMS: &[(&str, Definition)] = &[
    // A coop's Group: the collection of its voting members (one member, one vote).
    (
        "members",
        || json!({ "@id": "cooperage:members", "@type": "@id" }),
    ),
    // What kind of Cooperage object a Note carries (`SkillListing`, ...), and the coop that
    // vouches for its author.
    ("coopKind", || json!("cooperage:kind")),
    (
        "coop",
        || json!({ "@id": "cooperage:coop", "@type": "@id" }),
    ),
    // Skill listings: a member's offer of work capacity.
    ("skill", || json!("cooperage:skill")),
    ("level", || json!("cooperage:level")),
    ("hoursPerWeek", || json!("cooperage:hoursPerWeek")),
    (
        "availableFrom",
        || json!({ "@id": "vf:hasBeginning", "@type": "xsd:dateTime" }),
    ),
    (
        "availableUntil",
        || json!({ "@id": "vf:hasEnd", "@type": "xsd:dateTime" }),
    ),
    ("workMode", || json!("cooperage:workMode")),
    ("region", || json!("cooperage:region")),
    ("visibility", || json!("cooperage:visibility")),
    ("details", || json!("cooperage:details")),
    // Project offers: a paid call for collaborators.
    ("compensation", || json!("cooperage:compensation")),
    ("positions", || json!("cooperage:positions")),
    ("estimatedHours", || json!("cooperage:estimatedHours")),
    (
        "applicationDeadline",
        || json!({ "@id": "cooperage:applicationDeadline", "@type": "xsd:dateTime" }),
    ),
    ("status", || json!("cooperage:status")),
    ("title", || json!("cooperage:title")),
    ("skills", || json!("cooperage:skills")),
    (
        "periodStart",
        || json!({ "@id": "vf:hasBeginning", "@type": "xsd:dateTime" }),
    ),
    (
        "periodEnd",
        || json!({ "@id": "vf:hasEnd", "@type": "xsd:dateTime" }),
    ),
    ("amount", || json!("cooperage:amount")),
    ("currency", || json!("cooperage:currency")),
    ("remote", || json!("cooperage:remote")),
    // FEP-0837 (federated marketplace) on ValueFlows: an offer is a Proposal that requests
    // work (`publishes` a work Intent, `reciprocal` a money Intent); an application is an
    // `Offer` of a Commitment.
    ("purpose", || json!("vf:purpose")),
    ("publishes", || json!("vf:publishes")),
    ("reciprocal", || json!("vf:reciprocal")),
    ("Intent", || json!("vf:Intent")),
    ("Commitment", || json!("vf:Commitment")),
    ("action", || json!("vf:action")),
    ("resourceClassifiedAs", || json!("vf:resourceClassifiedAs")),
    ("effortQuantity", || json!("vf:effortQuantity")),
    ("resourceQuantity", || json!("vf:resourceQuantity")),
    ("hasUnit", || {
        json!("http://www.ontology-of-units-of-measure.org/resource/om-2/hasUnit")
    }),
    ("hasNumericalValue", || {
        json!("http://www.ontology-of-units-of-measure.org/resource/om-2/hasNumericalValue")
    }),
    ("unitBased", || json!("vf:unitBased")),
    // Network-wide proposals.
    ("scope", || json!("cooperage:scope")),
    ("countingMode", || json!("cooperage:countingMode")),
    ("quorum", || json!("cooperage:quorum")),
    ("resultsMode", || json!("cooperage:resultsMode")),
    ("proposalKind", || json!("cooperage:proposalKind")),
    ("quorumCoops", || json!("cooperage:quorumCoops")),
    ("openPoll", || json!("cooperage:openPoll")),
    ("advisory", || json!("cooperage:advisory")),
    ("outcome", || json!("cooperage:outcome")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_term_expands_into_a_known_namespace() {
        let document = cooperage_context();
        for (term, definition) in &document.context {
            let id = match definition {
                Value::String(id) => id.as_str(),
                Value::Object(map) => map["@id"].as_str().unwrap_or_default(),
                other => panic!("{term}: {other}"),
            };
            let prefix = id.split(':').next().unwrap_or_default();
            assert!(
                ["cooperage", "vf", "https", "http"].contains(&prefix),
                "{term} -> {id}"
            );
        }
        // ActivityStreams' own terms must not be redefined: documents mix both contexts.
        for as_term in ["audience", "name", "content", "summary", "type", "id"] {
            assert!(!document.context.contains_key(as_term), "{as_term}");
        }
    }

    #[test]
    fn inline_members_matches_the_served_document() {
        assert_eq!(
            term("members"),
            cooperage_context().context.get("members").cloned()
        );
        assert_eq!(term("nonsense"), None);
    }
}

/// The JSON-LD context of one kind of document: ActivityStreams, our context document, and
/// the `terms` it uses inline with our namespace and the `extra` prefixes and terms (Mastodon
/// and bovine fetch no contexts).
pub fn inline(settings: &Settings, terms: &[&str], extra: &[(&str, &str)]) -> Value {
    let mut inline = Map::new();
    for term in terms {
        if let Some(definition) = self::term(term) {
            inline.insert((*term).to_owned(), definition);
        }
    }
    inline.insert("cooperage".into(), json!(NAMESPACE));
    for (name, value) in extra {
        inline.insert((*name).to_owned(), json!(value));
    }
    json!([super::AS_CONTEXT, context_url(settings), inline])
}
