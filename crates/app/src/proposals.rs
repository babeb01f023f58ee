//! Proposals: any member opens one (hosted by this coop's instance), members vote and change
//! their vote until the close from their home instance, everyone discusses. A vote on a
//! proposal another coop hosts is sent there as Mastodon sends votes, so one format serves all.

use chrono::NaiveDateTime;
use cooperage_db::members::Member;
use cooperage_db::proposals::{self, Comment, Proposal, ProposalForm};
use cooperage_domain::member::can_vote;
use cooperage_domain::proposal::{
    self as rules, Counting, Kind, Quorum, Results, Scope, Standing, Tally,
};
use cooperage_federation::proposals::{eligible_count, queue_question, record_vote, tally_of};

use crate::{App, Error};

/// A proposal as a member writes it.
#[derive(Debug, Clone, Default)]
pub struct ProposalInput {
    pub title: String,
    /// Markdown.
    pub body: String,
    /// `single`, `multiple`, `consent`.
    pub kind: String,
    /// `coop` or `network`.
    pub scope: String,
    /// `member` (default) or `coop` (network only).
    pub counting: Option<String>,
    /// `live` (default) or `hidden`.
    pub results: Option<String>,
    /// Option names (none for consent).
    pub options: Vec<String>,
    /// RFC 3339; at least a minute ahead, at most a year.
    pub closes_at: String,
    pub quorum_percent: Option<u32>,
    pub quorum_coops: Option<u32>,
    /// Take votes from outside the network into an advisory tally.
    pub open_poll: bool,
    /// A budget change for one of the coop's projects (coop scope), written if it passes.
    pub budget: Option<BudgetChange>,
}

/// A change to a project's budget that a coop proposal decides.
#[derive(Debug, Clone, Default)]
pub struct BudgetChange {
    pub project_id: i64,
    /// `income` or `expense`.
    pub kind: String,
    /// Decimal text in the project's currency ("1200.00").
    pub amount: String,
    pub category: String,
    pub reason: String,
}

/// Whether the asking member may vote on a proposal, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    pub can_vote: bool,
    pub reason: Option<String>,
}

/// A vote as shown with its proposal: who, what, whether it counts and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteView {
    pub voter: String,
    pub option: String,
    pub standing: Standing,
    pub reason: Option<String>,
}

/// A proposal with what the asking member may see of it.
#[derive(Debug, Clone)]
pub struct ProposalView {
    pub proposal: Proposal,
    pub options: Vec<String>,
    /// The tally as far as it may be shown (hidden results: zeros until close).
    pub tally: Tally,
    /// Voters who may vote (ours: members here and attested by the network's coops).
    pub eligible_voters: Option<u64>,
    pub my_vote: Vec<String>,
    pub eligibility: Eligibility,
    /// Votes kept without counting, with the reason (ours only; shown once closed or live).
    pub not_counted: Vec<VoteView>,
    /// One coop, one vote: the coop proposal deciding our coop's vote on this one.
    pub decided_by: Option<i64>,
    /// One coop, one vote: the options our coop cast (once its decision closed).
    pub coop_vote: Vec<String>,
}

/// A coop proposal that decides how the coop votes on a network proposal counted one coop,
/// one vote. Its kind and options are the network proposal's.
#[derive(Debug, Clone, Default)]
pub struct DecisionInput {
    /// Defaults to the network proposal's title, marked as the coop's vote.
    pub title: Option<String>,
    /// Markdown.
    pub body: String,
    /// RFC 3339; before the network proposal closes (its vote must get there in time).
    pub closes_at: String,
    pub quorum_percent: Option<u32>,
    /// `live` (default) or `hidden`.
    pub results: Option<String>,
}

fn parse_closes_at(text: &str) -> Result<NaiveDateTime, Error> {
    let at = chrono::DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| Error::invalid("closes_at", format!("an RFC 3339 time: {e}")))?
        .naive_utc();
    let now = cooperage_db::now();
    if at <= now {
        return Err(Error::invalid("closes_at", "must be in the future"));
    }
    if at > now + chrono::TimeDelta::days(366) {
        return Err(Error::invalid("closes_at", "must be within a year"));
    }
    Ok(at)
}

