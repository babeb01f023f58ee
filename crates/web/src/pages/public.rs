//! Public pages, what a link from Mastodon opens: the coop, a member, a skill listing, an
//! offer. Each carries OpenGraph tags and the `alternate` link to its ActivityPub document,
//! which the same URL serves to `Accept: application/activity+json`.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use cooperage_db::actors::{self, Actor};
use cooperage_db::offers::Offer;
use cooperage_db::skills::{self, Listing};
use cooperage_domain::skill::Visibility;
use cooperage_federation::offers::status_now;

use super::{Layout, OpenGraph, Visitor, answer, render};
use crate::{AppError, AppState};

/// How many listings and offers the coop's page shows.
const SHOWN: i64 = 100;

/// A listing as a page shows it.
pub struct ListingItem {
    pub url: String,
    pub label: String,
    pub level: String,
    /// Hours a week, as the page's language writes numbers.
    pub hours: String,
    pub description: String,
}

/// An offer as a list shows it.
pub struct OfferItem {
    pub url: String,
    pub title: String,
    pub skills: String,
}

/// A listing as the lists of listings show it.
pub fn listing_item(t: &super::Tr, listing: &Listing) -> ListingItem {
    ListingItem {
        url: listing.ap_id.clone(),
        label: listing.label.clone(),
        level: t.get(&format!("word-{}", listing.level.as_str())),
        hours: super::format::number(listing.hours_per_week.into(), t.lang),
        description: listing.description.clone(),
    }
}

fn offer_item(offer: &Offer) -> OfferItem {
    OfferItem {
        url: offer.ap_id.clone(),
        title: offer.title.clone(),
        skills: offer.skill_list().join(", "),
    }
}

/// The first `max` characters of `text` on one line, for a preview card.
fn summary(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max).collect();
    cut.push('…');
    cut
}

fn display_name(actor: &Actor) -> String {
    actor
        .display_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| actor.username.clone())
}

#[derive(Template)]
#[template(path = "coop.html")]
struct CoopPage {
    l: Layout,
    name: String,
    handle: String,
    about: String,
    listings: Vec<ListingItem>,
    offers: Vec<OfferItem>,
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    l: Layout,
    name: String,
    handle: String,
    about: String,
    listings: Vec<ListingItem>,
}

/// The profile page of a local actor: the coop with its public listings and open public
/// offers, or a member with their public listings.
pub async fn profile(state: &AppState, visitor: Visitor, actor: Actor) -> Response {
    answer(visitor, profile_page(state, visitor, actor).await)
}

