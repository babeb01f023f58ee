//! The member's settings: the language of their pages and their profile (display name, bio),
//! through `cooperage_app::members`.

use askama::Template;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use cooperage_app::members;
use cooperage_db::members::Member;
use serde::Deserialize;

use super::signed_in::{self, PROBLEM, finish, form_problem, layout, see_other};
use super::{Lang, Layout, Visitor, i18n, render};
use crate::api::CurrentMember;
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
pub async fn chosen_language(state: &AppState, headers: &HeaderMap) -> Option<Lang> {
    let secret = cookie::session_from_headers(headers)?;
    let hash = tokens::hash(&secret);
    let now = cooperage_db::now();
    let member = state
        .db
        .run(move |conn| cooperage_db::members::by_session(conn, &hash, now))
        .await
        .ok()??;
    member.language.as_deref().and_then(Lang::from_tag)
}

/// One choice of the language list.
pub struct Choice {
    pub code: &'static str,
    pub name: String,
    pub selected: bool,
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
    visitor: Visitor,
    member: &Member,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let t = visitor.tr();
    let actor = members::actor_of(&state.app, member).await?;
    let chosen = member.language.as_deref();
    let mut languages = vec![Choice {
        code: "",
        name: t.get("settings-language-browser"),
        selected: chosen.is_none(),
    }];
    languages.extend(Lang::ALL.iter().map(|lang| Choice {
        code: lang.code(),
        name: t.get(&format!("lang-{}", lang.code())),
        selected: chosen == Some(lang.code()),
    }));
    let page = SettingsPage {
        l: layout(&visitor, member, t.get("settings-title")),
        languages,
        display_name: actor.display_name.unwrap_or_default(),
        bio: member.bio.clone(),
        problem,
    };
    Ok(render(&visitor, status, &page))
}

/// `GET /settings`.
async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    current: Result<CurrentMember, AppError>,
) -> Response {
    let result = async {
        let member = signed_in::member(current)?;
        settings_page(&state, visitor, &member, None, StatusCode::OK).await
    }
    .await;
    finish(visitor, result)
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
    visitor: Visitor,
    current: Result<CurrentMember, AppError>,
    Form(form): Form<LanguageForm>,
) -> Response {
    let result = async {
        let member = signed_in::member(current)?;
        match members::set_language(&state.app, &member, Some(&form.language)).await {
            Ok(updated) => {
                let mut response = see_other("/settings");
                let cookie = match updated.language.as_deref() {
                    Some(code) => format!(
                        "{}={code}; Path=/; SameSite=Lax; Max-Age=31536000",
                        i18n::LANG_COOKIE
                    ),
                    None => format!("{}=; Path=/; SameSite=Lax; Max-Age=0", i18n::LANG_COOKIE),
                };
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(SET_COOKIE, value);
                }
                Ok(response)
            }
            Err(error) => {
                let problem = form_problem(&visitor.tr(), error.into())?;
                settings_page(&state, visitor, &member, Some(problem), PROBLEM).await
            }
        }
    }
    .await;
    finish(visitor, result)
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
    visitor: Visitor,
    current: Result<CurrentMember, AppError>,
    Form(form): Form<ProfileForm>,
) -> Response {
    let result = async {
        let member = signed_in::member(current)?;
        let update = members::ProfileUpdate {
            display_name: Some(form.display_name),
            bio: Some(form.bio),
            ..Default::default()
        };
        match members::update_profile(&state.app, &member, update).await {
            Ok(_) => Ok(see_other("/settings")),
            Err(error) => {
                let problem = form_problem(&visitor.tr(), error.into())?;
                settings_page(&state, visitor, &member, Some(problem), PROBLEM).await
            }
        }
    }
    .await;
    finish(visitor, result)
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
