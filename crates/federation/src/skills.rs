//! Skill listings across the network: who gets a listing (by its visibility), what a change
//! of visibility takes back, reading listings other coops send, and filling the directory
//! from a coop that joined the network (backfill, both ways).

use cooperage_db::actors::{self, Actor};
use cooperage_db::skills::{self, Listing, ListingForm};
use cooperage_db::{AnyConnection, DbError, follows};
use cooperage_domain::skill::{self as rules, Day, Level, Visibility, WorkMode};
use serde_json::Value;

use crate::audience::{Audience, parse_time};
use crate::outbox::Outgoing;
use crate::protocol::note::Tag;
use crate::protocol::skill::{self, ListingNote};
use crate::protocol::to_json;
use crate::settings::host_of;
use crate::{Data, Error, Settings};

pub use crate::audience::{Change, in_network, network};

/// Queues what a change of a local listing means for each audience, inside the caller's
/// transaction: `Create`/`Update` for those who may see it, `Delete` for those who saw it
/// and no longer may, and the coop's `Announce` when it becomes public.
pub fn queue_change(
    conn: &mut AnyConnection,
    settings: &Settings,
    listing: &Listing,
    change: Change,
) -> Result<(), DbError> {
    let member = actors::by_id(conn, listing.actor_id)?;
    let (coop, network) = network(conn, settings)?;
    let network_ids: Vec<String> = network.iter().map(|c| c.ap_id.clone()).collect();
    let audience = Audience::load(conn, member.id, &network)?;
    let (before, now) = change.span(listing.visibility);
    // Who loses sight of it: everyone who saw it and may not now.
    let gone = audience.gone(before, now);
    if !gone.is_empty() {
        let id = settings.new_activity_id();
        let delete = skill::delete_listing(
            settings,
            &id,
            &listing.ap_id,
            &member,
            (vec![crate::protocol::PUBLIC.to_owned()], Vec::new()),
        );
        Outgoing {
            json: to_json(&delete),
            id,
            kind: "Delete",
            actor_id: member.id,
            public: false,
            inboxes: gone,
        }
        .enqueue(conn)?;
    }
    let Some(now) = now.filter(|v| *v != Visibility::Coop) else {
        return Ok(());
    };
    let note = skill::listing_to_note(
        settings,
        listing,
        &member,
        &coop,
        skill::audience(&member, now, &network_ids),
    );
    // Someone who never saw it gets a Create; the others an Update.
    let (activity, kind) = if before == Visibility::Coop || change == Change::Created {
        (
            skill::create_listing(&settings.new_activity_id(), note),
            "Create",
        )
    } else {
        (
            skill::update_listing(&settings.new_activity_id(), note),
            "Update",
        )
    };
    Outgoing {
        json: to_json(&activity),
        id: activity.id.clone(),
        kind,
        actor_id: member.id,
        public: now == Visibility::Public,
        inboxes: audience.inboxes_for(now),
    }
    .enqueue(conn)?;
    if now == Visibility::Public && before != Visibility::Public {
        announce(conn, settings, &coop, &listing.ap_id)?;
    }
    Ok(())
}

/// The coop boosts a public listing to its own followers.
fn announce(
    conn: &mut AnyConnection,
    settings: &Settings,
    coop: &Actor,
    object: &str,
) -> Result<(), DbError> {
    let inboxes = follows::follower_inboxes(conn, coop.id)?;
    let id = settings.new_activity_id();
    let announce = skill::coop_announces(&id, coop, object);
    Outgoing {
        json: to_json(&announce),
        id,
        kind: "Announce",
        actor_id: coop.id,
        public: true,
        inboxes,
    }
    .enqueue(conn)
}

/// A local listing as its Note, addressed for its visibility (served at its id and in the
/// coop's `skills` collection).
pub fn note_of(
    conn: &mut AnyConnection,
    settings: &Settings,
    listing: &Listing,
) -> Result<ListingNote, DbError> {
    let member = actors::by_id(conn, listing.actor_id)?;
    let (coop, network) = network(conn, settings)?;
    let network_ids: Vec<String> = network.iter().map(|c| c.ap_id.clone()).collect();
    Ok(skill::listing_to_note(
        settings,
        listing,
        &member,
        &coop,
        skill::audience(&member, listing.visibility, &network_ids),
    ))
}

