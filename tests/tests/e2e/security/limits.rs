//! Resource limits (OWASP API4, unrestricted resource consumption): bodies beyond the limit on
//! every endpoint that reads one, JSON nested 10,000 deep, strings longer than their field's bound
//! in every text field, page sizes out of bounds, and hundreds of slow clients at once while
//! others are still served.

use std::time::{Duration, Instant};

use rstest_reuse::apply;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::record::{TextField, register_clean, write_and_read};
use super::{count_rows, demo};
use crate::helpers::{Backend, TestApp, assert_problem, backends};

const CHILD: &str = api::demo::DEMO_CHILDREN[0];
const ALERT: &str = "00000000-0000-4000-8000-00000000a1e7";

/// Every endpoint that reads a JSON body: method, path, content type, and who calls it.
fn json_endpoints() -> Vec<(
    &'static str,
    String,
    &'static str,
    (&'static str, &'static str),
)> {
    let officer = ("demo-guardianship", "guardianship_officer");
    let police = ("demo-police", "police_officer");
    vec![
        (
            "POST",
            "/v1/agencies".into(),
            "application/json",
            ("registry", "registry_admin"),
        ),
        ("POST", "/v1/minors".into(), "application/json", officer),
        (
            "PATCH",
            format!("/v1/minors/{CHILD}"),
            "application/merge-patch+json",
            officer,
        ),
        (
            "POST",
            "/v1/minors/search".into(),
            "application/json",
            officer,
        ),
        (
            "POST",
            format!("/v1/minors/{CHILD}/merge"),
            "application/json",
            officer,
        ),
        (
            "POST",
            format!("/v1/minors/{CHILD}/disappearances"),
            "application/json",
            police,
        ),
        (
            "POST",
            "/v1/disappearances".into(),
            "application/json",
            ("demo-child-focus", "child_focus_case_manager"),
        ),
        (
            "PATCH",
            format!("/v1/alerts/{ALERT}"),
            "application/json",
            police,
        ),
        (
            "POST",
            format!("/v1/alerts/{ALERT}/sightings"),
            "application/json",
            police,
        ),
        (
            "POST",
            format!("/v1/alerts/{ALERT}/resolution"),
            "application/json",
            police,
        ),
        (
            "POST",
            "/v1/subscriptions".into(),
            "application/json",
            police,
        ),
    ]
}

