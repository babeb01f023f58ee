//! Proposals: the list (open or closed, coop or network), a form to open one, and a
//! proposal's page: which coop hosts it, the vote (radio buttons or checkboxes), my vote and
//! whether it counts, the tally as far as it may be seen, the outcome, the discussion.
//! A proposal another coop hosts has the same page: the vote goes there from here
//! (`cooperage_app::proposals::vote`), as every rule does.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawForm, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use cooperage_app::proposals::{self, ProposalInput, ProposalView};
use cooperage_db::actors;
use cooperage_domain::proposal::{Kind, Results};

use super::member::{Choice, SignedIn, choices, correctable, optional, rfc3339, see_other, when};
use super::{Layout, Tr, render};
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

/// A proposal as lists show it.
pub fn item(t: &Tr, view: &ProposalView) -> Item {
    let p = &view.proposal;
    let state = if p.closed {
        t.with("proposal-state-closed", "when", &when(p.closes_at))
    } else {
        t.with("proposal-state-open", "when", &when(p.closes_at))
    };
    Item {
        id: p.id,
        title: p.title.clone(),
        facts: format!(
            "{} · {} · {state}",
            t.get(&format!("scope-{}", p.scope.as_str())),
            t.get(&format!("kind-{}", p.kind.as_str())),
        ),
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
    let t = me.visitor.tr();
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
    let found = proposals::list(
        &state.app,
        &me.current.member,
        closed,
        scope_filter.as_deref(),
    )
    .await;
    let mut page = ListPage {
        l: me.layout(t.get("proposals-title")),
        filters,
        items: Vec::new(),
        error: None,
    };
    match found {
        Ok(found) => page.items = found.iter().map(|v| item(&t, v)).collect(),
        Err(error) => {
            let error = AppError::from(error);
            match correctable(&error) {
                Some(message) => page.error = Some(message),
                None => return me.error(error),
            }
        }
    }
    render(&me.visitor, StatusCode::OK, &page)
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
                _ => {}
            }
        }
        form
    }

    fn input(&self) -> Result<ProposalInput, AppError> {
        let number = |field: &'static str, text: &str| -> Result<Option<u32>, AppError> {
            optional(text)
                .map(|n| {
                    n.parse::<u32>()
                        .map_err(|_| AppError::field(field, "must be a whole number"))
                })
                .transpose()
        };
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
            budget: None,
        })
    }
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
    error: Option<String>,
}

fn form_page(me: &SignedIn, entered: ProposalForm, error: Option<String>) -> FormPage {
    let t = me.visitor.tr();
    FormPage {
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
        entered,
        error,
    }
}

/// `GET /proposals/new`: single choice, the coop, a week to vote.
async fn new(me: SignedIn) -> Response {
    let week = cooperage_db::now() + chrono::TimeDelta::days(7);
    let entered = ProposalForm {
        kind: "single".into(),
        scope: "coop".into(),
        counting: "member".into(),
        results: "live".into(),
        closes_at: week.format("%Y-%m-%dT%H:%M").to_string(),
        ..ProposalForm::default()
    };
    render(&me.visitor, StatusCode::OK, &form_page(&me, entered, None))
}

/// `POST /proposals`: opens it, then to its page.
async fn create(State(state): State<AppState>, me: SignedIn, RawForm(raw): RawForm) -> Response {
    let entered = ProposalForm::read(&raw);
    let opened = match entered.input() {
        Ok(input) => proposals::create(&state.app, &me.current.member, input)
            .await
            .map_err(AppError::from),
        Err(error) => Err(error),
    };
    match opened {
        Ok(view) => see_other(&format!("/proposals/{}", view.proposal.id)),
        Err(error) => match correctable(&error) {
            Some(message) => render(
                &me.visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(&me, entered, Some(message)),
            ),
            None => me.error(error),
        },
    }
}

/// One option with its count and whether I chose it.
struct OptionRow {
    name: String,
    label: String,
    votes: u64,
    advisory: u64,
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

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    l: Layout,
    view: ProposalView,
    host: String,
    host_url: String,
    facts: Vec<(String, String)>,
    options: Vec<OptionRow>,
    /// Checkboxes (multiple choice) rather than radio buttons.
    multiple: bool,
    hidden_results: bool,
    tally_line: String,
    outcome: Option<String>,
    my_vote: Option<String>,
    cannot_vote: Option<String>,
    comments: Vec<CommentRow>,
    error: Option<String>,
}

