//! Tokens (OWASP API2, broken authentication), beyond `auth.rs`: keys of another identity
//! provider under our key ids, keys offered by the token itself, an agency removed or changed
//! after the token was issued, replay after expiry, tokens that live longer than a shift, and keys
//! withdrawn from a JWKS URL. Every refusal is 401 problem+json and
//! leaves one audit entry with the subject the token claims.

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use rstest_reuse::apply;
use serde_json::{Value, json};

use super::{demo, demo_with, request_id};
use crate::helpers::sql::{audit_rows, exec};
use crate::helpers::{Alg, Backend, TestApp, TestIdp, assert_problem, backends, bearer};

async fn call(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/v1/policy"))
        .headers(bearer(token))
        .send()
        .await
        .unwrap()
}

/// Sends `token`, expects 401 problem+json, and returns the request id.
async fn refused(app: &TestApp, token: &str, what: &str) -> String {
    let res = call(app, token).await;
    assert_eq!(res.status(), 401, "{what} must be refused");
    let id = request_id(&res);
    let body = assert_problem(res, 401).await;
    assert!(body["detail"].is_string(), "{what}: {body}");
    id
}

/// Asserts that each request id has exactly one audit entry: a refused authentication with the
/// subject the token claimed.
fn audited(app: &TestApp, refusals: &[(String, String)]) {
    let rows = audit_rows(app);
    for (request, subject) in refusals {
        let entries: Vec<_> = rows.iter().filter(|r| &r.request_id == request).collect();
        assert_eq!(entries.len(), 1, "one entry for {subject}: {entries:?}");
        assert_eq!(entries[0].action, "authenticate", "{subject}");
        assert_eq!(entries[0].outcome, "unauthenticated", "{subject}");
        assert_eq!(entries[0].subject.as_deref(), Some(subject.as_str()));
    }
}

fn claims(sub: &str, agency: &str, role: &str) -> Value {
    TestIdp::claims(sub, agency, role)
}

