//! The test kit: a fresh database per test on either backend, real instances on loopback,
//! and waiting on conditions with a deadline.

#![allow(dead_code, unused_imports, unused_macros)] // tests and benches use different parts of the kit

pub mod db;
mod instance;
pub mod mastodon;

use std::future::Future;
use std::time::{Duration, Instant};

pub use db::TestDb;
pub use instance::TestInstance;
pub use mastodon::MastodonPeer;

/// Generates each test twice, `sqlite::name` and `postgres::name`, each with its own fresh
/// database. Without COOPERAGE_TEST_POSTGRES_URL the PostgreSQL half returns early (the kit
/// says so once per run); with it, an unreachable server fails the test.
macro_rules! backend_tests {
    ($( async fn $name:ident($db:ident) $body:block )*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $db = $crate::support::TestDb::sqlite();
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some($db) = $crate::support::TestDb::postgres() else { return };
                    $body
                }
            )*
        }
    };
}

/// Default deadline for conditions in tests: generous, since CI machines are slow, and only
/// paid in full when a test is failing anyway.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Polls `condition` until it yields `Some`, failing the test after `deadline`.
pub async fn wait_for<T, F, Fut>(what: &str, deadline: Duration, mut condition: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(value) = condition().await {
            return value;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}
