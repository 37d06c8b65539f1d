//! A record's whole life (issue 20): retention rules run by the daily sweep on a test-driven
//! clock, restriction, erasure with a tombstone, review notices, photo deletion and history
//! redaction; on both backends. Expected dates are worked out by hand from the shipped rules
//! (`policy/retention.toml`), not from the code that applies them.

mod rectification;
mod restriction;
mod retention;
mod subject_access;

use std::sync::Arc;
use std::time::Duration;

use api::startup::Options;
use chrono::{DateTime, TimeZone, Utc};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestClock, spawn_app_with};

pub const RECEPTION: (&str, &str) = ("demo-reception", "reception_staff");
pub const YOUTH_CARE: (&str, &str) = ("demo-youth-care", "youth_care_worker");
pub const OFFICER: (&str, &str) = ("demo-guardianship", "guardianship_officer");
pub const GUARDIAN: (&str, &str) = ("demo-guardian", "guardian");
pub const POLICE: (&str, &str) = ("demo-police", "police_officer");
pub const AUDITOR: (&str, &str) = ("registry", "auditor");
pub const ANALYST: (&str, &str) = ("registry", "analyst");

pub fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

/// The demo registry on a clock the test moves, the lifecycle sweep looking every 50 ms.
pub async fn on_clock(backend: Backend, start: DateTime<Utc>) -> (TestApp, Arc<TestClock>) {
    let clock = TestClock::at(start);
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            clock: Some(clock.clone()),
        },
        |s| {
            s.sweep_interval_ms = 50;
            s.statistics_threshold = 3;
        },
    )
    .await;
    (app, clock)
}

/// A request as `who`, with a purpose and a JSON body when given.
pub async fn call(
    app: &TestApp,
    who: (&str, &str),
    method: reqwest::Method,
    path: &str,
    purpose: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .headers(app.auth(who.0, who.1));
    if let Some(purpose) = purpose {
        req = req.header("x-purpose", purpose);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

pub async fn get(app: &TestApp, who: (&str, &str), path: &str, purpose: &str) -> reqwest::Response {
    call(app, who, reqwest::Method::GET, path, Some(purpose), None).await
}

pub async fn post(
    app: &TestApp,
    who: (&str, &str),
    path: &str,
    purpose: &str,
    body: Value,
) -> reqwest::Response {
    call(
        app,
        who,
        reqwest::Method::POST,
        path,
        Some(purpose),
        Some(body),
    )
    .await
}

/// The record's lifecycle as the guardianship service sees it.
pub async fn lifecycle(app: &TestApp, id: &str) -> Value {
    let res = get(
        app,
        OFFICER,
        &format!("/v1/minors/{id}/lifecycle"),
        "guardianship",
    )
    .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Moves the clock to `to` and waits until the sweep of that day has run on `id` (its lifecycle
/// names `rule` among its acts).
pub async fn sweep_to(app: &TestApp, clock: &TestClock, to: DateTime<Utc>, id: &str, rule: &str) {
    clock.set(to);
    for _ in 0..200 {
        let life = lifecycle(app, id).await;
        let acts = life["acts"].as_array().cloned().unwrap_or_default();
        if acts.iter().any(|a| a["rule"] == rule) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sweep of {to} did not apply `{rule}` to {id}");
}

/// Moves the clock to `to` and waits until the sweep of that day has told the guardianship
/// service of `id`'s review (its lifecycle's `notified_on` is that day): an erasing rule runs only
/// `review.notice_days` (30) after such a notice.
pub async fn notice_to(app: &TestApp, clock: &TestClock, to: DateTime<Utc>, id: &str) {
    clock.set(to);
    let day = to.date_naive().to_string();
    for _ in 0..200 {
        if lifecycle(app, id).await["notified_on"] == day.as_str() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sweep of {to} raised no review notice for {id}");
}

/// Reports `child` missing as `who`, last seen an hour before the clock's time.
pub async fn report(app: &TestApp, who: (&str, &str), child: &str, now: DateTime<Utc>) -> Value {
    let res = post(
        app,
        who,
        &format!("/v1/minors/{child}/disappearances"),
        "disappearance",
        json!({"last_seen_at": (now - chrono::Duration::hours(1)).to_rfc3339(),
               "last_seen_place": "Brussels-North station"}),
    )
    .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// The events the SSE stream replays to `who` from the start, read for `within`.
pub async fn replay(app: &TestApp, who: (&str, &str), within: Duration) -> Vec<Value> {
    let res = app
        .client
        .get(app.url("/v1/alerts/stream"))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", "disappearance")
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut stream = res.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, stream.next()).await {
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    text.split("\n\n")
        .filter_map(|frame| {
            frame
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .map(|d| serde_json::from_str::<Value>(d).unwrap())
        })
        .collect()
}

/// A small JPEG.
pub fn jpeg() -> Vec<u8> {
    let image = image::RgbImage::from_fn(16, 12, |x, y| {
        image::Rgb([(x * 15) as u8, (y * 20) as u8, 90])
    });
    let mut encoded = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut encoded)
        .encode_image(&image)
        .unwrap();
    encoded
}

/// Uploads a photo of `id` as the reception centre; the photo's id.
pub async fn upload(app: &TestApp, id: &str) -> String {
    let res = app
        .client
        .post(app.url(&format!("/v1/minors/{id}/photos")))
        .headers(app.auth(RECEPTION.0, RECEPTION.1))
        .header("x-purpose", "care")
        .header("content-type", "image/jpeg")
        .body(jpeg())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The ids of the children a listing or search answer names.
pub fn ids(items: &Value) -> Vec<String> {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i.get("record")
                .map_or(&i["id"], |r| &r["id"])
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}
