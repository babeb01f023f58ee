//! Project offers: a project's members call for collaborators across the network (the coop
//! publishes the offer), members of other coops apply from their own instance, and the
//! project accepts or declines. An offer past its application deadline is expired: computed
//! on read everywhere, and the publishing instance sends an `Update` marking it closed the
//! first time it notices (when its offers are listed or shown).

use std::collections::BTreeMap;

use cooperage_db::AnyConnection;
use cooperage_db::actors;
use cooperage_db::members::{self as member_rows, Member};
use cooperage_db::offers::{self as rows, Application, NewApplication, Offer, OfferForm};
use cooperage_db::skills::{self as listings, Listing, tags_column};
use cooperage_domain::offer::{self as rules, ApplicationStatus, Compensation, Status};
use cooperage_domain::project::{Currency, parse_amount};
use cooperage_domain::skill::{self as skill_rules, Day, Visibility};
use cooperage_federation::offers::{
    Change, queue_answer, queue_application, queue_change, status_now,
};
use cooperage_federation::skills::network;

use crate::projects::{readable, writable};
use crate::{App, Error};

/// An offer as a project member writes it; every field is checked, with errors naming the
/// field. Amounts are decimal text in the currency ("55.00"), never floats.
#[derive(Debug, Clone, Default)]
pub struct OfferInput {
    pub title: String,
    pub description: String,
    /// Free text each, normalized like skill listings' tags.
    pub skills: Vec<String>,
    pub positions: u32,
    pub estimated_hours: u32,
    /// `YYYY-MM-DD`, or empty.
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// `hourly`, `fixed` or `to_be_discussed`.
    pub compensation: String,
    pub amount: Option<String>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    pub location: String,
    pub remote: bool,
    pub application_deadline: Option<String>,
    /// `network` or `public`.
    pub audience: String,
}

/// One of our members whose listings fit an offer.
#[derive(Debug, Clone)]
pub struct Fit {
    pub username: String,
    /// The skills of their listings that fit.
    pub skills: Vec<String>,
}

/// An offer with what this instance knows around it.
#[derive(Debug, Clone)]
pub struct OfferView {
    pub offer: Offer,
    /// Its status today (an open offer past its deadline is expired).
    pub status: Status,
    /// The coop that published it (its actor id).
    pub coop: String,
    /// Our members whose listings fit it.
    pub fits: Vec<Fit>,
    /// The asking member's own application, if any.
    pub my_application: Option<Application>,
}

/// An application with its applicant named and their listings (those stored here).
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub application: Application,
    pub offer_ap_id: String,
    /// `user@domain`.
    pub applicant: String,
    pub applicant_id: String,
    pub listings: Vec<Listing>,
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, Error> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

fn optional_day(field: &'static str, value: Option<&str>) -> Result<Option<Day>, Error> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => Day::parse(text)
            .map(Some)
            .map_err(|e| Error::invalid(field, e)),
    }
}

/// Checks an offer; the form still needs its id, project and coop.
fn check(input: OfferInput) -> Result<OfferForm, Error> {
    let title = text("title", &input.title, rules::MAX_TITLE)?;
    if title.is_empty() {
        return Err(Error::invalid("title", "must not be empty"));
    }
    let description = text("description", &input.description, rules::MAX_DESCRIPTION)?;
    let mut skills: Vec<String> = Vec::new();
    for label in &input.skills {
        let tag = skill_rules::tag(label)
            .map_err(|e| Error::invalid("skills", format!("{label:?} {e}")))?;
        if !skills.contains(&tag) {
            skills.push(tag);
        }
    }
    if skills.is_empty() {
        return Err(Error::invalid("skills", "name at least one skill"));
    }
    if skills.len() > rules::MAX_SKILLS {
        return Err(Error::invalid(
            "skills",
            format!("at most {} skills", rules::MAX_SKILLS),
        ));
    }
    rules::check_positions(input.positions).map_err(|e| Error::invalid("positions", e))?;
    rules::check_hours(input.estimated_hours).map_err(|e| Error::invalid("estimated_hours", e))?;
    let compensation = Compensation::parse(input.compensation.trim())
        .map_err(|e| Error::invalid("compensation", e.to_string()))?;
    let currency = match input.currency.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => {
            Some(Currency::parse(code).map_err(|e| Error::invalid("currency", e.to_string()))?)
        }
    };
    let amount = match (input.amount.as_deref().map(str::trim), currency) {
        (None | Some(""), _) => None,
        (Some(text), Some(currency)) => Some(
            parse_amount(text, currency).map_err(|e| Error::invalid("amount", e.to_string()))?,
        ),
        (Some(_), None) => return Err(Error::invalid("currency", "needed with an amount")),
    };
    rules::check_compensation(compensation, amount, currency.is_some())
        .map_err(|e| Error::invalid("amount", e))?;
    let start = optional_day("period_start", input.period_start.as_deref())?;
    let end = optional_day("period_end", input.period_end.as_deref())?;
    let deadline = optional_day(
        "application_deadline",
        input.application_deadline.as_deref(),
    )?;
    rules::check_dates(start, end, deadline).map_err(|(field, e)| Error::invalid(field, e))?;
    let audience = match Visibility::parse(input.audience.trim()) {
        Ok(Visibility::Coop) | Err(_) => {
            return Err(Error::invalid("audience", "must be network or public"));
        }
        Ok(audience) => audience,
    };
    let location = text("location", &input.location, rules::MAX_LOCATION)?;
    Ok(OfferForm {
        ap_id: String::new(),
        local: true,
        project_id: None,
        coop_actor_id: 0,
        title,
        description,
        skills: tags_column(&skills),
        positions: i32::try_from(input.positions).unwrap_or(i32::MAX),
        estimated_hours: i32::try_from(input.estimated_hours).unwrap_or(i32::MAX),
        period_start: start.map(|d| d.to_string()),
        period_end: end.map(|d| d.to_string()),
        compensation,
        amount_minor: amount,
        currency: currency.map(|c| c.code.to_owned()),
        location,
        remote: input.remote,
        application_deadline: deadline.map(|d| d.to_string()),
        audience,
        status: Status::Open,
        published: cooperage_db::now(),
        updated: None,
    })
}