fn checked_form(input: ProposalInput) -> Result<ProposalForm, Error> {
    if input.budget.is_some() && input.scope.trim() != "coop" {
        return Err(Error::invalid(
            "budget",
            "only a coop proposal changes a project's budget",
        ));
    }
    let title = input.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > rules::MAX_TITLE {
        return Err(Error::invalid(
            "title",
            format!("must be 1 to {} characters", rules::MAX_TITLE),
        ));
    }
    let kind = Kind::parse(input.kind.trim()).map_err(|e| Error::invalid("kind", e.to_string()))?;
    let scope =
        Scope::parse(input.scope.trim()).map_err(|e| Error::invalid("scope", e.to_string()))?;
    let counting = match input.counting.as_deref().map(str::trim) {
        None | Some("") => Counting::PerMember,
        Some(word) => {
            Counting::parse(word).map_err(|e| Error::invalid("counting", e.to_string()))?
        }
    };
    if counting == Counting::PerCoop && scope == Scope::Coop {
        return Err(Error::invalid(
            "counting",
            "one coop, one vote is for network proposals",
        ));
    }
    let results = match input.results.as_deref().map(str::trim) {
        None | Some("") => Results::Live,
        Some(word) => Results::parse(word).map_err(|e| Error::invalid("results", e.to_string()))?,
    };
    let options = rules::options(kind, &input.options)
        .map_err(|e| Error::invalid("options", e.to_string()))?;
    let quorum = Quorum {
        percent: input.quorum_percent,
        coops: input.quorum_coops,
    }
    .check(scope)
    .map_err(|e| Error::invalid("quorum", e))?;
    if input.body.chars().count() > 20_000 {
        return Err(Error::invalid("body", "must be at most 20000 characters"));
    }
    let now = cooperage_db::now();
    Ok(ProposalForm {
        ap_id: String::new(),
        coop_actor_id: 0,
        author_actor_id: None,
        local: true,
        title,
        body_html: cooperage_federation::sanitize::html(&crate::posts::markdown_to_html(
            &input.body,
        )),
        kind,
        scope,
        counting,
        results,
        options: proposals::options_column(&options),
        quorum_percent: quorum.percent.and_then(|q| i32::try_from(q).ok()),
        quorum_coops: quorum.coops.and_then(|q| i32::try_from(q).ok()),
        open_poll: input.open_poll && scope == Scope::Network,
        opens_at: now,
        closes_at: parse_closes_at(&input.closes_at)?,
        closed: false,
        outcome: None,
        remote_tally: None,
        update_due: false,
        budget_project_id: None,
        budget_kind: None,
        budget_amount: None,
        budget_category: None,
        budget_reason: None,
        created_at: now,
        decides_proposal_id: None,
    })
}

/// Opens a proposal: stored, and (network scope) sent as a Question to the coop's followers
/// and the network, in one transaction.
pub async fn create(
    app: &App,
    member: &Member,
    input: ProposalInput,
) -> Result<ProposalView, Error> {
    if !can_vote(member.role, member.status) {
        return Err(Error::Forbidden(
            "only voting members open proposals".into(),
        ));
    }
    let budget = input.budget.clone();
    let mut form = checked_form(input)?;
    let actor_id = member.actor_id;
    let proposal = app
        .write(move |conn, settings| {
            if let Some(budget) = budget {
                let (kind, amount) = crate::projects::check_budget_change(
                    conn,
                    budget.project_id,
                    &budget.kind,
                    &budget.amount,
                )?;
                for (field, text) in [
                    ("budget.category", &budget.category),
                    ("budget.reason", &budget.reason),
                ] {
                    if text.chars().count() > 200 {
                        return Err(Error::invalid(field, "must be at most 200 characters"));
                    }
                }
                form.budget_project_id = Some(budget.project_id);
                form.budget_kind = Some(kind.as_str().to_owned());
                form.budget_amount = Some(amount);
                form.budget_category = Some(budget.category.trim().to_owned());
                form.budget_reason = Some(budget.reason.trim().to_owned());
            }
            let (coop, _) = cooperage_federation::skills::network(conn, settings)?;
            form.ap_id = settings.new_object_id("proposals");
            form.coop_actor_id = coop.id;
            form.author_actor_id = Some(actor_id);
            let proposal = proposals::insert(conn, &form)?;
            queue_question(conn, settings, &proposal, true)?;
            Ok(proposal)
        })
        .await?;
    show(app, member, proposal.id).await
}

