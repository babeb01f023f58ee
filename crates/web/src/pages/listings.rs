//! My skill listings: the list, a form to publish one, to change it and to take it back.
//! Every write is `cooperage_app::skills` (the API's operations): visibility, the audiences it
//! reaches and what a narrower one takes back are decided there.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use cooperage_app::skills::{self, ListingInput};
use cooperage_db::skills::Listing;
use serde::Deserialize;

use super::signed_in::{Choice, PROBLEM, SignedIn, choices, form_problem, see_other};
use super::{Layout, format, render};
use crate::{AppError, AppState};

/// The listing routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/listings", get(list).post(create))
        .route("/listings/new", get(new))
        .route("/listings/{id}", post(update))
        .route("/listings/{id}/edit", get(edit))
        .route("/listings/{id}/delete", post(delete))
}

const LEVELS: [&str; 3] = ["learning", "practitioner", "expert"];
const WORK_MODES: [&str; 3] = ["remote", "on_site", "hybrid"];
const VISIBILITIES: [&str; 3] = ["coop", "network", "public"];

/// One of my listings in the list.
struct Row {
    id: i64,
    label: String,
    facts: String,
    visibility: String,
    /// Its public page, when anyone may see it.
    public_url: Option<String>,
}

#[derive(Template)]
#[template(path = "listings.html")]
struct ListPage {
    l: Layout,
    rows: Vec<Row>,
}

/// `GET /listings`.
async fn list(State(state): State<AppState>, me: SignedIn) -> Response {
    me.finish(list_page(&state, &me).await)
}

async fn list_page(state: &AppState, me: &SignedIn) -> Result<Response, AppError> {
    let t = me.tr();
    let mine = skills::mine(&state.app, &me.member).await?;
    let rows = mine
        .iter()
        .map(|listing| Row {
            id: listing.id,
            label: listing.label.clone(),
            facts: format!(
                "{} · {} h · {}",
                t.get(&format!("word-{}", listing.level.as_str())),
                format::number(listing.hours_per_week.into(), t.lang),
                t.get(&format!("word-{}", listing.work_mode.as_str())),
            ),
            visibility: t.get(&format!("visibility-{}", listing.visibility.as_str())),
            public_url: (listing.visibility == cooperage_domain::skill::Visibility::Public)
                .then(|| listing.ap_id.clone()),
        })
        .collect();
    let page = ListPage {
        l: me.layout(t.get("listings-title")),
        rows,
    };
    Ok(render(&me.visitor, StatusCode::OK, &page))
}

/// What the listing form sends (and shows again after a mistake).
#[derive(Deserialize, Default)]
pub struct ListingForm {
    #[serde(default)]
    skill: String,
    /// Comma-separated.
    #[serde(default)]
    tags: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    hours_per_week: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    available_from: String,
    #[serde(default)]
    available_until: String,
    #[serde(default)]
    work_mode: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    visibility: String,
}

impl ListingForm {
    fn of(listing: &Listing) -> Self {
        let tags = listing.tag_list();
        ListingForm {
            skill: listing.label.clone(),
            // The skill's own tag is derived from it; the rest are the extra tags.
            tags: tags.get(1..).unwrap_or_default().join(", "),
            level: listing.level.as_str().into(),
            hours_per_week: listing.hours_per_week.to_string(),
            description: listing.description.clone(),
            available_from: listing.available_from.clone().unwrap_or_default(),
            available_until: listing.available_until.clone().unwrap_or_default(),
            work_mode: listing.work_mode.as_str().into(),
            region: listing.region.clone(),
            visibility: listing.visibility.as_str().into(),
        }
    }

    fn input(&self) -> Result<ListingInput, AppError> {
        let hours = self.hours_per_week.trim().parse::<u32>().map_err(|_| {
            AppError::field(
                "hours_per_week",
                "must be a whole number of hours (1 to 80)",
            )
        })?;
        Ok(ListingInput {
            skill: self.skill.clone(),
            tags: self
                .tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            level: self.level.clone(),
            description: self.description.clone(),
            hours_per_week: hours,
            available_from: Some(self.available_from.clone()),
            available_until: Some(self.available_until.clone()),
            work_mode: self.work_mode.clone(),
            region: self.region.clone(),
            visibility: self.visibility.clone(),
        })
    }
}