/// Sends a coop that just joined our network every listing it may now see (`Create`s to
/// its inbox), inside the caller's transaction.
pub fn queue_listings_for(
    conn: &mut AnyConnection,
    settings: &Settings,
    peer: &Actor,
) -> Result<usize, DbError> {
    let listings =
        skills::local_visible(conn, &[Visibility::Network, Visibility::Public], 0, 10_000)?;
    // This runs inside the inbox's batch: the network is read once, not once per listing.
    let (coop, network) = network(conn, settings)?;
    let network_ids: Vec<String> = network.iter().map(|c| c.ap_id.clone()).collect();
    let mut members = std::collections::HashMap::new();
    for listing in &listings {
        let member = match members.get(&listing.actor_id) {
            Some(member) => member,
            None => members
                .entry(listing.actor_id)
                .or_insert(actors::by_id(conn, listing.actor_id)?),
        };
        let note = skill::listing_to_note(
            settings,
            listing,
            member,
            &coop,
            skill::audience(member, listing.visibility, &network_ids),
        );
        let activity = skill::create_listing(&settings.new_activity_id(), note);
        Outgoing {
            json: to_json(&activity),
            id: activity.id.clone(),
            kind: "Create",
            actor_id: listing.actor_id,
            public: false,
            inboxes: vec![peer.delivery_inbox().to_owned()],
        }
        .enqueue(conn)?;
    }
    Ok(listings.len())
}

/// A listing another instance sent, checked without the database: the row to store (its
/// `coop_actor_id` still to be looked up) and the coop's id.
pub struct Received {
    pub form: ListingForm,
    pub coop: String,
}

/// Reads a listing Note from `author`, refusing what its author could not have published:
/// an id or coop on another host, someone else's name on it, or values out of range.
pub fn read_note(note: &ListingNote, author: &Actor) -> Result<Received, Error> {
    let bad = |why: String| Error::BadRequest(format!("skill listing {}: {why}", note.id));
    let host = host_of(&author.ap_id);
    if host_of(&note.id) != host || host_of(&note.coop) != host {
        return Err(bad("is not on its author's host".into()));
    }
    if note.attributed_to != author.ap_id {
        return Err(bad("is attributed to another actor".into()));
    }
    let primary = rules::tag(&note.skill).map_err(|e| bad(format!("skill {e}")))?;
    let mut tags = vec![primary];
    for tag in &note.tag {
        if let Tag::Hashtag { name, .. } = tag
            && let Ok(tag) = rules::tag(name.trim_start_matches('#'))
            && !tags.contains(&tag)
            && tags.len() <= rules::MAX_TAGS
        {
            tags.push(tag);
        }
    }
    let level = Level::parse(&note.level).map_err(|e| bad(e.to_string()))?;
    let work_mode = WorkMode::parse(&note.work_mode).map_err(|e| bad(e.to_string()))?;
    let visibility = Visibility::parse(&note.visibility).map_err(|e| bad(e.to_string()))?;
    if visibility == Visibility::Coop {
        return Err(bad("a coop-only listing is not sent to other coops".into()));
    }
    rules::check_hours(note.hours_per_week).map_err(|e| bad(format!("hoursPerWeek {e}")))?;
    let day = |d: &Option<String>| -> Result<Option<Day>, Error> {
        d.as_deref()
            .map(|d| Day::parse(d).map_err(|e| bad(format!("date {d} {e}"))))
            .transpose()
    };
    let (from, until) = (day(&note.available_from)?, day(&note.available_until)?);
    rules::check_window(from, until).map_err(|e| bad(format!("availableUntil {e}")))?;
    // The HTML is ours to write: only the structured fields are kept, as plain text.
    let text = |s: &str, max: usize| s.chars().take(max).collect::<String>();
    let label = text(note.skill.trim(), rules::MAX_LABEL);
    let description = text(note.details.trim(), rules::MAX_DESCRIPTION);
    let region = text(
        note.region.as_deref().unwrap_or_default().trim(),
        rules::MAX_REGION,
    );
    let published = parse_time(&note.published).unwrap_or_else(cooperage_db::now);
    let updated = note.updated.as_deref().and_then(parse_time);
    Ok(Received {
        form: ListingForm {
            ap_id: note.id.clone(),
            actor_id: author.id,
            coop_actor_id: None,
            local: false,
            search_text: search_text(&label, &tags, &description),
            tags: skills::tags_column(&tags),
            label,
            level,
            description,
            hours_per_week: i32::try_from(note.hours_per_week).unwrap_or(0),
            available_from: from.map(|d| d.to_string()),
            available_until: until.map(|d| d.to_string()),
            work_mode,
            region,
            visibility,
            published,
            updated,
        },
        coop: note.coop.clone(),
    })
}

