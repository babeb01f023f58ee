//! A fresh database per test: a temporary SQLite file, or a PostgreSQL database created for
//! the test and dropped after it. Tests therefore run in parallel with no shared state.

use std::io::Write;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

use cooperage_db::{AnyConnection, Database, DatabaseTarget, PoolOptions};
use diesel::{Connection, PgConnection, RunQueryDsl};

/// Environment variable with the URL of a PostgreSQL server the tests may create databases on.
pub const POSTGRES_ENV: &str = "COOPERAGE_TEST_POSTGRES_URL";

/// A database that exists for one test.
pub enum TestDb {
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
}

impl TestDb {
    /// A new, empty SQLite database file in a temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.sqlite").display());
        TestDb::Sqlite { url, _dir: dir }
    }

    /// A new, empty PostgreSQL database, or `None` when no server is configured.
    pub fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            static SKIP_NOTICE: Once = Once::new();
            SKIP_NOTICE.call_once(|| {
                // Written past the test harness's capture, so the skip is visible.
                let _ = writeln!(
                    std::io::stderr(),
                    "NOTE: {POSTGRES_ENV} is not set: skipping the PostgreSQL half of the suite"
                );
            });
            return None;
        };
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "cooperage_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
            panic!("{POSTGRES_ENV} is set but PostgreSQL is unreachable at {admin_url}: {e}")
        });
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("COOPERAGE_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(TestDb::Postgres {
            url: url.to_string(),
            admin_url,
            name,
        })
    }

    /// Another fresh database on the same backend (for a second instance in one test).
    pub fn sibling(&self) -> Self {
        match self {
            TestDb::Sqlite { .. } => TestDb::sqlite(),
            TestDb::Postgres { .. } => TestDb::postgres().expect("PostgreSQL configured"),
        }
    }

    /// The database URL, as an instance's config takes it.
    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// Opens a pool on this database (without migrating it).
    pub fn connect(&self) -> Database {
        let target = DatabaseTarget::parse(self.url()).expect("test URL");
        Database::connect(
            &target,
            PoolOptions {
                max_connections: 4,
                ..Default::default()
            },
        )
        .expect("connect to test database")
    }

    /// One connection for poking at the database directly.
    pub fn raw_connection(&self) -> AnyConnection {
        match self {
            TestDb::Sqlite { url, .. } => AnyConnection::Sqlite(
                diesel::SqliteConnection::establish(url.trim_start_matches("sqlite://"))
                    .expect("open sqlite"),
            ),
            TestDb::Postgres { url, .. } => {
                AnyConnection::Postgresql(PgConnection::establish(url).expect("open postgres"))
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            // FORCE closes connections an instance under test may still hold.
            if let Ok(mut admin) = PgConnection::establish(admin_url) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut admin);
            }
        }
    }
}
