//! Actors as activitypub_federation objects: read from the database, fetched when unknown.

use activitypub_federation::config::Data;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::{Actor as ApActor, Object};
use chrono::{DateTime, Utc};
use cooperage_db::actors::{self, Actor, ActorForm};
use url::Url;

use crate::protocol::actor::{ProfileFacts, RemoteActor, local_actor_document};
use crate::{Error, FederationContext};

/// Longest display name and summary we keep of a remote actor.
const MAX_NAME: usize = 2048;
const MAX_SUMMARY: usize = 20_000;

/// An actor row carrying the federation traits.
#[derive(Debug, Clone)]
pub struct ApubActor {
    pub row: Actor,
    url: Url,
}

impl ApubActor {
    /// Wraps a row; its `ap_id` is a valid URL by construction.
    pub fn new(row: Actor) -> Result<Self, Error> {
        let url = Url::parse(&row.ap_id)
            .map_err(|e| Error::internal("stored actor id is not a URL", e))?;
        Ok(Self { row, url })
    }
}

#[async_trait::async_trait]
impl Object for ApubActor {
    type DataType = FederationContext;
    type Kind = serde_json::Value;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.url
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        if self.row.local {
            return None;
        }
        Some(self.row.fetched_at.unwrap_or(self.row.published).and_utc())
    }

    async fn read_from_id(id: Url, data: &Data<Self::DataType>) -> Result<Option<Self>, Error> {
        let row = data
            .db()
            .run(move |conn| actors::by_ap_id(conn, id.as_str()))
            .await?;
        row.map(Self::new).transpose()
    }

    async fn into_json(self, data: &Data<Self::DataType>) -> Result<Self::Kind, Error> {
        let facts = ProfileFacts { fields: Vec::new() };
        Ok(local_actor_document(data.settings(), &self.row, &facts))
    }

    async fn verify(
        json: &Self::Kind,
        expected_domain: &Url,
        _: &Data<Self::DataType>,
    ) -> Result<(), Error> {
        let actor: RemoteActor = serde_json::from_value(json.clone())
            .map_err(|e| Error::BadRequest(format!("not an actor document: {e}")))?;
        verify_domains_match(&actor.id, expected_domain)?;
        if actor.actor_type().is_none() {
            return Err(Error::BadRequest("unsupported actor type".into()));
        }
        let key = actor
            .main_key()
            .ok_or_else(|| Error::BadRequest("actor has no key it owns".into()))?;
        crate::signatures::PublicKey::from_pem(&key.public_key_pem)?;
        Ok(())
    }

    async fn from_json(json: Self::Kind, data: &Data<Self::DataType>) -> Result<Self, Error> {
        let actor: RemoteActor = serde_json::from_value(json)
            .map_err(|e| Error::BadRequest(format!("not an actor document: {e}")))?;
        let form = remote_actor_form(&actor, data.settings().debug)?;
        check_urls_against(&actor, data).await?;
        let row = data
            .db()
            .run(move |conn| actors::upsert(conn, &form))
            .await?;
        // A refetched actor may have rotated its key.
        data.signers().forget(&row.public_key_id);
        Self::new(row)
    }
}

impl ApActor for ApubActor {
    fn public_key_pem(&self) -> &str {
        &self.row.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        // Signing is ours (aws-lc-rs, in `delivery`); the library never gets private keys.
        None
    }

    fn inbox(&self) -> Url {
        Url::parse(&self.row.inbox).unwrap_or_else(|_| self.url.clone())
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.row
            .shared_inbox
            .as_deref()
            .and_then(|s| Url::parse(s).ok())
    }
}

