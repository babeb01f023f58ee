//! The network's skill directory: what a member (candidates too) finds when asking "who in
//! our network can do what, and when".

use std::time::Duration;

use chrono::TimeDelta;
use cooperage_db::directory::{self, Availability, CoopFilter};
use cooperage_db::members::Member;
use cooperage_domain::skill::{self, Day, Level, WorkMode};

pub use cooperage_db::directory::{CoopRef, Hit, MemberRef, Page};

use crate::{App, Error};

/// Longest free-text query, in characters.
pub const MAX_QUERY: usize = 200;
/// Default page size.
pub const DEFAULT_LIMIT: i64 = 20;

/// Settings of the directory, from the config's `[directory]` section.
#[derive(Debug, Clone)]
pub struct DirectorySettings {
    /// Listings of a coop whose host has been unreachable this long are stale: marked and
    /// sorted last.
    pub stale_after: Duration,
}

impl Default for DirectorySettings {
    fn default() -> Self {
        Self {
            stale_after: Duration::from_secs(14 * 86_400),
        }
    }
}

/// A search as a member asks it: words as typed, checked here.
#[derive(Debug, Clone, Default)]
pub struct DirectoryQuery {
    /// Free text, matched against label, tags and description (word prefixes).
    pub q: Option<String>,
    /// Skills the listing must all have (as typed: "PostgreSQL", "C++").
    pub tags: Vec<String>,
    /// Skills of which the listing must have one.
    pub any_tags: Vec<String>,
    /// `learning`, `practitioner` or `expert`: at least this.
    pub level: Option<String>,
    pub min_hours: Option<i64>,
    /// `YYYY-MM-DD`: available on that day.
    pub available_on: Option<String>,
    /// `YYYY-MM-DD`: available at some time from this day (with `available_until`: within).
    pub available_from: Option<String>,
    pub available_until: Option<String>,
    /// `remote`, `on_site` or `hybrid`.
    pub work_mode: Option<String>,
    /// City or region: matches listings whose region starts with it.
    pub region: Option<String>,
    /// The coop: its actor id, `name@domain`, or our coop's handle alone.
    pub coop: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Searches the directory: our own listings of every visibility (only our members search
/// here) and the network's as we stored them.
pub async fn search(app: &App, member: &Member, query: DirectoryQuery) -> Result<Page<Hit>, Error> {
    if !cooperage_domain::member::can_log_in(member.status) {
        return Err(Error::Forbidden(format!(
            "this account is {}",
            member.status
        )));
    }
    let stale_after =
        TimeDelta::from_std(app.accounts().directory.stale_after).unwrap_or(TimeDelta::MAX);
    let stale_before = cooperage_db::now()
        .checked_sub_signed(stale_after)
        .unwrap_or(chrono::NaiveDateTime::MIN);
    let query = check(query, stale_before, &app.settings().domain)?;
    app.read(move |conn| directory::search(conn, &query)).await
}

/// Turns a member's query into the database's, or says which field to fix.
pub fn check(
    query: DirectoryQuery,
    stale_before: chrono::NaiveDateTime,
    our_domain: &str,
) -> Result<directory::Query, Error> {
    let mut checked = directory::Query::new(stale_before);
    checked.text = match non_empty(query.q) {
        None => None,
        Some(q) if q.chars().count() > MAX_QUERY => {
            return Err(Error::invalid(
                "q",
                format!("must be at most {MAX_QUERY} characters"),
            ));
        }
        Some(q) if directory::words(&q).is_empty() => {
            return Err(Error::invalid("q", "must contain a letter or digit"));
        }
        Some(q) => Some(q),
    };
    checked.all_tags = tags("tags", query.tags)?;
    checked.any_tags = tags("any_tags", query.any_tags)?;
    checked.min_level = non_empty(query.level)
        .map(|l| Level::parse(&l))
        .transpose()
        .map_err(|e| Error::invalid("level", e.to_string()))?;
    checked.work_mode = non_empty(query.work_mode)
        .map(|m| WorkMode::parse(&m))
        .transpose()
        .map_err(|e| Error::invalid("work_mode", e.to_string()))?;
    if let Some(hours) = query.min_hours {
        let hours = u32::try_from(hours).unwrap_or(0);
        skill::check_hours(hours).map_err(|e| Error::invalid("min_hours", e))?;
        checked.min_hours = Some(hours as i32);
    }
    let day = |field: &'static str, value: Option<String>| {
        non_empty(value)
            .map(|v| Day::parse(&v))
            .transpose()
            .map_err(|e| Error::invalid(field, e))
    };
    let on = day("available_on", query.available_on)?;
    let from = day("available_from", query.available_from)?;
    let until = day("available_until", query.available_until)?;
    checked.available = match (on, from, until) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(Error::invalid(
                "available_on",
                "give either available_on or available_from/available_until",
            ));
        }
        (Some(on), None, None) => Some(Availability::On(on)),
        (None, None, None) => None,
        (None, from, until) => {
            skill::check_window(from, until).map_err(|e| Error::invalid("available_until", e))?;
            Some(Availability::Overlapping { from, until })
        }
    };
    checked.region = match non_empty(query.region) {
        Some(r) if r.chars().count() > skill::MAX_REGION => {
            return Err(Error::invalid(
                "region",
                format!("must be at most {} characters", skill::MAX_REGION),
            ));
        }
        region => region,
    };
    checked.coop = non_empty(query.coop)
        .map(|c| coop(&c, our_domain))
        .transpose()?;
    checked.limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(limit) if (1..=directory::MAX_LIMIT).contains(&limit) => limit,
        Some(_) => {
            return Err(Error::invalid(
                "limit",
                format!("must be from 1 to {}", directory::MAX_LIMIT),
            ));
        }
    };
    checked.offset = match query.offset {
        None => 0,
        // Far past any directory's end; bounds the work of a deep page.
        Some(offset) if (0..=100_000).contains(&offset) => offset,
        Some(_) => return Err(Error::invalid("offset", "must be from 0 to 100000")),
    };
    Ok(checked)
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Skills as typed, to tags ("PostgreSQL" → `postgresql`).
fn tags(field: &'static str, typed: Vec<String>) -> Result<Vec<String>, Error> {
    let typed: Vec<String> = typed
        .into_iter()
        .filter_map(|t| non_empty(Some(t)))
        .collect();
    if typed.len() > skill::MAX_TAGS {
        return Err(Error::invalid(
            field,
            format!("at most {} tags", skill::MAX_TAGS),
        ));
    }
    let mut tags = Vec::with_capacity(typed.len());
    for t in typed {
        let tag = skill::tag(&t).map_err(|e| Error::invalid(field, format!("{t:?} {e}")))?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// A coop as a member names it: actor id, `name@domain` (with or without a leading `@`), or
/// our own coop's handle alone.
fn coop(named: &str, our_domain: &str) -> Result<CoopFilter, Error> {
    if named.starts_with("https://") || named.starts_with("http://") {
        return Ok(CoopFilter::ApId(named.to_owned()));
    }
    let handle = named.strip_prefix('@').unwrap_or(named);
    let (username, domain) = handle.split_once('@').unwrap_or((handle, our_domain));
    if username.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(Error::invalid(
            "coop",
            "must be a coop's actor id or handle (coop@example.org)",
        ));
    }
    Ok(CoopFilter::Handle {
        username: username.to_owned(),
        domain: domain.to_lowercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(query: DirectoryQuery) -> Option<&'static str> {
        match check(query, cooperage_db::now(), "coop.example") {
            Err(Error::Invalid { field, .. }) => Some(field),
            Err(e) => panic!("unexpected {e}"),
            Ok(_) => None,
        }
    }

    #[test]
    fn mistakes_name_their_field() {
        let text = |s: &str| Some(s.to_owned());
        for (query, field) in [
            (
                DirectoryQuery {
                    level: text("guru"),
                    ..Default::default()
                },
                "level",
            ),
            (
                DirectoryQuery {
                    work_mode: text("moon"),
                    ..Default::default()
                },
                "work_mode",
            ),
            (
                DirectoryQuery {
                    min_hours: Some(0),
                    ..Default::default()
                },
                "min_hours",
            ),
            (
                DirectoryQuery {
                    min_hours: Some(81),
                    ..Default::default()
                },
                "min_hours",
            ),
            (
                DirectoryQuery {
                    min_hours: Some(-5),
                    ..Default::default()
                },
                "min_hours",
            ),
            (
                DirectoryQuery {
                    limit: Some(0),
                    ..Default::default()
                },
                "limit",
            ),
            (
                DirectoryQuery {
                    limit: Some(101),
                    ..Default::default()
                },
                "limit",
            ),
            (
                DirectoryQuery {
                    offset: Some(-1),
                    ..Default::default()
                },
                "offset",
            ),
            (
                DirectoryQuery {
                    available_on: text("2027-02-30"),
                    ..Default::default()
                },
                "available_on",
            ),
            (
                DirectoryQuery {
                    available_from: text("tomorrow"),
                    ..Default::default()
                },
                "available_from",
            ),
            (
                DirectoryQuery {
                    available_from: text("2027-02-01"),
                    available_until: text("2027-01-01"),
                    ..Default::default()
                },
                "available_until",
            ),
            (
                DirectoryQuery {
                    available_on: text("2027-02-01"),
                    available_until: text("2027-03-01"),
                    ..Default::default()
                },
                "available_on",
            ),
            (
                DirectoryQuery {
                    q: text("--- !!"),
                    ..Default::default()
                },
                "q",
            ),
            (
                DirectoryQuery {
                    q: Some("x".repeat(201)),
                    ..Default::default()
                },
                "q",
            ),
            (
                DirectoryQuery {
                    tags: vec!["-!".into()],
                    ..Default::default()
                },
                "tags",
            ),
            (
                DirectoryQuery {
                    any_tags: vec!["a".into(); 11],
                    ..Default::default()
                },
                "any_tags",
            ),
            (
                DirectoryQuery {
                    coop: text("@"),
                    ..Default::default()
                },
                "coop",
            ),
        ] {
            assert_eq!(field_of(query.clone()), Some(field), "{query:?}");
        }
    }

    #[test]
    fn good_queries_are_read() {
        let query = DirectoryQuery {
            q: Some("  Gestaltung für ".into()),
            tags: vec!["PostgreSQL".into(), "postgresql".into(), " ".into()],
            level: Some("practitioner".into()),
            available_from: Some("2027-01-01".into()),
            coop: Some("@nord".into()),
            ..Default::default()
        };
        let checked = check(query, cooperage_db::now(), "coop.example").unwrap();
        assert_eq!(checked.text.as_deref(), Some("Gestaltung für"));
        assert_eq!(checked.all_tags, ["postgresql"]);
        assert_eq!(checked.min_level, Some(Level::Practitioner));
        assert_eq!(checked.limit, DEFAULT_LIMIT);
        assert_eq!(
            checked.coop,
            Some(CoopFilter::Handle {
                username: "nord".into(),
                domain: "coop.example".into()
            })
        );
        assert!(matches!(
            checked.available,
            Some(Availability::Overlapping {
                from: Some(_),
                until: None
            })
        ));
    }
}