fn purpose_for(path: &str) -> &'static str {
    if path.contains("alerts") || path.contains("disappearances") {
        "disappearance"
    } else {
        "identification"
    }
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    content_type: &str,
    who: (&str, &str),
    body: reqwest::Body,
) -> reqwest::Response {
    app.client
        .request(method.parse().unwrap(), app.url(path))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", purpose_for(path))
        .header(
            "if-match",
            crate::helpers::sql::etag(app, path.trim_start_matches("/v1/minors/")),
        )
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// API4: one byte over `body_limit_bytes` (256 KiB by default) is 413 problem+json on every
/// endpoint that reads JSON, with a Content-Length and chunked; a photo over 5 MiB likewise;
/// a body at the limit is read (and judged on its content).
#[tokio::test]
async fn bodies_over_the_limit_are_413_on_every_endpoint() {
    let app = demo(Backend::Sqlite).await;
    let limit = api::config::Settings::default().body_limit_bytes;
    let padded = |size: usize| {
        let mut body = b"{\"names\": [\"Semhar\"]}".to_vec();
        body.resize(size, b' ');
        body
    };
    for (method, path, content_type, who) in json_endpoints() {
        let res = send(
            &app,
            method,
            &path,
            content_type,
            who,
            padded(limit + 1).into(),
        )
        .await;
        assert_problem(res, 413).await;
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = padded(limit + 1)
            .chunks(16 * 1024)
            .map(|c| Ok(c.to_vec()))
            .collect();
        let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
        let res = send(&app, method, &path, content_type, who, body).await;
        assert_problem(res, 413).await;
    }
    let res = send(
        &app,
        "POST",
        "/v1/minors/search",
        "application/json",
        ("demo-guardianship", "guardianship_officer"),
        padded(limit).into(),
    )
    .await;
    assert_eq!(res.status(), 200, "a body of exactly the limit is read");

    let photo = format!("/v1/minors/{CHILD}/photos");
    let reception = ("demo-reception", "reception_staff");
    let over = vec![0xFFu8; api::routes::minors::PHOTO_LIMIT_BYTES + 1];
    let res = send(
        &app,
        "POST",
        &photo,
        "image/jpeg",
        reception,
        over.clone().into(),
    )
    .await;
    assert_problem(res, 413).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        over.chunks(256 * 1024).map(|c| Ok(c.to_vec())).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    assert_problem(
        send(&app, "POST", &photo, "image/jpeg", reception, body).await,
        413,
    )
    .await;
}

/// API4: JSON nested 10,000 levels deep (arrays, objects, and inside a record field) is 400
/// problem+json on every endpoint that reads JSON: the parser's depth limit, not a stack overflow;
/// the service answers normally afterwards.
#[tokio::test]
async fn deeply_nested_json_is_400_not_a_crash() {
    let app = demo(Backend::Sqlite).await;
    let depth = 10_000;
    let arrays = "[".repeat(depth) + &"]".repeat(depth);
    let objects = "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth);
    let in_field = format!(
        "{{\"identity\": {{\"family_name\": {}}}}}",
        "[".repeat(depth) + &"]".repeat(depth)
    );
    let unclosed = "[".repeat(depth);
    for (method, path, content_type, who) in json_endpoints() {
        for body in [&arrays, &objects, &in_field, &unclosed] {
            let res = send(&app, method, &path, content_type, who, body.clone().into()).await;
            let problem = assert_problem(res, 400).await;
            assert!(
                problem["detail"].as_str().unwrap().contains("line 1"),
                "{method} {path}: {problem}"
            );
        }
    }
    // Nesting the parser accepts (100 levels) is refused for its shape, as any wrong type is.
    let shallow = format!(
        "{{\"identity\": {{\"family_name\": {}}}}}",
        "[".repeat(100) + &"]".repeat(100)
    );
    let res = send(
        &app,
        "POST",
        "/v1/minors",
        "application/json",
        ("demo-guardianship", "guardianship_officer"),
        shallow.into(),
    )
    .await;
    assert_problem(res, 400).await;
    let res = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// API4: a string one character over its bound in every text field of a record (201 characters
/// for names and short fields, 4001 for free text) is 400 naming exactly those fields; so are
/// overlong agency names, search names, report places and query parameters. Nothing is stored.
#[apply(backends)]
async fn overlong_strings_are_400_naming_the_field(#[case] backend: Backend) {
    let app = demo(backend).await;
    let base = register_clean(&app).await;
    for length in [201, 4001] {
        let value = "x".repeat(length);
        let fits = |f: &TextField| (length <= f.max_chars).then(|| value.clone());
        assert_eq!(write_and_read(&app, &base, &value, fits).await, 0);
    }
    assert_eq!(count_rows(&app, "minors"), 3, "nothing stored");

    let long = "x".repeat(201);
    let c = &app.client;
    let res = c
        .post(app.url("/v1/agencies"))
        .headers(app.admin())
        .json(&json!({"id": "pz-long", "kind": "police", "name": long, "country": "BE"}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 400).await;
    assert_eq!(body["invalid-params"][0]["name"], "name", "{body}");

    let res = c
        .post(app.url("/v1/minors/search"))
        .headers(app.auth("demo-guardianship", "guardianship_officer"))
        .header("x-purpose", "identification")
        .json(&json!({"names": [long]}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, 400).await;
    assert_eq!(body["invalid-params"][0]["name"], "names", "{body}");

    let report = |place: &str, circumstances: &str| {
        json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": place,
               "circumstances": circumstances})
    };
    for (body, field) in [
        (report(&long, "left at night"), "last_seen_place"),
        (report("Brussels", &"x".repeat(4001)), "circumstances"),
    ] {
        let res = c
            .post(app.url(&format!("/v1/minors/{CHILD}/disappearances")))
            .headers(app.auth("demo-police", "police_officer"))
            .header("x-purpose", "disappearance")
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(res, 400).await;
        assert!(problem.to_string().contains(field), "{field}: {problem}");
    }

    let huge = "x".repeat(10_000);
    for param in [
        "placement_agency",
        "nationality",
        "status",
        "registered_since",
        "after",
    ] {
        let res = c
            .get(app.url("/v1/minors"))
            .query(&[(param, &huge)])
            .headers(app.auth("demo-guardianship", "guardianship_officer"))
            .header("x-purpose", "identification")
            .send()
            .await
            .unwrap();
        let body = assert_problem(res, 400).await;
        assert_eq!(body["invalid-params"][0]["name"], param, "{body}");
    }
    let res = c
        .get(app.url(&format!("/v1/minors/{CHILD}")))
        .headers(app.auth("demo-guardianship", "guardianship_officer"))
        .header("x-purpose", &huge)
        .send()
        .await
        .unwrap();
    assert_problem(res, 400).await;
    let res = c
        .get(app.url(&format!("/v1/minors/{huge}")))
        .headers(app.auth("demo-guardianship", "guardianship_officer"))
        .header("x-purpose", "identification")
        .send()
        .await
        .unwrap();
    assert_problem(res, 404).await;
    // A request head beyond what the HTTP layer buffers is refused before the application (431,
    // or the connection closed while it is sent), and the service goes on. Its own client, so
    // that the closed connection is not reused.
    let res = reqwest::Client::new()
        .get(app.url("/v1/agencies"))
        .headers(app.admin())
        .header("x-padding", "x".repeat(256 * 1024))
        .send()
        .await;
    if let Ok(res) = res {
        assert!(res.status().is_client_error(), "{}", res.status());
    }
    let res = c
        .get(app.url("/v1/agencies"))
        .headers(app.admin())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// API4: page sizes are bounded, not clamped: `limit` 0, 201, 1,000,000, 2^64 or negative is 400
/// naming `limit` on every listing (search: 1 to 50); 200 is served.
#[tokio::test]
async fn page_sizes_out_of_bounds_are_400_not_clamped() {
    let app = demo(Backend::Sqlite).await;
    let c = &app.client;
    let listings = [
        (
            "/v1/agencies".to_owned(),
            ("registry", "registry_admin"),
            "identification",
        ),
        (
            "/v1/minors".to_owned(),
            ("demo-guardianship", "guardianship_officer"),
            "identification",
        ),
        (
            "/v1/alerts".to_owned(),
            ("demo-police", "police_officer"),
            "disappearance",
        ),
        (
            format!("/v1/minors/{CHILD}/access-log"),
            ("demo-guardian", "guardian"),
            "guardianship",
        ),
    ];
    for (path, who, purpose) in &listings {
        for limit in ["0", "201", "1000000", "18446744073709551616", "-1", "1e3"] {
            let res = c
                .get(app.url(path))
                .query(&[("limit", limit)])
                .headers(app.auth(who.0, who.1))
                .header("x-purpose", *purpose)
                .send()
                .await
                .unwrap();
            let body = assert_problem(res, 400).await;
            // A number the parameter's type holds is named; others fail in the query parser,
            // whose message names the problem but not the parameter.
            if limit.parse::<u64>().is_ok() {
                assert_eq!(
                    body["invalid-params"][0]["name"], "limit",
                    "{path}?limit={limit}"
                );
            }
        }
        let res = c
            .get(app.url(path))
            .query(&[("limit", "200")])
            .headers(app.auth(who.0, who.1))
            .header("x-purpose", *purpose)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}?limit=200");
    }
    for limit in [0, 51, 1_000_000] {
        let res = c
            .post(app.url("/v1/minors/search"))
            .headers(app.auth("demo-guardianship", "guardianship_officer"))
            .header("x-purpose", "identification")
            .json(&json!({"names": ["Semhar"], "limit": limit}))
            .send()
            .await
            .unwrap();
        let body = assert_problem(res, 400).await;
        assert_eq!(body["invalid-params"][0]["name"], "limit", "{body}");
    }
}

/// Sends a request head one byte every 300 ms, never ending it; returns how long the server took
/// to answer or hang up, or `None` if it kept the connection beyond `patience`.
async fn slow_head(address: String, patience: Duration) -> Option<(Duration, String)> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(b"GET /v1/agencies HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 1024];
    while started.elapsed() < patience {
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = read.unwrap_or(0);
                return Some((started.elapsed(), String::from_utf8_lossy(&buf[..n]).into_owned()));
            }
            () = tokio::time::sleep(Duration::from_millis(300)) => {
                if stream.write_all(b"X").await.is_err() {
                    return Some((started.elapsed(), String::new()));
                }
            }
        }
    }
    None
}

