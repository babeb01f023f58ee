//! The network's skill directory: a search form (GET, so a search is a link to share) and
//! its results, a page at a time. The query is read like the API's (`api::directory::parse`)
//! and searched by the API's operation (`cooperage_app::directory::search`).

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use cooperage_app::directory::{self, Hit};

use super::signed_in::{Choice, PROBLEM, SignedIn, choices, form_problem};
use super::{Layout, format, render};
use crate::AppState;
use crate::api::directory::parse;

/// The directory route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/directory", get(search))
}

/// The form's fields, as the query string gave them (shown again in the form).
#[derive(Default)]
struct Asked {
    q: String,
    tags: String,
    level: String,
    min_hours: String,
    available_on: String,
    work_mode: String,
    region: String,
    coop: String,
}

/// One result.
struct Row {
    label: String,
    member: String,
    member_url: String,
    coop: String,
    facts: String,
    region: String,
    available: String,
    description: String,
    stale: bool,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    l: Layout,
    asked: Asked,
    levels: Vec<Choice>,
    work_modes: Vec<Choice>,
    /// Whether a search was made (any field given): results are shown only then.
    searched: bool,
    rows: Vec<Row>,
    count: String,
    previous: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

/// The query's pairs that mean something to the search: empty fields (an untouched form)
/// and the language switch dropped.
fn search_pairs(raw: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.as_bytes())
        .filter(|(name, value)| name != "lang" && !value.trim().is_empty())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn query_string(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The same search at another offset.
fn page_link(pairs: &[(String, String)], offset: i64) -> String {
    let mut pairs: Vec<(String, String)> = pairs
        .iter()
        .filter(|(n, _)| n != "offset")
        .cloned()
        .collect();
    if offset > 0 {
        pairs.push(("offset".into(), offset.to_string()));
    }
    format!("/directory?{}", query_string(&pairs))
}

fn row(t: &super::Tr, hit: &Hit) -> Row {
    let listing = &hit.listing;
    let day = |text: &Option<String>| {
        text.as_deref()
            .map(|d| format::date_text(d, t.lang))
            .unwrap_or_default()
    };
    let available = match (&listing.available_from, &listing.available_until) {
        (None, None) => String::new(),
        (from, until) => format!("{} – {}", day(from), day(until)),
    };
    Row {
        label: listing.label.clone(),
        member: format!("{} (@{})", hit.member.display_name, hit.member.handle()),
        member_url: hit.member.actor_id.clone(),
        coop: hit
            .coop
            .as_ref()
            .map(|c| format!("{} (@{})", c.name, c.handle()))
            .unwrap_or_default(),
        facts: format!(
            "{} · {} h · {}",
            t.get(&format!("word-{}", listing.level.as_str())),
            format::number(listing.hours_per_week.into(), t.lang),
            t.get(&format!("word-{}", listing.work_mode.as_str())),
        ),
        region: listing.region.clone(),
        available,
        description: listing.description.clone(),
        stale: hit.stale,
    }
}

/// `GET /directory?q=…&tags=…&level=…&min_hours=…&available_on=…&work_mode=…&region=…&coop=…`.
async fn search(State(state): State<AppState>, me: SignedIn, RawQuery(raw): RawQuery) -> Response {
    let t = me.tr();
    let pairs = search_pairs(raw.as_deref().unwrap_or_default());
    let given = |name: &str| {
        pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let asked = Asked {
        q: given("q"),
        tags: given("tags"),
        level: given("level"),
        min_hours: given("min_hours"),
        available_on: given("available_on"),
        work_mode: given("work_mode"),
        region: given("region"),
        coop: given("coop"),
    };
    let mut page = DirectoryPage {
        l: me.layout(t.get("directory-title")),
        levels: choices(
            &t,
            "word",
            &["learning", "practitioner", "expert"],
            &asked.level,
        ),
        work_modes: choices(
            &t,
            "word",
            &["remote", "on_site", "hybrid"],
            &asked.work_mode,
        ),
        asked,
        searched: !pairs.is_empty(),
        rows: Vec::new(),
        count: String::new(),
        previous: None,
        next: None,
        error: None,
    };
    if pairs.is_empty() {
        return render(&me.visitor, StatusCode::OK, &page);
    }
    let found = match parse(&query_string(&pairs)) {
        Ok(query) => {
            let offset = query.offset.unwrap_or(0);
            let limit = query.limit.unwrap_or(directory::DEFAULT_LIMIT);
            directory::search(&state.app, &me.member, query)
                .await
                .map(|found| (found, offset, limit))
                .map_err(Into::into)
        }
        Err(error) => Err(error),
    };
    match found {
        Ok((found, offset, limit)) => {
            page.rows = found.items.iter().map(|hit| row(&t, hit)).collect();
            page.count = t.with(
                if found.total_exact {
                    "directory-count"
                } else {
                    "directory-count-at-least"
                },
                "count",
                &format::number(found.total, t.lang),
            );
            page.next = found.next_offset.map(|next| page_link(&pairs, next));
            page.previous = (offset > 0).then(|| page_link(&pairs, (offset - limit).max(0)));
            render(&me.visitor, StatusCode::OK, &page)
        }
        Err(error) => {
            let shown = form_problem(&t, error).map(|problem| {
                page.error = Some(problem);
                render(&me.visitor, PROBLEM, &page)
            });
            me.finish(shown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untouched_form_and_the_language_switch_are_not_a_search() {
        assert!(search_pairs("q=&level=&lang=de").is_empty());
        let pairs = search_pairs("q=rust&tags=&offset=20");
        assert_eq!(page_link(&pairs, 40), "/directory?q=rust&offset=40");
        assert_eq!(page_link(&pairs, 0), "/directory?q=rust");
    }
}