#[derive(Template)]
#[template(path = "listing_form.html")]
struct FormPage {
    l: Layout,
    heading: String,
    /// Where the form posts: `/listings` or `/listings/{id}`.
    action: String,
    /// The listing being changed (for its delete button).
    id: Option<i64>,
    entered: ListingForm,
    levels: Vec<Choice>,
    work_modes: Vec<Choice>,
    visibilities: Vec<Choice>,
    error: Option<String>,
}

fn form_page(
    me: &SignedIn,
    id: Option<i64>,
    entered: ListingForm,
    error: Option<String>,
) -> FormPage {
    let t = me.tr();
    let heading = t.get(if id.is_some() {
        "listings-edit"
    } else {
        "listings-new"
    });
    FormPage {
        l: me.layout(heading.clone()),
        heading,
        action: id.map_or_else(|| "/listings".into(), |id| format!("/listings/{id}")),
        id,
        levels: choices(&t, "word", &LEVELS, &entered.level),
        work_modes: choices(&t, "word", &WORK_MODES, &entered.work_mode),
        visibilities: choices(&t, "visibility", &VISIBILITIES, &entered.visibility),
        entered,
        error,
    }
}

/// `GET /listings/new`: an empty form (practitioner, remote, network: the API's defaults).
async fn new(me: SignedIn) -> Response {
    let entered = ListingForm {
        level: "practitioner".into(),
        work_mode: "remote".into(),
        visibility: "network".into(),
        ..ListingForm::default()
    };
    render(
        &me.visitor,
        StatusCode::OK,
        &form_page(&me, None, entered, None),
    )
}

/// A mistake shows the form again with what to fix; anything else is an error page.
fn refused(me: &SignedIn, id: Option<i64>, entered: ListingForm, error: AppError) -> Response {
    let shown = form_problem(&me.tr(), error).map(|problem| {
        render(
            &me.visitor,
            PROBLEM,
            &form_page(me, id, entered, Some(problem)),
        )
    });
    me.finish(shown)
}

/// `POST /listings`: publishes, then back to the list.
async fn create(
    State(state): State<AppState>,
    me: SignedIn,
    Form(entered): Form<ListingForm>,
) -> Response {
    let input = match entered.input() {
        Ok(input) => input,
        Err(error) => return refused(&me, None, entered, error),
    };
    match skills::publish(&state.app, &me.member, input).await {
        Ok(_) => see_other("/listings"),
        Err(error) => refused(&me, None, entered, error.into()),
    }
}

/// `GET /listings/{id}/edit`: the form with the listing (only its member's).
async fn edit(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>) -> Response {
    let shown = async {
        let mine = skills::mine(&state.app, &me.member).await?;
        let listing = mine.iter().find(|l| l.id == id).ok_or(AppError::NotFound)?;
        let page = form_page(&me, Some(id), ListingForm::of(listing), None);
        Ok(render(&me.visitor, StatusCode::OK, &page))
    };
    me.finish(shown.await)
}

/// `POST /listings/{id}`: changes it.
async fn update(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    Form(entered): Form<ListingForm>,
) -> Response {
    let input = match entered.input() {
        Ok(input) => input,
        Err(error) => return refused(&me, Some(id), entered, error),
    };
    match skills::update(&state.app, &me.member, id, input).await {
        Ok(_) => see_other("/listings"),
        Err(error) => refused(&me, Some(id), entered, error.into()),
    }
}

/// `POST /listings/{id}/delete`: takes it back from everyone who could see it.
async fn delete(State(state): State<AppState>, me: SignedIn, Path(id): Path<i64>) -> Response {
    let deleted = skills::delete(&state.app, &me.member, id).await;
    me.finish(deleted.map(|()| see_other("/listings")).map_err(Into::into))
}