/// Our members whose listings share a tag with the offer, by name.
fn fits(conn: &mut AnyConnection, offer: &Offer) -> Result<Vec<Fit>, Error> {
    let wanted = offer.skill_list();
    let all = [Visibility::Coop, Visibility::Network, Visibility::Public];
    let mut by_member: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for listing in listings::local_visible(conn, &all, 0, 100_000)? {
        if !rules::fits(&wanted, &listing.tag_list()) {
            continue;
        }
        let Some(member) = member_rows::by_actor_id(conn, listing.actor_id)? else {
            continue;
        };
        if !cooperage_domain::member::can_log_in(member.status) {
            continue;
        }
        by_member
            .entry(member.username)
            .or_default()
            .push(listing.label);
    }
    Ok(by_member
        .into_iter()
        .map(|(username, skills)| Fit { username, skills })
        .collect())
}

fn view(conn: &mut AnyConnection, offer: Offer, by: &Member) -> Result<OfferView, Error> {
    let coop = actors::by_id(conn, offer.coop_actor_id)?.ap_id;
    let fits = fits(conn, &offer)?;
    let my_application = rows::application_of(conn, offer.id, by.actor_id)?;
    Ok(OfferView {
        status: status_now(&offer),
        coop,
        fits,
        my_application,
        offer,
    })
}

/// Our open offers whose deadline has passed become `expired`, each with an `Update` that
/// tells the network it closed (the "noticed on read" half of the deadline).
fn close_expired(
    conn: &mut AnyConnection,
    settings: &cooperage_federation::Settings,
) -> Result<(), Error> {
    for offer in rows::local_open(conn, &[Visibility::Network, Visibility::Public])? {
        if status_now(&offer) == Status::Expired {
            let closed = rows::set_status(conn, offer.id, Status::Expired)?;
            queue_change(
                conn,
                settings,
                &closed,
                Change::Updated {
                    before: offer.audience,
                },
            )?;
        }
    }
    Ok(())
}

/// Publishes an offer from a project: stored, and sent by the coop to its audience.
pub async fn publish(
    app: &App,
    by: &Member,
    project_id: i64,
    input: OfferInput,
) -> Result<OfferView, Error> {
    let form = check(input)?;
    let by = by.clone();
    app.write(move |conn, settings| {
        writable(conn, &by, project_id)?;
        let (coop, _) = network(conn, settings)?;
        let offer = rows::insert(
            conn,
            &OfferForm {
                ap_id: settings.new_object_id("offers"),
                project_id: Some(project_id),
                coop_actor_id: coop.id,
                ..form
            },
        )?;
        queue_change(conn, settings, &offer, Change::Created)?;
        view(conn, offer, &by)
    })
    .await
}

/// One of our offers, if `by` may change it (a member of its project, or an admin).
fn own(conn: &mut AnyConnection, by: &Member, id: i64) -> Result<Offer, Error> {
    let offer = rows::by_id(conn, id)?
        .filter(|o| o.local)
        .ok_or(Error::NotFound)?;
    let project = offer.project_id.ok_or(Error::NotFound)?;
    writable(conn, by, project)?;
    Ok(offer)
}

