//! Merging a duplicate registration into the record that survives: one transaction, both
//! identities kept, both histories kept, the old id pointing to the survivor.

use api::startup::Options;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::sql::audit_rows;
use crate::helpers::{Backend, TestApp, assert_problem, backends, set_status, spawn_app_with};

const OFFICER: (&str, &str) = ("demo-guardianship", "guardianship_officer");

async fn register(app: &TestApp, body: Value) -> Value {
    let res = app
        .client
        .post(app.url("/v1/minors"))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "identification")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn merge(
    app: &TestApp,
    who: (&str, &str),
    purpose: &str,
    survivor: &str,
    duplicate: &str,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut rq = app
        .client
        .post(app.url(&format!("/v1/minors/{survivor}/merge")))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", purpose)
        .json(&json!({"duplicate": duplicate}));
    if let Some(tag) = if_match {
        rq = rq.header("if-match", tag);
    }
    rq.send().await.unwrap()
}

/// GET as the guardianship service; the test client follows no redirect.
async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "identification")
        .send()
        .await
        .unwrap()
}

#[apply(backends)]
async fn a_duplicate_merges_into_the_survivor_keeping_both_identities_and_histories(
    #[case] backend: Backend,
) {
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let survivor = register(
        &app,
        json!({"identity": {"given_names": "Semhar", "family_name": "Haile", "sex": "female",
            "nationalities": ["ER"]}}),
    )
    .await;
    let duplicate = register(
        &app,
        json!({"identity": {"given_names": "Samhar", "family_name": "Hayle", "sex": "female",
            "date_of_birth": "2011-01-01", "nationalities": ["ET"], "languages": ["ti"],
            "names_original_script": [{"given_names": "ሰምሃር", "family_name": "ሃይለ", "script": "Ethi"}],
            "aliases": [{"name": "Samira", "source": "declared at interception"}]},
            "references": {"eurodac_reference": "IT1-0000-1234"}}),
    )
    .await;
    let (s, d) = (
        survivor["id"].as_str().unwrap(),
        duplicate["id"].as_str().unwrap(),
    );
    let other = register(&app, json!({"identity": {"given_names": "Yonas"}})).await;
    let missing = other["id"].as_str().unwrap();

    // Only the guardianship service merges, for identification or guardianship.
    for (who, purpose) in [
        (("demo-police", "police_officer"), "identification"),
        (OFFICER, "disappearance"),
    ] {
        assert_problem(merge(&app, who, purpose, s, d, None).await, 403).await;
    }
    assert_problem(
        merge(&app, OFFICER, "identification", s, s, None).await,
        400,
    )
    .await;
    assert_problem(
        merge(&app, OFFICER, "identification", s, "no-such-id", None).await,
        404,
    )
    .await;
    assert_problem(
        merge(&app, OFFICER, "identification", s, d, Some("\"7\"")).await,
        412,
    )
    .await;
    // A missing child is not merged away: its alert would lose its record.
    set_status(&app, missing, "missing");
    assert_problem(
        merge(&app, OFFICER, "identification", s, missing, None).await,
        409,
    )
    .await;

    let res = merge(&app, OFFICER, "identification", s, d, Some("\"1\"")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(res.headers()["etag"], "\"2\"");
    let merged: Value = res.json().await.unwrap();
    let identity = &merged["identity"];
    assert_eq!(identity["given_names"], "Semhar");
    let number = duplicate["registry_number"].as_str().unwrap();
    assert_eq!(
        identity["aliases"],
        json!([
            {"name": "Samhar Hayle", "source": format!("merged from {number}")},
            {"name": "Samira", "source": "declared at interception"}
        ])
    );
    assert_eq!(identity["nationalities"], json!(["ER", "ET"]));
    assert_eq!(identity["date_of_birth"], "2011-01-01");
    assert_eq!(identity["names_original_script"][0]["script"], "Ethi");
    assert_eq!(merged["references"]["eurodac_reference"], "IT1-0000-1234");

    // The old id points to the survivor.
    let res = get(&app, &format!("/v1/minors/{d}")).await;
    assert_eq!(res.status(), 308);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/minors/{s}"));
    let problem = assert_problem(res, 308).await;
    assert_eq!(problem["merged_into"], s);
    let res = get(&app, &location).await;
    assert_eq!(res.status(), 200, "the pointer leads to the survivor");
    assert_eq!(res.json::<Value>().await.unwrap()["id"], s);

    // Both histories stay: the survivor's gains the merge, the duplicate's ends with it.
    for (id, versions) in [(s, 2), (d, 2)] {
        let body: Value = get(&app, &format!("/v1/minors/{id}/history"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            body["revisions"].as_array().unwrap().len(),
            versions,
            "{body}"
        );
    }

    // The duplicate is out of the name index; its names find the survivor.
    let res = app
        .client
        .post(app.url("/v1/minors/search"))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "identification")
        .json(&json!({"names": ["Samhar Hayle"]}))
        .send()
        .await
        .unwrap();
    let found: Value = res.json().await.unwrap();
    let ids: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["record"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], s, "{found}");
    assert!(!ids.contains(&d), "{found}");

    // A merged record takes no change and no second merge.
    let res = app
        .client
        .patch(app.url(&format!("/v1/minors/{d}")))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "identification")
        .header("if-match", crate::helpers::sql::etag(&app, d))
        .header("content-type", "application/merge-patch+json")
        .body(json!({"identity": {"sex": "male"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(assert_problem(res, 409).await["merged_into"], s);
    assert_problem(
        merge(&app, OFFICER, "identification", s, d, None).await,
        409,
    )
    .await;

    // The merge is audited once, naming both records; each refusal too.
    let rows = audit_rows(&app);
    let merges: Vec<_> = rows.iter().filter(|r| r.action == "merge").collect();
    let done: Vec<_> = merges.iter().filter(|r| r.outcome == "success").collect();
    assert_eq!(done.len(), 1);
    assert!(done[0].minors.contains(s) && done[0].minors.contains(d));
    assert_eq!(merges.len(), 8, "7 refusals and the merge");
}
