//! Proposals and their votes: kinds, options, who counts, quorum, the tally and the outcome.
//!
//! One member, one vote across the network: every ballot arrives with a [`Standing`] decided
//! by whoever checked the voter's membership; this module only counts what it is given.

use std::collections::{BTreeMap, BTreeSet};

/// What members choose between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// One option per voter.
    Single,
    /// Any number of options per voter.
    Multiple,
    /// agree / abstain / disagree / block: any counted block stops the proposal.
    Consent,
}

/// Whose votes count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// This coop's voting members.
    Coop,
    /// The voting members of every coop in the hosting coop's network.
    Network,
}

/// How a network proposal counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counting {
    /// Each voting member of each coop has one vote.
    PerMember,
    /// Each coop has one vote, cast by its coop actor.
    PerCoop,
}

/// Whether the tally is shown before the close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Results {
    Live,
    Hidden,
}

words!(Kind, Single => "single", Multiple => "multiple", Consent => "consent");
words!(Scope, Coop => "coop", Network => "network");
words!(Counting, PerMember => "member", PerCoop => "coop");
words!(Results, Live => "live", Hidden => "hidden");
words!(Standing, Counted => "counted", Advisory => "advisory", Pending => "pending", NotCounted => "not_counted");

/// The four answers of a consent proposal, in this order.
pub const CONSENT_OPTIONS: [&str; 4] = ["agree", "abstain", "disagree", "block"];
/// Index of `agree` in [`CONSENT_OPTIONS`].
const AGREE: usize = 0;
const DISAGREE: usize = 2;
const BLOCK: usize = 3;

/// Fewest and most options.
pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 20;
/// Longest option name, in characters: Mastodon shows up to 50 whole.
pub const MAX_OPTION_NAME: usize = 50;
/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;

/// Why a list of options is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error("give between {MIN_OPTIONS} and {MAX_OPTIONS} options")]
    Count,
    #[error("option {0} is empty")]
    Empty(usize),
    #[error("option {0:?} is longer than {MAX_OPTION_NAME} characters")]
    TooLong(String),
    #[error("option {0:?} has a control character")]
    Control(String),
    #[error("option {0:?} is given twice")]
    Duplicate(String),
    #[error("a consent proposal has its own options (agree, abstain, disagree, block)")]
    ConsentHasItsOwn,
}

/// The options a proposal of `kind` gets: trimmed and checked, or the consent answers.
pub fn options(kind: Kind, given: &[String]) -> Result<Vec<String>, OptionsError> {
    if kind == Kind::Consent {
        let consent: Vec<String> = CONSENT_OPTIONS.iter().map(|o| (*o).to_owned()).collect();
        return if given.is_empty() || given == consent.as_slice() {
            Ok(consent)
        } else {
            Err(OptionsError::ConsentHasItsOwn)
        };
    }
    if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&given.len()) {
        return Err(OptionsError::Count);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(given.len());
    for (index, name) in given.iter().enumerate() {
        let name = name.trim();
        if name.is_empty() {
            return Err(OptionsError::Empty(index + 1));
        }
        if name.chars().count() > MAX_OPTION_NAME {
            return Err(OptionsError::TooLong(name.to_owned()));
        }
        if name.chars().any(char::is_control) {
            return Err(OptionsError::Control(name.to_owned()));
        }
        // Votes match names exactly: two equal names could not be told apart.
        if !seen.insert(name.to_owned()) {
            return Err(OptionsError::Duplicate(name.to_owned()));
        }
        out.push(name.to_owned());
    }
    Ok(out)
}

/// Optional quorum: a minimum share of eligible voters taking part, and (network scope) a
/// minimum number of coops taking part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quorum {
    /// Percent of eligible voters (1–100).
    pub percent: Option<u32>,
    /// Coops with at least one counted vote.
    pub coops: Option<u32>,
}

