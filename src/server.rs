//! Starting and stopping one instance: database, migrations, HTTP, background work.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cooperage_db::{Database, PoolOptions};
use cooperage_federation::{DeliverySettings, Federation, FederationContext, Settings};
use cooperage_web::AppState;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::Config;

/// How long shutdown waits for background work to finish before giving up on it.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Why an instance could not start. Each has a one-line message for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] cooperage_db::DbError),
    #[error("cannot set up federation: {0}")]
    Federation(#[from] cooperage_federation::Error),
    #[error("{0}")]
    Tls(String),
    #[error("cannot listen on {addr}: {source}{hint}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
        hint: &'static str,
    },
}

/// A running instance: its address, and the handle to stop it.
pub struct Instance {
    addr: SocketAddr,
    db: Database,
    federation: Federation,
    app: cooperage_app::App,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Instance {
    /// Opens and migrates the database, then binds `config.http.bind` and serves.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let addr = config.http.bind;
        let tls = tls_config(&config)?;
        let db = open_database(&config).await?;
        let federation = start_federation(&config, db.clone()).await?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind {
                addr,
                hint: if source.kind() == std::io::ErrorKind::AddrInUse {
                    " (another program, maybe another cooperage, uses this port; set http.bind)"
                } else {
                    ""
                },
                source,
            })?;
        Self::serve(config, db, federation, listener, tls)
    }

    /// Serves on a listener that is already bound (the test kit binds port 0 first, to know
    /// the port before it chooses the domain).
    pub async fn start_on(config: Config, listener: TcpListener) -> Result<Self, StartError> {
        let tls = tls_config(&config)?;
        let db = open_database(&config).await?;
        let federation = start_federation(&config, db.clone()).await?;
        Self::serve(config, db, federation, listener, tls)
    }

    fn serve(
        config: Config,
        db: Database,
        federation: Federation,
        listener: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<Self, StartError> {
        let addr = listener.local_addr().unwrap_or(config.http.bind);
        let shutdown = CancellationToken::new();
        let background = TaskTracker::new();
        cooperage_federation::delivery::spawn(
            federation.context().clone(),
            shutdown.clone(),
            &background,
        );
        let app = cooperage_app::App::new(federation.clone(), account_settings(&config));
        let proposals = (
            config.proposals.settings(),
            cooperage_app::proposals::budget_hook(),
        );
        cooperage_federation::proposals::spawn(
            federation.clone(),
            proposals.0,
            proposals.1,
            shutdown.clone(),
            &background,
        );
        let state = AppState {
            app: app.clone(),
            db: db.clone(),
            federation: federation.clone(),
            admin_token: Some(config.admin.api_token.clone()).filter(|t| !t.is_empty()),
            accounts: cooperage_web::accounts::Accounts {
                limiter: Arc::new(cooperage_web::auth::rate_limit::LoginLimiter::new(
                    Default::default(),
                )),
                secure_cookies: federation_settings(&config).scheme() == "https",
            },
            health: Default::default(),
        };
        let router = cooperage_web::router(state);
        let stop = shutdown.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let options = serve_options(&config);
        let task = tokio::spawn(async move {
            tracing::info!(%addr, scheme, domain = %config.instance.domain, "serving");
            cooperage_web::serve::serve(listener, tls, router, options, stop).await;
            // In-flight requests are done; let background work (deliveries) reach a safe point.
            background.close();
            if tokio::time::timeout(DRAIN_TIMEOUT, background.wait())
                .await
                .is_err()
            {
                tracing::warn!("background work did not finish in time; it resumes on next start");
            }
            tracing::info!("stopped");
            Ok(())
        });
        Ok(Self {
            addr,
            db,
            federation,
            app,
            shutdown,
            task,
        })
    }

    /// The address the instance listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The instance's database pool.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The instance's federation layer.
    pub fn federation(&self) -> &Federation {
        &self.federation
    }

    /// A token that stops the instance when cancelled.
    /// The application operations of this instance (what API and CLI call).
    pub fn app(&self) -> &cooperage_app::App {
        &self.app
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stops accepting, finishes in-flight requests and background work, then returns.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }

    /// Waits until the instance stops (after its shutdown token is cancelled).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("server task panicked")?
    }
}

