//! Starting and stopping one instance: database, migrations, HTTP, background work.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use cooperage_db::{Database, PoolOptions};
use cooperage_web::{AppState, InstanceInfo};
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
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Instance {
    /// Opens and migrates the database, then binds `config.http.bind` and serves.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let addr = config.http.bind;
        let db = open_database(&config).await?;
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
        Ok(Self::serve(config, db, listener))
    }

    /// Serves on a listener that is already bound (the test kit binds port 0 first, to know
    /// the port before it chooses the domain).
    pub async fn start_on(config: Config, listener: TcpListener) -> Result<Self, StartError> {
        let db = open_database(&config).await?;
        Ok(Self::serve(config, db, listener))
    }

    fn serve(config: Config, db: Database, listener: TcpListener) -> Self {
        let addr = listener.local_addr().unwrap_or(config.http.bind);
        let shutdown = CancellationToken::new();
        let background = TaskTracker::new();
        let state = AppState {
            db: db.clone(),
            instance: InstanceInfo {
                domain: config.instance.domain.to_string(),
                name: config.instance.name.clone(),
                coop_handle: config.instance.coop_handle.to_string(),
            },
        };
        let app = cooperage_web::router(state);
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            tracing::info!(%addr, domain = %config.instance.domain, "serving");
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .context("HTTP server failed")?;
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
        Self {
            addr,
            db,
            shutdown,
            task,
        }
    }

    /// The address the instance listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The instance's database pool.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// A token that stops the instance when cancelled.
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
