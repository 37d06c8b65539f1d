//! Photos: content checked and cleaned on upload, read under the `photos` grants.

use api::startup::Options;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, backends, spawn_app_with};

/// A small JPEG with an EXIF segment carrying a GPS marker, as a phone would send it.
fn jpeg_with_location() -> Vec<u8> {
    let image = image::RgbImage::from_fn(16, 12, |x, y| {
        image::Rgb([(x * 15) as u8, (y * 20) as u8, 128])
    });
    let mut encoded = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut encoded)
        .encode_image(&image)
        .unwrap();
    let mut payload = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 50.8503N GPSLongitude 4.3517E".to_vec();
    payload.resize(64, 0);
    let mut out = encoded[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend(&encoded[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn upload(app: &TestApp, id: &str, content_type: &str, bytes: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/minors/{id}/photos")))
        .headers(app.auth("demo-reception", "reception_staff"))
        .header("x-purpose", "care")
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

async fn fetch(
    app: &TestApp,
    location: &str,
    who: (&str, &str),
    purpose: &str,
) -> reqwest::Response {
    app.client
        .get(app.url(location))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", purpose)
        .send()
        .await
        .unwrap()
}

#[apply(backends)]
async fn photos_are_cleaned_and_read_under_the_photos_grants(#[case] backend: Backend) {
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let created: Value = app
        .client
        .post(app.url("/v1/minors"))
        .headers(app.auth("demo-reception", "reception_staff"))
        .header("x-purpose", "care")
        .json(&json!({"identity": {"given_names": "Amir"}, "placement": {"current_agency": "demo-reception"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();

    let original = jpeg_with_location();
    assert!(contains(&original, b"GPSLatitude"));
    // The declared type is not trusted: a JPEG sent as PNG is still taken for what it is.
    let res = upload(&app, id, "image/png", original).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let photo: Value = res.json().await.unwrap();
    assert_eq!(
        (
            photo["content_type"].as_str(),
            photo["width"].as_u64(),
            photo["height"].as_u64()
        ),
        (Some("image/jpeg"), Some(16), Some(12))
    );

    let res = fetch(
        &app,
        &location,
        ("demo-reception", "reception_staff"),
        "care",
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let stored = res.bytes().await.unwrap();
    assert_eq!(&stored[..2], &[0xFF, 0xD8]);
    assert!(
        !contains(&stored, b"GPSLatitude") && !contains(&stored, b"Exif"),
        "metadata stripped"
    );

    let record: Value = fetch(
        &app,
        &format!("/v1/minors/{id}"),
        ("demo-reception", "reception_staff"),
        "care",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(record["photos"]["items"][0]["id"], photo["id"]);
    assert_eq!(record["version"], 2);

    // Not an image, an empty body, and too large.
    assert_problem(
        upload(&app, id, "image/jpeg", b"<html>hello</html>".to_vec()).await,
        422,
    )
    .await;
    assert_problem(upload(&app, id, "image/jpeg", Vec::new()).await, 422).await;
    assert_problem(
        upload(&app, id, "image/jpeg", vec![0xFF; 6 * 1024 * 1024]).await,
        413,
    )
    .await;

    // Police see photos only during an alert, for the purpose `disappearance`.
    let police = ("demo-police", "police_officer");
    assert_problem(fetch(&app, &location, police, "disappearance").await, 403).await;
    assert_problem(
        fetch(
            &app,
            &location,
            ("demo-immigration", "immigration_officer"),
            "procedure",
        )
        .await,
        403,
    )
    .await;
    assert_problem(
        app.client
            .post(app.url(&format!("/v1/minors/{id}/photos")))
            .headers(app.auth(police.0, police.1))
            .header("x-purpose", "disappearance")
            .body(jpeg_with_location())
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    crate::helpers::set_status(&app, id, "missing");
    assert_eq!(
        fetch(&app, &location, police, "disappearance")
            .await
            .status(),
        200
    );
    assert_problem(fetch(&app, &location, police, "identification").await, 403).await;
    crate::helpers::set_status(&app, id, "active");
    assert_problem(fetch(&app, &location, police, "disappearance").await, 403).await;

    assert_problem(
        fetch(
            &app,
            &format!("/v1/minors/{id}/photos/nope"),
            ("demo-reception", "reception_staff"),
            "care",
        )
        .await,
        404,
    )
    .await;
}

/// The upload moves the record to a new version: its ETag comes with the 201, so the next change
/// can be based on it; a change based on the old one is 412 naming the current version, in the
/// `ETag` header and in `current_version`.
#[apply(backends)]
async fn an_upload_answers_the_records_new_etag_and_a_stale_change_is_told_the_current_one(
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
    let created = app
        .client
        .post(app.url("/v1/minors"))
        .headers(app.auth("demo-reception", "reception_staff"))
        .header("x-purpose", "care")
        .json(&json!({"identity": {"given_names": "Amir"}, "placement": {"current_agency": "demo-reception"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.headers()["etag"], "\"1\"");
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uploaded = upload(&app, &id, "image/jpeg", jpeg_with_location()).await;
    assert_eq!(uploaded.status(), 201);
    let etag = uploaded.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"2\"", "the upload made version 2");
    let patch = |if_match: &str| {
        app.client
            .patch(app.url(&format!("/v1/minors/{id}")))
            .headers(app.auth("demo-reception", "reception_staff"))
            .header("x-purpose", "care")
            .header("content-type", "application/merge-patch+json")
            .header("if-match", if_match)
            .body(r#"{"health": {"medical_needs": "asthma"}}"#)
    };
    let stale = patch("\"1\"").send().await.unwrap();
    assert_eq!(
        stale.headers()["etag"],
        "\"2\"",
        "the 412 names the current version"
    );
    let problem = assert_problem(stale, 412).await;
    assert_eq!(problem["current_version"], 2);
    assert_eq!(problem["type"], "urn:uam-registry:problem:stale");
    let changed = patch(&etag).send().await.unwrap();
    assert_eq!(
        changed.status(),
        200,
        "the upload's ETag is the one to change with"
    );
    assert_eq!(changed.headers()["etag"], "\"3\"");
    let wrong_type = app
        .client
        .patch(app.url(&format!("/v1/minors/{id}")))
        .headers(app.auth("demo-reception", "reception_staff"))
        .header("x-purpose", "care")
        .header("content-type", "application/json")
        .header("if-match", "\"3\"")
        .body("{}")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(wrong_type, 415).await;
    assert_eq!(
        problem["type"], "urn:uam-registry:problem:unsupported-media-type",
        "one type scheme for every problem"
    );
    let nowhere = app.client.get(app.url("/nowhere")).send().await.unwrap();
    let problem = assert_problem(nowhere, 404).await;
    assert_eq!(problem["type"], "urn:uam-registry:problem:not-found");
}
