//! The connection pool, shared by SQLite and PostgreSQL, usable from async code.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::{Backend, DatabaseTarget, DbError};

/// A connection to either backend; queries written against it run on both.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    // SQLite last, as the derive requires.
    Sqlite(SqliteConnection),
}

/// Pool sizing.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long a query waits for a free connection before failing.
    pub acquire_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// A pool of connections to one database. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    /// SQLite has one writer at a time. Writers queue here, in the process, instead of
    /// contending for the file lock (whose busy handler sleeps milliseconds per retry).
    sqlite_writer: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (and for SQLite creates) the database and fills the pool.
    ///
    /// One connection is made directly first, so that the error a user sees is the driver's
    /// own ("connection refused", "password authentication failed"), not the pool's timeout.
    /// Blocking: call it from `spawn_blocking` or before the runtime is busy.
    pub fn connect(target: &DatabaseTarget, options: PoolOptions) -> Result<Self, DbError> {
        let manager = Manager {
            target: target.clone(),
        };
        if let DatabaseTarget::Sqlite(path) = target
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Connect {
                target: target.redacted(),
                reason: format!("cannot create directory {}: {e}", dir.display()),
            })?;
        }
        let mut first = manager.open()?;
        if let AnyConnection::Sqlite(conn) = &mut first {
            // WAL lets readers work while one writer writes. It is a property of the file, so
            // set it once here: doing it in every new connection races and gives "locked".
            conn.batch_execute("PRAGMA journal_mode = WAL;")
                .map_err(|e| DbError::Connect {
                    target: target.redacted(),
                    reason: e.to_string(),
                })?;
        }
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(options.max_connections)
            .min_idle(Some(1))
            .connection_timeout(options.acquire_timeout)
            .build(manager)
            .map_err(|e| DbError::Connect {
                target: target.redacted(),
                reason: e.to_string(),
            })?;
        let sqlite_writer = (target.backend() == Backend::Sqlite)
            .then(|| std::sync::Arc::new(tokio::sync::Mutex::new(())));
        Ok(Self {
            pool,
            backend: target.backend(),
            sqlite_writer,
        })
    }

    /// Which backend this database runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs blocking database work on the blocking thread pool, so the async runtime keeps
    /// serving while diesel waits on I/O.
    pub async fn run<T, F>(&self, work: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Like [`Database::run`], for work that writes: on SQLite, writers take turns in the
    /// process first. (Writes through `run` are still correct, only slower under contention.)
    pub async fn write<T, F>(&self, work: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, DbError> + Send + 'static,
    {
        let _turn = match &self.sqlite_writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        self.run(work).await
    }

    /// Takes a connection for blocking code (the CLI, tests). Async code uses [`Database::run`].
    pub fn get(&self) -> Result<r2d2::PooledConnection<Manager>, DbError> {
        Ok(self.pool.get()?)
    }
}

/// Opens connections for the pool, with the per-connection settings each backend needs.
#[derive(Debug)]
pub struct Manager {
    target: DatabaseTarget,
}

impl Manager {
    fn open(&self) -> Result<AnyConnection, DbError> {
        let failed = |reason: String| DbError::Connect {
            target: self.target.redacted(),
            reason: one_line(&reason),
        };
        match &self.target {
            DatabaseTarget::Postgres(url) => PgConnection::establish(url)
                .map(AnyConnection::Postgresql)
                .map_err(|e| failed(e.to_string())),
            DatabaseTarget::Sqlite(path) => {
                let path = path
                    .to_str()
                    .ok_or_else(|| failed("path is not UTF-8".into()))?;
                let mut conn =
                    SqliteConnection::establish(path).map_err(|e| failed(e.to_string()))?;
                // synchronous = FULL: with WAL, NORMAL may lose the last commits on power loss,
                // and a commit here is an acknowledged activity or a queued delivery. FULL
                // syncs the WAL on every commit; group commit keeps that to one sync per
                // batch of activities (figures in the hardening note).
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = FULL;",
                )
                .map_err(|e| failed(e.to_string()))?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = DbError;

    fn connect(&self) -> Result<AnyConnection, DbError> {
        self.open()
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), DbError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

/// libpq's messages span several lines; a log line or CLI error should not.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}
