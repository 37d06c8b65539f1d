//! The side channels of issue 15, each probed as a caller would: alert views, followers, alert
//! actions, list filters, history, blind writes, the identification listing, the audit of alert
//! actions and streams, and alerts opened by unrelated agencies. Each test failed on the code
//! before the access module decided these.

use std::collections::BTreeSet;

use api::demo::DEMO_CHILDREN;
use api::startup::Options;
use chrono::Utc;
use reqwest::Method;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::sql::audit_rows;
use crate::helpers::{Backend, TestApp, assert_problem, backends, spawn_demo};

const CHILD: &str = DEMO_CHILDREN[0];
const YOUTH_CHILD: &str = DEMO_CHILDREN[1];
const RECEPTION: (&str, &str) = ("demo-reception", "reception_staff");
const GUARDIAN: (&str, &str) = ("demo-guardian", "guardian");
const OFFICER: (&str, &str) = ("demo-guardianship", "guardianship_officer");
const POLICE: (&str, &str) = ("demo-police", "police_officer");
const CHILD_FOCUS: (&str, &str) = ("demo-child-focus", "child_focus_case_manager");
const IMMIGRATION: (&str, &str) = ("demo-immigration", "immigration_officer");

async fn call(
    app: &TestApp,
    who: (&str, &str),
    method: Method,
    path: &str,
    purpose: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut rq = app
        .client
        .request(method.clone(), app.url(path))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", purpose);
    if method == Method::PATCH && path.starts_with("/v1/minors/") {
        rq = rq
            .header(
                "if-match",
                crate::helpers::sql::etag(app, path.trim_start_matches("/v1/minors/")),
            )
            .header("content-type", "application/merge-patch+json")
            .body(body.unwrap_or_default().to_string());
    } else if let Some(body) = body {
        rq = rq.json(&body);
    }
    rq.send().await.unwrap()
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(code, status, "{body}");
    body
}

