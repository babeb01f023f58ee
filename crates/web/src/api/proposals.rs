//! Proposals and votes: `/api/v1/proposals`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cooperage_app::proposals::{self, ProposalInput, ProposalView};
use cooperage_db::proposals::Comment;
use serde::Deserialize;
use serde_json::{Value, json};

use super::CurrentMember;
use crate::{AppError, AppState};

fn time(t: chrono::NaiveDateTime) -> String {
    t.and_utc().to_rfc3339()
}

/// A proposal as the API shows it: the tally as far as it may be seen.
pub fn proposal_view(view: &ProposalView) -> Value {
    let p = &view.proposal;
    let options: Vec<Value> = view
        .options
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({
                "name": name,
                "votes": view.tally.counts.get(i).copied().unwrap_or(0),
                "advisory_votes": view.tally.advisory.get(i).copied().unwrap_or(0),
            })
        })
        .collect();
    json!({
        "id": p.id,
        "ap_id": p.ap_id,
        "local": p.local,
        "title": p.title,
        "body_html": p.body_html,
        "kind": p.kind.as_str(),
        "scope": p.scope.as_str(),
        "counting": p.counting.as_str(),
        "results": p.results.as_str(),
        "quorum_percent": p.quorum_percent,
        "quorum_coops": p.quorum_coops,
        "open_poll": p.open_poll,
        "budget": p.budget_project_id.map(|project| json!({
            "project_id": project,
            "kind": p.budget_kind,
            "amount_minor": p.budget_amount,
            "category": p.budget_category,
            "reason": p.budget_reason,
            "ledger_entry_id": p.budget_entry_id,
        })),
        "opens_at": time(p.opens_at),
        "closes_at": time(p.closes_at),
        "closed": p.closed,
        "outcome": p.outcome,
        "options": options,
        "voters": view.tally.voters,
        "coops_taking_part": view.tally.coops,
        "advisory_voters": view.tally.advisory_voters,
        "eligible_voters": view.eligible_voters,
        "my_vote": view.my_vote,
        "eligibility": {
            "can_vote": view.eligibility.can_vote,
            "reason": view.eligibility.reason,
        },
        "decides": p.decides_proposal_id,
        "decided_by": view.decided_by,
        "coop_vote": view.coop_vote,
        "not_counted": view.not_counted.iter().map(|v| json!({
            "voter": v.voter,
            "option": v.option,
            "reason": v.reason,
        })).collect::<Vec<_>>(),
    })
}

fn comment_view(comment: &Comment) -> Value {
    json!({
        "id": comment.id,
        "ap_id": comment.ap_id,
        "author": comment.author_ap_id,
        "content": comment.content,
        "created_at": time(comment.created_at),
    })
}

/// A proposal as a request sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalBody {
    title: String,
    #[serde(default)]
    body: String,
    kind: String,
    scope: String,
    counting: Option<String>,
    results: Option<String>,
    #[serde(default)]
    options: Vec<String>,
    closes_at: String,
    quorum_percent: Option<u32>,
    quorum_coops: Option<u32>,
    #[serde(default)]
    open_poll: bool,
    budget: Option<BudgetBody>,
}

/// A budget change carried by a coop proposal.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    project_id: i64,
    kind: String,
    amount: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    reason: String,
}

impl From<ProposalBody> for ProposalInput {
    fn from(body: ProposalBody) -> Self {
        ProposalInput {
            title: body.title,
            body: body.body,
            kind: body.kind,
            scope: body.scope,
            counting: body.counting,
            results: body.results,
            options: body.options,
            closes_at: body.closes_at,
            quorum_percent: body.quorum_percent,
            quorum_coops: body.quorum_coops,
            open_poll: body.open_poll,
            budget: body.budget.map(|b| proposals::BudgetChange {
                project_id: b.project_id,
                kind: b.kind,
                amount: b.amount,
                category: b.category,
                reason: b.reason,
            }),
        }
    }
}

/// Filters of the list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `open` or `closed`.
    state: Option<String>,
    /// `coop` or `network`.
    scope: Option<String>,
}

/// `GET /api/v1/proposals`: proposals here and from the network.
pub async fn list(
    State(state): State<AppState>,
    me: CurrentMember,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let closed = match query.state.as_deref() {
        None | Some("") => None,
        Some("open") => Some(false),
        Some("closed") => Some(true),
        Some(_) => {
            return Err(AppError::from(cooperage_app::Error::invalid(
                "state",
                "must be open or closed",
            )));
        }
    };
    let found = proposals::list(&state.app, &me.member, closed, query.scope.as_deref()).await?;
    Ok(
        Json(json!({ "proposals": found.iter().map(proposal_view).collect::<Vec<_>>() }))
            .into_response(),
    )
}

/// `POST /api/v1/proposals`: open a proposal.
pub async fn create(
    State(state): State<AppState>,
    me: CurrentMember,
    Json(body): Json<ProposalBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let view = proposals::create(&state.app, &me.member, body.into()).await?;
    Ok((StatusCode::CREATED, Json(proposal_view(&view))).into_response())
}

/// `GET /api/v1/proposals/{id}`.
pub async fn show(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let view = proposals::show(&state.app, &me.member, id).await?;
    Ok(Json(proposal_view(&view)).into_response())
}

/// The coop proposal deciding the coop's vote on a network proposal.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    title: Option<String>,
    #[serde(default)]
    body: String,
    closes_at: String,
    quorum_percent: Option<u32>,
    results: Option<String>,
}

/// `POST /api/v1/proposals/{id}/decision`: open the coop proposal that decides how the coop
/// votes on network proposal `id` (counted one coop, one vote).
pub async fn open_decision(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<DecisionBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let input = proposals::DecisionInput {
        title: body.title,
        body: body.body,
        closes_at: body.closes_at,
        quorum_percent: body.quorum_percent,
        results: body.results,
    };
    let view = proposals::open_decision(&state.app, &me.member, id, input).await?;
    Ok((StatusCode::CREATED, Json(proposal_view(&view))).into_response())
}

/// A vote: the chosen option names (one for single choice and consent).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    options: Vec<String>,
}

/// `POST /api/v1/proposals/{id}/votes`: cast or change my vote.
pub async fn vote(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<VoteBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let view = proposals::vote(&state.app, &me.member, id, body.options).await?;
    Ok(Json(proposal_view(&view)).into_response())
}

/// `GET /api/v1/proposals/{id}/comments`: the discussion, in order.
pub async fn comments(
    State(state): State<AppState>,
    _me: CurrentMember,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let found = proposals::comments(&state.app, id).await?;
    Ok(
        Json(json!({ "comments": found.iter().map(comment_view).collect::<Vec<_>>() }))
            .into_response(),
    )
}

/// A comment (Markdown).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    text: String,
}

/// `POST /api/v1/proposals/{id}/comments`: add to the discussion.
pub async fn comment(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<CommentBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let comment = proposals::comment(&state.app, &me.member, id, &body.text).await?;
    Ok((StatusCode::CREATED, Json(comment_view(&comment))).into_response())
}
