//! WebFinger, host-meta and NodeInfo.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use cooperage_db::actors::{self, PERSON};
use cooperage_federation::protocol::discovery::{self, Usage};

use crate::{AppError, AppState};

/// `GET /.well-known/webfinger?resource=acct:user@domain` (raw or percent-encoded).
pub async fn webfinger(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let resource = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("resource="))
        .map(percent_decode)
        .ok_or_else(|| AppError::BadRequest("missing `resource` query parameter".into()))?;
    let context = state.federation.context();
    let username =
        discovery::webfinger_username(context.settings(), &resource).ok_or(AppError::NotFound)?;
    let username = username.to_owned();
    let actor = context
        .db()
        .run(move |conn| actors::local_by_username(conn, &username))
        .await?
        .ok_or(AppError::NotFound)?;
    let body = discovery::webfinger(context.settings(), &actor.username);
    Ok(([(CONTENT_TYPE, "application/jrd+json")], Json(body)).into_response())
}

/// `GET /.well-known/host-meta`.
pub async fn host_meta(State(state): State<AppState>) -> Response {
    let body = discovery::host_meta(state.federation.context().settings());
    ([(CONTENT_TYPE, "application/xrd+xml; charset=utf-8")], body).into_response()
}

/// `GET /.well-known/nodeinfo`.
pub async fn nodeinfo_links(State(state): State<AppState>) -> Response {
    Json(discovery::nodeinfo_links(
        state.federation.context().settings(),
    ))
    .into_response()
}

/// `GET /nodeinfo/{version}` for 2.0 and 2.1.
pub async fn nodeinfo(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Response, AppError> {
    if version != "2.0" && version != "2.1" {
        return Err(AppError::NotFound);
    }
    let context = state.federation.context();
    let (members, local_posts) = context
        .db()
        .run(|conn| {
            let members = actors::count_local(conn, PERSON)?;
            let coop = cooperage_db::posts::count_local(conn)?;
            Ok((members, coop))
        })
        .await?;
    let usage = Usage {
        users_total: members,
        users_active_month: members,
        users_active_half_year: members,
        local_posts,
    };
    let body = discovery::nodeinfo(context.settings(), &version, usage);
    let profile = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    Ok(([(CONTENT_TYPE, profile)], Json(body)).into_response())
}

/// Decodes `%XX` escapes (and `+` as space is not used in `acct:` URIs, so left alone).
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(
                std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                16,
            )
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_decoding() {
        assert_eq!(
            super::percent_decode("acct%3Acoop%40x.example"),
            "acct:coop@x.example"
        );
        assert_eq!(
            super::percent_decode("acct:coop@x.example"),
            "acct:coop@x.example"
        );
        assert_eq!(super::percent_decode("bad%4"), "bad%4");
    }
}
