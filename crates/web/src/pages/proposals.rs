//! Proposals: the list (open or closed, coop or network), a form to open one (with a budget
//! change for a coop proposal), and a proposal's page: which coop hosts it, the vote (radio
//! buttons or checkboxes), my vote and whether it counts, the tally as far as it may be seen,
//! the outcome, the discussion. A proposal another coop hosts has the same page: the vote
//! goes there from here (`cooperage_app::proposals::vote`), as every rule does.
//!
//! Visitors without a session (a link from Mastodon) get the same page read-only for one of
//! our network proposals, the ones whose `Question` anyone may fetch, with its preview card;
//! any other proposal is not found for them.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use cooperage_app::projects;
use cooperage_app::proposals::{self, BudgetChange, ProposalInput, ProposalView};
use cooperage_db::actors::{self, Actor};
use cooperage_db::proposals::{Comment, Proposal};
use cooperage_domain::project::Currency;
use cooperage_domain::proposal::{self as rules, Kind, Results, Scope, Tally};
use cooperage_federation::proposals::tally_of;

use super::format::{self, decimal_input};
use super::signed_in::{
    Choice, PROBLEM, SignedIn, choices, form_problem, optional, rfc3339, see_other, status_for,
};
use super::{Layout, Tr, Visitor, answer, render};
use crate::{AppError, AppState};

/// The proposal routes. A proposal's own page, `/proposals/{id}`, shares its URL with the
/// ActivityPub `Question` of a network proposal (`crate::proposals::question` hands
/// browsers to [`page`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/proposals", get(list).post(create))
        .route("/proposals/new", get(new))
        .route("/proposals/{id}/vote", post(vote))
        .route("/proposals/{id}/comments", post(comment))
}

/// A proposal in a list.
pub struct Item {
    pub id: i64,
    pub title: String,
    pub facts: String,
    /// Open, I may vote and have not.
    pub waiting: bool,
}

/// Where a proposal stands and what kind it is: `the whole network · single choice ·
/// closes December 1, 2026, 14:05 UTC`.
fn facts_line(t: &Tr, p: &Proposal) -> String {
    let when = format::moment(p.closes_at, t.lang);
    let state = if p.closed {
        t.with("proposal-state-closed", "when", &when)
    } else {
        t.with("proposal-state-open", "when", &when)
    };
    format!(
        "{} · {} · {state}",
        t.get(&format!("scope-{}", p.scope.as_str())),
        t.get(&format!("kind-{}", p.kind.as_str())),
    )
}

/// A proposal as lists show it.
pub fn item(t: &Tr, view: &ProposalView) -> Item {
    let p = &view.proposal;
    Item {
        id: p.id,
        title: p.title.clone(),
        facts: facts_line(t, p),
        waiting: waiting(view),
    }
}

/// Open, I may vote, and I have not voted yet.
pub fn waiting(view: &ProposalView) -> bool {
    !view.proposal.closed && view.eligibility.can_vote && view.my_vote.is_empty()
}

