//! Projects, their ledgers and the cockpit, for the coop's members: the list with budget
//! figures (and a form to start one), a project's page with its figures, members and ledger
//! and the forms to record money and time or reverse an entry, and the cockpit: every
//! project's budget against what it spent, as a chart drawn on the server (inline SVG, no
//! script) with the same figures as a table. Every form calls `cooperage_app::projects`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Datelike;
use cooperage_app::projects::{self, MoneyInput, ProjectInput, ProjectView, TimeInput};
use cooperage_domain::project::{EntryKind, Forecast};
use cooperage_domain::skill::Day;
use serde::Deserialize;

use super::format::{self, decimal_input};
use super::signed_in::{SignedIn, form_problem, see_other, status_for};
use super::{Layout, Tr, render};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects", get(list).post(create))
        .route("/projects/{id}", get(show))
        .route("/projects/{id}/money", post(record_money))
        .route("/projects/{id}/time", post(record_time))
        .route("/projects/{id}/entries/{entry}/reverse", post(reverse))
        .route("/projects/{id}/members", post(add_member))
        .route("/cockpit", get(cockpit))
}

/// The project statuses, in the order a project goes through them.
const STATUSES: [&str; 6] = ["idea", "proposed", "active", "paused", "done", "cancelled"];

/// A project as the list and the cockpit show it, its figures formatted for the page.
pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub budget: String,
    pub spent: String,
    pub remaining: String,
    pub over_budget: bool,
    /// Share of the budget spent, in whole percent (`None` without a budget).
    pub used: Option<String>,
    pub hours: String,
    pub forecast: String,
}

fn forecast_text(t: &Tr, forecast: Forecast) -> String {
    match forecast {
        Forecast::NoSpending => t.get("forecast-no_spending"),
        Forecast::Exhausted => t.get("forecast-exhausted"),
        Forecast::BeyondHorizon => t.get("forecast-beyond_horizon"),
        Forecast::RunsOut(day) => t.with("forecast-runs_out", "date", &format::day(day, t.lang)),
    }
}

/// Spent as a share of the budget, in whole percent (rounded down), without floats.
fn percent(spent: i64, budget: i64) -> Option<i64> {
    (budget > 0).then(|| {
        let share = i128::from(spent) * 100 / i128::from(budget);
        i64::try_from(share).unwrap_or(i64::MAX)
    })
}

/// Hours logged of planned: `12.5 of 100 h`.
fn hours_of(t: &Tr, logged: i64, planned: i64) -> String {
    t.args(
        "project-hours-of",
        &[
            ("logged", &format::hours(logged, t.lang)),
            ("planned", &format::hours(planned, t.lang)),
        ],
    )
}

fn row(t: &Tr, view: &ProjectView) -> ProjectRow {
    let (p, c, f) = (&view.project, view.currency, &view.figures);
    let lang = t.lang;
    ProjectRow {
        id: p.id,
        name: p.name.clone(),
        status: t.get(&format!("project-status-{}", p.status.as_str())),
        budget: format::money(p.budget_minor, c, lang),
        spent: format::money(f.spent, c, lang),
        remaining: format::money(f.remaining, c, lang),
        over_budget: f.remaining < 0,
        used: percent(f.spent, p.budget_minor).map(|p| format!("{} %", format::number(p, lang))),
        hours: hours_of(t, f.hours_logged, f.hours_planned),
        forecast: forecast_text(t, f.forecast),
    }
}

// ---- the list ----

#[derive(Template)]
#[template(path = "projects.html")]
struct ListPage {
    l: Layout,
    projects: Vec<ProjectRow>,
    statuses: Vec<(&'static str, String)>,
    can_start: bool,
    form: ProjectForm,
    problem: Option<String>,
}

/// A new project as the form sends it (every field text: the operation checks them).
#[derive(Debug, Default, Deserialize)]
pub struct ProjectForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub budget: String,
    #[serde(default)]
    pub hourly_rate: String,
    #[serde(default)]
    pub planned_hours: String,
}

