//! HTTP basics: probes, request ids, and problem+json for every kind of failure.

use rstest_reuse::apply;

use crate::helpers::{Backend, assert_problem, backends, spawn_app, spawn_app_with};

#[apply(backends)]
async fn probes_answer_and_every_response_has_a_request_id(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/health/live", "/health/ready", "/nowhere"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        let id = res
            .headers()
            .get("x-request-id")
            .expect("x-request-id")
            .to_str()
            .unwrap();
        assert_eq!(id.len(), 36, "{path}: {id}");
        if path.starts_with("/health") {
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(
                res.json::<serde_json::Value>().await.unwrap()["status"],
                "ok"
            );
        }
    }
}

#[apply(backends)]
async fn failures_are_problem_json(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let c = &app.client;

    let body = assert_problem(c.get(app.url("/v2/nothing")).send().await.unwrap(), 404).await;
    assert!(body["detail"].as_str().unwrap().contains("/v2/nothing"));

    let res = c
        .delete(app.url("/v1/agencies"))
        .headers(app.admin())
        .send()
        .await
        .unwrap();
    let allow = res
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_problem(res, 405).await;
    assert_eq!(allow.as_deref(), Some("GET, POST"));

    let res = c
        .post(app.url("/v1/agencies"))
        .headers(app.admin())
        .header("content-type", "text/plain")
        .body("id=x")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;

    let res = c
        .post(app.url("/v1/agencies"))
        .headers(app.admin())
        .header("content-type", "application/json")
        .body("{\n  \"id\": \"x\",\n  \"kind\": }")
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 400).await;
    assert!(
        body["detail"].as_str().unwrap().contains("line 3 column"),
        "the position is named: {body}"
    );

    let res = c
        .post(app.url("/v1/agencies"))
        .headers(app.admin())
        .json(&serde_json::json!({"id": 7}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 400).await;
}

#[apply(backends)]
async fn oversized_bodies_are_413(#[case] backend: Backend) {
    let app = spawn_app_with(backend, Default::default(), |s| s.body_limit_bytes = 4096).await;
    let name = "x".repeat(10_000);
    let res = app
        .client
        .post(app.url("/v1/agencies"))
        .headers(app.admin())
        .json(&serde_json::json!({"id": "big", "kind": "police", "name": name, "country": "BE"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 413).await;

    // Without a Content-Length (chunked), the limit holds as the body streams in.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..10).map(|_| Ok(vec![b' '; 1000])).collect();
    let res = app
        .client
        .post(app.url("/v1/agencies"))
        .headers(app.admin())
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_problem(res, 413).await;
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app(Backend::Postgres).await;
    let name = app.db.pg_name().unwrap().to_owned();
    let mut admin = <diesel::PgConnection as diesel::Connection>::establish(&format!(
        "{}/postgres",
        crate::helpers::backend_server()
    ))
    .unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")),
        &mut admin,
    )
    .unwrap();
    let res = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 503).await;
    let res = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
