//! Skill listings: a member (candidates too) says what they can do, how well and when; the
//! listing reaches whom its visibility allows.

use cooperage_db::members::Member;
use cooperage_db::skills::{self, Listing, ListingForm};
use cooperage_domain::skill::{self as rules, Day, Level, Visibility, WorkMode};
use cooperage_federation::skills::{Change, queue_change, search_text};

use crate::{App, Error};

/// A listing as a member writes it; every field is checked, with errors naming the field.
#[derive(Debug, Clone, Default)]
pub struct ListingInput {
    /// The skill, free text ("PostgreSQL replication"); its tag is derived from it.
    pub skill: String,
    /// More tags (free text each, normalized like the skill).
    pub tags: Vec<String>,
    pub level: String,
    pub description: String,
    pub hours_per_week: u32,
    /// `YYYY-MM-DD`, or empty.
    pub available_from: Option<String>,
    pub available_until: Option<String>,
    pub work_mode: String,
    pub region: String,
    pub visibility: String,
}

/// The checked values of a listing.
struct Checked {
    label: String,
    tags: Vec<String>,
    level: Level,
    description: String,
    hours: u32,
    from: Option<Day>,
    until: Option<Day>,
    work_mode: WorkMode,
    region: String,
    visibility: Visibility,
}

fn check(input: ListingInput) -> Result<Checked, Error> {
    let label = input.skill.trim().to_owned();
    let primary = rules::tag(&label).map_err(|e| Error::invalid("skill", e.to_string()))?;
    let mut tags = vec![primary];
    for extra in &input.tags {
        let tag =
            rules::tag(extra).map_err(|e| Error::invalid("tags", format!("{extra:?} {e}")))?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > rules::MAX_TAGS + 1 {
        return Err(Error::invalid(
            "tags",
            format!("at most {} tags", rules::MAX_TAGS),
        ));
    }
    let level = rules::Level::parse(input.level.trim())
        .map_err(|e| Error::invalid("level", e.to_string()))?;
    let work_mode = WorkMode::parse(input.work_mode.trim())
        .map_err(|e| Error::invalid("work_mode", e.to_string()))?;
    let visibility = Visibility::parse(input.visibility.trim())
        .map_err(|e| Error::invalid("visibility", e.to_string()))?;
    let description = input.description.trim().to_owned();
    if description.chars().count() > rules::MAX_DESCRIPTION {
        return Err(Error::invalid(
            "description",
            format!("must be at most {} characters", rules::MAX_DESCRIPTION),
        ));
    }
    rules::check_hours(input.hours_per_week).map_err(|e| Error::invalid("hours_per_week", e))?;
    let day = |field: &'static str, value: &Option<String>| -> Result<Option<Day>, Error> {
        match value.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => Day::parse(text)
                .map(Some)
                .map_err(|e| Error::invalid(field, e)),
        }
    };
    let from = day("available_from", &input.available_from)?;
    let until = day("available_until", &input.available_until)?;
    rules::check_window(from, until).map_err(|e| Error::invalid("available_until", e))?;
    let region = input.region.trim().to_owned();
    if region.chars().count() > rules::MAX_REGION {
        return Err(Error::invalid(
            "region",
            format!("must be at most {} characters", rules::MAX_REGION),
        ));
    }
    Ok(Checked {
        label,
        tags,
        level,
        description,
        hours: input.hours_per_week,
        from,
        until,
        work_mode,
        region,
        visibility,
    })
}

fn form(checked: Checked, ap_id: String, actor_id: i64, coop_actor_id: i64) -> ListingForm {
    ListingForm {
        ap_id,
        actor_id,
        coop_actor_id: Some(coop_actor_id),
        local: true,
        search_text: search_text(&checked.label, &checked.tags, &checked.description),
        tags: skills::tags_column(&checked.tags),
        label: checked.label,
        level: checked.level,
        description: checked.description,
        hours_per_week: i32::try_from(checked.hours).unwrap_or(i32::MAX),
        available_from: checked.from.map(|d| d.to_string()),
        available_until: checked.until.map(|d| d.to_string()),
        work_mode: checked.work_mode,
        region: checked.region,
        visibility: checked.visibility,
        published: cooperage_db::now(),
        updated: None,
    }
}

/// Publishes a listing: stored, and sent to whom its visibility allows, in one transaction.
pub async fn publish(app: &App, member: &Member, input: ListingInput) -> Result<Listing, Error> {
    let checked = check(input)?;
    let actor_id = member.actor_id;
    app.write(move |conn, settings| {
        let (coop, _) = cooperage_federation::skills::network(conn, settings)?;
        let listing = skills::insert(
            conn,
            &form(checked, settings.new_object_id("skills"), actor_id, coop.id),
        )?;
        queue_change(conn, settings, &listing, Change::Created)?;
        Ok(listing)
    })
    .await
}

/// One of the member's own listings.
async fn own(app: &App, member: &Member, id: i64) -> Result<Listing, Error> {
    let listing = app
        .read(move |conn| skills::by_id(conn, id))
        .await?
        .filter(|l| l.local)
        .ok_or(Error::NotFound)?;
    if listing.actor_id != member.actor_id {
        return Err(Error::Forbidden("only its member changes a listing".into()));
    }
    Ok(listing)
}

/// A listing of this coop, for any of its members.
pub async fn show(app: &App, id: i64) -> Result<Listing, Error> {
    app.read(move |conn| skills::by_id(conn, id))
        .await?
        .filter(|l| l.local)
        .ok_or(Error::NotFound)
}

/// The member's own listings, newest first.
pub async fn mine(app: &App, member: &Member) -> Result<Vec<Listing>, Error> {
    let actor_id = member.actor_id;
    app.read(move |conn| skills::of_actor(conn, actor_id)).await
}

/// Changes a listing; whoever may no longer see it (visibility narrowed) gets a `Delete`,
/// the others an `Update`.
pub async fn update(
    app: &App,
    member: &Member,
    id: i64,
    input: ListingInput,
) -> Result<Listing, Error> {
    let before = own(app, member, id).await?;
    let checked = check(input)?;
    app.write(move |conn, settings| {
        let mut replacement = form(
            checked,
            before.ap_id.clone(),
            before.actor_id,
            before.coop_actor_id.unwrap_or_default(),
        );
        replacement.coop_actor_id = before.coop_actor_id;
        replacement.published = before.published;
        replacement.updated = Some(cooperage_db::now());
        let listing = skills::replace(conn, before.id, &replacement)?;
        queue_change(
            conn,
            settings,
            &listing,
            Change::Updated {
                before: before.visibility,
            },
        )?;
        Ok(listing)
    })
    .await
}

/// Removes a listing; everyone who could see it gets a `Delete`.
pub async fn delete(app: &App, member: &Member, id: i64) -> Result<(), Error> {
    let listing = own(app, member, id).await?;
    app.write(move |conn, settings| {
        queue_change(
            conn,
            settings,
            &listing,
            Change::Deleted {
                before: listing.visibility,
            },
        )?;
        skills::delete(conn, listing.id)?;
        Ok(())
    })
    .await
}

/// Inside a member's leaving: their listings go, from every directory.
pub(crate) fn withdraw_all(
    conn: &mut cooperage_db::AnyConnection,
    settings: &cooperage_federation::Settings,
    actor_id: i64,
) -> Result<(), Error> {
    for listing in skills::of_actor(conn, actor_id)? {
        queue_change(
            conn,
            settings,
            &listing,
            Change::Deleted {
                before: listing.visibility,
            },
        )?;
        skills::delete(conn, listing.id)?;
    }
    Ok(())
}