async fn report(app: &TestApp, who: (&str, &str), child: &str) -> Value {
    let body = json!({"last_seen_at": (Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
                      "last_seen_place": "Brussels-North"});
    json_of(
        call(
            app,
            who,
            Method::POST,
            &format!("/v1/minors/{child}/disappearances"),
            "disappearance",
            Some(body),
        )
        .await,
        201,
    )
    .await
}

async fn alert_as(app: &TestApp, who: (&str, &str), id: &str) -> reqwest::Response {
    call(
        app,
        who,
        Method::GET,
        &format!("/v1/alerts/{id}"),
        "disappearance",
        None,
    )
    .await
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// Leak 2: what an alert derives from `health`, `placement` and `guardianship` reaches only those
/// who read them.
#[apply(backends)]
async fn alert_views_carry_no_derived_value_of_a_withheld_category(#[case] backend: Backend) {
    let app = spawn_demo(backend).await;
    let urgent = json!({"health": {"urgent_medical_need": true}});
    let res = call(
        &app,
        GUARDIAN,
        Method::PATCH,
        &format!("/v1/minors/{CHILD}"),
        "guardianship",
        Some(urgent),
    )
    .await;
    assert_eq!(res.status(), 200);
    let raised = report(&app, RECEPTION, CHILD).await;
    let id = raised["id"].as_str().unwrap();

    let guardian = json_of(alert_as(&app, GUARDIAN, id).await, 200).await;
    assert!(strings(&guardian["risk_factors"]).contains(&"urgent_medical_need".to_owned()));
    assert!(strings(&guardian["notified"]).contains(&"demo-guardian".to_owned()));

    for who in [POLICE, CHILD_FOCUS] {
        let seen = json_of(alert_as(&app, who, id).await, 200).await;
        let factors = strings(&seen["risk_factors"]);
        assert!(
            !factors.contains(&"urgent_medical_need".to_owned()),
            "{who:?}: {seen}"
        );
        assert!(
            factors.contains(&"recorded_high_risk".to_owned()),
            "risk is read: {seen}"
        );
        let notified = strings(&seen["notified"]);
        for hidden in ["demo-reception", "demo-guardian"] {
            assert!(!notified.contains(&hidden.to_owned()), "{who:?}: {seen}");
        }
        assert!(notified.contains(&"demo-guardianship".to_owned()));
        assert_eq!(
            seen["reported_by"]["agency"], "withheld",
            "the reporter is the centre"
        );
    }
}

/// Leaks 3 and 4: outcomes and changes by permit; followers from the record as it is now.
#[apply(backends)]
async fn alert_actions_follow_the_permits_and_the_current_placement(#[case] backend: Backend) {
    let app = spawn_demo(backend).await;
    let raised = report(&app, RECEPTION, CHILD).await;
    let id = raised["id"].as_str().unwrap().to_owned();
    let at = |tail: &str| format!("/v1/alerts/{id}{tail}");

    // Child Focus may not declare a child dead, nor rewrite another agency's report.
    for outcome in ["deceased", "reported_in_error"] {
        let res = call(
            &app,
            CHILD_FOCUS,
            Method::POST,
            &at("/resolution"),
            "disappearance",
            Some(json!({"outcome": outcome})),
        )
        .await;
        assert_problem(res, 403).await;
    }
    let res = call(
        &app,
        CHILD_FOCUS,
        Method::PATCH,
        &at(""),
        "disappearance",
        Some(json!({"circumstances": "rewritten"})),
    )
    .await;
    assert_problem(res, 403).await;
    let unchanged = json_of(alert_as(&app, OFFICER, &id).await, 200).await;
    assert_eq!(unchanged["status"], "open");
    assert!(
        unchanged
            .get("circumstances")
            .is_none_or(|c| c != "rewritten")
    );

    // The child moves to another centre: the new one follows the alert, the old one no longer.
    assert_eq!(
        app.create_agency("other-centre", "reception_centre")
            .await
            .status(),
        201
    );
    let moved = json!({"placement": {"current_agency": "other-centre", "since": "2026-11-30"}});
    let res = call(
        &app,
        RECEPTION,
        Method::PATCH,
        &format!("/v1/minors/{CHILD}"),
        "care",
        Some(moved),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_problem(alert_as(&app, RECEPTION, &id).await, 403).await;
    let new_centre = ("other-centre", "reception_staff");
    json_of(alert_as(&app, new_centre, &id).await, 200).await;
    let listed = json_of(
        call(
            &app,
            new_centre,
            Method::GET,
            "/v1/alerts",
            "disappearance",
            None,
        )
        .await,
        200,
    )
    .await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, [id.as_str()], "the new placement lists the alert");
    let old = json_of(
        call(
            &app,
            RECEPTION,
            Method::GET,
            "/v1/alerts",
            "disappearance",
            None,
        )
        .await,
        200,
    )
    .await;
    assert!(old["items"].as_array().unwrap().is_empty(), "{old}");
    let res = call(
        &app,
        new_centre,
        Method::POST,
        &at("/acknowledgements"),
        "disappearance",
        None,
    )
    .await;
    assert_eq!(res.status(), 201);

    // Police may close it as deceased.
    let res = call(
        &app,
        POLICE,
        Method::POST,
        &at("/resolution"),
        "disappearance",
        Some(json!({"outcome": "deceased"})),
    )
    .await;
    assert_eq!(res.status(), 201);
}

/// Leak 5: a listing filter on `placement` needs read of `placement`.
#[apply(backends)]
async fn list_filters_need_read_of_their_category(#[case] backend: Backend) {
    let app = spawn_demo(backend).await;
    let path = "/v1/minors?placement_agency=demo-reception";
    for (who, purpose) in [
        (POLICE, "disappearance"),
        (POLICE, "identification"),
        (IMMIGRATION, "procedure"),
    ] {
        let problem =
            assert_problem(call(&app, who, Method::GET, path, purpose, None).await, 403).await;
        assert!(
            problem.to_string().contains("placement_agency"),
            "{problem}"
        );
    }
    let page = json_of(
        call(&app, OFFICER, Method::GET, path, "guardianship", None).await,
        200,
    )
    .await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, [CHILD]);
    let audit = audit_rows(&app);
    let refused = audit
        .iter()
        .filter(|r| r.action == "list" && r.outcome == "denied")
        .count();
    assert_eq!(refused, 3, "every refusal is audited");
}

/// Leak 6: a revision that changed only withheld categories is not shown.
#[apply(backends)]
async fn history_hides_when_and_by_whom_withheld_categories_changed(#[case] backend: Backend) {
    let app = spawn_demo(backend).await;
    let health = json!({"health": {"medication": "none"}});
    let res = call(
        &app,
        GUARDIAN,
        Method::PATCH,
        &format!("/v1/minors/{CHILD}"),
        "guardianship",
        Some(health),
    )
    .await;
    let version = json_of(res, 200).await["version"].as_i64().unwrap();
    let path = format!("/v1/minors/{CHILD}/history");
    let mine = json_of(
        call(&app, GUARDIAN, Method::GET, &path, "guardianship", None).await,
        200,
    )
    .await;
    let versions = |h: &Value| -> Vec<i64> {
        h["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["version"].as_i64().unwrap())
            .collect()
    };
    assert!(
        versions(&mine).contains(&version),
        "the guardian reads health"
    );
    for (who, purpose) in [
        (OFFICER, "guardianship"),
        (POLICE, "identification"),
        (IMMIGRATION, "procedure"),
    ] {
        let seen = json_of(
            call(&app, who, Method::GET, &path, purpose, None).await,
            200,
        )
        .await;
        assert!(
            !versions(&seen).contains(&version),
            "{who:?} sees the health edit: {seen}"
        );
        assert!(!versions(&seen).is_empty());
    }
}

/// Leak 7: police read what they write at interception; a policy with a blind write does not load.
#[apply(backends)]
async fn no_blind_writes(#[case] backend: Backend) {
    let app = spawn_demo(backend).await;
    let found = json!({"interception": {"authority": "demo-police", "place": "Brussels-South"}});
    let res = call(
        &app,
        POLICE,
        Method::PATCH,
        &format!("/v1/minors/{YOUTH_CHILD}"),
        "identification",
        Some(found),
    )
    .await;
    let body = json_of(res, 200).await;
    assert_eq!(body["interception"]["place"], "Brussels-South", "{body}");

    let blind = domain::policy::DEFAULT_POLICY_TOML.replace(
        "role = \"police_officer\"\naccess = [\"read\", \"write\"]\ncategories = [\"interception\"]",
        "role = \"police_officer\"\naccess = [\"write\"]\ncategories = [\"interception\"]",
    );
    assert_ne!(
        blind,
        domain::policy::DEFAULT_POLICY_TOML,
        "the grant was found"
    );
    let path = app.db.data_dir.join("blind.toml");
    std::fs::write(&path, blind).unwrap();
    let settings = api::config::Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: app.db.data_dir.join("blind"),
        database_url: app.db.url.clone(),
        policy: path.display().to_string(),
        ..api::config::Settings::default()
    };
    let refused = api::startup::Application::build(settings, Options::default()).await;
    let message = format!(
        "{:#}",
        refused.err().expect("a blind write stops the start")
    );
    assert!(message.contains("no blind writes"), "{message}");
}

/// Leak 8: under `identification`, reception staff page through their own children only.
#[apply(backends)]
async fn the_identification_listing_holds_only_the_callers_own_children(#[case] backend: Backend) {
    let app = spawn_demo(backend).await;
    let page = json_of(
        call(
            &app,
            RECEPTION,
            Method::GET,
            "/v1/minors?limit=200",
            "identification",
            None,
        )
        .await,
        200,
    )
    .await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [CHILD],
        "the youth-care child is reached by search only"
    );
    let hits = json_of(
        call(
            &app,
            RECEPTION,
            Method::POST,
            "/v1/minors/search",
            "identification",
            Some(json!({"names": ["Farid Ahmadi"], "limit": 5})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(hits["items"][0]["record"]["id"], YOUTH_CHILD);
}

/// Leak 9: alert actions are audited with the categories their answers disclose, and each event
/// streamed is audited with its child, categories and event id.
#[apply(backends)]
async fn alert_actions_and_streamed_events_are_audited_with_their_categories(
    #[case] backend: Backend,
) {
    let app = spawn_demo(backend).await;
    let mut stream = app
        .client
        .get(app.url("/v1/alerts/stream"))
        .headers(app.auth(POLICE.0, POLICE.1))
        .header("x-purpose", "disappearance")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let raised = report(&app, RECEPTION, CHILD).await;
    let id = raised["id"].as_str().unwrap();
    let res = call(
        &app,
        POLICE,
        Method::POST,
        &format!("/v1/alerts/{id}/acknowledgements"),
        "disappearance",
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let mut text = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !text.contains("be.uam.alert.acknowledged") && std::time::Instant::now() < deadline {
        if let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(std::time::Duration::from_secs(1), stream.chunk()).await
        {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(text.contains("be.uam.alert.raised"), "{text}");
    drop(stream);

    let rows = audit_rows(&app);
    let row = |action: &str| {
        rows.iter()
            .find(|r| r.action == action && r.outcome == "success")
            .unwrap()
    };
    let cats = |r: &crate::helpers::sql::AuditRow| -> BTreeSet<String> {
        serde_json::from_str(&r.categories).unwrap()
    };
    let set =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|n| n.to_string()).collect() };
    // The centre's answer: its own child under `disappearance` (policy/default.toml: identity,
    // physical, photos, contacts, risk, placement, guardianship; the child has no photo).
    assert_eq!(
        cats(row("report_disappearance")),
        set(&[
            "identity",
            "physical",
            "contacts",
            "guardianship",
            "placement",
            "risk"
        ])
    );
    // The police answer: identity always, physical, contacts and risk while the alert is open
    // (photos and vulnerability too, which this child has none of); never health.
    assert_eq!(
        cats(row("acknowledge")),
        set(&["identity", "physical", "contacts", "risk"])
    );
    let streamed: Vec<_> = rows.iter().filter(|r| r.action == "alert_stream").collect();
    assert!(
        streamed.len() >= 2,
        "one entry per event streamed: {streamed:?}"
    );
    for r in streamed {
        assert!(r.minors.contains(CHILD), "{r:?}");
        assert_eq!(
            cats(r),
            set(&["identity", "physical", "contacts", "risk"]),
            "{r:?}"
        );
        assert!(!r.request_id.is_empty());
    }
}

/// Leak 13: an alert opened by an agency unrelated to the child is marked for the guardian and
/// the guardianship service; withdrawn as reported in error, it counts as no disappearance.
#[apply(backends)]
async fn alerts_opened_by_unrelated_agencies_are_marked_and_errors_count_nowhere(
    #[case] backend: Backend,
) {
    let app = spawn_demo(backend).await;
    let raised = report(&app, POLICE, YOUTH_CHILD).await;
    let id = raised["id"].as_str().unwrap().to_owned();
    let officer = json_of(alert_as(&app, OFFICER, &id).await, 200).await;
    assert_eq!(officer["reporter_unrelated"], true);
    let cf = json_of(alert_as(&app, CHILD_FOCUS, &id).await, 200).await;
    assert!(cf.get("reporter_unrelated").is_none(), "{cf}");

    let res = call(
        &app,
        POLICE,
        Method::POST,
        &format!("/v1/alerts/{id}/resolution"),
        "disappearance",
        Some(json!({"outcome": "reported_in_error"})),
    )
    .await;
    assert_eq!(res.status(), 201);
    // A later, real disappearance is not a repeat one.
    let again = report(&app, POLICE, YOUTH_CHILD).await;
    assert!(
        !strings(&again["risk_factors"]).contains(&"previous_disappearance".to_owned()),
        "{again}"
    );

    // Auditors see, per reporting agency, what it opened and how much proved wrong.
    let auditor = ("registry", "auditor");
    let listing = json_of(
        call(
            &app,
            auditor,
            Method::GET,
            "/v1/oversight/alerts-in-error",
            "audit",
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        listing["items"],
        json!([{"agency": "demo-police", "reported": 2, "unrelated": 2, "closed_in_error": 1,
                "unrelated_closed_in_error": 1}])
    );
    let res = call(
        &app,
        OFFICER,
        Method::GET,
        "/v1/oversight/alerts-in-error",
        "guardianship",
        None,
    )
    .await;
    assert_problem(res, 403).await;
}
