//! What an integrator's mistakes get: problems that name the field, header or parameter and say
//! what would be accepted, refusals that name the purposes that would be, and answers in one
//! shape (lists, timestamps, CAP text).

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, spawn_demo};

const CHILD: &str = "00000000-0000-4000-8000-000000000001";

/// The `invalid-params` of a problem, as `(name, reason)` pairs.
fn invalid_params(problem: &Value) -> Vec<(String, String)> {
    problem["invalid-params"]
        .as_array()
        .unwrap_or_else(|| panic!("no invalid-params in {problem}"))
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The one invalid parameter of `problem`, which must be `name`; its reason.
fn only_invalid(problem: &Value, name: &str) -> String {
    let params = invalid_params(problem);
    assert_eq!(params.len(), 1, "{problem}");
    assert_eq!(params[0].0, name, "{problem}");
    params[0].1.clone()
}

fn reception(app: &TestApp) -> HeaderMap {
    app.auth("demo-reception", "reception_staff")
}

async fn report(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/minors/{CHILD}/disappearances")))
        .headers(reception(app))
        .header("X-Purpose", "disappearance")
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The child's ETag, read from the database.
fn version(app: &TestApp) -> String {
    crate::helpers::sql::etag(app, CHILD)
}

#[tokio::test]
async fn a_bad_value_in_a_body_is_named_with_what_would_be_accepted() {
    let app = spawn_demo(Backend::Sqlite).await;

    // A date-time without an offset: the field is named, the form expected given.
    let problem = assert_problem(
        report(
            &app,
            json!({"last_seen_at": "2026-12-06T21:40:00", "last_seen_place": "the station"}),
        )
        .await,
        400,
    )
    .await;
    let reason = only_invalid(&problem, "last_seen_at");
    assert!(
        reason.contains("offset") && reason.contains("RFC 3339"),
        "{reason}"
    );

    // A value outside an enum.
    let problem = assert_problem(
        report(
            &app,
            json!({"last_seen_at": "2026-12-06T21:40:00+01:00", "last_seen_place": "the station",
                   "risk": "urgent"}),
        )
        .await,
        400,
    )
    .await;
    let reason = only_invalid(&problem, "risk");
    assert!(
        reason.contains("urgent") && reason.contains("high"),
        "{reason}"
    );

    // A field the body does not have, and a field it needs.
    let problem = assert_problem(
        report(
            &app,
            json!({"last_seen_at": "2026-12-06T21:40:00+01:00", "last_seen_place": "the station",
                   "colour": "red"}),
        )
        .await,
        400,
    )
    .await;
    only_invalid(&problem, "colour");
    let problem = assert_problem(
        report(&app, json!({"last_seen_at": "2026-12-06T21:40:00+01:00"})).await,
        400,
    )
    .await;
    only_invalid(&problem, "last_seen_place");

    // Nothing was reported by any of them.
    let alerts = app
        .read("/v1/alerts", reception(&app), Some("disappearance"))
        .await;
    assert_eq!(alerts["items"], json!([]), "{alerts}");

    // Malformed JSON says where once.
    let res = app
        .client
        .post(app.url("/v1/agencies"))
        .headers(app.admin())
        .header("Content-Type", "application/json")
        .body(r#"{"id": "x","#)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 400).await;
    let detail = problem["detail"].as_str().unwrap();
    assert_eq!(detail.matches("line 1 column").count(), 1, "{detail}");

    // A body that is not an object is refused, though serde would read a struct from an array.
    for body in ["[null, null]", "null", "\"x\"", "7"] {
        let res = app
            .client
            .post(app.url(&format!("/v1/minors/{CHILD}/disappearances")))
            .headers(reception(&app))
            .header("X-Purpose", "disappearance")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(res, 400).await;
        assert!(
            problem["detail"].as_str().unwrap().contains("JSON object"),
            "{body}: {problem}"
        );
    }

    // A query parameter outside its enum is named too.
    let problem = assert_problem(
        app.client
            .get(app.url("/v1/alerts?status=lost"))
            .headers(reception(&app))
            .header("X-Purpose", "disappearance")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    only_invalid(&problem, "status");

    // A body in a media type the operation does not read: the same problem type scheme.
    let res = app
        .client
        .post(app.url("/v1/agencies"))
        .headers(app.admin())
        .header("Content-Type", "text/plain")
        .body("fedasil")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 415).await;
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:uam-registry:problem:"),
        "{problem}"
    );
}

#[tokio::test]
async fn if_match_must_name_the_one_version_read() {
    let app = spawn_demo(Backend::Sqlite).await;
    let before = version(&app);
    let patch = |if_match: &'static str| {
        app.client
            .patch(app.url(&format!("/v1/minors/{CHILD}")))
            .headers(app.auth("demo-guardian", "guardian"))
            .header("X-Purpose", "guardianship")
            .header("If-Match", if_match)
            .header("Content-Type", "application/merge-patch+json")
            .body(r#"{"child_view": {"wishes": "to stay"}}"#)
            .send()
    };
    // Unquoted, `*`, two versions: refused as malformed, naming the header, nothing stored.
    for bad in ["1", "*", r#""1", "2""#] {
        let problem = assert_problem(patch(bad).await.unwrap(), 400).await;
        let reason = only_invalid(&problem, "If-Match");
        assert!(reason.contains("ETag"), "{bad}: {reason}");
    }
    assert_eq!(version(&app), before);
    // A weak tag names no version of this API: 412, with the current ETag.
    let res = patch(r#"W/"1""#).await.unwrap();
    assert_eq!(res.headers()["etag"].to_str().unwrap(), before);
    let problem = assert_problem(res, 412).await;
    assert_eq!(
        json!(format!("\"{}\"", problem["current_version"])),
        json!(before),
        "{problem}"
    );
    assert_eq!(version(&app), before);
    // The version read: taken.
    let res = patch(r#""1""#).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"].to_str().unwrap(), "\"2\"");
}

#[tokio::test]
async fn a_refused_purpose_names_the_purposes_that_would_be_accepted() {
    let app = spawn_demo(Backend::Sqlite).await;

    // A centre searching for its care could find only its own children: refused, not an empty
    // list from which it would conclude the child is unknown.
    let search = |purpose: &'static str| {
        app.client
            .post(app.url("/v1/minors/search"))
            .headers(reception(&app))
            .header("X-Purpose", purpose)
            .json(&json!({"names": ["Samhar Haili"], "sex": "female"}))
            .send()
    };
    let problem = assert_problem(search("care").await.unwrap(), 403).await;
    let accepted = problem["accepted_purposes"].as_array().unwrap();
    assert!(accepted.contains(&json!("identification")), "{problem}");
    assert!(!accepted.contains(&json!("care")), "{problem}");
    let found: Value = search("identification")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        found["items"][0]["record"]["id"], CHILD,
        "the purpose named is the one that finds her: {found}"
    );

    // A guardian reading the access log for a purpose the log does not take.
    let res = app
        .client
        .get(app.url(&format!("/v1/minors/{CHILD}/access-log")))
        .headers(app.auth("demo-guardian", "guardian"))
        .header("X-Purpose", "disappearance")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 403).await;
    assert_eq!(
        problem["accepted_purposes"],
        json!(["guardianship"]),
        "{problem}"
    );
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("guardianship"), "{detail}");
}

