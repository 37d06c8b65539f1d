//! Rate limits (OWASP API6, unrestricted access to sensitive business flows): a subject over its
//! budget is refused with 429 problem+json and `Retry-After` before its request touches child
//! data, while other subjects go on; an address sending bad tokens is refused, before its tokens
//! are read, once its budget of failed authentications is spent; with the limits off by setting a
//! burst goes through. Budgets here are 1 a minute with a burst of 3: the fourth request is over
//! budget unless a whole minute passed since the first (a few requests take well under a second),
//! and the wait announced is at most 60 s (one request a minute).

use reqwest::header::HeaderMap;
use rstest_reuse::apply;

use super::{demo_with, request_id};
use crate::helpers::sql::audit_rows;
use crate::helpers::{Backend, TestApp, TestIdp, assert_problem, backends, bearer};

const CHILD: &str = api::demo::DEMO_CHILDREN[0];
const BURST: u32 = 3;

/// The demo app with rate limits on: `subject` and `address` are (per minute, burst); 0 is off.
async fn limited(backend: Backend, subject: (u32, u32), address: (u32, u32)) -> TestApp {
    demo_with(backend, |s| {
        s.rate_limit_enabled = true;
        (s.rate_limit_per_subject, s.rate_limit_per_subject_burst) = subject;
        (s.rate_limit_per_address, s.rate_limit_per_address_burst) = address;
    })
    .await
}

/// A token of `sub`, reception staff of the demo centre where [`CHILD`] lives.
fn staff(app: &TestApp, sub: &str) -> HeaderMap {
    bearer(&app.idp.sign(
        crate::helpers::Alg::EdDsa,
        &TestIdp::claims(sub, "demo-reception", "reception_staff"),
    ))
}

/// Reads [`CHILD`] for care, with `headers`.
async fn consult(app: &TestApp, headers: HeaderMap) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/v1/minors/{CHILD}")))
        .headers(headers)
        .header("x-purpose", "care")
        .send()
        .await
        .unwrap()
}

/// Asserts a 429 problem+json whose `Retry-After` is whole seconds between 1 and 60 (one request
/// a minute), and returns its request id.
async fn assert_too_many(res: reqwest::Response, what: &str) -> String {
    assert_eq!(res.status(), 429, "{what}");
    let id = request_id(&res);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap_or_else(|e| panic!("{what}: Retry-After is not seconds: {e}"));
    assert!((1..=60).contains(&retry), "{what}: Retry-After {retry}");
    let body = assert_problem(res, 429).await;
    assert_eq!(
        body["type"], "urn:uam-registry:problem:rate-limited",
        "{what}"
    );
    id
}

/// API6: a subject that has used its budget (3 at once, then 1 a minute) gets 429 with
/// `Retry-After` for its fourth read of a child's record, and that request leaves no audit entry
/// (no child data was read; each allowed read left one). Another subject of the same agency, and
/// the same `sub` at another agency, have their own budgets; the health probes are not limited;
/// and the subject's budget is not the address's (both subjects call from one address).
#[apply(backends)]
async fn a_subject_over_its_budget_gets_429_and_other_subjects_are_unaffected(
    #[case] backend: Backend,
) {
    let app = limited(backend, (1, BURST), (1, BURST)).await;
    let mut allowed = Vec::new();
    for n in 0..BURST {
        let res = consult(&app, staff(&app, "alice")).await;
        assert_eq!(res.status(), 200, "alice's read {n} is within her burst");
        allowed.push(request_id(&res));
    }
    let res = consult(&app, staff(&app, "alice")).await;
    let refused = assert_too_many(res, "alice's fourth read").await;

    let rows = audit_rows(&app);
    for id in &allowed {
        assert_eq!(
            rows.iter().filter(|r| &r.request_id == id).count(),
            1,
            "an allowed read is audited"
        );
    }
    assert!(
        rows.iter().all(|r| r.request_id != refused),
        "the refused read touched no child data: {rows:?}"
    );

    for n in 0..BURST {
        let res = consult(&app, staff(&app, "bob")).await;
        assert_eq!(res.status(), 200, "bob's read {n}: his own budget");
    }
    let elsewhere = bearer(&app.idp.sign(
        crate::helpers::Alg::EdDsa,
        &TestIdp::claims("alice", "demo-police", "police_officer"),
    ));
    let res = app
        .client
        .get(app.url("/v1/policy"))
        .headers(elsewhere)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "alice at another agency is another key");
    for _ in 0..2 * BURST {
        for probe in ["/health/live", "/health/ready"] {
            let res = app.client.get(app.url(probe)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{probe} is never limited");
        }
    }
    let res = consult(&app, staff(&app, "alice")).await;
    assert_too_many(res, "alice is still over her budget").await;
}

