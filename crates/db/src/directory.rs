//! The network's skill directory: our listings and those our network sent us, searched with
//! each database's own full-text search (FTS5 on SQLite, a stored, GIN-indexed `tsvector`
//! on PostgreSQL), filtered, ranked, and paged in one query.
//!
//! The SQL is assembled from fixed fragments; every value the searcher gave goes in as a bind
//! parameter. Text search terms are additionally reduced to `[a-z0-9]`, so the FTS5 and
//! tsquery syntaxes never see anything but words built here.

use chrono::NaiveDateTime;
use cooperage_domain::skill::{Day, Level, Visibility, WorkMode, fold};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamp};

use crate::skills::Listing;
use crate::{AnyConnection, DbError};

/// Most words of free text a search uses; the rest are ignored (each word is one more index
/// lookup, and a dozen already narrow any directory to a handful).
pub const MAX_WORDS: usize = 8;
/// Largest page.
pub const MAX_LIMIT: i64 = 100;
/// Searches count their matches up to this many (counting further means reading every
/// match); a page beyond it counts exactly.
pub const COUNT_CAP: i64 = 1_000;
/// On SQLite, a search with words that match at most this many listings in the full-text
/// index ranks every match (text relevance costs a few microseconds a match). Beyond it, see
/// [`BROAD_MATCHES`].
pub const RANKED_IN_FULL: i64 = 3_000;
/// On SQLite, a search without words whose tags and region match at most this many listings
/// in the full-text index reads every match (no text relevance: about a microsecond a
/// match); beyond it, it walks the newest listings and stops at the page.
pub const FILTERS_READ_IN_FULL: i64 = 10_000;
/// A search whose words match more than [`RANKED_IN_FULL`] listings (a short prefix like
/// `pro` matches a third of a large directory) ranks only the newest this many of its
/// matches, by label hits then newest, without text relevance (SQLite): ranking every match
/// costs time in proportion to the matches, and the first page of a search this broad is the
/// same. Its total then reads "at least". A search by tags alone needs no text relevance:
/// it lists its matches newest first, like a search without words, exactly.
pub const BROAD_MATCHES: i64 = 1_000;

/// When a listing must be available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// On this day: `from ≤ day ≤ until`, an open end counting as always.
    On(Day),
    /// At some time in this window (either end open): the listing's window overlaps it.
    Overlapping {
        from: Option<Day>,
        until: Option<Day>,
    },
}

/// Which coop's listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoopFilter {
    /// The coop actor's ActivityPub id.
    ApId(String),
    /// The coop actor's `username@domain`.
    Handle { username: String, domain: String },
}

/// A directory search. Text and region are matched folded (case and accents ignored).
#[derive(Debug, Clone)]
pub struct Query {
    /// Free text: every word must start a word of the label, tags or description.
    pub text: Option<String>,
    /// Tags the listing must all have.
    pub all_tags: Vec<String>,
    /// Tags of which the listing must have at least one.
    pub any_tags: Vec<String>,
    pub min_level: Option<Level>,
    pub min_hours: Option<i32>,
    pub available: Option<Availability>,
    pub work_mode: Option<WorkMode>,
    /// City or region: the listing's starts with it.
    pub region: Option<String>,
    pub coop: Option<CoopFilter>,
    /// Page size, 1 to [`MAX_LIMIT`] (clamped).
    pub limit: i64,
    pub offset: i64,
    /// Listings of coops whose host has failed every delivery since before this are stale:
    /// marked and sorted last.
    pub stale_before: NaiveDateTime,
}

impl Query {
    /// A query that matches everything, first page of 20.
    pub fn new(stale_before: NaiveDateTime) -> Self {
        Self {
            text: None,
            all_tags: Vec::new(),
            any_tags: Vec::new(),
            min_level: None,
            min_hours: None,
            available: None,
            work_mode: None,
            region: None,
            coop: None,
            limit: 20,
            offset: 0,
            stale_before,
        }
    }
}

/// The member who published a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRef {
    /// Display name, or the username when they have none.
    pub display_name: String,
    pub username: String,
    pub domain: String,
    /// The member's actor id.
    pub actor_id: String,
}

impl MemberRef {
    /// `username@domain`.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.username, self.domain)
    }
}

/// The coop that vouches for the member.
#[derive(Debug, Clone, PartialEq)]
pub struct CoopRef {
    pub name: String,
    pub username: String,
    pub domain: String,
    /// The coop actor's id.
    pub actor_id: String,
}

impl CoopRef {
    /// `username@domain`.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.username, self.domain)
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub listing: Listing,
    pub member: MemberRef,
    pub coop: Option<CoopRef>,
    /// The coop's host has been unreachable for longer than the configured time.
    pub stale: bool,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many match in all; when `total_exact` is false, at least this many (a search
    /// counts up to [`COUNT_CAP`]: counting further means reading every match).
    pub total: i64,
    pub total_exact: bool,
    /// Offset of the next page, if there is one.
    pub next_offset: Option<i64>,
}

/// The words of a text search: folded, split at anything but `[a-z0-9]`, at most
/// [`MAX_WORDS`]. The only text of the searcher's that reaches FTS5 or tsquery syntax.
/// Words are matched as prefixes (`postg` finds PostgreSQL), except a single letter, which
/// is a whole word (`C` finds C and C++, not every word that starts with c).
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(str::to_owned)
        .collect()
}

