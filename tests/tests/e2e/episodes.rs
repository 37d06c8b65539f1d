//! Disappearance episodes end to end, on both backends, with a clock the test moves: a roll call's
//! absence falling overdue and escalating, an absence closed by the child's return, the reporting
//! ledger with its gap listed and escalated, graded sightings, follow-up tasks created at
//! resolution and swept when overdue, earlier episodes in the risk assessment, and a public
//! appeal cancelled (CAP `Cancel`) at resolution.

use std::time::Duration;

use api::demo::DEMO_CHILDREN;
use api::startup::Options;
use chrono::Utc;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestClock, assert_problem, backends, spawn_app_with};

/// Placed with `demo-reception`, guardian `demo-guardian`, recorded risk `high`.
const SEMHAR: &str = DEMO_CHILDREN[0];
/// Placed with `demo-youth-care`, no guardian, recorded risk `medium`.
const FARID: &str = DEMO_CHILDREN[1];
const RECEPTION: (&str, &str) = ("demo-reception", "reception_staff");
const YOUTH_CARE: (&str, &str) = ("demo-youth-care", "youth_care_worker");
const GUARDIAN: (&str, &str) = ("demo-guardian", "guardian");
const SERVICE: (&str, &str) = ("demo-guardianship", "guardianship_officer");
const POLICE: (&str, &str) = ("demo-police", "police_officer");
const CHILD_FOCUS: (&str, &str) = ("demo-child-focus", "child_focus_case_manager");
const IMMIGRATION: (&str, &str) = ("demo-immigration", "immigration_officer");

async fn demo(backend: Backend) -> (TestApp, std::sync::Arc<TestClock>) {
    let clock = TestClock::starting_now();
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            clock: Some(clock.clone()),
        },
        |_| {},
    )
    .await;
    (app, clock)
}

