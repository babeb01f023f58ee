//! Directory benchmark: 100,000 skill listings from 200 coops (German and English skills,
//! levels, hours, availability windows, regions; 10 coops unreachable for a month, so stale),
//! then a mix of searches through the application operation (`cooperage_app::directory::
//! search`, as the API calls it), with p50/p95/p99 latency per kind of query.
//!
//! Run: `COOPERAGE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench directory`
//! Optional: `BENCH_LISTINGS` (default 100000), `BENCH_QUERIES` (per kind, default 300),
//! `BENCH_BACKENDS=sqlite` (SQLite only), `BENCH_SAVE_SQLITE=path` (keep a copy of the seeded
//! SQLite directory there, for `sqlite3` and `EXPLAIN QUERY PLAN`), `BENCH_SLOWEST=n` (print the
//! n slowest queries of each kind).

#[path = "../tests/it/support/mod.rs"]
#[macro_use]
mod support;

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use cooperage_app::directory::{self, DirectoryQuery};
use cooperage_db::actors::{self, ActorForm};
use cooperage_db::skills;
use cooperage_domain::member::Role;
use diesel::RunQueryDsl;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use support::{TestDb, TestInstance};

// The allocator of the `cooperage` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const STALE_COOPS: usize = 10;

#[path = "data/directory.rs"]
mod data;
use data::{
    CITIES, COOPS, EXTRA_TAGS, MEMBERS_PER_COOP, SKILLS, day, listing, prefix, remote_actor,
};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let listings = env_usize("BENCH_LISTINGS", 100_000);
    let queries = env_usize("BENCH_QUERIES", 300);
    let mut backends = vec![("SQLite", TestDb::sqlite as fn() -> TestDb)];
    let only_sqlite = std::env::var("BENCH_BACKENDS").is_ok_and(|b| b == "sqlite");
    if std::env::var(support::db::POSTGRES_ENV).is_ok() && !only_sqlite {
        backends.push(("PostgreSQL", || TestDb::postgres().expect("PostgreSQL")));
    }
    println!(
        "cooperage directory benchmark ({} cores): {listings} listings from {COOPS} coops, \
         {queries} queries per kind",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for (name, make_db) in &backends {
        run(name, make_db(), listings, queries).await;
    }
}

async fn run(backend: &str, db: TestDb, count: usize, queries: usize) {
    let coop = TestInstance::start(&db).await;
    coop.create_account("bench", Role::Member, false).await;
    let member = cooperage_app::members::find(coop.app(), "bench")
        .await
        .expect("member");

    let started = Instant::now();
    seed(&coop, count).await;
    let seeded = started.elapsed();
    if backend == "PostgreSQL" {
        // What autovacuum does after a bulk load; the planner needs the statistics.
        coop.query(|conn| Ok(diesel::sql_query("ANALYZE").execute(conn)?))
            .await;
    }
    println!("\n{backend}: seeded {count} listings in {seeded:.1?}");
    if let (Ok(path), "SQLite") = (std::env::var("BENCH_SAVE_SQLITE"), backend) {
        // A copy of the seeded directory, to look at query plans with the sqlite3 shell.
        let copy = format!("VACUUM INTO '{}'", path.replace('\'', "''"));
        coop.query(move |conn| Ok(diesel::sql_query(&copy).execute(conn)?))
            .await;
        println!("  saved a copy to {path}");
    }
    println!(
        "  {:<13} {:>8} {:>8} {:>8} {:>8} {:>11}",
        "kind", "p50 ms", "p95 ms", "p99 ms", "max ms", "mean total"
    );

    // BENCH_SLOWEST=n: the n slowest queries of each kind, to see what a percentile is made of.
    let show_slowest = std::env::var("BENCH_SLOWEST")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut rng = StdRng::seed_from_u64(7);
    let kinds: [(&str, MakeQuery); 5] = [
        ("text", text_query),
        ("tags", tags_query),
        ("availability", availability_query),
        ("combined", combined_query),
        ("browse", browse_query),
    ];
    for (kind, make) in kinds {
        // Warm-up: caches and prepared statements, as on a running instance.
        for _ in 0..20 {
            directory::search(coop.app(), &member, make(&mut rng))
                .await
                .expect("search");
        }
        let mut times = Vec::with_capacity(queries);
        let mut slowest = Vec::new();
        let mut totals = 0i64;
        for _ in 0..queries {
            let query = make(&mut rng);
            let shown = format!("{query:?}");
            let start = Instant::now();
            let page = directory::search(coop.app(), &member, query)
                .await
                .expect("search");
            let took = start.elapsed();
            times.push(took);
            slowest.push((took, page.total, shown));
            totals += page.total;
        }
        times.sort();
        slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
        slowest.truncate(show_slowest);
        let at = |p: f64| {
            ms(times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1])
        };
        println!(
            "  {kind:<13} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>11.0}",
            at(0.50),
            at(0.95),
            at(0.99),
            ms(*times.last().expect("times")),
            totals as f64 / queries as f64
        );
        for (took, total, query) in &slowest {
            println!("      {:>8.2} ms, {total} matches: {query}", ms(*took));
        }
    }
    coop.stop().await;
}