/// Changes an offer (the whole offer is sent); whoever may no longer see it gets a `Delete`,
/// the others an `Update`.
pub async fn update(
    app: &App,
    by: &Member,
    id: i64,
    input: OfferInput,
) -> Result<OfferView, Error> {
    let form = check(input)?;
    let by = by.clone();
    app.write(move |conn, settings| {
        let before = own(conn, &by, id)?;
        if !status_now(&before).is_open() {
            return Err(Error::conflict("status", "a closed offer cannot change"));
        }
        let offer = rows::replace(
            conn,
            id,
            &OfferForm {
                ap_id: before.ap_id.clone(),
                project_id: before.project_id,
                coop_actor_id: before.coop_actor_id,
                published: before.published,
                updated: Some(cooperage_db::now()),
                ..form
            },
        )?;
        queue_change(
            conn,
            settings,
            &offer,
            Change::Updated {
                before: before.audience,
            },
        )?;
        view(conn, offer, &by)
    })
    .await
}

/// Closes an offer (`filled` or `withdrawn`): an `Update` tells its audience.
pub async fn close(app: &App, by: &Member, id: i64, reason: &str) -> Result<OfferView, Error> {
    let status = match Status::parse(reason.trim()) {
        Ok(status @ (Status::Filled | Status::Withdrawn)) => status,
        _ => return Err(Error::invalid("status", "must be filled or withdrawn")),
    };
    let by = by.clone();
    app.write(move |conn, settings| {
        let before = own(conn, &by, id)?;
        if !status_now(&before).is_open() {
            return Err(Error::conflict("status", "the offer is already closed"));
        }
        let offer = rows::set_status(conn, id, status)?;
        queue_change(
            conn,
            settings,
            &offer,
            Change::Updated {
                before: before.audience,
            },
        )?;
        view(conn, offer, &by)
    })
    .await
}

/// Removes an offer (with its applications); its audience gets a `Delete`.
pub async fn delete(app: &App, by: &Member, id: i64) -> Result<(), Error> {
    let by = by.clone();
    app.write(move |conn, settings| {
        let offer = own(conn, &by, id)?;
        queue_change(
            conn,
            settings,
            &offer,
            Change::Deleted {
                before: offer.audience,
            },
        )?;
        rows::delete(conn, offer.id)?;
        Ok(())
    })
    .await
}

/// The open offers here (ours and the network's), newest first, optionally only those asking
/// for `skill`; each with our members who fit it.
pub async fn list(app: &App, by: &Member, skill: Option<&str>) -> Result<Vec<OfferView>, Error> {
    let skill = match skill.map(str::trim) {
        None | Some("") => None,
        Some(label) => {
            Some(skill_rules::tag(label).map_err(|e| Error::invalid("skill", e.to_string()))?)
        }
    };
    let by = by.clone();
    app.write(move |conn, settings| {
        close_expired(conn, settings)?;
        let mut views = Vec::new();
        for offer in rows::open(conn)? {
            if !status_now(&offer).is_open() {
                continue;
            }
            if let Some(skill) = &skill
                && !offer.skill_list().contains(skill)
            {
                continue;
            }
            views.push(view(conn, offer, &by)?);
        }
        Ok(views)
    })
    .await
}

/// One offer (ours or the network's, open or closed).
pub async fn show(app: &App, by: &Member, id: i64) -> Result<OfferView, Error> {
    let by = by.clone();
    app.write(move |conn, settings| {
        close_expired(conn, settings)?;
        let offer = rows::by_id(conn, id)?.ok_or(Error::NotFound)?;
        view(conn, offer, &by)
    })
    .await
}