/// A filter link of the list.
struct Filter {
    href: String,
    label: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ListPage {
    l: Layout,
    filters: Vec<Filter>,
    items: Vec<Item>,
    error: Option<String>,
}

/// `GET /proposals?state=open|closed&scope=coop|network`.
async fn list(State(state): State<AppState>, me: SignedIn, RawQuery(raw): RawQuery) -> Response {
    let t = me.tr();
    let mut wanted_state = String::new();
    let mut scope = String::new();
    for (name, value) in url::form_urlencoded::parse(raw.as_deref().unwrap_or_default().as_bytes())
    {
        match name.as_ref() {
            "state" => wanted_state = value.into_owned(),
            "scope" => scope = value.into_owned(),
            _ => {}
        }
    }
    let closed = match wanted_state.as_str() {
        "open" => Some(false),
        "closed" => Some(true),
        _ => None,
    };
    let filters = [
        ("", "", "proposals-all"),
        ("open", "", "proposals-open"),
        ("closed", "", "proposals-closed"),
        ("", "coop", "scope-coop"),
        ("", "network", "scope-network"),
    ]
    .iter()
    .map(|(s, sc, key)| Filter {
        href: match (*s, *sc) {
            ("", "") => "/proposals".into(),
            ("", sc) => format!("/proposals?scope={sc}"),
            (s, _) => format!("/proposals?state={s}"),
        },
        label: t.get(key),
        current: *s == wanted_state && *sc == scope,
    })
    .collect();
    let scope_filter = optional(&scope);
    let found = proposals::list(&state.app, &me.member, closed, scope_filter.as_deref()).await;
    let mut page = ListPage {
        l: me.layout(t.get("proposals-title")),
        filters,
        items: Vec::new(),
        error: None,
    };
    let shown = match found {
        Ok(found) => {
            page.items = found.iter().map(|v| item(&t, v)).collect();
            Ok(render(&me.visitor, StatusCode::OK, &page))
        }
        // An unknown scope in a hand-made link: said on the page.
        Err(error) => form_problem(&t, error).map(|problem| {
            page.error = Some(problem);
            render(&me.visitor, PROBLEM, &page)
        }),
    };
    me.finish(shown)
}

/// What the form to open a proposal sends (and shows again after a mistake).
#[derive(Default)]
struct ProposalForm {
    title: String,
    body: String,
    kind: String,
    /// One option a line.
    options: String,
    closes_at: String,
    scope: String,
    counting: String,
    results: String,
    quorum_percent: String,
    quorum_coops: String,
    open_poll: bool,
    /// The project whose budget the proposal changes (empty: none).
    budget_project: String,
    budget_kind: String,
    budget_amount: String,
    budget_category: String,
    budget_reason: String,
}

impl ProposalForm {
    fn read(raw: &[u8]) -> Self {
        let mut form = ProposalForm::default();
        for (name, value) in url::form_urlencoded::parse(raw) {
            let value = value.into_owned();
            match name.as_ref() {
                "title" => form.title = value,
                "body" => form.body = value,
                "kind" => form.kind = value,
                "options" => form.options = value,
                "closes_at" => form.closes_at = value,
                "scope" => form.scope = value,
                "counting" => form.counting = value,
                "results" => form.results = value,
                "quorum_percent" => form.quorum_percent = value,
                "quorum_coops" => form.quorum_coops = value,
                "open_poll" => form.open_poll = true,
                "budget_project" => form.budget_project = value,
                "budget_kind" => form.budget_kind = value,
                "budget_amount" => form.budget_amount = value,
                "budget_category" => form.budget_category = value,
                "budget_reason" => form.budget_reason = value,
                _ => {}
            }
        }
        form
    }

    fn input(&self, t: &Tr) -> Result<ProposalInput, AppError> {
        let number = |field: &'static str, text: &str| -> Result<Option<u32>, AppError> {
            optional(text)
                .map(|n| {
                    n.parse::<u32>()
                        .map_err(|_| AppError::field(field, "must be a whole number"))
                })
                .transpose()
        };
        let budget = optional(&self.budget_project)
            .map(|project| -> Result<BudgetChange, AppError> {
                Ok(BudgetChange {
                    project_id: project
                        .parse()
                        .map_err(|_| AppError::field("budget", "choose one of the projects"))?,
                    kind: self.budget_kind.clone(),
                    amount: decimal_input(&self.budget_amount, t.lang),
                    category: self.budget_category.clone(),
                    reason: self.budget_reason.clone(),
                })
            })
            .transpose()?;
        Ok(ProposalInput {
            title: self.title.clone(),
            body: self.body.clone(),
            kind: self.kind.clone(),
            scope: self.scope.clone(),
            counting: optional(&self.counting),
            results: optional(&self.results),
            // Consent brings its own four answers: option lines are for choices only.
            options: if self.kind == Kind::Consent.as_str() {
                Vec::new()
            } else {
                self.options
                    .lines()
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(str::to_owned)
                    .collect()
            },
            closes_at: rfc3339(&self.closes_at),
            quorum_percent: number("quorum_percent", &self.quorum_percent)?,
            quorum_coops: number("quorum_coops", &self.quorum_coops)?,
            open_poll: self.open_poll,
            budget,
        })
    }
}

