//! Projects, budgets and the ledger through the API: the whole flow with its figures, the
//! cockpit and the CSV export; who reads and who writes; each field error; and the ledger
//! staying append-only (no code path changes or removes a row, and the database refuses it).

use std::path::Path;

use chrono::{Days, Utc};
use cooperage_domain::member::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestInstance;
use crate::support::call;

/// Calls and expects `want`; returns the body.
async fn expect(
    instance: &TestInstance,
    cookie: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    want: u16,
) -> Value {
    let (status, answer) = call(instance, cookie, method.clone(), path, body).await;
    assert_eq!(status, want, "{method} {path}: {answer}");
    answer
}

fn today() -> String {
    Utc::now().date_naive().to_string()
}

/// Starts a project as the member of `cookie`; returns its id.
async fn start_project(instance: &TestInstance, cookie: &str, extra: Value) -> i64 {
    let mut body = json!({
        "name": "Website Kollektiv Nord", "client": "Kollektiv Nord eG", "status": "active",
        "start_date": "2026-01-01", "end_date": "2027-12-31", "currency": "EUR",
        "budget": "10000", "hourly_rate": "80.00", "planned_hours": "100",
        "needed_skills": ["Rust", "PostgreSQL", "rust"],
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    let project = expect(
        instance,
        cookie,
        Method::POST,
        "/api/v1/projects",
        Some(body),
        201,
    )
    .await;
    project["id"].as_i64().unwrap()
}

fn column_sum(records: &[csv::StringRecord], column: usize) -> i64 {
    // Decimal text with two places, summed exactly as hundredths.
    records
        .iter()
        .filter(|r| !r[column].is_empty())
        .map(|r| {
            let (whole, cents) = r[column].split_once('.').unwrap();
            let sign = if whole.starts_with('-') { -1 } else { 1 };
            whole.parse::<i64>().unwrap() * 100 + sign * cents.parse::<i64>().unwrap()
        })
        .sum()
}

backend_tests! {
    async fn a_project_from_start_to_cockpit_and_csv(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, false).await;
        coop.create_account("max", Role::Member, false).await;
        coop.create_account("cleo", Role::Candidate, false).await;
        let (ana, max, cleo) = (coop.login_cookie("ana").await, coop.login_cookie("max").await, coop.login_cookie("cleo").await);

        let id = start_project(&coop, &ana, json!({})).await;
        let project = expect(&coop, &ana, Method::GET, &format!("/api/v1/projects/{id}"), None, 200).await;
        assert_eq!(project["lead"], "ana");
        assert_eq!(project["members"], json!(["ana"]));
        assert_eq!(project["needed_skills"], json!(["rust", "postgresql"]), "tags, deduplicated");
        assert_eq!((project["budget"].as_str(), project["budget_minor"].as_i64()), (Some("10000.00"), Some(1_000_000)));
        assert_eq!(project["planned_hundredths"], 10_000);

        for name in ["max", "cleo"] {
            expect(&coop, &ana, Method::POST, &format!("/api/v1/projects/{id}/members"), Some(json!({ "username": name })), 204).await;
        }
        let ledger = format!("/api/v1/projects/{id}/ledger");
        let time = format!("/api/v1/projects/{id}/time");
        let day = today();
        expect(&coop, &ana, Method::POST, &ledger, Some(json!({ "kind": "income", "amount": "5000", "date": day, "category": "client", "description": "first instalment" })), 201).await;
        let laptop = expect(&coop, &max, Method::POST, &ledger, Some(json!({ "kind": "expense", "amount": "1200.50", "date": day, "category": "hardware", "description": "Laptop, 15\" screen; \"refurbished\"" })), 201).await;
        assert_eq!((laptop["amount"].as_str(), laptop["amount_minor"].as_i64()), (Some("1200.50"), Some(120_050)));
        expect(&coop, &max, Method::POST, &ledger, Some(json!({ "kind": "expense", "amount": "300", "date": day, "category": "hosting" })), 201).await;
        let hours = expect(&coop, &max, Method::POST, &time, Some(json!({ "date": day, "hours": "7.5", "note": "schema" })), 201).await;
        assert_eq!((hours["hours"].as_str(), hours["hundredths"].as_i64()), (Some("7.50"), Some(750)));
        // A candidate in the project logs their own time; a member logs for a project member.
        expect(&coop, &cleo, Method::POST, &time, Some(json!({ "date": day, "hours": "1.25" }))  , 201).await;
        expect(&coop, &max, Method::POST, &time, Some(json!({ "member": "cleo", "date": day, "hours": "0.75" })), 201).await;

        // The laptop was booked on the wrong project: reversed, not edited.
        let laptop_id = laptop["id"].as_i64().unwrap();
        let reversal = expect(&coop, &ana, Method::POST, &format!("/api/v1/projects/{id}/ledger/{laptop_id}/reversal"), Some(json!({ "reason": "wrong project" })), 201).await;
        assert_eq!(reversal["reverses"], laptop_id);
        assert_eq!(reversal["amount"], "1200.50");

        // Figures: labour is 9.5 h at 80.00; the reversed laptop counts for nothing.
        let project = expect(&coop, &max, Method::GET, &format!("/api/v1/projects/{id}"), None, 200).await;
        let figures = &project["figures"];
        assert_eq!(figures["received"], "5000.00");
        assert_eq!(figures["expenses"], "300.00");
        assert_eq!(figures["labour"], "760.00");
        assert_eq!(figures["spent"], "1060.00");
        assert_eq!((figures["remaining"].as_str(), figures["remaining_minor"].as_i64()), (Some("8940.00"), Some(894_000)));
        assert_eq!((figures["hours_logged"].as_str(), figures["hours_planned"].as_str()), (Some("9.50"), Some("100.00")));
        assert_eq!(figures["burn_per_month"], json!([{ "month": &day[..7], "spent": "1060.00", "spent_minor": 106_000 }]));
        // 1060.00 in the last 90 days: 8940.00 more last ceil(8940 * 90 / 1060) = 760 days.
        let runs_out = Utc::now().date_naive().checked_add_days(Days::new(760)).unwrap().to_string();
        assert_eq!(figures["forecast"], json!({ "state": "runs_out", "date": runs_out }));

        // The ledger shows everything as written, the reversal linked both ways.
        let entries = expect(&coop, &cleo, Method::GET, &ledger, None, 200).await["entries"].as_array().unwrap().clone();
        assert_eq!(entries.len(), 7);
        let original = entries.iter().find(|e| e["id"] == laptop_id).unwrap();
        assert_eq!(original["reversed_by"], reversal["id"]);
        assert_eq!(original["entered_by"], "max");
        let logged_for_cleo = entries.iter().find(|e| e["hours"] == "0.75").unwrap();
        assert_eq!((logged_for_cleo["member"].as_str(), logged_for_cleo["entered_by"].as_str()), (Some("cleo"), Some("max")));

        // The cockpit has a line for it.
        let cockpit = expect(&coop, &max, Method::GET, "/api/v1/cockpit", None, 200).await;
        let line = cockpit["projects"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap().clone();
        assert_eq!(
            (line["status"].as_str(), line["budget"].as_str(), line["spent"].as_str(), line["remaining"].as_str(), line["hours_logged"].as_str()),
            (Some("active"), Some("10000.00"), Some("1060.00"), Some("8940.00"), Some("9.50"))
        );

        // CSV: RFC 4180, read back with a CSV parser; signed columns sum to the totals.
        let response = coop.http.get(format!("{}/api/v1/projects/{id}/ledger.csv", coop.base)).header("cookie", max.as_str()).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = response.text().await.unwrap();
        assert!(text.contains("\r\n"), "CRLF line ends");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header, ["id", "date", "kind", "amount", "currency", "hours", "category", "description", "member", "entered_by", "reverses", "created_at"]);
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 7);
        let laptop_rows: Vec<_> = records.iter().filter(|r| &r[6] == "hardware").collect();
        assert_eq!(laptop_rows.len(), 2);
        assert_eq!(&laptop_rows[0][7], "Laptop, 15\" screen; \"refurbished\"", "quotes and commas survive");
        assert_eq!((&laptop_rows[0][3], &laptop_rows[1][3]), ("1200.50", "-1200.50"));
        assert_eq!(&laptop_rows[1][10], laptop_id.to_string());
        let money: Vec<_> = records.iter().filter(|r| &r[2] == "expense").cloned().collect();
        assert_eq!(column_sum(&money, 3), 30_000);
        assert_eq!(column_sum(&records, 5), 950);

        // The lead changes the project; a member who does not lead it cannot.
        let changed = expect(&coop, &ana, Method::PATCH, &format!("/api/v1/projects/{id}"), Some(json!({ "status": "paused", "hourly_rate": "90", "client": "" })), 200).await;
        assert_eq!((changed["status"].as_str(), changed["client"].as_str()), (Some("paused"), None));
        assert_eq!(changed["figures"]["labour"], "855.00");
        assert_eq!(changed["name"], "Website Kollektiv Nord", "absent fields stay");
        expect(&coop, &max, Method::PATCH, &format!("/api/v1/projects/{id}"), Some(json!({ "status": "done" })), 403).await;
        // Handing the lead over makes the new lead a member, who may then change it.
        expect(&coop, &ana, Method::PATCH, &format!("/api/v1/projects/{id}"), Some(json!({ "lead": "max" })), 200).await;
        expect(&coop, &max, Method::PATCH, &format!("/api/v1/projects/{id}"), Some(json!({ "status": "active" })), 200).await;

        // Taking the candidate off the project hides it from them again.
        expect(&coop, &ana, Method::DELETE, &format!("/api/v1/projects/{id}/members/cleo"), None, 204).await;
        expect(&coop, &cleo, Method::GET, &format!("/api/v1/projects/{id}"), None, 404).await;
        let (_, cleo_list) = call(&coop, &cleo, Method::GET, "/api/v1/projects", None).await;
        assert_eq!(cleo_list["projects"], json!([]));
        // Her hours stay in the ledger.
        let entries = expect(&coop, &ana, Method::GET, &ledger, None, 200).await;
        assert_eq!(entries["entries"].as_array().unwrap().len(), 7);
        coop.stop().await;
    }

    async fn members_read_project_members_and_admins_write(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, false).await;
        coop.create_account("max", Role::Member, false).await;
        coop.create_account("cleo", Role::Candidate, false).await;
        coop.create_account("dora", Role::Candidate, false).await;
        coop.create_account("root", Role::Member, true).await;
        let [ana, max, cleo, dora, root] = [
            coop.login_cookie("ana").await, coop.login_cookie("max").await, coop.login_cookie("cleo").await,
            coop.login_cookie("dora").await, coop.login_cookie("root").await,
        ];
        let id = start_project(&coop, &ana, json!({})).await;
        let other = start_project(&coop, &max, json!({ "name": "Other" })).await;
        expect(&coop, &ana, Method::POST, &format!("/api/v1/projects/{id}/members"), Some(json!({ "username": "cleo" })), 204).await;
        let path = format!("/api/v1/projects/{id}");
        let ledger = format!("{path}/ledger");
        let expense = json!({ "kind": "expense", "amount": "10", "date": today() });

        // Members read every project, including ones they are not in, but do not write them.
        expect(&coop, &max, Method::GET, &path, None, 200).await;
        expect(&coop, &max, Method::GET, &ledger, None, 200).await;
        expect(&coop, &max, Method::POST, &ledger, Some(expense.clone()), 403).await;
        expect(&coop, &max, Method::POST, &format!("{path}/time"), Some(json!({ "date": today(), "hours": "1" })), 403).await;
        expect(&coop, &max, Method::POST, &format!("{path}/members"), Some(json!({ "username": "max" })), 403).await;
        // Candidates see only the projects they are in: the others do not exist for them.
        let (_, listed) = call(&coop, &cleo, Method::GET, "/api/v1/projects", None).await;
        let ids: Vec<_> = listed["projects"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [id]);
        expect(&coop, &cleo, Method::GET, &format!("/api/v1/projects/{other}"), None, 404).await;
        expect(&coop, &dora, Method::GET, &path, None, 404).await;
        expect(&coop, &dora, Method::GET, &format!("{path}/ledger.csv"), None, 404).await;
        let (_, cockpit) = call(&coop, &dora, Method::GET, "/api/v1/cockpit", None).await;
        assert_eq!(cockpit["projects"], json!([]));
        // A candidate in the project writes its ledger; candidates do not start projects.
        expect(&coop, &cleo, Method::POST, &ledger, Some(expense.clone()), 201).await;
        expect(&coop, &cleo, Method::POST, "/api/v1/projects", Some(json!({ "name": "Mine", "currency": "EUR" })), 403).await;
        // Only the lead and admins change the project; members of it do not.
        expect(&coop, &cleo, Method::PATCH, &path, Some(json!({ "status": "done" })), 403).await;
        // Admins write any project.
        expect(&coop, &root, Method::POST, &ledger, Some(expense.clone()), 201).await;
        expect(&coop, &root, Method::PATCH, &path, Some(json!({ "status": "done" })), 200).await;
        // Time only for members of the project.
        let (status, error) = call(&coop, &root, Method::POST, &format!("{path}/time"), Some(json!({ "member": "dora", "date": today(), "hours": "1" }))).await;
        assert_eq!((status, error["field"].as_str()), (422, Some("member")), "{error}");
        // A read-only token reads but does not write.
        let (_, token) = call(&coop, &ana, Method::POST, "/api/v1/me/tokens", Some(json!({ "name": "ro", "scope": "read" }))).await;
        let token = token["token"].as_str().expect("token").to_owned();
        let read = coop.http.get(format!("{}{ledger}", coop.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(read.status(), 200);
        let write = coop.http.post(format!("{}{ledger}", coop.base)).bearer_auth(&token).json(&expense).send().await.unwrap();
        assert_eq!(write.status(), 403);
        let entries = expect(&coop, &ana, Method::GET, &ledger, None, 200).await;
        assert_eq!(entries["entries"].as_array().unwrap().len(), 2, "only the allowed writes are in the ledger");
        coop.stop().await;
    }

    async fn invalid_projects_and_entries_are_refused_with_the_field(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, false).await;
        let ana = coop.login_cookie("ana").await;
        let base = json!({ "name": "Shop", "currency": "EUR", "budget": "100" });
        let with = |change: Value| {
            let mut body = base.clone();
            for (key, value) in change.as_object().unwrap() {
                body[key] = value.clone();
            }
            body
        };
        for (change, field) in [
            (json!({ "currency": "EURO" }), "currency"),
            (json!({ "currency": "eur" }), "currency"),
            (json!({ "currency": "XAU" }), "currency"),
            (json!({ "start_date": "2027-02-01", "end_date": "2027-01-31" }), "end_date"),
            (json!({ "end_date": "2027-02-30" }), "end_date"),
            (json!({ "budget": "99999999999999999999" }), "budget"),
            (json!({ "budget": "12.345" }), "budget"),
            (json!({ "budget": "-1" }), "budget"),
            (json!({ "currency": "JPY", "budget": "100.5" }), "budget"),
            (json!({ "hourly_rate": "1e3" }), "hourly_rate"),
            (json!({ "planned_hours": "-10" }), "planned_hours"),
            (json!({ "status": "archived" }), "status"),
            (json!({ "name": " " }), "name"),
            (json!({ "lead": "nobody" }), "lead"),
            (json!({ "needed_skills": ["---"] }), "needed_skills"),
        ] {
            let (status, error) = call(&coop, &ana, Method::POST, "/api/v1/projects", Some(with(change.clone()))).await;
            assert_eq!((status, error["field"].as_str()), (422, Some(field)), "{change}: {error}");
        }
        let (_, listed) = call(&coop, &ana, Method::GET, "/api/v1/projects", None).await;
        assert_eq!(listed["projects"], json!([]), "nothing stored");

        let id = start_project(&coop, &ana, json!({})).await;
        let path = format!("/api/v1/projects/{id}");
        let day = today();
        let time = format!("{path}/time");
        let ledger = format!("{path}/ledger");
        expect(&coop, &ana, Method::POST, &time, Some(json!({ "date": day, "hours": "16" })), 201).await;
        for (url, body, field) in [
            (&time, json!({ "date": day, "hours": "-2" }), "hours"),
            (&time, json!({ "date": day, "hours": "0" }), "hours"),
            (&time, json!({ "date": day, "hours": "1.255" }), "hours"),
            (&time, json!({ "date": "2027-2-1", "hours": "1" }), "date"),
            // 16 h are logged that day: 8.01 more make more than 24.
            (&time, json!({ "date": day, "hours": "8.01" }), "hours"),
            (&time, json!({ "date": "2026-06-01", "hours": "24.01" }), "hours"),
            (&ledger, json!({ "kind": "expense", "amount": "-5", "date": day }), "amount"),
            (&ledger, json!({ "kind": "expense", "amount": "0", "date": day }), "amount"),
            (&ledger, json!({ "kind": "expense", "amount": "1.001", "date": day }), "amount"),
            (&ledger, json!({ "kind": "time", "amount": "1", "date": day }), "kind"),
            (&ledger, json!({ "kind": "income", "amount": "1", "date": "yesterday" }), "date"),
        ] {
            let (status, error) = call(&coop, &ana, Method::POST, url, Some(body.clone())).await;
            assert_eq!((status, error["field"].as_str()), (422, Some(field)), "{body}: {error}");
        }
        // Exactly 24 h that day is fine.
        expect(&coop, &ana, Method::POST, &time, Some(json!({ "date": day, "hours": "8" })), 201).await;

        // Amounts whose totals overflow: the largest amount is stored, one cent more is not.
        expect(&coop, &ana, Method::POST, &ledger, Some(json!({ "kind": "income", "amount": "92233720368547758.07", "date": day })), 201).await;
        let (status, error) = call(&coop, &ana, Method::POST, &ledger, Some(json!({ "kind": "income", "amount": "0.01", "date": day }))).await;
        assert_eq!((status, error["field"].as_str()), (422, Some("amount")), "{error}");
        // An hourly rate that would make the labour overflow.
        let (status, error) = call(&coop, &ana, Method::PATCH, &path, Some(json!({ "hourly_rate": "92233720368547758.07" }))).await;
        assert_eq!((status, error["field"].as_str()), (422, Some("hourly_rate")), "{error}");
        // The currency stays once there are entries; dates are checked on change too.
        let (status, error) = call(&coop, &ana, Method::PATCH, &path, Some(json!({ "currency": "CHF" }))).await;
        assert_eq!((status, error["field"].as_str()), (422, Some("currency")), "{error}");
        let (status, error) = call(&coop, &ana, Method::PATCH, &path, Some(json!({ "end_date": "2025-12-31" }))).await;
        assert_eq!((status, error["field"].as_str()), (422, Some("end_date")), "{error}");

        // Reversals: not of another project's entry, not twice, not of a reversal.
        let other = start_project(&coop, &ana, json!({ "name": "Other" })).await;
        let foreign = expect(&coop, &ana, Method::POST, &format!("/api/v1/projects/{other}/ledger"), Some(json!({ "kind": "expense", "amount": "5", "date": day })), 201).await;
        let foreign_id = foreign["id"].as_i64().unwrap();
        let (status, error) = call(&coop, &ana, Method::POST, &format!("{path}/ledger/{foreign_id}/reversal"), None).await;
        assert_eq!((status, error["field"].as_str()), (422, Some("entry")), "{error}");
        let mine = expect(&coop, &ana, Method::POST, &ledger, Some(json!({ "kind": "expense", "amount": "5", "date": day })), 201).await;
        let mine_id = mine["id"].as_i64().unwrap();
        let reversal = expect(&coop, &ana, Method::POST, &format!("{path}/ledger/{mine_id}/reversal"), None, 201).await;
        let (status, error) = call(&coop, &ana, Method::POST, &format!("{path}/ledger/{mine_id}/reversal"), None).await;
        assert_eq!((status, error["field"].as_str()), (422, Some("entry")), "twice: {error}");
        let reversal_id = reversal["id"].as_i64().unwrap();
        let (status, error) = call(&coop, &ana, Method::POST, &format!("{path}/ledger/{reversal_id}/reversal"), None).await;
        assert_eq!((status, error["field"].as_str()), (422, Some("entry")), "of a reversal: {error}");
        expect(&coop, &ana, Method::POST, &format!("{path}/ledger/999999/reversal"), None, 404).await;
        // What was refused left no trace: 16 h, 8 h, the large income, the expense, its reversal.
        let entries = expect(&coop, &ana, Method::GET, &ledger, None, 200).await;
        assert_eq!(entries["entries"].as_array().unwrap().len(), 5);
        // Malformed bodies are a client's mistake too.
        let (status, _) = call(&coop, &ana, Method::POST, &ledger, Some(json!({ "kind": "expense", "amount": 5, "date": day }))).await;
        assert_eq!(status, 422, "amounts are decimal text, not JSON numbers");
        coop.stop().await;
    }

    async fn the_database_refuses_to_change_or_remove_ledger_rows(db) {
        let coop = TestInstance::start(&db).await;
        coop.create_account("ana", Role::Member, false).await;
        let ana = coop.login_cookie("ana").await;
        let id = start_project(&coop, &ana, json!({})).await;
        expect(&coop, &ana, Method::POST, &format!("/api/v1/projects/{id}/ledger"), Some(json!({ "kind": "income", "amount": "5", "date": today() })), 201).await;
        for sql in ["UPDATE ledger_entries SET amount = 1", "DELETE FROM ledger_entries"] {
            let error = coop
                .query(move |conn| {
                    use diesel::RunQueryDsl;
                    let result = match conn {
                        cooperage_db::AnyConnection::Sqlite(c) => diesel::sql_query(sql).execute(c),
                        cooperage_db::AnyConnection::Postgresql(c) => diesel::sql_query(sql).execute(c),
                    };
                    Ok(result.err().map(|e| e.to_string()))
                })
                .await;
            let error = error.unwrap_or_else(|| panic!("{sql} was allowed"));
            assert!(error.contains("append-only"), "{sql}: {error}");
        }
        let entries = expect(&coop, &ana, Method::GET, &format!("/api/v1/projects/{id}/ledger"), None, 200).await;
        assert_eq!(entries["entries"][0]["amount"], "5.00");
        coop.stop().await;
    }
}

