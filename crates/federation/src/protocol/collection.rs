//! OrderedCollection and its pages, as Mastodon serves them (no struct ships with the crate):
//! followers, following, outbox, featured, and the coop's members.

use activitypub_federation::kinds::collection::{OrderedCollectionPageType, OrderedCollectionType};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AS_CONTEXT;
use super::activities::{Create, outbox_item};
use super::note::Note;

/// Items per collection page.
pub const PAGE_SIZE: i64 = 20;

/// A collection head: `totalItems` and links to its pages, or (`members`) all its items.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection<T = String> {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: OrderedCollectionType,
    pub total_items: i64,
    pub first: String,
    pub last: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered_items: Option<Vec<T>>,
}

/// One page (1-based) of a collection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPage<T = String> {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: OrderedCollectionPageType,
    pub part_of: String,
    pub total_items: i64,
    pub ordered_items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

/// The collection head: `totalItems` and a link to the `first` and `last` page.
pub fn ordered_collection(id: &str, total: i64) -> OrderedCollection {
    OrderedCollection {
        context: Value::from(AS_CONTEXT),
        id: id.to_owned(),
        kind: OrderedCollectionType::OrderedCollection,
        total_items: total,
        first: format!("{id}?page=1"),
        last: format!("{id}?page={}", last_page(total)),
        ordered_items: None,
    }
}

/// One page (1-based) of a collection.
pub fn ordered_collection_page<T>(
    id: &str,
    page: i64,
    total: i64,
    items: Vec<T>,
) -> OrderedCollectionPage<T> {
    OrderedCollectionPage {
        context: Value::from(AS_CONTEXT),
        id: format!("{id}?page={page}"),
        kind: OrderedCollectionPageType::OrderedCollectionPage,
        part_of: id.to_owned(),
        total_items: total,
        ordered_items: items,
        next: (page < last_page(total)).then(|| format!("{id}?page={}", page + 1)),
        prev: (page > 1).then(|| format!("{id}?page={}", page - 1)),
    }
}

/// The coop's voting members, all on one page: other instances verify votes against it.
pub fn members_collection(id: &str, member_ids: Vec<String>) -> OrderedCollection {
    let total = member_ids.len() as i64;
    OrderedCollection {
        ordered_items: Some(member_ids),
        ..ordered_collection(id, total)
    }
}

/// A page of an actor's outbox: the Creates of its stored Notes.
pub fn outbox_page(
    id: &str,
    author_ap_id: &str,
    page: i64,
    total: i64,
    notes: Vec<Note>,
) -> OrderedCollectionPage<Create> {
    let items = notes
        .into_iter()
        .map(|note| outbox_item(author_ap_id, note))
        .collect();
    ordered_collection_page(id, page, total, items)
}

fn last_page(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}