/// A project the budget change may be for.
struct ProjectChoice {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "proposal_form.html")]
struct FormPage {
    l: Layout,
    entered: ProposalForm,
    kinds: Vec<Choice>,
    scopes: Vec<Choice>,
    countings: Vec<Choice>,
    results: Vec<Choice>,
    projects: Vec<ProjectChoice>,
    budget_kinds: Vec<Choice>,
    error: Option<String>,
}

async fn form_page(
    state: &AppState,
    me: &SignedIn,
    entered: ProposalForm,
    error: Option<String>,
) -> Result<Response, AppError> {
    let t = me.tr();
    // The projects the member may write to (the operation checks again).
    let projects = projects::list(&state.app, &me.member)
        .await?
        .into_iter()
        .filter(|view| view.writable_by(&me.member))
        .map(|view| ProjectChoice {
            selected: entered.budget_project == view.project.id.to_string(),
            id: view.project.id.to_string(),
            name: view.project.name,
        })
        .collect();
    let page = FormPage {
        l: me.layout(t.get("proposals-new")),
        kinds: choices(
            &t,
            "kind",
            &["single", "multiple", "consent"],
            &entered.kind,
        ),
        scopes: choices(&t, "scope", &["coop", "network"], &entered.scope),
        countings: choices(&t, "counting", &["member", "coop"], &entered.counting),
        results: choices(&t, "results", &["live", "hidden"], &entered.results),
        budget_kinds: choices(
            &t,
            "entry-kind",
            &["expense", "income"],
            &entered.budget_kind,
        ),
        projects,
        entered,
        error,
    };
    let status = status_for(&page.error);
    Ok(render(&me.visitor, status, &page))
}

/// `GET /proposals/new`: single choice, the coop, a week to vote.
async fn new(State(state): State<AppState>, me: SignedIn) -> Response {
    let week = cooperage_db::now() + chrono::TimeDelta::days(7);
    let entered = ProposalForm {
        kind: "single".into(),
        scope: "coop".into(),
        counting: "member".into(),
        results: "live".into(),
        closes_at: week.format("%Y-%m-%dT%H:%M").to_string(),
        budget_kind: "expense".into(),
        ..ProposalForm::default()
    };
    me.finish(form_page(&state, &me, entered, None).await)
}

/// `POST /proposals`: opens it, then to its page.
async fn create(State(state): State<AppState>, me: SignedIn, RawForm(raw): RawForm) -> Response {
    let entered = ProposalForm::read(&raw);
    let opened = match entered.input(&me.tr()) {
        Ok(input) => proposals::create(&state.app, &me.member, input)
            .await
            .map_err(AppError::from),
        Err(error) => Err(error),
    };
    let shown = match opened {
        Ok(view) => Ok(see_other(&format!("/proposals/{}", view.proposal.id))),
        Err(error) => match form_problem(&me.tr(), error) {
            Ok(problem) => form_page(&state, &me, entered, Some(problem)).await,
            Err(error) => Err(error),
        },
    };
    me.finish(shown)
}

/// One option with its count and whether I chose it.
struct OptionRow {
    name: String,
    label: String,
    votes: String,
    advisory: String,
    mine: bool,
}

/// A comment as the page shows it.
struct CommentRow {
    author: String,
    author_url: String,
    /// Cleaned by ammonia when it was stored (ours and remote alike).
    html: String,
    when: String,
}

/// What only a member sees on a proposal's page: their vote and the forms.
struct Voting {
    my_vote: Option<String>,
    cannot_vote: Option<String>,
    /// Votes kept without counting: who, and why not.
    not_counted: Vec<String>,
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    l: Layout,
    id: i64,
    title: String,
    /// Cleaned by ammonia when it was stored (ours and remote alike).
    body_html: String,
    host: String,
    host_url: String,
    facts: Vec<(String, String)>,
    options: Vec<OptionRow>,
    /// Checkboxes (multiple choice) rather than radio buttons.
    multiple: bool,
    hidden_results: bool,
    /// Whether votes from outside the network were taken (an advisory column).
    advisory: bool,
    tally_line: String,
    outcome: Option<String>,
    comments: Vec<CommentRow>,
    /// `None`: a visitor's read-only page.
    voting: Option<Voting>,
    error: Option<String>,
}

