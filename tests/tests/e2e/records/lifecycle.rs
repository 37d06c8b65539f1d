//! Registering, reading, amending and listing records; purposes, preconditions, validation,
//! concurrency, and the loaded policy.

use api::startup::Options;
use rstest_reuse::apply;
use serde_json::{Value, json};

use super::fixtures::full_record;
use crate::helpers::{Backend, TestApp, assert_problem, backends, spawn_app_with};

const RECEPTION: (&str, &str) = ("demo-reception", "reception_staff");
const OFFICER: (&str, &str) = ("demo-guardianship", "guardianship_officer");

/// A record a reception centre registers on arrival: what its role may write.
fn arrival() -> Value {
    let full = full_record("demo-reception", "demo-guardian");
    json!({
        "identity": full["identity"],
        "physical": full["physical"],
        "health": full["health"],
        "placement": {"current_agency": "demo-reception", "since": "2025-05-21"},
    })
}

async fn register(
    app: &TestApp,
    who: (&str, &str),
    purpose: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url("/v1/minors"))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", purpose)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, who: (&str, &str), purpose: &str, id: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/v1/minors/{id}")))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", purpose)
        .send()
        .await
        .unwrap()
}

async fn patch(
    app: &TestApp,
    who: (&str, &str),
    id: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .patch(app.url(&format!("/v1/minors/{id}")))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", "guardianship")
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string());
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.unwrap()
}

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

#[apply(backends)]
async fn registering_returns_the_record_with_location_etag_and_number(#[case] backend: Backend) {
    let app = demo(backend).await;
    let res = register(&app, RECEPTION, "care", &arrival()).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["etag"], "\"1\"");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/minors/{}", body["id"].as_str().unwrap())
    );
    let number = body["registry_number"].as_str().unwrap();
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(
        number.starts_with(&format!("UAM-{year}-")) && number.len() >= 15,
        "{number}"
    );
    assert_eq!(body["status"], "active");
    assert_eq!(body["version"], 1);
    assert_eq!(body["identity"]["given_names"], "Semhar");
    assert_eq!(body["_meta"]["purpose"], "care");

    let second: Value = register(&app, RECEPTION, "care", &arrival())
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(second["registry_number"], body["registry_number"]);

    let res = get(&app, RECEPTION, "care", body["id"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"1\"");
}

#[apply(backends)]
async fn input_is_normalised_and_invalid_input_lists_every_path_and_stores_nothing(
    #[case] backend: Backend,
) {
    let app = demo(backend).await;
    let mut body = arrival();
    body["identity"]["family_name"] = json!("Mohame\u{0301}d");
    let created: Value = register(&app, RECEPTION, "care", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        created["identity"]["family_name"], "Moham\u{e9}d",
        "stored in NFC"
    );

    let before: Value = app
        .client
        .get(app.url("/v1/minors"))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "guardianship")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let mut bad = arrival();
    bad["identity"]["date_of_birth"] = json!("2999-01-01");
    bad["identity"]["nationalities"] = json!(["XX"]);
    bad["identity"]["languages"] = json!(["zz"]);
    bad["identity"]["names_original_script"] = json!([{"family_name": "x", "script": "Xxxx"}]);
    bad["placement"]["current_agency"] = json!("demo-police");
    let res = register(&app, RECEPTION, "care", &bad).await;
    // demo-police is not a reception centre: the placement no longer names the caller's centre, so
    // the write itself is refused before validation.
    assert_problem(res, 403).await;

    bad["placement"]["current_agency"] = json!("demo-reception");
    let res = register(&app, RECEPTION, "care", &bad).await;
    let problem = assert_problem(res, 400).await;
    let paths: Vec<&str> = problem["invalid-params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for expected in [
        "identity.date_of_birth",
        "identity.nationalities[0]",
        "identity.languages[0]",
        "identity.names_original_script[0].script",
    ] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }

    let res = register(
        &app,
        RECEPTION,
        "care",
        &json!({"identity": {"sex": "robot"}}),
    )
    .await;
    let problem = assert_problem(res, 400).await;
    assert!(problem.to_string().contains("identity.sex"), "{problem}");
    let res = register(&app, RECEPTION, "care", &json!({"shoe_size": 38})).await;
    assert_problem(res, 400).await;
    let res = register(&app, RECEPTION, "care", &json!({})).await;
    assert_problem(res, 400).await;

    let after: Value = app
        .client
        .get(app.url("/v1/minors"))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "guardianship")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        before["items"].as_array().unwrap().len(),
        after["items"].as_array().unwrap().len()
    );
}