/// The text the directory searches: label, tags and description, folded.
pub fn search_text(label: &str, tags: &[String], description: &str) -> String {
    rules::fold(&format!("{label} {} {description}", tags.join(" ")))
}

/// Stores a received listing if we may keep it: `network` listings only from a coop in our
/// network; `public` ones also when someone here follows the member or the coop. Returns
/// whether it was stored.
pub fn store_received(
    conn: &mut AnyConnection,
    settings: &Settings,
    received: &Received,
) -> Result<bool, DbError> {
    let coop = actors::by_ap_id(conn, &received.coop)?;
    let in_network = match &coop {
        Some(coop) => in_network(conn, settings, coop.id)?,
        None => false,
    };
    let allowed = in_network
        || (received.form.visibility == Visibility::Public
            && (follows::has_local_follower(conn, received.form.actor_id)?
                || match &coop {
                    Some(coop) => follows::has_local_follower(conn, coop.id)?,
                    None => false,
                }));
    if !allowed {
        return Ok(false);
    }
    let form = ListingForm {
        coop_actor_id: coop.map(|c| c.id),
        ..received.form.clone()
    };
    skills::upsert_remote(conn, &form)
}

/// Pulls the listings of a coop in our network from its `skills` collection (signed GETs:
/// the coop shows a network peer its `network` listings too) and stores them.
pub async fn backfill(data: &Data, coop_ap_id: &str) -> Result<usize, Error> {
    let collection = format!("{coop_ap_id}/skills");
    let mut next = Some(format!("{collection}?page=1"));
    let mut stored = 0;
    let mut pages = 0;
    while let Some(page_url) = next.take() {
        pages += 1;
        if pages > 100 || host_of(&page_url) != host_of(coop_ap_id) {
            break;
        }
        let url = url::Url::parse(&page_url).map_err(|e| Error::BadRequest(e.to_string()))?;
        let page = activitypub_federation::fetch::fetch_object_http::<_, Value>(&url, data)
            .await?
            .object;
        next = page.get("next").and_then(Value::as_str).map(str::to_owned);
        let items = page
            .get("orderedItems")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for item in items {
            let Ok(note) = serde_json::from_value::<ListingNote>(item) else {
                continue;
            };
            if note.coop_kind != skill::KIND {
                continue;
            }
            let author = activitypub_federation::fetch::object_id::ObjectId::<
                crate::objects::ApubActor,
            >::parse(&note.attributed_to)
            .map_err(|e| Error::BadRequest(e.to_string()))?
            .dereference(data)
            .await?
            .row;
            let received = match read_note(&note, &author) {
                Ok(received) => received,
                Err(error) => {
                    tracing::debug!(%error, "skipping a listing from a backfill");
                    continue;
                }
            };
            let settings = data.settings().clone();
            if data
                .db()
                .write(move |conn| store_received(conn, &settings, &received))
                .await?
            {
                stored += 1;
            }
        }
    }
    Ok(stored)
}
