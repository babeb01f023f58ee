//! Project offers for members: the list of open offers (ours and the network's, with the
//! members whose listings fit each), an offer's page (apply from home to another coop's
//! offer, withdraw the application, or close one of ours), the form that publishes an offer
//! from a project, and the project's review of applications (accept or decline). Every form
//! calls `cooperage_app::offers`.
//!
//! URLs: `/offers/{uuid}` is an offer's ActivityPub id and public page; a member's page of any
//! offer here, ours or the network's, is `/offers/{n}/details` with its number on this
//! instance.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use cooperage_app::offers::{self, OfferInput, OfferView};
use cooperage_app::projects;
use cooperage_db::offers::Offer;
use cooperage_domain::offer::{ApplicationStatus, Compensation};
use cooperage_domain::project::Currency;
use serde::Deserialize;

use super::format::{self, decimal_input};
use super::signed_in::{PROBLEM, SignedIn, form_problem, see_other, status_for, ticked};
use super::{Layout, Tr, render};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/offers", get(list))
        .route("/offers/{id}/details", get(details))
        .route("/offers/{id}/apply", post(apply))
        .route("/offers/{id}/withdraw", post(withdraw))
        .route("/offers/{id}/close", post(close))
        .route("/projects/{id}/offers/new", get(new_offer))
        .route("/projects/{id}/offers", post(publish))
        .route("/projects/{id}/applications", get(review))
        .route(
            "/projects/{id}/applications/{application}/{decision}",
            post(answer),
        )
}

/// What an offer pays, as the page's language writes it.
fn pay(t: &Tr, offer: &Offer) -> String {
    let amount = offer
        .currency
        .as_deref()
        .and_then(|code| Currency::parse(code).ok())
        .zip(offer.amount_minor)
        .map(|(currency, minor)| format::money(minor, currency, t.lang));
    match (offer.compensation, amount) {
        (Compensation::Hourly, Some(amount)) => t.with("offer-pay-hourly", "amount", &amount),
        (Compensation::Fixed, Some(amount)) => t.with("offer-pay-fixed", "amount", &amount),
        (compensation, _) => t.get(&format!("word-{}", compensation.as_str())),
    }
}

/// An offer as the list shows it.
pub struct OfferRow {
    pub id: i64,
    pub title: String,
    pub coop: String,
    pub skills: String,
    pub pay: String,
    pub deadline: Option<String>,
    /// Our members whose listings fit it: "ana (Rust), bea (Design)".
    pub fits: String,
    /// The member's own application's status, if any.
    pub mine: Option<String>,
}

fn offer_row(t: &Tr, view: &OfferView) -> OfferRow {
    let offer = &view.offer;
    OfferRow {
        id: offer.id,
        title: offer.title.clone(),
        coop: format::handle(&view.coop),
        skills: offer.skill_list().join(", "),
        pay: pay(t, offer),
        deadline: offer
            .application_deadline
            .as_deref()
            .map(|d| format::date_text(d, t.lang)),
        fits: view
            .fits
            .iter()
            .map(|fit| format!("{} ({})", fit.username, fit.skills.join(", ")))
            .collect::<Vec<_>>()
            .join(", "),
        mine: view
            .my_application
            .as_ref()
            .map(|a| t.get(&format!("application-status-{}", a.status.as_str()))),
    }
}

#[derive(Template)]
#[template(path = "offers.html")]
struct ListPage {
    l: Layout,
    skill: String,
    ours: Vec<OfferRow>,
    network: Vec<OfferRow>,
    problem: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    skill: String,
}

/// `GET /offers` (`?skill=`): open offers, ours and the network's.
async fn list(
    State(state): State<AppState>,
    me: SignedIn,
    Query(query): Query<ListQuery>,
) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        let t = visitor.tr();
        let skill = Some(query.skill.as_str()).filter(|s| !s.trim().is_empty());
        let (views, problem, status) = match offers::list(&state.app, member, skill).await {
            Ok(views) => (views, None, StatusCode::OK),
            // A skill that is no tag: say so, and show what there is without the filter.
            Err(error) => (
                offers::list(&state.app, member, None).await?,
                Some(form_problem(&t, error)?),
                PROBLEM,
            ),
        };
        let (ours, network): (Vec<_>, Vec<_>) = views.iter().partition(|v| v.offer.local);
        let page = ListPage {
            l: me.layout(t.get("offers-title")),
            skill: query.skill.clone(),
            ours: ours.iter().map(|v| offer_row(&t, v)).collect(),
            network: network.iter().map(|v| offer_row(&t, v)).collect(),
            problem,
        };
        Ok(render(&visitor, status, &page))
    }
    .await;
    me.finish(result)
}

