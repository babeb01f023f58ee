//! Proposals (ours and those the network sent us), their votes and comments.

use chrono::NaiveDateTime;
use cooperage_domain::proposal::{Counting, Kind, Results, Scope, Standing};
use diesel::prelude::*;

use crate::schema::{actors, proposal_comments, proposal_votes, proposals, remote_memberships};
use crate::{AnyConnection, DbError};

/// One proposal as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = proposals)]
pub struct Proposal {
    pub id: i64,
    pub ap_id: String,
    pub coop_actor_id: i64,
    pub author_actor_id: Option<i64>,
    pub local: bool,
    pub title: String,
    pub body_html: String,
    #[diesel(deserialize_as = String)]
    pub kind: Kind,
    #[diesel(deserialize_as = String)]
    pub scope: Scope,
    #[diesel(deserialize_as = String)]
    pub counting: Counting,
    #[diesel(deserialize_as = String)]
    pub results: Results,
    /// The option names, one a line (see [`Proposal::option_names`]).
    pub options: String,
    pub quorum_percent: Option<i32>,
    pub quorum_coops: Option<i32>,
    pub open_poll: bool,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub closed: bool,
    pub outcome: Option<String>,
    pub remote_tally: Option<String>,
    pub update_due: bool,
    pub last_update_at: Option<NaiveDateTime>,
    pub budget_project_id: Option<i64>,
    pub budget_kind: Option<String>,
    pub budget_amount: Option<i64>,
    pub budget_category: Option<String>,
    pub budget_reason: Option<String>,
    pub budget_entry_id: Option<i64>,
    pub created_at: NaiveDateTime,
    /// The network proposal (counted one coop one vote) whose coop vote this coop proposal
    /// decides.
    pub decides_proposal_id: Option<i64>,
}

impl Proposal {
    /// Whether anyone may see it: one of ours for the whole network, its `Question` (page,
    /// comments) served to any server or browser that asks, and relayed as public.
    pub fn is_public(&self) -> bool {
        self.local && self.scope == Scope::Network
    }

    /// The option names, in order.
    pub fn option_names(&self) -> Vec<String> {
        self.options.split('\n').map(str::to_owned).collect()
    }
}

/// A proposal to store (ours, or a remote one as its host sent it).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = proposals)]
pub struct ProposalForm {
    pub ap_id: String,
    pub coop_actor_id: i64,
    pub author_actor_id: Option<i64>,
    pub local: bool,
    pub title: String,
    pub body_html: String,
    #[diesel(serialize_as = String)]
    pub kind: Kind,
    #[diesel(serialize_as = String)]
    pub scope: Scope,
    #[diesel(serialize_as = String)]
    pub counting: Counting,
    #[diesel(serialize_as = String)]
    pub results: Results,
    pub options: String,
    pub quorum_percent: Option<i32>,
    pub quorum_coops: Option<i32>,
    pub open_poll: bool,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub closed: bool,
    pub outcome: Option<String>,
    pub remote_tally: Option<String>,
    pub update_due: bool,
    pub budget_project_id: Option<i64>,
    pub budget_kind: Option<String>,
    pub budget_amount: Option<i64>,
    pub budget_category: Option<String>,
    pub budget_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub decides_proposal_id: Option<i64>,
}

/// Option names as stored: one a line (names have no control characters).
pub fn options_column(names: &[String]) -> String {
    names.join("\n")
}

/// One vote as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = proposal_votes)]
pub struct Vote {
    pub id: i64,
    pub proposal_id: i64,
    pub voter_ap_id: String,
    pub voter_coop: Option<String>,
    pub option_index: i32,
    #[diesel(deserialize_as = String)]
    pub standing: Standing,
    pub reason: Option<String>,
    pub ap_id: Option<String>,
    pub cast_at: NaiveDateTime,
}

/// A vote to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = proposal_votes)]
pub struct VoteForm {
    pub proposal_id: i64,
    pub voter_ap_id: String,
    pub voter_coop: Option<String>,
    pub option_index: i32,
    #[diesel(serialize_as = String)]
    pub standing: Standing,
    pub reason: Option<String>,
    pub ap_id: Option<String>,
    pub cast_at: NaiveDateTime,
}