/// How long before the network proposal's close a coop's decision must close, so that its
/// vote arrives in time.
const DECISION_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// Opens the coop proposal that decides how our coop votes on the network proposal
/// `network_id` (counted one coop, one vote): same kind and options, coop scope; when it
/// closes, its result is cast as the coop's vote (`federation::proposals::close`). One per
/// network proposal.
pub async fn open_decision(
    app: &App,
    member: &Member,
    network_id: i64,
    input: DecisionInput,
) -> Result<ProposalView, Error> {
    if !can_vote(member.role, member.status) {
        return Err(Error::Forbidden(
            "only voting members open proposals".into(),
        ));
    }
    let actor_id = member.actor_id;
    let proposal = app
        .write(move |conn, settings| {
            let network = proposals::by_id(conn, network_id)?.ok_or(Error::NotFound)?;
            if network.scope != Scope::Network || network.counting != Counting::PerCoop {
                return Err(Error::invalid(
                    "proposal",
                    "only a network proposal counted one coop, one vote is decided by the coop",
                ));
            }
            if network.closed {
                return Err(Error::invalid("proposal", "it is closed"));
            }
            if proposals::decided_by(conn, network.id)?.is_some() {
                return Err(Error::conflict(
                    "proposal",
                    "the coop already decides its vote on this proposal",
                ));
            }
            let title = input.title.clone().unwrap_or_else(|| {
                format!("Our vote: {}", network.title)
                    .chars()
                    .take(rules::MAX_TITLE)
                    .collect()
            });
            let mut form = checked_form(ProposalInput {
                title,
                body: input.body.clone(),
                kind: network.kind.as_str().to_owned(),
                scope: Scope::Coop.as_str().to_owned(),
                counting: None,
                results: input.results.clone(),
                options: match network.kind {
                    Kind::Consent => Vec::new(),
                    Kind::Single | Kind::Multiple => network.option_names(),
                },
                closes_at: input.closes_at.clone(),
                quorum_percent: input.quorum_percent,
                quorum_coops: None,
                open_poll: false,
                budget: None,
            })?;
            if form.closes_at > network.closes_at - DECISION_MARGIN {
                return Err(Error::invalid(
                    "closes_at",
                    "must be at least a minute before the network proposal closes",
                ));
            }
            let (coop, _) = cooperage_federation::skills::network(conn, settings)?;
            form.ap_id = settings.new_object_id("proposals");
            form.coop_actor_id = coop.id;
            form.author_actor_id = Some(actor_id);
            form.decides_proposal_id = Some(network.id);
            match proposals::insert(conn, &form) {
                // Two members opening the decision at once: the unique index keeps one.
                Err(cooperage_db::DbError::Query(e)) if cooperage_db::is_unique_violation(&e) => {
                    Err(Error::conflict(
                        "proposal",
                        "the coop already decides its vote on this proposal",
                    ))
                }
                other => Ok(other?),
            }
        })
        .await?;
    show(app, member, proposal.id).await
}

fn eligibility(member: &Member, proposal: &Proposal) -> Eligibility {
    let no = |reason: &str| Eligibility {
        can_vote: false,
        reason: Some(reason.to_owned()),
    };
    if !can_vote(member.role, member.status) {
        return no("candidates and inactive members see proposals but do not vote");
    }
    if proposal.closed || proposal.closes_at <= cooperage_db::now() {
        return no("closed");
    }
    if proposal.counting == Counting::PerCoop {
        return no("one coop, one vote: the coop casts its vote, decided by a coop proposal");
    }
    Eligibility {
        can_vote: true,
        reason: None,
    }
}

