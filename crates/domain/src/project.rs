//! Projects and their budgets: statuses, currencies, money in minor units, the ledger's rules
//! (time, reversals) and the figures derived from it. Integers only: an amount is a count of
//! the currency's minor units (cents), an hour count is in hundredths of an hour, and every
//! sum is checked, so an overflow is an error, never a wrap or a panic.

use std::fmt;

use crate::skill::Day;

/// Where a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Idea,
    Proposed,
    Active,
    Paused,
    Done,
    Cancelled,
}

/// What a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Money received (from the client, a grant).
    Income,
    /// Money spent (material, licences, subcontractors).
    Expense,
    /// Hours worked by someone, valued at the project's hourly rate.
    Time,
}

words!(Status, Idea => "idea", Proposed => "proposed", Active => "active", Paused => "paused",
    Done => "done", Cancelled => "cancelled");
words!(EntryKind, Income => "income", Expense => "expense", Time => "time");

/// Longest project name, in characters.
pub const MAX_NAME: usize = 120;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 10_000;
/// Longest client name, category or entry description, in characters.
pub const MAX_SHORT_TEXT: usize = 200;
/// Most needed skills on one project.
pub const MAX_SKILLS: usize = 20;
/// Most time one member can log on one day: 24 hours, in hundredths.
pub const MAX_DAY: i64 = 24 * 100;

/// A currency: its ISO 4217 code and how many decimal places its minor unit has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    pub code: &'static str,
    /// Digits after the decimal point: EUR 2, JPY 0, BHD 3.
    pub exponent: u8,
}

/// ISO 4217 codes in use (December 2026), with their minor-unit exponent. Left out: codes
/// withdrawn (HRK, BGN since the euro, ANG since XCG, SLL, ZWL, CUC), precious metals, SDRs
/// and testing codes, which have no minor unit and in which no coop keeps a budget.
#[rustfmt::skip]
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("AOA", 2), ("ARS", 2), ("AUD", 2),
    ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BHD", 3), ("BIF", 0),
    ("BMD", 2), ("BND", 2), ("BOB", 2), ("BOV", 2), ("BRL", 2), ("BSD", 2), ("BTN", 2),
    ("BWP", 2), ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHE", 2), ("CHF", 2),
    ("CHW", 2), ("CLF", 4), ("CLP", 0), ("CNY", 2), ("COP", 2), ("COU", 2), ("CRC", 2),
    ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0), ("DKK", 2), ("DOP", 2), ("DZD", 2),
    ("EGP", 2), ("ERN", 2), ("ETB", 2), ("EUR", 2), ("FJD", 2), ("FKP", 2), ("GBP", 2),
    ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2), ("GNF", 0), ("GTQ", 2), ("GYD", 2),
    ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2),
    ("IQD", 3), ("IRR", 2), ("ISK", 0), ("JMD", 2), ("JOD", 3), ("JPY", 0), ("KES", 2),
    ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2), ("KRW", 0), ("KWD", 3), ("KYD", 2),
    ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2), ("LRD", 2), ("LSL", 2), ("LYD", 3),
    ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2), ("MMK", 2), ("MNT", 2), ("MOP", 2),
    ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2), ("MXV", 2), ("MYR", 2),
    ("MZN", 2), ("NAD", 2), ("NGN", 2), ("NIO", 2), ("NOK", 2), ("NPR", 2), ("NZD", 2),
    ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2),
    ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2), ("RWF", 0), ("SAR", 2),
    ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2), ("SHP", 2), ("SLE", 2),
    ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2), ("SVC", 2), ("SYP", 2), ("SZL", 2),
    ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3), ("TOP", 2), ("TRY", 2), ("TTD", 2),
    ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2), ("USN", 2), ("UYI", 0),
    ("UYU", 2), ("UYW", 4), ("UZS", 2), ("VED", 2), ("VES", 2), ("VND", 0), ("VUV", 0),
    ("WST", 2), ("XAF", 0), ("XCD", 2), ("XCG", 2), ("XOF", 0), ("XPF", 0), ("YER", 2),
    ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

