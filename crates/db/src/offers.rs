//! Project offers (ours and the network's) and the applications to them.

use chrono::NaiveDateTime;
use cooperage_domain::offer::{ApplicationStatus, Compensation, Status};
use cooperage_domain::skill::Visibility;
use diesel::prelude::*;

use crate::schema::{actors, offer_applications, offers};
use crate::{AnyConnection, DbError};

/// One offer as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = offers)]
pub struct Offer {
    pub id: i64,
    pub ap_id: String,
    pub local: bool,
    pub project_id: Option<i64>,
    pub coop_actor_id: i64,
    pub title: String,
    pub description: String,
    /// Space-delimited normalized tags (see [`crate::skills::tags_column`]).
    pub skills: String,
    pub positions: i32,
    pub estimated_hours: i32,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    #[diesel(deserialize_as = String)]
    pub compensation: Compensation,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub location: String,
    pub remote: bool,
    pub application_deadline: Option<String>,
    /// `network` or `public` (never `coop`).
    #[diesel(deserialize_as = String)]
    pub audience: Visibility,
    /// As stored; an open offer past its deadline reads as expired (`domain::offer::status_on`).
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub published: NaiveDateTime,
    pub updated: Option<NaiveDateTime>,
}

impl Offer {
    /// The needed skills' tags.
    pub fn skill_list(&self) -> Vec<String> {
        self.skills.split_whitespace().map(str::to_owned).collect()
    }
}

/// An offer to store (new, or replacing one).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = offers, treat_none_as_null = true)]
pub struct OfferForm {
    pub ap_id: String,
    pub local: bool,
    pub project_id: Option<i64>,
    pub coop_actor_id: i64,
    pub title: String,
    pub description: String,
    pub skills: String,
    pub positions: i32,
    pub estimated_hours: i32,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    #[diesel(serialize_as = String)]
    pub compensation: Compensation,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub location: String,
    pub remote: bool,
    pub application_deadline: Option<String>,
    #[diesel(serialize_as = String)]
    pub audience: Visibility,
    #[diesel(serialize_as = String)]
    pub status: Status,
    pub published: NaiveDateTime,
    pub updated: Option<NaiveDateTime>,
}

/// One application as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = offer_applications)]
pub struct Application {
    pub id: i64,
    pub ap_id: String,
    pub offer_id: i64,
    pub applicant_actor_id: i64,
    pub coop_actor_id: Option<i64>,
    pub message: String,
    pub hours_available: i32,
    #[diesel(deserialize_as = String)]
    pub status: ApplicationStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An application to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = offer_applications)]
