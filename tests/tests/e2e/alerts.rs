//! Disappearance reports and alerts: risk from the rules, who is notified, the lifecycle, the
//! `active_alert` grants both ways, deadlines driven by the clock, and the transactional outbox.

use std::time::Duration;

use api::demo::DEMO_CHILDREN;
use api::startup::Options;
use chrono::{DateTime, Utc};
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::sql::exec;
use crate::helpers::{Backend, TestApp, TestClock, assert_problem, backends, spawn_app_with};

const CHILD: &str = DEMO_CHILDREN[0];
const RECEPTION: (&str, &str) = ("demo-reception", "reception_staff");
const POLICE: (&str, &str) = ("demo-police", "police_officer");
const CHILD_FOCUS: (&str, &str) = ("demo-child-focus", "child_focus_case_manager");

async fn demo(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        |_| {},
    )
    .await
}

async fn send(
    app: &TestApp,
    who: (&str, &str),
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", "disappearance");
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

async fn report(app: &TestApp, who: (&str, &str), child: &str) -> reqwest::Response {
    let body = json!({"last_seen_at": (Utc::now() - chrono::Duration::hours(2)).to_rfc3339(),
                      "last_seen_place": "Brussels-North station", "circumstances": "did not return from school"});
    send(
        app,
        who,
        reqwest::Method::POST,
        &format!("/v1/minors/{child}/disappearances"),
        Some(body),
    )
    .await
}

#[derive(QueryableByName, Debug)]
struct EventRow {
    #[diesel(sql_type = Text)]
    event_id: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    minor_id: String,
}

fn outbox(app: &TestApp) -> Vec<EventRow> {
    let sql = "SELECT event_id, type AS kind, minor_id FROM outbox ORDER BY seq";
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

fn kinds(app: &TestApp) -> Vec<String> {
    outbox(app).into_iter().map(|e| e.kind).collect()
}

async fn child_status(app: &TestApp) -> String {
    let res = app
        .client
        .get(app.url(&format!("/v1/minors/{CHILD}")))
        .headers(app.auth("demo-guardianship", "guardianship_officer"))
        .header("x-purpose", "guardianship")
        .send()
        .await
        .unwrap();
    res.json::<Value>().await.unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[apply(backends)]
async fn a_report_raises_an_alert_with_assessed_risk_for_the_agencies_that_must_act(
    #[case] backend: Backend,
) {
    let app = demo(backend).await;
    let res = report(&app, RECEPTION, CHILD).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let alert: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/alerts/{}", alert["id"].as_str().unwrap())
    );
    assert_eq!(alert["status"], "open");
    // The record holds risk level `high`: a rule of policy/risk.toml.
    assert_eq!(alert["risk"], "high");
    assert!(
        alert["risk_factors"]
            .as_array()
            .unwrap()
            .contains(&json!("recorded_high_risk"))
    );
    assert_eq!(
        alert["notified"],
        json!([
            "demo-child-focus",
            "demo-guardian",
            "demo-guardianship",
            "demo-immigration",
            "demo-police"
        ]),
        "police, Child Focus, the guardianship service, the child's guardian and the immigration \
         office (a party on the reporting ledger); not the reporter"
    );
    let raised: DateTime<Utc> = alert["raised_at"].as_str().unwrap().parse().unwrap();
    let due: DateTime<Utc> = alert["acknowledgement_due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        due - raised,
        chrono::Duration::minutes(15),
        "high risk: 15 minutes"
    );
    assert_eq!(child_status(&app).await, "missing");
    assert_eq!(kinds(&app), ["be.uam.alert.raised"]);
    assert_eq!(outbox(&app)[0].minor_id, CHILD);

    // One open alert per child; a reporter without a relation to the child, or a role that may not
    // report, is refused; nothing is stored for a refused report.
    assert_problem(
        report(&app, ("demo-police", "police_officer"), CHILD).await,
        409,
    )
    .await;
    assert_problem(
        report(
            &app,
            ("demo-reception", "reception_staff"),
            DEMO_CHILDREN[1],
        )
        .await,
        403,
    )
    .await;
    assert_problem(
        report(
            &app,
            ("demo-immigration", "immigration_officer"),
            DEMO_CHILDREN[1],
        )
        .await,
        403,
    )
    .await;
    assert_problem(report(&app, POLICE, "no-such-child").await, 404).await;
    let future = json!({"last_seen_at": "2999-01-01T00:00:00Z", "last_seen_place": "x"});
    let res = send(
        &app,
        POLICE,
        reqwest::Method::POST,
        &format!("/v1/minors/{}/disappearances", DEMO_CHILDREN[1]),
        Some(future),
    )
    .await;
    assert_problem(res, 400).await;
    assert_eq!(kinds(&app).len(), 1);
}

#[apply(backends)]
async fn alert_grants_hold_while_the_alert_is_open_and_end_at_resolution(#[case] backend: Backend) {
    let app = demo(backend).await;
    let read = |who: (&'static str, &'static str)| {
        let app = &app;
        async move {
            let res = app
                .client
                .get(app.url(&format!("/v1/minors/{CHILD}")))
                .headers(app.auth(who.0, who.1))
                .header("x-purpose", "disappearance")
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let (status, before) = read(POLICE).await;
    assert_eq!(status, 200);
    assert!(
        before.get("physical").is_none() && before.get("contacts").is_none(),
        "{before}"
    );
    assert_eq!(read(CHILD_FOCUS).await.0, 403);

    let alert: Value = report(&app, RECEPTION, CHILD).await.json().await.unwrap();
    let id = alert["id"].as_str().unwrap().to_owned();
    for who in [POLICE, CHILD_FOCUS] {
        let (status, during) = read(who).await;
        assert_eq!(status, 200, "{who:?}");
        for c in ["identity", "physical", "contacts", "risk"] {
            assert!(
                during.get(c).is_some(),
                "{who:?} sees {c} during the alert: {during}"
            );
        }
        assert!(during.get("health").is_none(), "never health");
    }
    // The alert itself carries the same projection.
    let got: Value = send(
        &app,
        CHILD_FOCUS,
        reqwest::Method::GET,
        &format!("/v1/alerts/{id}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        got["minor"]["physical"].is_object() && got["minor"].get("health").is_none(),
        "{got}"
    );

    let res = send(
        &app,
        POLICE,
        reqwest::Method::POST,
        &format!("/v1/alerts/{id}/resolution"),
        Some(json!({"outcome": "found_safe", "note": "found at a friend's"})),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_eq!(child_status(&app).await, "active");
    let (_, after) = read(POLICE).await;
    assert!(
        after.get("physical").is_none() && after.get("contacts").is_none(),
        "{after}"
    );
    assert_eq!(read(CHILD_FOCUS).await.0, 403);
}

#[apply(backends)]
async fn the_lifecycle_acknowledgements_sightings_news_resolution_measures(
    #[case] backend: Backend,
) {
    let app = demo(backend).await;
    let alert: Value = report(&app, RECEPTION, CHILD).await.json().await.unwrap();
    let id = alert["id"].as_str().unwrap().to_owned();
    let at = |tail: &str| format!("/v1/alerts/{id}{tail}");
    use reqwest::Method;

    let res = send(&app, POLICE, Method::POST, &at("/acknowledgements"), None).await;
    assert_eq!(res.status(), 201);
    let acked: Value = res.json().await.unwrap();
    assert_eq!(acked["acknowledgements"][0]["agency"], "demo-police");
    assert_problem(
        send(&app, POLICE, Method::POST, &at("/acknowledgements"), None).await,
        409,
    )
    .await;
    // The centre reported the alert: it follows it, but has nothing to acknowledge.
    assert_problem(
        send(
            &app,
            RECEPTION,
            Method::POST,
            &at("/acknowledgements"),
            None,
        )
        .await,
        409,
    )
    .await;

    let sighting = json!({"seen_at": (Utc::now() - chrono::Duration::minutes(30)).to_rfc3339(), "place": "Antwerp-Central", "note": "with two adults"});
    let res = send(
        &app,
        CHILD_FOCUS,
        Method::POST,
        &at("/sightings"),
        Some(sighting),
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["sightings"][0]["place"], "Antwerp-Central");

    assert_problem(
        send(
            &app,
            POLICE,
            Method::PATCH,
            &at(""),
            Some(json!({"risk": "low"})),
        )
        .await,
        400,
    )
    .await;
    let res = send(
        &app,
        POLICE,
        Method::PATCH,
        &at(""),
        Some(json!({"risk": "medium", "reason": "seen with family", "last_seen_place": "Antwerp"})),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["risk"].as_str(), body["last_seen_place"].as_str()),
        (Some("medium"), Some("Antwerp"))
    );

    // Only those who follow the alert see it.
    app.create_agency("other-reception", "reception_centre")
        .await;
    assert_problem(
        send(
            &app,
            ("other-reception", "reception_staff"),
            Method::GET,
            &at(""),
            None,
        )
        .await,
        403,
    )
    .await;
    let res = app
        .client
        .get(app.url(&at("")))
        .headers(app.auth(POLICE.0, POLICE.1))
        .header("x-purpose", "care")
        .send()
        .await
        .unwrap();
    assert_problem(res, 403).await;

    // Listing with filters.
    let list = |query: &'static str, who: (&'static str, &'static str)| {
        let app = &app;
        async move {
            let res = send(app, who, Method::GET, &format!("/v1/alerts{query}"), None).await;
            assert_eq!(res.status(), 200, "{query}");
            res.json::<Value>().await.unwrap()["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(list("", POLICE).await, 1);
    assert_eq!(list("?status=open&risk=medium", POLICE).await, 1);
    assert_eq!(list("?status=resolved", POLICE).await, 0);
    assert_eq!(list("?risk=high", POLICE).await, 0);
    assert_eq!(
        list(
            "?agency=demo-police",
            ("demo-guardianship", "guardianship_officer")
        )
        .await,
        1
    );
    assert_eq!(list("", ("other-reception", "reception_staff")).await, 0);
    assert_problem(
        send(&app, POLICE, Method::GET, "/v1/alerts?status=lost", None).await,
        400,
    )
    .await;

    assert_problem(
        send(
            &app,
            ("demo-guardianship", "guardianship_officer"),
            Method::PATCH,
            &at(""),
            Some(json!({"protective_measures": "too early"})),
        )
        .await,
        409,
    )
    .await;
    let res = send(
        &app,
        POLICE,
        Method::POST,
        &at("/resolution"),
        Some(json!({"outcome": "returned"})),
    )
    .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (
            body["status"].as_str(),
            body["resolution"]["outcome"].as_str()
        ),
        (Some("resolved"), Some("returned"))
    );
    assert!(body["measures_due_at"].is_string());
    assert_problem(
        send(
            &app,
            CHILD_FOCUS,
            Method::POST,
            &at("/acknowledgements"),
            None,
        )
        .await,
        409,
    )
    .await;
    assert_problem(
        send(
            &app,
            POLICE,
            Method::POST,
            &at("/resolution"),
            Some(json!({"outcome": "found_safe"})),
        )
        .await,
        409,
    )
    .await;
    let res = send(
        &app,
        ("demo-guardianship", "guardianship_officer"),
        Method::PATCH,
        &at(""),
        Some(json!({"protective_measures": "placed in a secure reception centre"})),
    )
    .await;
    assert_eq!(res.status(), 200);

    assert_eq!(
        kinds(&app),
        [
            "be.uam.alert.raised",
            "be.uam.alert.acknowledged",
            "be.uam.alert.sighting",
            "be.uam.alert.updated",
            "be.uam.alert.resolved",
            // The follow-up of a child found (policy/risk.toml): return interview, risk
            // reassessment, placement review, guardian informed.
            "be.uam.task.created",
            "be.uam.task.created",
            "be.uam.task.created",
            "be.uam.task.created",
            "be.uam.alert.updated"
        ]
    );
    let ids: std::collections::BTreeSet<String> =
        outbox(&app).into_iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 10, "stable, distinct event ids");
}

#[apply(backends)]
async fn deadlines_escalate_and_measures_fall_overdue_as_the_clock_moves(#[case] backend: Backend) {
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
    // A sentinel: the other child's alert, reported (high risk, 15 minutes) two minutes earlier,
    // so that each of its deadlines passes one sweep before the same deadline of the alert under
    // test. A negative check waits for the sentinel's event (the sweep ran at that time) rather
    // than for a pause.
    let sentinel_child = DEMO_CHILDREN[1];
    let res = send(
        &app,
        ("demo-guardianship", "guardianship_officer"),
        reqwest::Method::POST,
        &format!("/v1/minors/{sentinel_child}/disappearances"),
        Some(
            json!({"last_seen_at": (Utc::now() - chrono::Duration::hours(2)).to_rfc3339(),
                    "last_seen_place": "Ghent", "risk": "high"}),
        ),
    )
    .await;
    assert_eq!(res.status(), 201);
    let sentinel = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    clock.advance(chrono::Duration::minutes(2));
    let alert: Value = report(&app, RECEPTION, CHILD).await.json().await.unwrap();
    let id = alert["id"].as_str().unwrap().to_owned();
    assert_eq!(alert["risk"], "high");

    // The events of `kind` about `child`.
    let count = |child: &str, kind: &str| {
        outbox(&app)
            .iter()
            .filter(|e| e.minor_id == child && e.kind == kind)
            .count()
    };
    let wait_for = |child: &'static str, kind: &'static str| {
        let count = &count;
        async move {
            for _ in 0..50 {
                if count(child, kind) >= 1 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("no {kind} event for {child}");
        }
    };
    const ESCALATED: &str = "be.uam.alert.escalated";
    const OVERDUE: &str = "be.uam.alert.measures_overdue";
    // 16 minutes after the sentinel, 14 after the alert: the sentinel escalates, the alert not.
    clock.advance(chrono::Duration::minutes(14));
    wait_for(sentinel_child, ESCALATED).await;
    assert_eq!(count(CHILD, ESCALATED), 0, "not before the deadline");
    clock.advance(chrono::Duration::minutes(2));
    wait_for(CHILD, ESCALATED).await;
    let got: Value = send(
        &app,
        POLICE,
        reqwest::Method::GET,
        &format!("/v1/alerts/{id}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(got["escalated_at"].is_string());

    // Located: the alert now, the sentinel two minutes later; 12 hours after each, the
    // protective-measures decision is overdue.
    let resolve = |alert: String| {
        let app = &app;
        async move {
            let res = send(
                app,
                POLICE,
                reqwest::Method::POST,
                &format!("/v1/alerts/{alert}/resolution"),
                Some(json!({"outcome": "found_safe"})),
            )
            .await;
            assert_eq!(res.status(), 201);
        }
    };
    resolve(id.clone()).await;
    clock.advance(chrono::Duration::minutes(2));
    resolve(sentinel.clone()).await;
    // 12 h 1 min after the alert's resolution, 11 h 59 min after the sentinel's: the alert's
    // decision is overdue, the sentinel's not yet.
    clock.advance(chrono::Duration::hours(11) + chrono::Duration::minutes(59));
    wait_for(CHILD, OVERDUE).await;
    assert_eq!(
        count(sentinel_child, OVERDUE),
        0,
        "the sentinel's decision is due two minutes later"
    );
    clock.advance(chrono::Duration::minutes(3));
    wait_for(sentinel_child, OVERDUE).await;
    // The sweep that raised the sentinel's came after the one that raised the alert's: had either
    // deadline fired twice, it would show by now.
    assert_eq!(count(CHILD, ESCALATED), 1, "once");
    assert_eq!(count(CHILD, OVERDUE), 1, "once");
    assert_eq!(count(sentinel_child, ESCALATED), 1, "once");
}

#[apply(backends)]
async fn a_report_that_cannot_be_audited_stores_nothing(#[case] backend: Backend) {
    let app = demo(backend).await;
    exec(&app, "ALTER TABLE audit_log RENAME TO audit_log_away");
    let res = report(&app, RECEPTION, CHILD).await;
    assert_problem(res, 503).await;
    exec(&app, "ALTER TABLE audit_log_away RENAME TO audit_log");
    assert!(outbox(&app).is_empty(), "no event");
    assert_eq!(child_status(&app).await, "active", "no status change");
    let res = send(
        &app,
        ("demo-guardianship", "guardianship_officer"),
        reqwest::Method::GET,
        "/v1/alerts",
        None,
    )
    .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["items"],
        json!([]),
        "no alert"
    );
}

/// Fetches the alert as CAP 1.2 and checks it against the schema's shape: required elements
/// present, in the namespace, enumerated values from their lists.
async fn cap(app: &TestApp, id: &str) -> (String, String) {
    let res = app
        .client
        .get(app.url(&format!("/v1/alerts/{id}")))
        .headers(app.auth(POLICE.0, POLICE.1))
        .header("x-purpose", "disappearance")
        .header("accept", "application/cap+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/cap+xml");
    let xml = res.text().await.unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "alert");
    assert_eq!(
        root.tag_name().namespace(),
        Some("urn:oasis:names:tc:emergency:cap:1.2")
    );
    let child = |node: roxmltree::Node<'_, '_>, name: &str| {
        node.children()
            .find(|c| c.tag_name().name() == name)
            .and_then(|c| c.text())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("CAP lacks <{name}>: {xml}"))
    };
    let one_of = |value: String, allowed: &[&str]| {
        assert!(
            allowed.contains(&value.as_str()),
            "{value} not in {allowed:?}"
        );
        value
    };
    for name in ["identifier", "sender", "sent"] {
        assert!(!child(root, name).is_empty());
    }
    let sent = child(root, "sent");
    assert!(
        chrono::DateTime::parse_from_rfc3339(&sent).is_ok() && !sent.ends_with('Z'),
        "CAP dateTime: {sent}"
    );
    one_of(
        child(root, "status"),
        &["Actual", "Exercise", "System", "Test", "Draft"],
    );
    let msg_type = one_of(
        child(root, "msgType"),
        &["Alert", "Update", "Cancel", "Ack", "Error"],
    );
    assert_eq!(
        one_of(child(root, "scope"), &["Public", "Restricted", "Private"]),
        "Restricted"
    );
    assert!(
        !child(root, "restriction").is_empty(),
        "a Restricted message says its restriction"
    );
    if msg_type != "Alert" {
        assert!(child(root, "references").contains(id));
    }
    let info = root
        .children()
        .find(|c| c.tag_name().name() == "info")
        .expect("<info>");
    one_of(
        child(info, "category"),
        &[
            "Geo",
            "Met",
            "Safety",
            "Security",
            "Rescue",
            "Fire",
            "Health",
            "Env",
            "Transport",
            "Infra",
            "CBRNE",
            "Other",
        ],
    );
    assert!(!child(info, "event").is_empty());
    let urgency = one_of(
        child(info, "urgency"),
        &["Immediate", "Expected", "Future", "Past", "Unknown"],
    );
    one_of(
        child(info, "severity"),
        &["Extreme", "Severe", "Moderate", "Minor", "Unknown"],
    );
    one_of(
        child(info, "certainty"),
        &["Observed", "Likely", "Possible", "Unlikely", "Unknown"],
    );
    assert!(
        !xml.contains("Semhar") && !xml.contains("Haile"),
        "no child record in CAP"
    );
    (msg_type, urgency)
}

#[apply(backends)]
async fn alerts_render_as_cap_1_2_alert_update_cancel(#[case] backend: Backend) {
    let app = demo(backend).await;
    let alert: Value = report(&app, RECEPTION, CHILD).await.json().await.unwrap();
    let id = alert["id"].as_str().unwrap().to_owned();
    assert_eq!(
        cap(&app, &id).await,
        ("Alert".to_owned(), "Immediate".to_owned()),
        "high risk"
    );
    send(
        &app,
        POLICE,
        reqwest::Method::POST,
        &format!("/v1/alerts/{id}/acknowledgements"),
        None,
    )
    .await;
    assert_eq!(cap(&app, &id).await.0, "Update");
    send(
        &app,
        POLICE,
        reqwest::Method::POST,
        &format!("/v1/alerts/{id}/resolution"),
        Some(json!({"outcome": "found_safe"})),
    )
    .await;
    assert_eq!(
        cap(&app, &id).await,
        ("Cancel".to_owned(), "Past".to_owned())
    );
}

#[apply(backends)]
async fn child_focus_reports_a_child_the_registry_does_not_know(#[case] backend: Backend) {
    let app = demo(backend).await;
    let body = json!({
        "minor": {"identity": {"given_names": "Yonas", "family_name": "Tesfay", "sex": "male", "nationalities": ["ER"]},
                  "physical": {"height_cm": 150, "distinguishing_marks": ["burn scar on the left hand"]}},
        "last_seen_at": (Utc::now() - chrono::Duration::hours(5)).to_rfc3339(),
        "last_seen_place": "Zeebrugge harbour",
        "circumstances": "reported by a volunteer; possibly trying to reach the UK"
    });
    let res = send(
        &app,
        CHILD_FOCUS,
        reqwest::Method::POST,
        "/v1/disappearances",
        Some(body.clone()),
    )
    .await;
    assert_eq!(res.status(), 201);
    let alert: Value = res.json().await.unwrap();
    let minor_id = alert["minor_id"].as_str().unwrap().to_owned();
    assert_eq!(
        alert["minor"]["identity"]["given_names"], "Yonas",
        "Child Focus sees its report under the alert"
    );
    assert_eq!(alert["minor"]["status"], "missing");
    assert!(
        alert["minor"]["registry_number"]
            .as_str()
            .unwrap()
            .starts_with("UAM-")
    );
    // The guardianship service finds the new record, missing.
    let res = app
        .client
        .get(app.url(&format!("/v1/minors/{minor_id}")))
        .headers(app.auth("demo-guardianship", "guardianship_officer"))
        .header("x-purpose", "guardianship")
        .send()
        .await
        .unwrap();
    let record: Value = res.json().await.unwrap();
    assert_eq!(
        (
            record["status"].as_str(),
            record["physical"]["height_cm"].as_u64()
        ),
        (Some("missing"), Some(150))
    );
    assert_eq!(kinds(&app), ["be.uam.alert.raised"]);

    // Only Child Focus; only identity, physical and contacts; identity required; paths named.
    assert_problem(
        send(
            &app,
            POLICE,
            reqwest::Method::POST,
            "/v1/disappearances",
            Some(body.clone()),
        )
        .await,
        403,
    )
    .await;
    let mut with_health = body.clone();
    with_health["minor"]["health"] = json!({"medication": "x"});
    let problem = assert_problem(
        send(
            &app,
            CHILD_FOCUS,
            reqwest::Method::POST,
            "/v1/disappearances",
            Some(with_health),
        )
        .await,
        400,
    )
    .await;
    assert!(problem.to_string().contains("minor.health"), "{problem}");
    let mut bad_identity = body.clone();
    bad_identity["minor"]["identity"]["nationalities"] = json!(["XX"]);
    let problem = assert_problem(
        send(
            &app,
            CHILD_FOCUS,
            reqwest::Method::POST,
            "/v1/disappearances",
            Some(bad_identity),
        )
        .await,
        400,
    )
    .await;
    assert!(
        problem
            .to_string()
            .contains("minor.identity.nationalities[0]"),
        "{problem}"
    );
    assert_eq!(kinds(&app).len(), 1, "refused reports store nothing");
}