/// Whether a tag can also be looked up in the full-text index (it is one plain word there).
fn indexable(tag: &str) -> bool {
    !tag.is_empty()
        && tag
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Searches the directory.
pub fn search(conn: &mut AnyConnection, query: &Query) -> Result<Page<Hit>, DbError> {
    let backend = match conn {
        AnyConnection::Sqlite(_) => Sql::Sqlite,
        AnyConnection::Postgresql(_) => Sql::Postgres,
    };
    if let AnyConnection::Sqlite(c) = conn {
        // SQLite's lower() knows ASCII only: the region filter folds with our own function.
        cooperage_fold_utils::register_impl(c, |text: String| fold(&text))?;
        // A search reads tens of thousands of index entries: mapped, they come from the OS
        // page cache without a read() and a copy per page (the default page cache of 2 MB
        // per connection holds little of a large directory). Set here, not for every
        // connection: on the write path (the inbox) the mapping cost ~15% of throughput in
        // `loadgen inbox`, as the growing file is remapped. 256 MiB of address space.
        diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA mmap_size = 268435456")?;
    }
    let limit = query.limit.clamp(1, MAX_LIMIT);
    let offset = query.offset.max(0);
    if full_text_terms(query, backend).is_empty() {
        return newest(conn, backend, query, limit, offset);
    }
    // PostgreSQL ranks every match (its GIN index and planner serve that well); SQLite
    // looks at how many listings the index matches first.
    if backend == Sql::Postgres {
        return ranked(
            conn,
            backend,
            query,
            limit,
            offset,
            Candidates::Matches,
            false,
        );
    }
    let has_words = query.text.as_deref().is_some_and(|t| !words(t).is_empty());
    let in_full = if has_words {
        RANKED_IN_FULL
    } else {
        FILTERS_READ_IN_FULL
    };
    let matches = matches_up_to(conn, query, in_full.max(ESTIMATED_UP_TO))?;
    if matches <= in_full {
        // With words every match is scored anyway: counted in the same pass.
        ranked(
            conn,
            backend,
            query,
            limit,
            offset,
            Candidates::Matches,
            has_words,
        )
    } else if has_words {
        let candidates = if ranking_costs_less(conn, query, matches)? {
            Candidates::Matches
        } else {
            Candidates::Newest
        };
        ranked(conn, backend, query, limit, offset, candidates, true)
    } else {
        // Tags and region alone rank nothing: newest first, the full-text index a filter.
        newest(conn, backend, query, limit, offset)
    }
}

/// How many listings the words, tags and region alone match, up to `cap + 1`: one look at
/// the full-text index (its document lists only, no listing read).
fn matches_up_to(conn: &mut AnyConnection, query: &Query, cap: i64) -> Result<i64, DbError> {
    let mut sql = Builder::new(Sql::Sqlite);
    let terms = sql.bind(Value::Text(
        full_text_terms(query, Sql::Sqlite).join(" AND "),
    ));
    let text = format!(
        "SELECT COUNT(*) AS total FROM (SELECT 1 AS one FROM skill_listings_fts \
         WHERE skill_listings_fts MATCH {terms} LIMIT {}) counted",
        cap + 1
    );
    Ok(sql
        .load::<CountRow>(conn, &text)?
        .first()
        .map_or(0, |c| c.total))
}

/// Matches are counted this far to weigh ranking them all against a walk (beyond, the walk).
const ESTIMATED_UP_TO: i64 = 30_000;
/// Listings of the newest that show how many pass the filters other than words.
const SAMPLE: i64 = 500;

/// For words that match more than [`RANKED_IN_FULL`] listings (at most [`ESTIMATED_UP_TO`]):
/// whether ranking every match costs less than walking the newest listings until
/// [`BROAD_MATCHES`] candidates pass. The walk wins unless the other filters pass few
/// listings: then it reads most of the index to find its candidates. Estimated from how many
/// of the newest [`SAMPLE`] listings pass them, with costs per listing measured on SQLite
/// (`benches/directory.rs`): ranking reads each match's row (~0.9 µs) and scores and sorts
/// those that pass (~3 µs); the walk builds the match set (~0.2 µs a match), reads index
/// entries (~0.12 µs) and looks up those that pass in the set (~0.5 µs).
fn ranking_costs_less(
    conn: &mut AnyConnection,
    query: &Query,
    matches: i64,
) -> Result<bool, DbError> {
    let others = Query {
        text: None,
        all_tags: Vec::new(),
        any_tags: Vec::new(),
        region: None,
        ..query.clone()
    };
    let filtered = others.min_level.is_some()
        || others.min_hours.is_some()
        || others.available.is_some()
        || others.work_mode.is_some()
        || others.coop.is_some();
    if !filtered || matches > ESTIMATED_UP_TO {
        return Ok(false);
    }
    let mut sql = Builder::new(Sql::Sqlite);
    let plan = sql.plan_with(&others, Candidates::Filtered);
    let text = format!(
        "SELECT COUNT(*) AS total FROM (SELECT l.* FROM skill_listings l INDEXED BY \
         skill_listings_newest ORDER BY l.published DESC, l.id DESC LIMIT {SAMPLE}) l WHERE {}",
        plan.filters
    );
    let passed = sql
        .load::<CountRow>(conn, &text)?
        .first()
        .map_or(0, |c| c.total);
    let listings = Builder::new(Sql::Sqlite)
        .load::<CountRow>(
            conn,
            "SELECT COALESCE(MAX(id), 0) AS total FROM skill_listings",
        )?
        .first()
        .map_or(0, |c| c.total) as f64;
    let (matches, pass) = (matches as f64, passed.max(1) as f64 / SAMPLE as f64);
    let ranking = matches * (0.9 + 3.0 * pass);
    let walked = listings.min(BROAD_MATCHES as f64 * listings / (pass * matches));
    let walking = 0.2 * matches + walked * (0.12 + 0.5 * pass);
    Ok(ranking < walking)
}

/// Where a search with words or tags takes the listings it ranks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Candidates {
    /// Every listing the full-text index matches, ranked with text relevance.
    Matches,
    /// The newest [`BROAD_MATCHES`] matches, read along the `skill_listings_newest` index
    /// (which also holds the filters' columns); no text relevance. SQLite only.
    Newest,
    /// The listings table, the full-text match one filter among the others (the newest
    /// walk of a search by tags alone).
    Filtered,
}

