//! Skill listings: what a member can do, how well, and when, for the network's directory.

use std::fmt;

/// How well a member knows a skill. Ordered: a search for "at least practitioner" finds
/// experts too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Learning,
    Practitioner,
    Expert,
}

/// Where the work happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkMode {
    Remote,
    OnSite,
    Hybrid,
}

/// Who may see a listing. Ordered from narrowest to widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Visibility {
    /// This coop's members only: never leaves the instance.
    Coop,
    /// The coops this coop federates with both ways (its network).
    Network,
    /// Anyone, Mastodon included.
    Public,
}

words!(Level, Learning => "learning", Practitioner => "practitioner", Expert => "expert");
words!(WorkMode, Remote => "remote", OnSite => "on_site", Hybrid => "hybrid");
words!(Visibility, Coop => "coop", Network => "network", Public => "public");

/// Longest skill label, in characters.
pub const MAX_LABEL: usize = 80;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 2_000;
/// Longest city or region, in characters.
pub const MAX_REGION: usize = 100;
/// Most extra tags on one listing.
pub const MAX_TAGS: usize = 10;
/// Hours a week a listing may offer.
pub const HOURS: std::ops::RangeInclusive<u32> = 1..=80;

/// Folds text for matching: lower case, accents removed, German sharp s and umlauts spelt
/// out the way they are typed without them ("Müller" matches "muller" and "mueller" is its
/// own word), everything else kept.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => out.push('a'),
            'ç' | 'ć' | 'č' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ī' => out.push('i'),
            'ñ' | 'ń' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ś' | 'š' => out.push('s'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            'ł' => out.push('l'),
            'ř' => out.push('r'),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            c => out.push(c),
        }
    }
    out
}

/// Why a skill cannot become a tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {MAX_LABEL} characters")]
    TooLong,
    #[error("must contain a letter or digit")]
    NoWord,
}

/// A skill's tag: what a hashtag and the directory match on ("PostgreSQL" → `postgresql`,
/// "C++" → `cplusplus`, "C#" → `csharp`, "Node.js" → `nodejs`, "Öffentlichkeitsarbeit" →
/// `offentlichkeitsarbeit`). Letters and digits only, as a Mastodon hashtag.
pub fn tag(label: &str) -> Result<String, TagError> {
    let label = label.trim();
    if label.is_empty() {
        return Err(TagError::Empty);
    }
    if label.chars().count() > MAX_LABEL {
        return Err(TagError::TooLong);
    }
    let mut tag = String::new();
    for c in fold(label).chars() {
        match c {
            '+' => tag.push_str("plus"),
            '#' => tag.push_str("sharp"),
            c if c.is_alphanumeric() => tag.push(c),
            _ => {}
        }
    }
    if tag.is_empty() {
        return Err(TagError::NoWord);
    }
    Ok(tag)
}

/// A calendar day, `YYYY-MM-DD` (as stored, compared and sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Day {
    /// Reads `YYYY-MM-DD`, checking the day exists.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let mut parts = text.trim().splitn(3, '-');
        let mut next = || parts.next().ok_or("must be a date like 2027-01-31");
        let (y, m, d) = (next()?, next()?, next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err("must be a date like 2027-01-31");
        }
        let year: i32 = y.parse().map_err(|_| "must be a date like 2027-01-31")?;
        let month: u32 = m.parse().map_err(|_| "must be a date like 2027-01-31")?;
        let day: u32 = d.parse().map_err(|_| "must be a date like 2027-01-31")?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err("has no such month"),
        };
        if day == 0 || day > days {
            return Err("has no such day");
        }
        Ok(Self { year, month, day })
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Checks an availability window: `until` not before `from`.
pub fn check_window(from: Option<Day>, until: Option<Day>) -> Result<(), &'static str> {
    match (from, until) {
        (Some(from), Some(until)) if until < from => Err("must not be before available_from"),
        _ => Ok(()),
    }
}

/// Checks the hours a week a listing offers.
pub fn check_hours(hours: u32) -> Result<(), &'static str> {
    if HOURS.contains(&hours) {
        Ok(())
    } else {
        Err("must be from 1 to 80")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_hashtag_words() {
        for (label, expected) in [
            ("PostgreSQL", "postgresql"),
            ("  PostgreSQL replication ", "postgresqlreplication"),
            ("C++", "cplusplus"),
            ("C#", "csharp"),
            ("Node.js", "nodejs"),
            ("Öffentlichkeitsarbeit", "offentlichkeitsarbeit"),
            ("Straßenbau", "strassenbau"),
            ("Rust 🦀", "rust"),
        ] {
            assert_eq!(tag(label).as_deref(), Ok(expected), "{label}");
        }
        assert_eq!(tag("   "), Err(TagError::Empty));
        assert_eq!(tag("---"), Err(TagError::NoWord));
        assert_eq!(tag(&"a".repeat(81)), Err(TagError::TooLong));
    }

    #[test]
    fn folding_is_case_and_accent_blind() {
        assert_eq!(
            fold("Gestaltung für Genossenschaften"),
            "gestaltung fur genossenschaften"
        );
        assert_eq!(fold("ÉCOLE"), "ecole");
    }

    #[test]
    fn levels_order_and_words_round_trip() {
        assert!(Level::Expert > Level::Practitioner && Level::Practitioner > Level::Learning);
        for mode in [WorkMode::Remote, WorkMode::OnSite, WorkMode::Hybrid] {
            assert_eq!(WorkMode::parse(mode.as_str()), Ok(mode));
        }
        assert!(Visibility::parse("secret").is_err());
    }

    #[test]
    fn days_and_windows() {
        assert_eq!(Day::parse("2027-01-31").unwrap().to_string(), "2027-01-31");
        assert!(Day::parse("2027-02-29").is_err());
        assert!(Day::parse("2028-02-29").is_ok());
        assert!(Day::parse("2027-13-01").is_err());
        assert!(Day::parse("27-1-1").is_err());
        let (jan, feb) = (Day::parse("2027-01-01").ok(), Day::parse("2027-02-01").ok());
        assert!(check_window(jan, feb).is_ok());
        assert!(check_window(feb, jan).is_err());
        assert!(check_window(None, jan).is_ok());
        assert!(check_hours(0).is_err() && check_hours(81).is_err() && check_hours(40).is_ok());
    }
}
