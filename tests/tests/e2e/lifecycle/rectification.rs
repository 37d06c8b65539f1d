//! Rectification: a photo attached to the wrong child is deleted by whoever may write photos,
//! with a reason and the record's version; a rectified value is redacted from an earlier
//! revision by the guardianship service, the revision keeping who and when. Every act audited,
//! every refusal too.

use api::demo::DEMO_CHILDREN;
use rstest_reuse::apply;
use serde_json::{Value, json};

use super::*;
use crate::helpers::sql::{audit_rows, etag};
use crate::helpers::{assert_problem, backends};

const SEMHAR: &str = DEMO_CHILDREN[0];

async fn delete_photo(
    app: &TestApp,
    who: (&str, &str),
    photo: &str,
    if_match: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .delete(app.url(&format!("/v1/minors/{SEMHAR}/photos/{photo}")))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", "care")
        .json(&body);
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.unwrap()
}

#[apply(backends)]
async fn a_wrong_photo_is_deleted_and_a_rectified_value_redacted_from_history(
    #[case] backend: Backend,
) {
    let (app, _clock) = on_clock(backend, at(2026, 12, 7, 9)).await;
    let wrong = upload(&app, SEMHAR).await;
    let kept = upload(&app, SEMHAR).await;
    let why = json!({"reason": "photo of another child, attached by mistake"});

    // Refusals: a role that may not write photos, no precondition, a stale one, no reason, an
    // unknown photo.
    let tag = etag(&app, SEMHAR);
    let res = delete_photo(&app, GUARDIAN, &wrong, Some(&tag), why.clone()).await;
    assert_problem(res, 403).await;
    let res = delete_photo(&app, RECEPTION, &wrong, None, why.clone()).await;
    assert_problem(res, 428).await;
    let res = delete_photo(&app, RECEPTION, &wrong, Some("\"1\""), why.clone()).await;
    assert_problem(res, 412).await;
    let res = delete_photo(&app, RECEPTION, &wrong, Some(&tag), json!({"reason": ""})).await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem["invalid-params"][0]["name"], "reason");
    let res = delete_photo(&app, RECEPTION, "no-such-photo", Some(&tag), why.clone()).await;
    assert_problem(res, 404).await;

    let res = delete_photo(&app, RECEPTION, &wrong, Some(&tag), why.clone()).await;
    assert_eq!(res.status(), 204);
    let next = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(next, tag);
    assert_eq!(next, etag(&app, SEMHAR));
    let photo = |id: String| {
        let app = &app;
        async move {
            get(
                app,
                RECEPTION,
                &format!("/v1/minors/{SEMHAR}/photos/{id}"),
                "care",
            )
            .await
            .status()
        }
    };
    assert_eq!(photo(wrong.clone()).await, 404);
    assert_eq!(photo(kept.clone()).await, 200);
    let record: Value = get(&app, RECEPTION, &format!("/v1/minors/{SEMHAR}"), "care")
        .await
        .json()
        .await
        .unwrap();
    let listed: Vec<&str> = record["photos"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![kept.as_str()]);
    let life = lifecycle(&app, SEMHAR).await;
    let act = life["acts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "photo_deleted")
        .unwrap();
    assert_eq!(act["photo"], wrong.as_str());
    assert_eq!(act["reason"], why["reason"]);
    assert_eq!(act["by"]["agency"], "demo-reception");

    // History: the guardian records a wrong medical need (version n), then rectifies it.
    let patch = |body: Value| {
        let app = &app;
        async move {
            let res = app
                .client
                .patch(app.url(&format!("/v1/minors/{SEMHAR}")))
                .headers(app.auth(GUARDIAN.0, GUARDIAN.1))
                .header("x-purpose", "care")
                .header("if-match", etag(app, SEMHAR))
                .header("content-type", "application/merge-patch+json")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()["version"]
                .as_i64()
                .unwrap()
        }
    };
    let wrong_version = patch(json!({"health": {"medical_needs": "epilepsy (wrong child)"}})).await;
    let current = patch(json!({"health": {"medical_needs": "asthma"}})).await;
    let redaction = format!("/v1/minors/{SEMHAR}/history/{wrong_version}/redaction");
    let body = json!({"categories": ["health"], "reason": "entered for the wrong child"});
    assert_problem(
        post(&app, GUARDIAN, &redaction, "guardianship", body.clone()).await,
        403,
    )
    .await;
    let current_path = format!("/v1/minors/{SEMHAR}/history/{current}/redaction");
    let problem = assert_problem(
        post(&app, OFFICER, &current_path, "guardianship", body.clone()).await,
        400,
    )
    .await;
    assert_eq!(problem["invalid-params"][0]["name"], "version");
    let unknown = json!({"categories": ["mood"], "reason": "x"});
    assert_problem(
        post(&app, OFFICER, &redaction, "guardianship", unknown).await,
        400,
    )
    .await;
    let res = post(&app, OFFICER, &redaction, "guardianship", body).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let history: Value = get(
        &app,
        GUARDIAN,
        &format!("/v1/minors/{SEMHAR}/history"),
        "guardianship",
    )
    .await
    .json()
    .await
    .unwrap();
    let revisions = history["revisions"].as_array().unwrap();
    let redacted = revisions
        .iter()
        .find(|r| r["version"] == wrong_version)
        .unwrap();
    assert!(redacted["data"].get("health").is_none(), "{redacted}");
    assert_eq!(redacted["redacted"], json!(["health"]));
    assert_eq!(
        redacted["by"]["agency"], "demo-guardian",
        "who and when stay"
    );
    assert!(
        redacted["data"].get("identity").is_some(),
        "only health went"
    );
    let latest = revisions.iter().find(|r| r["version"] == current).unwrap();
    assert_eq!(latest["data"]["health"]["medical_needs"], "asthma");
    assert!(!history.to_string().contains("epilepsy"));

    let rows = audit_rows(&app);
    assert!(rows.iter().any(|r| r.action == "photo_delete"
        && r.outcome == "success"
        && r.categories.contains("photos")
        && r.agency.as_deref() == Some("demo-reception")));
    assert!(
        rows.iter()
            .any(|r| r.action == "photo_delete" && r.outcome == "denied")
    );
    assert!(rows.iter().any(|r| r.action == "redact"
        && r.outcome == "success"
        && r.categories.contains("health")
        && r.agency.as_deref() == Some("demo-guardianship")));
    assert!(
        rows.iter()
            .any(|r| r.action == "redact" && r.outcome == "denied")
    );
}
