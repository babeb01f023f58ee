//! Our own actors: the coop Group, the instance Application, and members' Persons. Each gets
//! its own RSA-2048 key pair when created; each signs its own deliveries.

use cooperage_db::actors::{self, APPLICATION, Actor, ActorForm, GROUP, PERSON};

use crate::protocol::actor::{LocalActorDocument, ProfileFacts};
use crate::settings::INSTANCE_ACTOR;
use crate::{Error, FederationContext};

/// Makes sure the coop and instance actors exist (first start creates them and their keys).
pub async fn ensure_instance_actors(context: &FederationContext) -> Result<(), Error> {
    let settings = context.settings();
    let coop_name = settings.coop_name.clone();
    ensure(
        context,
        &settings.coop_handle.clone(),
        GROUP,
        Some(coop_name),
    )
    .await?;
    ensure(
        context,
        INSTANCE_ACTOR,
        APPLICATION,
        Some(settings.domain.clone()),
    )
    .await?;
    Ok(())
}

/// The coop's Group actor.
pub async fn coop(context: &FederationContext) -> Result<Actor, Error> {
    local(context, &context.settings().coop_handle.clone())
        .await?
        .ok_or(Error::NotFound)
}

/// The instance actor, which signs fetches.
pub async fn instance_actor(context: &FederationContext) -> Result<Actor, Error> {
    local(context, INSTANCE_ACTOR).await?.ok_or(Error::NotFound)
}

/// A local actor by username.
pub async fn local(context: &FederationContext, username: &str) -> Result<Option<Actor>, Error> {
    let username = username.to_owned();
    Ok(context
        .db()
        .run(move |conn| actors::local_by_username(conn, &username))
        .await?)
}

/// Creates a member's Person actor (with its key pair), or returns the existing one.
pub async fn ensure_member(
    context: &FederationContext,
    username: &str,
    display_name: Option<String>,
) -> Result<Actor, Error> {
    cooperage_domain::Username::parse(username)
        .map_err(|e| Error::BadRequest(format!("username {username:?}: {e}")))?;
    if username == INSTANCE_ACTOR || username == context.settings().coop_handle {
        return Err(Error::BadRequest(format!(
            "username {username:?} is reserved"
        )));
    }
    ensure(context, username, PERSON, display_name).await
}

async fn ensure(
    context: &FederationContext,
    username: &str,
    actor_type: &str,
    display_name: Option<String>,
) -> Result<Actor, Error> {
    if let Some(existing) = local(context, username).await? {
        return Ok(existing);
    }
    // RSA key generation takes tens of milliseconds: keep it off the async workers.
    let keys = tokio::task::spawn_blocking(crate::signatures::generate_keypair)
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let settings = context.settings();
    let id = settings.actor_id(username);
    let form = ActorForm {
        ap_id: id.clone(),
        actor_type: actor_type.to_owned(),
        local: true,
        username: username.to_owned(),
        domain: settings.domain.clone(),
        display_name,
        summary: None,
        inbox: format!("{id}/inbox"),
        shared_inbox: Some(settings.shared_inbox()),
        followers_url: Some(format!("{id}/followers")),
        public_key_id: settings.key_id(username),
        public_key_pem: keys.public_pem,
        manually_approves_followers: false,
        published: cooperage_db::now(),
        fetched_at: None,
    };
    let private_pem = keys.private_pem;
    Ok(context
        .db()
        .run(move |conn| actors::create_local(conn, &form, &private_pem))
        .await?)
}

/// The actor document of a local actor, with its profile fields (a member's coop, city, role).
pub async fn actor_document(
    context: &FederationContext,
    actor: &Actor,
) -> Result<LocalActorDocument, Error> {
    let settings = context.settings();
    let mut fields = Vec::new();
    if actor.actor_type == PERSON {
        let coop = format!("@{}@{}", settings.coop_handle, settings.domain);
        fields.push(("Coop".to_owned(), crate::operations::escape_html(&coop)));
        let actor_id = actor.id;
        let member = context
            .db()
            .run(move |conn| cooperage_db::members::by_actor_id(conn, actor_id))
            .await?;
        if let Some(member) = member {
            if !member.city.is_empty() {
                fields.push((
                    "City".to_owned(),
                    crate::operations::escape_html(&member.city),
                ));
            }
            let role = match (member.role.as_str(), member.status.as_str()) {
                (_, "left") => "former member",
                ("member", _) => "member (worker-owner)",
                _ => "candidate",
            };
            fields.push(("Role".to_owned(), role.to_owned()));
        }
    }
    let facts = ProfileFacts { fields };
    Ok(crate::protocol::actor::local_actor(settings, actor, &facts))
}

/// The actor document of a local actor, as JSON (see [`actor_document`]).
pub async fn document(
    context: &FederationContext,
    actor: &Actor,
) -> Result<serde_json::Value, Error> {
    let document = actor_document(context, actor).await?;
    Ok(crate::protocol::to_json(&document))
}
