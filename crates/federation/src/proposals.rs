//! Proposals across the network: counting ours, publishing them as `Question`s, taking votes
//! (ours, other coops' members', Mastodon users'), checking each remote voter's membership,
//! and the worker that sends debounced tallies and closes proposals when their time is up.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use cooperage_db::actors::{self, Actor};
use cooperage_db::proposals::{self, Proposal, ProposalForm, Replaces, Vote, VoteForm};
use cooperage_db::{AnyConnection, DbError, follows};
use cooperage_domain::proposal::{
    self as rules, Ballot, Counting, Kind, Outcome, Quorum, Results, Scope, Standing, Tally,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::outbox::Outgoing;
use crate::protocol::proposal::{self as wire, Question};
use crate::protocol::to_json;
use crate::settings::host_of;
use crate::{Data, Error, Federation, Settings};

/// How the proposal worker paces itself, from the config's `[proposals]` section.
#[derive(Debug, Clone)]
pub struct ProposalSettings {
    /// How often the worker looks for votes to check, tallies to send and proposals to close.
    pub poll_interval: Duration,
    /// At most one tally `Update` per proposal per this interval (Mastodon waits 3 minutes).
    pub update_interval: Duration,
    /// A copy of a coop's members older than this is fetched again before a vote counts.
    pub membership_max_age: Duration,
}

impl Default for ProposalSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            update_interval: Duration::from_secs(180),
            membership_max_age: Duration::from_secs(86_400),
        }
    }
}

use crate::audience::network;

/// The coops among the actors our coop follows both ways: only a `Group` attests voting
/// members (a Mastodon user who follows the coop back is not a coop of the network).
fn voting_coops(conn: &mut AnyConnection, settings: &Settings) -> Result<Vec<Actor>, DbError> {
    let (_, network) = network(conn, settings)?;
    Ok(network
        .into_iter()
        .filter(|actor| actor.actor_type == "Group")
        .collect())
}

fn to_ballot(vote: &Vote) -> Ballot {
    Ballot {
        voter: vote.voter_ap_id.clone(),
        coop: vote.voter_coop.clone(),
        option: usize::try_from(vote.option_index).unwrap_or(usize::MAX),
        standing: vote.standing,
        cast_at: vote.cast_at.and_utc().timestamp_micros(),
    }
}

/// The quorum a proposal asks for.
pub fn quorum_of(proposal: &Proposal) -> Quorum {
    Quorum {
        percent: proposal.quorum_percent.and_then(|q| u32::try_from(q).ok()),
        coops: proposal.quorum_coops.and_then(|q| u32::try_from(q).ok()),
    }
}

/// A remote proposal's tally as its host published it (stored as JSON).
fn remote_tally(proposal: &Proposal) -> Tally {
    let stored: Value = proposal
        .remote_tally
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null);
    let numbers = |key: &str| -> Vec<u64> {
        stored
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default()
    };
    let options = proposal.option_names().len();
    let mut counts = numbers("counts");
    counts.resize(options, 0);
    let mut advisory = numbers("advisory");
    advisory.resize(options, 0);
    Tally {
        counts,
        voters: stored.get("voters").and_then(Value::as_u64).unwrap_or(0),
        coops: 0,
        advisory,
        advisory_voters: 0,
    }
}

/// The full tally of a proposal: counted from the votes for ours, as published for others'.
pub fn tally_of(conn: &mut AnyConnection, proposal: &Proposal) -> Result<Tally, DbError> {
    if !proposal.local {
        return Ok(remote_tally(proposal));
    }
    let ballots: Vec<Ballot> = proposals::votes_of(conn, proposal.id)?
        .iter()
        .map(to_ballot)
        .collect();
    Ok(rules::tally(
        proposal.kind,
        proposal.counting,
        proposal.option_names().len(),
        &ballots,
    ))
}

