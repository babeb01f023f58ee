//! Project offers across the network: who gets an offer (by its audience), what a change
//! takes back, reading offers other coops send, and applications: the `Offer` a member sends
//! to the offering coop, the coop's `Accept` / `Reject`, the applicant's `Undo`.

use cooperage_db::actors::{self, Actor};
use cooperage_db::offers::{self, Application, Offer, OfferForm};
use cooperage_db::{AnyConnection, DbError, follows};
use cooperage_domain::offer::{self as rules, ApplicationStatus, Compensation, Status};
use cooperage_domain::project::{Currency, parse_amount};
use cooperage_domain::skill::{self as skill_rules, Day, Visibility};

pub use crate::audience::Change;
use crate::audience::{Audience, in_network, network, parse_time};
use crate::outbox::Outgoing;
use crate::protocol::offer::{self as wire, ApplicationOffer, OfferNote};
use crate::protocol::to_json;
use crate::settings::host_of;
use crate::{Error, Settings};

/// Today, as the deadline is compared (UTC).
pub fn today() -> Day {
    use chrono::Datelike;
    let now = chrono::Utc::now().date_naive();
    Day {
        year: now.year(),
        month: now.month(),
        day: now.day(),
    }
}

/// The status an offer has today: its deadline closes an open one.
pub fn status_now(offer: &Offer) -> Status {
    let deadline = offer
        .application_deadline
        .as_deref()
        .and_then(|d| Day::parse(d).ok());
    rules::status_on(offer.status, deadline, today())
}

/// Queues what a change of a local offer means for each audience, inside the caller's
/// transaction: `Create`/`Update` for those who may see it, `Delete` for those who saw it and
/// no longer may (public → network takes it from the coop's other followers).
pub fn queue_change(
    conn: &mut AnyConnection,
    settings: &Settings,
    offer: &Offer,
    change: Change,
) -> Result<(), DbError> {
    let (coop, network) = network(conn, settings)?;
    let network_ids: Vec<String> = network.iter().map(|c| c.ap_id.clone()).collect();
    // Offers come from the coop actor: its followers are the public audience.
    let audience = Audience::load(conn, coop.id, &network)?;
    let (before, now) = change.span(offer.audience);
    let gone = audience.gone(before, now);
    if !gone.is_empty() {
        let id = settings.new_activity_id();
        let delete = wire::delete_offer(settings, &id, &offer.ap_id, &coop);
        Outgoing {
            json: to_json(&delete),
            id,
            kind: "Delete",
            actor_id: coop.id,
            public: false,
            inboxes: gone,
        }
        .enqueue(conn)?;
    }
    let Some(now) = now else {
        return Ok(());
    };
    let note = wire::offer_to_note(
        settings,
        offer,
        &coop,
        status_now(offer).as_str(),
        wire::audience(&coop, now, &network_ids),
    );
    let (activity, kind) = if change == Change::Created {
        (
            wire::create_offer(&settings.new_activity_id(), note),
            "Create",
        )
    } else {
        (
            wire::update_offer(&settings.new_activity_id(), note),
            "Update",
        )
    };
    Outgoing {
        json: to_json(&activity),
        id: activity.id.clone(),
        kind,
        actor_id: coop.id,
        public: now == Visibility::Public,
        inboxes: audience.inboxes_for(now),
    }
    .enqueue(conn)
}

/// A local offer as its Note, addressed for its audience (served at its id).
pub fn note_of(
    conn: &mut AnyConnection,
    settings: &Settings,
    offer: &Offer,
) -> Result<OfferNote, DbError> {
    let (coop, network) = network(conn, settings)?;
    let network_ids: Vec<String> = network.iter().map(|c| c.ap_id.clone()).collect();
    Ok(wire::offer_to_note(
        settings,
        offer,
        &coop,
        status_now(offer).as_str(),
        wire::audience(&coop, offer.audience, &network_ids),
    ))
}

