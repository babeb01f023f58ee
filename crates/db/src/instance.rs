//! The instance row: which domain this database belongs to.

use diesel::prelude::*;

use crate::schema::instance;
use crate::{AnyConnection, DbError};

/// Records `domain` as this database's owner on first start, and refuses to serve the
/// database under any other domain afterwards.
pub fn claim(conn: &mut AnyConnection, domain: &str) -> Result<(), DbError> {
    crate::transaction(conn, |conn| {
        let stored: Option<String> = instance::table
            .select(instance::domain)
            .first(conn)
            .optional()?;
        match stored {
            Some(stored) if stored == domain => Ok(()),
            Some(stored) => Err(DbError::WrongInstance {
                stored,
                configured: domain.to_owned(),
            }),
            None => {
                diesel::insert_into(instance::table)
                    .values((
                        instance::id.eq(1),
                        instance::domain.eq(domain),
                        instance::created_at.eq(crate::now()),
                    ))
                    .execute(conn)?;
                Ok(())
            }
        }
    })
}

/// Whether the database answers and has its schema: what `/healthz` reports.
pub fn check_health(conn: &mut AnyConnection) -> Result<(), DbError> {
    instance::table.count().get_result::<i64>(conn)?;
    Ok(())
}

/// Whether the database takes writes (a full disk, a read-only file or a read-only replica
/// fail here while reads still work): rewrites the instance row with itself.
pub fn check_writable(conn: &mut AnyConnection) -> Result<(), DbError> {
    crate::transaction(conn, |conn| {
        diesel::update(instance::table.filter(instance::id.eq(1)))
            .set(instance::domain.eq(instance::domain))
            .execute(conn)?;
        Ok(())
    })
}
