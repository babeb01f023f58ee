//! The admin pages: members and roles (candidates, trial ends, buddies), invitations, groups,
//! and the federation (the network, following a coop by handle, follow requests, host
//! policies, the delivery queue). Admins only: anyone else gets the 403 page. Each form calls
//! the operation the API and the CLI call (`cooperage_app::{members, invitations, groups,
//! federation}`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use cooperage_app::{federation, groups, invitations, members};
use cooperage_db::members::Member;
use cooperage_domain::member::{GroupKind, Role, Status};
use serde::Deserialize;

use super::format;
use super::signed_in::{SignedIn, form_problem, see_other, status_for, ticked};
use super::{Layout, Tr, render};
use crate::{AppError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/members", get(members_page))
        .route("/admin/members/{username}", post(change_member))
        .route(
            "/admin/invitations",
            get(invitations_page).post(create_invitation),
        )
        .route("/admin/invitations/{id}/revoke", post(revoke_invitation))
        .route("/admin/groups", get(groups_page).post(create_group))
        .route("/admin/groups/{id}/members", post(add_to_group))
        .route(
            "/admin/groups/{id}/members/{username}/remove",
            post(remove_from_group),
        )
        .route("/admin/federation", get(federation_page))
        .route("/admin/federation/follow", post(follow))
        .route("/admin/federation/unfollow", post(unfollow))
        .route(
            "/admin/federation/requests/{decision}",
            post(answer_request),
        )
        .route("/admin/federation/hosts", post(set_host_policy))
        .route("/admin/federation/hosts/clear", post(clear_host_policy))
}

// ---- index ----

#[derive(Template)]
#[template(path = "admin.html")]
struct IndexPage {
    l: Layout,
    ready: usize,
}

/// `GET /admin`: the admin pages, and how many candidates wait for promotion.
async fn index(State(state): State<AppState>, me: SignedIn) -> Response {
    let result = async {
        me.require_admin()?;
        let visitor = me.visitor;
        let ready = members::candidates_ready(&state.app).await?.len();
        let page = IndexPage {
            l: me.layout(visitor.tr().get("admin-title")),
            ready,
        };
        Ok(render(&visitor, StatusCode::OK, &page))
    }
    .await;
    me.finish(result)
}

// ---- members ----

/// A member as the admin's table shows them.
pub struct MemberRow {
    pub username: String,
    pub role: &'static str,
    pub status: &'static str,
    pub admin: bool,
    pub joined: String,
    /// When a candidate's trial ends.
    pub trial_end: Option<String>,
    pub buddy: String,
}

