//! Projects and their budgets, inside the coop: nothing here is federated.
//!
//! Who may do what: members (role `member`) and admins read every project; candidates read
//! only projects they are in. A project's members (its lead counts) and admins write its
//! ledger and its member list; its lead and admins change the project itself. Any member
//! (not a candidate) starts a project. The ledger is append-only: a correction is a
//! reversal, a new entry that cancels the one it names.

use chrono::Datelike;
use cooperage_db::AnyConnection;
use cooperage_db::members::{self as member_rows, Member};
use cooperage_db::projects::{self as rows, LedgerEntry, NewEntry, Project, ProjectForm};
use cooperage_db::skills::tags_column;
use cooperage_domain::member::Role;
use cooperage_domain::project::{
    self as rules, Budget, Currency, DecimalError, Entry, EntryKind, Figures, ReversalError,
    Status, TimeError,
};
use cooperage_domain::skill::{self as skill_rules, Day};

use crate::{App, Error};

/// A project as a member writes it; every field is checked, with errors naming the field.
/// Amounts and hours are decimal text ("1234.50", "7.5"): exact, never floats.
#[derive(Debug, Clone, Default)]
pub struct ProjectInput {
    pub name: String,
    pub description: String,
    pub client: Option<String>,
    pub status: String,
    /// `YYYY-MM-DD`, or empty.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// The lead's username; the creator when empty.
    pub lead: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    pub budget: String,
    pub hourly_rate: String,
    pub planned_hours: String,
    /// Free text each, normalized like skill listings' tags.
    pub needed_skills: Vec<String>,
}

/// A change of a project: `None` keeps a field. An empty text clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ProjectChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub client: Option<String>,
    pub status: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub lead: Option<String>,
    pub currency: Option<String>,
    pub budget: Option<String>,
    pub hourly_rate: Option<String>,
    pub planned_hours: Option<String>,
    pub needed_skills: Option<Vec<String>>,
}

/// A project with what its ledger adds up to.
#[derive(Debug, Clone)]
pub struct ProjectView {
    pub project: Project,
    pub currency: Currency,
    pub lead: String,
    /// Usernames of its members (the lead included), by name.
    pub members: Vec<String>,
    pub figures: Figures,
}

impl ProjectView {
    /// Whether `member` may write this project's ledger and member list (what `writable`
    /// checks), for pages that show the forms only to those who may use them.
    pub fn writable_by(&self, member: &Member) -> bool {
        member.is_admin || self.members.contains(&member.username)
    }
}

/// A ledger entry with its people named.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub entry: LedgerEntry,
    /// Who worked (time entries): a username, or `user@domain` for a guest.
    pub worker: Option<String>,
    pub entered_by: String,
    /// The entry that reverses this one, if any.
    pub reversed_by: Option<i64>,
}

/// An income or expense entry as a member writes it.
#[derive(Debug, Clone, Default)]
pub struct MoneyInput {
    /// `income` or `expense`.
    pub kind: String,
    /// Decimal text in the project's currency.
    pub amount: String,
    pub date: String,
    pub category: String,
    pub description: String,
}

/// A time entry as a member writes it.
#[derive(Debug, Clone, Default)]
pub struct TimeInput {
    /// Who worked; the one entering it when empty.
    pub member: Option<String>,
    pub date: String,
    /// Decimal hours ("7.5").
    pub hours: String,
    pub note: String,
}

// ---- who may do what ----

fn can_read_all(member: &Member) -> bool {
    member.is_admin || member.role == Role::Member
}

/// The project, if `member` may read it.
pub(crate) fn readable(
    conn: &mut AnyConnection,
    member: &Member,
    id: i64,
) -> Result<Project, Error> {
    let project = rows::by_id(conn, id)?.ok_or(Error::NotFound)?;
    if can_read_all(member) || rows::is_member(conn, id, member.id)? {
        Ok(project)
    } else {
        // A candidate learns nothing of projects they are not in, not even that they exist.
        Err(Error::NotFound)
    }
}

/// The project, if `member` may write its ledger and members.
pub(crate) fn writable(
    conn: &mut AnyConnection,
    member: &Member,
    id: i64,
) -> Result<Project, Error> {
    let project = readable(conn, member, id)?;
    if member.is_admin || rows::is_member(conn, id, member.id)? {
        Ok(project)
    } else {
        Err(Error::Forbidden(
            "only the project's members and admins change it".into(),
        ))
    }
}

