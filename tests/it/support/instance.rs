//! Real instances on loopback, each on its own port and database.

use cooperage::config::{DatabaseUrl, InstanceDomain};
use cooperage::{Config, Instance};
use tokio::net::TcpListener;

use super::TestDb;

/// A running instance and an HTTP client for it.
pub struct TestInstance {
    pub instance: Instance,
    pub base: String,
    pub domain: String,
    pub http: reqwest::Client,
}

impl TestInstance {
    /// The config a test instance runs with: `localhost:<port>` in debug mode, on `db`.
    pub fn config(db: &TestDb, port: u16) -> Config {
        let mut config = Config::default();
        config.instance.domain =
            InstanceDomain::parse(&format!("localhost:{port}")).expect("test domain");
        config.http.bind = ([127, 0, 0, 1], port).into();
        config.database.url = DatabaseUrl::parse(db.url()).expect("test database URL");
        config.database.max_connections = 4;
        config
    }

    /// Starts an instance on a free port.
    pub async fn start(db: &TestDb) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let port = listener.local_addr().expect("local addr").port();
        Self::start_with(Self::config(db, port), listener).await
    }

    /// Starts an instance with a config the test adjusted, on a bound listener.
    pub async fn start_with(config: Config, listener: TcpListener) -> Self {
        let domain = config.instance.domain.to_string();
        let instance = Instance::start_on(config, listener)
            .await
            .expect("instance starts");
        let base = format!("http://{}", instance.addr());
        Self {
            instance,
            base,
            domain,
            http: reqwest::Client::new(),
        }
    }

    /// GET a path and return status and JSON body.
    pub async fn get_json(&self, path: &str) -> (reqwest::StatusCode, serde_json::Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body = response.json().await.expect("JSON body");
        (status, body)
    }

    /// Stops the instance gracefully.
    pub async fn stop(self) {
        self.instance.stop().await.expect("clean shutdown");
    }
}
