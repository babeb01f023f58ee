//! Project offers and applications: `/api/v1/offers`, `/api/v1/projects/{id}/offers` and
//! `/api/v1/projects/{id}/applications`, `/api/v1/me/applications`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cooperage_app::offers::{self, ApplicationView, OfferInput, OfferView};
use cooperage_db::offers::{Application, Offer};
use cooperage_domain::project::{Currency, format_amount};
use serde::Deserialize;
use serde_json::{Value, json};

use super::CurrentMember;
use super::skills::listing_view;
use crate::{AppError, AppState};

fn amount_text(offer: &Offer) -> Option<String> {
    let currency = Currency::parse(offer.currency.as_deref()?).ok()?;
    Some(format_amount(offer.amount_minor?, currency))
}

/// An application as its applicant sees it.
fn application_view(application: &Application) -> Value {
    json!({
        "id": application.id,
        "ap_id": application.ap_id,
        "offer_id": application.offer_id,
        "message": application.message,
        "hours_available": application.hours_available,
        "status": application.status.as_str(),
        "created_at": application.created_at.and_utc().to_rfc3339(),
        "updated_at": application.updated_at.and_utc().to_rfc3339(),
    })
}

/// An offer as the API shows it, with our members who fit it.
fn offer_view(view: &OfferView) -> Value {
    let offer = &view.offer;
    json!({
        "id": offer.id,
        "ap_id": offer.ap_id,
        "local": offer.local,
        "project_id": offer.project_id,
        "coop": view.coop,
        "title": offer.title,
        "description": offer.description,
        "skills": offer.skill_list(),
        "positions": offer.positions,
        "estimated_hours": offer.estimated_hours,
        "period_start": offer.period_start,
        "period_end": offer.period_end,
        "compensation": offer.compensation.as_str(),
        "amount": amount_text(offer),
        "currency": offer.currency,
        "location": offer.location,
        "remote": offer.remote,
        "application_deadline": offer.application_deadline,
        "audience": offer.audience.as_str(),
        "status": view.status.as_str(),
        "published": offer.published.and_utc().to_rfc3339(),
        "updated": offer.updated.map(|t| t.and_utc().to_rfc3339()),
        "fits": {
            "count": view.fits.len(),
            "members": view.fits.iter().map(|f| json!({ "username": f.username, "skills": f.skills })).collect::<Vec<_>>(),
        },
        "my_application": view.my_application.as_ref().map(application_view),
    })
}

/// An application as the offering project sees it.
fn received_view(view: &ApplicationView) -> Value {
    let mut value = application_view(&view.application);
    value["offer"] = json!(view.offer_ap_id);
    value["applicant"] = json!(view.applicant);
    value["applicant_id"] = json!(view.applicant_id);
    value["listings"] = json!(view.listings.iter().map(listing_view).collect::<Vec<_>>());
    value
}

/// An offer as a request sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferBody {
    title: String,
    #[serde(default)]
    description: String,
    skills: Vec<String>,
    #[serde(default = "one")]
    positions: u32,
    estimated_hours: u32,
    period_start: Option<String>,
    period_end: Option<String>,
    compensation: String,
    amount: Option<String>,
    currency: Option<String>,
    #[serde(default)]
    location: String,
    #[serde(default)]
    remote: bool,
    application_deadline: Option<String>,
    #[serde(default = "network")]
    audience: String,
}

fn one() -> u32 {
    1
}

fn network() -> String {
    "network".into()
}