/// The project, if `member` may write its ledger, marked as changed first: on PostgreSQL that
/// holds its row lock until the transaction ends, so writes to one ledger take turns and two
/// time entries cannot both pass the 24-hour check (SQLite's writers take turns anyway).
fn ledger_writable(conn: &mut AnyConnection, member: &Member, id: i64) -> Result<Project, Error> {
    writable(conn, member, id)?;
    rows::touch(conn, id)?;
    rows::by_id(conn, id)?.ok_or(Error::NotFound)
}

// ---- checks ----

fn text(field: &'static str, value: &str, max: usize) -> Result<String, Error> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

fn optional_day(field: &'static str, value: Option<&str>) -> Result<Option<Day>, Error> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => Day::parse(text)
            .map(Some)
            .map_err(|e| Error::invalid(field, e)),
    }
}

fn day(field: &'static str, value: &str) -> Result<Day, Error> {
    Day::parse(value).map_err(|e| Error::invalid(field, e))
}

fn decimal(field: &'static str, result: Result<i64, DecimalError>) -> Result<i64, Error> {
    result.map_err(|e| Error::invalid(field, e.to_string()))
}

fn currency(code: &str) -> Result<Currency, Error> {
    Currency::parse(code.trim()).map_err(|e| Error::invalid("currency", e.to_string()))
}

/// The currency of a stored project (checked when it was written).
fn stored_currency(project: &Project) -> Result<Currency, Error> {
    Currency::parse(&project.currency).map_err(|e| Error::internal("stored currency", e))
}