/// Builds what a member sees of a proposal.
fn view(
    conn: &mut cooperage_db::AnyConnection,
    settings: &cooperage_federation::Settings,
    member: &Member,
    proposal: Proposal,
) -> Result<ProposalView, Error> {
    let options = proposal.option_names();
    let tally = tally_of(conn, &proposal)?;
    let visible = rules::visible(proposal.results, proposal.closed, &tally);
    let me = cooperage_db::actors::by_id(conn, member.actor_id)?;
    let my_vote = proposals::votes_by(conn, proposal.id, &me.ap_id)?
        .into_iter()
        .filter_map(|v| options.get(usize::try_from(v.option_index).ok()?).cloned())
        .collect();
    let show_votes = proposal.local && (proposal.results == Results::Live || proposal.closed);
    let not_counted = if show_votes {
        proposals::votes_of(conn, proposal.id)?
            .into_iter()
            .filter(|v| v.standing == Standing::NotCounted)
            .map(|v| VoteView {
                option: options
                    .get(usize::try_from(v.option_index).unwrap_or(usize::MAX))
                    .cloned()
                    .unwrap_or_default(),
                voter: v.voter_ap_id,
                standing: v.standing,
                reason: v.reason,
            })
            .collect()
    } else {
        Vec::new()
    };
    let eligible_voters = if proposal.local {
        Some(eligible_count(conn, settings, &proposal)?)
    } else {
        None
    };
    let (decided_by, coop_vote) = if proposal.counting == Counting::PerCoop {
        let (coop, _) = cooperage_federation::skills::network(conn, settings)?;
        let cast = proposals::votes_by(conn, proposal.id, &coop.ap_id)?
            .into_iter()
            .filter_map(|v| options.get(usize::try_from(v.option_index).ok()?).cloned())
            .collect();
        (
            proposals::decided_by(conn, proposal.id)?.map(|p| p.id),
            cast,
        )
    } else {
        (None, Vec::new())
    };
    Ok(ProposalView {
        decided_by,
        coop_vote,
        eligibility: eligibility(member, &proposal),
        proposal,
        options,
        tally: visible,
        eligible_voters,
        my_vote,
        not_counted,
    })
}

/// One proposal as the member may see it.
pub async fn show(app: &App, member: &Member, id: i64) -> Result<ProposalView, Error> {
    let member = member.clone();
    let settings = app.settings().clone();
    app.db()
        .run(move |conn| {
            Ok(match proposals::by_id(conn, id)? {
                None => Err(Error::NotFound),
                Some(p) => view(conn, &settings, &member, p),
            })
        })
        .await?
}

/// Proposals, newest first: open or closed, coop or network.
pub async fn list(
    app: &App,
    member: &Member,
    closed: Option<bool>,
    scope: Option<&str>,
) -> Result<Vec<ProposalView>, Error> {
    let scope = scope
        .map(|s| Scope::parse(s).map_err(|e| Error::invalid("scope", e.to_string())))
        .transpose()?;
    let member = member.clone();
    let settings = app.settings().clone();
    app.db()
        .run(move |conn| {
            let found = proposals::list(conn, closed, scope, 100)?;
            Ok(found
                .into_iter()
                .map(|p| view(conn, &settings, &member, p))
                .collect::<Result<Vec<_>, Error>>())
        })
        .await?
}

/// Casts or changes the member's vote (the latest counts). On a proposal another coop
/// hosts, the vote goes there as `Create{Note}` per choice.
pub async fn vote(
    app: &App,
    member: &Member,
    id: i64,
    choices: Vec<String>,
) -> Result<ProposalView, Error> {
    let member_row = member.clone();
    app.write(move |conn, settings| {
        let proposal = proposals::by_id(conn, id)?.ok_or(Error::NotFound)?;
        let eligibility = eligibility(&member_row, &proposal);
        if !eligibility.can_vote {
            return Err(Error::Forbidden(format!(
                "you cannot vote on this proposal: {}",
                eligibility.reason.unwrap_or_default()
            )));
        }
        let options = proposal.option_names();
        let mut indexes = Vec::new();
        for choice in &choices {
            let index = options
                .iter()
                .position(|o| o == choice.trim())
                .ok_or_else(|| Error::invalid("options", format!("{choice:?} is not an option")))?;
            if !indexes.contains(&index) {
                indexes.push(index);
            }
        }
        if indexes.is_empty() || (proposal.kind != Kind::Multiple && indexes.len() != 1) {
            return Err(Error::invalid(
                "options",
                if proposal.kind == Kind::Multiple {
                    "choose at least one option"
                } else {
                    "choose exactly one option"
                },
            ));
        }
        let voter = cooperage_db::actors::by_id(conn, member_row.actor_id)?;
        let (coop, _) = cooperage_federation::skills::network(conn, settings)?;
        record_vote(conn, settings, &voter, &coop, &proposal, &indexes)?;
        Ok(())
    })
    .await?;
    show(app, member, id).await
}

