//! End-to-end tests in headless Chromium against real instances over loopback (see
//! `support::browser`): what a member does with the pages, each page visited checked (no
//! console errors, one h1, lang, labelled controls, alt text). Two instances federate for
//! real where the flow crosses coops. Screenshots land in `target/screenshots/`.

mod coops;
mod forms;
mod kit;
mod member;

use cooperage_domain::member::Role;

use crate::support::{TestDb, TestInstance, link};

/// Two coops that follow each other, `nord` (with ana) and `sued` (with bea), both members
/// who vote. The databases live as long as the instances (dropping one drops its database).
pub struct Network {
    pub a: TestInstance,
    pub b: TestInstance,
    _db_b: TestDb,
}

impl Network {
    pub async fn start(db: &TestDb) -> Network {
        let a = TestInstance::start_named(db, "nord").await;
        let db_b = db.sibling();
        let b = TestInstance::start_named(&db_b, "sued").await;
        a.create_account("ana", Role::Member, true).await;
        b.create_account("bea", Role::Member, false).await;
        link(&[(&a, &b)]).await;
        Network { a, b, _db_b: db_b }
    }

    pub async fn stop(self) {
        self.a.stop().await;
        self.b.stop().await;
    }
}

/// An RFC 3339 time `seconds` from now, as `datetime-local` takes it (UTC, to the second).
pub fn in_seconds(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::TimeDelta::seconds(seconds))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}
