//! Directory benchmark: 100,000 skill listings from 200 coops (German and English skills,
//! levels, hours, availability windows, regions; 10 coops unreachable for a month, so stale),
//! then a mix of searches through the application operation (`cooperage_app::directory::
//! search`, as the API calls it), with p50/p95/p99 latency per kind of query.
//!
//! Run: `COOPERAGE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench directory`
//! Optional: `BENCH_LISTINGS` (default 100000), `BENCH_QUERIES` (per kind, default 300),
//! `BENCH_BACKENDS=sqlite` (SQLite only), `BENCH_SAVE_SQLITE=path` (keep a copy of the seeded
//! SQLite directory there, for `sqlite3` and `EXPLAIN QUERY PLAN`).

#[path = "../tests/it/support/mod.rs"]
#[macro_use]
mod support;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeDelta};
use cooperage_app::directory::{self, DirectoryQuery};
use cooperage_db::actors::{self, ActorForm};
use cooperage_db::skills::{self, ListingForm};
use cooperage_domain::member::Role;
use cooperage_domain::skill::{Level, Visibility, WorkMode, fold, tag};
use diesel::RunQueryDsl;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use support::{TestDb, TestInstance};

// The allocator of the `cooperage` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const COOPS: usize = 200;
const MEMBERS_PER_COOP: usize = 100;
const STALE_COOPS: usize = 10;

const SKILLS: &[&str] = &[
    "PostgreSQL",
    "PostgreSQL Replikation",
    "MySQL",
    "SQLite",
    "Rust",
    "Python",
    "JavaScript",
    "TypeScript",
    "React",
    "Vue.js",
    "Node.js",
    "Go",
    "Java",
    "Kotlin",
    "Swift",
    "C++",
    "C#",
    "PHP",
    "Laravel",
    "Django",
    "Ruby on Rails",
    "Elixir",
    "Haskell",
    "Linux Administration",
    "Kubernetes",
    "Docker",
    "Ansible",
    "Terraform",
    "Netzwerktechnik",
    "IT-Sicherheit",
    "Penetration Testing",
    "Datenschutz",
    "DSGVO Beratung",
    "Buchhaltung",
    "Lohnbuchhaltung",
    "Steuerberatung",
    "Controlling",
    "Finanzplanung",
    "Projektmanagement",
    "Scrum",
    "Agile Coaching",
    "Moderation",
    "Mediation",
    "Organisationsentwicklung",
    "Soziokratie",
    "Grafikdesign",
    "Gestaltung",
    "Illustration",
    "Typografie",
    "UX Design",
    "UI Design",
    "Webdesign",
    "Fotografie",
    "Videoproduktion",
    "Schnitt",
    "Tontechnik",
    "Podcast Produktion",
    "Öffentlichkeitsarbeit",
    "Pressearbeit",
    "Social Media",
    "Texten",
    "Lektorat",
    "Übersetzung Englisch",
    "Übersetzung Französisch",
    "Copywriting",
    "Technical Writing",
    "Schreinerei",
    "Tischlerei",
    "Zimmerei",
    "Elektroinstallation",
    "Sanitär",
    "Heizungsbau",
    "Photovoltaik",
    "Solarthermie",
    "Energieberatung",
    "Dachdeckerei",
    "Malerarbeiten",
    "Trockenbau",
    "Gartenbau",
    "Landschaftsbau",
    "Permakultur",
    "Imkerei",
    "Landwirtschaft",
    "Kochen",
    "Catering",
    "Bäckerei",
    "Fahrradreparatur",
    "Lastenrad Logistik",
    "Kurierdienst",
    "Pflege",
    "Kinderbetreuung",
    "Sozialarbeit",
    "Rechtsberatung",
    "Vereinsrecht",
    "Genossenschaftsrecht",
    "Fundraising",
    "Förderanträge",
    "Event Management",
    "Data Science",
    "Machine Learning",
    "Statistik",
    "Open Source Maintenance",
];

const WORDS: &[&str] = &[
    "erfahrung",
    "jahre",
    "projekte",
    "genossenschaft",
    "genossenschaften",
    "kollektiv",
    "betrieb",
    "kunden",
    "beratung",
    "umsetzung",
    "planung",
    "wartung",
    "entwicklung",
    "schulung",
    "workshops",
    "begleitung",
    "nachhaltig",
    "regional",
    "ökologisch",
    "sozial",
    "gemeinwohl",
    "selbstverwaltet",
    "team",
    "teilzeit",
    "vollzeit",
    "remote",
    "vor ort",
    "gerne",
    "auch",
    "mit",
    "für",
    "und",
    "oder",
    "bei",
    "im",
    "von",
    "zur",
    "kleine",
    "große",
    "schnell",
    "zuverlässig",
    "gründlich",
    "experience",
    "years",
    "projects",
    "cooperative",
    "cooperatives",
    "collective",
    "clients",
    "consulting",
    "delivery",
    "maintenance",
    "development",
    "training",
    "mentoring",
    "sustainable",
    "community",
    "open",
    "source",
    "free",
    "software",
    "small",
    "large",
    "teams",
    "reliable",
    "backups",
    "replication",
    "migration",
    "performance",
    "tuning",
    "monitoring",
    "security",
    "audits",
    "accessibility",
    "barrierefreiheit",
    "webseiten",
    "websites",
    "shops",
    "apps",
    "servers",
    "hosting",
    "netzwerke",
    "buchführung",
    "jahresabschluss",
    "bilanz",
    "löhne",
    "steuern",
    "förderung",
    "anträge",
    "holz",
    "möbel",
    "küchen",
    "dächer",
    "fenster",
    "solar",
    "strom",
    "wärme",
    "gärten",
    "gemüse",
    "brot",
    "essen",
    "events",
    "fahrräder",
    "transport",
    "pflege",
    "kinder",
    "recht",
    "verträge",
    "satzung",
    "daten",
    "analyse",
    "modelle",
    "statistik",
    "münchen",
    "köln",
    "straßenbau",
    "müller",
    "gestaltung",
];

