//! `cooperage`: run a coop's instance of the Cooperage federation.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cooperage::{Config, Instance, config};
use tracing_subscriber::EnvFilter;

mod cli;

// mimalloc: the inbox and delivery paths allocate many small JSON values and buffers across
// threads; glibc malloc spent ~14% of the inbox benchmark's CPU, mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Cooperage: federated ActivityPub service for networks of worker-owned cooperatives.
///
/// Configuration comes from built-in defaults (documented in config/default.toml), then the
/// file given with --config, then environment variables COOPERAGE__SECTION__KEY
/// (e.g. COOPERAGE__DATABASE__URL=postgres://postgres@127.0.0.1:5432/coop).
#[derive(Parser)]
#[command(name = "cooperage", version, about, long_about)]
struct Cli {
    /// TOML config file; keys not in it keep their defaults.
    #[arg(long, global = true, env = "COOPERAGE_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,

    /// Log more to stderr: commands other than `serve` log only warnings and errors unless
    /// given `-v` (`log.filter`, default info) or `-vv` (debug). RUST_LOG overrides both.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the instance: apply pending migrations, then serve HTTP until SIGINT or SIGTERM.
    ///
    /// On a signal it stops accepting connections, finishes in-flight requests and lets
    /// pending background work reach a safe point before exiting.
    Serve,
    /// Apply pending database migrations and exit (serve does this too, at start).
    Migrate,
    /// Federation with other instances: follow coops, see the network, block hosts, see the
    /// delivery queue. Activities are queued here and sent by the running `serve`.
    #[command(subcommand)]
    Federation(FederationCommand),
    /// Publish an announcement (a public Note) to the followers of the coop or of a member.
    Post {
        /// The text, in Markdown; `-` reads it from standard input. Blank lines separate
        /// paragraphs; `#tags` and `@user@host` mentions are linked, mentioned accounts get it.
        text: String,
        /// Post as this local actor (default: the coop).
        #[arg(long = "as", value_name = "USERNAME")]
        author: Option<String>,
    },
    /// Members' actors (accounts and roles come with member management).
    #[command(subcommand)]
    Member(MemberCommand),
    /// Accounts with admin rights.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Load and validate the configuration, print the effective settings, and exit.
    ///
    /// Exits with code 2 and names the file or variable, the key and what is expected when a
    /// value is wrong.
    CheckConfig,
}