/// Sends a coop that just joined our network our open offers (`Create`s to its inbox),
/// inside the caller's transaction.
pub fn queue_offers_for(
    conn: &mut AnyConnection,
    settings: &Settings,
    peer: &Actor,
) -> Result<usize, DbError> {
    let open: Vec<Offer> = offers::local_open(conn, &[Visibility::Network, Visibility::Public])?
        .into_iter()
        .filter(|o| status_now(o).is_open())
        .collect();
    for offer in &open {
        let note = note_of(conn, settings, offer)?;
        let activity = wire::create_offer(&settings.new_activity_id(), note);
        Outgoing {
            json: to_json(&activity),
            id: activity.id.clone(),
            kind: "Create",
            actor_id: offer.coop_actor_id,
            public: false,
            inboxes: vec![peer.delivery_inbox().to_owned()],
        }
        .enqueue(conn)?;
    }
    Ok(open.len())
}

/// Reads an offer Note from `coop` (the signer), refusing what it could not have published:
/// an id on another host, another actor's name on it, values out of range.
pub fn read_note(note: &OfferNote, coop: &Actor) -> Result<OfferForm, Error> {
    let bad = |why: String| Error::BadRequest(format!("project offer {}: {why}", note.id));
    if host_of(&note.id) != host_of(&coop.ap_id) {
        return Err(bad("is not on its coop's host".into()));
    }
    if note.attributed_to != coop.ap_id || coop.actor_type != actors::GROUP {
        return Err(bad("is not published by its coop".into()));
    }
    let mut skills = Vec::new();
    for label in &note.skills {
        let tag = skill_rules::tag(label).map_err(|e| bad(format!("skill {e}")))?;
        if !skills.contains(&tag) && skills.len() < rules::MAX_SKILLS {
            skills.push(tag);
        }
    }
    rules::check_positions(note.positions).map_err(|e| bad(format!("positions {e}")))?;
    rules::check_hours(note.estimated_hours).map_err(|e| bad(format!("estimatedHours {e}")))?;
    let compensation = Compensation::parse(&note.compensation).map_err(|e| bad(e.to_string()))?;
    let currency = note
        .currency
        .as_deref()
        .map(|c| Currency::parse(c).map_err(|e| bad(e.to_string())))
        .transpose()?;
    let amount = match (&note.amount, currency) {
        (Some(text), Some(currency)) => {
            Some(parse_amount(text, currency).map_err(|e| bad(format!("amount {e}")))?)
        }
        (Some(_), None) => return Err(bad("amount without currency".into())),
        (None, _) => None,
    };
    rules::check_compensation(compensation, amount, currency.is_some())
        .map_err(|e| bad(format!("compensation {e}")))?;
    let audience = Visibility::parse(&note.visibility).map_err(|e| bad(e.to_string()))?;
    if audience == Visibility::Coop {
        return Err(bad("an offer is not sent for the coop only".into()));
    }
    let status = Status::parse(&note.status).map_err(|e| bad(e.to_string()))?;
    let day = |d: &Option<String>| -> Result<Option<Day>, Error> {
        d.as_deref()
            .map(|d| Day::parse(d).map_err(|e| bad(format!("date {d} {e}"))))
            .transpose()
    };
    let (start, end, deadline) = (
        day(&note.period_start)?,
        day(&note.period_end)?,
        day(&note.application_deadline)?,
    );
    rules::check_dates(start, end, deadline).map_err(|(field, e)| bad(format!("{field} {e}")))?;
    // The HTML is ours to write: only the structured fields are kept, as plain text.
    let text = |s: &str, max: usize| s.trim().chars().take(max).collect::<String>();
    let published = parse_time(&note.published).unwrap_or_else(cooperage_db::now);
    Ok(OfferForm {
        ap_id: note.id.clone(),
        local: false,
        project_id: None,
        coop_actor_id: coop.id,
        title: text(&note.title, rules::MAX_TITLE),
        description: text(&note.details, rules::MAX_DESCRIPTION),
        skills: cooperage_db::skills::tags_column(&skills),
        positions: i32::try_from(note.positions).unwrap_or(0),
        estimated_hours: i32::try_from(note.estimated_hours).unwrap_or(0),
        period_start: start.map(|d| d.to_string()),
        period_end: end.map(|d| d.to_string()),
        compensation,
        amount_minor: amount,
        currency: currency.map(|c| c.code.to_owned()),
        location: text(
            note.region.as_deref().unwrap_or_default(),
            rules::MAX_LOCATION,
        ),
        remote: note.remote,
        application_deadline: deadline.map(|d| d.to_string()),
        audience,
        status,
        published,
        updated: note.updated.as_deref().and_then(parse_time),
    })
}

