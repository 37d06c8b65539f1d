//! Security suites (issue 7): the OpenAPI document fuzzed by Schemathesis against the real binary,
//! attacks on tokens, resource limits (OWASP API4), rate limits (API6) and injection through every
//! string field and query parameter. Each test names the OWASP API Security Top 10 (2023) item it covers in its
//! doc comment.

mod injection;
mod limits;
mod ratelimit;
mod record;
mod schemathesis;
mod streams;
mod tokens;

use api::startup::Options;
use diesel::sql_types::BigInt;
use diesel::{Connection, QueryableByName, RunQueryDsl};

use crate::helpers::{Backend, TestApp, spawn_app_with};

/// The app with the demo agencies and children.
async fn demo(backend: Backend) -> TestApp {
    demo_with(backend, |_| {}).await
}

/// As [`demo`], with a last change to the settings.
async fn demo_with(backend: Backend, tweak: impl FnOnce(&mut api::config::Settings)) -> TestApp {
    spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        tweak,
    )
    .await
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The rows of `table`, counted directly in the database.
fn count_rows(app: &TestApp, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let rows: Vec<Count> = if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        diesel::sql_query(sql).load(&mut conn).unwrap()
    } else {
        let mut conn = diesel::PgConnection::establish(&app.db.url).unwrap();
        diesel::sql_query(sql).load(&mut conn).unwrap()
    };
    rows[0].n
}

/// The `X-Request-Id` of a response.
fn request_id(res: &reqwest::Response) -> String {
    res.headers()["x-request-id"].to_str().unwrap().to_owned()
}