// ---- an offer ----

#[derive(Template)]
#[template(path = "offer_details.html")]
struct DetailsPage {
    l: Layout,
    row: OfferRow,
    offer: Offer,
    status: String,
    period: Option<String>,
    public_url: Option<String>,
    /// May apply: another coop's open offer the member has no live application to.
    can_apply: bool,
    /// The member's live application (pending or answered): shown, with a withdraw button.
    application: Option<(String, String, bool)>,
    /// May close it: ours, open, and the member may write its project.
    can_close: bool,
    project: Option<i64>,
    problem: Option<String>,
    message: String,
    hours: String,
    /// The offer's estimate, as the page's language writes numbers.
    estimated_hours: String,
}

/// What an offer's page shows again after a form failed.
#[derive(Default)]
struct Again {
    problem: Option<String>,
    message: String,
    hours: String,
}

async fn details_page(
    state: &AppState,
    me: &SignedIn,
    id: i64,
    again: Again,
) -> Result<Response, AppError> {
    let (visitor, member) = (me.visitor, &me.member);
    let t = visitor.tr();
    let view = offers::show(&state.app, member, id).await?;
    let open = view.status.is_open();
    let offer = view.offer.clone();
    let project = match offer.project_id {
        // Ours: the project's people may close it (and review its applications).
        Some(project) if offer.local => projects::show(&state.app, member, project)
            .await
            .ok()
            .filter(|p| p.writable_by(member))
            .map(|_| project),
        _ => None,
    };
    let live = view
        .my_application
        .as_ref()
        .filter(|a| a.status != ApplicationStatus::Withdrawn);
    let period = match (&offer.period_start, &offer.period_end) {
        (None, None) => None,
        (start, end) => Some(
            t.args(
                "offer-period-from-to",
                &[
                    (
                        "start",
                        &start
                            .as_deref()
                            .map(|d| format::date_text(d, t.lang))
                            .unwrap_or_else(|| "…".into()),
                    ),
                    (
                        "end",
                        &end.as_deref()
                            .map(|d| format::date_text(d, t.lang))
                            .unwrap_or_else(|| "…".into()),
                    ),
                ],
            ),
        ),
    };
    let status = status_for(&again.problem);
    let page = DetailsPage {
        l: me.layout(offer.title.clone()),
        row: offer_row(&t, &view),
        status: t.get(&format!("word-{}", view.status.as_str())),
        can_apply: !offer.local && open && live.is_none(),
        application: live.map(|a| {
            (
                t.get(&format!("application-status-{}", a.status.as_str())),
                a.message.clone(),
                a.status == ApplicationStatus::Pending,
            )
        }),
        can_close: open && project.is_some(),
        project,
        public_url: (offer.local && offer.audience == cooperage_domain::skill::Visibility::Public)
            .then(|| offer.ap_id.clone()),
        period,
        estimated_hours: format::number(offer.estimated_hours.into(), t.lang),
        offer,
        problem: again.problem,
        message: again.message,
        hours: again.hours,
    };
    Ok(render(&visitor, status, &page))
}

/// `GET /offers/{id}/details`.
async fn details(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>) -> Response {
    me.finish(details_page(&state, &me, id, Again::default()).await)
}

#[derive(Debug, Default, Deserialize)]
struct ApplyForm {
    #[serde(default)]
    message: String,
    #[serde(default)]
    hours_available: String,
}