/// Stores a received offer if we may keep it: from a coop in our network, or (public) from a
/// coop someone here follows. Returns whether it was stored.
pub fn store_received(
    conn: &mut AnyConnection,
    settings: &Settings,
    form: &OfferForm,
) -> Result<bool, DbError> {
    let allowed = in_network(conn, settings, form.coop_actor_id)?
        || (form.audience == Visibility::Public
            && follows::has_local_follower(conn, form.coop_actor_id)?);
    if !allowed {
        return Ok(false);
    }
    offers::upsert_remote(conn, form)
}

/// The `Offer` activity that carries one of our members' applications.
pub fn application_offer_of(
    conn: &mut AnyConnection,
    settings: &Settings,
    application: &Application,
) -> Result<ApplicationOffer, DbError> {
    let offer = offers::by_id(conn, application.offer_id)?
        .ok_or(DbError::Query(cooperage_db::QueryError::NotFound))?;
    let applicant = actors::by_id(conn, application.applicant_actor_id)?;
    let offering = actors::by_id(conn, offer.coop_actor_id)?;
    let coop = match application.coop_actor_id {
        Some(id) => actors::by_id(conn, id)?,
        None => network(conn, settings)?.0,
    };
    Ok(wire::application_offer(
        settings,
        application,
        &applicant,
        &coop,
        &offer.ap_id,
        &offering.ap_id,
    ))
}

/// Queues our member's application (or its withdrawal, `undo`) for the offering coop.
pub fn queue_application(
    conn: &mut AnyConnection,
    settings: &Settings,
    application: &Application,
    undo: bool,
) -> Result<(), DbError> {
    let offer = offers::by_id(conn, application.offer_id)?
        .ok_or(DbError::Query(cooperage_db::QueryError::NotFound))?;
    let offering = actors::by_id(conn, offer.coop_actor_id)?;
    let applicant = actors::by_id(conn, application.applicant_actor_id)?;
    let activity = application_offer_of(conn, settings, application)?;
    let (json, id, kind) = if undo {
        let id = settings.new_activity_id();
        let undo = wire::undo_application(settings, &id, &applicant, activity);
        (to_json(&undo), id, "Undo")
    } else {
        (to_json(&activity), activity.id.clone(), "Offer")
    };
    Outgoing {
        json,
        id,
        kind,
        actor_id: applicant.id,
        public: false,
        inboxes: vec![offering.inbox.clone()],
    }
    .enqueue(conn)
}

/// Queues our coop's answer (`Accept` or `Reject`) to a remote member's application.
pub fn queue_answer(
    conn: &mut AnyConnection,
    settings: &Settings,
    application: &Application,
    accepted: bool,
) -> Result<(), DbError> {
    let offer = offers::by_id(conn, application.offer_id)?
        .ok_or(DbError::Query(cooperage_db::QueryError::NotFound))?;
    let coop = actors::by_id(conn, offer.coop_actor_id)?;
    let applicant = actors::by_id(conn, application.applicant_actor_id)?;
    let vouching = match application.coop_actor_id {
        Some(id) => actors::by_id(conn, id)?,
        None => applicant.clone(),
    };
    let activity = wire::application_offer(
        settings,
        application,
        &applicant,
        &vouching,
        &offer.ap_id,
        &coop.ap_id,
    );
    let id = settings.new_activity_id();
    let kind = if accepted { "Accept" } else { "Reject" };
    let answer = wire::answer_application(settings, &id, kind, &coop, activity);
    Outgoing {
        json: to_json(&answer),
        id,
        kind,
        actor_id: coop.id,
        public: false,
        inboxes: vec![applicant.inbox.clone()],
    }
    .enqueue(conn)
}

/// An application another instance sent, checked without the database.
pub struct ReceivedApplication {
    pub ap_id: String,
    pub offer: String,
    pub coop: String,
    pub message: String,
    pub hours: i32,
}