pub struct NewApplication {
    pub ap_id: String,
    pub offer_id: i64,
    pub applicant_actor_id: i64,
    pub coop_actor_id: Option<i64>,
    pub message: String,
    pub hours_available: i32,
    #[diesel(serialize_as = String)]
    pub status: ApplicationStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Stores a new offer.
pub fn insert(conn: &mut AnyConnection, form: &OfferForm) -> Result<Offer, DbError> {
    diesel::insert_into(offers::table)
        .values(form.clone())
        .execute(conn)?;
    by_ap_id(conn, &form.ap_id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// Replaces offer `id` with `form`.
pub fn replace(conn: &mut AnyConnection, id: i64, form: &OfferForm) -> Result<Offer, DbError> {
    diesel::update(offers::table.find(id))
        .set(form.clone())
        .execute(conn)?;
    by_id(conn, id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// Sets an offer's status (closing it), marking it updated.
pub fn set_status(conn: &mut AnyConnection, id: i64, status: Status) -> Result<Offer, DbError> {
    diesel::update(offers::table.find(id))
        .set((
            offers::status.eq(status.as_str()),
            offers::updated.eq(Some(crate::now())),
        ))
        .execute(conn)?;
    by_id(conn, id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// Stores an offer another coop sent: new, or replacing the one with its id if the same coop
/// published it. Returns whether it was stored.
pub fn upsert_remote(conn: &mut AnyConnection, form: &OfferForm) -> Result<bool, DbError> {
    match by_ap_id(conn, &form.ap_id)? {
        Some(existing) if existing.coop_actor_id != form.coop_actor_id || existing.local => {
            Ok(false)
        }
        Some(existing) => {
            replace(conn, existing.id, form)?;
            Ok(true)
        }
        None => crate::insert_if_absent(conn, |conn| {
            diesel::insert_into(offers::table)
                .values(form.clone())
                .execute(conn)
        }),
    }
}

/// The offer with this row id.
pub fn by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<Offer>, DbError> {
    Ok(offers::table
        .find(id)
        .select(Offer::as_select())
        .first(conn)
        .optional()?)
}

/// The offer with this ActivityPub id.
pub fn by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> Result<Option<Offer>, DbError> {
    Ok(offers::table
        .filter(offers::ap_id.eq(ap_id))
        .select(Offer::as_select())
        .first(conn)
        .optional()?)
}

/// Offers whose stored status is open (ours and the network's), newest first; the caller
/// reads each one's deadline.
pub fn open(conn: &mut AnyConnection) -> Result<Vec<Offer>, DbError> {
    Ok(offers::table
        .filter(offers::status.eq(Status::Open.as_str()))
        .order(offers::id.desc())
        .select(Offer::as_select())
        .load(conn)?)
}

/// Our offers published from a project, newest first.
pub fn of_project(conn: &mut AnyConnection, project_id: i64) -> Result<Vec<Offer>, DbError> {
    Ok(offers::table
        .filter(offers::project_id.eq(project_id))
        .order(offers::id.desc())
        .select(Offer::as_select())
        .load(conn)?)
}

/// Our offers with one of `audiences` and stored open, oldest first (sent to a coop that
/// joins the network).
pub fn local_open(
    conn: &mut AnyConnection,
    audiences: &[Visibility],
) -> Result<Vec<Offer>, DbError> {
    let words: Vec<&str> = audiences.iter().map(|v| v.as_str()).collect();
    Ok(offers::table
        .filter(offers::local.eq(true))
        .filter(offers::status.eq(Status::Open.as_str()))
        .filter(offers::audience.eq_any(words))
        .order(offers::id)
        .select(Offer::as_select())
        .load(conn)?)
}

/// Removes an offer (its applications go with it).
pub fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    Ok(diesel::delete(offers::table.find(id)).execute(conn)? > 0)
}

/// Removes an offer another coop deleted, if `coop_actor_id` published it.
pub fn delete_remote(
    conn: &mut AnyConnection,
    ap_id: &str,
    coop_actor_id: i64,
) -> Result<bool, DbError> {
    Ok(diesel::delete(
        offers::table
            .filter(offers::ap_id.eq(ap_id))
            .filter(offers::coop_actor_id.eq(coop_actor_id))
            .filter(offers::local.eq(false)),
    )
    .execute(conn)?
        > 0)
}

/// Removes the offers a remote coop published (it left the network).
pub fn delete_of_coop(conn: &mut AnyConnection, coop_actor_id: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(
        offers::table
            .filter(offers::coop_actor_id.eq(coop_actor_id))
            .filter(offers::local.eq(false)),
    )
    .execute(conn)?)
}

/// Removes every offer published by actors of `domain` (the host was blocked).
pub fn delete_of_domain(conn: &mut AnyConnection, domain: &str) -> Result<usize, DbError> {
    let coops = actors::table
        .filter(actors::domain.eq(domain))
        .filter(actors::local.eq(false))
        .select(actors::id);
    Ok(diesel::delete(offers::table.filter(offers::coop_actor_id.eq_any(coops))).execute(conn)?)
}

/// Stores a new application; `false` when the applicant already has one for this offer.
pub fn insert_application(
    conn: &mut AnyConnection,
    application: &NewApplication,
) -> Result<bool, DbError> {
    crate::insert_if_absent(conn, |conn| {
        diesel::insert_into(offer_applications::table)
            .values(application.clone())
            .execute(conn)
    })
}

/// The application of `applicant` to `offer`, if any.
pub fn application_of(
    conn: &mut AnyConnection,
    offer_id: i64,
    applicant_actor_id: i64,
) -> Result<Option<Application>, DbError> {
    Ok(offer_applications::table
        .filter(offer_applications::offer_id.eq(offer_id))
        .filter(offer_applications::applicant_actor_id.eq(applicant_actor_id))
        .select(Application::as_select())
        .first(conn)
        .optional()?)
}

/// The application with this row id.
pub fn application_by_id(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<Application>, DbError> {
    Ok(offer_applications::table
        .find(id)
        .select(Application::as_select())
        .first(conn)
        .optional()?)
}

/// The application carried by the Offer activity with this id.
pub fn application_by_ap_id(
    conn: &mut AnyConnection,
    ap_id: &str,
) -> Result<Option<Application>, DbError> {
    Ok(offer_applications::table
        .filter(offer_applications::ap_id.eq(ap_id))
        .select(Application::as_select())
        .first(conn)
        .optional()?)
}

/// Sets an application's status.
pub fn set_application_status(
    conn: &mut AnyConnection,
    id: i64,
    status: ApplicationStatus,
) -> Result<(), DbError> {
    diesel::update(offer_applications::table.find(id))
        .set((
            offer_applications::status.eq(status.as_str()),
            offer_applications::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Opens a withdrawn application again, carried by a new Offer activity.
pub fn reopen_application(
    conn: &mut AnyConnection,
    id: i64,
    ap_id: &str,
    message: &str,
    hours_available: i32,
) -> Result<(), DbError> {
    diesel::update(offer_applications::table.find(id))
        .set((
            offer_applications::ap_id.eq(ap_id),
            offer_applications::message.eq(message),
            offer_applications::hours_available.eq(hours_available),
            offer_applications::status.eq(ApplicationStatus::Pending.as_str()),
            offer_applications::updated_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The applications to the offers of a project, oldest first.
pub fn applications_to_project(
    conn: &mut AnyConnection,
    project_id: i64,
) -> Result<Vec<Application>, DbError> {
    let project_offers = offers::table
        .filter(offers::project_id.eq(project_id))
        .select(offers::id);
    Ok(offer_applications::table
        .filter(offer_applications::offer_id.eq_any(project_offers))
        .order(offer_applications::id)
        .select(Application::as_select())
        .load(conn)?)
}

/// The applications an actor made, newest first.
pub fn applications_of(
    conn: &mut AnyConnection,
    applicant_actor_id: i64,
) -> Result<Vec<Application>, DbError> {
    Ok(offer_applications::table
        .filter(offer_applications::applicant_actor_id.eq(applicant_actor_id))
        .order(offer_applications::id.desc())
        .select(Application::as_select())
        .load(conn)?)
}