async fn call(
    app: &TestApp,
    who: (&str, &str),
    purpose: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", purpose);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

async fn ok(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body = res.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn roll_call(app: &TestApp, who: (&str, &str), children: Value) -> reqwest::Response {
    call(
        app,
        who,
        "care",
        reqwest::Method::POST,
        "/v1/presence",
        Some(json!({ "children": children })),
    )
    .await
}

async fn report(app: &TestApp, who: (&str, &str), child: &str, extra: Value) -> Value {
    let mut body = json!({"last_seen_at": (Utc::now() - chrono::Duration::hours(3)).to_rfc3339(),
                          "last_seen_place": "Gare du Nord, Schaerbeek"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    ok(
        call(
            app,
            who,
            "disappearance",
            reqwest::Method::POST,
            &format!("/v1/minors/{child}/disappearances"),
            Some(body),
        )
        .await,
        201,
    )
    .await
}

#[derive(QueryableByName, Debug)]
struct EventRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    minor_id: String,
    #[diesel(sql_type = Text)]
    alert: String,
}

fn outbox(app: &TestApp) -> Vec<EventRow> {
    let sql = "SELECT type AS kind, minor_id, alert FROM outbox ORDER BY seq";
    if let Some(path) = app.db.url.strip_prefix("sqlite://") {
        diesel::sql_query(sql)
            .load(&mut diesel::SqliteConnection::establish(path).unwrap())
            .unwrap()
    } else {
        diesel::sql_query(sql)
            .load(&mut diesel::PgConnection::establish(&app.db.url).unwrap())
            .unwrap()
    }
}

fn count(app: &TestApp, child: &str, kind: &str) -> usize {
    outbox(app)
        .iter()
        .filter(|e| e.minor_id == child && e.kind == kind)
        .count()
}

/// Waits until `child` has `n` events of `kind` (the sweep runs every half second).
async fn wait_for(app: &TestApp, child: &str, kind: &str, n: usize) {
    for _ in 0..60 {
        if count(app, child, kind) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{n} {kind} event(s) for {child}: found {}",
        count(app, child, kind)
    );
}

const OVERDUE: &str = "be.uam.minor.absence_overdue";
const ESCALATED: &str = "be.uam.minor.absence_escalated";
const CLOSED: &str = "be.uam.minor.absence_closed";

#[apply(backends)]
async fn an_unexplained_absence_falls_overdue_escalates_once_and_a_report_closes_it(
    #[case] backend: Backend,
) {
    let (app, clock) = demo(backend).await;
    // Semhar's record says high risk: 120 minutes, then 120 more (policy/risk.toml). Farid
    // (medium, 720 minutes) is the sentinel of a negative check: absent at the same roll call
    // time, he must not fall overdue when Semhar does.
    let answer = ok(
        roll_call(
            &app,
            RECEPTION,
            json!([{"minor_id": SEMHAR, "presence": "absent_without_permission"}]),
        )
        .await,
        200,
    )
    .await;
    let result = &answer["children"][0];
    assert_eq!(result["outcome"], "opened");
    let noted_at = result["absence"]["noted_at"].as_str().unwrap().to_owned();
    assert_eq!(result["absence"]["risk"], "high");
    ok(
        roll_call(
            &app,
            YOUTH_CARE,
            json!([{"minor_id": FARID, "presence": "unknown"}]),
        )
        .await,
        200,
    )
    .await;
    // The same absence is not opened twice: its clock is not restarted.
    let again = ok(
        roll_call(
            &app,
            RECEPTION,
            json!([{"minor_id": SEMHAR, "presence": "unknown"}]),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again["children"][0]["outcome"], "still_open");

    clock.advance(chrono::Duration::minutes(119));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(count(&app, SEMHAR, OVERDUE), 0, "not before its clock");
    clock.advance(chrono::Duration::minutes(1));
    wait_for(&app, SEMHAR, OVERDUE, 1).await;
    assert_eq!(
        count(&app, FARID, OVERDUE),
        0,
        "a medium-risk clock is 12 hours"
    );
    // Who receives it: the placement, the guardian, the guardianship service; not police.
    let event = outbox(&app)
        .into_iter()
        .find(|e| e.kind == OVERDUE)
        .unwrap();
    let absence: Value = serde_json::from_str(&event.alert).unwrap();
    assert!(absence["overdue_at"].is_string());

    clock.advance(chrono::Duration::minutes(120));
    wait_for(&app, SEMHAR, ESCALATED, 1).await;
    clock.advance(chrono::Duration::hours(10));
    wait_for(&app, FARID, OVERDUE, 1).await;
    assert_eq!(count(&app, SEMHAR, ESCALATED), 1, "escalated once");

    // Visible to whoever reads the child's placement: the guardian yes, police no (no alert).
    let seen = ok(
        call(
            &app,
            GUARDIAN,
            "guardianship",
            reqwest::Method::GET,
            &format!("/v1/minors/{SEMHAR}/absences"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(seen["items"][0]["status"], "open");
    assert!(seen["items"][0]["escalated_at"].is_string());
    assert_problem(
        call(
            &app,
            POLICE,
            "disappearance",
            reqwest::Method::GET,
            &format!("/v1/minors/{SEMHAR}/absences"),
            None,
        )
        .await,
        403,
    )
    .await;

    // The report closes the absence; the time from absence to report starts at the roll call.
    let alert = report(&app, RECEPTION, SEMHAR, json!({})).await;
    assert_eq!(alert["absent_since"], noted_at);
    wait_for(&app, SEMHAR, CLOSED, 1).await;
    let after = ok(
        call(
            &app,
            GUARDIAN,
            "guardianship",
            reqwest::Method::GET,
            &format!("/v1/minors/{SEMHAR}/absences"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(after["items"][0]["status"], "closed");
    assert_eq!(after["items"][0]["closure"]["reason"], "reported");
    assert_eq!(after["items"][0]["closure"]["alert_id"], alert["id"]);
}

#[apply(backends)]
async fn a_return_closes_the_absence_before_its_clock_and_nobody_is_told(#[case] backend: Backend) {
    let (app, clock) = demo(backend).await;
    ok(
        roll_call(
            &app,
            RECEPTION,
            json!([{"minor_id": SEMHAR, "presence": "unknown"}]),
        )
        .await,
        200,
    )
    .await;
    clock.advance(chrono::Duration::minutes(30));
    let back = ok(
        roll_call(
            &app,
            RECEPTION,
            json!([{"minor_id": SEMHAR, "presence": "present"}]),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(back["children"][0]["outcome"], "closed");
    assert_eq!(
        back["children"][0]["absence"]["closure"]["reason"],
        "returned"
    );
    // Farid's absence, opened later, is the sentinel: its overdue event shows the sweep ran past
    // Semhar's old deadline.
    ok(
        roll_call(
            &app,
            YOUTH_CARE,
            json!([{"minor_id": FARID, "presence": "unknown"}]),
        )
        .await,
        200,
    )
    .await;
    clock.advance(chrono::Duration::hours(13));
    wait_for(&app, FARID, OVERDUE, 1).await;
    assert_eq!(count(&app, SEMHAR, OVERDUE), 0, "closed before its clock");
    assert_eq!(
        count(&app, SEMHAR, CLOSED),
        0,
        "nobody was told, so no closing event"
    );

    // A roll call is all or nothing: a child placed elsewhere names its entry, nothing stored.
    let res = roll_call(
        &app,
        RECEPTION,
        json!([{"minor_id": SEMHAR, "presence": "unknown"},
               {"minor_id": FARID, "presence": "unknown"}]),
    )
    .await;
    let problem = assert_problem(res, 400).await;
    assert!(
        problem.to_string().contains("children[1].minor_id"),
        "{problem}"
    );
    let seen = ok(
        call(
            &app,
            RECEPTION,
            "care",
            reqwest::Method::GET,
            &format!("/v1/minors/{SEMHAR}/absences"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(seen["items"].as_array().unwrap().len(), 1, "no new absence");
    for (body, field) in [
        (json!({"children": []}), "children"),
        (
            json!({"children": [{"minor_id": SEMHAR, "presence": "gone"}]}),
            "children",
        ),
        (
            json!({"checked_at": (Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
                   "children": [{"minor_id": SEMHAR, "presence": "present"}]}),
            "checked_at",
        ),
        (
            json!({"checked_at": "0001-01-01T00:00:00Z",
                   "children": [{"minor_id": SEMHAR, "presence": "unknown"}]}),
            "checked_at",
        ),
    ] {
        let res = call(
            &app,
            RECEPTION,
            "care",
            reqwest::Method::POST,
            "/v1/presence",
            Some(body),
        )
        .await;
        let problem = assert_problem(res, 400).await;
        assert!(problem.to_string().contains(field), "{problem}");
    }
    // Police take no roll call.
    assert_problem(
        roll_call(
            &app,
            POLICE,
            json!([{"minor_id": SEMHAR, "presence": "present"}]),
        )
        .await,
        403,
    )
    .await;
}

/// The ledger entries as `(party, agency, state)`.
fn ledger(alert: &Value) -> Vec<(String, Option<String>, String)> {
    alert["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["party"].as_str().unwrap().to_owned(),
                e["agency"].as_str().map(str::to_owned),
                e["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn entry(party: &str, agency: Option<&str>, state: &str) -> (String, Option<String>, String) {
    (party.into(), agency.map(str::to_owned), state.into())
}

async fn incomplete(app: &TestApp) -> Vec<String> {
    let page = ok(
        call(
            app,
            CHILD_FOCUS,
            "disappearance",
            reqwest::Method::GET,
            "/v1/alerts?ledger=incomplete",
            None,
        )
        .await,
        200,
    )
    .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[apply(backends)]
async fn the_ledger_names_who_must_be_told_lists_its_gaps_and_escalates_the_silent(
    #[case] backend: Backend,
) {
    let (app, clock) = demo(backend).await;
    // Schaerbeek is in the shipped zones table: the zone is `demo-police`.
    let semhar = report(&app, RECEPTION, SEMHAR, json!({})).await;
    assert_eq!(
        ledger(&semhar),
        [
            entry("police_zone", Some("demo-police"), "pending"),
            entry("guardian", Some("demo-guardian"), "pending"),
            entry("guardianship_service", Some("demo-guardianship"), "pending"),
            entry("child_focus", Some("demo-child-focus"), "pending"),
            entry("immigration_office", Some("demo-immigration"), "pending"),
            entry("placement", Some("demo-reception"), "reporter"),
        ]
    );
    // Farid, last seen in a town no zone covers, has no guardian: two gaps from the start.
    let farid = report(
        &app,
        SERVICE,
        FARID,
        json!({"last_seen_place": "Antwerpen-Centraal"}),
    )
    .await;
    let parts: Vec<_> = ledger(&farid);
    assert!(
        parts.contains(&entry("police_zone", None, "unassigned")),
        "{parts:?}"
    );
    assert!(
        parts.contains(&entry("guardian", None, "unassigned")),
        "{parts:?}"
    );
    let (a, f) = (
        semhar["id"].as_str().unwrap().to_owned(),
        farid["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(incomplete(&app).await, [a.clone(), f.clone()]);

    // Every party acknowledges Semhar's alert: its ledger is full. The immigration office is a
    // ledger party, so it follows the alert (it reads the alert, not the record).
    for who in [POLICE, GUARDIAN, SERVICE, CHILD_FOCUS, IMMIGRATION] {
        let purpose = "disappearance";
        let view = ok(
            call(
                &app,
                who,
                purpose,
                reqwest::Method::POST,
                &format!("/v1/alerts/{a}/acknowledgements"),
                None,
            )
            .await,
            201,
        )
        .await;
        if who == IMMIGRATION {
            assert!(
                view["minor"].is_null(),
                "the immigration office reads no record here"
            );
        }
    }
    assert_eq!(incomplete(&app).await, std::slice::from_ref(&f));

    // Farid's alert: a police agency's acknowledgement takes the open zone; the missing guardian
    // stays a gap, and at the deadline (medium: 60 minutes) the silent are marked escalated.
    let got = ok(
        call(
            &app,
            POLICE,
            "disappearance",
            reqwest::Method::POST,
            &format!("/v1/alerts/{f}/acknowledgements"),
            None,
        )
        .await,
        201,
    )
    .await;
    assert!(ledger(&got).contains(&entry("police_zone", Some("demo-police"), "acknowledged")));
    clock.advance(chrono::Duration::minutes(61));
    wait_for(&app, FARID, "be.uam.alert.escalated", 1).await;
    let got = ok(
        call(
            &app,
            SERVICE,
            "disappearance",
            reqwest::Method::GET,
            &format!("/v1/alerts/{f}"),
            None,
        )
        .await,
        200,
    )
    .await;
    let parts = ledger(&got);
    assert!(parts.contains(&entry("placement", Some("demo-youth-care"), "escalated")));
    assert!(parts.contains(&entry(
        "guardianship_service",
        Some("demo-guardianship"),
        "reporter"
    )));
    assert!(parts.contains(&entry("guardian", None, "unassigned")));
    assert_eq!(incomplete(&app).await, std::slice::from_ref(&f));

    // Through the caller's mask: police do not read `guardianship` or `placement` of Semhar, so
    // those entries are not shown to them.
    let police_view = ok(
        call(
            &app,
            POLICE,
            "disappearance",
            reqwest::Method::GET,
            &format!("/v1/alerts/{a}"),
            None,
        )
        .await,
        200,
    )
    .await;
    let parties: Vec<String> = ledger(&police_view).into_iter().map(|e| e.0).collect();
    assert_eq!(
        parties,
        [
            "police_zone",
            "guardianship_service",
            "child_focus",
            "immigration_office"
        ]
    );
    // A bad filter is named.
    let problem = assert_problem(
        call(
            &app,
            CHILD_FOCUS,
            "disappearance",
            reqwest::Method::GET,
            "/v1/alerts?ledger=gappy",
            None,
        )
        .await,
        400,
    )
    .await;
    assert!(problem.to_string().contains("ledger"), "{problem}");
    // A named zone must be a police agency.
    let res = call(
        &app,
        SERVICE,
        "disappearance",
        reqwest::Method::POST,
        &format!("/v1/minors/{SEMHAR}/disappearances"),
        Some(
            json!({"last_seen_at": Utc::now().to_rfc3339(), "last_seen_place": "x",
                    "police_zone": "demo-reception"}),
        ),
    )
    .await;
    let problem = assert_problem(res, 400).await;
    assert!(problem.to_string().contains("police_zone"), "{problem}");
}

#[apply(backends)]
async fn sightings_are_graded_by_police_and_child_focus_and_events_carry_the_grade(
    #[case] backend: Backend,
) {
    let (app, _clock) = demo(backend).await;
    let alert = report(&app, RECEPTION, SEMHAR, json!({})).await;
    let id = alert["id"].as_str().unwrap();
    let with = ok(
        call(
            &app,
            RECEPTION,
            "disappearance",
            reqwest::Method::POST,
            &format!("/v1/alerts/{id}/sightings"),
            Some(json!({"seen_at": (Utc::now() - chrono::Duration::minutes(5)).to_rfc3339(), "place": "Antwerp bus station",
                        "note": "a caller to 116000"})),
        )
        .await,
        201,
    )
    .await;
    let sighting = &with["sightings"][0];
    assert_eq!(sighting["grade"], "unverified");
    let sid = sighting["id"].as_str().unwrap().to_owned();
    let grade = |who: (&'static str, &'static str), body: Value, sid: String| {
        let app = &app;
        async move {
            call(
                app,
                who,
                "disappearance",
                reqwest::Method::POST,
                &format!("/v1/alerts/{id}/sightings/{sid}/grade"),
                Some(body),
            )
            .await
        }
    };
    // The centre that reported it may not grade it; the refusal shows in the child's access log.
    assert_problem(
        grade(RECEPTION, json!({"grade": "credible"}), sid.clone()).await,
        403,
    )
    .await;
    let log = ok(
        call(
            &app,
            GUARDIAN,
            "guardianship",
            reqwest::Method::GET,
            &format!("/v1/minors/{SEMHAR}/access-log?limit=200"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "grade_sighting"
                && e["outcome"] == "denied"
                && e["agency"] == "demo-reception"),
        "{log}"
    );
    let graded = ok(
        grade(
            POLICE,
            json!({"grade": "credible", "note": "camera footage matches"}),
            sid.clone(),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(graded["sightings"][0]["grade"], "credible");
    assert_eq!(
        graded["sightings"][0]["graded"]["by"]["agency"],
        "demo-police"
    );
    let confirmed = ok(
        grade(CHILD_FOCUS, json!({"grade": "confirmed"}), sid.clone()).await,
        200,
    )
    .await;
    assert_eq!(confirmed["sightings"][0]["grade"], "confirmed");
    // The events carry the grade as it stood.
    let grades: Vec<String> = outbox(&app)
        .iter()
        .filter(|e| e.kind == "be.uam.alert.sighting_graded")
        .map(|e| {
            let alert: Value = serde_json::from_str(&e.alert).unwrap();
            alert["sightings"][0]["grade"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(grades, ["credible", "confirmed"]);
    assert_problem(
        grade(POLICE, json!({"grade": "likely"}), sid.clone()).await,
        400,
    )
    .await;
    assert_problem(
        grade(
            POLICE,
            json!({"grade": "credible"}),
            "no-such-sighting".into(),
        )
        .await,
        404,
    )
    .await;
}

/// The tasks of `who`'s agency as `(kind, status)`, and their ids.
async fn tasks(app: &TestApp, who: (&str, &str), purpose: &str, query: &str) -> Vec<Value> {
    let page = ok(
        call(
            app,
            who,
            purpose,
            reqwest::Method::GET,
            &format!("/v1/tasks{query}"),
            None,
        )
        .await,
        200,
    )
    .await;
    page["items"].as_array().unwrap().clone()
}

fn kinds(tasks: &[Value]) -> Vec<&str> {
    let mut k: Vec<&str> = tasks.iter().map(|t| t["kind"].as_str().unwrap()).collect();
    k.sort();
    k
}

#[apply(backends)]
async fn a_child_found_brings_follow_up_tasks_swept_when_overdue_and_counted_next_time(
    #[case] backend: Backend,
) {
    let (app, clock) = demo(backend).await;
    let alert = report(&app, RECEPTION, SEMHAR, json!({})).await;
    assert!(alert.get("previous_episodes").is_none(), "a first episode");
    let id = alert["id"].as_str().unwrap();
    ok(
        call(
            &app,
            POLICE,
            "disappearance",
            reqwest::Method::POST,
            &format!("/v1/alerts/{id}/resolution"),
            Some(json!({"outcome": "found_safe"})),
        )
        .await,
        201,
    )
    .await;
    // policy/risk.toml: return interview (72 h) and guardian informed (24 h) by the placement;
    // risk reassessment (72 h) and placement review (168 h) by the guardianship service.
    let centre = tasks(&app, RECEPTION, "care", "").await;
    assert_eq!(kinds(&centre), ["guardian_informed", "return_interview"]);
    let service = tasks(&app, SERVICE, "guardianship", "").await;
    assert_eq!(kinds(&service), ["placement_review", "risk_reassessment"]);
    assert!(tasks(&app, GUARDIAN, "guardianship", "").await.is_empty());
    let interview = centre
        .iter()
        .find(|t| t["kind"] == "return_interview")
        .unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(interview["due_at"].as_str().unwrap()).unwrap();
    let created =
        chrono::DateTime::parse_from_rfc3339(interview["created_at"].as_str().unwrap()).unwrap();
    assert_eq!(due - created, chrono::Duration::hours(72));
    assert_eq!(count(&app, SEMHAR, "be.uam.task.created"), 4);

    // The guardian was informed on time; another agency's task is not found.
    let informed = centre
        .iter()
        .find(|t| t["kind"] == "guardian_informed")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = ok(
        call(
            &app,
            RECEPTION,
            "care",
            reqwest::Method::POST,
            &format!("/v1/tasks/{informed}/completion"),
            Some(json!({"note": "phoned the guardian"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(done["status"], "done");
    let reassessment = service
        .iter()
        .find(|t| t["kind"] == "risk_reassessment")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        call(
            &app,
            RECEPTION,
            "care",
            reqwest::Method::POST,
            &format!("/v1/tasks/{reassessment}/completion"),
            Some(json!({})),
        )
        .await,
        404,
    )
    .await;

    // 73 hours on: the interview and the reassessment are overdue, each flagged once; the
    // completed task and the review (168 h) are not.
    clock.advance(chrono::Duration::hours(73));
    wait_for(&app, SEMHAR, "be.uam.task.overdue", 2).await;
    let overdue = tasks(&app, RECEPTION, "care", "?overdue=true").await;
    assert_eq!(kinds(&overdue), ["return_interview"]);
    let overdue = tasks(&app, SERVICE, "guardianship", "?overdue=true").await;
    assert_eq!(kinds(&overdue), ["risk_reassessment"]);
    clock.advance(chrono::Duration::hours(1));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(count(&app, SEMHAR, "be.uam.task.overdue"), 2, "once each");

    // A second disappearance carries the first in its risk assessment; one reported in error
    // does not count.
    let second = report(&app, RECEPTION, SEMHAR, json!({})).await;
    assert_eq!(second["previous_episodes"], 1);
    assert!(
        second["risk_factors"]
            .as_array()
            .unwrap()
            .contains(&json!("previous_disappearance"))
    );
    let second_id = second["id"].as_str().unwrap();
    ok(
        call(
            &app,
            POLICE,
            "disappearance",
            reqwest::Method::POST,
            &format!("/v1/alerts/{second_id}/resolution"),
            Some(json!({"outcome": "reported_in_error"})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        count(&app, SEMHAR, "be.uam.task.created"),
        4,
        "no tasks after an error"
    );
    let third = report(&app, RECEPTION, SEMHAR, json!({})).await;
    assert_eq!(
        third["previous_episodes"], 1,
        "the one in error is not counted"
    );
    // Police do not read `risk` of the child: the count is withheld from them.
    let third_id = third["id"].as_str().unwrap();
    let police = ok(
        call(
            &app,
            POLICE,
            "disappearance",
            reqwest::Method::GET,
            &format!("/v1/alerts/{third_id}"),
            None,
        )
        .await,
        200,
    )
    .await;
    let police_reads_risk = police["minor"].get("risk").is_some();
    assert_eq!(police.get("previous_episodes").is_some(), police_reads_risk);
}

#[apply(backends)]
async fn a_public_appeal_is_published_republished_and_cancelled_at_resolution(
    #[case] backend: Backend,
) {
    let (app, _clock) = demo(backend).await;
    let alert = report(&app, RECEPTION, SEMHAR, json!({})).await;
    let id = alert["id"].as_str().unwrap();
    let expires = (Utc::now() + chrono::Duration::days(14)).to_rfc3339();
    let publish = |who: (&'static str, &'static str)| {
        let app = &app;
        let expires = expires.clone();
        async move {
            call(
                app,
                who,
                "disappearance",
                reqwest::Method::POST,
                &format!("/v1/alerts/{id}/appeal"),
                Some(
                    json!({"area": "Brussels", "headline": "Missing: Semhar, 15",
                            "description": "Last seen at Brussels-North. Call 116000.",
                            "expires_at": expires}),
                ),
            )
            .await
        }
    };
    assert_problem(publish(POLICE).await, 403).await;
    let published = ok(publish(CHILD_FOCUS).await, 201).await;
    assert_eq!(published["appeal"]["headline"], "Missing: Semhar, 15");
    assert_problem(publish(CHILD_FOCUS).await, 409).await;
    for url in [
        "https://www.childfocus.be/en/missing/semhar",
        "https://social.example/childfocus/status/1",
    ] {
        ok(
            call(
                &app,
                CHILD_FOCUS,
                "disappearance",
                reqwest::Method::POST,
                &format!("/v1/alerts/{id}/appeal/republications"),
                Some(json!({"url": url})),
            )
            .await,
            201,
        )
        .await;
    }
    let cap = |who: (&'static str, &'static str)| {
        let app = &app;
        async move {
            let res = call(
                app,
                who,
                "disappearance",
                reqwest::Method::GET,
                &format!("/v1/alerts/{id}/appeal"),
                None,
            )
            .await;
            assert_eq!(res.status(), 200);
            assert_eq!(
                res.headers()["content-type"].to_str().unwrap(),
                "application/cap+xml"
            );
            res.text().await.unwrap()
        }
    };
    let live = cap(POLICE).await;
    assert!(live.contains("<msgType>Alert</msgType>"), "{live}");
    assert!(live.contains("<scope>Public</scope>"), "{live}");
    assert!(live.contains("<expires>"), "{live}");
    assert!(live.contains("<areaDesc>Brussels</areaDesc>"), "{live}");
    assert!(
        !live.contains("Schaerbeek"),
        "not the place last seen: {live}"
    );
    assert!(!live.contains(id), "not the alert's id: {live}");

    let resolved = ok(
        call(
            &app,
            POLICE,
            "disappearance",
            reqwest::Method::POST,
            &format!("/v1/alerts/{id}/resolution"),
            Some(json!({"outcome": "found_safe"})),
        )
        .await,
        201,
    )
    .await;
    assert!(resolved["appeal"]["cancelled_at"].is_string());
    let places: Vec<&str> = resolved["appeal"]["republications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        places,
        [
            "https://www.childfocus.be/en/missing/semhar",
            "https://social.example/childfocus/status/1"
        ],
        "the places to take it down"
    );
    let cancel = cap(CHILD_FOCUS).await;
    assert!(cancel.contains("<msgType>Cancel</msgType>"), "{cancel}");
    assert!(cancel.contains("<references>uam-registry,"), "{cancel}");
    assert!(cancel.contains("take this appeal down"), "{cancel}");
    assert!(
        !cancel.contains("Call 116000"),
        "a cancellation repeats nothing: {cancel}"
    );
    // It cannot outlive its alert: nothing more is recorded on it.
    let res = call(
        &app,
        CHILD_FOCUS,
        "disappearance",
        reqwest::Method::POST,
        &format!("/v1/alerts/{id}/appeal/republications"),
        Some(json!({"url": "https://late.example/post"})),
    )
    .await;
    assert_problem(res, 409).await;
    // An expiry in the past is named.
    let other = report(&app, SERVICE, FARID, json!({})).await;
    let other_id = other["id"].as_str().unwrap();
    let res = call(
        &app,
        CHILD_FOCUS,
        "disappearance",
        reqwest::Method::POST,
        &format!("/v1/alerts/{other_id}/appeal"),
        Some(
            json!({"area": "Antwerp", "headline": "x", "description": "y",
                    "expires_at": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339()}),
        ),
    )
    .await;
    let problem = assert_problem(res, 400).await;
    assert!(problem.to_string().contains("expires_at"), "{problem}");
}
