//! Skill listings: our members' and those the network sent us. The directory's search is in
//! `directory.rs`.

use chrono::NaiveDateTime;
use cooperage_domain::skill::{Level, Visibility, WorkMode};
use diesel::prelude::*;

use crate::schema::{actors, skill_listings};
use crate::{AnyConnection, DbError};

/// One listing as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = skill_listings)]
pub struct Listing {
    pub id: i64,
    pub ap_id: String,
    pub actor_id: i64,
    pub coop_actor_id: Option<i64>,
    pub local: bool,
    pub label: String,
    /// Space-delimited normalized tags (see [`tags_column`]).
    pub tags: String,
    #[diesel(deserialize_as = String)]
    pub level: Level,
    pub description: String,
    pub hours_per_week: i32,
    pub available_from: Option<String>,
    pub available_until: Option<String>,
    #[diesel(deserialize_as = String)]
    pub work_mode: WorkMode,
    pub region: String,
    #[diesel(deserialize_as = String)]
    pub visibility: Visibility,
    pub search_text: String,
    pub published: NaiveDateTime,
    pub updated: Option<NaiveDateTime>,
}

impl Listing {
    /// The listing's tags, the skill's own first.
    pub fn tag_list(&self) -> Vec<String> {
        self.tags.split_whitespace().map(str::to_owned).collect()
    }
}

/// A listing to store (new, or replacing one).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = skill_listings, treat_none_as_null = true)]
pub struct ListingForm {
    pub ap_id: String,
    pub actor_id: i64,
    pub coop_actor_id: Option<i64>,
    pub local: bool,
    pub label: String,
    pub tags: String,
    #[diesel(serialize_as = String)]
    pub level: Level,
    pub description: String,
    pub hours_per_week: i32,
    pub available_from: Option<String>,
    pub available_until: Option<String>,
    #[diesel(serialize_as = String)]
    pub work_mode: WorkMode,
    pub region: String,
    #[diesel(serialize_as = String)]
    pub visibility: Visibility,
    pub search_text: String,
    pub published: NaiveDateTime,
    pub updated: Option<NaiveDateTime>,
}

/// Tags as stored: `' postgresql replication '`, so that `LIKE '% tag %'` matches whole tags.
pub fn tags_column(tags: &[String]) -> String {
    let mut column = String::from(" ");
    for tag in tags {
        column.push_str(tag);
        column.push(' ');
    }
    column
}

/// Stores a new listing.
pub fn insert(conn: &mut AnyConnection, form: &ListingForm) -> Result<Listing, DbError> {
    diesel::insert_into(skill_listings::table)
        .values(form.clone())
        .execute(conn)?;
    by_ap_id(conn, &form.ap_id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// Replaces listing `id` with `form` (its id and author stay).
pub fn replace(conn: &mut AnyConnection, id: i64, form: &ListingForm) -> Result<Listing, DbError> {
    diesel::update(skill_listings::table.find(id))
        .set(form.clone())
        .execute(conn)?;
    by_id(conn, id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// Stores a listing another instance sent: new, or replacing the one with its id if it has
/// the same author (nobody can overwrite another's listing). Returns whether it was stored.
pub fn upsert_remote(conn: &mut AnyConnection, form: &ListingForm) -> Result<bool, DbError> {
    match by_ap_id(conn, &form.ap_id)? {
        Some(existing) if existing.actor_id != form.actor_id || existing.local => Ok(false),
        Some(existing) => {
            replace(conn, existing.id, form)?;
            Ok(true)
        }
        None => crate::insert_if_absent(conn, |conn| {
            diesel::insert_into(skill_listings::table)
                .values(form.clone())
                .execute(conn)
        }),
    }
}

/// The listing with this row id.
pub fn by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<Listing>, DbError> {
    Ok(skill_listings::table
        .find(id)
        .select(Listing::as_select())
        .first(conn)
        .optional()?)
}

/// The listing with this ActivityPub id.
pub fn by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> Result<Option<Listing>, DbError> {
    Ok(skill_listings::table
        .filter(skill_listings::ap_id.eq(ap_id))
        .select(Listing::as_select())
        .first(conn)
        .optional()?)
}

/// A member's listings (by their actor), newest first.
pub fn of_actor(conn: &mut AnyConnection, actor_id: i64) -> Result<Vec<Listing>, DbError> {
    Ok(skill_listings::table
        .filter(skill_listings::actor_id.eq(actor_id))
        .order(skill_listings::id.desc())
        .select(Listing::as_select())
        .load(conn)?)
}

/// Our own listings with one of `visibilities`, oldest first, a page at a time (the coop's
/// `skills` collection).
pub fn local_visible(
    conn: &mut AnyConnection,
    visibilities: &[Visibility],
    offset: i64,
    limit: i64,
) -> Result<Vec<Listing>, DbError> {
    let words: Vec<&str> = visibilities.iter().map(|v| v.as_str()).collect();
    Ok(skill_listings::table
        .filter(skill_listings::local.eq(true))
        .filter(skill_listings::visibility.eq_any(words))
        .order(skill_listings::id)
        .offset(offset)
        .limit(limit)
        .select(Listing::as_select())
        .load(conn)?)
}

/// How many of our listings have one of `visibilities`.
pub fn count_local_visible(
    conn: &mut AnyConnection,
    visibilities: &[Visibility],
) -> Result<i64, DbError> {
    let words: Vec<&str> = visibilities.iter().map(|v| v.as_str()).collect();
    Ok(skill_listings::table
        .filter(skill_listings::local.eq(true))
        .filter(skill_listings::visibility.eq_any(words))
        .count()
        .get_result(conn)?)
}

/// Removes a listing.
pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    Ok(diesel::delete(skill_listings::table.find(id)).execute(conn)? > 0)
}

/// Removes a listing another instance deleted, if `actor_id` wrote it.
pub fn delete_remote(
    conn: &mut AnyConnection,
    ap_id: &str,
    actor_id: i64,
) -> Result<bool, DbError> {
    Ok(diesel::delete(
        skill_listings::table
            .filter(skill_listings::ap_id.eq(ap_id))
            .filter(skill_listings::actor_id.eq(actor_id))
            .filter(skill_listings::local.eq(false)),
    )
    .execute(conn)?
        > 0)
}

/// Removes the listings a remote coop vouched for (unfollowed, left the network).
pub fn delete_of_coop(conn: &mut AnyConnection, coop_actor_id: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(
        skill_listings::table
            .filter(skill_listings::coop_actor_id.eq(coop_actor_id))
            .filter(skill_listings::local.eq(false)),
    )
    .execute(conn)?)
}

/// Removes every listing by actors of `domain` (the host was blocked).
pub fn delete_of_domain(conn: &mut AnyConnection, domain: &str) -> Result<usize, DbError> {
    let authors = actors::table
        .filter(actors::domain.eq(domain))
        .filter(actors::local.eq(false))
        .select(actors::id);
    Ok(
        diesel::delete(skill_listings::table.filter(skill_listings::actor_id.eq_any(authors)))
            .execute(conn)?,
    )
}