fn skill_tags(labels: &[String]) -> Result<String, Error> {
    let mut tags: Vec<String> = Vec::new();
    for label in labels {
        let tag = skill_rules::tag(label)
            .map_err(|e| Error::invalid("needed_skills", format!("{label:?} {e}")))?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > rules::MAX_SKILLS {
        return Err(Error::invalid(
            "needed_skills",
            format!("at most {} skills", rules::MAX_SKILLS),
        ));
    }
    Ok(tags_column(&tags))
}

/// Checks a whole project's fields into a form (the lead is resolved by the caller).
fn check(input: &ProjectInput, lead_id: i64) -> Result<ProjectForm, Error> {
    let name = text("name", &input.name, rules::MAX_NAME)?;
    if name.is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    let description = text("description", &input.description, rules::MAX_DESCRIPTION)?;
    let client = match input.client.as_deref() {
        None => None,
        Some(client) => {
            Some(text("client", client, rules::MAX_SHORT_TEXT)?).filter(|c| !c.is_empty())
        }
    };
    let status =
        Status::parse(input.status.trim()).map_err(|e| Error::invalid("status", e.to_string()))?;
    let start = optional_day("start_date", input.start_date.as_deref())?;
    let end = optional_day("end_date", input.end_date.as_deref())?;
    rules::check_dates(start, end).map_err(|e| Error::invalid("end_date", e))?;
    let currency = currency(&input.currency)?;
    let budget = decimal("budget", rules::parse_amount(&input.budget, currency))?;
    let hourly_rate = decimal(
        "hourly_rate",
        rules::parse_amount(&input.hourly_rate, currency),
    )?;
    let planned = decimal("planned_hours", rules::parse_hours(&input.planned_hours))?;
    let now = cooperage_db::now();
    Ok(ProjectForm {
        name,
        description,
        client,
        status,
        start_date: start.map(|d| d.to_string()),
        end_date: end.map(|d| d.to_string()),
        lead_id,
        currency: currency.code.to_owned(),
        budget_minor: budget,
        hourly_rate_minor: hourly_rate,
        planned_hundredths: planned,
        needed_skills: skill_tags(&input.needed_skills)?,
        created_at: now,
        updated_at: now,
    })
}

/// The member named `username`, for a field of a request.
fn member_named(
    conn: &mut AnyConnection,
    field: &'static str,
    username: &str,
) -> Result<Member, Error> {
    member_rows::by_username(conn, username.trim())?
        .ok_or_else(|| Error::invalid(field, "no such member"))
}

fn budget_of(project: &Project) -> Budget {
    Budget {
        total: project.budget_minor,
        hourly_rate: project.hourly_rate_minor,
        planned_hours: project.planned_hundredths,
    }
}

/// A stored entry as the rules see it.
fn rules_entry(entry: &LedgerEntry) -> Result<Entry, Error> {
    Ok(Entry {
        id: entry.id,
        project: entry.project_id,
        kind: entry.kind,
        amount: entry.amount,
        date: Day::parse(&entry.entry_date).map_err(|e| Error::internal("stored date", e))?,
        worker: entry.actor_id,
        reverses: entry.reverses,
    })
}

fn rules_entries(ledger: &[LedgerEntry]) -> Result<Vec<Entry>, Error> {
    ledger.iter().map(rules_entry).collect()
}

/// Today (UTC), the anchor of the forecast.
fn today() -> Day {
    let today = chrono::Utc::now().date_naive();
    Day {
        year: today.year(),
        month: today.month(),
        day: today.day(),
    }
}

/// What `project`'s `ledger` adds up to. Every write checks its totals first, so a failure
/// here is a fault, not a client's mistake.
fn figures_of(project: &Project, ledger: &[LedgerEntry]) -> Result<Figures, Error> {
    rules::figures(budget_of(project), &rules_entries(ledger)?, today())
        .map_err(|e| Error::internal("ledger totals", e))
}

fn view(conn: &mut AnyConnection, project: Project) -> Result<ProjectView, Error> {
    let ledger = rows::ledger(conn, project.id)?;
    let figures = figures_of(&project, &ledger)?;
    let lead = member_rows::by_id(conn, project.lead_id)?
        .map(|m| m.username)
        .unwrap_or_default();
    let mut members = rows::member_names(conn, project.id)?;
    if !members.contains(&lead) {
        members.push(lead.clone());
        members.sort();
    }
    Ok(ProjectView {
        currency: stored_currency(&project)?,
        project,
        lead,
        members,
        figures,
    })
}

// ---- operations ----

/// Whether `member` may start a project: members and admins; candidates take part in them.
pub fn may_start(member: &Member) -> bool {
    member.role == Role::Member || member.is_admin
}

/// A member starts a project; they lead it unless they name another lead, and are one of its
/// members either way.
pub async fn create(app: &App, by: &Member, input: ProjectInput) -> Result<ProjectView, Error> {
    if !may_start(by) {
        return Err(Error::Forbidden(
            "candidates take part in projects; members start them".into(),
        ));
    }
    let by = by.clone();
    app.write(move |conn, _| {
        let lead = match input.lead.as_deref().map(str::trim) {
            None | Some("") => by.clone(),
            Some(name) => member_named(conn, "lead", name)?,
        };
        let form = check(&input, lead.id)?;
        let project = rows::insert(conn, &form)?;
        rows::add_member(conn, project.id, by.id)?;
        rows::add_member(conn, project.id, lead.id)?;
        view(conn, project)
    })
    .await
}

/// The lead or an admin changes a project. The currency stays once the ledger has entries
/// (they are in its minor units).
pub async fn update(
    app: &App,
    by: &Member,
    id: i64,
    change: ProjectChange,
) -> Result<ProjectView, Error> {
    let by = by.clone();
    app.write(move |conn, _| {
        let before = readable(conn, &by, id)?;
        if !by.is_admin && before.lead_id != by.id {
            return Err(Error::Forbidden(
                "only the project's lead and admins change the project".into(),
            ));
        }
        let old_currency = stored_currency(&before)?;
        let lead = match change.lead.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(member_named(conn, "lead", name)?),
        };
        let lead_id = lead.as_ref().map_or(before.lead_id, |l| l.id);
        // The whole project as it would be, checked like a new one.
        let input = ProjectInput {
            name: change.name.unwrap_or(before.name.clone()),
            description: change.description.unwrap_or(before.description.clone()),
            client: change.client.or(before.client.clone()),
            status: change.status.unwrap_or(before.status.as_str().to_owned()),
            start_date: change.start_date.or(before.start_date.clone()),
            end_date: change.end_date.or(before.end_date.clone()),
            lead: None,
            currency: change.currency.unwrap_or(before.currency.clone()),
            budget: change
                .budget
                .unwrap_or_else(|| rules::format_amount(before.budget_minor, old_currency)),
            hourly_rate: change
                .hourly_rate
                .unwrap_or_else(|| rules::format_amount(before.hourly_rate_minor, old_currency)),
            planned_hours: change
                .planned_hours
                .unwrap_or_else(|| rules::format_hours(before.planned_hundredths)),
            needed_skills: change.needed_skills.unwrap_or_else(|| before.skill_list()),
        };
        let mut form = check(&input, lead_id)?;
        let ledger = rows::ledger(conn, id)?;
        if form.currency != before.currency && !ledger.is_empty() {
            return Err(Error::invalid(
                "currency",
                "cannot change once the ledger has entries (they are in its minor units)",
            ));
        }
        form.created_at = before.created_at;
        let budget = Budget {
            total: form.budget_minor,
            hourly_rate: form.hourly_rate_minor,
            planned_hours: form.planned_hundredths,
        };
        if rules::figures(budget, &rules_entries(&ledger)?, today()).is_err() {
            return Err(Error::invalid(
                "hourly_rate",
                "would make the project's totals too large",
            ));
        }
        let project = rows::replace(conn, id, &form)?;
        if let Some(lead) = lead {
            rows::add_member(conn, id, lead.id)?;
        }
        view(conn, project)
    })
    .await
}