/// With words, tags or a region: the candidates are filtered and ranked, and the page read.
/// `count_in_page`: the matches that pass are counted in the same query (a window count,
/// which sorts every one of them: for few, or for a broad search's at most
/// [`BROAD_MATCHES`]); otherwise on their own, up to [`COUNT_CAP`] like a search without
/// words, and the page is a top-N sort.
fn ranked(
    conn: &mut AnyConnection,
    backend: Sql,
    query: &Query,
    limit: i64,
    offset: i64,
    candidates: Candidates,
    count_in_page: bool,
) -> Result<Page<Hit>, DbError> {
    let broad = candidates == Candidates::Newest;
    let mut sql = Builder::new(backend);
    let stale = sql.stale(query.stale_before);
    let plan = sql.plan_with(query, candidates);
    // Stale last; then words in the label, text relevance, newest.
    let order = |of: &str| {
        format!("{of}stale, {of}label_hits DESC, {of}rank, {of}published DESC, {of}pid DESC")
    };
    // In two steps: SQLite's bm25() is not available in a query that also has a window
    // function, so a window count is taken on the matches' sort keys.
    let matched = |stale: &str, plan: &Plan| {
        format!(
            "WITH matched AS (SELECT l.id AS pid, l.published AS published, {stale} AS stale, \
             {} AS label_hits, {} AS rank FROM {} WHERE {})",
            plan.label_hits, plan.rank, plan.from, plan.filters
        )
    };
    let total = if count_in_page || broad {
        "COUNT(*) OVER ()"
    } else {
        "CAST(0 AS BIGINT)"
    };
    let mut text = format!(
        "{}, page AS (SELECT pid, published, stale, label_hits, rank, {total} AS total \
         FROM matched ORDER BY {} ",
        matched(&stale, &plan),
        order("")
    );
    text.push_str(&format!(
        "LIMIT {} OFFSET {}) ",
        sql.bind(Value::BigInt(limit)),
        sql.bind(Value::BigInt(offset))
    ));
    text.push_str(&format!(
        "SELECT {HIT_COLUMNS}, page.stale AS stale, page.total AS total \
         FROM page JOIN skill_listings l ON l.id = page.pid {HIT_JOINS} ORDER BY {}",
        order("page.")
    ));
    let rows: Vec<HitRow> = sql.load(conn, &text)?;

    // Matches, counted up to `cap` when given.
    let count = |conn: &mut AnyConnection, cap: Option<i64>| {
        let mut sql = Builder::new(backend);
        let stale = sql.stale(query.stale_before);
        let plan = sql.plan_with(query, candidates);
        let cap = cap.map_or(String::new(), |cap| format!(" LIMIT {}", cap + 1));
        let text = format!(
            "{} SELECT COUNT(*) AS total FROM (SELECT 1 AS one FROM matched{cap}) counted",
            matched(&stale, &plan)
        );
        Ok::<_, DbError>(
            sql.load::<CountRow>(conn, &text)?
                .first()
                .map_or(0, |c| c.total),
        )
    };
    let found = rows.len() as i64;
    let (total, exact) = match rows.first() {
        // A broad search that filled its candidates has more matches than it looked at.
        Some(row) if broad => (row.total, row.total < BROAD_MATCHES),
        Some(row) if count_in_page => (row.total, true),
        // The first page holds them all.
        _ if offset == 0 && found < limit => (found, true),
        _ => {
            let counted = count(conn, Some(COUNT_CAP))?;
            if counted <= COUNT_CAP {
                (counted, !broad || counted < BROAD_MATCHES)
            } else if offset + limit <= COUNT_CAP {
                (COUNT_CAP, false)
            } else {
                // A deep page: where the matches end must be known exactly.
                (count(conn, None)?, true)
            }
        }
    };
    let items = rows
        .into_iter()
        .map(HitRow::into_hit)
        .collect::<Result<Vec<Hit>, DbError>>()?;
    Ok(page(items, offset, total, exact))
}