/// Connects, applies pending migrations, and claims the database for this domain.
pub async fn open_database(config: &Config) -> Result<Database, cooperage_db::DbError> {
    let target = config.database.url.target().clone();
    let options = PoolOptions {
        max_connections: config.database.max_connections,
        ..PoolOptions::default()
    };
    let domain = config.instance.domain.to_string();
    tokio::task::spawn_blocking(move || {
        let db = Database::connect(&target, options)?;
        let mut conn = db.get()?;
        let applied = cooperage_db::migrations::run_pending(&mut conn)?;
        if !applied.is_empty() {
            tracing::info!(?applied, backend = %db.backend(), "applied migrations");
        }
        cooperage_db::instance::claim(&mut conn, &domain)?;
        drop(conn);
        Ok(db)
    })
    .await
    .map_err(|e| cooperage_db::DbError::Task(e.to_string()))?
}

/// Limits of the HTTP server from the config.
pub fn serve_options(config: &Config) -> cooperage_web::serve::ServeOptions {
    let http = &config.http;
    cooperage_web::serve::ServeOptions {
        header_timeout: Duration::from_secs(http.header_timeout_seconds),
        body_timeout: Duration::from_secs(http.body_timeout_seconds),
        max_connections: http.max_connections as usize,
        shutdown_grace: Duration::from_secs(http.shutdown_grace_seconds),
        trusted_proxies: http.trusted_proxies.iter().map(|p| p.net()).collect(),
    }
}

/// The TLS configuration, when `http.tls_cert` and `http.tls_key` are set.
fn tls_config(config: &Config) -> Result<Option<Arc<rustls::ServerConfig>>, StartError> {
    if !config.http.tls() {
        return Ok(None);
    }
    let (cert, key) = (
        Path::new(&config.http.tls_cert),
        Path::new(&config.http.tls_key),
    );
    cooperage_web::tls::server_config(cert, key)
        .map(Some)
        .map_err(StartError::Tls)
}

/// Account settings from the config.
pub fn account_settings(config: &Config) -> cooperage_app::AccountSettings {
    let m = &config.members;
    cooperage_app::AccountSettings {
        trial: Duration::from_secs(u64::from(m.trial_days) * 86_400),
        invitation_validity: Duration::from_secs(u64::from(m.invitation_valid_hours) * 3600),
        session_lifetime: Duration::from_secs(u64::from(m.session_days) * 86_400),
        passwords: cooperage_app::secrets::password::PasswordWork::for_this_machine(),
        directory: config.directory.settings(),
    }
}

/// The application on an open database: federation set up, account settings from config.
pub async fn start_app(config: &Config, db: Database) -> Result<cooperage_app::App, StartError> {
    let federation = start_federation(config, db).await?;
    Ok(cooperage_app::App::new(
        federation,
        account_settings(config),
    ))
}

/// Federation settings from the config.
pub fn federation_settings(config: &Config) -> Settings {
    let d = &config.delivery;
    Settings {
        domain: config.instance.domain.to_string(),
        debug: config.federation_debug(),
        tls: config.http.tls(),
        coop_handle: config.instance.coop_handle.to_string(),
        coop_name: config.instance.name.clone(),
        allowlist_only: config.federation.allowlist_only,
        software_version: env!("CARGO_PKG_VERSION").to_owned(),
        delivery: DeliverySettings {
            concurrency: d.concurrency as usize,
            per_host_concurrency: d.per_host_concurrency as usize,
            retry_initial: Duration::from_secs(d.retry_initial_seconds),
            retry_max: Duration::from_secs(d.retry_max_seconds),
            give_up_after: Duration::from_secs(d.give_up_after_hours * 3600),
            unreachable_after: Duration::from_secs(d.unreachable_after_hours * 3600),
            lease: Duration::from_secs(d.lease_seconds),
            poll_interval: Duration::from_millis(d.poll_interval_ms),
            request_timeout: Duration::from_secs(d.request_timeout_seconds),
        },
    }
}

/// Sets up federation on an open database (creates the coop and instance actors once).
pub async fn start_federation(config: &Config, db: Database) -> Result<Federation, StartError> {
    let context = FederationContext::new(db, federation_settings(config))
        .map_err(cooperage_federation::Error::setup)?;
    Ok(Federation::start(context).await?)
}
