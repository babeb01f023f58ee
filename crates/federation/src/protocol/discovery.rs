//! WebFinger, host-meta and NodeInfo documents (MASTODON.md §1).

use serde::{Deserialize, Serialize};

use crate::Settings;

/// A WebFinger (JRD) answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Webfinger {
    pub subject: String,
    pub aliases: Vec<String>,
    pub links: Vec<WebfingerLink>,
}

/// A link of a WebFinger answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WebfingerLink {
    pub rel: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub href: String,
}

/// `/.well-known/nodeinfo`: where the NodeInfo documents are.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NodeinfoLinks {
    pub links: Vec<NodeinfoLink>,
}

/// One schema version and its URL.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NodeinfoLink {
    pub rel: String,
    pub href: String,
}

/// A NodeInfo 2.0 or 2.1 document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Nodeinfo {
    pub version: String,
    pub software: NodeinfoSoftware,
    pub protocols: Vec<String>,
    pub services: NodeinfoServices,
    pub open_registrations: bool,
    pub usage: NodeinfoUsage,
    pub metadata: NodeinfoMetadata,
}

/// `software`; `repository` and `homepage` exist only in 2.1.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NodeinfoSoftware {
    pub name: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
}

/// `services`: we bridge to nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NodeinfoServices {
    pub inbound: Vec<String>,
    pub outbound: Vec<String>,
}

/// `usage`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NodeinfoUsage {
    pub users: NodeinfoUsers,
    pub local_posts: i64,
}

/// `usage.users`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NodeinfoUsers {
    pub total: i64,
    pub active_month: i64,
    pub active_halfyear: i64,
}

/// `metadata`: free-form; we say which coop this is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NodeinfoMetadata {
    pub node_name: String,
    pub coop_handle: String,
}

/// Where Cooperage's source lives (NodeInfo 2.1).
const REPOSITORY: &str = "https://codeberg.org/cooperage/cooperage";

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
pub fn webfinger(settings: &Settings, username: &str) -> Webfinger {
    let actor = settings.actor_id(username);
    let profile = settings.profile_url(username);
    Webfinger {
        subject: format!("acct:{username}@{}", settings.domain),
        aliases: vec![actor.clone(), profile.clone()],
        links: vec![
            WebfingerLink {
                rel: "self".into(),
                kind: super::ACTIVITY_JSON.into(),
                href: actor,
            },
            WebfingerLink {
                rel: "http://webfinger.net/rel/profile-page".into(),
                kind: "text/html".into(),
                href: profile,
            },
        ],
    }
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
pub fn nodeinfo_links(settings: &Settings) -> NodeinfoLinks {
    let base = settings.base_url();
    NodeinfoLinks {
        links: ["2.0", "2.1"]
            .into_iter()
            .map(|version| NodeinfoLink {
                rel: format!("http://nodeinfo.diaspora.software/ns/schema/{version}"),
                href: format!("{base}/nodeinfo/{version}"),
            })
            .collect(),
    }
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
pub fn nodeinfo(settings: &Settings, version: &str, usage: Usage) -> Nodeinfo {
    let v2_1 = version == "2.1";
    Nodeinfo {
        version: version.to_owned(),
        software: NodeinfoSoftware {
            name: "cooperage".into(),
            version: settings.software_version.clone(),
            repository: v2_1.then(|| REPOSITORY.to_owned()),
            homepage: v2_1.then(|| REPOSITORY.to_owned()),
        },
        protocols: vec!["activitypub".into()],
        services: NodeinfoServices::default(),
        open_registrations: false,
        usage: NodeinfoUsage {
            users: NodeinfoUsers {
                total: usage.users_total,
                active_month: usage.users_active_month,
                active_halfyear: usage.users_active_half_year,
            },
            local_posts: usage.local_posts,
        },
        metadata: NodeinfoMetadata {
            node_name: settings.coop_name.clone(),
            coop_handle: settings.coop_handle.clone(),
        },
    }
}