impl Quorum {
    /// Checks the figures for a proposal of `scope`.
    pub fn check(self, scope: Scope) -> Result<Self, &'static str> {
        if self.percent.is_some_and(|p| !(1..=100).contains(&p)) {
            return Err("quorum percent must be between 1 and 100");
        }
        if self.coops.is_some() && scope == Scope::Coop {
            return Err("a coop proposal has no quorum of coops");
        }
        if self.coops == Some(0) {
            return Err("a quorum of coops must be at least 1");
        }
        Ok(self)
    }
}

/// Where a ballot stands, decided when the voter's membership was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    /// An eligible voter: counts.
    Counted,
    /// Someone outside the network, on an open poll: in the advisory tally only.
    Advisory,
    /// Not checked yet (a remote voter whose coop's members are being fetched).
    Pending,
    /// Kept, not counted (the reason is stored with it).
    NotCounted,
}

/// One vote as stored: for a multiple-choice proposal a voter has one ballot per option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    /// The voter's actor id.
    pub voter: String,
    /// The coop the voter votes for (their own coop), when known.
    pub coop: Option<String>,
    /// Index into the options.
    pub option: usize,
    pub standing: Standing,
    /// When it was cast, in any increasing unit: of a voter's single-choice ballots the
    /// latest counts.
    pub cast_at: i64,
}

/// The counts of a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    /// Counted votes per option.
    pub counts: Vec<u64>,
    /// Distinct voters (per member) or coops (per coop) whose votes counted.
    pub voters: u64,
    /// Distinct coops with a counted vote.
    pub coops: u64,
    /// Outside votes per option, kept apart.
    pub advisory: Vec<u64>,
    pub advisory_voters: u64,
}

/// Keeps, per voter, what counts: the latest ballot (single, consent) or one per option
/// (multiple).
fn current(kind: Kind, ballots: &[Ballot]) -> Vec<&Ballot> {
    let mut latest: BTreeMap<(&str, Option<usize>), &Ballot> = BTreeMap::new();
    for ballot in ballots {
        if ballot.standing == Standing::Pending {
            continue;
        }
        let key = match kind {
            Kind::Multiple => (ballot.voter.as_str(), Some(ballot.option)),
            Kind::Single | Kind::Consent => (ballot.voter.as_str(), None),
        };
        match latest.get(&key) {
            Some(seen) if seen.cast_at > ballot.cast_at => {}
            _ => {
                latest.insert(key, ballot);
            }
        }
    }
    latest.into_values().collect()
}

/// Counts the ballots of a proposal with `options` options.
pub fn tally(kind: Kind, counting: Counting, options: usize, ballots: &[Ballot]) -> Tally {
    let mut tally = Tally {
        counts: vec![0; options],
        advisory: vec![0; options],
        ..Tally::default()
    };
    let mut voters = BTreeSet::new();
    let mut coops = BTreeSet::new();
    let mut outside = BTreeSet::new();
    for ballot in current(kind, ballots) {
        if ballot.option >= options {
            continue;
        }
        match ballot.standing {
            Standing::Counted => {
                // Per coop: only the coop actor's own ballot is the coop's vote.
                if counting == Counting::PerCoop && ballot.coop.as_deref() != Some(&ballot.voter) {
                    continue;
                }
                tally.counts[ballot.option] += 1;
                voters.insert(ballot.voter.as_str());
                if let Some(coop) = &ballot.coop {
                    coops.insert(coop.as_str());
                }
            }
            Standing::Advisory => {
                tally.advisory[ballot.option] += 1;
                outside.insert(ballot.voter.as_str());
            }
            Standing::Pending | Standing::NotCounted => {}
        }
    }
    tally.voters = voters.len() as u64;
    tally.coops = coops.len() as u64;
    tally.advisory_voters = outside.len() as u64;
    tally
}

/// What may be shown of a tally: everything when results are live or the proposal is
/// closed; zeros until then when hidden (the number of voters stays visible).
pub fn visible(results: Results, closed: bool, tally: &Tally) -> Tally {
    if results == Results::Live || closed {
        return tally.clone();
    }
    Tally {
        counts: vec![0; tally.counts.len()],
        advisory: vec![0; tally.advisory.len()],
        ..tally.clone()
    }
}

