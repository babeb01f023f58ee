//! Member accounts: invitation → sign-up → login → token → API, roles, limits, bad input.

use cooperage_app::accounts::{self, NewAccount};
use cooperage_domain::member::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestInstance;

const PASSWORD: &str = TestInstance::PASSWORD;

/// Creates the admin `ana` (as `cooperage admin create` does), with an e-mail address.
async fn admin(instance: &TestInstance) {
    let account = NewAccount {
        username: "ana".into(),
        password: PASSWORD.into(),
        email: Some("Ana@Coop.Example".into()),
        display_name: Some("Ana".into()),
        role: Role::Member,
        is_admin: true,
    };
    accounts::create_member(instance.app(), account)
        .await
        .expect("admin");
}

/// A fresh member invitation from the admin client.
async fn invitation(admin: &mut Client<'_>) -> String {
    let (_, invite) = admin
        .call(
            Method::POST,
            "/api/v1/invitations",
            Some(json!({ "role": "member" })),
        )
        .await;
    invite["invitation"].as_str().unwrap().to_owned()
}

/// A client of the API that keeps the session cookie or a bearer token.
struct Client<'a> {
    instance: &'a TestInstance,
    cookie: Option<String>,
    bearer: Option<String>,
}

impl<'a> Client<'a> {
    fn new(instance: &'a TestInstance) -> Self {
        Self {
            instance,
            cookie: None,
            bearer: None,
        }
    }

    async fn call(&mut self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .instance
            .http
            .request(method, format!("{}{path}", self.instance.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie.as_str());
        }
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn login(&mut self, login: &str, password: &str) -> (u16, Value) {
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({ "login": login, "password": password })),
        )
        .await
    }
}

