//! How the Fediverse finds us: WebFinger, host-meta, NodeInfo, actor documents, collections.

use cooperage_federation::local_actors;
use serde_json::Value;

use crate::support::TestInstance;

const AP: &str = "application/activity+json";

async fn get(instance: &TestInstance, path: &str, accept: &str) -> (u16, String, String) {
    let response = instance
        .http
        .get(format!("{}{path}", instance.base))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

async fn get_ap(instance: &TestInstance, path: &str) -> Value {
    let (status, content_type, body) = get(instance, path, AP).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert_eq!(content_type, AP, "{path}");
    serde_json::from_str(&body).unwrap()
}

backend_tests! {
    async fn webfinger_finds_the_coop_and_members_raw_and_encoded(db) {
        let coop = TestInstance::start(&db).await;
        local_actors::ensure_member(coop.federation(), "maria", None).await.unwrap();
        let domain = coop.domain.clone();
        for (user, resource) in [
            ("coop", format!("acct:coop@{domain}")),
            ("coop", format!("acct%3Acoop%40{}", domain.replace(':', "%3A"))),
            ("maria", format!("acct:maria@{domain}")),
            ("coop", coop.coop_id()),
        ] {
            let (status, content_type, body) = get(&coop, &format!("/.well-known/webfinger?resource={resource}"), "application/jrd+json").await;
            assert_eq!(status, 200, "{resource}: {body}");
            assert_eq!(content_type, "application/jrd+json");
            let jrd: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(jrd["subject"], format!("acct:{user}@{domain}"));
            let actor_id = format!("http://{domain}/actors/{user}");
            let links = jrd["links"].as_array().unwrap();
            assert!(links.iter().any(|l| l["rel"] == "self" && l["type"] == AP && l["href"] == actor_id.as_str()), "{jrd}");
            assert!(links.iter().any(|l| l["rel"] == "http://webfinger.net/rel/profile-page"), "{jrd}");
            assert!(jrd["aliases"].as_array().unwrap().contains(&Value::from(actor_id)));
        }
        for (resource, expected) in [
            ("acct:nobody@".to_owned() + &domain, 404),
            ("acct:coop@elsewhere.example".to_owned(), 404),
        ] {
            let (status, _, _) = get(&coop, &format!("/.well-known/webfinger?resource={resource}"), "*/*").await;
            assert_eq!(status, expected, "{resource}");
        }
        let (status, _, body) = get(&coop, "/.well-known/webfinger", "*/*").await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("resource"));
        coop.stop().await;
    }

    async fn actor_documents_are_mastodon_shaped_and_negotiated(db) {
        let coop = TestInstance::start(&db).await;
        local_actors::ensure_member(coop.federation(), "maria", Some("María Okafor".into())).await.unwrap();
        let group = get_ap(&coop, "/actors/coop").await;
        let id = coop.coop_id();
        assert_eq!(group["id"], id.as_str());
        assert_eq!(group["type"], "Group");
        assert_eq!(group["@context"][0], "https://www.w3.org/ns/activitystreams");
        assert_eq!(group["preferredUsername"], "coop");
        assert_eq!(group["inbox"], format!("{id}/inbox"));
        for collection in ["outbox", "followers", "following", "featured"] {
            assert_eq!(group[collection], format!("{id}/{collection}"));
        }
        assert_eq!(group["endpoints"]["sharedInbox"], format!("http://{}/inbox", coop.domain));
        assert_eq!(group["publicKey"]["owner"], id.as_str());
        assert_eq!(group["publicKey"]["id"], format!("{id}#main-key"));
        assert!(group["publicKey"]["publicKeyPem"].as_str().unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(!group.to_string().contains("PRIVATE"), "private keys are never served");

        let person = get_ap(&coop, "/actors/maria").await;
        assert_eq!(person["type"], "Person");
        assert_eq!(person["name"], "María Okafor");
        assert_eq!(person["attachment"][0]["type"], "PropertyValue");
        assert_ne!(person["publicKey"]["publicKeyPem"], group["publicKey"]["publicKeyPem"], "each actor has its own key");

        // application/ld+json with the profile, and without it, also get JSON.
        for accept in ["application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"", "application/ld+json"] {
            let (status, content_type, _) = get(&coop, "/actors/coop", accept).await;
            assert_eq!((status, content_type.as_str()), (200, AP), "{accept}");
        }
        // Browsers get a page.
        let (status, content_type, body) = get(&coop, "/actors/coop", "text/html").await;
        assert_eq!(status, 200);
        assert!(content_type.starts_with("text/html"), "{content_type}");
        assert!(body.contains(&format!("@coop@{}", coop.domain)));
        let (status, _, _) = get(&coop, "/@maria", "text/html").await;
        assert_eq!(status, 200);
        let (status, _, _) = get(&coop, "/actors/nobody", AP).await;
        assert_eq!(status, 404);
        coop.stop().await;
    }

    async fn our_json_ld_context_is_served_at_ns_and_referenced_by_the_coop(db) {
        let coop = TestInstance::start(&db).await;
        // The coop's document names the context by a URL on its own instance ...
        let group = get_ap(&coop, "/actors/coop").await;
        let context_url = format!("http://{}/ns", coop.domain);
        let contexts = group["@context"].as_array().unwrap();
        assert!(contexts.contains(&Value::from(context_url.as_str())), "{group}");
        assert_eq!(contexts[0], "https://www.w3.org/ns/activitystreams", "Mastodon checks it");
        // ... which answers JSON-LD defining `members`, whatever the client accepts.
        for accept in ["application/ld+json", "application/ld+json, application/json", "*/*"] {
            let (status, content_type, body) = get(&coop, "/ns", accept).await;
            assert_eq!((status, content_type.as_str()), (200, "application/ld+json"), "{accept}: {body}");
            let document: Value = serde_json::from_str(&body).unwrap();
            let terms = &document["@context"];
            assert_eq!(terms["members"]["@id"], "cooperage:members", "{document}");
            assert_eq!(terms["members"]["@type"], "@id");
            assert_eq!(terms["cooperage"], cooperage_federation::protocol::context::NAMESPACE);
            // The namespace is fixed: the same IRIs on every instance, whatever its domain.
            assert!(!body.contains(&coop.domain), "{body}");
            for term in ["skill", "hoursPerWeek", "compensation", "applicationDeadline", "countingMode", "quorum"] {
                assert!(terms.get(term).is_some(), "{term} missing: {document}");
            }
        }
        // The Group still defines `members` inline, for processors that fetch no contexts.
        assert!(contexts.iter().any(|c| c.get("members").is_some()), "{group}");
        coop.stop().await;
    }

    async fn nodeinfo_and_host_meta_describe_the_instance(db) {
        let coop = TestInstance::start(&db).await;
        local_actors::ensure_member(coop.federation(), "maria", None).await.unwrap();
        local_actors::ensure_member(coop.federation(), "jo", None).await.unwrap();
        let (status, _, body) = get(&coop, "/.well-known/nodeinfo", "application/json").await;
        assert_eq!(status, 200);
        let links: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(links["links"].as_array().unwrap().len(), 2);
        for version in ["2.0", "2.1"] {
            let (status, content_type, body) = get(&coop, &format!("/nodeinfo/{version}"), "application/json").await;
            assert_eq!(status, 200);
            assert!(content_type.contains(&format!("schema/{version}")), "{content_type}");
            let info: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(info["version"], version);
            assert_eq!(info["software"]["name"], "cooperage");
            assert_eq!(info["openRegistrations"], false);
            assert_eq!(info["usage"]["users"]["total"], 2);
            assert_eq!(info["metadata"]["nodeName"], "Coop coop");
        }
        let (status, _, _) = get(&coop, "/nodeinfo/3.0", "application/json").await;
        assert_eq!(status, 404);
        let (status, content_type, body) = get(&coop, "/.well-known/host-meta", "application/xrd+xml").await;
        assert_eq!(status, 200);
        assert!(content_type.starts_with("application/xrd+xml"));
        assert!(body.contains("rel=\"lrdd\"") && body.contains("/.well-known/webfinger?resource={uri}"), "{body}");
        coop.stop().await;
    }

    async fn collections_count_and_page(db) {
        let coop = TestInstance::start(&db).await;
        for n in 0..23 {
            cooperage_app::posts::publish_note(coop.app(), "coop", &format!("Note {n}")).await.unwrap();
        }
        let outbox = get_ap(&coop, "/actors/coop/outbox").await;
        assert_eq!(outbox["type"], "OrderedCollection");
        assert_eq!(outbox["totalItems"], 23);
        let first = outbox["first"].as_str().unwrap().to_owned();
        let path = first.split_once(&coop.domain).unwrap().1.to_owned();
        let page = get_ap(&coop, &path).await;
        assert_eq!(page["type"], "OrderedCollectionPage");
        assert_eq!(page["orderedItems"].as_array().unwrap().len(), 20);
        assert_eq!(page["orderedItems"][0]["type"], "Create");
        assert_eq!(page["orderedItems"][0]["object"]["content"], "<p>Note 22</p>", "newest first");
        let next = page["next"].as_str().unwrap().split_once(&coop.domain).unwrap().1.to_owned();
        let last = get_ap(&coop, &next).await;
        assert_eq!(last["orderedItems"].as_array().unwrap().len(), 3);
        assert!(last.get("next").is_none());

        // A post is served at its id.
        let note = page["orderedItems"][0]["object"]["id"].as_str().unwrap().split_once(&coop.domain).unwrap().1.to_owned();
        let object = get_ap(&coop, &note).await;
        assert_eq!(object["type"], "Note");

        for collection in ["followers", "following"] {
            let doc = get_ap(&coop, &format!("/actors/coop/{collection}")).await;
            assert_eq!(doc["totalItems"], 0);
            assert!(doc["first"].is_string(), "Mastodon hides collections without `first`");
        }
        let (status, _, _) = get(&coop, "/actors/coop/outbox?page=0", AP).await;
        assert_eq!(status, 400);
        let (status, _, _) = get(&coop, "/actors/coop/likes", AP).await;
        assert_eq!(status, 404);
        coop.stop().await;
    }

    async fn the_admin_api_needs_the_token(db) {
        let coop = TestInstance::start(&db).await;
        let url = format!("{}/api/v1/admin/federation/queue", coop.base);
        let response = coop.http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 401);
        let response = coop.http.get(&url).bearer_auth("wrong-token-wrong-token-wrong").send().await.unwrap();
        assert_eq!(response.status(), 401);
        let (status, body) = coop.get_json_with_admin("/api/v1/admin/federation/queue").await;
        assert_eq!(status, 200, "{body}");
        let response = coop
            .admin(reqwest::Method::POST, "/api/v1/admin/announcements")
            .json(&serde_json::json!({ "text": "   " }))
            .send()
            .await
            .unwrap();
        // A field error, like every other invalid field of the API.
        assert_eq!(response.status(), 422);
        let response = coop
            .admin(reqwest::Method::PUT, "/api/v1/admin/federation/hosts/x.example")
            .json(&serde_json::json!({ "policy": "maybe" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let response = coop
            .admin(reqwest::Method::POST, "/api/v1/admin/federation/follows")
            .json(&serde_json::json!({ "target": "not a handle" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        coop.stop().await;
    }
}