/// How many may vote: our voting members (coop scope); for the network, ours plus those each
/// coop of the network attests (per coop: the number of coops).
pub fn eligible_count(
    conn: &mut AnyConnection,
    settings: &Settings,
    proposal: &Proposal,
) -> Result<u64, DbError> {
    let ours = cooperage_db::members::voting_actor_ids(conn)?.len() as u64;
    if proposal.scope == Scope::Coop {
        return Ok(ours);
    }
    let network = voting_coops(conn, settings)?;
    if proposal.counting == Counting::PerCoop {
        return Ok(1 + network.len() as u64);
    }
    let mut total = ours;
    for coop in &network {
        total += u64::try_from(proposals::remote_member_count(conn, coop.id)?).unwrap_or(0);
    }
    Ok(total)
}

/// The outcome of one of our proposals as it stands.
pub fn outcome_of(
    conn: &mut AnyConnection,
    settings: &Settings,
    proposal: &Proposal,
) -> Result<Outcome, DbError> {
    let tally = tally_of(conn, proposal)?;
    let eligible = eligible_count(conn, settings, proposal)?;
    Ok(rules::outcome(
        proposal.kind,
        quorum_of(proposal),
        eligible,
        &tally,
    ))
}

/// Where a proposal's Question goes: the coop's followers, the network's coops, and (for an
/// Update) the servers of remote voters, who may follow nobody here.
fn inboxes(
    conn: &mut AnyConnection,
    coop: &Actor,
    network: &[Actor],
    proposal: &Proposal,
) -> Result<Vec<String>, DbError> {
    let mut inboxes = follows::follower_inboxes(conn, coop.id)?;
    inboxes.extend(network.iter().map(|c| c.delivery_inbox().to_owned()));
    inboxes.extend(proposals::voter_inboxes(conn, proposal.id)?);
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// Queues `Create{Question}` (new) or `Update{Question}` (tallies, close) of one of our
/// network proposals, in the caller's transaction. Coop proposals stay home.
pub fn queue_question(
    conn: &mut AnyConnection,
    settings: &Settings,
    proposal: &Proposal,
    create: bool,
) -> Result<(), DbError> {
    if proposal.scope != Scope::Network || !proposal.local {
        return Ok(());
    }
    let (coop, network) = network(conn, settings)?;
    let tally = rules::visible(
        proposal.results,
        proposal.closed,
        &tally_of(conn, proposal)?,
    );
    let network_ids: Vec<String> = network.iter().map(|c| c.ap_id.clone()).collect();
    let question = wire::proposal_to_question(
        settings,
        proposal,
        &coop,
        &tally,
        wire::audience(&coop, &network_ids),
    );
    let id = settings.new_activity_id();
    let (activity, kind) = if create {
        (wire::create_question(&id, question), "Create")
    } else {
        (wire::update_question(&id, question), "Update")
    };
    Outgoing {
        json: to_json(&activity),
        id,
        kind,
        actor_id: coop.id,
        public: true,
        inboxes: inboxes(conn, &coop, &network, proposal)?,
    }
    .enqueue(conn)
}

/// One of our proposals as its Question, with the tally as far as it may be shown (as sent,
/// and as served at its id).
pub fn question_of(
    conn: &mut AnyConnection,
    settings: &Settings,
    proposal: &Proposal,
) -> Result<Question, DbError> {
    let (coop, network) = network(conn, settings)?;
    let tally = rules::visible(
        proposal.results,
        proposal.closed,
        &tally_of(conn, proposal)?,
    );
    let network_ids: Vec<String> = network.iter().map(|c| c.ap_id.clone()).collect();
    Ok(wire::proposal_to_question(
        settings,
        proposal,
        &coop,
        &tally,
        wire::audience(&coop, &network_ids),
    ))
}

/// A local member's vote on a proposal another coop hosts: `Create{Note}` to that coop, as
/// Mastodon sends it. `vote_id` is the Note's id.
pub fn queue_vote(
    conn: &mut AnyConnection,
    voter: &Actor,
    proposal: &Proposal,
    option: &str,
    vote_id: &str,
) -> Result<(), DbError> {
    queue_vote_at(conn, voter, proposal, option, vote_id, cooperage_db::now())
}

/// [`queue_vote`] of one option of a ballot cast at `cast_at` (every Note of one ballot
/// carries the same `published`: the host replaces the voter's earlier ballot with it).
fn queue_vote_at(
    conn: &mut AnyConnection,
    voter: &Actor,
    proposal: &Proposal,
    option: &str,
    vote_id: &str,
    cast_at: chrono::NaiveDateTime,
) -> Result<(), DbError> {
    let coop = actors::by_id(conn, proposal.coop_actor_id)?;
    let activity = wire::vote_to_note(
        vote_id,
        voter,
        &proposal.ap_id,
        &coop.ap_id,
        option,
        cast_at,
    );
    Outgoing {
        id: activity.id.clone(),
        json: to_json(&activity),
        kind: "Create",
        actor_id: voter.id,
        public: false,
        inboxes: vec![coop.inbox.clone()],
    }
    .enqueue(conn)
}

/// Records the vote of one of our actors (a member, or our coop casting what its members
/// decided) for the options `chosen` (indexes, checked by the caller), in the caller's
/// transaction. It replaces their earlier vote as a whole. On our proposal a tally Update
/// becomes due; on another coop's, the rows are our own record and one `Create{Note}` per
/// option goes to the host, all with the ballot's time as `published`, so that the host
/// withdraws options a changed vote leaves out (`Replaces::Ballot`).
pub fn record_vote(
    conn: &mut AnyConnection,
    settings: &Settings,
    voter: &Actor,
    coop: &Actor,
    proposal: &Proposal,
    chosen: &[usize],
) -> Result<(), DbError> {
    let options = proposal.option_names();
    proposals::withdraw(conn, proposal.id, &voter.ap_id)?;
    let now = cooperage_db::now();
    for &index in chosen {
        let Some(option) = options.get(index) else {
            continue;
        };
        // Like Mastodon's, a fragment of the voter's id (not served).
        let fresh = settings.new_activity_id();
        let tail = fresh.rsplit('/').next().unwrap_or_default();
        let vote_id = format!("{}#votes/{tail}", voter.ap_id);
        proposals::cast(
            conn,
            &VoteForm {
                proposal_id: proposal.id,
                voter_ap_id: voter.ap_id.clone(),
                voter_coop: Some(coop.ap_id.clone()),
                option_index: i32::try_from(index).unwrap_or(i32::MAX),
                // Ours counts here; on another coop's proposal this row is the voter's own
                // record, and the host decides.
                standing: Standing::Counted,
                reason: None,
                ap_id: Some(vote_id.clone()),
                cast_at: now,
            },
            Replaces::Option,
        )?;
        if !proposal.local {
            queue_vote_at(conn, voter, proposal, option, &vote_id, now)?;
        }
    }
    if proposal.local {
        proposals::mark_update_due(conn, proposal.id)?;
    }
    Ok(())
}

/// When a coop proposal that decides our coop's vote on a network proposal (counted one coop
/// one vote) closes: its result ([`rules::coop_ballot`]) is cast as the coop actor's vote,
/// here or at the hosting coop. Nothing is cast when it reached no decision, or when the
/// network proposal closed first.
fn cast_coop_decision(
    conn: &mut AnyConnection,
    settings: &Settings,
    decision: &Proposal,
    outcome: &Outcome,
) -> Result<(), DbError> {
    let Some(network_id) = decision.decides_proposal_id else {
        return Ok(());
    };
    let Some(target) = proposals::by_id(conn, network_id)? else {
        return Ok(());
    };
    if target.closed || target.closes_at <= cooperage_db::now() {
        tracing::warn!(
            proposal = target.ap_id,
            "the network proposal closed before the coop decided its vote"
        );
        return Ok(());
    }
    let tally = tally_of(conn, decision)?;
    let chosen = rules::coop_ballot(decision.kind, outcome, &tally);
    if chosen.is_empty() {
        return Ok(());
    }
    let (coop, _) = network(conn, settings)?;
    record_vote(conn, settings, &coop, &coop, &target, &chosen)
}

/// The comments of ours on a network proposal go out as public replies (see
/// [`wire::comment_note`]); this is that Note, as sent and as served at its id.
pub fn comment_reply(
    conn: &mut AnyConnection,
    comment: &proposals::Comment,
) -> Result<Option<wire::CreateReply>, DbError> {
    let Some(proposal) = proposals::by_id(conn, comment.proposal_id)? else {
        return Ok(None);
    };
    let Some(author) = actors::by_ap_id(conn, &comment.author_ap_id)? else {
        return Ok(None);
    };
    if proposal.scope != Scope::Network || !author.local {
        return Ok(None);
    }
    let coop = actors::by_id(conn, proposal.coop_actor_id)?;
    Ok(Some(wire::comment_note(
        &comment.ap_id,
        &author,
        &proposal.ap_id,
        &coop.ap_id,
        &comment.content,
        comment.created_at,
    )))
}

/// A comment on one of our network proposals (by a member here, of another coop, or a
/// Mastodon user) is relayed: the coop `Announce`s it to whoever got the Question (its
/// followers, the network, the voters' servers), so that the whole network and the
/// Mastodon followers see the discussion. Comments on coop proposals stay home.
pub fn queue_comment_relay(
    conn: &mut AnyConnection,
    settings: &Settings,
    proposal: &Proposal,
    comment_id: &str,
) -> Result<(), DbError> {
    if !proposal.local || proposal.scope != Scope::Network {
        return Ok(());
    }
    let (coop, network) = network(conn, settings)?;
    let network_ids: Vec<String> = network.iter().map(|c| c.ap_id.clone()).collect();
    let id = settings.new_activity_id();
    let announce =
        wire::announce_comment(&id, &coop, comment_id, wire::audience(&coop, &network_ids));
    Outgoing {
        json: to_json(&announce),
        id,
        kind: "Announce",
        actor_id: coop.id,
        public: true,
        inboxes: inboxes(conn, &coop, &network, proposal)?,
    }
    .enqueue(conn)
}

/// A local member's comment on a proposal another coop hosts: `Create{Note}` replying to
/// the Question, to that coop (which keeps it as part of the discussion and relays it).
pub fn queue_comment(
    conn: &mut AnyConnection,
    author: &Actor,
    proposal: &Proposal,
    note_id: &str,
    html: &str,
) -> Result<(), DbError> {
    let coop = actors::by_id(conn, proposal.coop_actor_id)?;
    let activity = wire::comment_note(
        note_id,
        author,
        &proposal.ap_id,
        &coop.ap_id,
        html,
        cooperage_db::now(),
    );
    Outgoing {
        id: activity.id.clone(),
        json: to_json(&activity),
        kind: "Create",
        actor_id: author.id,
        public: false,
        inboxes: vec![coop.inbox.clone()],
    }
    .enqueue(conn)
}

/// A Question another coop sent, read and checked before the transaction.
pub struct ReceivedQuestion {
    form: ProposalForm,
    tally: String,
}

fn parse_time(text: Option<&str>) -> Option<chrono::NaiveDateTime> {
    text.and_then(crate::audience::parse_time)
}

/// Reads a coop's Question: on the coop's host, attributed to it, with options we accept.
pub fn read_question(question: &Question, signer: &Actor) -> Result<ReceivedQuestion, Error> {
    if host_of(&question.id) != host_of(&signer.ap_id) {
        return Err(Error::BadRequest(
            "proposal is not on its coop's host".into(),
        ));
    }
    if question.attributed_to != signer.ap_id {
        return Err(Error::BadRequest(
            "proposal is attributed to another actor".into(),
        ));
    }
    let bad = |what: &str, e: &dyn std::fmt::Display| Error::BadRequest(format!("{what}: {e}"));
    let word = |value: &Option<String>, default: &str| value.clone().unwrap_or(default.into());
    let kind = Kind::parse(&word(
        &question.proposal_kind,
        if question.any_of.is_some() {
            "multiple"
        } else {
            "single"
        },
    ))
    .map_err(|e| bad("proposalKind", &e))?;
    let names: Vec<String> = question.options().iter().map(|o| o.name.clone()).collect();
    let names = rules::options(kind, &names).map_err(|e| bad("options", &e))?;
    let scope = Scope::parse(&word(&question.scope, "network")).map_err(|e| bad("scope", &e))?;
    let counting = Counting::parse(&word(&question.counting_mode, "member"))
        .map_err(|e| bad("countingMode", &e))?;
    let results = Results::parse(&word(&question.results_mode, "live"))
        .map_err(|e| bad("resultsMode", &e))?;
    let now = cooperage_db::now();
    let closes_at = parse_time(question.end_time.as_deref())
        .or_else(|| parse_time(question.closed.as_deref()))
        .ok_or_else(|| Error::BadRequest("proposal without endTime".into()))?;
    let title: String = question.name.chars().take(rules::MAX_TITLE).collect();
    let tally = json!({
        "counts": question.options().iter().map(|o| o.replies.total_items).collect::<Vec<_>>(),
        "voters": question.voters_count,
        "advisory": question.advisory,
    })
    .to_string();
    Ok(ReceivedQuestion {
        form: ProposalForm {
            ap_id: question.id.clone(),
            coop_actor_id: signer.id,
            author_actor_id: None,
            local: false,
            title,
            body_html: crate::sanitize::html(&question.content),
            kind,
            scope,
            counting,
            results,
            options: proposals::options_column(&names),
            quorum_percent: question.quorum.and_then(|q| i32::try_from(q).ok()),
            quorum_coops: question.quorum_coops.and_then(|q| i32::try_from(q).ok()),
            open_poll: question.open_poll,
            opens_at: parse_time(question.published.as_deref()).unwrap_or(now),
            closes_at,
            closed: question.closed.is_some(),
            outcome: question.outcome.clone(),
            remote_tally: None,
            update_due: false,
            budget_project_id: None,
            budget_kind: None,
            budget_amount: None,
            budget_category: None,
            budget_reason: None,
            created_at: now,
            decides_proposal_id: None,
        },
        tally,
    })
}

/// Stores (or updates the tally of) a Question from a coop of our network; others' are not
/// ours to show. Returns whether anything was stored.
pub fn store_question(
    conn: &mut AnyConnection,
    settings: &Settings,
    signer: &Actor,
    received: &ReceivedQuestion,
) -> Result<bool, DbError> {
    if !crate::audience::in_network(conn, settings, signer.id)? {
        return Ok(false);
    }
    let form = &received.form;
    match proposals::by_ap_id(conn, &form.ap_id)? {
        Some(existing) if existing.local || existing.coop_actor_id != signer.id => Ok(false),
        Some(existing) => {
            proposals::set_remote_tally(
                conn,
                existing.id,
                &received.tally,
                form.closed,
                form.outcome.as_deref(),
            )?;
            Ok(true)
        }
        None => {
            let form = ProposalForm {
                remote_tally: Some(received.tally.clone()),
                ..form.clone()
            };
            proposals::insert_remote(conn, &form)
        }
    }
}

/// One vote as it arrived: the Note's id, the Question it replies to, the option's name.
#[derive(Debug, Clone)]
pub struct ReceivedVote {
    pub note_id: Option<String>,
    pub question: String,
    pub name: String,
    /// When it was cast at the voter's home, if the Note says (ours do; Mastodon's do not).
    pub published: Option<chrono::NaiveDateTime>,
}

/// Stores votes that arrived for our proposals, to be checked by the worker (a remote voter's
/// membership may need a fetch, which has no place in a transaction). Votes for unknown
/// proposals or options, and after the close, are refused (not stored). Returns how many
/// were taken.
pub fn store_votes(
    conn: &mut AnyConnection,
    voter: &Actor,
    votes: &[ReceivedVote],
) -> Result<usize, DbError> {
    let now = cooperage_db::now();
    let mut taken = 0;
    for vote in votes {
        let Some(proposal) = proposals::by_ap_id(conn, &vote.question)? else {
            continue;
        };
        if !proposal.local || proposal.closed || proposal.closes_at <= now {
            continue;
        }
        let Some(index) = proposal.option_names().iter().position(|n| *n == vote.name) else {
            continue;
        };
        // Deliveries may arrive out of order: a changed vote is ordered by when it was cast,
        // never later than now.
        let cast_at = vote.published.filter(|p| *p <= now).unwrap_or(now);
        // A multiple-choice ballot that says when it was cast (ours) replaces the voter's
        // earlier one whole: options a changed vote leaves out are withdrawn. Mastodon's
        // Notes say nothing, arrive one option at a time and cannot be changed.
        let replaces = match (proposal.kind, vote.published) {
            (Kind::Multiple, Some(_)) => Replaces::Ballot,
            (Kind::Multiple, None) => Replaces::Option,
            (Kind::Single | Kind::Consent, _) => Replaces::Voter,
        };
        if !proposals::cast(
            conn,
            &VoteForm {
                proposal_id: proposal.id,
                voter_ap_id: voter.ap_id.clone(),
                voter_coop: None,
                option_index: i32::try_from(index).unwrap_or(i32::MAX),
                standing: Standing::Pending,
                reason: None,
                ap_id: vote.note_id.clone(),
                cast_at,
            },
            replaces,
        )? {
            continue;
        }
        proposals::mark_update_due(conn, proposal.id)?;
        taken += 1;
    }
    Ok(taken)
}

/// Where a remote voter stands on a proposal, once their coop's members are known.
struct Verdict {
    standing: Standing,
    coop: Option<String>,
    reason: Option<String>,
}

/// Checks pending votes: a remote vote counts only if the voter's coop (on the voter's host)
/// is in our network and attests the voter as a voting member (the copy refreshed when the
/// voter is not in it or it is older than `max_age`). Outside voters are advisory on open
/// polls. Returns how many votes were settled.
pub async fn settle_pending(data: &Data, max_age: Duration) -> Result<usize, Error> {
    let settings = data.settings().clone();
    let (pending, network) = {
        let settings = settings.clone();
        data.db()
            .run(move |conn| {
                let pending = proposals::pending_votes(conn, 5000)?;
                let network = voting_coops(conn, &settings)?;
                Ok::<_, DbError>((pending, network))
            })
            .await?
    };
    if pending.is_empty() {
        return Ok(0);
    }
    // Refresh each coop's copy at most once per pass; read each proposal and each coop's
    // attested members once per pass (a busy proposal gets thousands of votes at once).
    let mut refreshed: HashMap<i64, bool> = HashMap::new();
    let mut proposals_seen: HashMap<i64, Option<Proposal>> = HashMap::new();
    let mut members_of: HashMap<i64, (Option<chrono::NaiveDateTime>, HashSet<String>)> =
        HashMap::new();
    let max_age = chrono::TimeDelta::from_std(max_age).unwrap_or(chrono::TimeDelta::MAX);
    let mut verdicts = Vec::with_capacity(pending.len());
    for vote in &pending {
        let host = host_of(&vote.voter_ap_id);
        let proposal_id = vote.proposal_id;
        if let Entry::Vacant(slot) = proposals_seen.entry(proposal_id) {
            let found = data
                .db()
                .run(move |conn| proposals::by_id(conn, proposal_id))
                .await?;
            slot.insert(found);
        }
        let Some(Some(proposal)) = proposals_seen.get(&proposal_id) else {
            continue;
        };
        let voters_coop = network.iter().find(|c| host_of(&c.ap_id) == host);
        let verdict = match voters_coop {
            None if proposal.open_poll => Verdict {
                standing: Standing::Advisory,
                coop: None,
                reason: Some("outside the network: advisory".into()),
            },
            None => Verdict {
                standing: Standing::NotCounted,
                coop: None,
                reason: Some("outside the network".into()),
            },
            Some(_) if proposal.scope == Scope::Coop => Verdict {
                standing: Standing::NotCounted,
                coop: None,
                reason: Some("a coop proposal: only this coop's members vote".into()),
            },
            Some(coop) if proposal.counting == Counting::PerCoop => {
                if coop.ap_id == vote.voter_ap_id {
                    Verdict {
                        standing: Standing::Counted,
                        coop: Some(coop.ap_id.clone()),
                        reason: None,
                    }
                } else {
                    Verdict {
                        standing: Standing::NotCounted,
                        coop: Some(coop.ap_id.clone()),
                        reason: Some("one coop, one vote: the coop votes".into()),
                    }
                }
            }
            Some(coop) => {
                if let Entry::Vacant(slot) = members_of.entry(coop.id) {
                    let coop_id = coop.id;
                    let copy = data
                        .db()
                        .run(move |conn| {
                            Ok::<_, DbError>((
                                proposals::members_fetched_at(conn, coop_id)?,
                                cooperage_db::memberships::of_coop(conn, coop_id)?
                                    .into_iter()
                                    .collect::<HashSet<_>>(),
                            ))
                        })
                        .await?;
                    slot.insert(copy);
                }
                let (fetched_at, members) = &members_of[&coop.id];
                let stale = fetched_at.is_none_or(|at| cooperage_db::now() - at > max_age);
                let member = members.contains(&vote.voter_ap_id);
                let member = if (stale || !member) && !refreshed.contains_key(&coop.id) {
                    let fresh = match crate::membership::refresh_remote_members(data, &coop.ap_id)
                        .await
                    {
                        Ok(ids) => Some(ids),
                        Err(error) => {
                            tracing::warn!(error = %crate::error_chain(&error), coop = coop.ap_id, "cannot refresh the members of a coop");
                            None
                        }
                    };
                    refreshed.insert(coop.id, fresh.is_some());
                    if let Some(ids) = fresh {
                        members_of.insert(
                            coop.id,
                            (Some(cooperage_db::now()), ids.into_iter().collect()),
                        );
                    }
                    members_of[&coop.id].1.contains(&vote.voter_ap_id)
                } else {
                    member
                };
                if member {
                    Verdict {
                        standing: Standing::Counted,
                        coop: Some(coop.ap_id.clone()),
                        reason: None,
                    }
                } else {
                    Verdict {
                        standing: Standing::NotCounted,
                        coop: Some(coop.ap_id.clone()),
                        reason: Some(format!("not a voting member of {}", coop.ap_id)),
                    }
                }
            }
        };
        verdicts.push((vote.id, verdict));
    }
    let settled = verdicts.len();
    // A settled vote changes the tally: its Update is due again, even if one went out since
    // the vote arrived (it was pending then, not counted).
    let touched: HashSet<i64> = pending.iter().map(|v| v.proposal_id).collect();
    data.db()
        .write(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                for (id, v) in &verdicts {
                    proposals::settle(
                        conn,
                        *id,
                        v.standing,
                        v.coop.as_deref(),
                        v.reason.as_deref(),
                    )?;
                }
                for proposal in &touched {
                    proposals::mark_update_due(conn, *proposal)?;
                }
                Ok::<_, DbError>(())
            })
        })
        .await?;
    Ok(settled)
}