/// A code that is not a currency in use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ISO 4217 currency code in use (e.g. EUR, CHF, USD)")]
pub struct UnknownCurrency(pub String);

impl Currency {
    /// Finds a currency by its code (upper case, as ISO writes it).
    pub fn parse(code: &str) -> Result<Self, UnknownCurrency> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| UnknownCurrency(code.to_owned()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// A sum or product left the range of an `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the amount is too large")]
pub struct Overflow;

/// Why a decimal text is not an amount or an hour count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("must be a number like {example}")]
    NotANumber { example: &'static str },
    #[error("must not be negative")]
    Negative,
    #[error("has more than {0} decimal places")]
    TooPrecise(u8),
    #[error("is too large")]
    TooLarge,
}

/// Reads a non-negative decimal (`"1234.5"`, `"0.05"`, `"12"`) as an integer count of
/// `10^-places` units. No floats: "0.1" + "0.2" is exactly "0.3" here.
fn parse_decimal(text: &str, places: u8, example: &'static str) -> Result<i64, DecimalError> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err(DecimalError::Negative);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || (text.ends_with('.')) {
        return Err(DecimalError::NotANumber { example });
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > usize::from(places) {
        return Err(DecimalError::TooPrecise(places));
    }
    let scale = 10_i64.pow(u32::from(places));
    let whole: i64 = whole.parse().map_err(|_| DecimalError::TooLarge)?;
    let mut minor: i64 = 0;
    for (i, digit) in fraction.bytes().enumerate() {
        let weight = 10_i64.pow(u32::from(places) - 1 - i as u32);
        minor += i64::from(digit - b'0') * weight;
    }
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(minor))
        .ok_or(DecimalError::TooLarge)
}

/// Writes an integer count of `10^-places` units as a decimal with exactly `places` places.
fn format_decimal(value: i64, places: u8) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    if places == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10_u64.pow(u32::from(places));
    format!(
        "{sign}{}.{:0width$}",
        magnitude / scale,
        magnitude % scale,
        width = usize::from(places)
    )
}

/// Reads an amount in `currency` ("1234.50" EUR → 123450 cents; "12" JPY → 12).
pub fn parse_amount(text: &str, currency: Currency) -> Result<i64, DecimalError> {
    parse_decimal(text, currency.exponent, "1234.50")
}

/// Writes minor units as the currency writes them (123450 EUR → "1234.50").
pub fn format_amount(minor: i64, currency: Currency) -> String {
    format_decimal(minor, currency.exponent)
}

/// Reads hours ("7.5", "0.25", "8") as hundredths of an hour.
pub fn parse_hours(text: &str) -> Result<i64, DecimalError> {
    parse_decimal(text, 2, "7.5")
}

/// Writes hundredths of an hour as hours ("7.50").
pub fn format_hours(hundredths: i64) -> String {
    format_decimal(hundredths, 2)
}

/// Checks a project's dates: the end not before the start.
pub fn check_dates(start: Option<Day>, end: Option<Day>) -> Result<(), &'static str> {
    match (start, end) {
        (Some(start), Some(end)) if end < start => Err("must not be before start_date"),
        _ => Ok(()),
    }
}

/// A ledger entry as the rules see it. `amount` is positive: minor units for money, hundredths
/// of an hour for time. A reversal has the kind, amount, date and worker of the entry it
/// reverses and counts negatively: it cancels the entry where the entry counted (its month,
/// its day's hours); when the correction was made is the row's creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub project: i64,
    pub kind: EntryKind,
    pub amount: i64,
    pub date: Day,
    /// Who worked (time entries): an actor, so a guest from another coop can be credited.
    pub worker: Option<i64>,
    pub reverses: Option<i64>,
}

impl Entry {
    /// What the entry adds to its kind's total: its amount, or minus it for a reversal.
    pub fn signed(&self) -> i64 {
        if self.reverses.is_some() {
            -self.amount
        } else {
            self.amount
        }
    }
}

