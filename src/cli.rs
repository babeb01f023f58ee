//! CLI commands that act on an instance's database and federation without serving.

use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::Context;
use cooperage::Config;
use cooperage::server::{open_database, start_app};
use cooperage_app::federation::FollowState;
use cooperage_app::{App, federation as operations};
use cooperage_federation::local_actors;

use crate::FederationCommand;

async fn app_of(config: &Config) -> anyhow::Result<App> {
    let db = open_database(config).await?;
    Ok(start_app(config, db).await?)
}

fn actor_line(actor: &cooperage_db::actors::Actor) -> String {
    format!("@{}@{}  {}", actor.username, actor.domain, actor.ap_id)
}

pub async fn federation(config: Config, command: FederationCommand) -> anyhow::Result<()> {
    let app = app_of(&config).await?;
    let app = &app;
    let coop = config.instance.coop_handle.to_string();
    match command {
        FederationCommand::Follow {
            target,
            wait,
            timeout,
        } => {
            let followed = operations::follow(app, &target).await?;
            if wait {
                wait_for_acceptance(app, &followed, Duration::from_secs(timeout)).await?;
                println!("following {} (accepted)", actor_line(&followed));
            } else {
                println!(
                    "follow request queued for {} (it counts once accepted)",
                    actor_line(&followed)
                );
            }
        }
        FederationCommand::Unfollow { target } => {
            let followed = operations::unfollow(app, &target).await?;
            println!("unfollowed {}", actor_line(&followed));
        }
        FederationCommand::Network => {
            let network = operations::network(app).await?;
            if network.is_empty() {
                println!("no coop follows and is followed by @{coop} yet");
            }
            for actor in network {
                println!("{}", actor_line(&actor));
            }
        }
        FederationCommand::Queue => {
            let hosts = operations::queue(app).await?;
            println!(
                "{:<32} {:>8} {:>8} {:>10}  next attempt / last error",
                "host", "pending", "failed", "delivered"
            );
            for h in hosts {
                println!(
                    "{:<32} {:>8} {:>8} {:>10}  {} {}",
                    h.host,
                    h.pending,
                    h.failed,
                    h.delivered,
                    h.next_attempt_at
                        .map(|t| t.and_utc().to_rfc3339())
                        .unwrap_or_default(),
                    h.last_error.unwrap_or_default()
                );
            }
        }
        FederationCommand::Block { host, reason } => {
            operations::block_host(app, &host, reason).await?;
            println!("blocked {host}");
        }
        FederationCommand::Allow { host } => {
            operations::allow_host(app, &host).await?;
            println!("allowed {host}");
        }
        FederationCommand::Unblock { host } => {
            operations::clear_host_policy(app, &host).await?;
            println!("{host} has no policy now");
        }
        FederationCommand::Hosts => {
            for policy in [cooperage_db::hosts::BLOCK, cooperage_db::hosts::ALLOW] {
                for host in operations::hosts_with_policy(app, policy).await? {
                    println!(
                        "{policy:<6} {}  {}",
                        host.host,
                        host.reason.unwrap_or_default()
                    );
                }
            }
        }
        FederationCommand::Requests { actor } => {
            let actor = actor.unwrap_or(coop);
            for follower in operations::pending_followers(app, &actor).await? {
                println!("{}", actor_line(&follower));
            }
        }
        FederationCommand::Approval { mode, actor } => {
            let actor = actor.unwrap_or(coop);
            operations::set_manual_approval(app, &actor, mode == "on").await?;
            println!("approval of new followers of {actor}: {mode}");
        }
        FederationCommand::Accept { follower, actor } => {
            operations::answer_follower(app, &actor.unwrap_or(coop), &follower, true).await?;
            println!("accepted {follower}");
        }
        FederationCommand::Reject { follower, actor } => {
            operations::answer_follower(app, &actor.unwrap_or(coop), &follower, false).await?;
            println!("rejected {follower}");
        }
    }
    Ok(())
}

/// Waits until the follow of `followed` is accepted. This process does not serve: the running
/// `cooperage serve` on the same database delivers the queued Follow and receives the Accept,
/// so the follow's state is read from the database until it changes or time runs out.
async fn wait_for_acceptance(
    app: &App,
    followed: &cooperage_db::actors::Actor,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let who = format!("@{}@{}", followed.username, followed.domain);
    loop {
        let state = operations::follow_state(app, followed).await?;
        let why_not = match state {
            FollowState::Accepted => return Ok(()),
            FollowState::Absent => anyhow::bail!("{who} rejected the follow"),
            FollowState::Pending { failed: true, .. } => anyhow::bail!(
                "the Follow could not be delivered to {who}; `cooperage federation queue` says why"
            ),
            FollowState::Pending {
                delivered: false, ..
            } => format!(
                "the Follow has not been delivered to {who} yet: is `cooperage serve` running on \
                 this database? (`cooperage federation queue` shows retries)"
            ),
            FollowState::Pending {
                delivered: true, ..
            } => format!(
                "{who} received the Follow but has not accepted it yet (it may approve \
                 followers by hand); it counts once accepted"
            ),
        };
        if Instant::now() >= deadline {
            anyhow::bail!("not accepted after {} s: {why_not}", timeout.as_secs());
        }
        tokio::time::sleep(FOLLOW_POLL).await;
    }
}

/// How often `follow --wait` reads the follow's state: a database read, cheap.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

pub async fn post(config: Config, text: String, author: Option<String>) -> anyhow::Result<()> {
    let text = if text == "-" {
        let mut buffer = String::new();
        std::io::stdin()
            .read_to_string(&mut buffer)
            .context("cannot read standard input")?;
        buffer
    } else {
        text
    };
    let app = app_of(&config).await?;
    let author = author.unwrap_or_else(|| config.instance.coop_handle.to_string());
    let published = cooperage_app::posts::publish_note(&app, &author, &text).await?;
    println!("{}", published.id);
    match published.inboxes {
        0 => println!("queued for 0 inboxes: @{author} has no followers yet"),
        1 => println!("queued for 1 inbox"),
        n => println!("queued for {n} inboxes"),
    }
    for handle in &published.unresolved_mentions {
        println!("not linked: {handle} was not found");
    }
    Ok(())
}

pub async fn add_member(
    config: Config,
    username: String,
    name: Option<String>,
) -> anyhow::Result<()> {
    let app = app_of(&config).await?;
    let actor = local_actors::ensure_member(app.context(), &username, name).await?;
    println!("{}", actor_line(&actor));
    Ok(())
}

pub async fn create_admin(
    config: Config,
    username: String,
    email: Option<String>,
    name: Option<String>,
) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    let app = app_of(&config).await?;
    let account = cooperage_app::accounts::NewAccount {
        username,
        password,
        email,
        display_name: name,
        role: cooperage_domain::member::Role::Member,
        is_admin: true,
    };
    let member = cooperage_app::accounts::create_member(&app, account)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "admin @{}@{} created",
        member.username, config.instance.domain
    );
    Ok(())
}