impl From<OfferBody> for OfferInput {
    fn from(body: OfferBody) -> Self {
        OfferInput {
            title: body.title,
            description: body.description,
            skills: body.skills,
            positions: body.positions,
            estimated_hours: body.estimated_hours,
            period_start: body.period_start,
            period_end: body.period_end,
            compensation: body.compensation,
            amount: body.amount,
            currency: body.currency,
            location: body.location,
            remote: body.remote,
            application_deadline: body.application_deadline,
            audience: body.audience,
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    skill: Option<String>,
}

/// `GET /api/v1/offers`: the open offers here (ours and the network's), with who fits.
pub async fn list(
    State(state): State<AppState>,
    me: CurrentMember,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let views = offers::list(&state.app, &me.member, query.skill.as_deref()).await?;
    Ok(Json(json!({ "offers": views.iter().map(offer_view).collect::<Vec<_>>() })).into_response())
}

/// `GET /api/v1/offers/{id}`: one offer, with my application's status.
pub async fn show(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let view = offers::show(&state.app, &me.member, id).await?;
    Ok(Json(offer_view(&view)).into_response())
}

/// `POST /api/v1/projects/{id}/offers`: publish an offer from a project.
pub async fn create(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(project): Path<i64>,
    Json(body): Json<OfferBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let view = offers::publish(&state.app, &me.member, project, body.into()).await?;
    Ok((StatusCode::CREATED, Json(offer_view(&view))).into_response())
}

/// `PUT /api/v1/offers/{id}`: change an offer (the whole offer is sent).
pub async fn update(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<OfferBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let view = offers::update(&state.app, &me.member, id, body.into()).await?;
    Ok(Json(offer_view(&view)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    status: String,
}

/// `POST /api/v1/offers/{id}/close`: close an offer as `filled` or `withdrawn`.
pub async fn close(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<CloseBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let view = offers::close(&state.app, &me.member, id, &body.status).await?;
    Ok(Json(offer_view(&view)).into_response())
}

/// `DELETE /api/v1/offers/{id}`: remove an offer.
pub async fn delete(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    me.require_write()?;
    offers::delete(&state.app, &me.member, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    #[serde(default)]
    message: String,
    hours_available: u32,
}

/// `POST /api/v1/offers/{id}/applications`: apply to another coop's offer (again: the same
/// application, unchanged).
pub async fn apply(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
    Json(body): Json<ApplyBody>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let application = offers::apply(
        &state.app,
        &me.member,
        id,
        &body.message,
        body.hours_available,
    )
    .await?;
    Ok(Json(application_view(&application)).into_response())
}

/// `DELETE /api/v1/offers/{id}/applications/mine`: withdraw my application.
pub async fn withdraw(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let application = offers::withdraw(&state.app, &me.member, id).await?;
    Ok(Json(application_view(&application)).into_response())
}

/// `GET /api/v1/me/applications`: my applications and their status.
pub async fn mine(State(state): State<AppState>, me: CurrentMember) -> Result<Response, AppError> {
    let applications = offers::my_applications(&state.app, &me.member).await?;
    let items: Vec<Value> = applications
        .iter()
        .map(|(application, offer)| {
            let mut value = application_view(application);
            value["offer"] = json!(offer.as_ref().map(|o| json!({
                "id": o.id, "ap_id": o.ap_id, "title": o.title,
            })));
            value
        })
        .collect();
    Ok(Json(json!({ "applications": items })).into_response())
}

/// `GET /api/v1/projects/{id}/applications`: applications to the project's offers.
pub async fn of_project(
    State(state): State<AppState>,
    me: CurrentMember,
    Path(project): Path<i64>,
) -> Result<Response, AppError> {
    let views = offers::project_applications(&state.app, &me.member, project).await?;
    Ok(
        Json(json!({ "applications": views.iter().map(received_view).collect::<Vec<_>>() }))
            .into_response(),
    )
}

/// `POST /api/v1/projects/{id}/applications/{application}/accept`.
pub async fn accept(
    State(state): State<AppState>,
    me: CurrentMember,
    Path((project, application)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let view = offers::answer(&state.app, &me.member, project, application, true).await?;
    Ok(Json(received_view(&view)).into_response())
}

/// `POST /api/v1/projects/{id}/applications/{application}/decline`.
pub async fn decline(
    State(state): State<AppState>,
    me: CurrentMember,
    Path((project, application)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    me.require_write()?;
    let view = offers::answer(&state.app, &me.member, project, application, false).await?;
    Ok(Json(received_view(&view)).into_response())
}
