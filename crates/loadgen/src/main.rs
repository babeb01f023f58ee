//! `loadgen`: measures a release `cooperage serve` from outside, as a child process with its
//! own data directory and database, so that the generator's CPU is not counted as the
//! server's. The generator plays the remote servers on loopback ports.
//!
//!     cargo build --release --bin cooperage
//!     cargo run --release --bin loadgen -- --postgres postgres://postgres@127.0.0.1:5432/postgres

mod client;
mod directory;
mod fanout;
mod inbox;
mod peers;
mod server;
mod stats;

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use server::Backend;

/// Load generator for Cooperage: runs scenarios against a real `cooperage serve` child
/// process on SQLite and (with --postgres) PostgreSQL, and reports throughput, latency
/// percentiles, the server's CPU time (/proc/<pid>/stat) and peak RSS (VmHWM).
#[derive(Parser)]
#[command(name = "loadgen")]
struct Cli {
    /// Scenarios to run, in order.
    #[arg(value_enum, default_values_t = [Scenario::Inbox, Scenario::Fanout])]
    scenarios: Vec<Scenario>,

    /// The `cooperage` binary to run (build it with `cargo build --release --bin cooperage`).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/release/cooperage"))]
    bin: PathBuf,

    /// A PostgreSQL URL whose role may create databases; each run gets a scratch database,
    /// dropped afterwards. Without it, only SQLite is measured.
    #[arg(long, env = "COOPERAGE_TEST_POSTGRES_URL")]
    postgres: Option<String>,

    /// Only this backend.
    #[arg(long, value_enum)]
    backend: Option<BackendArg>,

    /// inbox: activities measured (after the warm-up).
    #[arg(long, default_value_t = 20_000)]
    posts: usize,

    /// inbox: activities sent before measuring (keys fetched, caches and connections warm).
    #[arg(long, default_value_t = 2_000)]
    warmup: usize,

    /// inbox: connections sending at once; fanout: concurrent Follows during setup.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,

    /// inbox: remote actors signing the activities (on one remote host; the server fetches
    /// at most 30 keys from one host at once, then one a second).
    #[arg(long, default_value_t = 20)]
    actors: usize,

    /// fanout: follower counts, each on as many distinct hosts.
    #[arg(long, value_delimiter = ',', default_values_t = [1000, 3000])]
    followers: Vec<usize>,

    /// fanout: posts per follower count (each a fresh measurement on the same server).
    #[arg(long, default_value_t = 3)]
    rounds: usize,

    /// directory: listings in the directory searched.
    #[arg(long, default_value_t = 100_000)]
    listings: usize,

    /// directory: searches measured per kind (text, tags, availability, combined, browse).
    #[arg(long, default_value_t = 300)]
    queries: usize,

