//! The audit trail: one entry per request on child data (refusals and failed authentications too),
//! durable before the answer (fail closed), hash-chained so that tampering is found, append-only,
//! and readable per child by the people entitled to.

use std::collections::BTreeMap;

use api::demo::DEMO_CHILDREN;
use api::startup::Options;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::sql::{audit_rows, exec, try_exec};
use crate::helpers::{
    Backend, TestApp, assert_problem, backends, bearer, spawn_app_with, spawn_instance,
};

const CHILD: &str = DEMO_CHILDREN[0];

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

/// A request and what its audit entry must say.
struct Expect {
    outcome: &'static str,
    purpose: Option<&'static str>,
    categories: Option<Vec<&'static str>>,
}

/// Agency, role, purpose, path, expected status, expected entry.
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    String,
    u16,
    Expect,
);

async fn call(
    app: &TestApp,
    agency: &str,
    role: &str,
    purpose: Option<&str>,
    path: &str,
) -> (u16, String) {
    let mut req = app
        .client
        .get(app.url(path))
        .headers(app.auth(agency, role));
    if let Some(p) = purpose {
        req = req.header("x-purpose", p);
    }
    let res = req.send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    (res.status().as_u16(), id)
}

#[apply(backends)]
async fn every_request_on_child_data_leaves_exactly_one_matching_entry(#[case] backend: Backend) {
    let app = demo(backend).await;
    let child = format!("/v1/minors/{CHILD}");
    let mut expected: BTreeMap<String, Expect> = BTreeMap::new();
    let reception_care = vec![
        "identity",
        "physical",
        "health",
        "contacts",
        "guardianship",
        "placement",
        "procedure",
        "child_view",
        "risk",
    ];
    let cases: Vec<Case> = vec![
        (
            "demo-reception",
            "reception_staff",
            Some("care"),
            child.clone(),
            200,
            Expect {
                outcome: "success",
                purpose: Some("care"),
                categories: Some(reception_care.clone()),
            },
        ),
        (
            "demo-police",
            "police_officer",
            Some("identification"),
            child.clone(),
            200,
            Expect {
                outcome: "success",
                purpose: Some("identification"),
                categories: Some(vec!["identity"]),
            },
        ),
        (
            "demo-guardian",
            "guardian",
            Some("guardianship"),
            format!("{child}/history"),
            200,
            Expect {
                outcome: "success",
                purpose: Some("guardianship"),
                categories: None,
            },
        ),
        (
            "demo-police",
            "police_officer",
            None,
            child.clone(),
            400,
            Expect {
                outcome: "purpose_missing",
                purpose: None,
                categories: Some(vec![]),
            },
        ),
        (
            "demo-police",
            "police_officer",
            Some("curiosity"),
            child.clone(),
            400,
            Expect {
                outcome: "purpose_missing",
                purpose: None,
                categories: Some(vec![]),
            },
        ),
        (
            "demo-police",
            "police_officer",
            Some("care"),
            child.clone(),
            403,
            Expect {
                outcome: "denied",
                purpose: Some("care"),
                categories: Some(vec![]),
            },
        ),
        (
            "demo-child-focus",
            "child_focus_case_manager",
            Some("disappearance"),
            child.clone(),
            403,
            Expect {
                outcome: "denied",
                purpose: Some("disappearance"),
                categories: Some(vec![]),
            },
        ),
        (
            "registry",
            "registry_admin",
            Some("care"),
            child.clone(),
            403,
            Expect {
                outcome: "denied",
                purpose: Some("care"),
                categories: Some(vec![]),
            },
        ),
        (
            "demo-guardianship",
            "guardianship_officer",
            Some("guardianship"),
            "/v1/minors/no-such-child".into(),
            404,
            Expect {
                outcome: "not_found",
                purpose: Some("guardianship"),
                categories: Some(vec![]),
            },
        ),
        (
            "demo-guardianship",
            "guardianship_officer",
            Some("guardianship"),
            "/v1/minors".into(),
            200,
            Expect {
                outcome: "success",
                purpose: Some("guardianship"),
                categories: None,
            },
        ),
        (
            "registry",
            "auditor",
            Some("audit"),
            format!("{child}/access-log"),
            200,
            Expect {
                outcome: "success",
                purpose: Some("audit"),
                categories: Some(vec![]),
            },
        ),
        (
            "demo-reception",
            "reception_staff",
            Some("care"),
            format!("{child}/access-log"),
            403,
            Expect {
                outcome: "denied",
                purpose: Some("care"),
                categories: Some(vec![]),
            },
        ),
    ];
    for (agency, role, purpose, path, status, expect) in cases {
        let (got, request_id) = call(&app, agency, role, purpose, &path).await;
        assert_eq!(got, status, "{role} {purpose:?} {path}");
        expected.insert(request_id, expect);
    }
    // Failed authentications, with and without a readable subject.
    for headers in [bearer("not-a-token"), reqwest::header::HeaderMap::new()] {
        let res = app
            .client
            .get(app.url(&child))
            .headers(headers)
            .header("x-purpose", "care")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        expected.insert(
            id,
            Expect {
                outcome: "unauthenticated",
                purpose: None,
                categories: Some(vec![]),
            },
        );
    }
    let mut claims = crate::helpers::TestIdp::claims("mallory", "registry", "registry_admin");
    claims["exp"] = json!(1);
    let expired = app.idp.sign(crate::helpers::Alg::EdDsa, &claims);
    let res = app
        .client
        .get(app.url(&child))
        .headers(bearer(&expired))
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    expected.insert(
        id.clone(),
        Expect {
            outcome: "unauthenticated",
            purpose: None,
            categories: Some(vec![]),
        },
    );

    let rows = audit_rows(&app);
    let n = expected.len();
    let matching: Vec<_> = rows
        .iter()
        .filter(|r| expected.contains_key(&r.request_id))
        .collect();
    assert_eq!(
        matching.len(),
        n,
        "exactly one entry per request: {rows:#?}"
    );
    for row in matching {
        let e = &expected[&row.request_id];
        assert_eq!(row.outcome, e.outcome, "{row:?}");
        assert_eq!(row.purpose.as_deref(), e.purpose, "{row:?}");
        if let Some(categories) = &e.categories {
            let got: Vec<String> = serde_json::from_str(&row.categories).unwrap();
            assert_eq!(got, *categories, "{row:?}");
        }
    }
    let mallory = rows.iter().find(|r| r.request_id == id).unwrap();
    assert_eq!(
        mallory.subject.as_deref(),
        Some("mallory"),
        "the claimed subject of a refused token"
    );
    // Writes are audited with the categories they changed.
    let res = app
        .client
        .patch(app.url(&child))
        .headers(app.auth("demo-guardian", "guardian"))
        .header("x-purpose", "guardianship")
        .header(
            "if-match",
            crate::helpers::sql::etag(&app, child.trim_start_matches("/v1/minors/")),
        )
        .header("content-type", "application/merge-patch+json")
        .body(json!({"child_view": {"wishes": "to stay"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let rows = audit_rows(&app);
    let write: Vec<_> = rows.iter().filter(|r| r.request_id == id).collect();
    assert_eq!(write.len(), 1);
    assert_eq!(
        (write[0].action.as_str(), write[0].categories.as_str()),
        ("amend", "[\"child_view\"]")
    );
    assert_eq!(write[0].minors, format!("[\"{CHILD}\"]"));
}

async fn verify_api(app: &TestApp) -> Value {
    let res = app
        .client
        .get(app.url("/v1/audit/verify"))
        .headers(app.auth("registry", "auditor"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn verify_cli(app: &TestApp) -> (bool, String) {
    let out = std::process::Command::new(crate::helpers::binary())
        .args(["audit", "verify"])
        .env("UAM_DATABASE_URL", &app.db.url)
        .env("UAM_DATA_DIR", &app.db.data_dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Lets the test act as someone who can change the database behind the service's back.
fn tamper(app: &TestApp, backend: Backend, sql: &str) {
    let script = match backend {
        Backend::Sqlite => format!(
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; \
             DROP TRIGGER audit_minors_no_delete; {sql}"
        ),
        Backend::Postgres => format!("SET session_replication_role = replica; {sql}"),
    };
    exec(app, &script);
}

#[apply(backends)]
async fn tampering_of_any_kind_is_detected(#[case] backend: Backend) {
    let swap = "UPDATE audit_log SET request_id = 'x' WHERE seq = 3; \
                UPDATE audit_log SET request_id = (SELECT request_id FROM audit_log WHERE seq = 2) WHERE seq = 3; \
                UPDATE audit_log SET request_id = 'y' WHERE seq = 2;";
    let kinds: [(&str, String, i64); 5] = [
        ("altered", "UPDATE audit_log SET purpose = 'care' WHERE seq = 2".into(), 2),
        ("deleted", "DELETE FROM audit_minors WHERE audit_seq = 2; DELETE FROM audit_log WHERE seq = 2".into(), 3),
        ("reordered", swap.into(), 2),
        ("inserted", "INSERT INTO audit_log SELECT seq + 100, at, subject, agency, role, purpose, action, minors, \
                      categories, outcome, request_id, hash, hash FROM audit_log WHERE seq = 4".into(), 104),
        ("truncated", "DELETE FROM audit_minors WHERE audit_seq = 4; DELETE FROM audit_log WHERE seq = 4".into(), 4),
    ];
    for (kind, sql, broken_at) in kinds {
        eprintln!("tampering: {kind}");
        let app = demo(backend).await;
        for _ in 0..4 {
            let (status, _) = call(
                &app,
                "demo-police",
                "police_officer",
                Some("identification"),
                &format!("/v1/minors/{CHILD}"),
            )
            .await;
            assert_eq!(status, 200);
        }
        let intact = verify_api(&app).await;
        assert_eq!(intact["intact"], true, "{kind}: {intact}");
        assert_eq!(intact["entries"], 4);
        assert!(verify_cli(&app).0);

        tamper(&app, backend, &sql);
        let report = verify_api(&app).await;
        assert_eq!(report["intact"], false, "{kind} must be detected: {report}");
        assert_eq!(report["first_broken"]["seq"], broken_at, "{kind}: {report}");
        let (ok, out) = verify_cli(&app);
        assert!(!ok && out.contains("BROKEN"), "{kind}: {out}");
    }
}

#[apply(backends)]
async fn the_trail_is_append_only(#[case] backend: Backend) {
    let app = demo(backend).await;
    call(
        &app,
        "demo-police",
        "police_officer",
        Some("identification"),
        &format!("/v1/minors/{CHILD}"),
    )
    .await;
    for sql in [
        "UPDATE audit_log SET purpose = 'care'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_minors",
    ] {
        let err = try_exec(&app.db.url, sql).unwrap_err();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(audit_rows(&app).len(), 1);
}

/// On PostgreSQL the service's own role (a non-superuser that ran the migrations and owns the
/// tables) is denied UPDATE, DELETE and TRUNCATE on the audit tables by the migrations' grants.
#[tokio::test]
async fn the_service_role_may_not_change_the_trail_on_postgres() {
    let server = crate::helpers::backend_server();
    let role = format!("uam_svc_{}", uuid::Uuid::new_v4().simple());
    let admin = format!("{server}/postgres");
    let db = format!("{role}_db");
    try_exec(&admin, &format!("CREATE ROLE {role} LOGIN")).unwrap();
    try_exec(&admin, &format!("CREATE DATABASE {db} OWNER {role}")).unwrap();
    let host = server.split('@').nth(1).unwrap();
    let url = format!("postgres://{role}@{host}/{db}");
    let out = std::process::Command::new(crate::helpers::binary())
        .arg("migrate")
        .env("UAM_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    try_exec(&url, "UPDATE audit_head SET seq = seq").unwrap();
    for sql in [
        "UPDATE audit_log SET purpose = 'care'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DELETE FROM audit_minors",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; UPDATE audit_log SET purpose = 'care'",
    ] {
        let err = try_exec(&url, sql);
        if sql.starts_with("ALTER") {
            // The owner may disable its own triggers, but the grant still refuses the update.
            assert!(err.unwrap_err().contains("permission denied"), "{sql}");
        } else {
            assert!(err.unwrap_err().contains("permission denied"), "{sql}");
        }
    }
    let _ = try_exec(&admin, &format!("DROP DATABASE {db} WITH (FORCE)"));
    let _ = try_exec(&admin, &format!("DROP ROLE {role}"));
}

#[apply(backends)]
async fn no_audit_no_answer(#[case] backend: Backend) {
    let app = demo(backend).await;
    exec(&app, "ALTER TABLE audit_log RENAME TO audit_log_away");
    let res = app
        .client
        .get(app.url(&format!("/v1/minors/{CHILD}")))
        .headers(app.auth("demo-guardian", "guardian"))
        .header("x-purpose", "guardianship")
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 503).await;
    assert!(
        !body.to_string().contains("Semhar"),
        "no child data in {body}"
    );
    // A write is not carried out either.
    let res = app
        .client
        .patch(app.url(&format!("/v1/minors/{CHILD}")))
        .headers(app.auth("demo-guardian", "guardian"))
        .header("x-purpose", "guardianship")
        .header("if-match", "\"1\"")
        .header("content-type", "application/merge-patch+json")
        .body(json!({"child_view": {"wishes": "unaudited"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_problem(res, 503).await;
    exec(&app, "ALTER TABLE audit_log_away RENAME TO audit_log");
    let res = app
        .client
        .get(app.url(&format!("/v1/minors/{CHILD}")))
        .headers(app.auth("demo-guardian", "guardian"))
        .header("x-purpose", "guardianship")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "works again once the trail is back");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["version"], 1, "the refused write changed nothing");
}

#[apply(backends)]
async fn a_childs_access_log_for_those_entitled(#[case] backend: Backend) {
    let app = demo(backend).await;
    let child = format!("/v1/minors/{CHILD}");
    call(
        &app,
        "demo-police",
        "police_officer",
        Some("identification"),
        &child,
    )
    .await;
    call(&app, "demo-police", "police_officer", Some("care"), &child).await;
    app.create_agency("other-guardian", "guardian").await;

    let log =
        |agency: &'static str, role: &'static str, purpose: &'static str, query: &'static str| {
            let app = &app;
            let child = child.clone();
            async move {
                app.client
                    .get(app.url(&format!("{child}/access-log{query}")))
                    .headers(app.auth(agency, role))
                    .header("x-purpose", purpose)
                    .send()
                    .await
                    .unwrap()
            }
        };
    let res = log("demo-guardian", "guardian", "guardianship", "").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (
            items[0]["role"].as_str(),
            items[0]["purpose"].as_str(),
            items[0]["outcome"].as_str()
        ),
        (
            Some("police_officer"),
            Some("identification"),
            Some("success")
        )
    );
    assert_eq!(items[0]["categories"], json!(["identity"]));
    assert_eq!(items[1]["outcome"], "denied");

    // The guardian's own consultation of the log is in it now; pages of one walk the same entries.
    let res = log(
        "demo-guardianship",
        "guardianship_officer",
        "guardianship",
        "?limit=1",
    )
    .await;
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    assert!(first["next"].is_string());
    let res = log("registry", "auditor", "audit", "").await;
    let all: Value = res.json().await.unwrap();
    let actions: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["read", "read", "access_log", "access_log"]);

    for (agency, role, purpose) in [
        ("other-guardian", "guardian", "guardianship"),
        ("demo-reception", "reception_staff", "care"),
        ("registry", "auditor", "care"),
        ("demo-police", "police_officer", "disappearance"),
    ] {
        assert_problem(log(agency, role, purpose, "").await, 403).await;
    }
    let res = app
        .client
        .get(app.url("/v1/audit/verify"))
        .headers(app.auth("registry", "registry_admin"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403).await;
}

#[tokio::test]
async fn concurrent_writers_on_two_instances_keep_one_chain() {
    let app = demo(Backend::Postgres).await;
    let second = spawn_instance(&app).await;
    let child = format!("/v1/minors/{CHILD}");
    let per_instance = 40;
    let mut tasks = Vec::new();
    for base in [app.address.clone(), second.clone()] {
        for n in 0..per_instance {
            let client = app.client.clone();
            let url = format!("{base}{child}");
            let (agency, role, purpose) = if n % 2 == 0 {
                ("demo-police", "police_officer", "identification")
            } else {
                ("demo-police", "police_officer", "care")
            };
            let headers = app.auth(agency, role);
            tasks.push(tokio::spawn(async move {
                client
                    .get(url)
                    .headers(headers)
                    .header("x-purpose", purpose)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), per_instance);
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), per_instance);
    let report = verify_api(&app).await;
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["entries"], 2 * per_instance as u64);
    let rows = audit_rows(&app);
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    assert_eq!(
        seqs,
        (1..=(2 * per_instance) as i64).collect::<Vec<_>>(),
        "one gapless chain"
    );
}
