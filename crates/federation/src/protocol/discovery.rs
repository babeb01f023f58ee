//! WebFinger, host-meta and NodeInfo documents (MASTODON.md §1).

use serde_json::{Value, json};

use crate::Settings;

/// The username a WebFinger `resource` asks for, if it names an actor of this instance.
///
/// Accepts `acct:user@domain` (raw or percent-encoded by the caller's URL decoding), bare
/// `user@domain`, and the actor's own URL or profile URL.
pub fn webfinger_username<'a>(settings: &Settings, resource: &'a str) -> Option<&'a str> {
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    if let Some((user, domain)) = acct.rsplit_once('@') {
        let user = user.strip_prefix('@').unwrap_or(user);
        return (domain.eq_ignore_ascii_case(&settings.domain)).then_some(user);
    }
    let actors = format!("{}/actors/", settings.base_url());
    let profiles = format!("{}/@", settings.base_url());
    resource
        .strip_prefix(&actors)
        .or_else(|| resource.strip_prefix(&profiles))
}

/// The WebFinger answer for a local actor.
pub fn webfinger(settings: &Settings, username: &str) -> Value {
    let actor = settings.actor_id(username);
    let profile = settings.profile_url(username);
    json!({
        "subject": format!("acct:{username}@{}", settings.domain),
        "aliases": [actor, profile],
        "links": [
            { "rel": "self", "type": "application/activity+json", "href": actor },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile },
        ],
    })
}

/// host-meta (XRD), for software that looks WebFinger up through it.
pub fn host_meta(settings: &Settings) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}/.well-known/webfinger?resource={{uri}}\"/>\n\
         </XRD>\n",
        settings.base_url()
    )
}

/// `/.well-known/nodeinfo`: links to both schema versions we serve.
pub fn nodeinfo_links(settings: &Settings) -> Value {
    let base = settings.base_url();
    json!({
        "links": [
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base}/nodeinfo/2.0") },
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{base}/nodeinfo/2.1") },
        ]
    })
}

/// Usage figures NodeInfo reports.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub users_total: i64,
    pub users_active_month: i64,
    pub users_active_half_year: i64,
    pub local_posts: i64,
}

/// A NodeInfo document, `version` "2.0" or "2.1".
pub fn nodeinfo(settings: &Settings, version: &str, usage: Usage) -> Value {
    let mut software = json!({ "name": "cooperage", "version": settings.software_version });
    if version == "2.1" {
        software["repository"] = json!("https://codeberg.org/cooperage/cooperage");
        software["homepage"] = json!("https://codeberg.org/cooperage/cooperage");
    }
    json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": false,
        "usage": {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.users_active_month,
                "activeHalfyear": usage.users_active_half_year,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": { "nodeName": settings.coop_name, "coopHandle": settings.coop_handle },
    })
}
