//! Direct SQL on a test app's database, for set-up the API does not offer and for tampering.

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};

use super::app::TestApp;

/// Runs statements on the app's database, as its owner (PostgreSQL: the superuser `postgres`).
pub fn exec(app: &TestApp, sql: &str) {
    if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        diesel::connection::SimpleConnection::batch_execute(&mut conn, sql).unwrap();
    } else {
        let mut conn = diesel::PgConnection::establish(&app.db.url).unwrap();
        diesel::connection::SimpleConnection::batch_execute(&mut conn, sql).unwrap();
    }
}

/// Like [`exec`], returning the error text instead of panicking.
pub fn try_exec(url: &str, sql: &str) -> Result<(), String> {
    let result = if let Some(path) = url.strip_prefix("sqlite://") {
        let mut conn = diesel::SqliteConnection::establish(path).map_err(|e| e.to_string())?;
        diesel::connection::SimpleConnection::batch_execute(&mut conn, sql)
    } else {
        let mut conn = diesel::PgConnection::establish(url).map_err(|e| e.to_string())?;
        diesel::connection::SimpleConnection::batch_execute(&mut conn, sql)
    };
    result.map_err(|e| e.to_string())
}

/// One row of `audit_log`, as stored.
#[derive(Debug, Clone, QueryableByName)]
pub struct AuditRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub subject: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub agency: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub role: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub purpose: Option<String>,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Text)]
    pub minors: String,
    #[diesel(sql_type = Text)]
    pub categories: String,
    #[diesel(sql_type = Text)]
    pub outcome: String,
    #[diesel(sql_type = Text)]
    pub request_id: String,
}

/// Every audit entry, in chain order.
pub fn audit_rows(app: &TestApp) -> Vec<AuditRow> {
    let sql = "SELECT seq, subject, agency, role, purpose, action, minors, categories, outcome, \
               request_id FROM audit_log ORDER BY seq";
    if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        diesel::sql_query(sql).load(&mut conn).unwrap()
    } else {
        let mut conn = diesel::PgConnection::establish(&app.db.url).unwrap();
        diesel::sql_query(sql).load(&mut conn).unwrap()
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// What a write leaves behind outside the audit trail: the rows of every table a refused write
/// might touch (agencies, subscriptions and their state, records, alerts, events, dead letters),
/// as one text to compare before and after.
pub fn footprint(app: &TestApp) -> String {
    let queries = [
        "SELECT COUNT(*) AS n FROM agencies",
        "SELECT COUNT(*) AS n FROM subscriptions",
        "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'active'",
        "SELECT COUNT(*) AS n FROM subscriptions WHERE paused_since IS NOT NULL",
        "SELECT COALESCE(SUM(retry_hours), 0) AS n FROM subscriptions",
        "SELECT COUNT(*) AS n FROM minors",
        "SELECT COUNT(*) AS n FROM alerts",
        "SELECT COUNT(*) AS n FROM outbox",
        "SELECT COUNT(*) AS n FROM dead_letters",
        "SELECT COUNT(*) AS n FROM dead_letters WHERE resolved_at IS NOT NULL",
        "SELECT COUNT(*) AS n FROM absences",
        "SELECT COUNT(*) AS n FROM tasks",
        "SELECT COUNT(*) AS n FROM tasks WHERE status = 'done'",
    ];
    let counts: Vec<i64> = if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        queries
            .iter()
            .map(|q| {
                diesel::sql_query(*q)
                    .get_result::<Count>(&mut conn)
                    .unwrap()
                    .n
            })
            .collect()
    } else {
        let mut conn = diesel::PgConnection::establish(&app.db.url).unwrap();
        queries
            .iter()
            .map(|q| {
                diesel::sql_query(*q)
                    .get_result::<Count>(&mut conn)
                    .unwrap()
                    .n
            })
            .collect()
    };
    queries
        .iter()
        .zip(counts)
        .map(|(q, n)| format!("{q} = {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ETag of a record's current version, read from the database (for tests of other things
/// than the precondition, whose callers may not be allowed to read the record).
pub fn etag(app: &TestApp, id: &str) -> String {
    let sql = format!(
        "SELECT version AS n FROM minors WHERE id = '{}'",
        id.replace('\'', "''")
    );
    let version = if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        diesel::sql_query(sql).get_result::<Count>(&mut conn)
    } else {
        let mut conn = diesel::PgConnection::establish(&app.db.url).unwrap();
        diesel::sql_query(sql).get_result::<Count>(&mut conn)
    };
    version.map_or_else(|_| "\"0\"".to_owned(), |c| format!("\"{}\"", c.n))
}
