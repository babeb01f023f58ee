//! One member, one vote across the network: each coop verifies the voting members of the
//! others, and sees promotions and suspensions on another instance.

use cooperage_app::federation as operations;
use cooperage_domain::member::Role;
use serde_json::json;

use crate::support::{DEADLINE, TestInstance, wait_for};

/// Waits until `observer` holds `expected` as the verdict on `actor` in `coop`.
async fn wait_for_verdict(observer: &TestInstance, actor: &str, coop: &str, expected: bool) {
    wait_for(
        &format!("{} to see {actor} as voting={expected}", observer.domain),
        DEADLINE,
        || async {
            let verdict = cooperage_federation::membership::is_voting_member(
                observer.federation(),
                actor,
                coop,
            )
            .await
            .unwrap();
            (verdict == expected).then_some(())
        },
    )
    .await;
}

backend_tests! {
    async fn three_coops_verify_each_others_voting_members(db) {
        let (db_b, db_c) = (db.sibling(), db.sibling());
        let a = TestInstance::start_named(&db, "nord").await;
        let b = TestInstance::start_named(&db_b, "sued").await;
        let c = TestInstance::start_named(&db_c, "west").await;
        let ana = a.create_account("ana", Role::Member, true).await;
        let cand = a.create_account("cand", Role::Candidate, false).await;
        let bea = b.create_account("bea", Role::Member, false).await;
        let cai = c.create_account("cai", Role::Member, false).await;

        // Everyone follows everyone: the network.
        for (from, to) in [(&a, &b), (&a, &c), (&b, &a), (&b, &c), (&c, &a), (&c, &b)] {
            operations::follow(from.app(), &to.coop_handle()).await.expect("follow");
        }
        for instance in [&a, &b, &c] {
            wait_for("the whole network", DEADLINE, || async {
                (operations::network(instance.app()).await.unwrap().len() == 2).then_some(())
            })
            .await;
        }

        // Each instance verifies the voting members of the other two (and its own).
        for observer in [&a, &b, &c] {
            wait_for_verdict(observer, &ana, &a.coop_id(), true).await;
            wait_for_verdict(observer, &bea, &b.coop_id(), true).await;
            wait_for_verdict(observer, &cai, &c.coop_id(), true).await;
            wait_for_verdict(observer, &cand, &a.coop_id(), false).await;
            // Nobody is a member of a coop that does not attest them.
            wait_for_verdict(observer, &bea, &a.coop_id(), false).await;
        }

        // A promotes its candidate: B and C see it.
        let cookie = a.login_cookie("ana").await;
        let patch = |body: serde_json::Value| {
            a.http
                .patch(format!("{}/api/v1/members/cand", a.base))
                .header("cookie", cookie.as_str())
                .json(&body)
                .send()
        };
        assert_eq!(patch(json!({ "role": "member" })).await.unwrap().status(), 200);
        wait_for_verdict(&b, &cand, &a.coop_id(), true).await;
        wait_for_verdict(&c, &cand, &a.coop_id(), true).await;

        // Then suspends them: they are no longer counted.
        assert_eq!(patch(json!({ "status": "suspended" })).await.unwrap().status(), 200);
        wait_for_verdict(&b, &cand, &a.coop_id(), false).await;
        wait_for_verdict(&c, &cand, &a.coop_id(), false).await;
        assert!(!cooperage_federation::membership::is_voting_member(a.federation(), &cand, &a.coop_id()).await.unwrap());

        for instance in [a, b, c] {
            instance.stop().await;
        }
    }
}
