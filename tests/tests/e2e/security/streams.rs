//! The alert stream (OWASP API2, broken authentication): a Server-Sent Events answer lasts, so it
//! authenticates its caller again before each batch and ends, with a comment saying why, once the
//! caller would be refused on a new request: its token expired, its agency removed or of another
//! kind. Each end is audited as a refused authentication under the stream's request id.

use std::time::Duration;

use futures_util::StreamExt;
use rstest_reuse::apply;
use serde_json::json;

use super::{demo, demo_with, request_id};
use crate::helpers::sql::{audit_rows, exec};
use crate::helpers::{Alg, Backend, TestApp, TestIdp, backends, bearer};

/// Opens the alert stream with `token` for the purpose `disappearance`; expects it to start.
async fn open(app: &TestApp, token: &str) -> reqwest::Response {
    let res = app
        .client
        .get(app.url("/v1/alerts/stream"))
        .headers(bearer(token))
        .header("x-purpose", "disappearance")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the stream opens");
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    res
}

/// Reads the stream until the server ends it, and returns its text; fails if it is still open
/// after 60 s (a bound on a check made every quarter second, not a measured time).
async fn until_closed(res: reqwest::Response) -> String {
    let mut body = res.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Err(_) => panic!("the stream is still open after 60 s: {text:?}"),
            Ok(None) => return text,
            Ok(Some(chunk)) => text.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap()),
        }
    }
}

/// The stream's last frame: `: closed: <reason>`.
fn closing_reason(text: &str) -> &str {
    let last = text.trim_end().rsplit("\n\n").next().unwrap_or_default();
    last.strip_prefix(": closed: ")
        .unwrap_or_else(|| panic!("the stream ends with a closing comment: {text:?}"))
}

/// Asserts that the stream of request `id` left exactly one refused authentication, by `subject`.
fn audited_end(app: &TestApp, id: &str, subject: &str) {
    let refusals: Vec<_> = audit_rows(app)
        .into_iter()
        .filter(|r| r.request_id == id && r.action == "authenticate")
        .collect();
    assert_eq!(refusals.len(), 1, "one refusal for {subject}: {refusals:?}");
    assert_eq!(refusals[0].outcome, "unauthenticated");
    assert_eq!(refusals[0].subject.as_deref(), Some(subject));
}

/// A police officer's token of `agency` that expires `seconds` from now.
fn officer(app: &TestApp, sub: &str, agency: &str, seconds: u64) -> (String, u64) {
    let exp = jsonwebtoken::get_current_timestamp() + seconds;
    let mut claims = TestIdp::claims(sub, agency, "police_officer");
    claims["exp"] = json!(exp);
    (app.idp.sign(Alg::EdDsa, &claims), exp)
}

/// A stream opened with a token that expires 3 s later (leeway 1 s) ends once the token has
/// expired, not before: its closing comment says the token has expired, and a new request with
/// the token is refused too.
#[apply(backends)]
async fn a_stream_ends_when_its_token_expires(#[case] backend: Backend) {
    let app = demo_with(backend, |s| s.auth_leeway_seconds = 1).await;
    let (token, exp) = officer(&app, "short-shift", "demo-police", 3);
    let res = open(&app, &token).await;
    let id = request_id(&res);
    let text = until_closed(res).await;
    let ended = jsonwebtoken::get_current_timestamp();
    assert!(ended > exp, "ended at {ended}, the token expires at {exp}");
    let reason = closing_reason(&text);
    assert!(reason.contains("the token has expired"), "{reason}");
    audited_end(&app, &id, "short-shift");
    let res = app
        .client
        .get(app.url("/v1/policy"))
        .headers(bearer(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

/// Two police agencies each hold a stream open (tokens valid for an hour). The operator removes
/// one in the database (there is no API to delete an agency) and makes the other a youth-care
/// service: each stream ends, saying that the agency does not exist or that the role no longer
/// fits its kind, and each end is audited.
#[apply(backends)]
async fn a_stream_ends_when_its_agency_is_removed_or_changes_kind(#[case] backend: Backend) {
    let app = demo(backend).await;
    assert_eq!(app.create_agency("pz-gone", "police").await.status(), 201);
    assert_eq!(app.create_agency("pz-moved", "police").await.status(), 201);
    let (gone, _) = officer(&app, "officer-gone", "pz-gone", 3600);
    let (moved, _) = officer(&app, "officer-moved", "pz-moved", 3600);
    let gone = open(&app, &gone).await;
    let moved = open(&app, &moved).await;
    let (gone_id, moved_id) = (request_id(&gone), request_id(&moved));

    exec(&app, "DELETE FROM agencies WHERE id = 'pz-gone'");
    exec(
        &app,
        "UPDATE agencies SET kind = 'youth_care' WHERE id = 'pz-moved'",
    );
    let (gone, moved) = tokio::join!(until_closed(gone), until_closed(moved));
    let reason = closing_reason(&gone);
    assert!(
        reason.contains("agency `pz-gone` does not exist"),
        "{reason}"
    );
    let reason = closing_reason(&moved);
    assert!(
        reason.contains("does not fit agency `pz-moved` of kind `youth_care`"),
        "{reason}"
    );
    audited_end(&app, &gone_id, "officer-gone");
    audited_end(&app, &moved_id, "officer-moved");
}