/// The stored outcome word (`winner:Approve`, `blocked`, …) in the visitor's language.
fn outcome_text(t: &Tr, kind: Kind, outcome: &str) -> String {
    let option = |name: &str| option_label(t, kind, name);
    match outcome.split_once(':') {
        Some(("winner", name)) => t.with("outcome-winner", "option", &option(name)),
        Some(("tie", names)) => t.with(
            "outcome-tie",
            "options",
            &names.split('|').map(option).collect::<Vec<_>>().join(", "),
        ),
        _ => t.get(&format!("outcome-{outcome}")),
    }
}

/// An option's name as shown: consent's four answers are words of ours, translated.
fn option_label(t: &Tr, kind: Kind, name: &str) -> String {
    if kind == Kind::Consent {
        t.get(&format!("consent-{name}"))
    } else {
        name.to_owned()
    }
}

/// Why I cannot vote, in the visitor's language (the operation's reason as is otherwise).
fn reason_text(t: &Tr, reason: &str) -> String {
    let key = match reason {
        "closed" => "cannot-vote-closed",
        r if r.starts_with("candidates") => "cannot-vote-candidate",
        r if r.starts_with("one coop, one vote") => "cannot-vote-per-coop",
        _ => return reason.to_owned(),
    };
    t.get(key)
}

/// A coop as the page names it: `Nord (@nord@nord.example)`.
fn coop_name(host: &Actor) -> String {
    let name = host
        .display_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| host.username.clone());
    format!("{name} ({})", format::handle(&host.ap_id))
}

/// What members and visitors see alike: the proposal, its facts, the tally as far as it may
/// be shown (`tally` is already what may be shown), the outcome and the discussion.
fn shared_page(
    t: &Tr,
    l: Layout,
    proposal: &Proposal,
    tally: &Tally,
    eligible_voters: Option<u64>,
    host: &Actor,
    comments: Vec<Comment>,
) -> ProposalPage {
    let p = proposal;
    let lang = t.lang;
    let options = p
        .option_names()
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let count = |counts: &[u64]| {
                let n = counts.get(i).copied().unwrap_or(0);
                format::number(i64::try_from(n).unwrap_or(i64::MAX), lang)
            };
            OptionRow {
                label: option_label(t, p.kind, &name),
                votes: count(&tally.counts),
                advisory: count(&tally.advisory),
                mine: false,
                name,
            }
        })
        .collect();
    let number = |n: u64| format::number(i64::try_from(n).unwrap_or(i64::MAX), lang);
    let mut facts = vec![
        (
            t.get("proposal-kind"),
            t.get(&format!("kind-{}", p.kind.as_str())),
        ),
        (
            t.get("proposal-scope"),
            t.get(&format!("scope-{}", p.scope.as_str())),
        ),
        (
            t.get("proposal-counting"),
            t.get(&format!("counting-{}", p.counting.as_str())),
        ),
        (
            t.get("proposal-results"),
            t.get(&format!("results-{}", p.results.as_str())),
        ),
        (
            t.get(if p.closed {
                "proposal-closed"
            } else {
                "proposal-closes"
            }),
            format::moment(p.closes_at, lang),
        ),
    ];
    if let Some(percent) = p.quorum_percent {
        facts.push((
            t.get("proposal-quorum-percent"),
            format!("{} %", format::number(percent.into(), lang)),
        ));
    }
    if let Some(coops) = p.quorum_coops {
        facts.push((
            t.get("proposal-quorum-coops"),
            format::number(coops.into(), lang),
        ));
    }
    let mut tally_line = t.with("proposal-voters", "count", &number(tally.voters));
    if let Some(eligible) = eligible_voters {
        tally_line.push_str(&t.with("proposal-of-eligible", "count", &number(eligible)));
    }
    if p.scope == Scope::Network {
        tally_line.push_str(&t.with("proposal-coops-taking-part", "count", &number(tally.coops)));
    }
    let comments = comments
        .into_iter()
        .map(|c| CommentRow {
            author: format::handle(&c.author_ap_id),
            author_url: c.author_ap_id,
            html: c.content,
            when: format::moment(c.created_at, lang),
        })
        .collect();
    ProposalPage {
        l,
        id: p.id,
        title: p.title.clone(),
        body_html: p.body_html.clone(),
        host: coop_name(host),
        host_url: host.ap_id.clone(),
        facts,
        options,
        multiple: p.kind == Kind::Multiple,
        hidden_results: p.results == Results::Hidden && !p.closed,
        advisory: tally.advisory_voters > 0,
        tally_line,
        outcome: p.outcome.as_deref().map(|o| outcome_text(t, p.kind, o)),
        comments,
        voting: None,
        error: None,
    }
}

