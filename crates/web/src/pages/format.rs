//! Numbers, money, hours and dates as each language writes them: `€1,234.50` and
//! `December 1, 2026` in English, `1.234,50 €` and `1. Dezember 2026` in German. Amounts stay
//! integers (minor units, hundredths of an hour) all the way here: no float ever rounds a
//! figure a member reads.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use cooperage_domain::project::Currency;
use cooperage_domain::skill::Day;

use super::Lang;

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// The group and decimal separators of a language.
fn separators(lang: Lang) -> (char, char) {
    match lang {
        Lang::En => (',', '.'),
        Lang::De => ('.', ','),
    }
}

/// Digits with a separator every three places: `1234567` → `1,234,567`.
fn grouped(mut value: u64, separator: char) -> String {
    let mut groups = Vec::new();
    loop {
        groups.push(value % 1000);
        value /= 1000;
        if value == 0 {
            break;
        }
    }
    let mut out = groups.pop().unwrap_or(0).to_string();
    while let Some(group) = groups.pop() {
        out.push(separator);
        out.push_str(&format!("{group:03}"));
    }
    out
}

/// An integer count of `10^-places` units as a decimal with exactly `places` places, grouped:
/// (123450, 2) → `1,234.50` (en) / `1.234,50` (de). The sign is the caller's.
fn unsigned_decimal(magnitude: u64, places: u8, lang: Lang) -> String {
    let (group, point) = separators(lang);
    let scale = 10_u64.pow(u32::from(places));
    let whole = grouped(magnitude / scale, group);
    if places == 0 {
        return whole;
    }
    format!(
        "{whole}{point}{:0width$}",
        magnitude % scale,
        width = usize::from(places)
    )
}

/// A whole number: `12,345` / `12.345`.
pub fn number(value: i64, lang: Lang) -> String {
    let sign = if value < 0 { "-" } else { "" };
    format!(
        "{sign}{}",
        grouped(value.unsigned_abs(), separators(lang).0)
    )
}

/// The symbol written for a currency, where one is unambiguous enough to use.
fn symbol(currency: Currency) -> Option<&'static str> {
    match currency.code {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    }
}

/// An amount in minor units: `€1,234.50`, `CHF 1,234.50`, `-€5.00` (en); `1.234,50 €`,
/// `1.234,50 CHF`, `-5,00 €` (de).
pub fn money(minor: i64, currency: Currency, lang: Lang) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let digits = unsigned_decimal(minor.unsigned_abs(), currency.exponent, lang);
    let unit = symbol(currency).unwrap_or(currency.code);
    match (lang, symbol(currency)) {
        (Lang::En, Some(symbol)) => format!("{sign}{symbol}{digits}"),
        (Lang::En, None) => format!("{sign}{unit} {digits}"),
        // A no-break space keeps the amount and its unit on one line.
        (Lang::De, _) => format!("{sign}{digits}\u{a0}{unit}"),
    }
}

/// Hours from hundredths, without needless zeros: 750 → `7.5` / `7,5`; 120000 → `1,200`.
pub fn hours(hundredths: i64, lang: Lang) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let text = unsigned_decimal(hundredths.unsigned_abs(), 2, lang);
    let point = separators(lang).1;
    let text = text.trim_end_matches('0').trim_end_matches(point);
    format!("{sign}{text}")
}

/// A calendar day: `December 1, 2026` / `1. Dezember 2026`.
pub fn day(day: Day, lang: Lang) -> String {
    let index = usize::try_from(day.month.saturating_sub(1)).unwrap_or(0);
    match lang {
        Lang::En => format!("{} {}, {}", MONTHS_EN[index % 12], day.day, day.year),
        Lang::De => format!("{}. {} {}", day.day, MONTHS_DE[index % 12], day.year),
    }
}

/// A stored `YYYY-MM-DD` text as [`day`]; anything else as it is.
pub fn date_text(text: &str, lang: Lang) -> String {
    Day::parse(text).map_or_else(|_| text.to_owned(), |d| day(d, lang))
}

/// A month: `December 2026` / `Dezember 2026`.
pub fn month(year: i32, month: u32, lang: Lang) -> String {
    let index = usize::try_from(month.saturating_sub(1)).unwrap_or(0) % 12;
    let name = match lang {
        Lang::En => MONTHS_EN[index],
        Lang::De => MONTHS_DE[index],
    };
    format!("{name} {year}")
}

/// A moment (stored in UTC): `December 1, 2026, 14:05 UTC` / `1. Dezember 2026, 14:05 UTC`.
pub fn moment(at: NaiveDateTime, lang: Lang) -> String {
    let date: NaiveDate = at.date();
    let d = Day {
        year: date.year(),
        month: date.month(),
        day: date.day(),
    };
    format!(
        "{}, {:02}:{:02} UTC",
        day(d, lang),
        at.time().hour(),
        at.time().minute()
    )
}

/// `@name@host` of an actor id (`https://host/actors/name`, the port kept), for naming a
/// member or a coop; the id itself when it is no URL.
pub fn handle(ap_id: &str) -> String {
    let Ok(url) = url::Url::parse(ap_id) else {
        return ap_id.to_owned();
    };
    let name = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("@{name}@{host}:{port}"),
        (Some(host), None) => format!("@{name}@{host}"),
        _ => ap_id.to_owned(),
    }
}