/// Why an entry cannot be reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReversalError {
    #[error("the entry belongs to another project")]
    OtherProject,
    #[error("a reversal cannot be reversed: enter the entry again instead")]
    OfReversal,
    #[error("the entry is already reversed")]
    AlreadyReversed,
}

/// Checks that `target` may be reversed in `project`, given the project's `entries`.
pub fn check_reversal(
    project: i64,
    target: &Entry,
    entries: &[Entry],
) -> Result<(), ReversalError> {
    if target.project != project {
        return Err(ReversalError::OtherProject);
    }
    if target.reverses.is_some() {
        return Err(ReversalError::OfReversal);
    }
    if entries.iter().any(|e| e.reverses == Some(target.id)) {
        return Err(ReversalError::AlreadyReversed);
    }
    Ok(())
}

/// Why a time entry is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("must be more than 0")]
    NotPositive,
    #[error("would make more than 24 hours on {0} for this member")]
    MoreThanADay(Day),
}

/// Checks a new time entry of `hundredths` for `worker` on `date` against the entries so far
/// (reversed time does not count).
pub fn check_time(
    entries: &[Entry],
    worker: i64,
    date: Day,
    hundredths: i64,
) -> Result<(), TimeError> {
    if hundredths <= 0 {
        return Err(TimeError::NotPositive);
    }
    let logged: i64 = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Time && e.worker == Some(worker) && e.date == date)
        .map(Entry::signed)
        .sum();
    if logged.saturating_add(hundredths) > MAX_DAY {
        return Err(TimeError::MoreThanADay(date));
    }
    Ok(())
}