/// `POST /offers/{id}/apply`: applies from home; the coop of the offer gets the application.
async fn apply(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<ApplyForm>,
) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        let t = visitor.tr();
        let outcome = match form.hours_available.trim().parse::<u32>() {
            Ok(hours) => offers::apply(&state.app, member, id, &form.message, hours)
                .await
                .map(|_| ()),
            Err(_) => Err(cooperage_app::Error::invalid(
                "hours_available",
                t.get("offer-hours-whole"),
            )),
        };
        match outcome {
            Ok(()) => Ok(see_other(&format!("/offers/{id}/details"))),
            Err(error) => {
                let again = Again {
                    problem: Some(form_problem(&t, error)?),
                    message: form.message,
                    hours: form.hours_available,
                };
                details_page(&state, &me, id, again).await
            }
        }
    }
    .await;
    me.finish(result)
}

/// `POST /offers/{id}/withdraw`: takes the member's application back.
async fn withdraw(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>) -> Response {
    let result = async {
        let member = &me.member;
        offers::withdraw(&state.app, member, id).await?;
        Ok(see_other(&format!("/offers/{id}/details")))
    }
    .await;
    me.finish(result)
}

#[derive(Debug, Default, Deserialize)]
struct CloseForm {
    #[serde(default)]
    status: String,
}

/// `POST /offers/{id}/close`: one of our offers is filled or withdrawn.
async fn close(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        match offers::close(&state.app, member, id, &form.status).await {
            Ok(_) => Ok(see_other(&format!("/offers/{id}/details"))),
            Err(error) => {
                let again = Again {
                    problem: Some(form_problem(&visitor.tr(), error)?),
                    ..Again::default()
                };
                details_page(&state, &me, id, again).await
            }
        }
    }
    .await;
    me.finish(result)
}

// ---- publishing ----

/// An offer as the form sends it (text everywhere: the operation checks it).
#[derive(Debug, Default, Deserialize)]
pub struct OfferForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Comma-separated.
    #[serde(default)]
    pub skills: String,
    #[serde(default)]
    pub positions: String,
    #[serde(default)]
    pub estimated_hours: String,
    #[serde(default)]
    pub period_start: String,
    #[serde(default)]
    pub period_end: String,
    #[serde(default)]
    pub compensation: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub location: String,
    pub remote: Option<String>,
    #[serde(default)]
    pub application_deadline: String,
    #[serde(default)]
    pub audience: String,
}

#[derive(Template)]
#[template(path = "offer_new.html")]
struct NewOfferPage {
    l: Layout,
    project: i64,
    project_name: String,
    form: OfferForm,
    remote: bool,
    compensations: Vec<(&'static str, String)>,
    audiences: Vec<(&'static str, String)>,
    problem: Option<String>,
}

async fn new_offer_page(
    state: &AppState,
    me: &SignedIn,
    project: i64,
    form: Option<OfferForm>,
    problem: Option<String>,
) -> Result<Response, AppError> {
    let (visitor, member) = (me.visitor, &me.member);
    let t = visitor.tr();
    let view = projects::show(&state.app, member, project).await?;
    let form = form.unwrap_or_else(|| OfferForm {
        positions: "1".into(),
        compensation: "to_be_discussed".into(),
        currency: view.currency.code.to_owned(),
        audience: "network".into(),
        ..OfferForm::default()
    });
    let status = status_for(&problem);
    let page = NewOfferPage {
        l: me.layout(t.get("offer-new-title")),
        project,
        project_name: view.project.name.clone(),
        remote: ticked(&form.remote),
        form,
        compensations: ["to_be_discussed", "hourly", "fixed"]
            .iter()
            .map(|c| (*c, t.get(&format!("word-{c}"))))
            .collect(),
        audiences: ["network", "public"]
            .iter()
            .map(|a| (*a, t.get(&format!("offer-audience-{a}"))))
            .collect(),
        problem,
    };
    Ok(render(&visitor, status, &page))
}

/// `GET /projects/{id}/offers/new`: the form.
async fn new_offer(
    State(state): State<AppState>,
    me: SignedIn,
    Path(project): Path<i64>,
) -> Response {
    me.finish(new_offer_page(&state, &me, project, None, None).await)
}

/// A whole number typed in a form; text that is none is the operation's 0 (refused there
/// with its own message).
fn whole(text: &str) -> u32 {
    text.trim().parse().unwrap_or(0)
}

/// `POST /projects/{id}/offers`: publishes the offer; the coop sends it to its audience.
async fn publish(
    State(state): State<AppState>,
    me: SignedIn,
    Path(project): Path<i64>,
    Form(form): Form<OfferForm>,
) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        let input = OfferInput {
            title: form.title.clone(),
            description: form.description.clone(),
            skills: form
                .skills
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            positions: whole(&form.positions),
            estimated_hours: whole(&form.estimated_hours),
            period_start: optional(&form.period_start),
            period_end: optional(&form.period_end),
            compensation: form.compensation.clone(),
            amount: optional(&decimal_input(&form.amount, visitor.lang)),
            currency: optional(&form.currency.to_ascii_uppercase()),
            location: form.location.clone(),
            remote: ticked(&form.remote),
            application_deadline: optional(&form.application_deadline),
            audience: form.audience.clone(),
        };
        // No amount for "to be discussed", whatever the currency field still says.
        let input = if input.compensation == "to_be_discussed" && input.amount.is_none() {
            OfferInput {
                currency: None,
                ..input
            }
        } else {
            input
        };
        match offers::publish(&state.app, member, project, input).await {
            Ok(view) => Ok(see_other(&format!("/offers/{}/details", view.offer.id))),
            Err(error) => {
                let problem = form_problem(&visitor.tr(), error)?;
                new_offer_page(&state, &me, project, Some(form), Some(problem)).await
            }
        }
    }
    .await;
    me.finish(result)
}

