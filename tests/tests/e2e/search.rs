//! Search across spellings and scripts, ranked with reasons, through the caller's policy.

use api::startup::Options;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, backends, spawn_app_with};

const OFFICER: (&str, &str) = ("demo-guardianship", "guardianship_officer");

async fn register(app: &TestApp, identity: Value) -> String {
    let res = app
        .client
        .post(app.url("/v1/minors"))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "identification")
        .json(&json!({"identity": identity}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn search(app: &TestApp, who: (&str, &str), purpose: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/v1/minors/search"))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", purpose)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[apply(backends)]
async fn finds_a_child_across_spellings_and_scripts_within_the_callers_rights(
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
    let muhammad = register(&app, json!({"given_names": "Muhammad", "family_name": "Ahmadi", "sex": "male",
        "date_of_birth": "2010-05-01", "nationalities": ["AF"],
        "names_original_script": [{"given_names": "محمد", "family_name": "احمدی", "script": "Arab"}]})).await;
    let other = register(
        &app,
        json!({"given_names": "Mohammed", "family_name": "Karimi", "sex": "male",
        "date_of_birth": "2004-01-01", "nationalities": ["SY"]}),
    )
    .await;
    register(&app, json!({"given_names": "Amina", "family_name": "Said", "sex": "female", "date_of_birth": "2012-02-02"})).await;

    for names in [
        json!(["Mohamad Ahmadi"]),
        json!(["محمد احمدی"]),
        json!(["Ahmadi Mohammed"]),
    ] {
        let res = search(
            &app,
            OFFICER,
            "identification",
            json!({"names": names, "date_of_birth": "2010-05-01", "sex": "male"}),
        )
        .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let items = body["items"].as_array().unwrap();
        assert_eq!(
            items[0]["record"]["id"],
            muhammad.as_str(),
            "{names}: {body}"
        );
        assert!(items[0]["score"].as_f64().unwrap() >= 0.85, "{body}");
        assert!(
            items[0]["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["field"] == "name")
        );
        let scores: Vec<f64> = items.iter().map(|i| i["score"].as_f64().unwrap()).collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "best first: {scores:?}"
        );
        assert!(
            items
                .iter()
                .all(|i| i["record"]["identity"]["given_names"] != "Amina"),
            "not a candidate"
        );
    }

    // Police may read identity (identification): candidates with identity only.
    let res = search(
        &app,
        ("demo-police", "police_officer"),
        "identification",
        json!({"names": ["Muhamad Ahmadi"]}),
    )
    .await;
    let body: Value = res.json().await.unwrap();
    let first = &body["items"][0]["record"];
    assert_eq!(first["id"], muhammad.as_str());
    let categories: Vec<&String> = first
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| {
            ![
                "id",
                "registry_number",
                "status",
                "version",
                "registered_at",
                "updated_at",
                "_meta",
            ]
            .contains(&k.as_str())
        })
        .collect();
    assert_eq!(categories, ["identity"]);
    // Child Focus reads no identity outside an alert: no candidates. Analysts may not search.
    let res = search(
        &app,
        ("demo-child-focus", "child_focus_case_manager"),
        "disappearance",
        json!({"names": ["Muhammad Ahmadi"]}),
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["items"], json!([]));
    assert_problem(
        search(
            &app,
            ("registry", "analyst"),
            "statistics",
            json!({"names": ["Muhammad"]}),
        )
        .await,
        403,
    )
    .await;
    assert_problem(
        search(&app, OFFICER, "identification", json!({"names": []})).await,
        400,
    )
    .await;
    assert_problem(
        search(
            &app,
            OFFICER,
            "identification",
            json!({"names": ["x"], "limit": 500}),
        )
        .await,
        400,
    )
    .await;

    // A changed name is found under its new spelling.
    let res = app
        .client
        .patch(app.url(&format!("/v1/minors/{other}")))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "identification")
        .header("if-match", crate::helpers::sql::etag(&app, &other))
        .header("content-type", "application/merge-patch+json")
        .body(json!({"identity": {"aliases": [{"name": "Tesfay Berhane"}]}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = search(
        &app,
        OFFICER,
        "identification",
        json!({"names": ["Tesfai Berhan"]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["items"][0]["record"]["id"], other.as_str(), "{body}");
}

#[apply(backends)]
async fn registration_answers_with_possible_matches(#[case] backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let first = register(
        &app,
        json!({"given_names": "Yusuf", "family_name": "Haidari", "sex": "male",
        "date_of_birth": "2011-07-07", "nationalities": ["AF"]}),
    )
    .await;
    let res = app
        .client
        .post(app.url("/v1/minors"))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "identification")
        .json(
            &json!({"identity": {"given_names": "Jusuf", "family_name": "Haydari", "sex": "male",
            "date_of_birth": "2011-07-07", "nationalities": ["AF"]}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let matches = body["possible_matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1, "{body}");
    assert_eq!(matches[0]["record"]["id"], first.as_str());
    assert!(matches[0]["score"].as_f64().unwrap() >= 0.85);
    assert_ne!(matches[0]["record"]["id"], body["id"], "not itself");
    // Someone unrelated gets none.
    let res = app
        .client
        .post(app.url("/v1/minors"))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "identification")
        .json(&json!({"identity": {"given_names": "Lina", "family_name": "Osei", "sex": "female", "date_of_birth": "2013-03-03"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["possible_matches"],
        json!([])
    );
}

#[apply(backends)]
async fn distinguishing_marks_and_age_count_only_where_the_caller_may_read_them(
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
    let twin = |marks: &str| {
        json!({"identity": {"given_names": "Ahmad", "family_name": "Rahimi", "sex": "male",
            "date_of_birth": "2010-01-01", "nationalities": ["AF"], "languages": ["ps"]},
            "physical": {"distinguishing_marks": [marks]},
            "placement": {"current_agency": "demo-reception"}})
    };
    let mut ids = Vec::new();
    for marks in [
        "burn mark on the right forearm",
        "scar above the left eyebrow",
    ] {
        let res = app
            .client
            .post(app.url("/v1/minors"))
            .headers(app.auth("demo-reception", "reception_staff"))
            .header("x-purpose", "care")
            .json(&twin(marks))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        ids.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let query = json!({"names": ["Ahmed Rahimi"], "sex": "male", "age_min": 15, "age_max": 17,
        "languages": ["ps"], "distinguishing_marks": ["small scar over left eyebrow"]});

    // The guardianship service reads the physical description: the scar decides the order.
    let body: Value = search(&app, OFFICER, "identification", query.clone())
        .await
        .json()
        .await
        .unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{body}");
    assert_eq!(items[0]["record"]["id"], ids[1].as_str(), "{body}");
    assert!(items[0]["score"].as_f64().unwrap() > items[1]["score"].as_f64().unwrap());
    let fields: Vec<&str> = items[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    for field in [
        "name",
        "date_of_birth",
        "sex",
        "languages",
        "distinguishing_marks",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }

    // Police identifying a child read identity only: marks are not compared, so the scores do
    // not reveal them.
    let body: Value = search(
        &app,
        ("demo-police", "police_officer"),
        "identification",
        query.clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{body}");
    assert_eq!(items[0]["score"], items[1]["score"], "{body}");
    assert!(
        items
            .iter()
            .flat_map(|i| i["reasons"].as_array().unwrap())
            .all(|r| r["field"] != "distinguishing_marks"),
        "{body}"
    );

    for bad in [
        json!({"names": ["x"], "age_min": 17, "age_max": 12}),
        json!({"names": ["x"], "distinguishing_marks": vec!["m"; 11]}),
        json!({"names": ["x"], "eye_colour": "brown"}),
    ] {
        assert_problem(search(&app, OFFICER, "identification", bad).await, 400).await;
    }
}

#[apply(backends)]
async fn the_name_index_is_rebuilt_when_its_key_scheme_changes(#[case] backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let id = register(
        &app,
        json!({"given_names": "Semhar", "family_name": "Haile", "sex": "female"}),
    )
    .await;
    // As left by an older build: keys of another scheme, or none.
    crate::helpers::sql::exec(
        &app,
        "DELETE FROM minor_name_keys; UPDATE name_index SET version = 1",
    );
    let body: Value = search(
        &app,
        OFFICER,
        "identification",
        json!({"names": ["Semhar"]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["items"], json!([]), "nothing indexed");

    let restarted = crate::helpers::spawn_instance(&app).await;
    let res = app
        .client
        .post(format!("{restarted}/v1/minors/search"))
        .headers(app.auth(OFFICER.0, OFFICER.1))
        .header("x-purpose", "identification")
        .json(&json!({"names": ["ሰምሃር ሃይለ"]}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["items"][0]["record"]["id"], id.as_str(), "{body}");
}
