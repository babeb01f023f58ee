//! The member's settings: the language of their pages and their profile (display name, bio),
//! through `cooperage_app::members`.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use cooperage_app::members;
use serde::Deserialize;

use super::signed_in::{Choice, PROBLEM, SignedIn, choices, form_problem, see_other};
use super::{Lang, Layout, i18n, render};
use crate::auth::{cookie, tokens};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(show))
        .route("/settings/language", post(set_language))
        .route("/settings/profile", post(set_profile))
}

/// The language a logged-in member chose, for the request with these headers (`None`: no
/// session, or no choice).
pub async fn chosen_language(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let secret = cookie::session_from_headers(headers)?;
    let hash = tokens::hash(&secret);
    let now = cooperage_db::now();
    let member = state
        .db
        .run(move |conn| cooperage_db::members::by_session(conn, &hash, now))
        .await
        .ok()??;
    member.language
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    l: Layout,
    languages: Vec<Choice>,
    display_name: String,
    bio: String,
    problem: Option<String>,
}

async fn settings_page(
    state: &AppState,
    me: &SignedIn,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (visitor, member) = (me.visitor, &me.member);
    let t = visitor.tr();
    let actor = members::actor_of(&state.app, member).await?;
    let chosen = member.language.as_deref();
    let mut languages = vec![Choice {
        value: "",
        label: t.get("settings-language-browser"),
        selected: chosen.is_none(),
    }];
    let codes: Vec<&'static str> = Lang::ALL.iter().map(|lang| lang.code()).collect();
    languages.extend(choices(&t, "lang", &codes, chosen.unwrap_or_default()));
    let page = SettingsPage {
        l: me.layout(t.get("settings-title")),
        languages,
        display_name: actor.display_name.unwrap_or_default(),
        bio: member.bio.clone(),
        problem,
    };
    Ok(render(&visitor, status, &page))
}

/// `GET /settings`.
async fn show(State(state): State<AppState>, me: SignedIn) -> Response {
    me.finish(settings_page(&state, &me, None, StatusCode::OK).await)
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    language: String,
}

/// `POST /settings/language`: stores the choice and keeps it in the language cookie too, so
/// that pages which do not look the member up (public ones) follow it.
async fn set_language(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<LanguageForm>,
) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        match members::set_language(&state.app, member, Some(&form.language)).await {
            Ok(updated) => {
                let mut response = see_other("/settings");
                i18n::remember(response.headers_mut(), updated.language.as_deref());
                Ok(response)
            }
            Err(error) => {
                let problem = form_problem(&visitor.tr(), error)?;
                settings_page(&state, &me, Some(problem), PROBLEM).await
            }
        }
    }
    .await;
    me.finish(result)
}

#[derive(Deserialize)]
struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    bio: String,
}

/// `POST /settings/profile`: the member's display name and bio (followers elsewhere get the
/// actor's `Update`).
async fn set_profile(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<ProfileForm>,
) -> Response {
    let result = async {
        let (visitor, member) = (me.visitor, &me.member);
        let update = members::ProfileUpdate {
            display_name: Some(form.display_name),
            bio: Some(form.bio),
            ..Default::default()
        };
        match members::update_profile(&state.app, member, update).await {
            Ok(_) => Ok(see_other("/settings")),
            Err(error) => {
                let problem = form_problem(&visitor.tr(), error)?;
                settings_page(&state, &me, Some(problem), PROBLEM).await
            }
        }
    }
    .await;
    me.finish(result)
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn members_choose_among_the_languages_we_have_catalogues_for() {
        let ours: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
        assert_eq!(ours, cooperage_domain::member::PAGE_LANGUAGES);
    }
}