/// The decision a closed proposal reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// One option has the most votes (single / multiple).
    Winner(usize),
    /// These options share the most votes.
    Tie(Vec<usize>),
    /// Consent: no block, more agree than disagree.
    Passed,
    /// Consent: at least one block.
    Blocked,
    /// Consent: no block, but not more agree than disagree.
    NotPassed,
    /// No counted vote, or the quorum was not met.
    NoDecision,
}

/// The outcome of a closed proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub quorum_met: bool,
    pub decision: Decision,
}

impl Outcome {
    /// Whether it carries: a winner, or consent passed, with the quorum met.
    pub fn passed(&self) -> bool {
        self.quorum_met && matches!(self.decision, Decision::Passed | Decision::Winner(_))
    }

    /// The outcome in words, as stored and sent: `passed`, `blocked`, `not_passed`,
    /// `winner:<option>`, `tie:<a>|<b>`, `no_decision`, with `quorum_not_met` when it failed.
    pub fn describe(&self, options: &[String]) -> String {
        if !self.quorum_met {
            return "quorum_not_met".into();
        }
        let name = |i: &usize| options.get(*i).cloned().unwrap_or_default();
        match &self.decision {
            Decision::Winner(i) => format!("winner:{}", name(i)),
            Decision::Tie(is) => {
                format!("tie:{}", is.iter().map(name).collect::<Vec<_>>().join("|"))
            }
            Decision::Passed => "passed".into(),
            Decision::Blocked => "blocked".into(),
            Decision::NotPassed => "not_passed".into(),
            Decision::NoDecision => "no_decision".into(),
        }
    }
}

/// Whether the quorum is met, given the number of eligible voters (0: unknown, then only the
/// coop quorum is judged).
pub fn quorum_met(quorum: Quorum, eligible: u64, tally: &Tally) -> bool {
    let share = quorum
        .percent
        .is_none_or(|p| eligible > 0 && tally.voters * 100 >= u64::from(p) * eligible);
    let coops = quorum.coops.is_none_or(|c| tally.coops >= u64::from(c));
    share && coops
}

/// The outcome of a tally.
pub fn outcome(kind: Kind, quorum: Quorum, eligible: u64, tally: &Tally) -> Outcome {
    let quorum_met = quorum_met(quorum, eligible, tally);
    let decision = if kind == Kind::Consent {
        let count = |i: usize| tally.counts.get(i).copied().unwrap_or(0);
        if count(BLOCK) > 0 {
            Decision::Blocked
        } else if tally.voters == 0 {
            Decision::NoDecision
        } else if count(AGREE) > count(DISAGREE) {
            Decision::Passed
        } else {
            Decision::NotPassed
        }
    } else {
        let best = tally.counts.iter().copied().max().unwrap_or(0);
        let leaders: Vec<usize> = (0..tally.counts.len())
            .filter(|i| best > 0 && tally.counts[*i] == best)
            .collect();
        match leaders.as_slice() {
            [] => Decision::NoDecision,
            [one] => Decision::Winner(*one),
            _ => Decision::Tie(leaders),
        }
    };
    Outcome {
        quorum_met,
        decision,
    }
}