/// Projects `by` may read (every one for members, their own for candidates), newest first,
/// with their figures: the list and the cockpit.
pub async fn list(app: &App, by: &Member) -> Result<Vec<ProjectView>, Error> {
    let by = by.clone();
    app.read(move |conn| {
        let projects = if can_read_all(&by) {
            rows::list(conn)?
        } else {
            rows::of_member(conn, by.id)?
        };
        Ok(projects
            .into_iter()
            .map(|p| view(conn, p))
            .collect::<Result<Vec<_>, Error>>())
    })
    .await?
}

/// A project with its figures.
pub async fn show(app: &App, by: &Member, id: i64) -> Result<ProjectView, Error> {
    let by = by.clone();
    app.read(move |conn| Ok(readable(conn, &by, id).and_then(|project| view(conn, project))))
        .await?
}

/// Adds a member to a project (a candidate too: then they see it).
pub async fn add_member(app: &App, by: &Member, id: i64, username: &str) -> Result<(), Error> {
    let (by, username) = (by.clone(), username.to_owned());
    app.write(move |conn, _| {
        writable(conn, &by, id)?;
        let member = member_named(conn, "username", &username)?;
        rows::add_member(conn, id, member.id)?;
        Ok(())
    })
    .await
}

/// Removes a member from a project. The lead stays: change the lead first.
pub async fn remove_member(app: &App, by: &Member, id: i64, username: &str) -> Result<(), Error> {
    let (by, username) = (by.clone(), username.to_owned());
    app.write(move |conn, _| {
        let project = writable(conn, &by, id)?;
        let member = member_rows::by_username(conn, &username)?.ok_or(Error::NotFound)?;
        if member.id == project.lead_id {
            return Err(Error::invalid(
                "username",
                "the lead stays in the project: choose another lead first",
            ));
        }
        if rows::remove_member(conn, id, member.id)? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    })
    .await
}

/// A project's ledger, as written, with its people named.
pub async fn ledger(app: &App, by: &Member, id: i64) -> Result<(Project, Vec<EntryView>), Error> {
    let by = by.clone();
    app.read(move |conn| Ok(ledger_view(conn, &by, id))).await?
}