#[apply(backends)]
async fn purpose_is_required_known_and_permitted(#[case] backend: Backend) {
    let app = demo(backend).await;
    let created: Value = register(&app, RECEPTION, "care", &arrival())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();

    let res = app
        .client
        .get(app.url(&format!("/v1/minors/{id}")))
        .headers(app.auth(RECEPTION.0, RECEPTION.1))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 400).await;
    assert!(problem["detail"].as_str().unwrap().contains("X-Purpose"));
    assert_problem(get(&app, RECEPTION, "curiosity", id).await, 400).await;
    assert_problem(get(&app, RECEPTION, "statistics", id).await, 403).await;
    assert_problem(
        get(&app, ("registry", "registry_admin"), "care", id).await,
        403,
    )
    .await;
    assert_problem(get(&app, RECEPTION, "care", "no-such-id").await, 404).await;
}

#[apply(backends)]
async fn amending_needs_the_current_version(#[case] backend: Backend) {
    let app = demo(backend).await;
    let created: Value = register(&app, RECEPTION, "care", &arrival())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let change = json!({"guardianship": {"guardian_agency": "demo-guardian", "guardian_name": "An Peeters"}});

    assert_problem(patch(&app, OFFICER, id, None, &change).await, 428).await;
    assert_problem(patch(&app, OFFICER, id, Some("\"7\""), &change).await, 412).await;
    // Text that is no entity tag: 400 naming the header (a 412 would send the caller to fetch a
    // version it already has).
    let problem = assert_problem(
        patch(&app, OFFICER, id, Some("garbage"), &change).await,
        400,
    )
    .await;
    assert_eq!(
        problem["invalid-params"][0]["name"], "If-Match",
        "{problem}"
    );
    let res = app
        .client
        .patch(app.url(&format!("/v1/minors/{id}")))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "guardianship")
        .header("if-match", "\"1\"")
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;

    let res = patch(&app, OFFICER, id, Some("\"1\""), &change).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["guardianship"]["guardian_agency"], "demo-guardian");

    // The appointed guardian now sees the child; the reception centre still does.
    assert_eq!(
        get(&app, ("demo-guardian", "guardian"), "guardianship", id)
            .await
            .status(),
        200
    );
    // A stale ETag is refused and changes nothing.
    assert_problem(
        patch(
            &app,
            OFFICER,
            id,
            Some("\"1\""),
            &json!({"risk": {"level": "low"}}),
        )
        .await,
        412,
    )
    .await;
    // `*` would overwrite whatever is current: refused, naming the header.
    let problem = assert_problem(
        patch(
            &app,
            OFFICER,
            id,
            Some("*"),
            &json!({"risk": {"level": "medium"}}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        problem["invalid-params"][0]["name"], "If-Match",
        "{problem}"
    );
    // Removing a category with null, on the version read.
    let res = patch(
        &app,
        OFFICER,
        id,
        Some("\"2\""),
        &json!({"risk": {"level": "medium"}}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = patch(&app, OFFICER, id, Some("\"3\""), &json!({"risk": null})).await;
    let body: Value = res.json().await.unwrap();
    assert!(body.get("risk").is_none(), "{body}");

    // A guardian that is not an agency of kind guardian is refused.
    let res = patch(
        &app,
        OFFICER,
        id,
        Some("\"4\""),
        &json!({"guardianship": {"guardian_agency": "demo-police"}}),
    )
    .await;
    let problem = assert_problem(res, 400).await;
    assert!(
        problem.to_string().contains("guardianship.guardian_agency"),
        "{problem}"
    );

    // History: every revision, who and when.
    let history: Value = app
        .client
        .get(app.url(&format!("/v1/minors/{id}/history")))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "guardianship")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 4);
    assert_eq!(revisions[0]["by"]["role"], "reception_staff");
    assert_eq!(revisions[1]["by"]["role"], "guardianship_officer");
    assert_eq!(revisions[1]["changed"], json!(["guardianship"]));
    assert!(
        history["_meta"]["withheld"]
            .as_array()
            .unwrap()
            .contains(&json!("health"))
    );
}

#[apply(backends)]
async fn concurrent_patches_with_if_match_lose_no_update(#[case] backend: Backend) {
    let app = demo(backend).await;
    let created: Value = register(&app, RECEPTION, "care", &arrival())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let app = std::sync::Arc::new(app);
    let writers = 8;
    // Every writer reads the same version before any writes: the first round must conflict.
    let all_read = std::sync::Arc::new(tokio::sync::Barrier::new(writers));
    let mut tasks = Vec::new();
    for n in 0..writers {
        let app = app.clone();
        let id = id.clone();
        let all_read = all_read.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0;
            let mut first = true;
            loop {
                // Read, change the list, write back based on what was read; retry on 412.
                let res = get(&app, OFFICER, "guardianship", &id).await;
                let tag = res.headers()["etag"].to_str().unwrap().to_owned();
                let body: Value = res.json().await.unwrap();
                if std::mem::take(&mut first) {
                    all_read.wait().await;
                }
                let mut aliases = body["identity"]["aliases"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                aliases.push(json!({"name": format!("Alias {n}"), "source": "test"}));
                let res = patch(
                    &app,
                    OFFICER,
                    &id,
                    Some(&tag),
                    &json!({"identity": {"aliases": aliases}}),
                )
                .await;
                match res.status().as_u16() {
                    200 => return conflicts,
                    412 => conflicts += 1,
                    other => panic!("unexpected {other}: {}", res.text().await.unwrap()),
                }
            }
        }));
    }
    let mut conflicts = 0;
    for t in tasks {
        conflicts += t.await.unwrap();
    }
    let body: Value = get(&app, OFFICER, "guardianship", &id)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = body["identity"]["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    for n in 0..writers {
        assert!(
            names.contains(&format!("Alias {n}").as_str()),
            "alias {n} lost: {names:?}"
        );
    }
    assert_eq!(
        body["version"],
        1 + writers,
        "one version per accepted write"
    );
    // All read version 1 before any wrote: one write wins, the others are refused with 412 at
    // least once each.
    assert!(
        conflicts >= writers - 1,
        "{writers} writers, only {conflicts} conflicts"
    );
}

