//! The server under load: a real `cooperage serve` as a child process, with its own
//! environment, data directory and database, watched through /proc.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// Which database the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A database made for one run, dropped with it.
pub enum Scratch {
    Sqlite {
        url: String,
    },
    Postgres {
        url: String,
        admin: String,
        name: String,
    },
}

impl Scratch {
    pub fn create(backend: Backend, dir: &Path, admin: Option<&str>) -> anyhow::Result<Self> {
        Ok(match backend {
            Backend::Sqlite => Scratch::Sqlite {
                url: format!("sqlite://{}", dir.join("cooperage.sqlite").display()),
            },
            Backend::Postgres => {
                let admin = admin.context("PostgreSQL needs --postgres ADMIN_URL")?;
                let name = format!("cooperage_loadgen_{}_{}", std::process::id(), unique());
                let url = cooperage_db::scratch::create_postgres(admin, &name)?;
                Scratch::Postgres {
                    url,
                    admin: admin.to_owned(),
                    name,
                }
            }
        })
    }

    pub fn url(&self) -> &str {
        match self {
            Scratch::Sqlite { url } | Scratch::Postgres { url, .. } => url,
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Scratch::Postgres { admin, name, .. } = self
            && let Err(error) = cooperage_db::scratch::drop_postgres(admin, name)
        {
            eprintln!("cannot drop scratch database {name}: {error}");
        }
    }
}

fn unique() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

/// A running `cooperage serve`.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub port: u16,
    env: Vec<(String, String)>,
    binary: PathBuf,
    dir: PathBuf,
    log: PathBuf,
    pub db: Scratch,
}

impl Server {
    /// Starts the binary on a free port and waits until `/healthz` answers.
    pub async fn start(
        binary: &Path,
        backend: Backend,
        dir: &Path,
        admin: Option<&str>,
    ) -> anyhow::Result<Self> {
        let db = Scratch::create(backend, dir, admin)?;
        let port = free_port()?;
        let env = vec![
            (
                "COOPERAGE__INSTANCE__DOMAIN".into(),
                format!("localhost:{port}"),
            ),
            ("COOPERAGE__HTTP__BIND".into(), format!("127.0.0.1:{port}")),
            ("COOPERAGE__DATABASE__URL".into(), db.url().to_owned()),
            // Debug mode (peers on http://localhost:<port>) is what "auto" picks for this
            // domain; said explicitly so the run does not depend on the default.
            ("COOPERAGE__FEDERATION__DEBUG".into(), "true".into()),
            // `cooperage post` runs in another process and cannot wake the worker: it finds
            // the new deliveries on its next poll.
            ("COOPERAGE__DELIVERY__POLL_INTERVAL_MS".into(), "50".into()),
        ];
        let log = dir.join("server.log");
        let child = command(binary, &env, dir)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let pid = child.id().context("child has no pid")?;
        let mut server = Self {
            child,
            pid,
            port,
            env,
            binary: binary.to_owned(),
            dir: dir.to_owned(),
            log,
            db,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    /// Starts a server in a scratch directory, runs `measure` against it and stops it; when
    /// the measurement fails, the server's log tail is printed.
    pub async fn measured<T>(
        binary: &Path,
        backend: Backend,
        admin: Option<&str>,
        measure: impl AsyncFnOnce(&Server) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let dir = tempfile::tempdir()?;
        let server = Self::start(binary, backend, dir.path(), admin).await?;
        let result = measure(&server).await;
        if result.is_err() {
            eprintln!("server log:\n{}", server.log_tail());
        }
        server.stop().await?;
        result
    }

    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited ({status}):\n{}", self.log_tail());
            }
            if crate::client::get(self.port, "/healthz", &self.domain())
                .await
                .is_ok_and(|(status, _)| status == 200)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the server did not become healthy:\n{}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `localhost:<port>`, the instance's domain.
    pub fn domain(&self) -> String {
        format!("localhost:{}", self.port)
    }

    pub fn coop_id(&self) -> String {
        format!("http://{}/actors/coop", self.domain())
    }

    /// The server's user plus system CPU time so far.
    pub fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // Fields after the command name (in parentheses, which may contain spaces): utime
        // and stime are the 12th and 13th.
        let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<u64> = rest
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|f| f.parse().ok())
            .collect();
        let ticks: u64 = fields.iter().sum();
        Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64)
    }

    /// Peak resident memory (VmHWM), in MB.
    pub fn peak_rss_mb(&self) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// Runs `cooperage post TEXT` on the server's database (a separate process, as an
    /// operator would).
    pub async fn post(&self, text: &str) -> anyhow::Result<()> {
        let output = command(&self.binary, &self.env, &self.dir)
            .args(["post", text])
            .output()
            .await?;
        if !output.status.success() {
            bail!(
                "cooperage post failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// Runs `cooperage admin create --username NAME` with the password on standard input.
    pub async fn create_admin(&self, username: &str, password: &str) -> anyhow::Result<()> {
        use tokio::io::AsyncWriteExt;
        let mut child = command(&self.binary, &self.env, &self.dir)
            .args(["admin", "create", "--username", username])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stdin = child.stdin.take().context("no stdin")?;
        stdin.write_all(format!("{password}\n").as_bytes()).await?;
        drop(stdin);
        let output = child.wait_with_output().await?;
        if !output.status.success() {
            bail!(
                "cooperage admin create failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// Which backend the server's database is on.
    pub fn backend(&self) -> Backend {
        match self.db {
            Scratch::Sqlite { .. } => Backend::Sqlite,
            Scratch::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Stops the server with SIGTERM (a graceful shutdown) and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        match tokio::time::timeout(Duration::from_secs(40), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                self.child.kill().await?;
            }
        }
        Ok(())
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

fn command(binary: &Path, env: &[(String, String)], dir: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .current_dir(dir)
        .env_remove("COOPERAGE_CONFIG")
        .env_remove("RUST_LOG")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    command
}

/// A port free right now (the server binds it a moment later).
/// Runs `work` on a connection of its own to the server's database, off the async threads.
pub async fn on_database<T: Send + 'static>(
    url: &str,
    work: impl FnOnce(&mut cooperage_db::AnyConnection) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let target = cooperage_db::DatabaseTarget::parse(url)?;
    tokio::task::spawn_blocking(move || {
        let db = cooperage_db::Database::connect(
            &target,
            cooperage_db::PoolOptions {
                max_connections: 1,
                ..Default::default()
            },
        )?;
        let mut conn = db.get()?;
        work(&mut conn)
    })
    .await?
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}