/// What a coop casts on a network proposal counted one coop one vote, from the outcome of the
/// coop proposal that decided it (same kind and options): single choice, its winner; multiple
/// choice, every option more than half of the coop's voters chose; consent, `agree` if it
/// passed, `block` if blocked, `disagree` if not. Nothing when there is no decision (a tie,
/// no votes, the quorum not met): the coop then takes no part.
pub fn coop_ballot(kind: Kind, outcome: &Outcome, tally: &Tally) -> Vec<usize> {
    if !outcome.quorum_met {
        return Vec::new();
    }
    match (kind, &outcome.decision) {
        (Kind::Consent, Decision::Passed) => vec![AGREE],
        (Kind::Consent, Decision::Blocked) => vec![BLOCK],
        (Kind::Consent, Decision::NotPassed) => vec![DISAGREE],
        (Kind::Multiple, Decision::Winner(_) | Decision::Tie(_)) => (0..tally.counts.len())
            .filter(|i| tally.counts[*i] * 2 > tally.voters)
            .collect(),
        (Kind::Single, Decision::Winner(i)) => vec![*i],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballot(voter: &str, coop: &str, option: usize, at: i64) -> Ballot {
        Ballot {
            voter: voter.into(),
            coop: Some(coop.into()),
            option,
            standing: Standing::Counted,
            cast_at: at,
        }
    }

    fn with(mut b: Ballot, standing: Standing) -> Ballot {
        b.standing = standing;
        b
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_are_checked() {
        assert_eq!(
            options(Kind::Single, &names(&[" Yes ", "No"])),
            Ok(names(&["Yes", "No"]))
        );
        assert_eq!(
            options(Kind::Single, &names(&["Yes"])),
            Err(OptionsError::Count)
        );
        assert_eq!(
            options(Kind::Multiple, &names(&["a", " "])),
            Err(OptionsError::Empty(2))
        );
        assert_eq!(
            options(Kind::Single, &names(&["a", "a"])),
            Err(OptionsError::Duplicate("a".into()))
        );
        let long = "x".repeat(51);
        assert!(matches!(
            options(Kind::Single, &[long, "b".into()]),
            Err(OptionsError::TooLong(_))
        ));
        let many: Vec<String> = (0..21).map(|i| i.to_string()).collect();
        assert_eq!(options(Kind::Single, &many), Err(OptionsError::Count));
        assert_eq!(options(Kind::Consent, &[]), Ok(names(&CONSENT_OPTIONS)));
        assert_eq!(
            options(Kind::Consent, &names(&["yes", "no"])),
            Err(OptionsError::ConsentHasItsOwn)
        );
    }

    #[test]
    fn single_choice_counts_one_per_voter_and_finds_the_winner() {
        let ballots = [
            ballot("a", "c1", 0, 1),
            ballot("b", "c1", 1, 2),
            ballot("c", "c2", 1, 3),
        ];
        let t = tally(Kind::Single, Counting::PerMember, 2, &ballots);
        assert_eq!(t.counts, vec![1, 2]);
        assert_eq!((t.voters, t.coops), (3, 2));
        assert_eq!(
            outcome(Kind::Single, Quorum::default(), 3, &t).decision,
            Decision::Winner(1)
        );
    }

    #[test]
    fn a_changed_vote_counts_as_its_latest() {
        let ballots = [
            ballot("a", "c1", 0, 5),
            ballot("a", "c1", 1, 9),
            ballot("a", "c1", 0, 7),
        ];
        let t = tally(Kind::Single, Counting::PerMember, 2, &ballots);
        assert_eq!(t.counts, vec![0, 1]);
        assert_eq!(t.voters, 1);
    }

    #[test]
    fn multiple_choice_counts_each_option_once_per_voter() {
        let ballots = [
            ballot("a", "c1", 0, 1),
            ballot("a", "c1", 2, 1),
            ballot("a", "c1", 2, 2),
            ballot("b", "c2", 2, 3),
        ];
        let t = tally(Kind::Multiple, Counting::PerMember, 3, &ballots);
        assert_eq!(t.counts, vec![1, 0, 2]);
        assert_eq!(t.voters, 2);
        assert_eq!(
            outcome(Kind::Multiple, Quorum::default(), 2, &t).decision,
            Decision::Winner(2)
        );
    }

    #[test]
    fn consent_is_stopped_by_one_block() {
        let ballots = [
            ballot("a", "c", AGREE, 1),
            ballot("b", "c", AGREE, 1),
            ballot("c", "c", BLOCK, 1),
        ];
        let t = tally(Kind::Consent, Counting::PerMember, 4, &ballots);
        let o = outcome(Kind::Consent, Quorum::default(), 3, &t);
        assert_eq!(o.decision, Decision::Blocked);
        assert!(!o.passed());
        // A block from someone who does not count stops nothing.
        let ballots = [
            ballot("a", "c", AGREE, 1),
            with(ballot("x", "c", BLOCK, 1), Standing::NotCounted),
            with(ballot("m", "c", BLOCK, 1), Standing::Advisory),
        ];
        let t = tally(Kind::Consent, Counting::PerMember, 4, &ballots);
        let o = outcome(Kind::Consent, Quorum::default(), 3, &t);
        assert_eq!(o.decision, Decision::Passed);
        assert!(o.passed());
        assert_eq!(o.describe(&names(&CONSENT_OPTIONS)), "passed");
        let ballots = [ballot("a", "c", AGREE, 1), ballot("b", "c", DISAGREE, 1)];
        let t = tally(Kind::Consent, Counting::PerMember, 4, &ballots);
        assert_eq!(
            outcome(Kind::Consent, Quorum::default(), 2, &t).decision,
            Decision::NotPassed
        );
    }

    #[test]
    fn quorum_by_share_of_voters() {
        let ballots = [ballot("a", "c", 0, 1), ballot("b", "c", 0, 1)];
        let t = tally(Kind::Single, Counting::PerMember, 2, &ballots);
        let q = Quorum {
            percent: Some(50),
            coops: None,
        };
        assert!(quorum_met(q, 4, &t));
        assert!(!quorum_met(q, 5, &t));
        let o = outcome(Kind::Single, q, 5, &t);
        assert!(!o.passed());
        assert_eq!(o.describe(&names(&["x", "y"])), "quorum_not_met");
        assert!(outcome(Kind::Single, q, 4, &t).passed());
    }

    #[test]
    fn quorum_by_coops_taking_part() {
        let q = Quorum {
            percent: None,
            coops: Some(2),
        };
        let one = tally(
            Kind::Single,
            Counting::PerMember,
            2,
            &[ballot("a", "c1", 0, 1), ballot("b", "c1", 0, 1)],
        );
        assert!(!quorum_met(q, 10, &one));
        let two = tally(
            Kind::Single,
            Counting::PerMember,
            2,
            &[ballot("a", "c1", 0, 1), ballot("b", "c2", 0, 1)],
        );
        assert!(quorum_met(q, 10, &two));
        assert_eq!(
            q.check(Scope::Coop),
            Err("a coop proposal has no quorum of coops")
        );
        assert!(
            Quorum {
                percent: Some(101),
                coops: None
            }
            .check(Scope::Network)
            .is_err()
        );
    }

    #[test]
    fn hidden_results_show_zeros_until_close() {
        let t = tally(
            Kind::Single,
            Counting::PerMember,
            2,
            &[
                ballot("a", "c", 1, 1),
                with(ballot("m", "c", 0, 1), Standing::Advisory),
            ],
        );
        let hidden = visible(Results::Hidden, false, &t);
        assert_eq!(hidden.counts, vec![0, 0]);
        assert_eq!(hidden.advisory, vec![0, 0]);
        assert_eq!(hidden.voters, 1);
        assert_eq!(visible(Results::Hidden, true, &t), t);
        assert_eq!(visible(Results::Live, false, &t), t);
    }

    #[test]
    fn outside_votes_are_advisory_and_pending_ones_wait() {
        let ballots = [
            ballot("a", "c", 0, 1),
            with(ballot("m1", "x", 1, 1), Standing::Advisory),
            with(ballot("m2", "x", 1, 1), Standing::Advisory),
            with(ballot("p", "c", 1, 1), Standing::Pending),
            with(ballot("n", "c", 1, 1), Standing::NotCounted),
        ];
        let t = tally(Kind::Single, Counting::PerMember, 2, &ballots);
        assert_eq!(t.counts, vec![1, 0]);
        assert_eq!(t.advisory, vec![0, 2]);
        assert_eq!((t.voters, t.advisory_voters), (1, 2));
    }

    #[test]
    fn per_coop_counts_only_the_coop_actors_vote() {
        let ballots = [
            ballot("coop1", "coop1", 0, 1),
            ballot("coop2", "coop2", 1, 1),
            ballot("coop3", "coop3", 1, 1),
            // A member voting directly does not count in per-coop mode.
            ballot("alice", "coop1", 1, 1),
        ];
        let t = tally(Kind::Single, Counting::PerCoop, 2, &ballots);
        assert_eq!(t.counts, vec![1, 2]);
        assert_eq!((t.voters, t.coops), (3, 3));
    }

    #[test]
    fn ties_and_empty_tallies() {
        let t = tally(
            Kind::Single,
            Counting::PerMember,
            3,
            &[ballot("a", "c", 0, 1), ballot("b", "c", 2, 1)],
        );
        let o = outcome(Kind::Single, Quorum::default(), 2, &t);
        assert_eq!(o.decision, Decision::Tie(vec![0, 2]));
        assert!(!o.passed());
        assert_eq!(o.describe(&names(&["x", "y", "z"])), "tie:x|z");
        let empty = tally(Kind::Single, Counting::PerMember, 2, &[]);
        assert_eq!(
            outcome(Kind::Single, Quorum::default(), 2, &empty).decision,
            Decision::NoDecision
        );
    }

    #[test]
    fn a_coop_casts_what_its_members_decided() {
        let decided = |kind: Kind, options: usize, ballots: &[Ballot], quorum: Quorum| {
            let t = tally(kind, Counting::PerMember, options, ballots);
            coop_ballot(kind, &outcome(kind, quorum, 3, &t), &t)
        };
        let none = Quorum::default();
        let single = [
            ballot("a", "c", 1, 1),
            ballot("b", "c", 1, 1),
            ballot("d", "c", 0, 1),
        ];
        assert_eq!(decided(Kind::Single, 2, &single, none), vec![1]);
        // A tie, or no votes, casts nothing.
        let tie = [ballot("a", "c", 0, 1), ballot("b", "c", 1, 1)];
        assert_eq!(decided(Kind::Single, 2, &tie, none), Vec::<usize>::new());
        assert_eq!(decided(Kind::Single, 2, &[], none), Vec::<usize>::new());
        // Multiple: the options more than half of the voters chose (ties included).
        let multiple = [
            ballot("a", "c", 0, 1),
            ballot("a", "c", 2, 1),
            ballot("b", "c", 2, 1),
            ballot("b", "c", 1, 1),
            ballot("d", "c", 0, 1),
        ];
        assert_eq!(decided(Kind::Multiple, 3, &multiple, none), vec![0, 2]);
        // Consent: agree, block or disagree as the coop decided.
        let agree = [ballot("a", "c", AGREE, 1), ballot("b", "c", AGREE, 1)];
        assert_eq!(decided(Kind::Consent, 4, &agree, none), vec![AGREE]);
        let blocked = [ballot("a", "c", AGREE, 1), ballot("b", "c", BLOCK, 1)];
        assert_eq!(decided(Kind::Consent, 4, &blocked, none), vec![BLOCK]);
        let against = [ballot("a", "c", DISAGREE, 1)];
        assert_eq!(decided(Kind::Consent, 4, &against, none), vec![DISAGREE]);
        // The coop's own quorum not met: it takes no part.
        let most = Quorum {
            percent: Some(100),
            coops: None,
        };
        assert_eq!(
            decided(Kind::Single, 2, &single[..2], most),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn words_round_trip() {
        for k in [Kind::Single, Kind::Multiple, Kind::Consent] {
            assert_eq!(Kind::parse(k.as_str()), Ok(k));
        }
        assert_eq!(Counting::parse("coop"), Ok(Counting::PerCoop));
        assert!(Scope::parse("world").is_err());
    }
}
