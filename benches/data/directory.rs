//! The synthetic directory: skills (German and English), description words, cities, extra
//! tags, and the listings made of them. Shared by `benches/directory.rs` and the load
//! generator's `directory` scenario (`crates/loadgen`), so both search the same directory.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use cooperage_db::actors::ActorForm;
use cooperage_db::skills::{self, ListingForm};
use cooperage_domain::skill::{Level, Visibility, WorkMode, fold, tag};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

pub const COOPS: usize = 200;
pub const MEMBERS_PER_COOP: usize = 100;

pub const SKILLS: &[&str] = &[
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

pub const WORDS: &[&str] = &[
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

pub const CITIES: &[&str] = &[
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

pub const EXTRA_TAGS: &[&str] = &[
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

/// A word prefix as someone types it: 3 to 7 letters of a skill or description word.
pub fn prefix(rng: &mut StdRng) -> String {
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

/// A day in 2026 or 2027.
pub fn day(rng: &mut StdRng) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + TimeDelta::days(rng.gen_range(0..730))
}

/// A remote actor as the federation layer stores it.
pub fn remote_actor(domain: &str, username: &str, kind: &str, now: NaiveDateTime) -> ActorForm {
    let ap_id = format!("https://{domain}/actors/{username}");
    ActorForm {
        ap_id: ap_id.clone(),
        actor_type: kind.into(),
        local: false,
        username: username.into(),
        domain: domain.into(),
        display_name: Some(format!("{username} ({domain})")),
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
}

/// Listing `i`, by a random member of coop `i % COOPS` (`people`: member and coop actor ids,
/// coop by coop).
pub fn listing(
    i: usize,
    people: &[(i64, i64)],
    now: NaiveDateTime,
    rng: &mut StdRng,
) -> ListingForm {
    let coop = i % COOPS;
    let (actor_id, coop_actor_id) =
        people[coop * MEMBERS_PER_COOP + rng.gen_range(0..MEMBERS_PER_COOP)];
    let label = SKILLS.choose(rng).expect("skills").to_string();
    let mut tags = vec![tag(&label).expect("tag")];
    for _ in 0..rng.gen_range(0..=3) {
        let extra = tag(EXTRA_TAGS.choose(rng).expect("tags")).expect("tag");
        if !tags.contains(&extra) {
            tags.push(extra);
        }
    }
    let description: Vec<&str> = (0..rng.gen_range(8..=30))
        .map(|_| *WORDS.choose(rng).expect("words"))
        .collect();
    let description = description.join(" ");
    let tags = skills::tags_column(&tags);
    let (from, until) = match rng.gen_range(0..10) {
        0..=3 => (None, None),
        4..=5 => (Some(day(rng)), None),
        _ => {
            let from = day(rng);
            (
                Some(from),
                Some(from + TimeDelta::days(rng.gen_range(14..365))),
            )
        }
    };
    ListingForm {
        ap_id: format!("https://coop{coop}.example/skills/{i}"),
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
            CITIES.choose(rng).expect("cities").to_string()
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
    }
}