/// Without words (tags at most, as a filter): newest first, read in the order of the
/// `skill_listings_newest` index and stopped at the page, fresh listings before stale ones
/// (two walks rather than a sort of every match). Counts: all matches from the index, stale
/// ones through the coop index (few coops are stale).
fn newest(
    conn: &mut AnyConnection,
    backend: Sql,
    query: &Query,
    limit: i64,
    offset: i64,
) -> Result<Page<Hit>, DbError> {
    // Fresh listings, counted up to `cap` when given (the scan stops there).
    let count_fresh = |conn: &mut AnyConnection, cap: Option<i64>| {
        let mut sql = Builder::new(backend);
        let stale = sql.stale(query.stale_before);
        let plan = sql.plan_with(query, Candidates::Filtered);
        let mut text = format!(
            "SELECT COUNT(*) AS total FROM (SELECT 1 AS one FROM skill_listings l{} \
             WHERE NOT {stale} AND {}",
            newest_index(backend, query),
            plan.filters
        );
        if let Some(cap) = cap {
            text.push_str(&format!(" LIMIT {}", sql.bind(Value::BigInt(cap + 1))));
        }
        text.push_str(") counted");
        Ok::<_, DbError>(
            sql.load::<CountRow>(conn, &text)?
                .first()
                .map_or(0, |c| c.total),
        )
    };
    // Stale ones are few coops' listings: counted exactly through the coop index.
    let count_stale = |conn: &mut AnyConnection| {
        let mut sql = Builder::new(backend);
        let stale = sql.stale_indexed(query.stale_before);
        let plan = sql.plan_with(query, Candidates::Filtered);
        let text = format!(
            "SELECT COUNT(*) AS total FROM skill_listings l WHERE {stale} AND {}",
            plan.filters
        );
        Ok::<_, DbError>(
            sql.load::<CountRow>(conn, &text)?
                .first()
                .map_or(0, |c| c.total),
        )
    };
    let fresh = count_fresh(conn, Some(COUNT_CAP))?;
    let (fresh_total, stale_total, exact) = if fresh <= COUNT_CAP {
        (fresh, count_stale(conn)?, true)
    } else if offset + limit <= COUNT_CAP {
        // More fresh listings than the page reaches: the page is all fresh, and the stale
        // ones need no count.
        (i64::MAX, 0, false)
    } else {
        // A deep page: where fresh listings end must be known exactly.
        (count_fresh(conn, None)?, count_stale(conn)?, true)
    };
    let total = if exact {
        fresh_total + stale_total
    } else {
        COUNT_CAP
    };

    let mut ids: Vec<(i64, bool)> = Vec::new();
    let walk = |conn: &mut AnyConnection, stale: bool, limit: i64, offset: i64| {
        let mut sql = Builder::new(backend);
        let condition = sql.stale_indexed(query.stale_before);
        let plan = sql.plan_with(query, Candidates::Filtered);
        let (not, index) = if stale {
            ("", "")
        } else {
            ("NOT ", newest_index(backend, query))
        };
        let text = format!(
            "SELECT l.id AS pid FROM skill_listings l{index} WHERE {not}{condition} AND {} \
             ORDER BY l.published DESC, l.id DESC LIMIT {} OFFSET {}",
            plan.filters,
            sql.bind(Value::BigInt(limit)),
            sql.bind(Value::BigInt(offset)),
        );
        sql.load::<IdRow>(conn, &text)
    };
    if offset < fresh_total {
        ids.extend(
            walk(conn, false, limit, offset)?
                .into_iter()
                .map(|r| (r.pid, false)),
        );
    }
    let wanted = limit - ids.len() as i64;
    if wanted > 0 && stale_total > 0 && offset + limit > fresh_total {
        let from = (offset - fresh_total).max(0);
        ids.extend(
            walk(conn, true, wanted, from)?
                .into_iter()
                .map(|r| (r.pid, true)),
        );
    }
    if ids.is_empty() {
        return Ok(page(Vec::new(), offset, total, exact));
    }

    // The page's rows with their member and coop; ids are ours, from the query above.
    let list: Vec<String> = ids.iter().map(|(id, _)| id.to_string()).collect();
    let text = format!(
        "SELECT {HIT_COLUMNS}, (1 = 0) AS stale, CAST(0 AS BIGINT) AS total \
         FROM skill_listings l {HIT_JOINS} WHERE l.id IN ({})",
        list.join(", ")
    );
    let mut rows: Vec<HitRow> = Builder::new(backend).load(conn, &text)?;
    let mut items = Vec::with_capacity(ids.len());
    for (id, stale) in ids {
        // A row deleted between the queries is left out.
        if let Some(at) = rows.iter().position(|r| r.id == id) {
            let mut hit = rows.swap_remove(at).into_hit()?;
            hit.stale = stale;
            items.push(hit);
        }
    }
    Ok(page(items, offset, total, exact))
}

