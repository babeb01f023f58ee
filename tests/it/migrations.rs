//! Migrations run up, down and up again on both backends, and leave the same schema on each.

use std::collections::BTreeSet;
use std::path::Path;

use cooperage_db::migrations;

use crate::support::TestDb;

backend_tests! {
    async fn migrations_run_up_down_and_up_again(db) {
        let pool = db.connect();
        let mut conn = pool.get().expect("connection");
        let up = migrations::run_pending(&mut conn).expect("up");
        assert!(!up.is_empty(), "a fresh database gets every migration");
        let tables = migrations::schema_columns(&mut conn).expect("schema");
        assert!(tables.contains_key("instance"), "{tables:?}");

        let down = migrations::revert_all(&mut conn).expect("down");
        assert_eq!(down.len(), up.len());
        assert!(migrations::schema_columns(&mut conn).expect("schema").is_empty(),
            "down migrations leave no table behind");

        let again = migrations::run_pending(&mut conn).expect("up again");
        assert_eq!(again, up);
        assert_eq!(migrations::schema_columns(&mut conn).expect("schema"), tables);
    }
}

#[test]
fn sqlite_and_postgres_schemas_have_the_same_tables_and_columns() {
    let Some(postgres) = TestDb::postgres() else {
        return;
    };
    let sqlite = TestDb::sqlite();
    let schema_of = |db: &TestDb| {
        let pool = db.connect();
        let mut conn = pool.get().expect("connection");
        migrations::run_pending(&mut conn).expect("migrate");
        migrations::schema_columns(&mut conn).expect("schema")
    };
    let (sqlite_schema, postgres_schema) = (schema_of(&sqlite), schema_of(&postgres));
    assert!(!sqlite_schema.is_empty());
    assert_eq!(sqlite_schema, postgres_schema);
}

#[test]
fn both_migration_folders_have_the_same_versions() {
    let versions = |backend: &str| -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
    // diesel's version is the name up to the first `_`: two folders with one version would
    // run only one of them (two branches once both took `2026-12-02-100000`).
    let mut seen = BTreeSet::new();
    for name in &sqlite {
        let version = name.split('_').next().unwrap_or(name);
        assert!(
            seen.insert(version),
            "two migrations share the version {version}: {name}"
        );
    }
}