const CITIES: &[&str] = &[
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Frankfurt",
    "Stuttgart",
    "Düsseldorf",
    "Leipzig",
    "Dresden",
    "Kassel",
    "Göttingen",
    "Freiburg",
    "Nürnberg",
    "Bremen",
    "Hannover",
    "Wien",
    "Graz",
    "Zürich",
    "Basel",
    "Bern",
    "Amsterdam",
    "Utrecht",
    "London",
    "Manchester",
    "Bristol",
    "Lyon",
    "Barcelona",
    "Bologna",
    "Wuppertal",
    "Münster",
];

const EXTRA_TAGS: &[&str] = &[
    "Databases",
    "Backend",
    "Frontend",
    "DevOps",
    "Design",
    "Handwerk",
    "Energie",
    "Finanzen",
    "Beratung",
    "Bildung",
    "Medien",
    "Ökologie",
    "Logistik",
    "Recht",
    "Organisation",
    "Open Source",
    "Barrierefreiheit",
    "Nachhaltigkeit",
];

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
        let mut totals = 0i64;
        for _ in 0..queries {
            let query = make(&mut rng);
            let start = Instant::now();
            let page = directory::search(coop.app(), &member, query)
                .await
                .expect("search");
            times.push(start.elapsed());
            totals += page.total;
        }
        times.sort();
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
    }
    coop.stop().await;
}

/// Makes one query of a kind.
type MakeQuery = fn(&mut StdRng) -> DirectoryQuery;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A word prefix as someone types it: 3 to 7 letters of a skill or description word.
fn prefix(rng: &mut StdRng) -> String {
    let source = if rng.gen_bool(0.6) {
        fold(SKILLS.choose(rng).expect("skills"))
    } else {
        fold(WORDS.choose(rng).expect("words"))
    };
    let word = source
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("rust")
        .to_owned();
    let len = rng.gen_range(3..=7).min(word.len());
    word[..len].to_owned()
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

fn day(rng: &mut StdRng) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + TimeDelta::days(rng.gen_range(0..730))
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
    let actor = |domain: &str, username: &str, kind: &str, name: String| {
        let ap_id = format!("https://{domain}/actors/{username}");
        ActorForm {
            ap_id: ap_id.clone(),
            actor_type: kind.into(),
            local: false,
            username: username.into(),
            domain: domain.into(),
            display_name: Some(name),
            summary: None,
            inbox: format!("{ap_id}/inbox"),
            shared_inbox: Some(format!("https://{domain}/inbox")),
            followers_url: None,
            public_key_id: format!("{ap_id}#main-key"),
            public_key_pem: String::new(),
            manually_approves_followers: false,
            published: now,
            fetched_at: Some(now),
        }
    };
    for c in 0..COOPS {
        let domain = format!("coop{c}.example");
        let forms: Vec<ActorForm> =
            std::iter::once(actor(&domain, "coop", "Group", format!("Kooperative {c}")))
                .chain((0..MEMBERS_PER_COOP).map(|m| {
                    actor(
                        &domain,
                        &format!("m{m}"),
                        "Person",
                        format!("Mitglied {m} von {c}"),
                    )
                }))
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

    let mut forms = Vec::with_capacity(count);
    for i in 0..count {
        let coop_index = i % COOPS;
        let (actor_id, coop_actor_id) =
            people[coop_index * MEMBERS_PER_COOP + rng.gen_range(0..MEMBERS_PER_COOP)];
        let label = SKILLS.choose(&mut rng).expect("skills").to_string();
        let mut tags = vec![tag(&label).expect("tag")];
        for _ in 0..rng.gen_range(0..=3) {
            let extra = tag(EXTRA_TAGS.choose(&mut rng).expect("tags")).expect("tag");
            if !tags.contains(&extra) {
                tags.push(extra);
            }
        }
        let description: Vec<&str> = (0..rng.gen_range(8..=30))
            .map(|_| *WORDS.choose(&mut rng).expect("words"))
            .collect();
        let description = description.join(" ");
        let tags = skills::tags_column(&tags);
        let (from, until) = match rng.gen_range(0..10) {
            0..=3 => (None, None),
            4..=5 => (Some(day(&mut rng)), None),
            _ => {
                let from = day(&mut rng);
                (
                    Some(from),
                    Some(from + TimeDelta::days(rng.gen_range(14..365))),
                )
            }
        };
        forms.push(ListingForm {
            ap_id: format!("https://coop{coop_index}.example/skills/{i}"),
            actor_id,
            coop_actor_id: Some(coop_actor_id),
            local: false,
            search_text: fold(&format!("{label} {tags} {description}")),
            label,
            tags,
            level: [
                Level::Learning,
                Level::Practitioner,
                Level::Practitioner,
                Level::Expert,
            ][rng.gen_range(0..4)],
            description,
            hours_per_week: rng.gen_range(1..=40),
            available_from: from.map(|d| d.to_string()),
            available_until: until.map(|d| d.to_string()),
            work_mode: [WorkMode::Remote, WorkMode::OnSite, WorkMode::Hybrid][rng.gen_range(0..3)],
            region: if rng.gen_bool(0.7) {
                CITIES.choose(&mut rng).expect("cities").to_string()
            } else {
                String::new()
            },
            visibility: if rng.gen_bool(0.5) {
                Visibility::Network
            } else {
                Visibility::Public
            },
            published: now - TimeDelta::minutes(rng.gen_range(0..525_600)),
            updated: None,
        });
    }
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