/// With a full-text filter (tags), fresh listings are read along the newest index: SQLite
/// would otherwise start from every full-text match and sort them all. Without one, its
/// planner chooses (a coop's listings through the coop index).
fn newest_index(backend: Sql, query: &Query) -> &'static str {
    match backend {
        Sql::Sqlite if !full_text_terms(query, backend).is_empty() => {
            " INDEXED BY skill_listings_newest"
        }
        _ => "",
    }
}

fn page(items: Vec<Hit>, offset: i64, total: i64, total_exact: bool) -> Page<Hit> {
    let end = offset + items.len() as i64;
    Page {
        next_offset: (!items.is_empty() && (end < total || !total_exact)).then_some(end),
        items,
        total,
        total_exact,
    }
}

/// The columns of a hit; with [`HIT_JOINS`] on `skill_listings l`.
const HIT_COLUMNS: &str = "l.id, l.ap_id, l.actor_id, l.coop_actor_id, l.local, l.label, \
    l.tags, l.level, l.description, l.hours_per_week, l.available_from, l.available_until, \
    l.work_mode, l.region, l.visibility, l.search_text, l.published, l.updated, \
    m.display_name AS member_name, m.username AS member_username, \
    m.domain AS member_domain, m.ap_id AS member_ap_id, \
    c.display_name AS coop_name, c.username AS coop_username, \
    c.domain AS coop_domain, c.ap_id AS coop_ap_id";
const HIT_JOINS: &str =
    "JOIN actors m ON m.id = l.actor_id LEFT JOIN actors c ON c.id = l.coop_actor_id";

#[diesel::declare_sql_function]
extern "SQL" {
    /// `domain::skill::fold` in SQL (registered per SQLite connection before use).
    fn cooperage_fold(text: Text) -> Text;
}

/// Which SQL dialect the query is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sql {
    Sqlite,
    Postgres,
}

/// A bind parameter's value.
#[derive(Debug, Clone)]
enum Value {
    Text(String),
    BigInt(i64),
    Int(i32),
    Time(NaiveDateTime),
}

/// The pieces of a search that its queries share.
struct Plan {
    from: String,
    filters: String,
    label_hits: String,
    rank: String,
}

/// Assembles SQL with numbered (`$n`) or positional (`?`) parameters, and their values in
/// order.
struct Builder {
    backend: Sql,
    values: Vec<Value>,
}

impl Builder {
    fn new(backend: Sql) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    /// Adds a parameter; returns its placeholder.
    fn bind(&mut self, value: Value) -> String {
        self.values.push(value);
        match self.backend {
            Sql::Sqlite => "?".to_owned(),
            Sql::Postgres => format!("${}", self.values.len()),
        }
    }

    /// Whether a listing is stale: its coop's host (lacking a coop, the member's; ours is
    /// never in `hosts`) has failed every delivery since before `before`.
    fn stale(&mut self, before: NaiveDateTime) -> String {
        format!(
            "(COALESCE(l.coop_actor_id, l.actor_id) IN {})",
            self.stale_actors(before)
        )
    }

    /// [`Self::stale`] written so that the coop and actor indexes serve it.
    fn stale_indexed(&mut self, before: NaiveDateTime) -> String {
        let coops = self.stale_actors(before);
        let actors = self.stale_actors(before);
        format!(
            "(l.coop_actor_id IN {coops} OR (l.coop_actor_id IS NULL AND l.actor_id IN {actors}))"
        )
    }

    fn stale_actors(&mut self, before: NaiveDateTime) -> String {
        format!(
            "(SELECT sa.id FROM actors sa JOIN hosts sh ON sh.host = sa.domain \
             WHERE sh.unreachable AND sh.failing_since < {})",
            self.bind(Value::Time(before))
        )
    }