/// One comment as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = proposal_comments)]
pub struct Comment {
    pub id: i64,
    pub proposal_id: i64,
    pub ap_id: String,
    pub author_ap_id: String,
    pub content: String,
    pub created_at: NaiveDateTime,
}

/// Stores a new proposal.
pub fn insert(conn: &mut AnyConnection, form: &ProposalForm) -> Result<Proposal, DbError> {
    diesel::insert_into(proposals::table)
        .values(form.clone())
        .execute(conn)?;
    by_ap_id(conn, &form.ap_id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// Stores a proposal another coop sent, once (a second Create changes nothing). Returns
/// whether it is new.
pub fn insert_remote(conn: &mut AnyConnection, form: &ProposalForm) -> Result<bool, DbError> {
    crate::insert_if_absent(conn, |conn| {
        diesel::insert_into(proposals::table)
            .values(form.clone())
            .execute(conn)
    })
}

/// The proposal with this row id.
pub fn by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<Proposal>, DbError> {
    Ok(proposals::table
        .find(id)
        .select(Proposal::as_select())
        .first(conn)
        .optional()?)
}

/// The proposal with this ActivityPub id.
pub fn by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> Result<Option<Proposal>, DbError> {
    Ok(proposals::table
        .filter(proposals::ap_id.eq(ap_id))
        .select(Proposal::as_select())
        .first(conn)
        .optional()?)
}

/// Proposals, newest first, filtered by closed and scope.
pub fn list(
    conn: &mut AnyConnection,
    closed: Option<bool>,
    scope: Option<Scope>,
    limit: i64,
) -> Result<Vec<Proposal>, DbError> {
    let mut query = proposals::table
        .select(Proposal::as_select())
        .order(proposals::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(closed) = closed {
        query = query.filter(proposals::closed.eq(closed));
    }
    if let Some(scope) = scope {
        query = query.filter(proposals::scope.eq(scope.as_str()));
    }
    Ok(query.load(conn)?)
}

/// Our open proposals whose time is up.
pub fn local_due_to_close(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> Result<Vec<Proposal>, DbError> {
    Ok(proposals::table
        .filter(proposals::local.eq(true))
        .filter(proposals::closed.eq(false))
        .filter(proposals::closes_at.le(now))
        .select(Proposal::as_select())
        .load(conn)?)
}

/// Our open proposals owing a tally Update whose last one went out before `before`.
pub fn local_updates_due(
    conn: &mut AnyConnection,
    before: NaiveDateTime,
) -> Result<Vec<Proposal>, DbError> {
    Ok(proposals::table
        .filter(proposals::local.eq(true))
        .filter(proposals::closed.eq(false))
        .filter(proposals::update_due.eq(true))
        .filter(
            proposals::last_update_at
                .is_null()
                .or(proposals::last_update_at.le(before)),
        )
        .select(Proposal::as_select())
        .load(conn)?)
}

/// Notes that a tally Update is owed. Only a proposal not yet marked is written: on
/// PostgreSQL an UPDATE locks the row to the commit, and every inbox writer's batch of votes
/// for a busy proposal would otherwise queue behind the others on that one row.
pub fn mark_update_due(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    diesel::update(
        proposals::table
            .find(id)
            .filter(proposals::update_due.eq(false)),
    )
    .set(proposals::update_due.eq(true))
    .execute(conn)?;
    Ok(())
}

/// Notes that a tally Update went out now.
pub fn mark_update_sent(
    conn: &mut AnyConnection,
    id: i64,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(proposals::table.find(id))
        .set((
            proposals::update_due.eq(false),
            proposals::last_update_at.eq(Some(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Closes a proposal with its outcome (and the ledger entry its budget change wrote).
pub fn close(
    conn: &mut AnyConnection,
    id: i64,
    outcome: &str,
    budget_entry_id: Option<i64>,
) -> Result<(), DbError> {
    diesel::update(proposals::table.find(id))
        .set((
            proposals::closed.eq(true),
            proposals::outcome.eq(Some(outcome)),
            proposals::update_due.eq(false),
            proposals::budget_entry_id.eq(budget_entry_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores the tally (and, at close, the outcome) a remote proposal's host published.
pub fn set_remote_tally(
    conn: &mut AnyConnection,
    id: i64,
    tally: &str,
    closed: bool,
    outcome: Option<&str>,
) -> Result<(), DbError> {
    diesel::update(proposals::table.find(id).filter(proposals::local.eq(false)))
        .set((
            proposals::remote_tally.eq(Some(tally)),
            proposals::closed.eq(closed),
            proposals::outcome.eq(outcome),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which of a voter's earlier rows a new vote replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaces {
    /// Single choice and consent: all of them (one current vote per voter).
    Voter,
    /// A multiple-choice vote that arrives one option at a time (Mastodon): that option's.
    Option,
    /// A multiple-choice vote cast as a whole at `cast_at` (ours carry it as `published`): every
    /// row cast earlier, so options left out of a changed vote are withdrawn; rows of the same
    /// ballot (same `cast_at`) stay.
    Ballot,
}

/// Records a voter's choice, replacing earlier rows as `replaces` says. The latest (by
/// `cast_at`) counts: a vote older than one it would compete with is dropped (`false`).
pub fn cast(
    conn: &mut AnyConnection,
    form: &VoteForm,
    replaces: Replaces,
) -> Result<bool, DbError> {
    let mine = proposal_votes::table
        .filter(proposal_votes::proposal_id.eq(form.proposal_id))
        .filter(proposal_votes::voter_ap_id.eq(&form.voter_ap_id));
    let mut newer = mine
        .filter(proposal_votes::cast_at.gt(form.cast_at))
        .into_boxed();
    if replaces == Replaces::Option {
        newer = newer.filter(proposal_votes::option_index.eq(form.option_index));
    }
    if newer.count().get_result::<i64>(conn)? > 0 {
        return Ok(false);
    }
    match replaces {
        Replaces::Voter => diesel::delete(mine).execute(conn)?,
        Replaces::Option => {
            diesel::delete(mine.filter(proposal_votes::option_index.eq(form.option_index)))
                .execute(conn)?
        }
        Replaces::Ballot => diesel::delete(
            mine.filter(
                proposal_votes::cast_at
                    .lt(form.cast_at)
                    .or(proposal_votes::option_index.eq(form.option_index)),
            ),
        )
        .execute(conn)?,
    };
    diesel::insert_into(proposal_votes::table)
        .values(form.clone())
        .execute(conn)?;
    Ok(true)
}

/// Removes a voter's votes (a member replacing a multiple-choice vote through the API).
pub fn withdraw(conn: &mut AnyConnection, proposal_id: i64, voter: &str) -> Result<(), DbError> {
    diesel::delete(
        proposal_votes::table
            .filter(proposal_votes::proposal_id.eq(proposal_id))
            .filter(proposal_votes::voter_ap_id.eq(voter)),
    )
    .execute(conn)?;
    Ok(())
}

/// The coop proposal that decides our coop's vote on the network proposal `network_id`.
pub fn decided_by(conn: &mut AnyConnection, network_id: i64) -> Result<Option<Proposal>, DbError> {
    Ok(proposals::table
        .filter(proposals::decides_proposal_id.eq(network_id))
        .select(Proposal::as_select())
        .first(conn)
        .optional()?)
}

/// Every vote on a proposal, oldest first.
pub fn votes_of(conn: &mut AnyConnection, proposal_id: i64) -> Result<Vec<Vote>, DbError> {
    Ok(proposal_votes::table
        .filter(proposal_votes::proposal_id.eq(proposal_id))
        .order(proposal_votes::id)
        .select(Vote::as_select())
        .load(conn)?)
}

/// A voter's votes on a proposal.
pub fn votes_by(
    conn: &mut AnyConnection,
    proposal_id: i64,
    voter: &str,
) -> Result<Vec<Vote>, DbError> {
    Ok(proposal_votes::table
        .filter(proposal_votes::proposal_id.eq(proposal_id))
        .filter(proposal_votes::voter_ap_id.eq(voter))
        .order(proposal_votes::option_index)
        .select(Vote::as_select())
        .load(conn)?)
}

/// Votes whose voter's membership is still to be checked.
pub fn pending_votes(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Vote>, DbError> {
    Ok(proposal_votes::table
        .filter(proposal_votes::standing.eq(Standing::Pending.as_str()))
        .order(proposal_votes::id)
        .limit(limit)
        .select(Vote::as_select())
        .load(conn)?)
}

/// Settles where a vote stands.
pub fn settle(
    conn: &mut AnyConnection,
    vote_id: i64,
    standing: Standing,
    coop: Option<&str>,
    reason: Option<&str>,
) -> Result<(), DbError> {
    diesel::update(proposal_votes::table.find(vote_id))
        .set((
            proposal_votes::standing.eq(standing.as_str()),
            proposal_votes::voter_coop.eq(coop),
            proposal_votes::reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores a comment once.
pub fn add_comment(
    conn: &mut AnyConnection,
    proposal_id: i64,
    ap_id: &str,
    author: &str,
    content: &str,
) -> Result<bool, DbError> {
    let now = crate::now();
    crate::insert_if_absent(conn, |conn| {
        diesel::insert_into(proposal_comments::table)
            .values((
                proposal_comments::proposal_id.eq(proposal_id),
                proposal_comments::ap_id.eq(ap_id),
                proposal_comments::author_ap_id.eq(author),
                proposal_comments::content.eq(content),
                proposal_comments::created_at.eq(now),
            ))
            .execute(conn)
    })
}

/// The comment with this ActivityPub id.
pub fn comment_by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> Result<Option<Comment>, DbError> {
    Ok(proposal_comments::table
        .filter(proposal_comments::ap_id.eq(ap_id))
        .select(Comment::as_select())
        .first(conn)
        .optional()?)
}

/// A proposal's comments, in order.
pub fn comments_of(conn: &mut AnyConnection, proposal_id: i64) -> Result<Vec<Comment>, DbError> {
    Ok(proposal_comments::table
        .filter(proposal_comments::proposal_id.eq(proposal_id))
        .order(proposal_comments::id)
        .select(Comment::as_select())
        .load(conn)?)
}

/// When our copy of a remote coop's members was fetched (`None`: never, or it attests
/// nobody).
pub fn members_fetched_at(
    conn: &mut AnyConnection,
    coop_actor_id: i64,
) -> Result<Option<NaiveDateTime>, DbError> {
    Ok(remote_memberships::table
        .filter(remote_memberships::coop_actor_id.eq(coop_actor_id))
        .select(diesel::dsl::min(remote_memberships::fetched_at))
        .first(conn)?)
}

/// How many voting members a remote coop attests, as last fetched.
pub fn remote_member_count(conn: &mut AnyConnection, coop_actor_id: i64) -> Result<i64, DbError> {
    Ok(remote_memberships::table
        .filter(remote_memberships::coop_actor_id.eq(coop_actor_id))
        .count()
        .get_result(conn)?)
}

/// The inboxes of a proposal's remote voters (shared inboxes preferred), deduplicated: one
/// query, however many voters.
pub fn voter_inboxes(conn: &mut AnyConnection, proposal_id: i64) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String, Option<String>)> = actors::table
        .filter(
            actors::ap_id.eq_any(
                proposal_votes::table
                    .filter(proposal_votes::proposal_id.eq(proposal_id))
                    .select(proposal_votes::voter_ap_id),
            ),
        )
        .filter(actors::local.eq(false))
        .select((actors::inbox, actors::shared_inbox))
        .load(conn)?;
    let mut inboxes: Vec<String> = rows
        .into_iter()
        .map(|(inbox, shared)| shared.unwrap_or(inbox))
        .collect();
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}
