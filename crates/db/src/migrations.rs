//! Embedded migrations, one folder per backend with identical version names.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::{AnyConnection, DbError};

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Applies every migration not yet applied; returns the versions it applied.
pub fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE),
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Reverts every applied migration (tests and disaster recovery only).
pub fn revert_all(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    let reverted = match conn {
        AnyConnection::Sqlite(c) => c.revert_all_migrations(SQLITE),
        AnyConnection::Postgresql(c) => c.revert_all_migrations(POSTGRES),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(reverted.iter().map(ToString::to_string).collect())
}

/// The versions applied to this database, oldest first.
pub fn applied(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    let mut versions = match conn {
        AnyConnection::Sqlite(c) => c.applied_migrations(),
        AnyConnection::Postgresql(c) => c.applied_migrations(),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?
    .iter()
    .map(ToString::to_string)
    .collect::<Vec<_>>();
    versions.sort();
    Ok(versions)
}

/// The tables of this database and their columns, sorted: what the schema-parity check
/// compares between the two backends. Diesel's own bookkeeping table is left out.
pub fn schema_columns(
    conn: &mut AnyConnection,
) -> Result<std::collections::BTreeMap<String, Vec<String>>, DbError> {
    use diesel::sql_types::Text;
    use diesel::{QueryableByName, RunQueryDsl, sql_query};

    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
    }

    let columns: Vec<Column> = match conn {
        AnyConnection::Sqlite(c) => sql_query(
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .load(c)?,
        AnyConnection::Postgresql(c) => sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = current_schema()",
        )
        .load(c)?,
    };
    let mut tables = std::collections::BTreeMap::<String, Vec<String>>::new();
    for column in columns {
        // The documented differences are the full-text index: SQLite's FTS5 tables
        // (`*_fts*`), PostgreSQL's stored tsvector (`search_vector`) with its GIN index.
        if column.table_name != "__diesel_schema_migrations"
            && !column.table_name.contains("_fts")
            && column.column_name != "search_vector"
        {
            tables
                .entry(column.table_name)
                .or_default()
                .push(column.column_name);
        }
    }
    tables.values_mut().for_each(|c| c.sort());
    Ok(tables)
}
