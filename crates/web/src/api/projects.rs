//! Projects, their ledgers and the coop's cockpit: `/api/v1/projects`, `/api/v1/cockpit`.
//! Amounts and hours travel as decimal strings ("1234.50", "7.5") next to their integer
//! form (`*_minor`, `*_hundredths`): exact, never floats.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cooperage_app::projects::{
    self, EntryView, MoneyInput, ProjectChange, ProjectInput, ProjectView, TimeInput,
};
use cooperage_db::projects::LedgerEntry;
use cooperage_domain::project::{self as rules, Currency, EntryKind, Forecast};
use serde::Deserialize;
use serde_json::{Value, json};

use super::CurrentMember;
use crate::{AppError, AppState};

fn money(minor: i64, currency: Currency) -> String {
    rules::format_amount(minor, currency)
}

fn forecast_view(forecast: Forecast) -> Value {
    match forecast {
        Forecast::NoSpending => json!({ "state": "no_spending", "date": null }),
        Forecast::Exhausted => json!({ "state": "exhausted", "date": null }),
        Forecast::RunsOut(day) => json!({ "state": "runs_out", "date": day.to_string() }),
        Forecast::BeyondHorizon => json!({ "state": "beyond_horizon", "date": null }),
    }
}

/// A project with its figures, as the API shows it.
fn project_view(view: &ProjectView) -> Value {
    let (p, c, f) = (&view.project, view.currency, &view.figures);
    json!({
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "client": p.client,
        "status": p.status.as_str(),
        "start_date": p.start_date,
        "end_date": p.end_date,
        "lead": view.lead,
        "members": view.members,
        "needed_skills": p.skill_list(),
        "currency": c.code,
        "budget": money(p.budget_minor, c),
        "budget_minor": p.budget_minor,
        "hourly_rate": money(p.hourly_rate_minor, c),
        "hourly_rate_minor": p.hourly_rate_minor,
        "planned_hours": rules::format_hours(p.planned_hundredths),
        "planned_hundredths": p.planned_hundredths,
        "created_at": p.created_at.and_utc().to_rfc3339(),
        "updated_at": p.updated_at.and_utc().to_rfc3339(),
        "figures": {
            "received": money(f.received, c),
            "received_minor": f.received,
            "expenses": money(f.expenses, c),
            "expenses_minor": f.expenses,
            "labour": money(f.labour, c),
            "labour_minor": f.labour,
            "spent": money(f.spent, c),
            "spent_minor": f.spent,
            "remaining": money(f.remaining, c),
            "remaining_minor": f.remaining,
            "hours_logged": rules::format_hours(f.hours_logged),
            "hours_logged_hundredths": f.hours_logged,
            "hours_planned": rules::format_hours(f.hours_planned),
            "hours_planned_hundredths": f.hours_planned,
            "burn_per_month": f.burn.iter().map(|(month, spent)| json!({
                "month": month.to_string(),
                "spent": money(*spent, c),
                "spent_minor": spent,
            })).collect::<Vec<_>>(),
            "forecast": forecast_view(f.forecast),
        },
    })
}

/// One line of the cockpit.
fn cockpit_line(view: &ProjectView) -> Value {
    let (p, c, f) = (&view.project, view.currency, &view.figures);
    json!({
        "id": p.id,
        "name": p.name,
        "status": p.status.as_str(),
        "lead": view.lead,
        "currency": c.code,
        "budget": money(p.budget_minor, c),
        "spent": money(f.spent, c),
        "remaining": money(f.remaining, c),
        "remaining_minor": f.remaining,
        "hours_logged": rules::format_hours(f.hours_logged),
        "hours_planned": rules::format_hours(f.hours_planned),
        "forecast": forecast_view(f.forecast),
    })
}

/// A ledger entry as the API shows it: `amount` for money, `hours` for time, both as
/// written (positive); `reverses` says the entry counts negatively.
fn entry_view(entry: &LedgerEntry, currency: Currency, named: Option<&EntryView>) -> Value {
    let is_time = entry.kind == EntryKind::Time;
    json!({
        "id": entry.id,
        "kind": entry.kind.as_str(),
        "amount": (!is_time).then(|| money(entry.amount, currency)),
        "amount_minor": (!is_time).then_some(entry.amount),
        "hours": is_time.then(|| rules::format_hours(entry.amount)),
        "hundredths": is_time.then_some(entry.amount),
        "date": entry.entry_date,
        "category": entry.category,
        "description": entry.description,
        "member": named.and_then(|n| n.worker.clone()),
        "entered_by": named.map(|n| n.entered_by.clone()),
        "reverses": entry.reverses,
        "reversed_by": named.and_then(|n| n.reversed_by),
        "created_at": entry.created_at.and_utc().to_rfc3339(),
    })
}

/// A new project as a request sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectBody {
    name: String,
    #[serde(default)]
    description: String,
    client: Option<String>,
    #[serde(default = "idea")]
    status: String,
    start_date: Option<String>,
    end_date: Option<String>,
    lead: Option<String>,
    currency: String,
    #[serde(default = "zero")]
    budget: String,
    #[serde(default = "zero")]
    hourly_rate: String,
    #[serde(default = "zero")]
    planned_hours: String,
    #[serde(default)]
    needed_skills: Vec<String>,
}

fn idea() -> String {
    "idea".into()
}

fn zero() -> String {
    "0".into()
}