async fn list_page(
    state: &AppState,
    me: &SignedIn,
    form: ProjectForm,
    problem: Option<String>,
) -> Result<Response, AppError> {
    let (visitor, member) = (me.visitor, &me.member);
    let t = visitor.tr();
    let views = projects::list(&state.app, member).await?;
    let status = status_for(&problem);
    let page = ListPage {
        l: me.layout(t.get("projects-title")),
        projects: views.iter().map(|v| row(&t, v)).collect(),
        statuses: STATUSES
            .iter()
            .map(|s| (*s, t.get(&format!("project-status-{s}"))))
            .collect(),
        can_start: projects::may_start(member),
        form: ProjectForm {
            status: if form.status.is_empty() {
                "active".into()
            } else {
                form.status
            },
            currency: if form.currency.is_empty() {
                "EUR".into()
            } else {
                form.currency
            },
            ..form
        },
        problem,
    };
    Ok(render(&visitor, status, &page))
}

/// `GET /projects`: the projects the member may read, with their figures.
async fn list(State(state): State<AppState>, me: SignedIn) -> Response {
    me.finish(list_page(&state, &me, ProjectForm::default(), None).await)
}

/// `POST /projects`: starts a project (the member leads it) and opens its page.
async fn create(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<ProjectForm>,
) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        let lang = visitor.lang;
        let input = ProjectInput {
            name: form.name.clone(),
            client: Some(form.client.clone()),
            status: form.status.clone(),
            currency: form.currency.trim().to_ascii_uppercase(),
            budget: or_zero(decimal_input(&form.budget, lang)),
            hourly_rate: or_zero(decimal_input(&form.hourly_rate, lang)),
            planned_hours: or_zero(decimal_input(&form.planned_hours, lang)),
            ..Default::default()
        };
        match projects::create(&state.app, member, input).await {
            Ok(view) => Ok(see_other(&format!("/projects/{}", view.project.id))),
            Err(error) => {
                let problem = form_problem(&visitor.tr(), error)?;
                list_page(&state, &me, form, Some(problem)).await
            }
        }
    }
    .await;
    me.finish(result)
}

/// An empty amount field means nothing yet.
fn or_zero(text: String) -> String {
    if text.is_empty() { "0".into() } else { text }
}

// ---- a project ----

/// A ledger entry as the project's page shows it.
pub struct EntryRow {
    pub id: i64,
    pub date: String,
    pub kind: String,
    /// The amount or the hours, signed as it counts (a reversal is negative).
    pub value: String,
    pub category: String,
    pub description: String,
    pub worker: String,
    pub entered_by: String,
    /// The entry this one reverses.
    pub reverses: Option<i64>,
    /// The entry that reversed this one.
    pub reversed_by: Option<i64>,
}

impl EntryRow {
    /// Whether the reverse button is offered (the operation decides in the end).
    pub fn reversible(&self) -> bool {
        self.reverses.is_none() && self.reversed_by.is_none()
    }
}

/// A figure of the project's summary.
pub struct Figure {
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    l: Layout,
    id: i64,
    name: String,
    status: String,
    lead: String,
    client: String,
    figures: Vec<Figure>,
    members: Vec<String>,
    entries: Vec<EntryRow>,
    writable: bool,
    today: String,
    problem: Option<String>,
    /// What the failed form had, to show it again.
    money: MoneyForm,
    time: TimeForm,
}

/// Money as the form sends it.
#[derive(Debug, Default, Deserialize)]
pub struct MoneyForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub description: String,
}

/// Time as the form sends it.
#[derive(Debug, Default, Deserialize)]
pub struct TimeForm {
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub note: String,
}

/// Today (UTC) as a date field's value.
fn today() -> String {
    let now = chrono::Utc::now().date_naive();
    Day {
        year: now.year(),
        month: now.month(),
        day: now.day(),
    }
    .to_string()
}

/// What a project page shows when it is shown again with a form's problem.
#[derive(Default)]
struct Again {
    problem: Option<String>,
    money: MoneyForm,
    time: TimeForm,
}