#[derive(Template)]
#[template(path = "admin_members.html")]
struct MembersPage {
    l: Layout,
    members: Vec<MemberRow>,
    ready: Vec<String>,
    /// Who may be a buddy: members (not candidates).
    buddies: Vec<String>,
    roles: Vec<(&'static str, String)>,
    statuses: Vec<(&'static str, String)>,
    problem: Option<String>,
}

fn member_rows(t: &Tr, all: &[Member]) -> Vec<MemberRow> {
    let name_of = |id: Option<i64>| {
        id.and_then(|id| all.iter().find(|m| m.id == id))
            .map(|m| m.username.clone())
            .unwrap_or_default()
    };
    all.iter()
        .map(|m| MemberRow {
            username: m.username.clone(),
            role: m.role.as_str(),
            status: m.status.as_str(),
            admin: m.is_admin,
            joined: format::moment(m.joined_at, t.lang),
            trial_end: m
                .eligible_from
                .filter(|_| m.role == Role::Candidate)
                .map(|at| format::moment(at, t.lang)),
            buddy: name_of(m.buddy_id),
        })
        .collect()
}

async fn show_members(
    state: &AppState,
    me: &SignedIn,
    problem: Option<String>,
) -> Result<Response, AppError> {
    let visitor = me.visitor;
    let t = visitor.tr();
    let all = members::list(&state.app).await?;
    let ready = members::candidates_ready(&state.app).await?;
    let page = MembersPage {
        l: me.layout(t.get("admin-members-title")),
        members: member_rows(&t, &all),
        ready: ready.iter().map(|m| m.username.clone()).collect(),
        buddies: all
            .iter()
            .filter(|m| m.role == Role::Member && m.status == Status::Active)
            .map(|m| m.username.clone())
            .collect(),
        roles: [Role::Member, Role::Candidate]
            .iter()
            .map(|r| (r.as_str(), t.get(&format!("role-{}", r.as_str()))))
            .collect(),
        statuses: [Status::Active, Status::Suspended, Status::Left]
            .iter()
            .map(|s| (s.as_str(), t.get(&format!("member-status-{}", s.as_str()))))
            .collect(),
        problem: problem.clone(),
    };
    Ok(render(&visitor, status_for(&problem), &page))
}

/// `GET /admin/members`.
async fn members_page(State(state): State<AppState>, me: SignedIn) -> Response {
    let result = async {
        me.require_admin()?;
        show_members(&state, &me, None).await
    }
    .await;
    me.finish(result)
}

#[derive(Debug, Default, Deserialize)]
struct MemberForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    buddy: String,
    admin: Option<String>,
}

/// `POST /admin/members/{username}`: role, status, admin flag and buddy, as the form shows
/// them (every field is sent; the operation changes what differs and tells the network).
async fn change_member(
    State(state): State<AppState>,
    me: SignedIn,
    Path(username): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    let result = async {
        me.require_admin()?;
        let (visitor, admin) = (me.visitor, &me.member);
        let parsed = Role::parse(form.role.trim())
            .map_err(|e| cooperage_app::Error::invalid("role", e.to_string()))
            .and_then(|role| {
                Status::parse(form.status.trim())
                    .map(|status| (role, status))
                    .map_err(|e| cooperage_app::Error::invalid("status", e.to_string()))
            });
        let outcome = match parsed {
            Ok((role, status)) => {
                let change = members::MemberChange {
                    role: Some(role),
                    status: Some(status),
                    admin: Some(ticked(&form.admin)),
                    buddy: Some(Some(form.buddy.trim().to_owned()).filter(|b| !b.is_empty())),
                };
                members::change(&state.app, admin, &username, change)
                    .await
                    .map(|_| ())
            }
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) => Ok(see_other("/admin/members")),
            Err(error) => {
                let problem = form_problem(&visitor.tr(), error)?;
                show_members(&state, &me, Some(problem)).await
            }
        }
    }
    .await;
    me.finish(result)
}

// ---- invitations ----

/// An open invitation as the list shows it (its secret is not stored: only what it is for).
pub struct InvitationRow {
    pub id: i64,
    pub role: String,
    pub admin: bool,
    pub reset_for: Option<String>,
    pub expires: String,
}

/// A link just made, shown once.
pub struct Created {
    pub url: String,
    /// What it is for and until when.
    pub help: String,
}

