//! Actors: ours (coop, members, the instance actor) and remote ones we learned of.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{actors, local_keys};
use crate::{AnyConnection, DbError};

/// What kind of local actor a row is, by its ActivityStreams type.
pub const GROUP: &str = "Group";
pub const PERSON: &str = "Person";
pub const APPLICATION: &str = "Application";

/// Prefix of the placeholder key id of an actor whose key id another actor took over.
pub const DISOWNED_KEY: &str = "urn:cooperage:duplicate-key:";

/// One actor as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = actors)]
pub struct Actor {
    pub id: i64,
    pub ap_id: String,
    pub actor_type: String,
    pub local: bool,
    pub username: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub followers_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub manually_approves_followers: bool,
    pub published: NaiveDateTime,
    pub fetched_at: Option<NaiveDateTime>,
}

impl Actor {
    /// The inbox deliveries go to: the shared inbox when the actor's server has one.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox.as_deref().unwrap_or(&self.inbox)
    }
}

/// A new or refreshed actor.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = actors, treat_none_as_null = true)]
pub struct ActorForm {
    pub ap_id: String,
    pub actor_type: String,
    pub local: bool,
    pub username: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub followers_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub manually_approves_followers: bool,
    pub published: NaiveDateTime,
    pub fetched_at: Option<NaiveDateTime>,
}

/// Inserts a new actor, or updates the one with the same `ap_id` (a refetched remote actor).
///
/// A key id belongs to one actor (UNIQUE): if another row holds this key id, the actor stored
/// now is believed (its document was read last; the federation layer only stores keys on the
/// actor's own host) and the other row gets a placeholder no request can name, until it is
/// fetched again.
pub fn upsert(conn: &mut AnyConnection, form: &ActorForm) -> Result<Actor, DbError> {
    let holders: Vec<i64> = actors::table
        .filter(actors::public_key_id.eq(&form.public_key_id))
        .filter(actors::ap_id.ne(&form.ap_id))
        .select(actors::id)
        .load(conn)?;
    for holder in holders {
        diesel::update(actors::table.find(holder))
            .set(actors::public_key_id.eq(format!("{DISOWNED_KEY}{holder}")))
            .execute(conn)?;
    }
    // One INSERT … ON CONFLICT DO UPDATE: two requests learning of the same actor at once
    // (an inbox and a fetch) must not fail on the UNIQUE id. Typed per backend, since
    // ON CONFLICT does not compile through the two-backend connection.
    match conn {
        AnyConnection::Postgresql(c) => diesel::insert_into(actors::table)
            .values(form)
            .on_conflict(actors::ap_id)
            .do_update()
            .set(form)
            .execute(c)?,
        AnyConnection::Sqlite(c) => diesel::insert_into(actors::table)
            .values(form)
            .on_conflict(actors::ap_id)
            .do_update()
            .set(form)
            .execute(c)?,
    };
    Ok(actors::table
        .filter(actors::ap_id.eq(&form.ap_id))
        .select(Actor::as_select())
        .first(conn)?)
}

/// The actor with this ActivityPub id, if we know it.
pub fn by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> Result<Option<Actor>, DbError> {
    Ok(actors::table
        .filter(actors::ap_id.eq(ap_id))
        .select(Actor::as_select())
        .first(conn)
        .optional()?)
}

/// The actor with this database id.
pub fn by_id(conn: &mut AnyConnection, id: i64) -> Result<Actor, DbError> {
    Ok(actors::table
        .find(id)
        .select(Actor::as_select())
        .first(conn)?)
}

/// A local actor by username (`coop`, a member's name, or the instance actor).
pub fn local_by_username(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<Option<Actor>, DbError> {
    Ok(actors::table
        .filter(actors::local.eq(true))
        .filter(actors::username.eq(username))
        .select(Actor::as_select())
        .first(conn)
        .optional()?)
}

/// The actor whose key has this id (`…#main-key`, `…/main-key`); key ids are unique and
/// indexed.
pub fn by_key_id(conn: &mut AnyConnection, key_id: &str) -> Result<Option<Actor>, DbError> {
    Ok(actors::table
        .filter(actors::public_key_id.eq(key_id))
        .select(Actor::as_select())
        .first(conn)
        .optional()?)
}

/// Local actors of one type, oldest first.
pub fn local_of_type(conn: &mut AnyConnection, actor_type: &str) -> Result<Vec<Actor>, DbError> {
    Ok(actors::table
        .filter(actors::local.eq(true))
        .filter(actors::actor_type.eq(actor_type))
        .order(actors::id)
        .select(Actor::as_select())
        .load(conn)?)
}

/// Number of local actors of one type (NodeInfo's user counts).
pub fn count_local(conn: &mut AnyConnection, actor_type: &str) -> Result<i64, DbError> {
    Ok(actors::table
        .filter(actors::local.eq(true))
        .filter(actors::actor_type.eq(actor_type))
        .count()
        .get_result(conn)?)
}

/// Sets whether an actor asks for approval of new followers.
pub fn set_manually_approves(conn: &mut AnyConnection, id: i64, on: bool) -> Result<(), DbError> {
    diesel::update(actors::table.find(id))
        .set(actors::manually_approves_followers.eq(on))
        .execute(conn)?;
    Ok(())
}

/// Creates a local actor with its private key, in one transaction.
pub fn create_local(
    conn: &mut AnyConnection,
    form: &ActorForm,
    private_key_pem: &str,
) -> Result<Actor, DbError> {
    crate::transaction(conn, |conn| {
        let actor = upsert(conn, form)?;
        diesel::insert_into(local_keys::table)
            .values((
                local_keys::actor_id.eq(actor.id),
                local_keys::private_key_pem.eq(private_key_pem),
            ))
            .execute(conn)?;
        Ok(actor)
    })
}

/// The private key of a local actor, for signing its deliveries.
pub fn private_key_pem(conn: &mut AnyConnection, actor_id: i64) -> Result<String, DbError> {
    Ok(local_keys::table
        .find(actor_id)
        .select(local_keys::private_key_pem)
        .first(conn)?)
}

/// Sets a local actor's display name.
pub fn set_display_name(conn: &mut AnyConnection, id: i64, name: &str) -> Result<(), DbError> {
    diesel::update(actors::table.find(id))
        .set(actors::display_name.eq(Some(name)))
        .execute(conn)?;
    Ok(())
}

/// Sets a local actor's summary (HTML, as shown on its profile).
pub fn set_summary(conn: &mut AnyConnection, id: i64, summary: &str) -> Result<(), DbError> {
    diesel::update(actors::table.find(id))
        .set(actors::summary.eq(Some(summary)))
        .execute(conn)?;
    Ok(())
}