/// Source lines that would change or remove ledger rows.
fn ledger_writes(source: &str) -> Vec<String> {
    const PATTERNS: [&str; 6] = [
        "update(ledger_entries",
        "delete(ledger_entries",
        "diesel::update(ledger",
        "diesel::delete(ledger",
        "update ledger_entries",
        "delete from ledger_entries",
    ];
    source
        .lines()
        .filter(|line| {
            let squashed: String = line
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            PATTERNS.iter().any(|p| squashed.contains(p))
        })
        .map(str::to_owned)
        .collect()
}

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_code_path_updates_or_deletes_ledger_rows() {
    // The detector itself: it must see a write when there is one.
    assert_eq!(
        ledger_writes("diesel::delete(ledger_entries::table.find(id))").len(),
        1
    );
    assert_eq!(
        ledger_writes("sql_query(\"UPDATE  ledger_entries SET amount = 0\")").len(),
        1
    );
    assert!(ledger_writes("diesel::update(projects::table.find(id))").is_empty());

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    for krate in std::fs::read_dir(root.join("crates")).unwrap() {
        rust_files(&krate.unwrap().path().join("src"), &mut files);
    }
    let projects = root.join("crates/db/src/projects.rs");
    assert!(
        files.contains(&projects)
            && files
                .iter()
                .any(|f| f.starts_with(root.join("crates/app/src")))
    );
    let mut offending = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for line in ledger_writes(&source) {
            offending.push(format!("{}: {}", file.display(), line.trim()));
        }
    }
    assert!(
        offending.is_empty(),
        "the ledger is append-only:\n{}",
        offending.join("\n")
    );
}