/// A project's budget as planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Total budget, minor units.
    pub total: i64,
    /// Minor units per hour worked.
    pub hourly_rate: i64,
    /// Planned hours, in hundredths.
    pub planned_hours: i64,
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl From<Day> for Month {
    fn from(day: Day) -> Self {
        Month {
            year: day.year,
            month: day.month,
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// When the budget runs out at the recent pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forecast {
    /// Nothing (net) spent in the recent window: at this pace it never runs out.
    NoSpending,
    /// Nothing remains: spent is at or over the budget.
    Exhausted,
    /// The day the remaining budget is used up at the recent burn rate.
    RunsOut(Day),
    /// More than a hundred years away at this pace.
    BeyondHorizon,
}

/// The window the burn rate is measured over, in days up to and including today.
pub const BURN_WINDOW_DAYS: i64 = 90;
/// Forecasts farther away than this say [`Forecast::BeyondHorizon`].
const HORIZON_DAYS: i64 = 100 * 366;

/// What a ledger adds up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Income, minor units.
    pub received: i64,
    /// Expenses, minor units.
    pub expenses: i64,
    /// Hours worked valued at the hourly rate, minor units.
    pub labour: i64,
    /// Expenses plus labour.
    pub spent: i64,
    /// Budget minus spent (negative when over budget).
    pub remaining: i64,
    /// Hours logged, in hundredths.
    pub hours_logged: i64,
    /// Hours planned, in hundredths.
    pub hours_planned: i64,
    /// Spent per calendar month, oldest first (months without entries left out).
    pub burn: Vec<(Month, i64)>,
    pub forecast: Forecast,
}

/// Hours (hundredths) valued at `rate` minor units an hour, rounded half away from zero to
/// a whole minor unit.
pub fn labour_cost(hundredths: i64, rate: i64) -> Result<i64, Overflow> {
    let exact = i128::from(hundredths) * i128::from(rate);
    let rounded = (exact.abs() + 50) / 100 * exact.signum();
    i64::try_from(rounded).map_err(|_| Overflow)
}

fn add(a: i64, b: i64) -> Result<i64, Overflow> {
    a.checked_add(b).ok_or(Overflow)
}

/// Adds up a project's ledger. `today` anchors the burn rate of the forecast. Fails only when
/// a total leaves the range of an `i64` (the application checks every new entry with this, so
/// a stored ledger always adds up).
pub fn figures(budget: Budget, entries: &[Entry], today: Day) -> Result<Figures, Overflow> {
    let (mut received, mut expenses, mut hours_logged) = (0_i64, 0_i64, 0_i64);
    // Per month: expenses and hours, valued once per month so rounding stays per month.
    let mut months: std::collections::BTreeMap<Month, (i64, i64)> = Default::default();
    let (mut recent_expenses, mut recent_hours) = (0_i64, 0_i64);
    let today_n = day_number(today);
    for entry in entries {
        let value = entry.signed();
        let month = months.entry(Month::from(entry.date)).or_default();
        let recent = (today_n - BURN_WINDOW_DAYS + 1..=today_n).contains(&day_number(entry.date));
        match entry.kind {
            EntryKind::Income => received = add(received, value)?,
            EntryKind::Expense => {
                expenses = add(expenses, value)?;
                month.0 = add(month.0, value)?;
                if recent {
                    recent_expenses = add(recent_expenses, value)?;
                }
            }
            EntryKind::Time => {
                hours_logged = add(hours_logged, value)?;
                month.1 = add(month.1, value)?;
                if recent {
                    recent_hours = add(recent_hours, value)?;
                }
            }
        }
    }
    let labour = labour_cost(hours_logged, budget.hourly_rate)?;
    let spent = add(expenses, labour)?;
    let remaining = budget.total.checked_sub(spent).ok_or(Overflow)?;
    let mut burn = Vec::new();
    for (month, (spent_money, hours)) in months {
        let value = add(spent_money, labour_cost(hours, budget.hourly_rate)?)?;
        if value != 0 || spent_money != 0 || hours != 0 {
            burn.push((month, value));
        }
    }
    let recent = add(
        recent_expenses,
        labour_cost(recent_hours, budget.hourly_rate)?,
    )?;
    Ok(Figures {
        received,
        expenses,
        labour,
        spent,
        remaining,
        hours_logged,
        hours_planned: budget.planned_hours,
        burn,
        forecast: forecast(remaining, recent, today),
    })
}

/// When `remaining` is used up if `recent` (spent over the last [`BURN_WINDOW_DAYS`]) goes
/// on at the same pace.
pub fn forecast(remaining: i64, recent: i64, today: Day) -> Forecast {
    if remaining <= 0 {
        return Forecast::Exhausted;
    }
    if recent <= 0 {
        return Forecast::NoSpending;
    }
    // Days left = remaining / (recent / window), rounded up: the day it is used up.
    // Both are positive here, so the rounding up is (a + b - 1) / b.
    let days = (i128::from(remaining) * i128::from(BURN_WINDOW_DAYS) + i128::from(recent) - 1)
        / i128::from(recent);
    if days > i128::from(HORIZON_DAYS) {
        return Forecast::BeyondHorizon;
    }
    // `days` is at most HORIZON_DAYS here, so this neither truncates nor overflows.
    Forecast::RunsOut(day_from_number(day_number(today) + days as i64))
}

/// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's `days_from_civil`).
fn day_number(day: Day) -> i64 {
    let (m, d) = (i64::from(day.month), i64::from(day.day));
    let y = i64::from(day.year) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The day `n` days after 1970-01-01 (`civil_from_days`).
fn day_from_number(n: i64) -> Day {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Day {
        year: year as i32,
        month,
        day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        Day::parse(text).unwrap()
    }

    fn entry(id: i64, kind: EntryKind, amount: i64, date: &str) -> Entry {
        Entry {
            id,
            project: 1,
            kind,
            amount,
            date: day(date),
            worker: (kind == EntryKind::Time).then_some(7),
            reverses: None,
        }
    }

    fn reversal(id: i64, of: &Entry) -> Entry {
        Entry {
            id,
            reverses: Some(of.id),
            ..*of
        }
    }

    const BUDGET: Budget = Budget {
        total: 1_000_000,
        hourly_rate: 8_000,
        planned_hours: 10_000,
    };

    #[test]
    fn words_round_trip() {
        for status in [
            Status::Idea,
            Status::Proposed,
            Status::Active,
            Status::Paused,
            Status::Done,
            Status::Cancelled,
        ] {
            assert_eq!(Status::parse(status.as_str()), Ok(status));
        }
        assert!(Status::parse("archived").is_err());
        assert_eq!(EntryKind::parse("time"), Ok(EntryKind::Time));
    }

    #[test]
    fn currencies_know_their_minor_units() {
        assert_eq!(Currency::parse("EUR").map(|c| c.exponent), Ok(2));
        assert_eq!(Currency::parse("JPY").map(|c| c.exponent), Ok(0));
        assert_eq!(Currency::parse("BHD").map(|c| c.exponent), Ok(3));
        assert_eq!(Currency::parse("CLF").map(|c| c.exponent), Ok(4));
        for unknown in ["EURO", "eur", "XAU", "HRK", "", "ABC"] {
            assert!(Currency::parse(unknown).is_err(), "{unknown}");
        }
        // The table has no duplicates and only three-letter upper-case codes.
        let mut codes: Vec<_> = CURRENCIES.iter().map(|(c, _)| *c).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CURRENCIES.len());
    }

    #[test]
    fn amounts_follow_the_currency() {
        let eur = Currency::parse("EUR").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(parse_amount("1234.5", eur), Ok(123_450));
        assert_eq!(parse_amount(" 0.05 ", eur), Ok(5));
        assert_eq!(parse_amount("12", eur), Ok(1_200));
        assert_eq!(
            parse_amount("12.500", eur),
            Ok(1_250),
            "trailing zeros are no precision"
        );
        assert_eq!(
            parse_amount("12.345", eur),
            Err(DecimalError::TooPrecise(2))
        );
        assert_eq!(parse_amount("1200", jpy), Ok(1_200));
        assert_eq!(parse_amount("12.5", jpy), Err(DecimalError::TooPrecise(0)));
        assert_eq!(parse_amount("1.234", bhd), Ok(1_234));
        assert_eq!(parse_amount("-5", eur), Err(DecimalError::Negative));
        for bad in ["", ".5", "5.", "1,5", "1e3", "+3", "abc", "1.2.3"] {
            assert!(
                matches!(parse_amount(bad, eur), Err(DecimalError::NotANumber { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(format_amount(123_450, eur), "1234.50");
        assert_eq!(format_amount(-5, eur), "-0.05");
        assert_eq!(format_amount(1_200, jpy), "1200");
        assert_eq!(format_amount(1_234, bhd), "1.234");
        assert_eq!(format_amount(i64::MIN, eur), "-92233720368547758.08");
    }

    #[test]
    fn amounts_that_overflow_are_errors() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(parse_amount("92233720368547758.07", eur), Ok(i64::MAX));
        assert_eq!(
            parse_amount("92233720368547758.08", eur),
            Err(DecimalError::TooLarge)
        );
        assert_eq!(
            parse_amount("99999999999999999999999", eur),
            Err(DecimalError::TooLarge)
        );
        let huge = entry(1, EntryKind::Expense, i64::MAX, "2027-01-05");
        let more = entry(2, EntryKind::Expense, 1, "2027-01-06");
        assert_eq!(
            figures(BUDGET, &[huge, more], day("2027-01-31")),
            Err(Overflow)
        );
        // Hours times rate beyond i64 is an overflow too, not a wrap.
        let hours = entry(3, EntryKind::Time, i64::MAX / 2, "2027-01-05");
        assert_eq!(labour_cost(i64::MAX / 2, 8_000), Err(Overflow));
        assert_eq!(figures(BUDGET, &[hours], day("2027-01-31")), Err(Overflow));
        // A budget far below zero minus spending overflows rather than wrapping.
        let low = Budget {
            total: i64::MIN,
            ..BUDGET
        };
        assert_eq!(figures(low, &[more], day("2027-01-31")), Err(Overflow));
    }

    #[test]
    fn hours_are_hundredths() {
        assert_eq!(parse_hours("7.5"), Ok(750));
        assert_eq!(parse_hours("0.25"), Ok(25));
        assert_eq!(parse_hours("8"), Ok(800));
        assert_eq!(parse_hours("-1"), Err(DecimalError::Negative));
        assert_eq!(parse_hours("0.125"), Err(DecimalError::TooPrecise(2)));
        assert_eq!(format_hours(750), "7.50");
        assert_eq!(labour_cost(750, 8_000), Ok(60_000));
        assert_eq!(
            labour_cost(1, 150),
            Ok(2),
            "1.5 cents round half away from zero"
        );
        assert_eq!(labour_cost(-1, 150), Ok(-2));
    }

    #[test]
    fn time_is_at_most_a_day_per_member() {
        let a = entry(1, EntryKind::Time, 1_600, "2027-01-05");
        let b = entry(2, EntryKind::Time, 600, "2027-01-05");
        let entries = [a, b];
        assert_eq!(check_time(&entries, 7, day("2027-01-05"), 200), Ok(()));
        assert_eq!(
            check_time(&entries, 7, day("2027-01-05"), 201),
            Err(TimeError::MoreThanADay(day("2027-01-05")))
        );
        assert_eq!(
            check_time(&entries, 8, day("2027-01-05"), 2_400),
            Ok(()),
            "another member"
        );
        assert_eq!(
            check_time(&entries, 7, day("2027-01-06"), 2_400),
            Ok(()),
            "another day"
        );
        assert!(check_time(&[], 7, day("2027-01-06"), 2_401).is_err());
        assert_eq!(
            check_time(&[], 7, day("2027-01-06"), 0),
            Err(TimeError::NotPositive)
        );
        // A reversed entry frees its hours.
        let undone = reversal(3, &a);
        assert_eq!(
            check_time(&[a, b, undone], 7, day("2027-01-05"), 1_800),
            Ok(())
        );
    }

    #[test]
    fn reversals_point_at_one_entry_of_the_same_project() {
        let a = entry(1, EntryKind::Expense, 500, "2027-01-05");
        let elsewhere = Entry {
            project: 2,
            ..entry(2, EntryKind::Income, 5, "2027-01-05")
        };
        assert_eq!(check_reversal(1, &a, &[a]), Ok(()));
        assert_eq!(
            check_reversal(1, &elsewhere, &[a]),
            Err(ReversalError::OtherProject)
        );
        let undo = reversal(3, &a);
        assert_eq!(
            check_reversal(1, &a, &[a, undo]),
            Err(ReversalError::AlreadyReversed)
        );
        assert_eq!(
            check_reversal(1, &undo, &[a, undo]),
            Err(ReversalError::OfReversal)
        );
    }

    #[test]
    fn figures_add_up_with_reversals() {
        let income = entry(1, EntryKind::Income, 500_000, "2027-01-10");
        let laptop = entry(2, EntryKind::Expense, 120_000, "2027-01-12");
        let typo = entry(3, EntryKind::Expense, 99_999, "2027-02-01");
        let fix = reversal(4, &typo);
        let work = entry(5, EntryKind::Time, 750, "2027-02-03");
        let f = figures(
            BUDGET,
            &[income, laptop, typo, fix, work],
            day("2027-02-28"),
        )
        .unwrap();
        assert_eq!(f.received, 500_000);
        assert_eq!(f.expenses, 120_000);
        assert_eq!(f.labour, 60_000);
        assert_eq!(f.spent, 180_000);
        assert_eq!(f.remaining, 820_000);
        assert_eq!((f.hours_logged, f.hours_planned), (750, 10_000));
        let jan = Month {
            year: 2027,
            month: 1,
        };
        let feb = Month {
            year: 2027,
            month: 2,
        };
        assert_eq!(f.burn, vec![(jan, 120_000), (feb, 60_000)]);
        // 180,000 over the last 90 days: 820,000 more take 410 days.
        assert_eq!(f.forecast, Forecast::RunsOut(day("2028-04-13")));
    }

    #[test]
    fn forecast_edge_cases() {
        let today = day("2027-03-31");
        assert_eq!(
            figures(BUDGET, &[], today).unwrap().forecast,
            Forecast::NoSpending
        );
        // Only income: nothing burns.
        let income = entry(1, EntryKind::Income, 5, "2027-03-01");
        assert_eq!(
            figures(BUDGET, &[income], today).unwrap().forecast,
            Forecast::NoSpending
        );
        // Spending long ago only: no recent burn.
        let old = entry(2, EntryKind::Expense, 100, "2026-01-01");
        assert_eq!(
            figures(BUDGET, &[old], today).unwrap().forecast,
            Forecast::NoSpending
        );
        // Spent and reversed within the window: net zero.
        let spent = entry(3, EntryKind::Expense, 100, "2027-03-01");
        let undo = reversal(4, &spent);
        assert_eq!(
            figures(BUDGET, &[spent, undo], today).unwrap().forecast,
            Forecast::NoSpending
        );
        // Over budget.
        let big = entry(5, EntryKind::Expense, 1_500_000, "2027-03-01");
        let f = figures(BUDGET, &[big], today).unwrap();
        assert_eq!((f.remaining, f.forecast), (-500_000, Forecast::Exhausted));
        // Exactly at budget.
        let all = entry(6, EntryKind::Expense, 1_000_000, "2027-03-01");
        assert_eq!(
            figures(BUDGET, &[all], today).unwrap().forecast,
            Forecast::Exhausted
        );
        // No budget at all is exhausted from the start.
        let none = Budget { total: 0, ..BUDGET };
        assert_eq!(
            figures(none, &[], today).unwrap().forecast,
            Forecast::Exhausted
        );
        // A trickle: beyond the horizon, not a far-future date.
        let cent = entry(7, EntryKind::Expense, 1, "2027-03-01");
        let rich = Budget {
            total: i64::MAX,
            ..BUDGET
        };
        assert_eq!(
            figures(rich, &[cent], today).unwrap().forecast,
            Forecast::BeyondHorizon
        );
        // Spending today, the last day of the window, counts: what remains equals one
        // window's burn, so it lasts one more window.
        let half = entry(8, EntryKind::Expense, 500_000, "2027-03-31");
        assert_eq!(
            figures(BUDGET, &[half], today).unwrap().forecast,
            Forecast::RunsOut(day("2027-06-29"))
        );
        // A day outside the window (91 days ago) does not count.
        let edge = entry(9, EntryKind::Expense, 500_000, "2026-12-31");
        assert_eq!(
            figures(BUDGET, &[edge], today).unwrap().forecast,
            Forecast::NoSpending
        );
        let inside = entry(10, EntryKind::Expense, 500_000, "2027-01-01");
        assert_ne!(
            figures(BUDGET, &[inside], today).unwrap().forecast,
            Forecast::NoSpending
        );
    }

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(day_number(day("1970-01-01")), 0);
        assert_eq!(day_number(day("2000-03-01")), 11_017);
        for text in [
            "1600-02-29",
            "1999-12-31",
            "2024-02-29",
            "2027-01-01",
            "2400-12-31",
        ] {
            assert_eq!(day_from_number(day_number(day(text))), day(text));
        }
        assert_eq!(
            day_from_number(day_number(day("2027-12-31")) + 1),
            day("2028-01-01")
        );
    }

    #[test]
    fn dates_of_a_project() {
        assert!(check_dates(Some(day("2027-01-01")), Some(day("2027-01-01"))).is_ok());
        assert!(check_dates(Some(day("2027-02-01")), Some(day("2027-01-31"))).is_err());
        assert!(check_dates(None, Some(day("2027-01-31"))).is_ok());
    }
}
