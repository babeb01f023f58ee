//! OrderedCollection and its pages, as Mastodon serves them (no struct ships with the crate).

use serde_json::{Value, json};

use super::AS_CONTEXT;

/// Items per collection page.
pub const PAGE_SIZE: i64 = 20;

/// The collection head: `totalItems` and a link to the `first` page.
pub fn ordered_collection(id: &str, total: i64) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": format!("{id}?page=1"),
        "last": format!("{id}?page={}", last_page(total)),
    })
}

/// One page (1-based) of a collection.
pub fn ordered_collection_page(id: &str, page: i64, total: i64, items: Vec<Value>) -> Value {
    let mut document = json!({
        "@context": AS_CONTEXT,
        "id": format!("{id}?page={page}"),
        "type": "OrderedCollectionPage",
        "partOf": id,
        "totalItems": total,
        "orderedItems": items,
    });
    if page < last_page(total) {
        document["next"] = json!(format!("{id}?page={}", page + 1));
    }
    if page > 1 {
        document["prev"] = json!(format!("{id}?page={}", page - 1));
    }
    document
}

fn last_page(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}