    /// The filters, relevance and candidates of `query`. Parameters are bound in the order
    /// the fragments must appear in the SQL: label hits, rank, from, filters.
    fn plan_with(&mut self, query: &Query, candidates: Candidates) -> Plan {
        let broad = candidates == Candidates::Newest;
        let words = query.text.as_deref().map(words).unwrap_or_default();
        // Words found at the start of the label count before any other relevance: search_text
        // begins with the folded label.
        let label_hits = if words.is_empty() {
            "0".to_owned()
        } else {
            let parts: Vec<String> = words
                .iter()
                .map(|w| {
                    format!(
                        "(CASE WHEN (' ' || substr(l.search_text, 1, length(l.label))) LIKE {} \
                         THEN 1 ELSE 0 END)",
                        self.bind(Value::Text(format!("% {w}%")))
                    )
                })
                .collect();
            format!("({})", parts.join(" + "))
        };

        let terms = full_text_terms(query, self.backend);
        // Filters in the order SQLite evaluates them (it keeps the written order): those the
        // `skill_listings_newest` index answers first, then the full-text membership (a
        // lookup per listing that got that far), then those that read the listing's row.
        // Parameters are bound in that same order.
        let mut filters = Vec::new();
        let plain = "skill_listings l".to_owned();
        let (rank, from) =
            match self.backend {
                _ if terms.is_empty() => ("0".to_owned(), plain),
                Sql::Sqlite if candidates != Candidates::Matches => ("0".to_owned(), plain),
                Sql::Sqlite => {
                    let text = self.bind(Value::Text(terms.join(" AND ")));
                    filters.push(format!("skill_listings_fts MATCH {text}"));
                    (
                    // bm25: smaller is better. Tags alone only filter.
                    if words.is_empty() { "0" } else { "bm25(skill_listings_fts)" }.to_owned(),
                    "skill_listings_fts JOIN skill_listings l ON l.id = skill_listings_fts.rowid"
                        .to_owned(),
                )
                }
                Sql::Postgres => {
                    let placeholder = self.bind(Value::Text(terms.join(" & ")));
                    let tsquery = format!("to_tsquery('simple', {placeholder})");
                    // The stored vector, which the GIN index is on.
                    filters.push(format!("l.search_vector @@ {tsquery}"));
                    let rank = if words.is_empty() {
                        "0".to_owned()
                    } else {
                        format!("-ts_rank(l.search_vector, {tsquery})")
                    };
                    (rank, plain)
                }
            };

        if let Some(level) = query.min_level {
            // Levels are words: "at least" is the list of words at or above.
            let at_least: Vec<String> = [Level::Learning, Level::Practitioner, Level::Expert]
                .into_iter()
                .filter(|l| *l >= level)
                .map(|l| self.bind(Value::Text(l.as_str().to_owned())))
                .collect();
            filters.push(format!("l.level IN ({})", at_least.join(", ")));
        }
        if let Some(hours) = query.min_hours {
            filters.push(format!(
                "l.hours_per_week >= {}",
                self.bind(Value::Int(hours))
            ));
        }
        // Days are stored as YYYY-MM-DD: text order is date order.
        let (window_from, window_until) = match query.available {
            Some(Availability::On(day)) => (Some(day), Some(day)),
            Some(Availability::Overlapping { from, until }) => (from, until),
            None => (None, None),
        };
        if let Some(from) = window_from {
            filters.push(format!(
                "(l.available_until IS NULL OR l.available_until >= {})",
                self.bind(Value::Text(from.to_string()))
            ));
        }
        if let Some(until) = window_until {
            filters.push(format!(
                "(l.available_from IS NULL OR l.available_from <= {})",
                self.bind(Value::Text(until.to_string()))
            ));
        }
        if let Some(mode) = query.work_mode {
            filters.push(format!(
                "l.work_mode = {}",
                self.bind(Value::Text(mode.as_str().to_owned()))
            ));
        }
        match &query.coop {
            Some(CoopFilter::ApId(ap_id)) => filters.push(format!(
                "l.coop_actor_id IN (SELECT id FROM actors WHERE ap_id = {})",
                self.bind(Value::Text(ap_id.clone()))
            )),
            Some(CoopFilter::Handle { username, domain }) => filters.push(format!(
                "l.coop_actor_id IN (SELECT id FROM actors WHERE username = {} AND domain = {})",
                self.bind(Value::Text(username.clone())),
                self.bind(Value::Text(domain.clone()))
            )),
            None => {}
        }

        if self.backend == Sql::Sqlite && candidates != Candidates::Matches && !terms.is_empty() {
            let text = self.bind(Value::Text(terms.join(" AND ")));
            filters.push(format!(
                "l.id IN (SELECT rowid FROM skill_listings_fts \
                 WHERE skill_listings_fts MATCH {text})"
            ));
        }

        // On SQLite the full-text index matched plain-word tags exactly (its `tags` column);
        // PostgreSQL's matched them anywhere in the text, so the tags column confirms.
        let sqlite = self.backend == Sql::Sqlite;
        let exact = |tag: &str| sqlite && indexable(tag);
        for tag in query.all_tags.iter().filter(|t| !exact(t)) {
            filters.push(format!(
                "l.tags LIKE {} ESCAPE '\\'",
                self.bind(Value::Text(format!("% {} %", escape_like(tag))))
            ));
        }
        let any_exact = sqlite && any_tags_indexed(query);
        if !any_exact && !query.any_tags.is_empty() {
            let any: Vec<String> = query
                .any_tags
                .iter()
                .map(|t| {
                    format!(
                        "l.tags LIKE {} ESCAPE '\\'",
                        self.bind(Value::Text(format!("% {} %", escape_like(t))))
                    )
                })
                .collect();
            filters.push(format!("({})", any.join(" OR ")));
        }
        if let Some(region) = query.region.as_deref().map(|r| fold(r.trim())) {
            let expression = match self.backend {
                Sql::Sqlite => "cooperage_fold(l.region)".to_owned(),
                Sql::Postgres => postgres_fold("l.region"),
            };
            // `?` is positional: on SQLite the value is bound once per use.
            let (length, wanted) = match self.backend {
                Sql::Sqlite => (
                    self.bind(Value::Text(region.clone())),
                    self.bind(Value::Text(region)),
                ),
                Sql::Postgres => {
                    let placeholder = self.bind(Value::Text(region));
                    (placeholder.clone(), placeholder)
                }
            };
            filters.push(format!(
                "substr({expression}, 1, length({length})) = {wanted}"
            ));
        }
        if filters.is_empty() {
            filters.push("1 = 1".to_owned());
        }
        let mut filters = filters.join(" AND ");
        let mut from = from;
        if broad {
            // The filters move into the candidates' query (bound in the same order: the
            // candidates come right after label hits and rank in the SQL text).
            from = format!(
                "(SELECT l.* FROM skill_listings l INDEXED BY skill_listings_newest \
                 WHERE {filters} ORDER BY l.published DESC, l.id DESC LIMIT {BROAD_MATCHES}) l"
            );
            filters = "1 = 1".to_owned();
        }
        Plan {
            from,
            filters,
            label_hits,
            rank,
        }
    }