/// A member's page of proposal `id`: the shared page with their vote and the forms.
async fn member_page(
    state: &AppState,
    me: &SignedIn,
    id: i64,
    error: Option<String>,
) -> Result<Response, AppError> {
    let t = me.tr();
    let member = &me.member;
    let view = proposals::show(&state.app, member, id).await?;
    let comments = proposals::comments(&state.app, id).await?;
    let coop_id = view.proposal.coop_actor_id;
    let me_id = member.actor_id;
    let (host, voter) = state
        .db
        .run(move |conn| Ok((actors::by_id(conn, coop_id)?, actors::by_id(conn, me_id)?)))
        .await?;
    let p = &view.proposal;
    let mut l = me.layout(p.title.clone());
    if p.is_public() {
        l.alternate = Some(p.ap_id.clone());
    }
    let mut page = shared_page(&t, l, p, &view.tally, view.eligible_voters, &host, comments);
    for option in &mut page.options {
        option.mine = view.my_vote.contains(&option.name);
    }
    if let Some(change) = budget_change(state, me, p).await {
        page.facts.push((t.get("proposal-budget-fact"), change));
    }
    // Whether my vote counts: ours are decided here; another coop decides on its own.
    let my_vote = (!view.my_vote.is_empty()).then(|| {
        let chosen = view
            .my_vote
            .iter()
            .map(|o| option_label(&t, p.kind, o))
            .collect::<Vec<_>>()
            .join(", ");
        let standing = if !p.local {
            t.with("my-vote-sent", "coop", &host.username)
        } else if let Some(not) = view.not_counted.iter().find(|v| v.voter == voter.ap_id) {
            t.with(
                "my-vote-not-counted",
                "reason",
                not.reason.as_deref().unwrap_or_default(),
            )
        } else {
            t.get("my-vote-counted")
        };
        format!("{} {standing}", t.with("my-vote", "options", &chosen))
    });
    page.voting = Some(Voting {
        my_vote,
        cannot_vote: view
            .eligibility
            .reason
            .as_deref()
            .filter(|_| !view.eligibility.can_vote)
            .map(|reason| reason_text(&t, reason)),
        not_counted: view
            .not_counted
            .iter()
            .map(|v| format!("{}: {}", v.voter, v.reason.as_deref().unwrap_or_default()))
            .collect(),
    });
    let status = status_for(&error);
    page.error = error;
    Ok(render(&me.visitor, status, &page))
}

/// The budget change a coop proposal carries, as the member reads it (`None` without one,
/// or when the member may not read the project).
async fn budget_change(state: &AppState, me: &SignedIn, p: &Proposal) -> Option<String> {
    let (project, amount) = p.budget_project_id.zip(p.budget_amount)?;
    let view = projects::show(&state.app, &me.member, project).await.ok()?;
    let t = me.tr();
    let currency: Currency = view.currency;
    Some(t.args(
        "proposal-budget-change",
        &[
            (
                "kind",
                &t.get(&format!(
                    "entry-kind-{}",
                    p.budget_kind.as_deref().unwrap_or_default()
                )),
            ),
            ("amount", &format::money(amount, currency, t.lang)),
            ("project", &view.project.name),
        ],
    ))
}

