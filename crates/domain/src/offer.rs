//! Project offers: a project's call for collaborators across the network, and the
//! applications members of other coops send to it. Pure rules: statuses (with the deadline
//! closing an offer on its own), compensation, limits, and which listings fit an offer.

use crate::skill::Day;

/// Where an offer stands. Every state but `open` is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Open,
    /// Enough people were found.
    Filled,
    /// The project no longer looks for anyone.
    Withdrawn,
    /// Its application deadline passed (set on its own: see [`status_on`]).
    Expired,
}

/// How the work is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compensation {
    /// An hourly rate, in the currency's minor units.
    Hourly,
    /// A fixed amount for the whole work, in minor units.
    Fixed,
    /// To be agreed with whoever is chosen: no amount.
    ToBeDiscussed,
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationStatus {
    Pending,
    Accepted,
    Declined,
    /// The applicant took it back.
    Withdrawn,
}

words!(Status, Open => "open", Filled => "filled", Withdrawn => "withdrawn", Expired => "expired");
words!(Compensation, Hourly => "hourly", Fixed => "fixed", ToBeDiscussed => "to_be_discussed");
words!(ApplicationStatus, Pending => "pending", Accepted => "accepted", Declined => "declined",
    Withdrawn => "withdrawn");

/// Longest title, in characters.
pub const MAX_TITLE: usize = 120;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 5_000;
/// Longest location, in characters.
pub const MAX_LOCATION: usize = 100;
/// Longest application message, in characters.
pub const MAX_MESSAGE: usize = 2_000;
/// Most skills one offer asks for.
pub const MAX_SKILLS: usize = 20;
/// How many people one offer may look for.
pub const POSITIONS: std::ops::RangeInclusive<u32> = 1..=50;
/// Estimated hours of one offer (per person).
pub const HOURS: std::ops::RangeInclusive<u32> = 1..=10_000;

impl Status {
    /// Whether people may still apply.
    pub fn is_open(self) -> bool {
        self == Status::Open
    }
}

/// The status an offer has on `today`: an open offer whose deadline has passed is expired
/// (the deadline day itself still counts).
pub fn status_on(stored: Status, deadline: Option<Day>, today: Day) -> Status {
    match (stored, deadline) {
        (Status::Open, Some(deadline)) if deadline < today => Status::Expired,
        (status, _) => status,
    }
}

/// Checks the number of people sought.
pub fn check_positions(positions: u32) -> Result<(), &'static str> {
    if POSITIONS.contains(&positions) {
        Ok(())
    } else {
        Err("must be from 1 to 50")
    }
}

/// Checks the estimated hours.
pub fn check_hours(hours: u32) -> Result<(), &'static str> {
    if HOURS.contains(&hours) {
        Ok(())
    } else {
        Err("must be from 1 to 10000")
    }
}

/// Checks that an amount goes with its kind of compensation: a positive amount and a currency
/// for an hourly rate or a fixed amount, neither for "to be discussed".
pub fn check_compensation(
    kind: Compensation,
    amount: Option<i64>,
    has_currency: bool,
) -> Result<(), &'static str> {
    match (kind, amount) {
        (Compensation::ToBeDiscussed, None) if !has_currency => Ok(()),
        (Compensation::ToBeDiscussed, _) => Err("takes no amount or currency when to_be_discussed"),
        (_, Some(amount)) if amount > 0 && has_currency => Ok(()),
        (_, Some(_)) if !has_currency => Err("needs a currency"),
        _ => Err("needs a positive amount"),
    }
}

/// Checks an offer's period and deadline: the period's end not before its start, and no
/// deadline after the work has ended.
pub fn check_dates(
    start: Option<Day>,
    end: Option<Day>,
    deadline: Option<Day>,
) -> Result<(), (&'static str, &'static str)> {
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        return Err(("period_end", "must not be before period_start"));
    }
    if let (Some(deadline), Some(end)) = (deadline, end)
        && deadline > end
    {
        return Err(("application_deadline", "must not be after period_end"));
    }
    Ok(())
}

/// Whether a listing with `listing_tags` fits an offer asking for `offer_tags`: they share a
/// tag.
pub fn fits(offer_tags: &[String], listing_tags: &[String]) -> bool {
    listing_tags.iter().any(|tag| offer_tags.contains(tag))
}

/// Whether an application in `status` may be answered (accepted or declined) now.
pub fn can_answer(status: ApplicationStatus) -> bool {
    status == ApplicationStatus::Pending
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        Day::parse(text).unwrap()
    }

    #[test]
    fn the_deadline_closes_an_open_offer_after_its_day() {
        let deadline = Some(day("2027-03-31"));
        assert_eq!(
            status_on(Status::Open, deadline, day("2027-03-31")),
            Status::Open
        );
        assert_eq!(
            status_on(Status::Open, deadline, day("2027-04-01")),
            Status::Expired
        );
        assert_eq!(
            status_on(Status::Filled, deadline, day("2027-04-01")),
            Status::Filled
        );
        assert_eq!(
            status_on(Status::Open, None, day("2099-01-01")),
            Status::Open
        );
        assert!(Status::Open.is_open() && !Status::Expired.is_open());
    }

    #[test]
    fn compensation_needs_what_its_kind_needs() {
        use Compensation::*;
        assert!(check_compensation(Hourly, Some(5_000), true).is_ok());
        assert!(check_compensation(Fixed, Some(1), true).is_ok());
        assert!(check_compensation(ToBeDiscussed, None, false).is_ok());
        assert!(check_compensation(Hourly, None, true).is_err());
        assert!(check_compensation(Hourly, Some(0), true).is_err());
        assert!(check_compensation(Fixed, Some(100), false).is_err());
        assert!(check_compensation(ToBeDiscussed, Some(100), true).is_err());
        assert_eq!(Compensation::parse("to_be_discussed"), Ok(ToBeDiscussed));
        assert!(Compensation::parse("barter").is_err());
    }

    #[test]
    fn limits_and_dates() {
        assert!(check_positions(0).is_err() && check_positions(51).is_err());
        assert!(check_positions(2).is_ok());
        assert!(check_hours(0).is_err() && check_hours(10_001).is_err() && check_hours(40).is_ok());
        let (jan, feb, mar) = (
            Some(day("2027-01-01")),
            Some(day("2027-02-01")),
            Some(day("2027-03-01")),
        );
        assert!(check_dates(jan, mar, feb).is_ok());
        assert_eq!(check_dates(mar, jan, None).unwrap_err().0, "period_end");
        assert_eq!(
            check_dates(jan, feb, mar).unwrap_err().0,
            "application_deadline"
        );
        assert!(check_dates(None, None, mar).is_ok());
    }

    #[test]
    fn a_listing_fits_when_it_shares_a_tag() {
        let offer = vec!["rust".to_owned(), "postgresql".to_owned()];
        assert!(fits(
            &offer,
            &["postgresql".to_owned(), "replication".to_owned()]
        ));
        assert!(!fits(&offer, &["elixir".to_owned()]));
        assert!(!fits(&offer, &[]));
        assert!(can_answer(ApplicationStatus::Pending));
        assert!(!can_answer(ApplicationStatus::Withdrawn));
    }
}
