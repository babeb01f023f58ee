//! Posts (Notes and later object kinds): ours, and those of actors we follow.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::posts;
use crate::{AnyConnection, DbError};

/// One post as stored. `content` is sanitized HTML; `object_json` the object as sent.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i64,
    pub ap_id: String,
    pub author_id: i64,
    pub object_type: String,
    pub content: String,
    pub object_json: String,
    pub local: bool,
    pub published: NaiveDateTime,
    pub updated: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

/// A post to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = posts)]
pub struct PostForm {
    pub ap_id: String,
    pub author_id: i64,
    pub object_type: String,
    pub content: String,
    pub object_json: String,
    pub local: bool,
    pub published: NaiveDateTime,
    pub updated: Option<NaiveDateTime>,
}

/// Stores a new post, or applies an edit to the one with the same id. A deleted post stays
/// deleted: a late or replayed Create must not bring it back.
pub fn upsert(conn: &mut AnyConnection, form: &PostForm) -> Result<(), DbError> {
    let existing = by_ap_id(conn, &form.ap_id)?;
    match existing {
        Some(post) if post.deleted_at.is_some() => Ok(()),
        Some(post) => {
            diesel::update(posts::table.find(post.id))
                .set((
                    posts::content.eq(&form.content),
                    posts::object_json.eq(&form.object_json),
                    posts::updated.eq(form.updated.or(Some(crate::now()))),
                ))
                .execute(conn)?;
            Ok(())
        }
        None => {
            diesel::insert_into(posts::table)
                .values(form)
                .execute(conn)?;
            Ok(())
        }
    }
}

/// Stores a new post; a post with the same id (even a deleted one) stays as it is. Returns
/// whether it was stored. One statement: the inbox's path for `Create`.
pub fn insert_new(conn: &mut AnyConnection, form: &PostForm) -> Result<bool, DbError> {
    let inserted = match conn {
        AnyConnection::Postgresql(c) => diesel::insert_into(posts::table)
            .values(form)
            .on_conflict(posts::ap_id)
            .do_nothing()
            .execute(c)?,
        AnyConnection::Sqlite(c) => diesel::insert_into(posts::table)
            .values(form)
            .on_conflict(posts::ap_id)
            .do_nothing()
            .execute(c)?,
    };
    Ok(inserted == 1)
}

/// The post with this ActivityPub id.
pub fn by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> Result<Option<Post>, DbError> {
    Ok(posts::table
        .filter(posts::ap_id.eq(ap_id))
        .select(Post::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a post deleted (keeping a tombstone so it cannot be re-created); returns whether
/// a post by this author was there.
pub fn mark_deleted(
    conn: &mut AnyConnection,
    ap_id: &str,
    author_id: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        posts::table
            .filter(posts::ap_id.eq(ap_id))
            .filter(posts::author_id.eq(author_id)),
    )
    .set((
        posts::deleted_at.eq(Some(crate::now())),
        posts::content.eq(""),
    ))
    .execute(conn)?
        > 0)
}

/// Posts of an author that are not deleted, newest first, with paging.
pub fn by_author(
    conn: &mut AnyConnection,
    author_id: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<Post>, DbError> {
    Ok(posts::table
        .filter(posts::author_id.eq(author_id))
        .filter(posts::deleted_at.is_null())
        .order((posts::published.desc(), posts::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(Post::as_select())
        .load(conn)?)
}

/// Number of posts by an author that are not deleted.
pub fn count_by_author(conn: &mut AnyConnection, author_id: i64) -> Result<i64, DbError> {
    Ok(posts::table
        .filter(posts::author_id.eq(author_id))
        .filter(posts::deleted_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Number of remote posts stored (tests and benchmarks).
pub fn count_remote(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(posts::table
        .filter(posts::local.eq(false))
        .count()
        .get_result(conn)?)
}

/// Number of local posts that are not deleted (NodeInfo).
pub fn count_local(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(posts::table
        .filter(posts::local.eq(true))
        .filter(posts::deleted_at.is_null())
        .count()
        .get_result(conn)?)
}
