//! `/v1/agencies`: the seeded registry, creation by registry_admin only, validation, pagination.

use api::startup::Options;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, backends, spawn_app, spawn_app_with};

async fn list(app: &TestApp, query: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/v1/agencies{query}")))
        .headers(app.admin())
        .send()
        .await
        .unwrap()
}

async fn ids(app: &TestApp) -> Vec<String> {
    let body: Value = list(app, "?limit=200").await.json().await.unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[apply(backends)]
async fn a_fresh_database_holds_only_the_registry(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let body: Value = list(&app, "").await.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(body["items"][0]["id"], "registry");
    assert_eq!(body["items"][0]["kind"], "registry");
    assert!(body["next"].is_null());
}

#[apply(backends)]
async fn registry_admin_creates_an_agency(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .create_agency("fedasil-poelkapelle", "reception_centre")
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.headers()["location"],
        "/v1/agencies/fedasil-poelkapelle"
    );
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["kind"], "reception_centre");
    assert_eq!(created["country"], "BE");

    let res = app
        .client
        .get(app.url("/v1/agencies/fedasil-poelkapelle"))
        .headers(app.auth("fedasil-poelkapelle", "reception_staff"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let fetched: Value = res.json().await.unwrap();
    assert_eq!(fetched, created);

    assert_problem(
        app.create_agency("fedasil-poelkapelle", "reception_centre")
            .await,
        409,
    )
    .await;
}

#[apply(backends)]
async fn only_registry_admin_may_create(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_agency("pz-gent", "police").await;
    for (agency, role) in [
        ("registry", "auditor"),
        ("pz-gent", "police_officer"),
        ("registry", "analyst"),
    ] {
        let res = app
            .client
            .post(app.url("/v1/agencies"))
            .headers(app.auth(agency, role))
            .json(&json!({"id": "sneaky", "kind": "police", "name": "Sneaky", "country": "BE"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 403).await;
    }
    assert!(!ids(&app).await.contains(&"sneaky".to_owned()));
}

#[apply(backends)]
async fn invalid_agency_lists_every_field_and_stores_nothing(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .client
        .post(app.url("/v1/agencies"))
        .headers(app.admin())
        .json(&json!({"id": "Not A Slug", "kind": "ngo", "name": "  ", "country": "XX"}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 400).await;
    let names: Vec<&str> = body["invalid-params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["id", "kind", "name", "country"]);
    assert_eq!(ids(&app).await, ["registry"]);

    // An unknown member is refused too, not ignored.
    let res = app
        .client
        .post(app.url("/v1/agencies"))
        .headers(app.admin())
        .json(&json!({"id": "ok-id", "kind": "police", "name": "X", "country": "BE", "extra": 1}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 400).await;
    assert!(body["detail"].as_str().unwrap().contains("extra"), "{body}");
}

#[apply(backends)]
async fn lists_by_cursor_with_a_bounded_page_size(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    for id in ["a-one", "b-two", "c-three", "d-four"] {
        assert_eq!(app.create_agency(id, "youth_care").await.status(), 201);
    }
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let body: Value = list(&app, &query).await.json().await.unwrap();
        let items = body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|a| a["id"].as_str().unwrap().to_owned()));
        match body["next"].as_str() {
            Some(next) => query = format!("?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ["a-one", "b-two", "c-three", "d-four", "registry"]);

    for bad in [
        "?limit=0",
        "?limit=201",
        "?limit=-1",
        "?limit=many",
        "?after=NOT%20A%20SLUG",
    ] {
        assert_problem(list(&app, bad).await, 400).await;
    }
}

#[apply(backends)]
async fn unknown_agency_is_404(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    for id in ["nowhere", "NOT_A_SLUG"] {
        let res = app
            .client
            .get(app.url(&format!("/v1/agencies/{id}")))
            .headers(app.admin())
            .send()
            .await
            .unwrap();
        assert_problem(res, 404).await;
    }
}

#[apply(backends)]
async fn demo_seeds_one_agency_of_each_kind(#[case] backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let body: Value = list(&app, "").await.json().await.unwrap();
    let mut kinds: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "child_focus",
            "guardian",
            "guardianship_service",
            "immigration_office",
            "police",
            "reception_centre",
            "registry",
            "youth_care"
        ]
    );
    // The README lists these ids.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    for (id, _, _) in api::demo::DEMO_AGENCIES {
        assert!(readme.contains(&format!("`{id}`")), "README lists {id}");
    }
}