#[derive(Subcommand)]
enum FederationCommand {
    /// Make the coop follow another coop, by @handle@host or actor URL.
    ///
    /// The Follow is queued here and sent by the running `cooperage serve` of this database.
    Follow {
        target: String,
        /// Return only once the other side accepted (exit 1 with the reason if it does not
        /// within --timeout); needs `cooperage serve` running on the same database.
        #[arg(long)]
        wait: bool,
        /// Seconds --wait waits for the acceptance.
        #[arg(long, value_name = "SECONDS", default_value_t = 30, requires = "wait")]
        timeout: u64,
    },
    /// Stop following (sends Undo{Follow}).
    Unfollow { target: String },
    /// List the coop's network: coops that follow it and that it follows.
    Network,
    /// Pending and failed deliveries per host.
    Queue,
    /// Block a host: refused at the inbox, never fetched, no deliveries, follows removed.
    Block {
        host: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Allow a host (the only hosts federated with when federation.allowlist_only is on).
    Allow { host: String },
    /// Remove a host's block or allow entry.
    Unblock { host: String },
    /// List blocked and allowed hosts.
    Hosts,
    /// Follow requests waiting for approval (for actors that approve followers manually).
    Requests {
        #[arg(long = "actor", value_name = "USERNAME")]
        actor: Option<String>,
    },
    /// Require (on) or stop requiring (off) approval of new followers.
    Approval {
        #[arg(value_parser = ["on", "off"])]
        mode: String,
        #[arg(long = "actor", value_name = "USERNAME")]
        actor: Option<String>,
    },
    /// Accept a pending follower.
    Accept {
        follower: String,
        #[arg(long = "actor", value_name = "USERNAME")]
        actor: Option<String>,
    },
    /// Reject a pending follower, or remove a follower.
    Reject {
        follower: String,
        #[arg(long = "actor", value_name = "USERNAME")]
        actor: Option<String>,
    },
}

#[derive(Subcommand)]
enum MemberCommand {
    /// Create a member's actor (@username@domain) with its own key pair.
    Add {
        username: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin account (the first one, typically). The password is read from the
    /// first line of standard input, never from the command line:
    /// `read -s PW && echo "$PW" | cooperage admin create --username ana`
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
}

/// Exit code for a configuration the program cannot use.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("cooperage: config error: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    init_logging(&config, matches!(cli.command, Command::Serve), cli.verbose);
    let result = match cli.command {
        Command::CheckConfig => check_config(&config),
        Command::Migrate => runtime().and_then(|rt| rt.block_on(migrate(config))),
        Command::Serve => runtime().and_then(|rt| rt.block_on(serve(config))),
        Command::Federation(command) => {
            runtime().and_then(|rt| rt.block_on(cli::federation(config, command)))
        }
        Command::Post { text, author } => {
            runtime().and_then(|rt| rt.block_on(cli::post(config, text, author)))
        }
        Command::Admin(AdminCommand::Create {
            username,
            email,
            name,
        }) => {
            runtime().and_then(|rt| rt.block_on(cli::create_admin(config, username, email, name)))
        }
        Command::Member(MemberCommand::Add { username, name }) => {
            runtime().and_then(|rt| rt.block_on(cli::add_member(config, username, name)))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole cause chain on one line.
            eprintln!("cooperage: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Logs go to stderr, so that command output on stdout stays clean. RUST_LOG, when set,
/// replaces everything else. `serve` logs by `log.filter`; the other commands are one-shot
/// tools whose answer is on stdout, so they log only warnings unless asked with `-v`.
fn init_logging(config: &Config, serving: bool, verbose: u8) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(match (serving, verbose) {
            (_, 2..) => "debug",
            (true, _) | (false, 1) => config.log.filter.as_str(),
            (false, 0) => "warn",
        })
    });
    // Escape codes only for a person at a terminal, not in log files, journald or pipes.
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}

fn check_config(config: &Config) -> anyhow::Result<()> {
    let mut shown = config.clone();
    if !shown.admin.api_token.is_empty() {
        shown.admin.api_token = "(set, hidden)".into();
    }
    // The URL may hold a password.
    shown.database.url = config::DatabaseUrl::parse(&config.database.url.target().redacted())
        .unwrap_or_else(|_| config.database.url.clone());
    print!(
        "{}",
        toml::to_string_pretty(&shown).context("cannot print the configuration")?
    );
    println!(
        "# federation debug mode: {}",
        if config.federation_debug() {
            "on"
        } else {
            "off"
        }
    );
    Ok(())
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = cooperage::server::open_database(&config).await?;
    let versions = db.run(cooperage_db::migrations::applied).await?;
    println!(
        "{} database is at version {}",
        db.backend(),
        versions.last().map_or("(none)", String::as_str)
    );
    Ok(())
}

async fn serve(mut config: Config) -> anyhow::Result<()> {
    raise_open_file_limit(&mut config);
    let instance = Instance::start(config).await?;
    let stop = instance.shutdown_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        stop.cancel();
    });
    instance.wait().await
}

/// Every connection is a file descriptor, and distributions often start services with a soft
/// limit of 1024: raise it to the hard limit, which needs no privilege. If that is still
/// below `http.max_connections`, lower the cap to fit, with room left for the database and
/// deliveries: clients then wait in the kernel's queue instead of `accept` failing.
fn raise_open_file_limit(config: &mut Config) {
    /// Descriptors kept for everything but clients (database, deliveries, files).
    const RESERVE: u64 = 256;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            let fits = limit.saturating_sub(RESERVE).max(16);
            if u64::from(config.http.max_connections) > fits {
                tracing::warn!(
                    limit,
                    max_connections = fits,
                    "the open-file limit is low: serving fewer connections at once than \
                     http.max_connections (raise the hard limit: ulimit -Hn, LimitNOFILE)"
                );
                config.http.max_connections = u32::try_from(fits).unwrap_or(u32::MAX);
            } else {
                tracing::debug!(limit, "open-file limit");
            }
        }
        Err(error) => tracing::warn!(%error, "cannot raise the open-file limit"),
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