/// A decimal as a member typed it on a page in `lang` ("1.234,50" in German, "1,234.50" in
/// English) in the form the operations read ("1234.50"). Group separators are dropped only
/// where they group thousands; anything else is passed on unchanged for the operation to
/// refuse with its own message.
pub fn decimal_input(text: &str, lang: Lang) -> String {
    let text: String = text
        .trim()
        .chars()
        .filter(|c| *c != ' ' && *c != '\u{a0}')
        .collect();
    let (group, point) = separators(lang);
    let (whole, fraction) = match text.rfind(point) {
        Some(at) => (&text[..at], Some(&text[at + point.len_utf8()..])),
        None => (text.as_str(), None),
    };
    let parts: Vec<&str> = whole.split(group).collect();
    let thousands = parts.len() > 1
        && (1..=3).contains(&parts[0].len())
        && parts[1..].iter().all(|p| p.len() == 3);
    let whole = if thousands {
        parts.concat()
    } else {
        whole.to_owned()
    };
    match fraction {
        Some(fraction) => format!("{whole}.{fraction}"),
        None => whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_name_the_actor_and_its_host() {
        assert_eq!(
            handle("http://localhost:8080/actors/nord"),
            "@nord@localhost:8080"
        );
        assert_eq!(
            handle("https://coop.example/users/ada"),
            "@ada@coop.example"
        );
        assert_eq!(handle("not a url"), "not a url");
    }

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    #[test]
    fn money_as_each_language_writes_it() {
        assert_eq!(money(123_450, eur(), Lang::En), "€1,234.50");
        assert_eq!(money(123_450, eur(), Lang::De), "1.234,50\u{a0}€");
        assert_eq!(money(-500, eur(), Lang::En), "-€5.00");
        assert_eq!(money(-500, eur(), Lang::De), "-5,00\u{a0}€");
        assert_eq!(money(0, eur(), Lang::En), "€0.00");
        let chf = Currency::parse("CHF").unwrap();
        assert_eq!(money(100_000_000, chf, Lang::En), "CHF 1,000,000.00");
        assert_eq!(money(100_000_000, chf, Lang::De), "1.000.000,00\u{a0}CHF");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(money(1_234_567, jpy, Lang::En), "¥1,234,567");
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(money(1_005, bhd, Lang::De), "1,005\u{a0}BHD");
        assert_eq!(
            money(i64::MIN, eur(), Lang::En),
            "-€92,233,720,368,547,758.08"
        );
    }

    #[test]
    fn numbers_and_hours_are_grouped() {
        assert_eq!(number(0, Lang::En), "0");
        assert_eq!(number(999, Lang::En), "999");
        assert_eq!(number(1000, Lang::En), "1,000");
        assert_eq!(number(-1_234_567, Lang::De), "-1.234.567");
        assert_eq!(hours(750, Lang::En), "7.5");
        assert_eq!(hours(750, Lang::De), "7,5");
        assert_eq!(hours(800, Lang::En), "8");
        assert_eq!(hours(25, Lang::En), "0.25");
        assert_eq!(hours(0, Lang::De), "0");
        assert_eq!(hours(120_000, Lang::De), "1.200");
        assert_eq!(hours(-150, Lang::En), "-1.5");
    }

    #[test]
    fn typed_decimals_are_read_as_the_language_writes_them() {
        assert_eq!(decimal_input("1.234,50", Lang::De), "1234.50");
        assert_eq!(decimal_input(" 7,5 ", Lang::De), "7.5");
        assert_eq!(decimal_input("1.5", Lang::De), "1.5");
        assert_eq!(decimal_input("12.500", Lang::De), "12500");
        assert_eq!(decimal_input("1,234.50", Lang::En), "1234.50");
        assert_eq!(decimal_input("7.5", Lang::En), "7.5");
        assert_eq!(decimal_input("1 000", Lang::En), "1000");
        // Not a grouping: left for the operation to refuse.
        assert_eq!(decimal_input("1,5", Lang::En), "1,5");
        assert_eq!(decimal_input("-3", Lang::En), "-3");
        assert_eq!(decimal_input("", Lang::De), "");
    }

    #[test]
    fn dates_as_each_language_writes_them() {
        let first = Day::parse("2026-12-01").unwrap();
        assert_eq!(day(first, Lang::En), "December 1, 2026");
        assert_eq!(day(first, Lang::De), "1. Dezember 2026");
        assert_eq!(date_text("2027-03-09", Lang::De), "9. März 2027");
        assert_eq!(date_text("not a date", Lang::De), "not a date");
        assert_eq!(month(2027, 5, Lang::De), "Mai 2027");
        let at = NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(14, 5, 9)
            .unwrap();
        assert_eq!(moment(at, Lang::En), "December 1, 2026, 14:05 UTC");
        assert_eq!(moment(at, Lang::De), "1. Dezember 2026, 14:05 UTC");
    }
}
