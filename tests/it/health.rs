//! `GET /healthz` reports the database's state.

use crate::support::TestInstance;
use diesel::RunQueryDsl;

backend_tests! {
    async fn healthz_answers_ok_with_the_backend(db) {
        let instance = TestInstance::start(&db).await;
        let (status, body) = instance.get_json("/healthz").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "ok");
        let expected = if db.url().starts_with("sqlite") { "SQLite" } else { "PostgreSQL" };
        assert_eq!(body["database"]["backend"], expected);
        instance.stop().await;
    }

    async fn healthz_is_503_when_the_database_is_broken(db) {
        let instance = TestInstance::start(&db).await;
        let mut conn = db.raw_connection();
        diesel::sql_query("DROP TABLE instance").execute(&mut conn).expect("drop table");
        let (status, body) = instance.get_json("/healthz").await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["database"]["status"], "error");
        instance.stop().await;
    }
}