    /// Runs `text` with the values bound so far.
    fn load<T>(self, conn: &mut AnyConnection, text: &str) -> Result<Vec<T>, DbError>
    where
        T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
    {
        macro_rules! run {
            ($c:expr, $db:ty) => {{
                let mut query = diesel::sql_query(text).into_boxed::<$db>();
                for value in self.values {
                    query = match value {
                        Value::Text(v) => query.bind::<Text, _>(v),
                        Value::BigInt(v) => query.bind::<BigInt, _>(v),
                        Value::Int(v) => query.bind::<Integer, _>(v),
                        Value::Time(v) => query.bind::<Timestamp, _>(v),
                    };
                }
                query.load::<T>($c)?
            }};
        }
        Ok(match conn {
            AnyConnection::Sqlite(c) => run!(c, diesel::sqlite::Sqlite),
            AnyConnection::Postgresql(c) => run!(c, diesel::pg::Pg),
        })
    }
}

/// The full-text condition's terms (joined with AND): the words as prefixes, and (as a
/// pre-filter the LIKE conditions confirm) the wanted tags as whole words, in FTS5 or tsquery
/// syntax. Every term is built here from `[a-z0-9]` words.
fn full_text_terms(query: &Query, backend: Sql) -> Vec<String> {
    type Term = fn(&str) -> String;
    // SQLite: words in `search_text` (label, tags, description), tags in the `tags` column
    // only, so that a tag is matched exactly by the index.
    let (prefix, word, tags, or): (Term, Term, Term, &str) = match backend {
        Sql::Sqlite => (
            |w| format!("search_text : \"{w}\"*"),
            |w| format!("search_text : \"{w}\""),
            |t| format!("tags : ({t})"),
            " OR ",
        ),
        Sql::Postgres => (
            |w| format!("{w}:*"),
            |t| t.to_owned(),
            |t| t.to_owned(),
            " | ",
        ),
    };
    let quoted = |t: &String| match backend {
        Sql::Sqlite => format!("\"{t}\""),
        Sql::Postgres => t.clone(),
    };
    let words = query.text.as_deref().map(words).unwrap_or_default();
    let mut terms: Vec<String> = words
        .iter()
        .map(|w| if w.len() == 1 { word(w) } else { prefix(w) })
        .collect();
    terms.extend(
        query
            .all_tags
            .iter()
            .filter(|t| indexable(t))
            .map(|t| tags(&quoted(t))),
    );
    if any_tags_indexed(query) {
        let any: Vec<String> = query.any_tags.iter().map(quoted).collect();
        terms.push(tags(&format!("({})", any.join(or))));
    }
    if let (Sql::Sqlite, Some(region)) = (backend, region_words(query)) {
        // The region's first words, the last one a prefix: every region that starts with
        // the folded text has them (the exact check follows on the row).
        terms.push(format!("region : ^\"{}\"*", region.join(" ")));
    }
    terms
}

/// Whether the any-of tags are one full-text term (all of them plain words).
fn any_tags_indexed(query: &Query) -> bool {
    !query.any_tags.is_empty() && query.any_tags.iter().all(|t| indexable(t))
}