/// Every URL of a remote actor document that we may later connect to, by field name.
fn connected_urls(actor: &RemoteActor) -> Vec<(&'static str, &str)> {
    let mut urls = vec![("id", actor.id.as_str()), ("inbox", actor.inbox.as_str())];
    let optional = [
        ("sharedInbox", actor.shared_inbox()),
        ("followers", actor.followers.as_ref()),
        ("outbox", actor.outbox.as_ref()),
        ("members", actor.members.as_ref()),
    ];
    urls.extend(
        optional
            .into_iter()
            .filter_map(|(field, url)| Some((field, url?.as_str()))),
    );
    if let Some(key) = actor.main_key() {
        urls.push(("publicKey.id", key.id.as_str()));
    }
    urls
}

/// Refuses an actor whose URLs we would not connect to (SSRF through delivery: an inbox on
/// `http://127.0.0.1:6379/` or `https://169.254.169.254/`).
///
/// Outside debug mode every URL is checked. In debug mode (peers on
/// `http://localhost:<port>`), an actor whose id has the production shape still gets every
/// URL checked for it. The delivery worker checks again before sending.
fn check_url_shapes(actor: &RemoteActor, debug: bool) -> Result<(), Error> {
    if debug && crate::net_guard::check_url(&actor.id).is_err() {
        return Ok(());
    }
    for (field, url) in connected_urls(actor) {
        crate::net_guard::check_url_str(url)
            .map_err(|why| Error::BadRequest(format!("actor's {field} {url} refused: {why}")))?;
    }
    Ok(())
}

/// Outside debug mode, every URL of a fetched actor must have the production shape (whatever
/// its id) and be on a host the policy allows.
async fn check_urls_against(
    actor: &RemoteActor,
    data: &Data<FederationContext>,
) -> Result<(), Error> {
    if data.settings().debug {
        return Ok(());
    }
    for (field, url) in connected_urls(actor) {
        crate::net_guard::check_url_str(url)
            .map_err(|why| Error::BadRequest(format!("actor's {field} {url} refused: {why}")))?;
        let host = crate::settings::host_of(url)
            .ok_or_else(|| Error::BadRequest(format!("actor's {field} has no host")))?;
        if !data.host_allowed(&host).await? {
            return Err(Error::Forbidden(format!(
                "actor's {field} is on {host}, blocked by this instance"
            )));
        }
    }
    Ok(())
}

/// The row for a fetched (or updated) remote actor, with text bounded, HTML sanitized, and
/// the URLs we will connect to checked.
pub fn remote_actor_form(actor: &RemoteActor, debug: bool) -> Result<ActorForm, Error> {
    let key = actor
        .main_key()
        .ok_or_else(|| Error::BadRequest("actor has no key it owns".into()))?;
    // A key named on another host would escape the policy checked on the key's host.
    if crate::settings::host_of(&key.id) != crate::settings::host_of(actor.id.as_str()) {
        return Err(Error::BadRequest(
            "the actor's key is not on the actor's host".into(),
        ));
    }
    check_url_shapes(actor, debug)?;
    let domain = crate::settings::host_of(actor.id.as_str())
        .ok_or_else(|| Error::BadRequest("actor id has no host".into()))?;
    let now = cooperage_db::now();
    Ok(ActorForm {
        ap_id: actor.id.to_string(),
        actor_type: actor.actor_type().unwrap_or("Person").to_owned(),
        local: false,
        username: actor
            .preferred_username
            .clone()
            .unwrap_or_default()
            .chars()
            .take(MAX_NAME)
            .collect(),
        domain,
        display_name: actor
            .name
            .as_deref()
            .map(|n| n.chars().take(MAX_NAME).collect()),
        summary: actor
            .summary
            .as_deref()
            .map(|s| crate::sanitize::html(&s.chars().take(MAX_SUMMARY).collect::<String>())),
        inbox: actor.inbox.to_string(),
        shared_inbox: actor.shared_inbox().map(ToString::to_string),
        followers_url: actor.followers.as_ref().map(ToString::to_string),
        public_key_id: key.id.clone(),
        public_key_pem: key.public_key_pem.clone(),
        manually_approves_followers: actor.manually_approves_followers.unwrap_or(false),
        published: now,
        fetched_at: Some(now),
    })
}
