//! The test kit: a fresh database per test on either backend, real instances on loopback,
//! and waiting on conditions with a deadline.

#![allow(dead_code, unused_imports, unused_macros)] // tests and benches use different parts of the kit

pub mod browser;
pub mod db;
mod instance;
pub mod mastodon;
pub mod pages;

use std::future::Future;
use std::time::{Duration, Instant};

use cooperage_app::federation as operations;
use reqwest::Method;
use serde_json::Value;

pub use browser::Browser;
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

/// A request to `instance`'s API as the member with session `cookie`; status and JSON body.
pub async fn call(
    instance: &TestInstance,
    cookie: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = instance
        .http
        .request(method, format!("{}{path}", instance.base))
        .header("cookie", cookie);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Coops that follow each other: `pairs` both ways, waiting until each sees its network.
pub async fn link(pairs: &[(&TestInstance, &TestInstance)]) {
    for (x, y) in pairs {
        operations::follow(x.app(), &y.coop_handle())
            .await
            .expect("follow");
        operations::follow(y.app(), &x.coop_handle())
            .await
            .expect("follow back");
    }
    for (x, y) in pairs {
        for (from, to) in [(x, y), (y, x)] {
            wait_for(
                &format!("{} in {}'s network", to.domain, from.domain),
                DEADLINE,
                || async {
                    let network = operations::network(from.app()).await.unwrap();
                    network
                        .iter()
                        .any(|c| c.ap_id == to.coop_id())
                        .then_some(())
                },
            )
            .await;
        }
    }
}