fn ledger_view(
    conn: &mut AnyConnection,
    by: &Member,
    id: i64,
) -> Result<(Project, Vec<EntryView>), Error> {
    let project = readable(conn, by, id)?;
    let entries = rows::ledger(conn, id)?;
    let (workers, enterers) = rows::ledger_names(conn, id)?;
    let name = |names: &[(i64, String)], id: i64| {
        names
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    // Reversed entry → its reversal, so a long ledger is not searched once per entry.
    let reversed_by: std::collections::HashMap<i64, i64> = entries
        .iter()
        .filter_map(|e| e.reverses.map(|target| (target, e.id)))
        .collect();
    let views = entries
        .iter()
        .map(|entry| EntryView {
            worker: entry.actor_id.map(|a| name(&workers, a)),
            entered_by: name(&enterers, entry.entered_by),
            reversed_by: reversed_by.get(&entry.id).copied(),
            entry: entry.clone(),
        })
        .collect();
    Ok((project, views))
}

/// Appends `entry` after checking that the project's totals still add up.
fn append_checked(
    conn: &mut AnyConnection,
    project: &Project,
    ledger: &[LedgerEntry],
    entry: NewEntry,
    field: &'static str,
) -> Result<LedgerEntry, Error> {
    let mut entries = rules_entries(ledger)?;
    entries.push(Entry {
        id: 0,
        project: project.id,
        kind: entry.kind,
        amount: entry.amount,
        date: day("date", &entry.entry_date)?,
        worker: entry.actor_id,
        reverses: entry.reverses,
    });
    if rules::figures(budget_of(project), &entries, today()).is_err() {
        return Err(Error::invalid(
            field,
            "would make the project's totals too large",
        ));
    }
    match rows::append(conn, &entry) {
        Err(cooperage_db::DbError::Query(e)) if cooperage_db::is_unique_violation(&e) => Err(
            Error::invalid("entry", ReversalError::AlreadyReversed.to_string()),
        ),
        other => Ok(other?),
    }
}

/// Records income or an expense.
pub async fn record_money(
    app: &App,
    by: &Member,
    id: i64,
    input: MoneyInput,
) -> Result<LedgerEntry, Error> {
    let kind = match EntryKind::parse(input.kind.trim()) {
        Ok(kind @ (EntryKind::Income | EntryKind::Expense)) => kind,
        _ => {
            return Err(Error::invalid(
                "kind",
                "must be income or expense (time goes to /time)",
            ));
        }
    };
    let date = day("date", input.date.trim())?;
    let category = text("category", &input.category, rules::MAX_SHORT_TEXT)?;
    let description = text("description", &input.description, rules::MAX_SHORT_TEXT)?;
    let by = by.clone();
    app.write(move |conn, _| {
        let project = ledger_writable(conn, &by, id)?;
        let amount = decimal(
            "amount",
            rules::parse_amount(&input.amount, stored_currency(&project)?),
        )?;
        if amount == 0 {
            return Err(Error::invalid("amount", "must be more than 0"));
        }
        let ledger = rows::ledger(conn, id)?;
        let entry = NewEntry {
            project_id: id,
            kind,
            amount,
            entry_date: date.to_string(),
            category,
            description,
            actor_id: None,
            entered_by: by.id,
            reverses: None,
            created_at: cooperage_db::now(),
        };
        append_checked(conn, &project, &ledger, entry, "amount")
    })
    .await
}

/// Records hours worked by a project member (the one entering them by default).
pub async fn record_time(
    app: &App,
    by: &Member,
    id: i64,
    input: TimeInput,
) -> Result<LedgerEntry, Error> {
    let date = day("date", input.date.trim())?;
    let hours = decimal("hours", rules::parse_hours(&input.hours))?;
    let note = text("note", &input.note, rules::MAX_SHORT_TEXT)?;
    let by = by.clone();
    app.write(move |conn, _| {
        let project = ledger_writable(conn, &by, id)?;
        // A guest from another coop (`user@domain`) whose application was accepted counts too.
        let guest = match input.member.as_deref().map(str::trim) {
            Some(name) if name.contains('@') => Some(
                crate::offers::accepted_guest(conn, id, name)?.ok_or_else(|| {
                    Error::invalid("member", "is not an accepted applicant of this project")
                })?,
            ),
            _ => None,
        };
        let worker_actor = match guest {
            Some(actor) => actor,
            None => {
                let worker = match input.member.as_deref().map(str::trim) {
                    None | Some("") => by.clone(),
                    Some(name) => member_named(conn, "member", name)?,
                };
                if !rows::is_member(conn, id, worker.id)? {
                    return Err(Error::invalid("member", "is not a member of this project"));
                }
                worker.actor_id
            }
        };
        let ledger = rows::ledger(conn, id)?;
        rules::check_time(&rules_entries(&ledger)?, worker_actor, date, hours).map_err(
            |e| match e {
                TimeError::NotPositive | TimeError::MoreThanADay(_) => {
                    Error::invalid("hours", e.to_string())
                }
            },
        )?;
        let entry = NewEntry {
            project_id: id,
            kind: EntryKind::Time,
            amount: hours,
            entry_date: date.to_string(),
            category: String::new(),
            description: note,
            actor_id: Some(worker_actor),
            entered_by: by.id,
            reverses: None,
            created_at: cooperage_db::now(),
        };
        append_checked(conn, &project, &ledger, entry, "hours")
    })
    .await
}

/// Reverses an entry: a new entry with its kind, amount, date and worker that cancels it.
pub async fn reverse(
    app: &App,
    by: &Member,
    id: i64,
    entry_id: i64,
    reason: String,
) -> Result<LedgerEntry, Error> {
    let reason = text("reason", &reason, rules::MAX_SHORT_TEXT)?;
    let by = by.clone();
    app.write(move |conn, _| {
        let project = ledger_writable(conn, &by, id)?;
        let target = rows::entry_by_id(conn, entry_id)?.ok_or(Error::NotFound)?;
        let ledger = rows::ledger(conn, id)?;
        rules::check_reversal(id, &rules_entry(&target)?, &rules_entries(&ledger)?)
            .map_err(|e| Error::invalid("entry", e.to_string()))?;
        let entry = NewEntry {
            project_id: id,
            kind: target.kind,
            amount: target.amount,
            entry_date: target.entry_date.clone(),
            category: target.category.clone(),
            description: reason,
            actor_id: target.actor_id,
            entered_by: by.id,
            reverses: Some(target.id),
            created_at: cooperage_db::now(),
        };
        append_checked(conn, &project, &ledger, entry, "entry")
    })
    .await
}

/// The ledger as CSV (RFC 4180: CRLF line ends, quoting where needed), one row per entry as
/// written. Money in `amount` and time in `hours` are signed: a reversal is negative, so a
/// spreadsheet's column sum is the total.
pub async fn ledger_csv(app: &App, by: &Member, id: i64) -> Result<(Project, String), Error> {
    let (project, entries) = ledger(app, by, id).await?;
    let currency = stored_currency(&project)?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let fault = |e: csv::Error| Error::internal("writing the ledger as CSV", e);
    writer
        .write_record([
            "id",
            "date",
            "kind",
            "amount",
            "currency",
            "hours",
            "category",
            "description",
            "member",
            "entered_by",
            "reverses",
            "created_at",
        ])
        .map_err(fault)?;
    for view in &entries {
        let entry = &view.entry;
        let signed = if entry.reverses.is_some() {
            -entry.amount
        } else {
            entry.amount
        };
        let (amount, hours) = match entry.kind {
            EntryKind::Time => (String::new(), rules::format_hours(signed)),
            _ => (rules::format_amount(signed, currency), String::new()),
        };
        writer
            .write_record([
                entry.id.to_string(),
                entry.entry_date.clone(),
                entry.kind.as_str().to_owned(),
                amount,
                currency.code.to_owned(),
                hours,
                entry.category.clone(),
                entry.description.clone(),
                view.worker.clone().unwrap_or_default(),
                view.entered_by.clone(),
                entry.reverses.map(|r| r.to_string()).unwrap_or_default(),
                entry.created_at.and_utc().to_rfc3339(),
            ])
            .map_err(fault)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::internal("writing the ledger as CSV", e.into_error()))?;
    let csv = String::from_utf8(bytes).map_err(|e| Error::internal("ledger CSV", e))?;
    Ok((project, csv))
}

/// A budget change a proposal carries, checked when the proposal is opened: the project
/// exists and the amount is valid in its currency. Returns the kind and the amount in minor
/// units.
pub(crate) fn check_budget_change(
    conn: &mut AnyConnection,
    project_id: i64,
    kind: &str,
    amount: &str,
) -> Result<(EntryKind, i64), Error> {
    let kind = match EntryKind::parse(kind.trim()) {
        Ok(kind @ (EntryKind::Income | EntryKind::Expense)) => kind,
        _ => return Err(Error::invalid("budget.kind", "must be income or expense")),
    };
    let project = rows::by_id(conn, project_id)?
        .ok_or_else(|| Error::invalid("budget.project_id", "no such project"))?;
    let amount = decimal(
        "budget.amount",
        rules::parse_amount(amount, stored_currency(&project)?),
    )?;
    if amount <= 0 {
        return Err(Error::invalid("budget.amount", "must be more than 0"));
    }
    Ok((kind, amount))
}

/// Appends the budget change of a proposal that passed, dated today, entered by whoever
/// opened the proposal; the description names the proposal.
pub(crate) fn append_decided(
    conn: &mut AnyConnection,
    project_id: i64,
    kind: EntryKind,
    amount: i64,
    category: String,
    description: String,
    entered_by: i64,
) -> Result<LedgerEntry, Error> {
    let project = rows::by_id(conn, project_id)?.ok_or(Error::NotFound)?;
    let ledger = rows::ledger(conn, project_id)?;
    let entry = NewEntry {
        project_id,
        kind,
        amount,
        entry_date: today().to_string(),
        category,
        description,
        actor_id: None,
        entered_by,
        reverses: None,
        created_at: cooperage_db::now(),
    };
    append_checked(conn, &project, &ledger, entry, "amount")
}