    /// directory: connections searching at once.
    #[arg(long, default_value_t = 4)]
    search_concurrency: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Inbox,
    Fanout,
    Directory,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut cli = Cli::parse();
    // Absolute: the server runs in its own data directory.
    cli.bin = std::fs::canonicalize(&cli.bin).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; build it with `cargo build --release --bin cooperage` or pass --bin",
            cli.bin.display()
        )
    })?;
    let mut backends = Vec::new();
    if cli.backend != Some(BackendArg::Postgres) {
        backends.push(Backend::Sqlite);
    }
    if cli.backend != Some(BackendArg::Sqlite) {
        if cli.postgres.is_some() {
            backends.push(Backend::Postgres);
        } else if cli.backend == Some(BackendArg::Postgres) {
            anyhow::bail!("--backend postgres needs --postgres URL");
        }
    }
    let admin = cli.postgres.as_deref();
    println!(
        "loadgen: {} on {} cores (the generator runs on the same cores)",
        cli.bin.display(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for scenario in &cli.scenarios {
        match scenario {
            Scenario::Inbox => {
                let options = inbox::Options {
                    posts: cli.posts,
                    warmup: cli.warmup,
                    concurrency: cli.concurrency,
                    actors: cli.actors,
                };
                let mut reports = Vec::new();
                for backend in &backends {
                    eprintln!("inbox, {}:", backend.name());
                    reports.push(inbox::run(&cli.bin, *backend, admin, &options).await?);
                }
                print_inbox(&reports, &options);
            }
            Scenario::Fanout => {
                let options = fanout::Options {
                    rounds: cli.rounds,
                    concurrency: cli.concurrency,
                };
                let mut reports = Vec::new();
                for backend in &backends {
                    for followers in &cli.followers {
                        eprintln!("fanout, {}, {followers} hosts:", backend.name());
                        reports.push(
                            fanout::run(&cli.bin, *backend, admin, *followers, &options).await?,
                        );
                    }
                }
                print_fanout(&reports);
            }
            Scenario::Directory => {
                let options = directory::Options {
                    listings: cli.listings,
                    queries: cli.queries,
                    concurrency: cli.search_concurrency,
                };
                let mut reports = Vec::new();
                for backend in &backends {
                    eprintln!("directory, {}:", backend.name());
                    reports.push(directory::run(&cli.bin, *backend, admin, &options).await?);
                }
                print_directory(&reports, &options);
            }
        }
    }
    Ok(())
}

fn print_inbox(reports: &[inbox::Report], options: &inbox::Options) {
    let Some(first) = reports.first() else { return };
    println!(
        "\n== inbox: {} signed Create{{Note}} POSTs of {} bytes from {} actors, concurrency {} ==",
        options.posts, first.body_bytes, options.actors, options.concurrency
    );
    println!(
        "{:<11} {:>10} {:>8} {:>8} {:>8} {:>10} {:>11} {:>9}",
        "backend",
        "accepted/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "server CPU",
        "CPU/activity",
        "peak RSS"
    );
    for r in reports {
        println!(
            "{:<11} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>9.2}s {:>9.0}µs {:>6.1} MB",
            r.backend.name(),
            r.rate(),
            r.latencies.ms(50.0),
            r.latencies.ms(95.0),
            r.latencies.ms(99.0),
            r.cpu.as_secs_f64(),
            r.cpu.as_secs_f64() * 1e6 / r.posts as f64,
            r.peak_rss_mb,
        );
    }
    if let [sqlite, postgres] = reports {
        println!(
            "PostgreSQL / SQLite: {:.0}%  (accepted {} and {}; stored {} and {} incl. warm-up)",
            100.0 * postgres.rate() / sqlite.rate(),
            sqlite.accepted,
            postgres.accepted,
            sqlite.stored,
            postgres.stored
        );
    }
}

fn print_directory(reports: &[directory::Report], options: &directory::Options) {
    println!(
        "\n== directory: GET /api/v1/directory over {} listings from 200 coops, {} searches a kind, concurrency {} ==",
        options.listings, options.queries, options.concurrency
    );
    println!(
        "{:<11} {:<13} {:>10} {:>8} {:>8} {:>8} {:>10} {:>9}",
        "backend", "kind", "searches/s", "p50 ms", "p95 ms", "p99 ms", "CPU/search", "peak RSS"
    );
    for r in reports {
        for k in &r.kinds {
            println!(
                "{:<11} {:<13} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2}ms {:>6.1} MB",
                r.backend.name(),
                k.kind,
                k.rate,
                k.latencies.ms(50.0),
                k.latencies.ms(95.0),
                k.latencies.ms(99.0),
                k.cpu_per_query.as_secs_f64() * 1000.0,
                r.peak_rss_mb,
            );
        }
        println!("{:<11} (seeded in {:.1?})", r.backend.name(), r.seeded);
    }
}

fn print_fanout(reports: &[fanout::Report]) {
    println!(
        "\n== fanout: one post to N followers on N distinct hosts (personal inboxes), signatures verified =="
    );
    println!(
        "{:<11} {:>6} {:>6} {:>12} {:>14} {:>13} {:>14} {:>9}",
        "backend",
        "hosts",
        "round",
        "queued→last",
        "deliveries/s",
        "first→last",
        "CPU/delivery",
        "peak RSS"
    );
    for r in reports {
        for (n, round) in r.rounds.iter().enumerate() {
            println!(
                "{:<11} {:>6} {:>6} {:>9.0} ms {:>14.0} {:>10.0} ms {:>11.3} ms {:>6.1} MB",
                r.backend.name(),
                r.followers,
                n + 1,
                round.total.as_secs_f64() * 1000.0,
                round.verified as f64 / round.total.as_secs_f64(),
                round.spread.as_secs_f64() * 1000.0,
                round.cpu.as_secs_f64() * 1000.0 / round.verified as f64,
                r.peak_rss_mb,
            );
        }
    }
}