/// A visitor's read-only page of one of our network proposals, with its preview card.
async fn visitor_page(
    state: &AppState,
    visitor: Visitor,
    key: String,
) -> Result<Response, AppError> {
    let settings = state.federation.context().settings().clone();
    let ap_id = format!("{}/proposals/{key}", settings.base_url());
    let found = state
        .db
        .run(move |conn| {
            let proposal = match key.parse::<i64>() {
                Ok(id) => cooperage_db::proposals::by_id(conn, id)?,
                Err(_) => cooperage_db::proposals::by_ap_id(conn, &ap_id)?,
            };
            let Some(proposal) = proposal.filter(Proposal::is_public) else {
                return Ok(None);
            };
            // What the Question served at its id shows (`question_of`): the same tally.
            let tally = rules::visible(
                proposal.results,
                proposal.closed,
                &tally_of(conn, &proposal)?,
            );
            let host = actors::by_id(conn, proposal.coop_actor_id)?;
            Ok(Some((proposal, tally, host)))
        })
        .await?;
    let (proposal, tally, host) = found.ok_or(AppError::NotFound)?;
    let comments = proposals::comments(&state.app, proposal.id).await?;
    let t = visitor.tr();
    let l = Layout::article(
        &visitor,
        proposal.title.clone(),
        format!("{} – {}", proposal.title, coop_name(&host)),
        match proposal.outcome.as_deref() {
            Some(outcome) => format!(
                "{} · {}",
                facts_line(&t, &proposal),
                outcome_text(&t, proposal.kind, outcome)
            ),
            None => facts_line(&t, &proposal),
        },
        &proposal.ap_id,
        &settings.domain,
    );
    let page = shared_page(&t, l, &proposal, &tally, None, &host, comments);
    Ok(render(&visitor, StatusCode::OK, &page))
}

/// `GET /proposals/{id}` from a browser: a member's page of the proposal with this number,
/// or of ours at this URL (the id Mastodon links to, `/proposals/<uuid>`); a visitor without
/// a session gets the read-only page of a public one, and the 404 page for any other.
pub async fn page(state: &AppState, parts: &mut Parts) -> Response {
    let key = parts
        .uri
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let me = match SignedIn::of(parts, state).await {
        Ok(Some(me)) => me,
        Ok(None) => {
            let visitor = Visitor::of(&parts.uri, &parts.headers);
            return answer(visitor, visitor_page(state, visitor, key).await);
        }
        Err(refused) => return refused,
    };
    let shown = async {
        let id = match key.parse::<i64>() {
            Ok(id) => id,
            Err(_) => {
                let ap_id = format!(
                    "{}{}",
                    state.federation.context().settings().base_url(),
                    parts.uri.path()
                );
                state
                    .db
                    .run(move |conn| cooperage_db::proposals::by_ap_id(conn, &ap_id))
                    .await?
                    .ok_or(AppError::NotFound)?
                    .id
            }
        };
        member_page(state, &me, id, None).await
    };
    me.finish(shown.await)
}

/// After a refused vote or comment: the page again, with what to fix.
async fn page_with_error(state: &AppState, me: &SignedIn, id: i64, error: AppError) -> Response {
    let shown = match form_problem(&me.tr(), error) {
        Ok(problem) => member_page(state, me, id, Some(problem)).await,
        Err(error) => Err(error),
    };
    me.finish(shown)
}

/// `POST /proposals/{id}/vote`: `options` once per choice.
async fn vote(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> Response {
    let choices: Vec<String> = url::form_urlencoded::parse(&raw)
        .filter(|(name, _)| name == "options")
        .map(|(_, value)| value.into_owned())
        .collect();
    match proposals::vote(&state.app, &me.member, id, choices).await {
        Ok(_) => see_other(&format!("/proposals/{id}")),
        Err(error) => page_with_error(&state, &me, id, error.into()).await,
    }
}

/// `POST /proposals/{id}/comments`.
async fn comment(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> Response {
    let text = url::form_urlencoded::parse(&raw)
        .find(|(name, _)| name == "text")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    match proposals::comment(&state.app, &me.member, id, &text).await {
        Ok(_) => see_other(&format!("/proposals/{id}#discussion")),
        Err(error) => page_with_error(&state, &me, id, error.into()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_well() {
        let en = Tr {
            lang: super::super::Lang::En,
        };
        assert_eq!(
            outcome_text(&en, Kind::Single, "winner:Yes"),
            "Decided: Yes"
        );
        assert_eq!(outcome_text(&en, Kind::Consent, "passed"), "Passed");
        assert_eq!(
            outcome_text(&en, Kind::Single, "tie:A|B"),
            "Tie between A, B"
        );
    }
}
