//! Projects, their members and their ledger.
//!
//! The ledger is append-only: this module inserts and reads `ledger_entries` and has no
//! function that changes or removes a row (a test greps for one; triggers in the database
//! refuse UPDATE and DELETE too). A correction is a new entry that reverses another.

use chrono::NaiveDateTime;
use cooperage_domain::project::{EntryKind, Status};
use diesel::prelude::*;

use crate::schema::{actors, ledger_entries, members, project_members, projects};
use crate::{AnyConnection, DbError};

/// One project as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = projects)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub client: Option<String>,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    /// `YYYY-MM-DD`.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub lead_id: i64,
    /// ISO 4217 code.
    pub currency: String,
    pub budget_minor: i64,
    pub hourly_rate_minor: i64,
    /// Planned hours, in hundredths.
    pub planned_hundredths: i64,
    /// Space-delimited normalized tags (see [`crate::skills::tags_column`]).
    pub needed_skills: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Project {
    /// The needed skills' tags.
    pub fn skill_list(&self) -> Vec<String> {
        self.needed_skills
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }
}

/// A project to store (new, or replacing one's fields).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = projects, treat_none_as_null = true)]
pub struct ProjectForm {
    pub name: String,
    pub description: String,
    pub client: Option<String>,
    #[diesel(serialize_as = String)]
    pub status: Status,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub lead_id: i64,
    pub currency: String,
    pub budget_minor: i64,
    pub hourly_rate_minor: i64,
    pub planned_hundredths: i64,
    pub needed_skills: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// One ledger entry as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = ledger_entries)]
pub struct LedgerEntry {
    pub id: i64,
    pub project_id: i64,
    #[diesel(deserialize_as = String)]
    pub kind: EntryKind,
    /// Minor units for money, hundredths of an hour for time; always positive.
    pub amount: i64,
    /// `YYYY-MM-DD`.
    pub entry_date: String,
    pub category: String,
    pub description: String,
    /// Who worked (time entries).
    pub actor_id: Option<i64>,
    /// The member who entered it.
    pub entered_by: i64,
    pub reverses: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// A ledger entry to append.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ledger_entries)]
pub struct NewEntry {
    pub project_id: i64,
    #[diesel(serialize_as = String)]
    pub kind: EntryKind,
    pub amount: i64,
    pub entry_date: String,
    pub category: String,
    pub description: String,
    pub actor_id: Option<i64>,
    pub entered_by: i64,
    pub reverses: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// Stores a new project.
pub fn insert(conn: &mut AnyConnection, form: &ProjectForm) -> Result<Project, DbError> {
    // `RETURNING` a whole row does not build through the multi-backend connection; an id does.
    let id: i64 = diesel::insert_into(projects::table)
        .values(form.clone())
        .returning(projects::id)
        .get_result(conn)?;
    by_id(conn, id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// Replaces project `id`'s fields with `form`.
pub fn replace(conn: &mut AnyConnection, id: i64, form: &ProjectForm) -> Result<Project, DbError> {
    diesel::update(projects::table.find(id))
        .set(form.clone())
        .execute(conn)?;
    by_id(conn, id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// Marks the project as changed now. On PostgreSQL this also holds the project's row lock
/// until the transaction ends, so that writes to one project's ledger take turns.
pub fn touch(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    diesel::update(projects::table.find(id))
        .set(projects::updated_at.eq(crate::now()))
        .execute(conn)?;
    Ok(())
}

/// The project with this id.
pub fn by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<Project>, DbError> {
    Ok(projects::table
        .find(id)
        .select(Project::as_select())
        .first(conn)
        .optional()?)
}

/// Every project, newest first.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<Project>, DbError> {
    Ok(projects::table
        .order(projects::id.desc())
        .select(Project::as_select())
        .load(conn)?)
}

/// The projects `member_id` leads or is a member of, newest first.
pub fn of_member(conn: &mut AnyConnection, member_id: i64) -> Result<Vec<Project>, DbError> {
    let joined = project_members::table
        .filter(project_members::member_id.eq(member_id))
        .select(project_members::project_id);
    Ok(projects::table
        .filter(
            projects::lead_id
                .eq(member_id)
                .or(projects::id.eq_any(joined)),
        )
        .order(projects::id.desc())
        .select(Project::as_select())
        .load(conn)?)
}

/// Whether `member_id` is a member of the project (its lead counts as one).
pub fn is_member(
    conn: &mut AnyConnection,
    project_id: i64,
    member_id: i64,
) -> Result<bool, DbError> {
    let lead = projects::table
        .find(project_id)
        .filter(projects::lead_id.eq(member_id))
        .count()
        .get_result::<i64>(conn)?;
    let member = project_members::table
        .filter(project_members::project_id.eq(project_id))
        .filter(project_members::member_id.eq(member_id))
        .count()
        .get_result::<i64>(conn)?;
    Ok(lead + member > 0)
}

/// Adds a member to a project; `false` when they already were.
pub fn add_member(
    conn: &mut AnyConnection,
    project_id: i64,
    member_id: i64,
) -> Result<bool, DbError> {
    crate::insert_if_absent(conn, |conn| {
        diesel::insert_into(project_members::table)
            .values((
                project_members::project_id.eq(project_id),
                project_members::member_id.eq(member_id),
                project_members::added_at.eq(crate::now()),
            ))
            .execute(conn)
    })
}

/// Removes a member from a project; `false` when they were not in it.
pub fn remove_member(
    conn: &mut AnyConnection,
    project_id: i64,
    member_id: i64,
) -> Result<bool, DbError> {
    Ok(diesel::delete(
        project_members::table
            .filter(project_members::project_id.eq(project_id))
            .filter(project_members::member_id.eq(member_id)),
    )
    .execute(conn)?
        > 0)
}

/// The usernames of a project's members (not counting its lead unless added), by name.
pub fn member_names(conn: &mut AnyConnection, project_id: i64) -> Result<Vec<String>, DbError> {
    Ok(project_members::table
        .inner_join(members::table)
        .filter(project_members::project_id.eq(project_id))
        .order(members::username)
        .select(members::username)
        .load(conn)?)
}

/// Appends an entry to a project's ledger.
pub fn append(conn: &mut AnyConnection, entry: &NewEntry) -> Result<LedgerEntry, DbError> {
    let id: i64 = diesel::insert_into(ledger_entries::table)
        .values(entry.clone())
        .returning(ledger_entries::id)
        .get_result(conn)?;
    entry_by_id(conn, id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// The ledger entry with this id (of any project).
pub fn entry_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<LedgerEntry>, DbError> {
    Ok(ledger_entries::table
        .find(id)
        .select(LedgerEntry::as_select())
        .first(conn)
        .optional()?)
}

/// A project's ledger, in the order it was written.
pub fn ledger(conn: &mut AnyConnection, project_id: i64) -> Result<Vec<LedgerEntry>, DbError> {
    Ok(ledger_entries::table
        .filter(ledger_entries::project_id.eq(project_id))
        .order(ledger_entries::id)
        .select(LedgerEntry::as_select())
        .load(conn)?)
}

/// Every ledger entry of every project, by project then as written (the cockpit).
pub fn all_ledgers(conn: &mut AnyConnection) -> Result<Vec<LedgerEntry>, DbError> {
    Ok(ledger_entries::table
        .order((ledger_entries::project_id, ledger_entries::id))
        .select(LedgerEntry::as_select())
        .load(conn)?)
}

/// `(id, name)` pairs.
pub type Names = Vec<(i64, String)>;

/// How each actor and member is named in a ledger: `(actor id, handle)` for workers — the
/// username here, `user@domain` for a guest from another coop — and `(member id,
/// username)` for who entered entries.
pub fn ledger_names(conn: &mut AnyConnection, project_id: i64) -> Result<(Names, Names), DbError> {
    let workers = ledger_entries::table
        .filter(ledger_entries::project_id.eq(project_id))
        .select(ledger_entries::actor_id)
        .distinct()
        .load::<Option<i64>>(conn)?;
    let workers: Vec<i64> = workers.into_iter().flatten().collect();
    let workers = actors::table
        .filter(actors::id.eq_any(workers))
        .select((actors::id, actors::username, actors::domain, actors::local))
        .load::<(i64, String, String, bool)>(conn)?
        .into_iter()
        .map(|(id, username, domain, local)| {
            let handle = if local {
                username
            } else {
                format!("{username}@{domain}")
            };
            (id, handle)
        })
        .collect();
    let enterers = ledger_entries::table
        .filter(ledger_entries::project_id.eq(project_id))
        .select(ledger_entries::entered_by)
        .distinct()
        .load::<i64>(conn)?;
    let enterers = members::table
        .filter(members::id.eq_any(enterers))
        .select((members::id, members::username))
        .load(conn)?;
    Ok((workers, enterers))
}