/// Closes one of our proposals: outcome stored, final `Update` with `closed`, and a Note
/// announcing it. Returns the outcome in words.
pub fn close(
    conn: &mut AnyConnection,
    settings: &Settings,
    proposal: &Proposal,
    budget_entry: impl FnOnce(&mut AnyConnection, &Outcome) -> Result<Option<i64>, DbError>,
) -> Result<String, DbError> {
    let outcome = outcome_of(conn, settings, proposal)?;
    let words = outcome.describe(&proposal.option_names());
    let entry = budget_entry(conn, &outcome)?;
    proposals::close(conn, proposal.id, &words, entry)?;
    cast_coop_decision(conn, settings, proposal, &outcome)?;
    let closed = Proposal {
        closed: true,
        outcome: Some(words.clone()),
        ..proposal.clone()
    };
    if proposal.scope == Scope::Network {
        queue_question(conn, settings, &closed, false)?;
        let (coop, network) = network(conn, settings)?;
        let network_ids: Vec<String> = network.iter().map(|c| c.ap_id.clone()).collect();
        let note_id = settings.new_post_id();
        let announcement = wire::announce_outcome(
            &note_id,
            &closed,
            &coop,
            &words,
            wire::audience(&coop, &network_ids),
        );
        Outgoing {
            id: announcement.id.clone(),
            json: to_json(&announcement),
            kind: "Create",
            actor_id: coop.id,
            public: true,
            inboxes: inboxes(conn, &coop, &network, &closed)?,
        }
        .enqueue(conn)?;
    }
    Ok(words)
}