/// Reads an `Offer{Commitment}` from `applicant`: the commitment must be theirs, its coop on
/// their host, the hours a number.
pub fn read_application(
    offer: &ApplicationOffer,
    applicant: &Actor,
) -> Result<ReceivedApplication, Error> {
    let bad = |why: &str| Error::BadRequest(format!("application {}: {why}", offer.id));
    let commitment = &offer.object;
    if commitment.attributed_to != applicant.ap_id || offer.actor != applicant.ap_id {
        return Err(bad("is attributed to another actor"));
    }
    if host_of(&commitment.coop) != host_of(&applicant.ap_id) {
        return Err(bad("names a coop on another host"));
    }
    if commitment.in_reply_to != offer.in_reply_to {
        return Err(bad("replies to two offers"));
    }
    let hours: u32 = commitment
        .effort_quantity
        .has_numerical_value
        .trim()
        .parse()
        .map_err(|_| bad("effortQuantity is not a whole number of hours"))?;
    rules::check_hours(hours).map_err(|e| bad(&format!("hours {e}")))?;
    Ok(ReceivedApplication {
        ap_id: offer.id.clone(),
        offer: offer.in_reply_to.clone(),
        coop: commitment.coop.clone(),
        message: commitment
            .details
            .trim()
            .chars()
            .take(rules::MAX_MESSAGE)
            .collect(),
        hours: i32::try_from(hours).unwrap_or(0),
    })
}

/// Stores an application to one of our open offers. A `network` offer takes applications
/// only from members of coops in our network. A known applicant's new Offer after a
/// withdrawal opens their application again; otherwise a repeat changes nothing.
pub fn store_application(
    conn: &mut AnyConnection,
    settings: &Settings,
    applicant: &Actor,
    received: &ReceivedApplication,
) -> Result<bool, DbError> {
    let Some(offer) = offers::by_ap_id(conn, &received.offer)?.filter(|o| o.local) else {
        return Ok(false);
    };
    if !status_now(&offer).is_open() {
        return Ok(false);
    }
    let coop = actors::by_ap_id(conn, &received.coop)?;
    let coop_in_network = match &coop {
        Some(coop) => in_network(conn, settings, coop.id)?,
        None => false,
    };
    if offer.audience == Visibility::Network && !coop_in_network {
        return Ok(false);
    }
    if let Some(existing) = offers::application_of(conn, offer.id, applicant.id)? {
        if existing.status == ApplicationStatus::Withdrawn {
            offers::reopen_application(
                conn,
                existing.id,
                &received.ap_id,
                &received.message,
                received.hours,
            )?;
            return Ok(true);
        }
        return Ok(false);
    }
    let now = cooperage_db::now();
    offers::insert_application(
        conn,
        &offers::NewApplication {
            ap_id: received.ap_id.clone(),
            offer_id: offer.id,
            applicant_actor_id: applicant.id,
            coop_actor_id: coop.map(|c| c.id),
            message: received.message.clone(),
            hours_available: received.hours,
            status: ApplicationStatus::Pending,
            created_at: now,
            updated_at: now,
        },
    )
}

/// The offering coop answered our member's application (by its Offer's id).
pub fn store_answer(
    conn: &mut AnyConnection,
    signer: &Actor,
    offer_activity: &str,
    accepted: bool,
) -> Result<bool, DbError> {
    let Some(application) = offers::application_by_ap_id(conn, offer_activity)? else {
        return Ok(false);
    };
    let Some(offer) = offers::by_id(conn, application.offer_id)? else {
        return Ok(false);
    };
    // Only the coop that published the offer answers, and only one of our members' applications.
    if offer.local || offer.coop_actor_id != signer.id {
        return Ok(false);
    }
    let status = if accepted {
        ApplicationStatus::Accepted
    } else {
        ApplicationStatus::Declined
    };
    offers::set_application_status(conn, application.id, status)?;
    Ok(true)
}

/// The applicant withdrew (Undo of their Offer).
pub fn store_withdrawal(
    conn: &mut AnyConnection,
    signer: &Actor,
    offer_activity: &str,
) -> Result<bool, DbError> {
    let Some(application) = offers::application_by_ap_id(conn, offer_activity)?
        .filter(|a| a.applicant_actor_id == signer.id)
    else {
        return Ok(false);
    };
    if application.status == ApplicationStatus::Withdrawn {
        return Ok(false);
    }
    offers::set_application_status(conn, application.id, ApplicationStatus::Withdrawn)?;
    Ok(true)
}