async fn profile_page(
    state: &AppState,
    visitor: Visitor,
    actor: Actor,
) -> Result<Response, AppError> {
    let settings = state.federation.context().settings().clone();
    let t = visitor.tr();
    let name = display_name(&actor);
    let handle = format!("@{}@{}", actor.username, settings.domain);
    let about = actor.summary.clone().unwrap_or_default();
    let mut l = Layout::new(&visitor, name.clone());
    l.alternate = Some(actor.ap_id.clone());
    l.og = Some(OpenGraph {
        kind: "profile",
        title: format!("{name} ({handle})"),
        description: if about.is_empty() {
            handle.clone()
        } else {
            summary(&about, 200)
        },
        url: format!("{}/@{}", settings.base_url(), actor.username),
        site_name: settings.domain.clone(),
    });
    if actor.actor_type == actors::GROUP {
        // The same query as the coop's `skills` collection serves to anyone (public only).
        let (listings, offers) = state
            .db
            .run(|conn| {
                let listings = skills::local_visible(conn, &[Visibility::Public], 0, SHOWN)?;
                let offers: Vec<Offer> = cooperage_db::offers::open(conn)?
                    .into_iter()
                    .filter(|o| {
                        o.local && o.audience == Visibility::Public && status_now(o).is_open()
                    })
                    .take(SHOWN as usize)
                    .collect();
                Ok((listings, offers))
            })
            .await?;
        let page = CoopPage {
            l,
            name,
            handle,
            about,
            listings: listings.iter().map(|x| listing_item(&t, x)).collect(),
            offers: offers.iter().map(offer_item).collect(),
        };
        return Ok(render(&visitor, StatusCode::OK, &page));
    }
    let actor_id = actor.id;
    let listings = state
        .db
        .run(move |conn| skills::of_actor(conn, actor_id))
        .await?;
    let page = MemberPage {
        l,
        name,
        handle,
        about,
        listings: listings
            .iter()
            .filter(|x| x.visibility == Visibility::Public)
            .map(|x| listing_item(&t, x))
            .collect(),
    };
    Ok(render(&visitor, StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    l: Layout,
    listing: Listing,
    hours: String,
    /// `from – until`, as the page's language writes days.
    available: Option<String>,
    level: String,
    work_mode: String,
    author: String,
    author_url: String,
}

/// The page of a listing the visitor may see (the caller checked its visibility).
pub async fn listing(state: &AppState, visitor: Visitor, listing: Listing) -> Response {
    answer(visitor, listing_page(state, visitor, listing).await)
}

async fn listing_page(
    state: &AppState,
    visitor: Visitor,
    listing: Listing,
) -> Result<Response, AppError> {
    let author = actor(state, listing.actor_id).await?;
    let settings = state.federation.context().settings();
    let t = visitor.tr();
    let name = display_name(&author);
    let l = Layout::article(
        &visitor,
        listing.label.clone(),
        format!("{} – {name}", listing.label),
        summary(&listing.description, 200),
        &listing.ap_id,
        &settings.domain,
    );
    let day = |d: &str| super::format::date_text(d, t.lang);
    let page = ListingPage {
        l,
        hours: super::format::number(listing.hours_per_week.into(), t.lang),
        available: listing.available_from.as_deref().map(|from| {
            match listing.available_until.as_deref() {
                Some(until) => format!("{} – {}", day(from), day(until)),
                None => day(from),
            }
        }),
        level: t.get(&format!("word-{}", listing.level.as_str())),
        work_mode: t.get(&format!("word-{}", listing.work_mode.as_str())),
        author: t.with("listing-by", "name", &name),
        author_url: format!("{}/@{}", settings.base_url(), author.username),
        listing,
    };
    Ok(render(&visitor, StatusCode::OK, &page))
}

/// An actor we know, by its row.
async fn actor(state: &AppState, id: i64) -> Result<Actor, AppError> {
    Ok(state.db.run(move |conn| actors::by_id(conn, id)).await?)
}

#[derive(Template)]
#[template(path = "offer.html")]
struct OfferPage {
    l: Layout,
    offer: Offer,
    by: String,
    coop_url: String,
    skills: String,
    status: String,
    compensation: String,
    hours: String,
    deadline: Option<String>,
}

/// The page of an offer the visitor may see (the caller checked its audience).
pub async fn offer(state: &AppState, visitor: Visitor, offer: Offer) -> Response {
    answer(visitor, offer_page(state, visitor, offer).await)
}

async fn offer_page(
    state: &AppState,
    visitor: Visitor,
    offer: Offer,
) -> Result<Response, AppError> {
    let coop = actor(state, offer.coop_actor_id).await?;
    let settings = state.federation.context().settings();
    let t = visitor.tr();
    let coop_name = display_name(&coop);
    let l = Layout::article(
        &visitor,
        offer.title.clone(),
        format!("{} – {coop_name}", offer.title),
        summary(&offer.description, 200),
        &offer.ap_id,
        &settings.domain,
    );
    let page = OfferPage {
        l,
        by: t.with("offer-by", "coop", &coop_name),
        coop_url: format!("{}/@{}", settings.base_url(), coop.username),
        skills: offer.skill_list().join(", "),
        status: t.get(&format!("word-{}", status_now(&offer).as_str())),
        compensation: t.get(&format!("word-{}", offer.compensation.as_str())),
        hours: super::format::number(offer.estimated_hours.into(), t.lang),
        deadline: offer
            .application_deadline
            .as_deref()
            .map(|d| super::format::date_text(d, t.lang)),
        offer,
    };
    Ok(render(&visitor, StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    #[test]
    fn summaries_are_one_short_line() {
        assert_eq!(super::summary("a\n b", 10), "a b");
        assert_eq!(super::summary("abcdef", 3), "abc…");
    }
}