backend_tests! {
    async fn invitation_signup_login_token_and_api(db) {
        let coop = TestInstance::start(&db).await;
        admin(&coop).await;
        let mut ana = Client::new(&coop);
        let (status, body) = ana.login("ana", PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        assert!(ana.cookie.is_some(), "session cookie set");
        let (status, me) = ana.call(Method::GET, "/api/v1/me", None).await;
        assert_eq!(status, 200);
        assert_eq!((me["username"].as_str(), me["admin"].as_bool()), (Some("ana"), Some(true)));
        assert_eq!(me["email"], "ana@coop.example", "stored lower-cased");

        let (status, invite) = ana
            .call(Method::POST, "/api/v1/invitations", Some(json!({ "role": "candidate" })))
            .await;
        assert_eq!(status, 201, "{invite}");
        let secret = invite["invitation"].as_str().unwrap().to_owned();

        let mut ben = Client::new(&coop);
        let signup = json!({ "invitation": secret, "username": "ben", "password": "a long enough passphrase", "email": "ben@coop.example" });
        let (status, body) = ben.call(Method::POST, "/api/v1/auth/signup", Some(signup.clone())).await;
        assert_eq!(status, 201, "{body}");
        let (status, me) = ben.call(Method::GET, "/api/v1/me", None).await;
        assert_eq!(status, 200);
        assert_eq!(me["role"], "candidate");
        assert!(me["eligible_from"].is_string(), "candidates have a trial end");
        assert!(me["actor_id"].as_str().unwrap().ends_with("/actors/ben"), "a Person actor was made");
        let mut again = signup.clone();
        again["username"] = json!("ben2");
        let (status, body) = Client::new(&coop).call(Method::POST, "/api/v1/auth/signup", Some(again)).await;
        assert_eq!((status, body["field"].as_str()), (422, Some("invitation")), "{body}");

        // Login by e-mail, then a read-only token.
        let mut ben2 = Client::new(&coop);
        assert_eq!(ben2.login("BEN@coop.example", "a long enough passphrase").await.0, 200);
        let (status, token) = ben2.call(Method::POST, "/api/v1/me/tokens", Some(json!({ "name": "script", "scope": "read" }))).await;
        assert_eq!(status, 201, "{token}");
        let mut script = Client::new(&coop);
        script.bearer = Some(token["token"].as_str().unwrap().to_owned());
        assert_eq!(script.call(Method::GET, "/api/v1/me", None).await.0, 200);
        let (status, _) = script.call(Method::PATCH, "/api/v1/me", Some(json!({ "city": "Kassel" }))).await;
        assert_eq!(status, 403, "read-only token cannot write");
        let (status, listed) = ben2.call(Method::GET, "/api/v1/me/tokens", None).await;
        assert_eq!(status, 200);
        assert!(listed.to_string().find("coop_pat_").is_none(), "secrets are never listed");
        let id = token["id"].as_i64().unwrap();
        assert_eq!(ben2.call(Method::DELETE, &format!("/api/v1/me/tokens/{id}"), None).await.0, 204);
        assert_eq!(script.call(Method::GET, "/api/v1/me", None).await.0, 401, "revoked");

        // An admin's password-reset link: the old password stops working, the new one works.
        let (status, reset) = ana.call(Method::POST, "/api/v1/members/ben/password-reset", None).await;
        assert_eq!(status, 200, "{reset}");
        let mut anyone = Client::new(&coop);
        let (status, body) = anyone
            .call(Method::POST, "/api/v1/auth/signup", Some(json!({ "invitation": reset["invitation"], "password": "a brand new passphrase" })))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(Client::new(&coop).login("ben", "a long enough passphrase").await.0, 401);
        let mut ben2 = Client::new(&coop);
        assert_eq!(ben2.login("ben", "a brand new passphrase").await.0, 200);
        // Changing one's password needs the current one.
        let (status, body) = ben2
            .call(Method::POST, "/api/v1/me/password", Some(json!({ "current_password": "wrong", "new_password": "yet another passphrase" })))
            .await;
        assert_eq!((status, body["field"].as_str()), (422, Some("current_password")));
        let (status, _) = ben2
            .call(Method::POST, "/api/v1/me/password", Some(json!({ "current_password": "a brand new passphrase", "new_password": "yet another passphrase" })))
            .await;
        assert_eq!(status, 204);
        assert_eq!(ben2.call(Method::GET, "/api/v1/me", None).await.0, 200, "the session making the change stays");
        assert_eq!(Client::new(&coop).login("ben", "a brand new passphrase").await.0, 401);
        assert_eq!(ben2.login("ben", "yet another passphrase").await.0, 200);

        // Profile edit, then logout ends the session.
        let (status, me) = ben2.call(Method::PATCH, "/api/v1/me", Some(json!({ "city": "Kassel", "display_name": "Ben B.", "bio": "Tischler & <Rustacean>" }))).await;
        assert_eq!(status, 200, "{me}");
        let actor: Value = coop.http.get(format!("http://{}/actors/ben", coop.domain)).header("accept", "application/activity+json")
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(actor["summary"], "<p>Tischler &amp; &lt;Rustacean&gt;</p>", "the bio is the actor's summary, escaped");
        assert_eq!(actor["name"], "Ben B.");
        assert!(actor["attachment"].to_string().contains("Kassel"), "{}", actor["attachment"]);
        assert_eq!((me["city"].as_str(), me["display_name"].as_str()), (Some("Kassel"), Some("Ben B.")));
        let stale_cookie = ben2.cookie.clone();
        assert_eq!(ben2.call(Method::POST, "/api/v1/auth/logout", None).await.0, 204);
        ben2.cookie = stale_cookie;
        assert_eq!(ben2.call(Method::GET, "/api/v1/me", None).await.0, 401);
        coop.stop().await;
    }

    async fn admins_promote_candidates_and_assign_buddies(db) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut config = TestInstance::config(&db, listener.local_addr().unwrap().port());
        config.members.trial_days = 0; // trials end at once, so the candidate is "ready"
        let coop = TestInstance::start_with(config, listener).await;
        admin(&coop).await;
        let mut ana = Client::new(&coop);
        ana.login("ana", PASSWORD).await;
        let (_, invite) = ana.call(Method::POST, "/api/v1/invitations", Some(json!({ "role": "candidate" }))).await;
        let mut cleo = Client::new(&coop);
        let (status, _) = cleo
            .call(Method::POST, "/api/v1/auth/signup", Some(json!({ "invitation": invite["invitation"], "username": "cleo", "password": "another long passphrase" })))
            .await;
        assert_eq!(status, 201);

        let (status, ready) = ana.call(Method::GET, "/api/v1/members/candidates-ready", None).await;
        assert_eq!(status, 200);
        assert_eq!(ready["candidates"][0]["username"], "cleo");
        // A candidate may not change roles, nor see the admin list.
        assert_eq!(cleo.call(Method::PATCH, "/api/v1/members/cleo", Some(json!({ "role": "member" }))).await.0, 403);
        assert_eq!(cleo.call(Method::GET, "/api/v1/members/candidates-ready", None).await.0, 403);
        // The buddy must be a member.
        let (status, body) = ana.call(Method::PATCH, "/api/v1/members/cleo", Some(json!({ "buddy": "cleo" }))).await;
        assert_eq!((status, body["field"].as_str()), (422, Some("buddy")));
        let (status, body) = ana.call(Method::PATCH, "/api/v1/members/cleo", Some(json!({ "buddy": "ana" }))).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = ana.call(Method::PATCH, "/api/v1/members/cleo", Some(json!({ "role": "member" }))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["role"].as_str(), body["eligible_from"].is_null()), (Some("member"), true));
        let (status, body) = ana.call(Method::PATCH, "/api/v1/members/cleo", Some(json!({ "role": "chair" }))).await;
        assert_eq!((status, body["field"].as_str()), (422, Some("role")));
        // Suspended members cannot use their session.
        assert_eq!(ana.call(Method::PATCH, "/api/v1/members/cleo", Some(json!({ "status": "suspended" }))).await.0, 200);
        assert_eq!(cleo.call(Method::GET, "/api/v1/me", None).await.0, 403);
        assert_eq!(cleo.login("cleo", "another long passphrase").await.0, 401);
        coop.stop().await;
    }

    async fn bad_input_and_failed_logins(db) {
        let coop = TestInstance::start(&db).await;
        admin(&coop).await;
        let mut ana = Client::new(&coop);
        ana.login("ana", PASSWORD).await;
        let mut stranger = Client::new(&coop);
        for (username, password, field, status) in [
            ("ana", "a long enough passphrase", "username", 409),
            ("Not Valid", "a long enough passphrase", "username", 422),
            ("dana", "short", "password", 422),
            ("dana", "", "password", 422),
            ("dana", "dana-dana-dana-dana", "password", 422),
        ] {
            let secret = invitation(&mut ana).await;
            let (got, body) = stranger
                .call(Method::POST, "/api/v1/auth/signup", Some(json!({ "invitation": secret, "username": username, "password": password })))
                .await;
            assert_eq!((got, body["field"].as_str()), (status, Some(field)), "{username}/{password}: {body}");
        }
        // A failed sign-up leaves the invitation usable.
        let secret = invitation(&mut ana).await;
        let bad = json!({ "invitation": secret, "username": "dana", "password": "short" });
        assert_eq!(stranger.call(Method::POST, "/api/v1/auth/signup", Some(bad)).await.0, 422);
        let good = json!({ "invitation": secret, "username": "dana", "password": "a long enough passphrase" });
        assert_eq!(stranger.call(Method::POST, "/api/v1/auth/signup", Some(good)).await.0, 201);
        // An expired invitation.
        let expired = cooperage_web::auth::tokens::generate(cooperage_web::auth::tokens::SecretKind::Invitation);
        let hash = expired.hash.clone();
        coop.query(move |conn| {
            let past = cooperage_db::now() - chrono::TimeDelta::hours(1);
            cooperage_db::invitations::create(conn, &cooperage_db::invitations::NewInvitation {
                token_hash: hash, role: Role::Member, is_admin: false, created_by: None,
                member_id: None, expires_at: past, created_at: past - chrono::TimeDelta::days(7),
            })
        })
        .await;
        let (status, body) = stranger
            .call(Method::POST, "/api/v1/auth/signup", Some(json!({ "invitation": expired.secret, "username": "eve", "password": "a long enough passphrase" })))
            .await;
        assert_eq!((status, body["field"].as_str()), (422, Some("invitation")), "{body}");
        assert!(body["message"].as_str().unwrap().contains("expired"), "{body}");
        // An unknown invitation.
        let (status, body) = stranger
            .call(Method::POST, "/api/v1/auth/signup", Some(json!({ "invitation": "coop_inv_nope", "username": "eve", "password": "a long enough passphrase" })))
            .await;
        assert_eq!((status, body["field"].as_str()), (422, Some("invitation")));

        // Wrong password and unknown account answer alike; the sixth try is refused outright.
        let mut attacker = Client::new(&coop);
        let (status, wrong) = attacker.login("ana", "not the password").await;
        let (status2, unknown) = attacker.login("nobody", "not the password").await;
        assert_eq!((status, status2), (401, 401));
        assert_eq!(wrong, unknown, "the answer never tells whether the account exists");
        for _ in 0..4 {
            attacker.login("ana", "still not it").await;
        }
        let (status, body) = attacker.login("ana", PASSWORD).await;
        assert_eq!(status, 429, "{body}");
        coop.stop().await;
    }
}