/// A change of a project: absent fields stay; `""` clears client and dates.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    name: Option<String>,
    description: Option<String>,
    client: Option<String>,
    status: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    lead: Option<String>,
    currency: Option<String>,
    budget: Option<String>,
    hourly_rate: Option<String>,
    planned_hours: Option<String>,
    needed_skills: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    username: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyBody {
    kind: String,
    amount: String,
    date: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeBody {
    member: Option<String>,
    date: String,
    hours: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReversalBody {
    #[serde(default)]
    reason: String,
}

/// `GET /api/v1/projects`: the projects I may see, with their figures.
pub async fn list(State(state): State<AppState>, me: CurrentMember) -> Result<Response, AppError> {
    let views = projects::list(&state.app, &me.member).await?;
    Ok(
        Json(json!({ "projects": views.iter().map(project_view).collect::<Vec<_>>() }))
            .into_response(),
    )
}

/// `GET /api/v1/cockpit`: every project I may see, one line each.
pub async fn cockpit(
    State(state): State<AppState>,
    me: CurrentMember,
) -> Result<Response, AppError> {
    let views = projects::list(&state.app, &me.member).await?;
    Ok(
        Json(json!({ "projects": views.iter().map(cockpit_line).collect::<Vec<_>>() }))
            .into_response(),
    )
}

/// `POST /api/v1/projects`: start a project.
pub async fn create(
    State(state): State<AppState>,
    me: CurrentMember,
    Json(body): Json<ProjectBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let input = ProjectInput {
        name: body.name,
        description: body.description,
        client: body.client,
        status: body.status,
        start_date: body.start_date,
        end_date: body.end_date,
        lead: body.lead,
        currency: body.currency,
        budget: body.budget,
        hourly_rate: body.hourly_rate,
        planned_hours: body.planned_hours,
        needed_skills: body.needed_skills,
    };
    let view = projects::create(&state.app, &me.member, input).await?;
    Ok((StatusCode::CREATED, Json(project_view(&view))).into_response())
}

/// `GET /api/v1/projects/{id}`: a project with its figures.
pub async fn show(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let view = projects::show(&state.app, &me.member, id).await?;
    Ok(Json(project_view(&view)).into_response())
}

/// `PATCH /api/v1/projects/{id}`: change a project (its lead or an admin).
pub async fn update(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<ChangeBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let change = ProjectChange {
        name: body.name,
        description: body.description,
        client: body.client,
        status: body.status,
        start_date: body.start_date,
        end_date: body.end_date,
        lead: body.lead,
        currency: body.currency,
        budget: body.budget,
        hourly_rate: body.hourly_rate,
        planned_hours: body.planned_hours,
        needed_skills: body.needed_skills,
    };
    let view = projects::update(&state.app, &me.member, id, change).await?;
    Ok(Json(project_view(&view)).into_response())
}

/// `POST /api/v1/projects/{id}/members`: add a member to the project.
pub async fn add_member(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<MemberBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    projects::add_member(&state.app, &me.member, id, &body.username).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v1/projects/{id}/members/{username}`: take a member off the project.
pub async fn remove_member(
    State(state): State<AppState>,
    me: CurrentMember,
    Path((id, username)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    me.require_write()?;
    projects::remove_member(&state.app, &me.member, id, &username).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/projects/{id}/ledger`: every entry as written.
pub async fn ledger(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (project, entries) = projects::ledger(&state.app, &me.member, id).await?;
    let currency = Currency::parse(&project.currency)
        .map_err(|e| cooperage_app::Error::internal("stored currency", e))?;
    Ok(Json(json!({
        "project": project.id,
        "currency": currency.code,
        "entries": entries.iter().map(|e| entry_view(&e.entry, currency, Some(e))).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// `GET /api/v1/projects/{id}/ledger.csv`: the ledger as CSV (RFC 4180).
pub async fn ledger_csv(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (project, csv) = projects::ledger_csv(&state.app, &me.member, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"project-{}-ledger.csv\"", project.id),
            ),
        ],
        csv,
    )
        .into_response())
}

async fn currency_of(state: &AppState, me: &CurrentMember, id: i64) -> Result<Currency, AppError> {
    let view = projects::show(&state.app, &me.member, id).await?;
    Ok(view.currency)
}

/// `POST /api/v1/projects/{id}/ledger`: record income or an expense.
pub async fn record_money(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<MoneyBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let input = MoneyInput {
        kind: body.kind,
        amount: body.amount,
        date: body.date,
        category: body.category,
        description: body.description,
    };
    let entry = projects::record_money(&state.app, &me.member, id, input).await?;
    let currency = currency_of(&state, &me, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(entry_view(&entry, currency, None)),
    )
        .into_response())
}

/// `POST /api/v1/projects/{id}/time`: record hours worked.
pub async fn record_time(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<TimeBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let input = TimeInput {
        member: body.member,
        date: body.date,
        hours: body.hours,
        note: body.note,
    };
    let entry = projects::record_time(&state.app, &me.member, id, input).await?;
    let currency = currency_of(&state, &me, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(entry_view(&entry, currency, None)),
    )
        .into_response())
}

/// `POST /api/v1/projects/{id}/ledger/{entry}/reversal`: cancel an entry with a new one.
pub async fn reverse(
    State(state): State<AppState>,
    me: CurrentMember,
    Path((id, entry_id)): Path<(i64, i64)>,
    body: Option<Json<ReversalBody>>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let reason = body.map(|Json(b)| b.reason).unwrap_or_default();
    let entry = projects::reverse(&state.app, &me.member, id, entry_id, reason).await?;
    let currency = currency_of(&state, &me, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(entry_view(&entry, currency, None)),
    )
        .into_response())
}
