//! A departure runs the erasing rules one after the other, each erasing exactly what it names:
//! health, vulnerability and the child's views after a year (with the earlier revisions), the
//! photos after two, the whole record after five, leaving a tombstone; the other child is not
//! touched, and the audit chain still verifies.

use api::demo::DEMO_CHILDREN;
use rstest_reuse::apply;
use serde_json::{Value, json};

use super::*;
use crate::helpers::sql::{audit_rows, etag};
use crate::helpers::{assert_problem, backends};

const SEMHAR: &str = DEMO_CHILDREN[0];
const FARID: &str = DEMO_CHILDREN[1];

/// One column of every stored row of `table` for record `id` (by its `seq`).
fn stored(app: &TestApp, table: &str, column: &str, id: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let sql = format!(
        "SELECT CAST({column} AS TEXT) AS value FROM {table} \
         WHERE minor_seq = (SELECT seq FROM minors WHERE id = '{id}')"
    );
    use diesel::{Connection, RunQueryDsl};
    let rows: Vec<Row> = if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        diesel::sql_query(sql)
            .load(&mut diesel::SqliteConnection::establish(path).unwrap())
            .unwrap()
    } else {
        diesel::sql_query(sql)
            .load(&mut diesel::PgConnection::establish(&app.db.url).unwrap())
            .unwrap()
    };
    rows.into_iter().map(|r| r.value).collect()
}

/// The record's data as stored.
fn data(app: &TestApp, id: &str) -> Value {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        data: String,
    }
    let sql = format!("SELECT data FROM minors WHERE id = '{id}'");
    use diesel::{Connection, RunQueryDsl};
    let row: Row = if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        diesel::sql_query(sql)
            .get_result(&mut diesel::SqliteConnection::establish(path).unwrap())
            .unwrap()
    } else {
        diesel::sql_query(sql)
            .get_result(&mut diesel::PgConnection::establish(&app.db.url).unwrap())
            .unwrap()
    };
    serde_json::from_str(&row.data).unwrap()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

async fn verified(app: &TestApp) {
    let res = call(
        app,
        AUDITOR,
        reqwest::Method::GET,
        "/v1/audit/verify",
        None,
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["first_broken"], Value::Null, "{report}");
}

