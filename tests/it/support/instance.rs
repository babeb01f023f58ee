//! Real instances on loopback, each on its own port and database.

use cooperage::config::{DatabaseUrl, InstanceDomain};
use cooperage::{Config, Instance};
use tokio::net::TcpListener;

use super::TestDb;

/// The admin API token of test instances.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

/// A running instance and an HTTP client for it.
pub struct TestInstance {
    pub instance: Instance,
    pub base: String,
    pub domain: String,
    pub http: reqwest::Client,
    pub config: Config,
}

impl TestInstance {
    /// The config a test instance runs with: `localhost:<port>` in debug mode, on `db`.
    pub fn config(db: &TestDb, port: u16) -> Config {
        let mut config = Config::default();
        config.instance.domain =
            InstanceDomain::parse(&format!("localhost:{port}")).expect("test domain");
        config.http.bind = ([127, 0, 0, 1], port).into();
        config.database.url = DatabaseUrl::parse(db.url()).expect("test database URL");
        config.database.max_connections = 10;
        // Fast retries and polling, so tests of failure and recovery finish in seconds.
        config.delivery.retry_initial_seconds = 1;
        config.delivery.retry_max_seconds = 2;
        config.delivery.poll_interval_ms = 50;
        config.delivery.lease_seconds = 10;
        config.admin.api_token = ADMIN_TOKEN.into();
        // Proposals: tallies out within a second, not Mastodon's three minutes.
        config.proposals.poll_interval_ms = 100;
        config.proposals.update_interval_seconds = 1;
        config
    }

    /// Starts an instance on a free port.
    pub async fn start(db: &TestDb) -> Self {
        Self::start_named(db, "coop").await
    }

    /// Starts an instance whose coop has the given handle.
    pub async fn start_named(db: &TestDb, handle: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let port = listener.local_addr().expect("local addr").port();
        let mut config = Self::config(db, port);
        config.instance.coop_handle =
            cooperage::config::UsernameValue::parse(handle).expect("handle");
        config.instance.name = format!("Coop {handle}");
        Self::start_with(config, listener).await
    }

    /// Starts an instance in production mode: domain `coop.example`, federation debug off, so
    /// only public https peers may be reached (it is still served on loopback for the test).
    pub async fn start_production(db: &TestDb) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let port = listener.local_addr().expect("local addr").port();
        let mut config = Self::config(db, port);
        config.instance.domain = InstanceDomain::parse("coop.example").expect("domain");
        config.federation.debug = cooperage::config::FederationDebug::Off;
        Self::start_with(config, listener).await
    }

    /// Starts an instance with a config the test adjusted, on a bound listener.
    pub async fn start_with(config: Config, listener: TcpListener) -> Self {
        let domain = config.instance.domain.to_string();
        let instance = Instance::start_on(config.clone(), listener)
            .await
            .expect("instance starts");
        // Addressed by its domain in debug mode, as peers address it: a signature covers the
        // host it was made for, which must be the instance's domain.
        let base = if domain.starts_with("localhost:") {
            format!("http://localhost:{}", instance.addr().port())
        } else {
            format!("http://{}", instance.addr())
        };
        Self {
            instance,
            base,
            domain,
            http: reqwest::Client::new(),
            config,
        }
    }

    /// Stops the instance and starts it again on the same port and database.
    pub async fn restart(self) -> Self {
        let config = self.config.clone();
        self.stop().await;
        let listener = TcpListener::bind(config.http.bind)
            .await
            .expect("rebind after restart");
        Self::start_with(config, listener).await
    }

    /// The federation context (database, settings) of this instance.
    pub fn federation(&self) -> &cooperage_federation::FederationContext {
        self.instance.federation().context()
    }

    /// The application operations (what API and CLI call).
    pub fn app(&self) -> &cooperage_app::App {
        self.instance.app()
    }

    /// Request data for federation operations.
    pub fn data(&self) -> cooperage_federation::Data {
        self.instance.federation().data()
    }

    /// `@coop@localhost:<port>`.
    pub fn coop_handle(&self) -> String {
        format!("@{}@{}", self.config.instance.coop_handle, self.domain)
    }

    /// The coop actor's id.
    pub fn coop_id(&self) -> String {
        format!(
            "http://{}/actors/{}",
            self.domain, self.config.instance.coop_handle
        )
    }

    /// A request to the admin API with the token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(ADMIN_TOKEN)
    }

    /// Runs a database closure on this instance's database.
    pub async fn query<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut cooperage_db::AnyConnection) -> Result<T, cooperage_db::DbError>
        + Send
        + 'static,
    ) -> T {
        self.instance.db().run(work).await.expect("query")
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

    /// GET a path of the admin API; returns status and JSON body.
    pub async fn get_json_with_admin(
        &self,
        path: &str,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let response = self
            .admin(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("JSON body"))
    }

    /// Password of accounts made by [`Self::create_account`].
    pub const PASSWORD: &'static str = "correct horse battery staple";

    /// Creates a member account (as `cooperage admin create` and sign-up do); returns the
    /// member's actor id.
    pub async fn create_account(
        &self,
        username: &str,
        role: cooperage_domain::member::Role,
        admin: bool,
    ) -> String {
        let account = cooperage_app::accounts::NewAccount {
            username: username.into(),
            password: Self::PASSWORD.into(),
            email: None,
            display_name: None,
            role,
            is_admin: admin,
        };
        cooperage_app::accounts::create_member(self.app(), account)
            .await
            .expect("account");
        format!("http://{}/actors/{username}", self.domain)
    }

    /// Logs in an account made by [`Self::create_account`]; returns its `Cookie` header value.
    pub async fn login_cookie(&self, username: &str) -> String {
        let response = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({ "login": username, "password": Self::PASSWORD }))
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), 200, "login as {username}");
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    /// Stops the instance gracefully.
    pub async fn stop(self) {
        self.instance.stop().await.expect("clean shutdown");
    }
}