#[apply(backends)]
async fn listing_filters_and_pages(#[case] backend: Backend) {
    let app = demo(backend).await;
    app.create_agency("other-reception", "reception_centre")
        .await;
    let mut ids = Vec::new();
    for (i, nationality) in ["ER", "AF", "ER"].iter().enumerate() {
        let mut body = arrival();
        body["identity"]["nationalities"] = json!([nationality]);
        body["identity"]["given_names"] = json!(format!("Child {i}"));
        let created: Value = register(&app, RECEPTION, "care", &body)
            .await
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let list = |query: &'static str, who: (&'static str, &'static str), purpose: &'static str| {
        let app = &app;
        async move {
            let res = app
                .client
                .get(app.url(&format!("/v1/minors{query}")))
                .headers(app.auth(who.0, who.1))
                .header("x-purpose", purpose)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{query}");
            res.json::<Value>().await.unwrap()
        }
    };
    // The demo children are there too; this test looks at its own.
    let ids_of = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .filter(|id| !api::demo::DEMO_CHILDREN.contains(&id.as_str()))
            .collect()
    };
    assert_eq!(ids_of(&list("", OFFICER, "guardianship").await), ids);
    assert_eq!(
        ids_of(&list("?nationality=ER", OFFICER, "guardianship").await),
        [ids[0].clone(), ids[2].clone()]
    );
    assert_eq!(
        ids_of(&list("?status=missing", OFFICER, "guardianship").await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids_of(&list("?placement_agency=demo-reception", OFFICER, "guardianship").await),
        ids
    );
    assert_eq!(
        ids_of(&list("?placement_agency=other-reception", OFFICER, "guardianship").await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids_of(&list("?registered_since=2000-01-01", OFFICER, "guardianship").await),
        ids
    );
    assert_eq!(
        ids_of(&list("?registered_since=2999-01-01", OFFICER, "guardianship").await),
        Vec::<String>::new()
    );

    // Pages of two over the demo children and ours: every child once, in registration order.
    let first = list("?limit=2", OFFICER, "guardianship").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let next = first["next"].as_str().unwrap().to_owned();
    let res = app
        .client
        .get(app.url(&format!("/v1/minors?limit=2&after={next}")))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "guardianship")
        .send()
        .await
        .unwrap();
    let second: Value = res.json().await.unwrap();
    let next = second["next"].as_str().unwrap().to_owned();
    let res = app
        .client
        .get(app.url(&format!("/v1/minors?limit=2&after={next}")))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "guardianship")
        .send()
        .await
        .unwrap();
    let third: Value = res.json().await.unwrap();
    assert!(third["next"].is_null());
    let mut paged = ids_of(&first);
    paged.extend(ids_of(&second));
    paged.extend(ids_of(&third));
    assert_eq!(paged, ids);
    assert_eq!(
        first["items"].as_array().unwrap().len() + 2 + third["items"].as_array().unwrap().len(),
        5
    );

    // Another reception centre lists none of these children; the guardian no ward.
    assert!(ids_of(&list("", ("other-reception", "reception_staff"), "care").await).is_empty());
    assert!(ids_of(&list("", ("demo-guardian", "guardian"), "guardianship").await).is_empty());

    for bad in [
        "?limit=0",
        "?limit=1000",
        "?status=lost",
        "?nationality=XX",
        "?registered_since=yesterday",
        "?after=abc",
        "?colour=red",
    ] {
        let res = app
            .client
            .get(app.url(&format!("/v1/minors{bad}")))
            .headers(app.auth(OFFICER.0, OFFICER.1))
            .header("x-purpose", "guardianship")
            .send()
            .await
            .unwrap();
        assert_problem(res, 400).await;
    }
}