/// `handle@host` of an actor id, for people to read.
fn handle_of(ap_id: &str) -> String {
    url::Url::parse(ap_id)
        .ok()
        .and_then(|url| {
            let name = url.path_segments()?.next_back()?.to_owned();
            let host = url.host_str()?.to_owned();
            Some(match url.port() {
                Some(port) => format!("{name}@{host}:{port}"),
                None => format!("{name}@{host}"),
            })
        })
        .unwrap_or_else(|| ap_id.to_owned())
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

async fn proposal_page(
    state: &AppState,
    me: &SignedIn,
    id: i64,
    error: Option<String>,
) -> Result<ProposalPage, AppError> {
    let t = me.visitor.tr();
    let member = &me.current.member;
    let view = proposals::show(&state.app, member, id).await?;
    let comments = proposals::comments(&state.app, id).await?;
    let coop_id = view.proposal.coop_actor_id;
    let me_id = member.actor_id;
    let (host, voter) = state
        .db
        .run(move |conn| Ok((actors::by_id(conn, coop_id)?, actors::by_id(conn, me_id)?)))
        .await?;
    let p = &view.proposal;
    let hidden_results = p.results == Results::Hidden && !p.closed;
    let options = view
        .options
        .iter()
        .enumerate()
        .map(|(i, name)| OptionRow {
            name: name.clone(),
            label: option_label(&t, p.kind, name),
            votes: view.tally.counts.get(i).copied().unwrap_or(0),
            advisory: view.tally.advisory.get(i).copied().unwrap_or(0),
            mine: view.my_vote.contains(name),
        })
        .collect();
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
            when(p.closes_at),
        ),
    ];
    if let Some(percent) = p.quorum_percent {
        facts.push((t.get("proposal-quorum-percent"), format!("{percent} %")));
    }
    if let Some(coops) = p.quorum_coops {
        facts.push((t.get("proposal-quorum-coops"), coops.to_string()));
    }
    let mut tally_line = t.with("proposal-voters", "count", &view.tally.voters.to_string());
    if let Some(eligible) = view.eligible_voters {
        tally_line.push_str(&t.with("proposal-of-eligible", "count", &eligible.to_string()));
    }
    if p.scope == cooperage_domain::proposal::Scope::Network {
        tally_line.push_str(&t.with(
            "proposal-coops-taking-part",
            "count",
            &view.tally.coops.to_string(),
        ));
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
    let cannot_vote = view
        .eligibility
        .reason
        .as_deref()
        .filter(|_| !view.eligibility.can_vote)
        .map(|reason| reason_text(&t, reason));
    let outcome = p.outcome.as_deref().map(|o| outcome_text(&t, p.kind, o));
    let comments = comments
        .into_iter()
        .map(|c| CommentRow {
            author: handle_of(&c.author_ap_id),
            author_url: c.author_ap_id,
            html: c.content,
            when: when(c.created_at),
        })
        .collect();
    Ok(ProposalPage {
        l: me.layout(p.title.clone()),
        host: format!(
            "{} (@{})",
            host.display_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| host.username.clone()),
            handle_of(&host.ap_id)
        ),
        host_url: host.ap_id.clone(),
        facts,
        options,
        multiple: p.kind == Kind::Multiple,
        hidden_results,
        tally_line,
        outcome,
        my_vote,
        cannot_vote,
        comments,
        error,
        view,
    })
}

/// `GET /proposals/{id}` from a browser: a member's page of the proposal with this number,
/// or of ours at this URL (the id Mastodon links to, `/proposals/<uuid>`); a visitor without
/// a session goes to the login page.
pub async fn page(state: &AppState, parts: &mut axum::http::request::Parts) -> Response {
    use axum::extract::FromRequestParts;
    let me = match SignedIn::from_request_parts(parts, state).await {
        Ok(me) => me,
        Err(response) => return response,
    };
    let key = parts
        .uri
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let id = match key.parse::<i64>() {
        Ok(id) => id,
        Err(_) => {
            let ap_id = format!(
                "{}{}",
                state.federation.context().settings().base_url(),
                parts.uri.path()
            );
            let found = state
                .db
                .run(move |conn| cooperage_db::proposals::by_ap_id(conn, &ap_id))
                .await;
            match found {
                Ok(Some(proposal)) => proposal.id,
                Ok(None) => return me.error(AppError::NotFound),
                Err(error) => return me.error(error),
            }
        }
    };
    match proposal_page(state, &me, id, None).await {
        Ok(page) => render(&me.visitor, StatusCode::OK, &page),
        Err(error) => me.error(error),
    }
}

/// After a refused vote or comment: the page again, with what to fix.
async fn page_with_error(state: &AppState, me: &SignedIn, id: i64, error: AppError) -> Response {
    let Some(message) = correctable(&error) else {
        return me.error(error);
    };
    match proposal_page(state, me, id, Some(message)).await {
        Ok(page) => render(&me.visitor, StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(error) => me.error(error),
    }
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
    match proposals::vote(&state.app, &me.current.member, id, choices).await {
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
    match proposals::comment(&state.app, &me.current.member, id, &text).await {
        Ok(_) => see_other(&format!("/proposals/{id}#discussion")),
        Err(error) => page_with_error(&state, &me, id, error.into()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_and_outcomes_read_well() {
        assert_eq!(
            handle_of("http://localhost:8080/actors/nord"),
            "nord@localhost:8080"
        );
        assert_eq!(
            handle_of("https://coop.example/users/ada"),
            "ada@coop.example"
        );
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