/// API2: an identity provider with its own JWKS whose keys carry our key ids (RS256, ES256,
/// EdDSA), and tokens that bring their key along (`jwk`, `jku`, `x5u` headers) or name a key id
/// that is a path: each is 401 and audited; the same claims signed by our keys pass.
#[apply(backends)]
async fn keys_of_another_jwks_or_named_by_the_token_are_refused_and_audited(
    #[case] backend: Backend,
) {
    let app = demo(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let other = TestIdp::new(dir.path());
    let mut refusals = Vec::new();
    for alg in Alg::ALL {
        let sub = format!("mallory-{}", alg.kid());
        let token = other.sign(alg, &claims(&sub, "registry", "registry_admin"));
        let id = refused(&app, &token, &format!("another JWKS's {alg:?} key")).await;
        refusals.push((id, sub.clone()));
        let genuine = app
            .idp
            .sign(alg, &claims(&sub, "registry", "registry_admin"));
        assert_eq!(call(&app, &genuine).await.status(), 200, "{alg:?}");
    }

    // The attacker's key, offered in the header; then a key set by URL; then a kid that is a path.
    let key = other.key(Alg::EdDsa);
    let jwks_url = format!("file://{}", other.jwks_path.display());
    let headers: Vec<(&str, jsonwebtoken::Header)> = vec![
        ("embedded jwk", {
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            h.kid = Some(Alg::EdDsa.kid().into());
            h.jwk = Some(key.public_jwk.clone());
            h
        }),
        ("jku", {
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            h.kid = Some(Alg::EdDsa.kid().into());
            h.jku = Some(jwks_url.clone());
            h
        }),
        ("x5u", {
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            h.kid = Some(Alg::EdDsa.kid().into());
            h.x5u = Some(jwks_url.clone());
            h
        }),
        ("kid as a path", {
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            h.kid = Some(other.jwks_path.display().to_string());
            h
        }),
        ("kid with SQL", {
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            h.kid = Some("test-ed' OR '1'='1".into());
            h
        }),
    ];
    for (what, header) in headers {
        let sub = format!("mallory-{}", what.replace(' ', "-"));
        let token = jsonwebtoken::encode(
            &header,
            &claims(&sub, "registry", "registry_admin"),
            &key.encoding,
        )
        .unwrap();
        refusals.push((refused(&app, &token, what).await, sub));
    }
    audited(&app, &refusals);
}

/// API2/API5: agencies cannot be deleted through the API (`/v1/agencies` has no DELETE: 405), so
/// an operator removes one in the database. A token of that agency, accepted before, is refused
/// from then on: on SQLite from the next request (the agency is read on every request); on
/// PostgreSQL, whose agencies are remembered until the database notifies a change, from the
/// first request after the notification, which the test gives a second at most. So is one whose
/// agency changed kind under it (the role no longer fits), and one for an agency that never
/// existed. Each refusal is audited.
#[apply(backends)]
async fn tokens_of_a_removed_or_changed_agency_are_refused_at_once(#[case] backend: Backend) {
    let app = demo(backend).await;
    assert_eq!(app.create_agency("pz-gone", "police").await.status(), 201);
    assert_eq!(app.create_agency("pz-moved", "police").await.status(), 201);
    let res = app
        .client
        .delete(app.url("/v1/agencies/pz-gone"))
        .headers(app.admin())
        .send()
        .await
        .unwrap();
    assert_problem(res, 405).await;

    let gone = app.idp.sign(
        Alg::EdDsa,
        &claims("officer-gone", "pz-gone", "police_officer"),
    );
    let moved = app.idp.sign(
        Alg::Es256,
        &claims("officer-moved", "pz-moved", "police_officer"),
    );
    let never = app.idp.sign(
        Alg::Rs256,
        &claims("officer-never", "pz-never-existed", "police_officer"),
    );
    assert_eq!(call(&app, &gone).await.status(), 200);
    assert_eq!(call(&app, &moved).await.status(), 200);

    exec(&app, "DELETE FROM agencies WHERE id = 'pz-gone'");
    exec(
        &app,
        "UPDATE agencies SET kind = 'youth_care' WHERE id = 'pz-moved'",
    );
    let mut refusals = Vec::new();
    if backend == Backend::Postgres {
        // Accepted at most until the notification has arrived; refused for good after it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        loop {
            let res = call(&app, &gone).await;
            if res.status() == 401 {
                refusals.push((request_id(&res), "officer-gone".into()));
                break;
            }
            assert_eq!(res.status(), 200);
            assert!(
                std::time::Instant::now() < deadline,
                "a removed agency still accepted a second after its removal"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    for (token, sub, what) in [
        (&gone, "officer-gone", "removed agency"),
        (&moved, "officer-moved", "role no longer fits the agency"),
        (&never, "officer-never", "agency that never existed"),
    ] {
        refusals.push((refused(&app, token, what).await, sub.to_owned()));
    }
    // A request on child data is refused the same way, before the purpose is even considered.
    let res = app
        .client
        .get(app.url(&format!("/v1/minors/{}", api::demo::DEMO_CHILDREN[0])))
        .headers(bearer(&gone))
        .header("x-purpose", "identification")
        .send()
        .await
        .unwrap();
    refusals.push((request_id(&res), "officer-gone".into()));
    assert_problem(res, 401).await;
    audited(&app, &refusals);
}

/// API2: replay. With a leeway of one second, a token that expires two seconds from now is
/// accepted now and refused once it has expired; with the default 30-second leeway, a token
/// expired 10 s ago still passes and one expired 31 s ago does not. Refusals are audited.
#[apply(backends)]
async fn a_token_replayed_after_expiry_is_refused(#[case] backend: Backend) {
    let app = demo_with(backend, |s| s.auth_leeway_seconds = 1).await;
    let now = jsonwebtoken::get_current_timestamp();
    let mut short = claims("replayer", "registry", "registry_admin");
    short["exp"] = json!(now + 2);
    let token = app.idp.sign(Alg::EdDsa, &short);
    assert_eq!(call(&app, &token).await.status(), 200, "valid until exp");
    let until = now + 2 + 1 + 1;
    while jsonwebtoken::get_current_timestamp() <= until {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let id = refused(&app, &token, "the same token after exp + leeway").await;
    audited(&app, &[(id, "replayer".into())]);

    let app = demo(backend).await;
    let now = jsonwebtoken::get_current_timestamp();
    let mut within = claims("late", "registry", "registry_admin");
    within["exp"] = json!(now - 10);
    let within = app.idp.sign(Alg::EdDsa, &within);
    assert_eq!(
        call(&app, &within).await.status(),
        200,
        "expired 10 s ago: inside the 30 s leeway"
    );
    let mut beyond = claims("too-late", "registry", "registry_admin");
    beyond["exp"] = json!(now - 31);
    let beyond = app.idp.sign(Alg::EdDsa, &beyond);
    let id = refused(&app, &beyond, "expired beyond the leeway").await;
    audited(&app, &[(id, "too-late".into())]);
}

/// API2: a token is good for one shift at most. By default (`auth_max_token_lifetime_seconds` =
/// 43,200, 12 h, with the 30 s leeway) a token whose `exp` lies 12 h - 1 min ahead passes and one
/// 12 h + 90 s ahead is refused, however well signed; with the setting at 600 s, a token of the
/// test identity provider's usual hour is refused and one of 5 min passes. Refusals are 401
/// problem+json naming the setting, and audited.
#[apply(backends)]
async fn a_token_that_lives_longer_than_the_limit_is_refused_and_audited(#[case] backend: Backend) {
    let expiring_in = |app: &TestApp, sub: &str, seconds: u64| {
        let mut c = claims(sub, "registry", "registry_admin");
        c["exp"] = json!(jsonwebtoken::get_current_timestamp() + seconds);
        app.idp.sign(Alg::EdDsa, &c)
    };
    let app = demo(backend).await;
    let shift = expiring_in(&app, "one-shift", 12 * 3600 - 60);
    assert_eq!(call(&app, &shift).await.status(), 200, "12 h - 1 min");
    let longer = expiring_in(&app, "two-shifts", 12 * 3600 + 90);
    let res = call(&app, &longer).await;
    let id = request_id(&res);
    let body = assert_problem(res, 401).await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("auth_max_token_lifetime_seconds"),
        "{detail}"
    );
    audited(&app, &[(id, "two-shifts".into())]);

    let app = demo_with(backend, |s| s.auth_max_token_lifetime_seconds = 600).await;
    let hour = expiring_in(&app, "an-hour", 3600);
    let id = refused(&app, &hour, "an hour, with a 10 min limit").await;
    audited(&app, &[(id, "an-hour".into())]);
    let five = expiring_in(&app, "five-minutes", 300);
    assert_eq!(call(&app, &five).await.status(), 200, "5 min");
}

/// The key set an identity provider publishes at a URL: whatever `jwks` holds when asked.
async fn jwks_endpoint(jwks: Arc<Mutex<String>>) -> String {
    let server = HttpServer::new(move || {
        let jwks = jwks.clone();
        App::new().route(
            "/jwks.json",
            web::get().to(move || {
                let body = jwks.lock().unwrap().clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    format!("http://127.0.0.1:{port}/jwks.json")
}

/// Sends `token` every 100 ms until the answer is `status`; fails after 30 s (a bound on a
/// refresh due every second, not a measured time).
async fn until_status(app: &TestApp, token: &str, status: u16, what: &str) -> reqwest::Response {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let res = call(app, token).await;
        if res.status().as_u16() == status {
            return res;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: still {} after 30 s",
            res.status()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// API2: a JWKS given by URL is fetched again every `auth_jwks_refresh_seconds` (1 s here). A key
/// the identity provider withdraws stops verifying tokens after the next fetch, though the token
/// was accepted (and remembered) before, while the other keys go on verifying theirs; a key
/// replaced under the same `kid` verifies the new key's tokens, and a token of the old key,
/// accepted before, is refused at once: no remembered verification outlives its key. Refusals
/// are audited.
#[apply(backends)]
async fn a_key_withdrawn_from_a_jwks_url_stops_verifying_after_the_next_refresh(
    #[case] backend: Backend,
) {
    let published = Arc::new(Mutex::new(String::new()));
    let url = jwks_endpoint(published.clone()).await;
    let app = demo_with(backend, |s| {
        *published.lock().unwrap() = std::fs::read_to_string(&s.auth_jwks).unwrap();
        s.auth_jwks = url.clone();
        s.auth_jwks_refresh_seconds = 1;
    })
    .await;
    let publish = |keys: Vec<Jwk>| {
        *published.lock().unwrap() = serde_json::to_string(&JwkSet { keys }).unwrap();
    };
    let public = |alg: Alg| app.idp.key(alg).public_jwk.clone();
    let ed = app
        .idp
        .sign(Alg::EdDsa, &claims("ed-user", "registry", "registry_admin"));
    let es = app
        .idp
        .sign(Alg::Es256, &claims("es-user", "registry", "registry_admin"));
    assert_eq!(call(&app, &ed).await.status(), 200);
    assert_eq!(call(&app, &es).await.status(), 200);

    // The EdDSA key is withdrawn.
    publish(vec![public(Alg::Es256), public(Alg::Rs256)]);
    let res = until_status(&app, &ed, 401, "a token of the withdrawn key").await;
    let id = request_id(&res);
    assert_problem(res, 401).await;
    assert_eq!(call(&app, &es).await.status(), 200, "the ES256 key is kept");

    // The ES256 key is replaced by another under the same kid.
    let dir = tempfile::tempdir().unwrap();
    let rotated = TestIdp::new(dir.path());
    publish(vec![
        rotated.key(Alg::Es256).public_jwk.clone(),
        public(Alg::Rs256),
    ]);
    let renewed = rotated.sign(Alg::Es256, &claims("es-new", "registry", "registry_admin"));
    until_status(&app, &renewed, 200, "a token of the new key under test-es").await;
    let old = refused(&app, &es, "a token of the replaced key, accepted before").await;
    audited(&app, &[(id, "ed-user".into()), (old, "es-user".into())]);
}
