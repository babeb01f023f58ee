//! Our own actors: the coop Group, the instance Application, and members' Persons. Each gets
//! its own RSA-2048 key pair when created; each signs its own deliveries.

use cooperage_db::actors::{self, APPLICATION, Actor, ActorForm, GROUP, PERSON};
use cooperage_db::{AnyConnection, DbError};
use cooperage_domain::member::{Role, Status};

use crate::protocol::actor::{LocalActorDocument, ProfileFacts};
use crate::sanitize::escape_html;
use crate::settings::INSTANCE_ACTOR;
use crate::signatures::KeyPairPem;
use crate::{Error, FederationContext, Settings};

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
    let keys = generate_keys().await?;
    let (form, private_pem) =
        new_actor(context.settings(), username, actor_type, display_name, keys);
    Ok(context
        .db()
        .run(move |conn| actors::create_local(conn, &form, &private_pem))
        .await?)
}

/// A fresh RSA-2048 key pair. Generation takes tens of milliseconds: kept off the async
/// workers.
pub async fn generate_keys() -> Result<KeyPairPem, Error> {
    tokio::task::spawn_blocking(crate::signatures::generate_keypair)
        .await
        .map_err(|e| Error::internal("key generation stopped", e))?
        .map_err(Error::from)
}

/// The row of a new local actor with its keys, and its private key to store with it
/// (`actors::create_local`), for operations that create actors inside their transaction.
pub fn new_actor(
    settings: &Settings,
    username: &str,
    actor_type: &str,
    display_name: Option<String>,
    keys: KeyPairPem,
) -> (ActorForm, String) {
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
    (form, keys.private_pem)
}

/// The actor document of a local actor, with its profile fields (a member's coop, city, role).
pub async fn actor_document(
    context: &FederationContext,
    actor: &Actor,
) -> Result<LocalActorDocument, Error> {
    let (settings, actor) = (context.settings().clone(), actor.clone());
    Ok(context
        .db()
        .run(move |conn| actor_document_in(conn, &settings, &actor))
        .await?)
}

/// [`actor_document`] inside a transaction, for operations that queue an `Update` of the
/// actor together with the change that causes it.
pub fn actor_document_in(
    conn: &mut AnyConnection,
    settings: &Settings,
    actor: &Actor,
) -> Result<LocalActorDocument, DbError> {
    let mut fields = Vec::new();
    if actor.actor_type == PERSON {
        let coop = format!("@{}@{}", settings.coop_handle, settings.domain);
        fields.push(("Coop".to_owned(), escape_html(&coop)));
        if let Some(member) = cooperage_db::members::by_actor_id(conn, actor.id)? {
            if !member.city.is_empty() {
                fields.push(("City".to_owned(), escape_html(&member.city)));
            }
            let role = match (member.role, member.status) {
                (_, Status::Left) => "former member",
                (Role::Member, _) => "member (worker-owner)",
                (Role::Candidate, _) => "candidate",
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