/// API6/API2: failed authentications are charged to the source address, successful ones are not
/// (a burst of valid requests first leaves the address's budget whole). After 3 bad tokens
/// (401, audited), the fourth is 429; from then on the address is refused before its token is
/// read, so a further bad token and even a valid one are 429 and leave no audit entry.
/// Unauthenticated requests outside `/v1` share that budget; the health probes do not.
#[apply(backends)]
async fn an_address_sending_bad_tokens_is_limited(#[case] backend: Backend) {
    let app = limited(backend, (0, 1), (1, BURST)).await;
    for n in 0..2 * BURST {
        let res = consult(&app, staff(&app, "alice")).await;
        assert_eq!(
            res.status(),
            200,
            "valid request {n} charges no address budget"
        );
    }
    let forged = bearer("not.a.token");
    for _ in 0..BURST {
        let res = consult(&app, forged.clone()).await;
        assert_problem(res, 401).await;
    }
    let res = consult(&app, forged.clone()).await;
    assert_too_many(res, "the fourth bad token").await;

    let res = consult(&app, forged.clone()).await;
    let bad = assert_too_many(res, "a bad token from an exhausted address").await;
    let res = consult(&app, staff(&app, "alice")).await;
    let good = assert_too_many(res, "a valid token from an exhausted address").await;
    let rows = audit_rows(&app);
    for (id, what) in [(bad, "bad"), (good, "valid")] {
        assert!(
            rows.iter().all(|r| r.request_id != id),
            "the {what} token was not read, so not audited: {rows:?}"
        );
    }
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_too_many(res, "an unauthenticated request from that address").await;
    let res = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the probes are never limited");
}

/// Unauthenticated requests outside `/v1` (the OpenAPI document, unknown paths) are charged to
/// the source address: 3 go through, the fourth is 429.
#[apply(backends)]
async fn unauthenticated_requests_are_limited_per_address(#[case] backend: Backend) {
    let app = limited(backend, (0, 1), (1, BURST)).await;
    for path in ["/openapi.json", "/openapi.json", "/nowhere"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_ne!(res.status(), 429, "{path} is within the burst");
    }
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_too_many(res, "the fourth unauthenticated request").await;
}

/// With `rate_limit_enabled = false`, the tiniest budgets are not applied: one subject's burst of
/// 30 reads is all 200, and 30 bad tokens from one address are all 401, never 429.
#[apply(backends)]
async fn the_limit_off_by_setting_lets_a_burst_through(#[case] backend: Backend) {
    let app = demo_with(backend, |s| {
        s.rate_limit_enabled = false;
        (s.rate_limit_per_subject, s.rate_limit_per_subject_burst) = (1, 1);
        (s.rate_limit_per_address, s.rate_limit_per_address_burst) = (1, 1);
    })
    .await;
    for n in 0..30 {
        let res = consult(&app, staff(&app, "alice")).await;
        assert_eq!(res.status(), 200, "read {n}");
    }
    for n in 0..30 {
        let res = consult(&app, bearer("not.a.token")).await;
        assert_eq!(res.status(), 401, "bad token {n}");
    }
}