async fn project_page(
    state: &AppState,
    me: &SignedIn,
    id: i64,
    again: Again,
) -> Result<Response, AppError> {
    let (visitor, member) = (me.visitor, &me.member);
    let t = visitor.tr();
    let lang = t.lang;
    let view = projects::show(&state.app, member, id).await?;
    let (_, ledger) = projects::ledger(&state.app, member, id).await?;
    let (p, c, f) = (&view.project, view.currency, &view.figures);
    let money = |minor| format::money(minor, c, lang);
    let figures = vec![
        Figure {
            label: t.get("figure-budget"),
            value: money(p.budget_minor),
        },
        Figure {
            label: t.get("figure-spent"),
            value: money(f.spent),
        },
        Figure {
            label: t.get("figure-remaining"),
            value: money(f.remaining),
        },
        Figure {
            label: t.get("figure-received"),
            value: money(f.received),
        },
        Figure {
            label: t.get("figure-expenses"),
            value: money(f.expenses),
        },
        Figure {
            label: t.get("figure-labour"),
            value: t.args(
                "figure-labour-at",
                &[
                    ("labour", &money(f.labour)),
                    ("rate", &money(p.hourly_rate_minor)),
                ],
            ),
        },
        Figure {
            label: t.get("figure-hours"),
            value: hours_of(&t, f.hours_logged, f.hours_planned),
        },
        Figure {
            label: t.get("figure-forecast"),
            value: forecast_text(&t, f.forecast),
        },
    ];
    let entries = ledger
        .iter()
        .rev()
        .map(|named| {
            let e = &named.entry;
            let signed = if e.reverses.is_some() {
                -e.amount
            } else {
                e.amount
            };
            EntryRow {
                id: e.id,
                date: format::date_text(&e.entry_date, lang),
                kind: t.get(&format!("entry-kind-{}", e.kind.as_str())),
                value: match e.kind {
                    EntryKind::Time => t.with("hours-unit", "hours", &format::hours(signed, lang)),
                    _ => money(signed),
                },
                category: e.category.clone(),
                description: e.description.clone(),
                worker: named.worker.clone().unwrap_or_default(),
                entered_by: named.entered_by.clone(),
                reverses: e.reverses,
                reversed_by: named.reversed_by,
            }
        })
        .collect();
    let status = status_for(&again.problem);
    let page = ProjectPage {
        l: me.layout(p.name.clone()),
        id,
        name: p.name.clone(),
        status: t.get(&format!("project-status-{}", p.status.as_str())),
        lead: view.lead.clone(),
        client: p.client.clone().unwrap_or_default(),
        figures,
        writable: view.writable_by(member),
        members: view.members.clone(),
        entries,
        today: today(),
        problem: again.problem,
        money: again.money,
        time: again.time,
    };
    Ok(render(&visitor, status, &page))
}

/// `GET /projects/{id}`.
async fn show(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>) -> Response {
    me.finish(project_page(&state, &me, id, Again::default()).await)
}

/// The project page again after a form failed: the problem next to the forms, a fault or a
/// refusal as the error page.
async fn failed(
    state: &AppState,
    me: &SignedIn,
    id: i64,
    error: cooperage_app::Error,
    mut again: Again,
) -> Result<Response, AppError> {
    let visitor = me.visitor;
    again.problem = Some(form_problem(&visitor.tr(), error)?);
    project_page(state, me, id, again).await
}

/// `POST /projects/{id}/money`: income or an expense.
async fn record_money(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<MoneyForm>,
) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        let input = MoneyInput {
            kind: form.kind.clone(),
            amount: decimal_input(&form.amount, visitor.lang),
            date: form.date.clone(),
            category: form.category.clone(),
            description: form.description.clone(),
        };
        match projects::record_money(&state.app, member, id, input).await {
            Ok(_) => Ok(see_other(&format!("/projects/{id}#ledger"))),
            Err(error) => {
                let again = Again {
                    money: form,
                    ..Again::default()
                };
                failed(&state, &me, id, error, again).await
            }
        }
    }
    .await;
    me.finish(result)
}

/// `POST /projects/{id}/time`: hours worked.
async fn record_time(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<TimeForm>,
) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        let input = TimeInput {
            member: Some(form.member.clone()).filter(|m| !m.trim().is_empty()),
            date: form.date.clone(),
            hours: decimal_input(&form.hours, visitor.lang),
            note: form.note.clone(),
        };
        match projects::record_time(&state.app, member, id, input).await {
            Ok(_) => Ok(see_other(&format!("/projects/{id}#ledger"))),
            Err(error) => {
                let again = Again {
                    time: form,
                    ..Again::default()
                };
                failed(&state, &me, id, error, again).await
            }
        }
    }
    .await;
    me.finish(result)
}

#[derive(Debug, Default, Deserialize)]
struct ReversalForm {
    #[serde(default)]
    reason: String,
}