#[tokio::test]
async fn media_types_are_negotiated_and_refused_by_name() {
    let app = spawn_demo(Backend::Sqlite).await;
    let res = app
        .client
        .get(app.url("/v1/agencies"))
        .headers(app.admin())
        .header("Accept", "application/xml")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 406).await;
    let reason = only_invalid(&problem, "Accept");
    assert!(reason.contains("application/json"), "{reason}");
    for accept in [
        "*/*",
        "application/*",
        "application/json",
        "text/html, */*;q=0.1",
    ] {
        let res = app
            .client
            .get(app.url("/v1/agencies"))
            .headers(app.admin())
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{accept}");
    }

    // A chart is SVG only: another format is refused, not answered as SVG.
    let analyst = app.auth("registry", "analyst");
    let res = app
        .client
        .get(app.url("/v1/statistics/registrations/chart.svg?format=csv&by=nationality"))
        .headers(analyst.clone())
        .header("X-Purpose", "statistics")
        .send()
        .await
        .unwrap();
    only_invalid(&assert_problem(res, 400).await, "format");
    let res = app
        .client
        .get(app.url("/v1/statistics/registrations?format=csv&by=nationality"))
        .headers(analyst)
        .header("X-Purpose", "statistics")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
}

#[tokio::test]
async fn answers_have_one_shape() {
    let app = spawn_demo(Backend::Sqlite).await;
    let stamp = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$").unwrap();

    let alert: Value = report(
        &app,
        json!({"last_seen_at": "2026-12-06T21:40:00.5+01:00", "last_seen_place": "the station",
               "risk": "high"}),
    )
    .await
    .json()
    .await
    .unwrap();
    for field in ["raised_at", "last_seen_at", "acknowledgement_due_at"] {
        let at = alert[field].as_str().unwrap();
        assert!(stamp.is_match(at), "{field}: {at}");
    }
    assert_eq!(alert["last_seen_at"], "2026-12-06T20:40:00.500000Z");
    let record = app
        .read(
            &format!("/v1/minors/{CHILD}"),
            reception(&app),
            Some("care"),
        )
        .await;
    for field in ["registered_at", "updated_at"] {
        let at = record[field].as_str().unwrap();
        assert!(stamp.is_match(at), "{field}: {at}");
    }

    // CAP text in words.
    let id = alert["id"].as_str().unwrap();
    let police = app.auth("demo-police", "police_officer");
    let cap = |app: &TestApp| {
        app.client
            .get(app.url(&format!("/v1/alerts/{id}")))
            .headers(police.clone())
            .header("X-Purpose", "disappearance")
            .header("Accept", "application/cap+xml")
            .send()
    };
    let text = cap(&app).await.unwrap().text().await.unwrap();
    assert!(
        text.contains("<headline>Missing unaccompanied minor (high risk)</headline>"),
        "{text}"
    );
    let resolve = |outcome: &'static str| {
        app.client
            .post(app.url(&format!("/v1/alerts/{id}/resolution")))
            .headers(police.clone())
            .header("X-Purpose", "disappearance")
            .json(&json!({"outcome": outcome}))
            .send()
    };
    let problem = assert_problem(resolve("foundsafe").await.unwrap(), 400).await;
    let reason = only_invalid(&problem, "outcome");
    assert!(reason.contains("found_safe"), "{reason}");
    let res = app
        .client
        .post(app.url(&format!("/v1/alerts/{id}/resolution")))
        .headers(police.clone())
        .header("X-Purpose", "disappearance")
        .json(&json!({"outcome": "found_safe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let text = cap(&app).await.unwrap().text().await.unwrap();
    assert!(
        text.contains("found safe") && !text.contains("foundsafe"),
        "{text}"
    );

    // Subscriptions are listed like every other list.
    let list = app.read("/v1/subscriptions", app.admin(), None).await;
    assert!(
        list["items"].is_array() && list.get("next").is_some(),
        "{list}"
    );
}
