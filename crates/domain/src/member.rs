//! Members and their roles, as coops in the network work: worker-owners vote; candidates
//! (freelancers or trial members on the way to membership) have a buddy and wait out a trial.

/// What a member is in the coop. Admin is a separate flag, not a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A worker-owner: votes.
    Member,
    /// On the way to membership: does not vote until an admin promotes them.
    Candidate,
}

/// Whether someone is (still) part of the coop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Active,
    Suspended,
    /// Left the coop: history stays, the account no longer logs in.
    Left,
}

/// The kinds of groups inside a coop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// A working group (AG).
    Working,
    City,
    Competence,
}

pub use crate::words::UnknownValue;

words!(Role, Member => "member", Candidate => "candidate");
words!(Status, Active => "active", Suspended => "suspended", Left => "left");
words!(GroupKind, Working => "working", City => "city", Competence => "competence");

/// One member, one vote: only active worker-owners vote.
pub fn can_vote(role: Role, status: Status) -> bool {
    role == Role::Member && status == Status::Active
}

/// Whether a change of role or status changes who votes (then the coop tells the network).
pub fn changes_voters(before: (Role, Status), after: (Role, Status)) -> bool {
    can_vote(before.0, before.1) != can_vote(after.0, after.1)
}

/// Only active members log in.
pub fn can_log_in(status: Status) -> bool {
    status == Status::Active
}

/// The languages the pages are written in (their BCP 47 tags): what a member may choose.
pub const PAGE_LANGUAGES: [&str; 2] = ["en", "de"];

/// A member's choice of page language: one of [`PAGE_LANGUAGES`] (any case, region
/// ignored: `de-AT` is `de`), or empty for "as my browser asks".
pub fn page_language(choice: &str) -> Result<Option<&'static str>, &'static str> {
    let choice = choice.trim();
    if choice.is_empty() {
        return Ok(None);
    }
    let primary = choice.split(['-', '_']).next().unwrap_or_default();
    PAGE_LANGUAGES
        .iter()
        .find(|tag| tag.eq_ignore_ascii_case(primary))
        .map(|tag| Some(*tag))
        .ok_or("must be one of: en de (or empty for the browser's language)")
}

/// Checks an e-mail address loosely (one `@`, something on both sides, a dot in the domain)
/// and returns it lower-cased: logins compare addresses case-insensitively.
pub fn normalize_email(raw: &str) -> Result<String, &'static str> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@').ok_or("must contain @")?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err("must look like name@example.org");
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err("must have a domain like example.org after @");
    }
    if email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err("must be a single address of at most 254 characters");
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_languages_are_ours_or_none() {
        assert_eq!(page_language("de"), Ok(Some("de")));
        assert_eq!(page_language(" DE-at "), Ok(Some("de")));
        assert_eq!(page_language("en_GB"), Ok(Some("en")));
        assert_eq!(page_language(""), Ok(None));
        assert!(page_language("fr").is_err());
        assert!(page_language("deutsch").is_err());
    }

    #[test]
    fn words_round_trip() {
        for role in [Role::Member, Role::Candidate] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        let error = Status::parse("gone").unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"gone\" is not one of: active suspended left"
        );
        assert_eq!(GroupKind::parse("city"), Ok(GroupKind::City));
    }

    #[test]
    fn only_active_members_vote() {
        assert!(can_vote(Role::Member, Status::Active));
        assert!(!can_vote(Role::Candidate, Status::Active));
        assert!(!can_vote(Role::Member, Status::Suspended));
        assert!(!can_vote(Role::Member, Status::Left));
    }

    #[test]
    fn only_changes_of_who_votes_are_announced() {
        use Role::*;
        use Status::*;
        assert!(changes_voters((Candidate, Active), (Member, Active)));
        assert!(changes_voters((Member, Active), (Member, Left)));
        assert!(!changes_voters((Candidate, Active), (Candidate, Suspended)));
        assert!(!changes_voters((Member, Suspended), (Member, Left)));
    }

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email(" Ana@Coop.Example "),
            Ok("ana@coop.example".into())
        );
        for bad in [
            "",
            "ana",
            "@coop.example",
            "ana@",
            "ana@coop",
            "a b@coop.example",
            "a@b@c.d",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