/// Applies to another coop's offer: the member's instance sends an `Offer` of a Commitment,
/// signed by the member, to the offering coop. Applying again changes nothing and answers the
/// same application; after a withdrawal it applies anew.
pub async fn apply(
    app: &App,
    by: &Member,
    offer_id: i64,
    message: &str,
    hours: u32,
) -> Result<Application, Error> {
    let message = text("message", message, rules::MAX_MESSAGE)?;
    rules::check_hours(hours).map_err(|e| Error::invalid("hours_available", e))?;
    let hours = i32::try_from(hours).unwrap_or(i32::MAX);
    let by = by.clone();
    app.write(move |conn, settings| {
        let offer = rows::by_id(conn, offer_id)?.ok_or(Error::NotFound)?;
        if offer.local {
            return Err(Error::conflict(
                "offer",
                "is our own coop's: add yourself to the project instead",
            ));
        }
        let existing = rows::application_of(conn, offer.id, by.actor_id)?;
        if let Some(existing) = &existing
            && existing.status != ApplicationStatus::Withdrawn
        {
            return Ok(existing.clone());
        }
        if !status_now(&offer).is_open() {
            return Err(Error::conflict("offer", "is closed"));
        }
        let ap_id = settings.new_activity_id();
        match existing {
            Some(existing) => {
                rows::reopen_application(conn, existing.id, &ap_id, &message, hours)?;
            }
            None => {
                let (coop, _) = network(conn, settings)?;
                let now = cooperage_db::now();
                rows::insert_application(
                    conn,
                    &NewApplication {
                        ap_id: ap_id.clone(),
                        offer_id: offer.id,
                        applicant_actor_id: by.actor_id,
                        coop_actor_id: Some(coop.id),
                        message,
                        hours_available: hours,
                        status: ApplicationStatus::Pending,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
            }
        }
        let application =
            rows::application_of(conn, offer.id, by.actor_id)?.ok_or(Error::NotFound)?;
        queue_application(conn, settings, &application, false)?;
        Ok(application)
    })
    .await
}

/// Withdraws the member's application (`Undo` of its Offer).
pub async fn withdraw(app: &App, by: &Member, offer_id: i64) -> Result<Application, Error> {
    let by = by.clone();
    app.write(move |conn, settings| {
        let application = rows::application_of(conn, offer_id, by.actor_id)?
            .filter(|a| a.status != ApplicationStatus::Withdrawn)
            .ok_or(Error::NotFound)?;
        rows::set_application_status(conn, application.id, ApplicationStatus::Withdrawn)?;
        queue_application(conn, settings, &application, true)?;
        rows::application_by_id(conn, application.id)?.ok_or(Error::NotFound)
    })
    .await
}

/// The member's applications with their offers, newest first.
pub async fn my_applications(
    app: &App,
    by: &Member,
) -> Result<Vec<(Application, Option<Offer>)>, Error> {
    let actor_id = by.actor_id;
    app.read(move |conn| {
        let mut out = Vec::new();
        for application in rows::applications_of(conn, actor_id)? {
            let offer = rows::by_id(conn, application.offer_id)?;
            out.push((application, offer));
        }
        Ok(out)
    })
    .await
}

fn application_view(
    conn: &mut AnyConnection,
    application: Application,
) -> Result<ApplicationView, Error> {
    let applicant = actors::by_id(conn, application.applicant_actor_id)?;
    let offer = rows::by_id(conn, application.offer_id)?.ok_or(Error::NotFound)?;
    Ok(ApplicationView {
        listings: listings::of_actor(conn, applicant.id)?,
        offer_ap_id: offer.ap_id,
        applicant: format!("{}@{}", applicant.username, applicant.domain),
        applicant_id: applicant.ap_id,
        application,
    })
}

/// The applications to a project's offers, for its members and admins.
pub async fn project_applications(
    app: &App,
    by: &Member,
    project_id: i64,
) -> Result<Vec<ApplicationView>, Error> {
    let by = by.clone();
    app.write(move |conn, _| {
        writable(conn, &by, project_id)?;
        rows::applications_to_project(conn, project_id)?
            .into_iter()
            .map(|a| application_view(conn, a))
            .collect()
    })
    .await
}

/// Accepts or declines an application to one of the project's offers; the coop's `Accept` or
/// `Reject` goes back to the applicant.
pub async fn answer(
    app: &App,
    by: &Member,
    project_id: i64,
    application_id: i64,
    accept: bool,
) -> Result<ApplicationView, Error> {
    let by = by.clone();
    app.write(move |conn, settings| {
        readable(conn, &by, project_id)?;
        writable(conn, &by, project_id)?;
        let application = rows::application_by_id(conn, application_id)?.ok_or(Error::NotFound)?;
        let offer = rows::by_id(conn, application.offer_id)?.ok_or(Error::NotFound)?;
        if offer.project_id != Some(project_id) {
            return Err(Error::NotFound);
        }
        if !rules::can_answer(application.status) {
            return Err(Error::conflict(
                "status",
                format!("the application is {}", application.status),
            ));
        }
        let status = if accept {
            ApplicationStatus::Accepted
        } else {
            ApplicationStatus::Declined
        };
        rows::set_application_status(conn, application.id, status)?;
        queue_answer(conn, settings, &application, accept)?;
        let application = rows::application_by_id(conn, application.id)?.ok_or(Error::NotFound)?;
        application_view(conn, application)
    })
    .await
}

/// The actor of a guest (`user@domain`) whose application to one of the project's offers was
/// accepted: they may be credited with time on it.
pub(crate) fn accepted_guest(
    conn: &mut AnyConnection,
    project_id: i64,
    handle: &str,
) -> Result<Option<i64>, Error> {
    let Some((username, domain)) = handle.trim().trim_start_matches('@').split_once('@') else {
        return Ok(None);
    };
    for application in rows::applications_to_project(conn, project_id)? {
        if application.status != ApplicationStatus::Accepted {
            continue;
        }
        let actor = actors::by_id(conn, application.applicant_actor_id)?;
        if actor.username == username && actor.domain == domain {
            return Ok(Some(actor.id));
        }
    }
    Ok(None)
}