/// What closing a proposal writes besides its outcome (the ledger entry of a budget
/// change): given by the application layer, which owns the ledger's rules.
pub type BudgetHook = std::sync::Arc<
    dyn Fn(&mut AnyConnection, &Proposal, &Outcome) -> Result<Option<i64>, DbError> + Send + Sync,
>;

/// One pass of the worker: check pending votes, send due tallies, close due proposals.
pub async fn run_once(
    federation: &Federation,
    settings: &ProposalSettings,
    budget: Option<BudgetHook>,
) -> Result<(), Error> {
    let data = federation.data();
    settle_pending(&data, settings.membership_max_age).await?;
    let context = federation.context();
    let federation_settings = context.settings().clone();
    let interval = chrono::TimeDelta::from_std(settings.update_interval).unwrap_or_default();
    let queued = context
        .db()
        .write(move |conn| {
            cooperage_db::transaction(conn, |conn| {
                let now = cooperage_db::now();
                let mut queued = false;
                for proposal in proposals::local_due_to_close(conn, now)? {
                    let hook = budget.clone();
                    close(
                        conn,
                        &federation_settings,
                        &proposal,
                        |conn, outcome| match hook {
                            Some(hook) => hook(conn, &proposal, outcome),
                            None => Ok(None),
                        },
                    )?;
                    queued = true;
                }
                for proposal in proposals::local_updates_due(conn, now - interval)? {
                    queue_question(conn, &federation_settings, &proposal, false)?;
                    proposals::mark_update_sent(conn, proposal.id, now)?;
                    queued = true;
                }
                Ok::<_, DbError>(queued)
            })
        })
        .await?;
    if queued {
        context.wake_delivery();
    }
    Ok(())
}

/// Starts the proposal worker on `tracker`; it stops at `shutdown`.
pub fn spawn(
    federation: Federation,
    settings: ProposalSettings,
    budget: Option<BudgetHook>,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) {
    tracker.spawn(async move {
        loop {
            if let Err(error) = run_once(&federation, &settings, budget.clone()).await {
                tracing::warn!(error = %crate::error_chain(&error), "proposal worker pass failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(settings.poll_interval) => {}
            }
        }
    });
}
