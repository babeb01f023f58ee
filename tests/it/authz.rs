//! Who may do what: every API operation against anonymous, candidate, member, admin and a
//! remote actor (a valid HTTP signature is no login). And the OpenAPI document lists exactly
//! the operations the server has.

use std::collections::BTreeSet;

use cooperage_domain::member::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{MastodonPeer, TestInstance};

/// Who calls.
#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    Candidate,
    Member,
    Admin,
    Remote,
}

const CALLERS: [Caller; 5] = [
    Caller::Anonymous,
    Caller::Candidate,
    Caller::Member,
    Caller::Admin,
    Caller::Remote,
];

backend_tests! {
    async fn every_operation_has_the_expected_authorization(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, true).await;
        coop.create_account("max", Role::Member, false).await;
        coop.create_account("cleo", Role::Candidate, false).await;
        let cookies = [coop.login_cookie("cleo").await, coop.login_cookie("max").await, coop.login_cookie("ana").await];
        let peer = MastodonPeer::start(None).await;
        let group: Value = coop
            .http
            .post(format!("{}/api/v1/groups", coop.base))
            .header("cookie", cookies[2].as_str())
            .json(&json!({ "name": "AG Tech", "kind": "working" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let group_id = group["id"].as_i64().unwrap();
        let listing = json!({ "skill": "Rust", "level": "expert", "hours_per_week": 10, "visibility": "coop" });
        let mut listings = Vec::new();
        for cookie in [&cookies[1], &cookies[2]] {
            let made: Value = coop.http.post(format!("{}/api/v1/skills", coop.base)).header("cookie", cookie.as_str())
                .json(&listing).send().await.unwrap().json().await.unwrap();
            listings.push(made["id"].as_i64().expect("listing id"));
        }
        let (max_listing, ana_listing) = (listings[0], listings[1]);
        // A project led by ana (admin), which max (member) and cleo (candidate) are not in,
        // with one ledger entry to reverse.
        let project: Value = coop.http.post(format!("{}/api/v1/projects", coop.base)).header("cookie", cookies[2].as_str())
            .json(&json!({ "name": "Website", "currency": "EUR", "budget": "1000" })).send().await.unwrap().json().await.unwrap();
        let project = project["id"].as_i64().expect("project id");
        let today = chrono::Utc::now().date_naive().to_string();
        let expense = json!({ "kind": "expense", "amount": "10", "date": today });
        let mut entries = Vec::new();
        for _ in 0..2 {
            let entry: Value = coop.http.post(format!("{}/api/v1/projects/{project}/ledger", coop.base)).header("cookie", cookies[2].as_str())
                .json(&expense).send().await.unwrap().json().await.unwrap();
            entries.push(entry["id"].as_i64().expect("entry id"));
        }
        // Two offers from that project (network: with no network yet, they go nowhere).
        let offer_body = json!({ "title": "Rust", "skills": ["Rust"], "estimated_hours": 40, "compensation": "to_be_discussed" });
        let mut offers = Vec::new();
        for _ in 0..2 {
            let offer: Value = coop.http.post(format!("{}/api/v1/projects/{project}/offers", coop.base)).header("cookie", cookies[2].as_str())
                .json(&offer_body).send().await.unwrap().json().await.unwrap();
            offers.push(offer["id"].as_i64().expect("offer id"));
        }
        let (offer, doomed_offer) = (offers[0], offers[1]);
        // A coop proposal opened by ana, open for a day.
        let closes_at = (chrono::Utc::now() + chrono::TimeDelta::days(1)).to_rfc3339();
        let proposal_body = json!({ "title": "New logo?", "kind": "single", "scope": "coop", "options": ["Yes", "No"], "closes_at": closes_at });
        let proposal: Value = coop.http.post(format!("{}/api/v1/proposals", coop.base)).header("cookie", cookies[2].as_str())
            .json(&proposal_body).send().await.unwrap().json().await.unwrap();
        let proposal = proposal["id"].as_i64().unwrap_or_else(|| panic!("proposal id: {proposal}"));
        // A network proposal counted one coop, one vote, whose coop vote a coop proposal decides.
        let per_coop = json!({ "title": "Join the federation?", "kind": "single", "scope": "network", "counting": "coop", "options": ["Yes", "No"], "closes_at": closes_at });
        let per_coop: Value = coop.http.post(format!("{}/api/v1/proposals", coop.base)).header("cookie", cookies[2].as_str())
            .json(&per_coop).send().await.unwrap().json().await.unwrap();
        let per_coop = per_coop["id"].as_i64().expect("per-coop proposal id");
        let decision_closes = (chrono::Utc::now() + chrono::TimeDelta::hours(12)).to_rfc3339();

        // (method, path, body, expected status for: anonymous, candidate, member, admin, remote)
        let matrix: Vec<(Method, String, Option<Value>, [u16; 5])> = vec![
            (Method::GET, "/api/v1/openapi.json".into(), None, [200, 200, 200, 200, 200]),
            (Method::GET, "/api/v1/me".into(), None, [401, 200, 200, 200, 401]),
            (Method::PATCH, "/api/v1/me".into(), Some(json!({ "pronouns": "they/them" })), [401, 200, 200, 200, 401]),
            (Method::GET, "/api/v1/me/tokens".into(), None, [401, 200, 200, 200, 401]),
            (Method::GET, "/api/v1/members".into(), None, [401, 200, 200, 200, 401]),
            (Method::GET, "/api/v1/members/max".into(), None, [401, 200, 200, 200, 401]),
            (Method::PATCH, "/api/v1/members/cleo".into(), Some(json!({ "buddy": "max" })), [401, 403, 403, 200, 401]),
            (Method::GET, "/api/v1/members/candidates-ready".into(), None, [401, 403, 403, 200, 401]),
            (Method::POST, "/api/v1/members/max/password-reset".into(), None, [401, 403, 403, 200, 401]),
            (Method::POST, "/api/v1/invitations".into(), Some(json!({ "role": "member" })), [401, 403, 403, 201, 401]),
            (Method::GET, "/api/v1/skills".into(), None, [401, 200, 200, 200, 401]),
            // Candidates (freelancers on their way in) publish listings too.
            (Method::POST, "/api/v1/skills".into(), Some(listing.clone()), [401, 201, 201, 201, 401]),
            (Method::GET, format!("/api/v1/skills/{max_listing}"), None, [401, 200, 200, 200, 401]),
            // Only its member changes or removes a listing; admins neither.
            (Method::PUT, format!("/api/v1/skills/{max_listing}"), Some(listing.clone()), [401, 403, 200, 403, 401]),
            (Method::DELETE, format!("/api/v1/skills/{ana_listing}"), None, [401, 403, 403, 204, 401]),
            // Projects: members read all, candidates only theirs (others do not exist for them);
            // any member starts one; its members and admins write; its lead and admins change it.
            (Method::GET, "/api/v1/projects".into(), None, [401, 200, 200, 200, 401]),
            (Method::GET, "/api/v1/cockpit".into(), None, [401, 200, 200, 200, 401]),
            (Method::POST, "/api/v1/projects".into(), Some(json!({ "name": "Shop", "currency": "CHF" })), [401, 403, 201, 201, 401]),
            (Method::GET, format!("/api/v1/projects/{project}"), None, [401, 404, 200, 200, 401]),
            (Method::PATCH, format!("/api/v1/projects/{project}"), Some(json!({ "status": "active" })), [401, 404, 403, 200, 401]),
            (Method::GET, format!("/api/v1/projects/{project}/ledger"), None, [401, 404, 200, 200, 401]),
            (Method::GET, format!("/api/v1/projects/{project}/ledger.csv"), None, [401, 404, 200, 200, 401]),
            (Method::POST, format!("/api/v1/projects/{project}/ledger"), Some(expense.clone()), [401, 404, 403, 201, 401]),
            (Method::POST, format!("/api/v1/projects/{project}/time"), Some(json!({ "date": today, "hours": "1" })), [401, 404, 403, 201, 401]),
            (Method::POST, format!("/api/v1/projects/{project}/ledger/{}/reversal", entries[0]), None, [401, 404, 403, 201, 401]),
            // Offers: every member reads the open ones; a project's members and admins publish,
            // change, close and remove its offers and answer applications (candidates outside
            // the project do not see it). One's own coop's offer is not applied to.
            (Method::GET, "/api/v1/offers".into(), None, [401, 200, 200, 200, 401]),
            (Method::GET, format!("/api/v1/offers/{offer}"), None, [401, 200, 200, 200, 401]),
            (Method::GET, "/api/v1/me/applications".into(), None, [401, 200, 200, 200, 401]),
            (Method::POST, format!("/api/v1/projects/{project}/offers"), Some(offer_body.clone()), [401, 404, 403, 201, 401]),
            (Method::PUT, format!("/api/v1/offers/{offer}"), Some(offer_body.clone()), [401, 404, 403, 200, 401]),
            (Method::GET, format!("/api/v1/projects/{project}/applications"), None, [401, 404, 403, 200, 401]),
            (Method::POST, format!("/api/v1/projects/{project}/applications/999999/accept"), None, [401, 404, 403, 404, 401]),
            (Method::POST, format!("/api/v1/projects/{project}/applications/999999/decline"), None, [401, 404, 403, 404, 401]),
            (Method::POST, format!("/api/v1/offers/{offer}/applications"), Some(json!({ "hours_available": 10 })), [401, 409, 409, 409, 401]),
            (Method::DELETE, format!("/api/v1/offers/{offer}/applications/mine"), None, [401, 404, 404, 404, 401]),
            (Method::POST, format!("/api/v1/offers/{offer}/close"), Some(json!({ "status": "filled" })), [401, 404, 403, 200, 401]),
            (Method::DELETE, format!("/api/v1/offers/{doomed_offer}"), None, [401, 404, 403, 204, 401]),
            // Adding cleo lets her see and write it: she then takes herself off again.
            (Method::POST, format!("/api/v1/projects/{project}/members"), Some(json!({ "username": "cleo" })), [401, 404, 403, 204, 401]),
            (Method::POST, format!("/api/v1/projects/{project}/ledger/{}/reversal", entries[1]), None, [401, 201, 403, 422, 401]),
            (Method::DELETE, format!("/api/v1/projects/{project}/members/cleo"), None, [401, 204, 403, 404, 401]),
            // Proposals: candidates see and discuss but neither open nor vote.
            (Method::GET, "/api/v1/proposals".into(), None, [401, 200, 200, 200, 401]),
            (Method::POST, "/api/v1/proposals".into(), Some(proposal_body.clone()), [401, 403, 201, 201, 401]),
            (Method::GET, format!("/api/v1/proposals/{proposal}"), None, [401, 200, 200, 200, 401]),
            (Method::POST, format!("/api/v1/proposals/{proposal}/votes"), Some(json!({ "options": ["Yes"] })), [401, 403, 200, 200, 401]),
            // The first member to open the coop's decision gets it; there is one.
            (Method::POST, format!("/api/v1/proposals/{per_coop}/decision"), Some(json!({ "closes_at": decision_closes })), [401, 403, 201, 409, 401]),
            (Method::GET, format!("/api/v1/proposals/{proposal}/comments"), None, [401, 200, 200, 200, 401]),
            (Method::POST, format!("/api/v1/proposals/{proposal}/comments"), Some(json!({ "text": "Why not?" })), [401, 201, 201, 201, 401]),
            (Method::GET, "/api/v1/groups".into(), None, [401, 200, 200, 200, 401]),
            // Members and candidates (freelancers on their way in) search the directory.
            (Method::GET, "/api/v1/directory?q=rust".into(), None, [401, 200, 200, 200, 401]),
            (Method::POST, "/api/v1/groups".into(), Some(json!({ "name": "City Kassel", "kind": "city" })), [401, 403, 403, 201, 401]),
            // Members join themselves; only admins add others.
            (Method::POST, format!("/api/v1/groups/{group_id}/members"), Some(json!({ "username": "max" })), [401, 403, 204, 204, 401]),
            (Method::DELETE, format!("/api/v1/groups/{group_id}/members/max"), None, [401, 403, 204, 404, 401]),
            (Method::POST, "/api/v1/me/password".into(), Some(json!({ "current_password": "wrong", "new_password": "x" })), [401, 422, 422, 422, 401]),
            (Method::POST, "/api/v1/me/tokens".into(), Some(json!({ "name": "t", "scope": "admin" })), [401, 422, 422, 422, 401]),
            (Method::DELETE, "/api/v1/me/tokens/999999".into(), None, [401, 404, 404, 404, 401]),
            (Method::POST, "/api/v1/auth/login".into(), Some(json!({ "login": "nobody", "password": "wrong" })), [401, 401, 401, 401, 401]),
            (Method::POST, "/api/v1/auth/signup".into(), Some(json!({ "invitation": "coop_inv_x", "username": "zed", "password": "a long enough passphrase" })), [422, 422, 422, 422, 422]),
            (Method::GET, "/api/v1/admin/federation/queue".into(), None, [401, 403, 403, 200, 401]),
            (Method::GET, "/api/v1/admin/federation/network".into(), None, [401, 403, 403, 200, 401]),
            (Method::GET, "/api/v1/admin/federation/hosts".into(), None, [401, 403, 403, 200, 401]),
            (Method::PUT, "/api/v1/admin/federation/hosts/spam.example".into(), Some(json!({ "policy": "block" })), [401, 403, 403, 200, 401]),
            (Method::DELETE, "/api/v1/admin/federation/hosts/spam.example".into(), None, [401, 403, 403, 204, 401]),
            (Method::POST, "/api/v1/admin/federation/follows".into(), Some(json!({ "target": "not a handle" })), [401, 403, 403, 400, 401]),
            (Method::DELETE, "/api/v1/admin/federation/follows".into(), Some(json!({ "target": "not a handle" })), [401, 403, 403, 400, 401]),
            (Method::GET, "/api/v1/admin/follow-requests".into(), None, [401, 403, 403, 200, 401]),
            (Method::POST, "/api/v1/admin/follow-requests/accept".into(), Some(json!({ "follower": "not a handle" })), [401, 403, 403, 400, 401]),
            (Method::PUT, "/api/v1/admin/actors/coop/approval".into(), Some(json!({ "manually_approves_followers": false })), [401, 403, 403, 200, 401]),
            (Method::POST, "/api/v1/admin/announcements".into(), Some(json!({ "text": "Hallo" })), [401, 403, 403, 201, 401]),
            // Last: they end the sessions they are called with.
            (Method::POST, "/api/v1/me/revoke-all".into(), None, [401, 204, 204, 204, 401]),
            (Method::POST, "/api/v1/auth/logout".into(), None, [204, 204, 204, 204, 204]),
        ];
        let mut failures = Vec::new();
        for (method, path, body, expected) in &matrix {
            for (caller, want) in CALLERS.iter().zip(expected) {
                let url = format!("{}{path}", coop.base);
                let mut request = coop.http.request(method.clone(), &url);
                request = match caller {
                    Caller::Anonymous => request,
                    Caller::Candidate => request.header("cookie", cookies[0].as_str()),
                    Caller::Member => request.header("cookie", cookies[1].as_str()),
                    Caller::Admin => request.header("cookie", cookies[2].as_str()),
                    Caller::Remote => {
                        let signed = peer.signed_post(&url, body.as_ref().map(|b| b.to_string().into_bytes()).unwrap_or_default(), None);
                        signed.headers.iter().filter(|(n, _)| n != "host").fold(request, |r, (n, v)| r.header(n.as_str(), v.as_str()))
                    }
                };
                if let Some(body) = body {
                    request = request.json(body);
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                if status != *want {
                    failures.push(format!("{method} {path} as {caller:?}: {status}, expected {want}"));
                } else if status >= 400 {
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    if !body["error"].is_string() || !body["message"].is_string() {
                        failures.push(format!("{method} {path} as {caller:?}: error body {body}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        coop.stop().await;
    }

    async fn the_openapi_document_lists_exactly_the_operations(db) {
        let coop = TestInstance::start(&db).await;
        let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", coop.base)).await.unwrap().json().await.unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut documented = BTreeSet::new();
        for (path, operations) in doc["paths"].as_object().unwrap() {
            for method in operations.as_object().unwrap().keys() {
                documented.insert((method.to_uppercase(), path.clone()));
                // Every documented operation exists: the server does not answer 404 or 405
                // for its route (placeholders filled with values that exist or not).
                let concrete = path
                    .replace("{username}", "nobody")
                    .replace("{id}", "999999")
                    .replace("{host}", "example.org")
                    .replace("{decision}", "accept");
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let status = coop.http.request(method.clone(), format!("{}{concrete}", coop.base)).send().await.unwrap().status();
                assert!(status != 405 && !(status == 404 && !concrete.contains("nobody") && !concrete.contains("999999")),
                    "{method} {path}: {status}");
            }
        }
        // Every route the API declares is documented (read from the routers' sources).
        let mut declared = BTreeSet::new();
        for source in [include_str!("../../crates/web/src/api/mod.rs"), include_str!("../../crates/web/src/admin.rs")] {
            // `.route("/api/v1/…", get(…).post(…))`, possibly spread over lines by rustfmt.
            for declaration in source.split(".route(").skip(1) {
                let declaration = declaration.split(".route(").next().unwrap_or_default();
                let declaration = declaration.split("\n}").next().unwrap_or_default();
                let Some(path) = declaration.split('"').nth(1).filter(|p| p.starts_with("/api/v1")) else { continue };
                let handlers: String = declaration.split_once(',').map(|(_, h)| h).unwrap_or_default().split_whitespace().collect();
                for (method, marker) in [("GET", "get("), ("POST", "post("), ("PATCH", "patch("), ("PUT", "put("), ("DELETE", "delete(")] {
                    if handlers.starts_with(marker) || handlers.contains(&format!(".{marker}")) {
                        declared.insert((method.to_owned(), path.to_owned()));
                    }
                }
            }
        }
        assert!(declared.len() >= 25, "{declared:?}");
        let undocumented: Vec<_> = declared.difference(&documented).collect();
        assert!(undocumented.is_empty(), "routes missing from openapi.json: {undocumented:?}");
        let phantom: Vec<_> = documented.difference(&declared).collect();
        assert!(phantom.is_empty(), "openapi.json documents routes that do not exist: {phantom:?}");
        coop.stop().await;
    }
}