#[apply(backends)]
async fn the_policy_endpoint_reflects_the_loaded_file(#[case] backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    std::fs::write(
        &file,
        "[[grant]]\nrole = \"police_officer\"\naccess = [\"read\"]\ncategories = [\"identity\", \"references\"]\n\
         purposes = [\"identification\"]\ncondition = \"always\"\n",
    )
    .unwrap();
    let path = file.display().to_string();
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        |s| s.policy = path,
    )
    .await;
    let body: Value = app
        .client
        .get(app.url("/v1/policy"))
        .headers(app.auth("demo-police", "police_officer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["role"], "police_officer");
    assert_eq!(
        body["grants"],
        json!([{"access": ["read"], "categories": ["identity", "references"], "purposes": ["identification"], "condition": "always"}])
    );
    let body: Value = app
        .client
        .get(app.url("/v1/policy"))
        .headers(app.auth("demo-reception", "reception_staff"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["grants"],
        json!([]),
        "this file grants reception staff nothing"
    );
}

#[tokio::test]
async fn a_policy_breaking_a_rule_or_naming_unknowns_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "role = \"janitor\"\naccess = [\"read\"]\ncategories = [\"identity\"]\npurposes = [\"care\"]\ncondition = \"always\"",
            "janitor",
        ),
        (
            "role = \"guardian\"\naccess = [\"read\"]\ncategories = [\"shoe_size\"]\npurposes = [\"care\"]\ncondition = \"assigned\"",
            "shoe_size",
        ),
        (
            "role = \"guardian\"\naccess = [\"read\"]\ncategories = [\"identity\"]\npurposes = [\"whim\"]\ncondition = \"assigned\"",
            "whim",
        ),
        (
            "role = \"police_officer\"\naccess = [\"read\"]\ncategories = [\"health\"]\npurposes = [\"disappearance\"]\ncondition = \"active_alert\"",
            "health",
        ),
    ];
    for (i, (grant, named)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("p{i}.toml"));
        std::fs::write(&file, format!("[[grant]]\n{grant}\n")).unwrap();
        let settings = api::config::Settings {
            policy: file.display().to_string(),
            ..Default::default()
        };
        let err = api::startup::load_policy(&settings).unwrap_err();
        assert!(format!("{err:#}").contains(named), "{named}: {err:#}");
    }
}