#[derive(Template)]
#[template(path = "admin_invitations.html")]
struct InvitationsPage {
    l: Layout,
    created: Option<Created>,
    invitations: Vec<InvitationRow>,
    roles: Vec<(&'static str, String)>,
    problem: Option<String>,
}

async fn show_invitations(
    state: &AppState,
    me: &SignedIn,
    created: Option<Created>,
    problem: Option<String>,
) -> Result<Response, AppError> {
    let visitor = me.visitor;
    let t = visitor.tr();
    let open = invitations::open(&state.app).await?;
    let all = members::list(&state.app).await?;
    let page = InvitationsPage {
        l: me.layout(t.get("admin-invitations-title")),
        invitations: open
            .iter()
            .map(|i| InvitationRow {
                id: i.id,
                role: t.get(&format!("role-{}", i.role.as_str())),
                admin: i.is_admin,
                reset_for: i
                    .member_id
                    .and_then(|id| all.iter().find(|m| m.id == id))
                    .map(|m| m.username.clone()),
                expires: format::moment(i.expires_at, t.lang),
            })
            .collect(),
        roles: [Role::Member, Role::Candidate]
            .iter()
            .map(|r| (r.as_str(), t.get(&format!("role-{}", r.as_str()))))
            .collect(),
        created,
        problem: problem.clone(),
    };
    let status = if page.created.is_some() {
        StatusCode::CREATED
    } else {
        status_for(&problem)
    };
    Ok(render(&visitor, status, &page))
}

/// `GET /admin/invitations`.
async fn invitations_page(State(state): State<AppState>, me: SignedIn) -> Response {
    let result = async {
        me.require_admin()?;
        show_invitations(&state, &me, None, None).await
    }
    .await;
    me.finish(result)
}

#[derive(Debug, Default, Deserialize)]
struct InvitationForm {
    #[serde(default)]
    role: String,
    admin: Option<String>,
    #[serde(default)]
    expires_in_hours: String,
}

/// `POST /admin/invitations`: a new single-use link, shown on the page this once (not
/// redirected: the secret is not stored and could not be shown again).
async fn create_invitation(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<InvitationForm>,
) -> Response {
    let result = async {
        me.require_admin()?;
        let (visitor, admin) = (me.visitor, &me.member);
        let t = visitor.tr();
        let hours = match form.expires_in_hours.trim() {
            "" => Ok(None),
            text => text.parse::<u32>().map(Some).map_err(|_| {
                cooperage_app::Error::invalid("expires_in_hours", t.get("form-whole-number"))
            }),
        };
        let role = Role::parse(form.role.trim())
            .map_err(|e| cooperage_app::Error::invalid("role", e.to_string()));
        let outcome = match (role, hours) {
            (Ok(role), Ok(hours)) => {
                invitations::invite(&state.app, admin, role, ticked(&form.admin), hours).await
            }
            (Err(error), _) | (_, Err(error)) => Err(error),
        };
        match outcome {
            Ok(invitation) => {
                let created = Created {
                    url: invitation.url.clone(),
                    help: t.args(
                        "admin-invitation-created-help",
                        &[
                            (
                                "role",
                                &t.get(&format!("role-{}", invitation.role.as_str())),
                            ),
                            ("expires", &format::moment(invitation.expires_at, t.lang)),
                        ],
                    ),
                };
                show_invitations(&state, &me, Some(created), None).await
            }
            Err(error) => {
                let problem = form_problem(&t, error)?;
                show_invitations(&state, &me, None, Some(problem)).await
            }
        }
    }
    .await;
    me.finish(result)
}

/// `POST /admin/invitations/{id}/revoke`.
async fn revoke_invitation(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
) -> Response {
    let result = async {
        me.require_admin()?;
        invitations::revoke(&state.app, id).await?;
        Ok(see_other("/admin/invitations"))
    }
    .await;
    me.finish(result)
}

// ---- groups ----

/// A group as the admin's page shows it.
pub struct GroupRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub description: String,
    pub members: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin_groups.html")]
struct GroupsPage {
    l: Layout,
    groups: Vec<GroupRow>,
    kinds: Vec<(&'static str, String)>,
    problem: Option<String>,
}

async fn show_groups(
    state: &AppState,
    me: &SignedIn,
    problem: Option<String>,
) -> Result<Response, AppError> {
    let visitor = me.visitor;
    let t = visitor.tr();
    let all = groups::list(&state.app).await?;
    let page = GroupsPage {
        l: me.layout(t.get("admin-groups-title")),
        groups: all
            .into_iter()
            .map(|(g, members)| GroupRow {
                id: g.id,
                name: g.name,
                kind: t.get(&format!("group-kind-{}", g.kind.as_str())),
                description: g.description,
                members,
            })
            .collect(),
        kinds: [GroupKind::Working, GroupKind::City, GroupKind::Competence]
            .iter()
            .map(|k| (k.as_str(), t.get(&format!("group-kind-{}", k.as_str()))))
            .collect(),
        problem: problem.clone(),
    };
    Ok(render(&visitor, status_for(&problem), &page))
}

/// `GET /admin/groups`.
async fn groups_page(State(state): State<AppState>, me: SignedIn) -> Response {
    let result = async {
        me.require_admin()?;
        show_groups(&state, &me, None).await
    }
    .await;
    me.finish(result)
}

#[derive(Debug, Default, Deserialize)]
struct GroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
}

/// `POST /admin/groups`: a new working, city or competence group.
async fn create_group(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<GroupForm>,
) -> Response {
    let result = async {
        me.require_admin()?;
        let visitor = me.visitor;
        let outcome = match GroupKind::parse(form.kind.trim()) {
            Ok(kind) => groups::create(&state.app, &form.name, kind, form.description)
                .await
                .map(|_| ()),
            Err(e) => Err(cooperage_app::Error::invalid("kind", e.to_string())),
        };
        match outcome {
            Ok(()) => Ok(see_other("/admin/groups")),
            Err(error) => {
                let problem = form_problem(&visitor.tr(), error)?;
                show_groups(&state, &me, Some(problem)).await
            }
        }
    }
    .await;
    me.finish(result)
}

#[derive(Debug, Default, Deserialize)]
struct UsernameForm {
    #[serde(default)]
    username: String,
}

/// `POST /admin/groups/{id}/members`.
async fn add_to_group(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    Form(form): Form<UsernameForm>,
) -> Response {
    let result = async {
        me.require_admin()?;
        let (visitor, admin) = (me.visitor, &me.member);
        match groups::add_member(&state.app, admin, id, form.username.trim()).await {
            Ok(()) => Ok(see_other("/admin/groups")),
            Err(error) => {
                let problem = form_problem(&visitor.tr(), error)?;
                show_groups(&state, &me, Some(problem)).await
            }
        }
    }
    .await;
    me.finish(result)
}

/// `POST /admin/groups/{id}/members/{username}/remove`.
async fn remove_from_group(
    State(state): State<AppState>,
    me: SignedIn,
    Path((id, username)): Path<(i64, String)>,
) -> Response {
    let result = async {
        me.require_admin()?;
        let admin = &me.member;
        groups::remove_member(&state.app, admin, id, &username).await?;
        Ok(see_other("/admin/groups"))
    }
    .await;
    me.finish(result)
}

// ---- federation ----

/// An actor as the federation page names it.
pub struct ActorRow {
    pub handle: String,
    pub url: String,
    pub name: String,
}

fn actor_row(actor: &cooperage_db::actors::Actor) -> ActorRow {
    ActorRow {
        handle: format!("@{}@{}", actor.username, actor.domain),
        url: actor.ap_id.clone(),
        name: actor.display_name.clone().unwrap_or_default(),
    }
}

/// A host's deliveries.
pub struct QueueRow {
    pub host: String,
    pub pending: String,
    pub failed: String,
    pub delivered: String,
    pub next_attempt: String,
    pub last_error: String,
    pub failing: bool,
}

/// A host with a policy.
pub struct HostRow {
    pub host: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin_federation.html")]
struct FederationPage {
    l: Layout,
    coop_handle: String,
    network: Vec<ActorRow>,
    requests: Vec<ActorRow>,
    blocked: Vec<HostRow>,
    allowed: Vec<HostRow>,
    allowlist_only: bool,
    queue: Vec<QueueRow>,
    notice: Option<String>,
    problem: Option<String>,
    handle: String,
}

/// What the federation page shows besides its lists: a notice after a follow, or a form's
/// problem with what was typed.
#[derive(Default)]
struct Said {
    notice: Option<String>,
    problem: Option<String>,
    handle: String,
}

async fn show_federation(
    state: &AppState,
    me: &SignedIn,
    said: Said,
) -> Result<Response, AppError> {
    let visitor = me.visitor;
    let t = visitor.tr();
    let lang = t.lang;
    let settings = state.federation.context().settings().clone();
    let network = federation::network(&state.app).await?;
    let requests = federation::pending_followers(&state.app, &settings.coop_handle).await?;
    let hosts = |hosts: Vec<cooperage_db::hosts::Host>| -> Vec<HostRow> {
        hosts
            .into_iter()
            .map(|h| HostRow {
                host: h.host,
                reason: h.reason.unwrap_or_default(),
            })
            .collect()
    };
    let blocked =
        hosts(federation::hosts_with_policy(&state.app, cooperage_db::hosts::BLOCK).await?);
    let allowed =
        hosts(federation::hosts_with_policy(&state.app, cooperage_db::hosts::ALLOW).await?);
    let queue = federation::queue(&state.app)
        .await?
        .into_iter()
        .map(|q| QueueRow {
            failing: q.failed > 0,
            host: q.host,
            pending: format::number(q.pending, lang),
            failed: format::number(q.failed, lang),
            delivered: format::number(q.delivered, lang),
            next_attempt: q
                .next_attempt_at
                .map(|at| format::moment(at, lang))
                .unwrap_or_default(),
            last_error: q.last_error.unwrap_or_default(),
        })
        .collect();
    let page = FederationPage {
        l: me.layout(t.get("admin-federation-title")),
        coop_handle: format!("@{}@{}", settings.coop_handle, settings.domain),
        network: network.iter().map(actor_row).collect(),
        requests: requests.iter().map(actor_row).collect(),
        blocked,
        allowed,
        allowlist_only: settings.allowlist_only,
        queue,
        notice: said.notice,
        problem: said.problem.clone(),
        handle: said.handle,
    };
    Ok(render(&visitor, status_for(&said.problem), &page))
}

/// `GET /admin/federation`.
async fn federation_page(State(state): State<AppState>, me: SignedIn) -> Response {
    let result = async {
        me.require_admin()?;
        show_federation(&state, &me, Said::default()).await
    }
    .await;
    me.finish(result)
}

#[derive(Debug, Default, Deserialize)]
struct HandleForm {
    #[serde(default)]
    handle: String,
}

/// Shows the federation page with a form's problem, or the error page for what is no form's
/// problem. A remote server that cannot be reached is the form's problem too: the admin
/// typed the handle, and the page says what happened.
async fn federation_problem(
    state: &AppState,
    me: &SignedIn,
    error: cooperage_app::Error,
    handle: String,
) -> Result<Response, AppError> {
    let visitor = me.visitor;
    let t = visitor.tr();
    let error: AppError = error.into();
    let problem = match error {
        // The handle's server or its answer: a not found, a refusal, an unreachable host.
        AppError::App(cooperage_app::Error::Federation(ref e)) if e.status() < 500 => {
            t.with("form-check", "field", &e.to_string())
        }
        error => form_problem(&t, error)?,
    };
    let said = Said {
        problem: Some(problem),
        handle,
        ..Said::default()
    };
    show_federation(state, me, said).await
}

/// `POST /admin/federation/follow`: the coop follows another coop by handle
/// (`@coop@other.example`) or actor URL; it joins the network once they follow back.
async fn follow(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<HandleForm>,
) -> Response {
    let result = async {
        me.require_admin()?;
        let visitor = me.visitor;
        let t = visitor.tr();
        let handle = form.handle.trim().to_owned();
        if handle.is_empty() {
            let error = cooperage_app::Error::invalid("handle", t.get("form-required"));
            return federation_problem(&state, &me, error, handle).await;
        }
        match federation::follow(&state.app, &handle).await {
            Ok(followed) => {
                let said = Said {
                    notice: Some(t.with(
                        "federation-follow-sent",
                        "handle",
                        &format!("@{}@{}", followed.username, followed.domain),
                    )),
                    ..Said::default()
                };
                show_federation(&state, &me, said).await
            }
            Err(error) => federation_problem(&state, &me, error, handle).await,
        }
    }
    .await;
    me.finish(result)
}

/// `POST /admin/federation/unfollow`: the coop stops following a coop (it leaves the
/// network, with its listings and offers).
async fn unfollow(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<HandleForm>,
) -> Response {
    let result = async {
        me.require_admin()?;
        match federation::unfollow(&state.app, form.handle.trim()).await {
            Ok(_) => Ok(see_other("/admin/federation")),
            Err(error) => federation_problem(&state, &me, error, form.handle).await,
        }
    }
    .await;
    me.finish(result)
}

/// `POST /admin/federation/requests/{accept|reject}` with the follower's actor id.
async fn answer_request(
    State(state): State<AppState>,
    me: SignedIn,
    Path(decision): Path<String>,
    Form(form): Form<HandleForm>,
) -> Response {
    let result = async {
        me.require_admin()?;
        let accept = match decision.as_str() {
            "accept" => true,
            "reject" => false,
            _ => return Err(AppError::NotFound),
        };
        let coop = state.federation.context().settings().coop_handle.clone();
        match federation::answer_follower(&state.app, &coop, form.handle.trim(), accept).await {
            Ok(()) => Ok(see_other("/admin/federation")),
            Err(error) => federation_problem(&state, &me, error, String::new()).await,
        }
    }
    .await;
    me.finish(result)
}

#[derive(Debug, Default, Deserialize)]
struct HostForm {
    #[serde(default)]
    host: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/federation/hosts`: block or allow a host.
async fn set_host_policy(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<HostForm>,
) -> Response {
    let result = async {
        me.require_admin()?;
        let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
        let outcome = match form.policy.as_str() {
            "block" => federation::block_host(&state.app, &form.host, reason).await,
            "allow" => federation::allow_host(&state.app, &form.host).await,
            _ => Err(cooperage_app::Error::invalid(
                "policy",
                "must be block or allow",
            )),
        };
        match outcome {
            Ok(()) => Ok(see_other("/admin/federation#hosts")),
            Err(error) => federation_problem(&state, &me, error, String::new()).await,
        }
    }
    .await;
    me.finish(result)
}

/// `POST /admin/federation/hosts/clear`: removes a host's policy (unblock, or no longer
/// allowed in allow-list mode).
async fn clear_host_policy(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<HostForm>,
) -> Response {
    let result = async {
        me.require_admin()?;
        match federation::clear_host_policy(&state.app, &form.host).await {
            Ok(()) => Ok(see_other("/admin/federation#hosts")),
            Err(error) => federation_problem(&state, &me, error, String::new()).await,
        }
    }
    .await;
    me.finish(result)
}