#[apply(backends)]
async fn a_departure_erases_what_each_rule_names_and_leaves_a_tombstone(#[case] backend: Backend) {
    let (app, clock) = on_clock(backend, at(2026, 12, 7, 9)).await;
    let semhar = format!("/v1/minors/{SEMHAR}");
    // A photo, and a second health value: the history holds health in two revisions.
    upload(&app, SEMHAR).await;
    let res = app
        .client
        .patch(app.url(&semhar))
        .headers(app.auth(GUARDIAN.0, GUARDIAN.1))
        .header("x-purpose", "care")
        .header("if-match", etag(&app, SEMHAR))
        .header("content-type", "application/merge-patch+json")
        .json(&json!({"health": {"medical_needs": "asthma, controlled"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Farid went missing and was found the same day: his alert is erased two years later.
    let alert = report(&app, POLICE, FARID, at(2026, 12, 7, 9)).await;
    let alert_id = alert["id"].as_str().unwrap().to_owned();
    let res = post(
        &app,
        POLICE,
        &format!("/v1/alerts/{alert_id}/resolution"),
        "disappearance",
        json!({"outcome": "found_safe"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let farid_before = data(&app, FARID);

    // Closing is the guardianship service's, dated, not in the future, with a reason.
    let close = format!("{semhar}/closure");
    let body = json!({"cause": "departure", "on": "2026-12-07", "reason": "left for the UK"});
    assert_problem(
        post(&app, GUARDIAN, &close, "guardianship", body.clone()).await,
        403,
    )
    .await;
    let future = json!({"cause": "departure", "on": "2027-01-01", "reason": "x"});
    let problem = assert_problem(
        post(&app, OFFICER, &close, "guardianship", future).await,
        400,
    )
    .await;
    assert_eq!(problem["invalid-params"][0]["name"], "on");
    let before_registration = json!({"cause": "departure", "on": "1900-01-01", "reason": "x"});
    let res = post(&app, OFFICER, &close, "guardianship", before_registration).await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem["invalid-params"][0]["name"], "on");
    // A refusal of a bad body is the caller's refusal first: the police get 403 (audited).
    let bad = json!({"cause": "departure", "on": "2099-01-01", "reason": ""});
    assert_problem(post(&app, POLICE, &close, "guardianship", bad).await, 403).await;
    let unknown = json!({"cause": "holiday", "on": "2026-12-07", "reason": "x"});
    let problem = assert_problem(
        post(&app, OFFICER, &close, "guardianship", unknown).await,
        400,
    )
    .await;
    assert_eq!(problem["invalid-params"][0]["name"], "cause");
    let res = post(&app, OFFICER, &close, "guardianship", body).await;
    assert_eq!(res.status(), 200);
    let life: Value = res.json().await.unwrap();
    // Worked out by hand: a year after 2026-12-07 is 2027-12-07 (365 days, no 29 February);
    // two years (730 days) is 2028-12-06 (29 February 2028 between); 1826 days is 2031-12-07.
    let pending: Vec<(String, String)> = life["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["rule"].as_str().unwrap().into(),
                p["on"].as_str().unwrap().into(),
            )
        })
        .collect();
    for expected in [
        ("history-after-closure", "2027-12-07"),
        ("sensitive-after-departure", "2027-12-07"),
        ("photos-after-departure", "2028-12-06"),
        ("restrict-at-majority", "2029-03-14"),
        ("erase-after-closure", "2031-12-07"),
    ] {
        assert!(
            pending.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {pending:?}"
        );
    }

    // A year later: health, vulnerability and views go from the record and every revision;
    // only the current revision is left. The guardianship service was told 30 days before.
    notice_to(&app, &clock, at(2027, 11, 7, 3), SEMHAR).await;
    assert!(
        data(&app, SEMHAR).get("health").is_some(),
        "a notice erases nothing"
    );
    sweep_to(
        &app,
        &clock,
        at(2027, 12, 7, 3),
        SEMHAR,
        "sensitive-after-departure",
    )
    .await;
    let now = data(&app, SEMHAR);
    assert_eq!(
        keys(&now),
        vec![
            "contacts",
            "guardianship",
            "identity",
            "photos",
            "physical",
            "placement",
            "procedure",
            "risk"
        ]
    );
    let revisions = stored(&app, "minor_revisions", "data", SEMHAR);
    assert_eq!(revisions.len(), 1, "only the current revision stays");
    assert!(
        revisions
            .iter()
            .all(|r| !r.contains("asthma") && !r.contains("child_view"))
    );
    let photos = stored(&app, "photos", "id", SEMHAR);
    assert_eq!(photos.len(), 1, "the photo rule has not run yet");
    assert_eq!(data(&app, FARID), farid_before, "nothing else");

    let alert_path = format!("/v1/alerts/{alert_id}");
    assert_eq!(
        get(&app, POLICE, &alert_path, "disappearance")
            .await
            .status(),
        200
    );

    // Two years: the resolved alert (730 days after its resolution on 2026-12-07); the
    // photographs, the listing and the bytes, but not without a notice 30 days before: the day
    // they fall due the sweep raises one, and they go a month later.
    notice_to(&app, &clock, at(2028, 12, 6, 3), SEMHAR).await;
    assert!(
        data(&app, SEMHAR).get("photos").is_some(),
        "not erased without notice"
    );
    // The sweep erases resolved alerts after it has looked at every record (and raised the
    // notice waited for above): wait for that step too.
    for _ in 0..100 {
        if get(&app, POLICE, &alert_path, "disappearance")
            .await
            .status()
            == 404
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_problem(get(&app, POLICE, &alert_path, "disappearance").await, 404).await;
    assert!(audit_rows(&app).iter().any(|r| r.action == "erase"
        && r.minors.contains(FARID)
        && r.request_id == "lifecycle:2028-12-06:resolved-alerts"));
    sweep_to(
        &app,
        &clock,
        at(2029, 1, 5, 3),
        SEMHAR,
        "photos-after-departure",
    )
    .await;
    assert!(data(&app, SEMHAR).get("photos").is_none());
    assert!(stored(&app, "photos", "id", SEMHAR).is_empty());
    assert!(data(&app, SEMHAR).get("identity").is_some());

    // Five years: the record; its tombstone stays (told on 2031-11-07).
    notice_to(&app, &clock, at(2031, 11, 7, 3), SEMHAR).await;
    sweep_to(
        &app,
        &clock,
        at(2031, 12, 7, 3),
        SEMHAR,
        "erase-after-closure",
    )
    .await;
    assert_eq!(data(&app, SEMHAR), json!({}));
    assert!(stored(&app, "minor_revisions", "data", SEMHAR).is_empty());
    let tomb = lifecycle(&app, SEMHAR).await;
    assert_eq!(tomb["id"], SEMHAR);
    assert!(
        tomb["registry_number"]
            .as_str()
            .unwrap()
            .starts_with("UAM-")
    );
    assert!(
        tomb["erased_at"]
            .as_str()
            .unwrap()
            .starts_with("2031-12-07")
    );
    assert_eq!(tomb["restricted"], true);
    assert_eq!(tomb["review_due"], Value::Null);
    let erased: Vec<&Value> = tomb["acts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "erased")
        .collect();
    let whole = erased
        .iter()
        .find(|a| a["rule"] == "erase-after-closure")
        .unwrap();
    assert!(
        whole["erased"]
            .as_array()
            .unwrap()
            .contains(&json!("record"))
    );
    assert!(
        whole["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("identity"))
    );
    let sensitive = erased
        .iter()
        .find(|a| a["rule"] == "sensitive-after-departure")
        .unwrap();
    // What the record held of the rule's categories (it had no vulnerability).
    assert_eq!(sensitive["categories"], json!(["health", "child_view"]));
    // Nothing is written to a tombstone again.
    let res = app
        .client
        .patch(app.url(&semhar))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "guardianship")
        .header("if-match", etag(&app, SEMHAR))
        .header("content-type", "application/merge-patch+json")
        .json(&json!({"identity": {"given_names": "Semhar"}}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 409).await;
    let again = json!({"cause": "other", "on": "2031-12-07", "reason": "x"});
    assert_problem(
        post(&app, OFFICER, &close, "guardianship", again).await,
        409,
    )
    .await;
    // Nobody reads the tombstone's data; the chain verifies; each erasure is audited with its
    // categories and no person.
    assert_problem(get(&app, RECEPTION, &semhar, "care").await, 403).await;
    verified(&app).await;
    let rows = audit_rows(&app);
    let erasures: Vec<_> = rows
        .iter()
        .filter(|r| r.action == "erase" && r.minors.contains(SEMHAR))
        .collect();
    assert!(erasures.len() >= 4, "{erasures:?}");
    assert!(erasures.iter().all(|r| r.subject.is_none()));
    assert!(
        erasures.iter().any(|r| r.categories.contains("health")
            && r.request_id.ends_with("sensitive-after-departure"))
    );
    // Farid came of age on 2028-01-01: restricted, not erased.
    let farid = lifecycle(&app, FARID).await;
    assert_eq!(farid["restricted"], true);
    assert_eq!(data(&app, FARID), farid_before);
}