/// Sends a complete request head promising a body, a few bytes of it, then nothing; returns how
/// long the server took to answer or hang up, or `None` beyond `patience`.
async fn stalled_body(
    address: String,
    token: String,
    patience: Duration,
) -> Option<(Duration, String)> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    let head = format!(
        "POST /v1/minors/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         X-Purpose: identification\r\nContent-Type: application/json\r\n\
         Content-Length: 100000\r\n\r\n{{\"names\": ["
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    match tokio::time::timeout(patience, stream.read(&mut buf)).await {
        Ok(read) => {
            let n = read.unwrap_or(0);
            Some((
                started.elapsed(),
                String::from_utf8_lossy(&buf[..n]).into_owned(),
            ))
        }
        Err(_) => None,
    }
}

/// API4: 100 clients that send their request head a byte at a time and 100 that never finish
/// their body, all at once on a one-worker service: other clients' searches are each answered
/// within 5 s meanwhile (well under a second on an idle machine); the slow heads get 408 and are disconnected after the 5 s head timeout,
/// the stalled bodies after the body idle timeout.
#[tokio::test]
async fn slow_clients_do_not_starve_the_others() {
    let app = demo(Backend::Sqlite).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let token = app.idp.token("demo-guardianship", "guardianship_officer");
    let patience = Duration::from_secs(25);
    let heads: Vec<_> = (0..100)
        .map(|_| tokio::spawn(slow_head(address.clone(), patience)))
        .collect();
    let bodies: Vec<_> = (0..100)
        .map(|_| tokio::spawn(stalled_body(address.clone(), token.clone(), patience)))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut served = 0;
    while started.elapsed() < Duration::from_secs(8) {
        let asked = Instant::now();
        let res = tokio::time::timeout(
            Duration::from_secs(10),
            app.client
                .post(app.url("/v1/minors/search"))
                .headers(app.auth("demo-guardianship", "guardianship_officer"))
                .header("x-purpose", "identification")
                .json(&json!({"names": ["Semhar Haile"]}))
                .send(),
        )
        .await
        .expect("answered while slow clients hang on")
        .unwrap();
        assert_eq!(res.status(), 200);
        let _: Value = res.json().await.unwrap();
        slowest = slowest.max(asked.elapsed());
        served += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served >= 10, "{served} requests served");
    assert!(
        slowest < Duration::from_secs(5),
        "slowest answer {slowest:?}"
    );

    for head in heads {
        let (after, answer) = head.await.unwrap().expect("a slow head is cut off");
        assert!(after < Duration::from_secs(8), "cut off after {after:?}");
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
    for body in bodies {
        let (after, answer) = body.await.unwrap().expect("a stalled body is cut off");
        assert!(after < Duration::from_secs(20), "cut off after {after:?}");
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
}