// ---- reviewing applications ----

/// An application as the project's review shows it.
pub struct ApplicationRow {
    pub id: i64,
    pub offer: String,
    pub applicant: String,
    pub applicant_url: String,
    pub message: String,
    pub hours: String,
    pub status: String,
    pub pending: bool,
    pub listings: Vec<String>,
    pub sent: String,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ReviewPage {
    l: Layout,
    project: i64,
    project_name: String,
    applications: Vec<ApplicationRow>,
}

/// `GET /projects/{id}/applications`: applications to the project's offers.
async fn review(State(state): State<AppState>, me: SignedIn, Path(project): Path<i64>) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        let t = visitor.tr();
        let view = projects::show(&state.app, member, project).await?;
        let received = offers::project_applications(&state.app, member, project).await?;
        let titles = offers::list(&state.app, member, None).await?;
        let title_of = |ap_id: &str| {
            titles
                .iter()
                .find(|v| v.offer.ap_id == ap_id)
                .map_or_else(|| ap_id.to_owned(), |v| v.offer.title.clone())
        };
        let applications = received
            .iter()
            .map(|a| ApplicationRow {
                id: a.application.id,
                offer: title_of(&a.offer_ap_id),
                applicant: format!("@{}", a.applicant),
                applicant_url: a.applicant_id.clone(),
                message: a.application.message.clone(),
                hours: t.with(
                    "hours-unit",
                    "hours",
                    &format::number(i64::from(a.application.hours_available), t.lang),
                ),
                status: t.get(&format!(
                    "application-status-{}",
                    a.application.status.as_str()
                )),
                pending: a.application.status == ApplicationStatus::Pending,
                listings: a
                    .listings
                    .iter()
                    .map(|l| {
                        format!(
                            "{} ({})",
                            l.label,
                            t.get(&format!("word-{}", l.level.as_str()))
                        )
                    })
                    .collect(),
                sent: format::moment(a.application.created_at, t.lang),
            })
            .collect();
        let page = ReviewPage {
            l: me.layout(t.get("applications-title")),
            project,
            project_name: view.project.name.clone(),
            applications,
        };
        Ok(render(&visitor, StatusCode::OK, &page))
    }
    .await;
    me.finish(result)
}

/// `POST /projects/{id}/applications/{application}/accept` (or `decline`): the coop answers.
async fn answer(
    State(state): State<AppState>,
    me: SignedIn,
    Path((project, application, decision)): Path<(i64, i64, String)>,
) -> Response {
    let result = async {
        let member = &me.member;
        let accept = match decision.as_str() {
            "accept" => true,
            "decline" => false,
            _ => return Err(AppError::NotFound),
        };
        offers::answer(&state.app, member, project, application, accept).await?;
        Ok(see_other(&format!("/projects/{project}/applications")))
    }
    .await;
    me.finish(result)
}