/// `POST /projects/{id}/entries/{entry}/reverse`: cancels an entry with a new one.
async fn reverse(
    State(state): State<AppState>,
    me: SignedIn,
    Path((id, entry)): Path<(i64, i64)>,
    Form(form): Form<ReversalForm>,
) -> Response {
    let result = async {
        let member = &me.member;
        match projects::reverse(&state.app, member, id, entry, form.reason).await {
            Ok(_) => Ok(see_other(&format!("/projects/{id}#ledger"))),
            Err(error) => failed(&state, &me, id, error, Again::default()).await,
        }
    }
    .await;
    me.finish(result)
}

#[derive(Debug, Default, Deserialize)]
struct MemberForm {
    #[serde(default)]
    username: String,
}

/// `POST /projects/{id}/members`: adds a member of the coop to the project.
async fn add_member(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<MemberForm>,
) -> Response {
    let result = async {
        let member = &me.member;
        match projects::add_member(&state.app, member, id, form.username.trim()).await {
            Ok(()) => Ok(see_other(&format!("/projects/{id}#members"))),
            Err(error) => failed(&state, &me, id, error, Again::default()).await,
        }
    }
    .await;
    me.finish(result)
}

// ---- the cockpit ----

/// One project's bars in the cockpit's chart. Widths are in the chart's own units.
pub struct Bar {
    pub id: i64,
    pub name: String,
    pub text_y: i64,
    pub bar_y: i64,
    pub budget_width: i64,
    pub spent_width: i64,
    pub over_budget: bool,
    /// What the bars say, for the row's own `<title>`.
    pub says: String,
}

/// The chart's geometry: where the bars start, how wide 100 % of a budget is, and how far
/// past it an overspent bar may reach before it is cut (marked as over budget).
const CHART_WIDTH: i64 = 600;
const BAR_X: i64 = 0;
const FULL: i64 = 400;
const MOST: i64 = 590;
const ROW: i64 = 44;

/// Bars for each project: each budget is the same length (100 %), and what was spent is
/// drawn against its own budget, so projects in different currencies and sizes compare by
/// how much of their budget they used. A project without a budget draws what it spent as
/// over budget.
fn bars(t: &Tr, views: &[ProjectView]) -> Vec<Bar> {
    views
        .iter()
        .enumerate()
        .map(|(i, view)| {
            let (p, c, f) = (&view.project, view.currency, &view.figures);
            let y = i64::try_from(i).unwrap_or(0) * ROW;
            let spent_width = if p.budget_minor > 0 {
                let width =
                    i128::from(f.spent.max(0)) * i128::from(FULL) / i128::from(p.budget_minor);
                i64::try_from(width.min(i128::from(MOST))).unwrap_or(MOST)
            } else if f.spent > 0 {
                MOST
            } else {
                0
            };
            let says = t.args(
                "cockpit-bar",
                &[
                    ("name", &p.name),
                    ("spent", &format::money(f.spent, c, t.lang)),
                    ("budget", &format::money(p.budget_minor, c, t.lang)),
                ],
            );
            Bar {
                id: p.id,
                name: p.name.clone(),
                text_y: y + 14,
                bar_y: y + 20,
                budget_width: if p.budget_minor > 0 { FULL } else { 0 },
                spent_width,
                over_budget: f.remaining < 0,
                says,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "cockpit.html")]
struct CockpitPage {
    l: Layout,
    projects: Vec<ProjectRow>,
    bars: Vec<Bar>,
    chart_width: i64,
    chart_height: i64,
    /// Where 100 % of a budget ends, for the chart's reference line.
    full: i64,
}

/// `GET /cockpit`: every project the member may read, budget against spent.
async fn cockpit(State(state): State<AppState>, me: SignedIn) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        let t = visitor.tr();
        let views = projects::list(&state.app, member).await?;
        let bars = bars(&t, &views);
        let page = CockpitPage {
            l: me.layout(t.get("cockpit-title")),
            projects: views.iter().map(|v| row(&t, v)).collect(),
            chart_width: CHART_WIDTH,
            chart_height: (i64::try_from(bars.len()).unwrap_or(0) * ROW).max(ROW),
            full: BAR_X + FULL,
            bars,
        };
        Ok(render(&visitor, StatusCode::OK, &page))
    }
    .await;
    me.finish(result)
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn shares_of_a_budget_are_whole_percent_without_floats() {
        assert_eq!(percent(0, 100), Some(0));
        assert_eq!(percent(999, 1000), Some(99));
        assert_eq!(percent(1500, 1000), Some(150));
        assert_eq!(percent(5, 0), None);
        assert_eq!(percent(i64::MAX, 1), Some(i64::MAX));
    }
}