/// The region filter's words, when the full-text index can pre-select by them: the folded
/// region is ASCII (so the index's tokens are exactly [`words`]) and has a word.
fn region_words(query: &Query) -> Option<Vec<String>> {
    let region = fold(query.region.as_deref()?.trim());
    let words = words(&region);
    (region.is_ascii() && !words.is_empty()).then_some(words)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern (with `\` as escape: the default on both).
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `fold` as a PostgreSQL expression: accented letters of either case mapped by `translate`,
/// the letters that become two replaced, then `lower` (which then only meets ASCII and so
/// does not depend on the database's locale).
fn postgres_fold(column: &str) -> String {
    const FROM: &str = "àáâãäåāąçćčèéêëēęěìíîïīñńňòóôõöøōőùúûüūůűýÿśšźżžłř\
                        ÀÁÂÃÄÅĀĄÇĆČÈÉÊËĒĘĚÌÍÎÏĪÑŃŇÒÓÔÕÖØŌŐÙÚÛÜŪŮŰÝŸŚŠŹŻŽŁŘ";
    const TO: &str = "aaaaaaaaccceeeeeeeiiiiinnnoooooooouuuuuuuyysszzzlr\
                      aaaaaaaaccceeeeeeeiiiiinnnoooooooouuuuuuuyysszzzlr";
    let mut expression = format!("translate({column}, '{FROM}', '{TO}')");
    for (from, to) in [
        ("ß", "ss"),
        ("ẞ", "ss"),
        ("æ", "ae"),
        ("Æ", "ae"),
        ("œ", "oe"),
        ("Œ", "oe"),
    ] {
        expression = format!("replace({expression}, '{from}', '{to}')");
    }
    format!("lower({expression})")
}

/// A row of the search query.
#[derive(QueryableByName)]
struct HitRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    ap_id: String,
    #[diesel(sql_type = BigInt)]
    actor_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    coop_actor_id: Option<i64>,
    #[diesel(sql_type = Bool)]
    local: bool,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Text)]
    tags: String,
    #[diesel(sql_type = Text)]
    level: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Integer)]
    hours_per_week: i32,
    #[diesel(sql_type = Nullable<Text>)]
    available_from: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    available_until: Option<String>,
    #[diesel(sql_type = Text)]
    work_mode: String,
    #[diesel(sql_type = Text)]
    region: String,
    #[diesel(sql_type = Text)]
    visibility: String,
    #[diesel(sql_type = Text)]
    search_text: String,
    #[diesel(sql_type = Timestamp)]
    published: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    updated: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    member_name: Option<String>,
    #[diesel(sql_type = Text)]
    member_username: String,
    #[diesel(sql_type = Text)]
    member_domain: String,
    #[diesel(sql_type = Text)]
    member_ap_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    coop_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    coop_username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    coop_domain: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    coop_ap_id: Option<String>,
    #[diesel(sql_type = Bool)]
    stale: bool,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

impl HitRow {
    fn into_hit(self) -> Result<Hit, DbError> {
        // QueryableByName reads words as text; a word no version wrote is a fault, as in
        // `Listing`'s own loading.
        let unreadable = |e: cooperage_domain::member::UnknownValue| {
            DbError::Query(diesel::result::Error::DeserializationError(Box::new(e)))
        };
        let coop = match (self.coop_username, self.coop_domain, self.coop_ap_id) {
            (Some(username), Some(domain), Some(actor_id)) => Some(CoopRef {
                name: self
                    .coop_name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| username.clone()),
                username,
                domain,
                actor_id,
            }),
            _ => None,
        };
        Ok(Hit {
            member: MemberRef {
                display_name: self
                    .member_name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| self.member_username.clone()),
                username: self.member_username,
                domain: self.member_domain,
                actor_id: self.member_ap_id,
            },
            coop,
            stale: self.stale,
            listing: Listing {
                id: self.id,
                ap_id: self.ap_id,
                actor_id: self.actor_id,
                coop_actor_id: self.coop_actor_id,
                local: self.local,
                label: self.label,
                tags: self.tags,
                level: Level::parse(&self.level).map_err(unreadable)?,
                description: self.description,
                hours_per_week: self.hours_per_week,
                available_from: self.available_from,
                available_until: self.available_until,
                work_mode: WorkMode::parse(&self.work_mode).map_err(unreadable)?,
                region: self.region,
                visibility: Visibility::parse(&self.visibility).map_err(unreadable)?,
                search_text: self.search_text,
                published: self.published,
                updated: self.updated,
            },
        })
    }
}

/// A listing's id.
#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    pid: i64,
}

/// A count.
#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_plain_and_bounded() {
        assert_eq!(
            words("PostgreSQL-Replikation"),
            ["postgresql", "replikation"]
        );
        assert_eq!(words("Gestaltung für"), ["gestaltung", "fur"]);
        assert_eq!(words("\"x\"* OR y:* & !z"), ["x", "or", "y", "z"]);
        assert_eq!(words("'; DROP TABLE--"), ["drop", "table"]);
        assert!(words("---").is_empty());
        assert_eq!(words(&"a ".repeat(20)).len(), MAX_WORDS);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\"), "50\\%\\_a\\\\");
    }

    #[test]
    fn the_postgres_fold_maps_letter_for_letter() {
        let expression = postgres_fold("x");
        let from = expression.split('\'').nth(1).unwrap();
        let to = expression.split('\'').nth(3).unwrap();
        assert_eq!(from.chars().count(), to.chars().count());
        for (a, b) in from.chars().zip(to.chars()) {
            assert_eq!(fold(&a.to_string()), b.to_string(), "{a}");
        }
    }
}