/// Makes one query of a kind.
type MakeQuery = fn(&mut StdRng) -> DirectoryQuery;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn text_query(rng: &mut StdRng) -> DirectoryQuery {
    let q = if rng.gen_bool(0.3) {
        format!("{} {}", prefix(rng), prefix(rng))
    } else {
        prefix(rng)
    };
    DirectoryQuery {
        q: Some(q),
        ..Default::default()
    }
}

fn tags_query(rng: &mut StdRng) -> DirectoryQuery {
    let mut skill = || SKILLS.choose(rng).expect("skills").to_string();
    let (first, second) = (skill(), skill());
    let extra = EXTRA_TAGS.choose(rng).expect("tags").to_string();
    match rng.gen_range(0..3) {
        0 => DirectoryQuery {
            tags: vec![first],
            ..Default::default()
        },
        1 => DirectoryQuery {
            tags: vec![first, extra],
            ..Default::default()
        },
        _ => DirectoryQuery {
            any_tags: vec![first, second, extra],
            ..Default::default()
        },
    }
}

fn availability_query(rng: &mut StdRng) -> DirectoryQuery {
    let hours = rng.gen_bool(0.5).then(|| rng.gen_range(5..=30));
    let from = day(rng);
    if rng.gen_bool(0.5) {
        DirectoryQuery {
            available_on: Some(from.to_string()),
            min_hours: hours,
            ..Default::default()
        }
    } else {
        DirectoryQuery {
            available_from: Some(from.to_string()),
            available_until: Some((from + TimeDelta::days(rng.gen_range(7..90))).to_string()),
            min_hours: hours,
            ..Default::default()
        }
    }
}

fn combined_query(rng: &mut StdRng) -> DirectoryQuery {
    let from = day(rng);
    DirectoryQuery {
        q: Some(prefix(rng)),
        level: Some(
            if rng.gen_bool(0.5) {
                "practitioner"
            } else {
                "expert"
            }
            .into(),
        ),
        min_hours: Some(rng.gen_range(5..=20)),
        available_from: Some(from.to_string()),
        available_until: Some((from + TimeDelta::days(31)).to_string()),
        work_mode: rng.gen_bool(0.5).then(|| "remote".into()),
        region: rng
            .gen_bool(0.3)
            .then(|| CITIES.choose(rng).expect("cities").to_string()),
        ..Default::default()
    }
}

fn browse_query(rng: &mut StdRng) -> DirectoryQuery {
    DirectoryQuery {
        offset: Some(20 * rng.gen_range(0..5)),
        ..Default::default()
    }
}

/// Stores `count` listings from 200 remote coops of 100 members each, and marks 10 coops'
/// hosts unreachable for a month.
async fn seed(coop: &TestInstance, count: usize) {
    let mut rng = StdRng::seed_from_u64(42);
    let now = cooperage_db::now();
    let mut people: Vec<(i64, i64)> = Vec::with_capacity(COOPS * MEMBERS_PER_COOP);
    for c in 0..COOPS {
        let domain = format!("coop{c}.example");
        let forms: Vec<ActorForm> = (0..=MEMBERS_PER_COOP)
            .map(|m| match m {
                0 => remote_actor(&domain, "coop", "Group", now),
                _ => remote_actor(&domain, &format!("m{m}"), "Person", now),
            })
            .collect();
        let ids: Vec<i64> = coop
            .query(move |conn| {
                cooperage_db::transaction(conn, |conn| {
                    forms
                        .iter()
                        .map(|f| actors::upsert(conn, f).map(|a| a.id))
                        .collect()
                })
            })
            .await;
        people.extend(ids[1..].iter().map(|member| (*member, ids[0])));
    }

    let forms: Vec<_> = (0..count)
        .map(|i| listing(i, &people, now, &mut rng))
        .collect();
    for chunk in forms.chunks(10_000) {
        let chunk = chunk.to_vec();
        coop.query(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                for form in &chunk {
                    skills::insert(conn, form)?;
                }
                Ok(())
            })
        })
        .await;
    }
    coop.query(|conn| {
        use cooperage_db::schema::hosts;
        use diesel::{ExpressionMethods, QueryDsl};
        for c in 0..STALE_COOPS {
            let host = format!("coop{c}.example");
            cooperage_db::hosts::record_failure(conn, &host, TimeDelta::zero())?;
            diesel::update(hosts::table.find(&host))
                .set(hosts::failing_since.eq(cooperage_db::now() - TimeDelta::days(30)))
                .execute(conn)?;
        }
        Ok(())
    })
    .await;
}
