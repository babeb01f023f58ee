//! The admin pages over real HTTP: only admins see them (the 403 page for members, the login
//! page for visitors); invitations are made and revoked, roles, trials and buddies changed,
//! groups made and filled; and an admin follows another coop by handle, which shows in the
//! network once it follows back (two real instances).

use cooperage_domain::member::Role;

use crate::support::pages::{HttpBrowser, check_page};
use crate::support::{DEADLINE, TestInstance, wait_for};

const ADMIN_PAGES: [&str; 5] = [
    "/admin",
    "/admin/members",
    "/admin/invitations",
    "/admin/groups",
    "/admin/federation",
];

backend_tests! {
    async fn admin_pages_are_for_admins_only(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("root", Role::Member, true).await;
        coop.create_account("ada", Role::Member, false).await;
        let root = HttpBrowser::login(&coop, "root").await;
        let ada = HttpBrowser::login(&coop, "ada").await;
        for path in ADMIN_PAGES {
            root.open(path, "en").await;
            let refused = ada.get(path).await;
            assert_eq!(refused.status, 403, "{path}");
            check_page(path, &refused, "en");
            assert_eq!(refused.text("h1"), "Not allowed");
            assert_eq!(HttpBrowser::anonymous(&coop).get(path).await.location(), "/login", "{path}");
        }
        // Their forms too, even from our own pages.
        for (path, form) in [
            ("/admin/invitations", vec![("role", "member")]),
            ("/admin/groups", vec![("name", "AG Technik"), ("kind", "working")]),
            ("/admin/federation/hosts", vec![("host", "evil.example"), ("policy", "block")]),
            ("/admin/members/ada", vec![("role", "member"), ("status", "active"), ("admin", "yes")]),
        ] {
            assert_eq!(ada.post(path, &form).await.status, 403, "{path}");
        }
        assert!(root.open("/admin/groups", "en").await.select("[data-group]").is_empty());
        assert!(root.open("/admin/invitations", "en").await.select("[data-invitation]").is_empty());
        assert!(root.open("/admin/members", "en").await.select("#admin-ada[checked]").is_empty(),
            "ada is still no admin");
        // Members see no admin link; admins do.
        assert!(ada.open("/projects", "en").await.select("a[href=\"/admin\"]").is_empty());
        assert_eq!(root.open("/projects", "en").await.select("a[href=\"/admin\"]").len(), 1);
        coop.stop().await;
    }

    async fn admins_invite_revoke_change_roles_and_fill_groups(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("root", Role::Member, true).await;
        coop.create_account("ada", Role::Member, false).await;
        coop.create_account("bob", Role::Member, false).await;
        let root = HttpBrowser::login(&coop, "root").await;

        // An invitation: its link shown once, listed, then revoked.
        let made = root.post("/admin/invitations", &[("role", "candidate"), ("expires_in_hours", "48")]).await;
        assert_eq!(made.status, 201, "{}", made.main_text());
        check_page("/admin/invitations (made)", &made, "en");
        let link = made.attr("#invitation-url", "value").unwrap();
        assert!(link.starts_with(&format!("{}/join#coop_inv_", coop.base)), "{link}");
        let listed = root.open("/admin/invitations", "en").await;
        assert!(listed.select("#invitation-url").is_empty(), "the secret is not shown again");
        assert_eq!(listed.select("[data-invitation]").len(), 1);
        assert!(listed.text("[data-invitation]").starts_with("candidate"), "{}", listed.text("[data-invitation]"));
        let wrong = root.post("/admin/invitations", &[("role", "member"), ("expires_in_hours", "99999")]).await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.text("[role=alert]").contains("Valid for"), "{}", wrong.text("[role=alert]"));
        let id = listed.attr("[data-invitation]", "data-invitation").unwrap();
        let revoked = root.post(&format!("/admin/invitations/{id}/revoke"), &[]).await;
        assert_eq!(revoked.status, 303);
        assert!(root.open("/admin/invitations", "en").await.select("[data-invitation]").is_empty());
        assert_eq!(root.post(&format!("/admin/invitations/{id}/revoke"), &[]).await.status, 404);

        // bob becomes a candidate with ada as buddy: his trial starts.
        let changed = root.post("/admin/members/bob", &[("role", "candidate"), ("status", "active"), ("buddy", "ada")]).await;
        assert_eq!(changed.status, 303, "{}", changed.main_text());
        let members = root.open("/admin/members", "en").await;
        let bob = members.text("[data-member=bob] p.meta");
        assert!(bob.contains("trial ends"), "{bob}");
        assert!(bob.contains("buddy: ada"), "{bob}");
        assert_eq!(members.attr("#role-bob option[selected]", "value").as_deref(), Some("candidate"));
        assert!(members.select("#buddy-ada option[value=ada]").is_empty(), "nobody is their own buddy");
        // A candidate cannot be a buddy; an admin cannot demote themselves.
        let wrong = root.post("/admin/members/ada", &[("role", "member"), ("status", "active"), ("buddy", "bob")]).await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.text("[role=alert]").starts_with("Please check Onboarding buddy:"), "{}", wrong.text("[role=alert]"));
        let wrong = root.post("/admin/members/root", &[("role", "member"), ("status", "active")]).await;
        assert_eq!(wrong.status, 422, "no admin box: demoting oneself");
        let promoted = root.post("/admin/members/bob", &[("role", "member"), ("status", "active"), ("buddy", "")]).await;
        assert_eq!(promoted.status, 303);
        let members = root.open("/admin/members", "en").await;
        assert!(!members.text("[data-member=bob]").contains("trial ends"));

        // A working group with ada in it.
        let made = root.post("/admin/groups", &[("name", "AG Technik"), ("kind", "working"), ("description", "Server & <Netz>")]).await;
        assert_eq!(made.status, 303, "{}", made.main_text());
        let twice = root.post("/admin/groups", &[("name", "AG Technik"), ("kind", "working")]).await;
        assert_eq!(twice.status, 422);
        let groups = root.open("/admin/groups", "en").await;
        let group = groups.attr("[data-group]", "data-group").unwrap();
        assert_eq!(groups.text("[data-group] h3"), "AG Technik · working group");
        assert!(groups.main_text().contains("Server & <Netz>"));
        let added = root.post(&format!("/admin/groups/{group}/members"), &[("username", "ada")]).await;
        assert_eq!(added.status, 303);
        let unknown = root.post(&format!("/admin/groups/{group}/members"), &[("username", "nobody")]).await;
        assert_eq!(unknown.status, 422);
        let groups = root.open("/admin/groups", "en").await;
        assert_eq!(groups.select("[data-group] ul.members li").len(), 1);
        assert!(groups.text("[data-group] ul.members li").starts_with("ada"));
        let removed = root.post(&format!("/admin/groups/{group}/members/ada/remove"), &[]).await;
        assert_eq!(removed.status, 303);
        assert!(root.open("/admin/groups", "en").await.select("[data-group] ul.members li").is_empty());

        // Host policy: block, listed, unblock.
        let blocked = root.post("/admin/federation/hosts", &[("host", "Evil.Example"), ("policy", "block"), ("reason", "spam")]).await;
        assert_eq!(blocked.status, 303);
        let federation = root.open("/admin/federation", "en").await;
        assert_eq!(federation.text("#blocked li"), "evil.example · spam Unblock evil.example");
        let cleared = root.post("/admin/federation/hosts/clear", &[("host", "evil.example")]).await;
        assert_eq!(cleared.status, 303);
        assert!(root.open("/admin/federation", "en").await.select("#blocked li").is_empty());
        coop.stop().await;
    }

    async fn an_admin_follows_a_coop_by_handle_on_the_admin_page(db) {
        let a = TestInstance::start_named(&db, "nord").await;
        let db_b = db.sibling();
        let b = TestInstance::start_named(&db_b, "sued").await;
        a.create_account("root", Role::Member, true).await;
        b.create_account("boss", Role::Member, true).await;
        let root = HttpBrowser::login(&a, "root").await;
        let boss = HttpBrowser::login(&b, "boss").await;
        assert!(root.open("/admin/federation", "en").await.select("#network-list li").is_empty());

        let unknown = root.post("/admin/federation/follow", &[("handle", &format!("@nobody@{}", b.domain))]).await;
        assert_eq!(unknown.status, 422, "{}", unknown.main_text());
        assert!(unknown.text("[role=alert]").starts_with("Please check"));
        assert_eq!(unknown.attr("#handle", "value"), Some(format!("@nobody@{}", b.domain)));

        let followed = root.post("/admin/federation/follow", &[("handle", &b.coop_handle())]).await;
        assert_eq!(followed.status, 200, "{}", followed.main_text());
        check_page("/admin/federation/follow", &followed, "en");
        assert!(followed.text("[role=status]").starts_with(&format!("Follow request sent to @sued@{}", b.domain)),
            "{}", followed.text("[role=status]"));
        // B follows back from its own admin page: the two coops are a network.
        let back = boss.post("/admin/federation/follow", &[("handle", &a.coop_handle())]).await;
        assert_eq!(back.status, 200, "{}", back.main_text());
        let network = wait_for("B in A's network on the admin page", DEADLINE, || async {
            let page = root.get("/admin/federation").await;
            (!page.select("#network-list li").is_empty()).then_some(page)
        }).await;
        check_page("/admin/federation", &network, "en");
        assert_eq!(network.text("#network-list li a"), format!("@sued@{}", b.domain));
        wait_for("A in B's network on the admin page", DEADLINE, || async {
            let page = boss.get("/admin/federation").await;
            (page.text("#network-list li a") == format!("@nord@{}", a.domain)).then_some(())
        }).await;
        // The delivery queue counts what went to B.
        let queue = root.open("/admin/federation", "en").await;
        let delivered = queue.text(&format!("#queue-table tr[data-host=\"{}\"] td:nth-of-type(3)", b.domain));
        assert!(delivered.parse::<i64>().is_ok_and(|n| n >= 1), "{}", queue.text("#queue-table"));
        a.stop().await;
        b.stop().await;
    }
}