/// Adds a comment (Markdown) to a proposal's discussion.
pub async fn comment(app: &App, member: &Member, id: i64, text: &str) -> Result<Comment, Error> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 5_000 {
        return Err(Error::invalid("text", "must be 1 to 5000 characters"));
    }
    let html = cooperage_federation::sanitize::html(&crate::posts::markdown_to_html(text));
    let actor_id = member.actor_id;
    app.write(move |conn, settings| {
        let proposal = proposals::by_id(conn, id)?.ok_or(Error::NotFound)?;
        let author = cooperage_db::actors::by_id(conn, actor_id)?;
        // Served at its id (`GET /comments/{id}`): servers the host coop relays it to fetch it.
        let note_id = settings.new_object_id("comments");
        proposals::add_comment(conn, proposal.id, &note_id, &author.ap_id, &html)?;
        if proposal.local {
            cooperage_federation::proposals::queue_comment_relay(
                conn, settings, &proposal, &note_id,
            )?;
        } else {
            cooperage_federation::proposals::queue_comment(
                conn, &author, &proposal, &note_id, &html,
            )?;
        }
        let comments = proposals::comments_of(conn, proposal.id)?;
        comments
            .into_iter()
            .find(|c| c.ap_id == note_id)
            .ok_or(Error::NotFound)
    })
    .await
}

/// A proposal's discussion, in order.
pub async fn comments(app: &App, id: i64) -> Result<Vec<Comment>, Error> {
    let found = app
        .read(move |conn| {
            Ok(match proposals::by_id(conn, id)? {
                None => None,
                Some(p) => Some(proposals::comments_of(conn, p.id)?),
            })
        })
        .await?;
    found.ok_or(Error::NotFound)
}

/// What closing a proposal writes besides its outcome: the ledger entry of a budget change
/// that passed (nothing when it failed). An entry the ledger refuses (its totals would
/// overflow) is logged and not written; the outcome stands.
pub fn budget_hook() -> Option<cooperage_federation::proposals::BudgetHook> {
    Some(std::sync::Arc::new(|conn, proposal, outcome| {
        let (Some(project_id), Some(kind), Some(amount)) = (
            proposal.budget_project_id,
            proposal.budget_kind.as_deref(),
            proposal.budget_amount,
        ) else {
            return Ok(None);
        };
        if !outcome.passed() {
            return Ok(None);
        }
        let Ok(kind) = cooperage_domain::project::EntryKind::parse(kind) else {
            return Ok(None);
        };
        let Some(author) = proposal.author_actor_id else {
            return Ok(None);
        };
        let Some(entered_by) = cooperage_db::members::by_actor_id(conn, author)? else {
            return Ok(None);
        };
        let description = format!(
            "{} (decided by proposal {})",
            proposal.budget_reason.as_deref().unwrap_or_default(),
            proposal.ap_id
        );
        let category = proposal.budget_category.clone().unwrap_or_default();
        match crate::projects::append_decided(
            conn,
            project_id,
            kind,
            amount,
            category,
            description,
            entered_by.id,
        ) {
            Ok(entry) => Ok(Some(entry.id)),
            Err(Error::Database(e)) => Err(e),
            Err(error) => {
                tracing::warn!(%error, proposal = proposal.ap_id, "the budget change of a proposal was not written");
                Ok(None)
            }
        }
    }))
}
