//! Authentication: each accepted algorithm, and every way a token can be wrong, refused with 401.

use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{Alg, Backend, TestApp, assert_problem, backends, bearer, spawn_app};

async fn get_agencies(app: &TestApp, headers: reqwest::header::HeaderMap) -> reqwest::Response {
    app.client
        .get(app.url("/v1/agencies"))
        .headers(headers)
        .send()
        .await
        .unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    let res = get_agencies(app, bearer(token)).await;
    assert_eq!(res.status(), 401, "{what} must be refused");
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\"",
        "{what}"
    );
    let body = assert_problem(res, 401).await;
    assert!(body["detail"].is_string(), "{what}: {body}");
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unsigned(header: Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

#[apply(backends)]
async fn accepts_each_asymmetric_algorithm(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    for alg in Alg::ALL {
        let token = app.idp.sign(
            alg,
            &crate::helpers::TestIdp::claims("u1", "registry", "registry_admin"),
        );
        let res = get_agencies(&app, bearer(&token)).await;
        assert_eq!(res.status(), 200, "{alg:?}");
    }
}

#[apply(backends)]
async fn refuses_every_bad_token(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_agency("pz-gent", "police").await;
    let good = crate::helpers::TestIdp::claims("u1", "registry", "registry_admin");
    let now = jsonwebtoken::get_current_timestamp();

    // alg none, with and without a kid.
    assert_refused(
        &app,
        &unsigned(json!({"alg": "none", "typ": "JWT"}), &good),
        "alg none",
    )
    .await;
    assert_refused(
        &app,
        &unsigned(
            json!({"alg": "none", "typ": "JWT", "kid": "test-ed"}),
            &good,
        ),
        "alg none with a kid",
    )
    .await;

    // HS256 keyed with the public key, as in the classic key-confusion attack.
    for (alg, public) in [
        (Alg::Rs256, app.idp.key(Alg::Rs256).public_jwk.clone()),
        (Alg::EdDsa, app.idp.key(Alg::EdDsa).public_jwk.clone()),
    ] {
        let secret = serde_json::to_vec(&public).unwrap();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(alg.kid().to_owned());
        let token = jsonwebtoken::encode(
            &header,
            &good,
            &jsonwebtoken::EncodingKey::from_secret(&secret).unwrap(),
        )
        .unwrap();
        assert_refused(&app, &token, "HS256 keyed with the public key").await;
        let pem = app.idp.key(alg).pem.clone();
        let token = jsonwebtoken::encode(
            &header,
            &good,
            &jsonwebtoken::EncodingKey::from_secret(&pem).unwrap(),
        )
        .unwrap();
        assert_refused(&app, &token, "HS256 keyed with the key's PEM").await;
    }

    // A kid the JWKS does not hold.
    let other_dir = tempfile::tempdir().unwrap();
    let stranger = crate::helpers::idp::load_key(
        Alg::EdDsa,
        crate::helpers::idp::generate_pem(Alg::EdDsa, other_dir.path()),
        "stranger",
    );
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some("stranger".into());
    let token = jsonwebtoken::encode(&header, &good, &stranger.encoding).unwrap();
    assert_refused(&app, &token, "unknown kid").await;

    // A known kid, signed by another key: the signature does not verify.
    header.kid = Some(Alg::EdDsa.kid().into());
    let token = jsonwebtoken::encode(&header, &good, &stranger.encoding).unwrap();
    assert_refused(&app, &token, "signature by another key").await;

    // A valid token whose payload was altered after signing.
    let valid = app.idp.sign(Alg::EdDsa, &good);
    let parts: Vec<&str> = valid.split('.').collect();
    let forged_claims = with(good.clone(), "agency", json!("pz-gent"));
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(forged_claims.to_string().as_bytes()),
        parts[2]
    );
    assert_refused(&app, &tampered, "altered payload").await;

    // A token signed with the right key but the header claiming another algorithm's kid.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(Alg::Rs256.kid().into());
    let token = jsonwebtoken::encode(&header, &good, &app.idp.key(Alg::EdDsa).encoding).unwrap();
    assert_refused(&app, &token, "algorithm not matching the key").await;

    let cases: Vec<(&str, Value)> = vec![
        ("expired", with(good.clone(), "exp", json!(now - 3600))),
        (
            "not yet valid",
            with(good.clone(), "nbf", json!(now + 3600)),
        ),
        (
            "wrong issuer",
            with(good.clone(), "iss", json!("https://evil.example")),
        ),
        (
            "wrong audience",
            with(good.clone(), "aud", json!("another-service")),
        ),
        ("empty subject", with(good.clone(), "sub", json!(""))),
        (
            "unknown agency",
            with(good.clone(), "agency", json!("no-such-agency")),
        ),
        (
            "unknown role",
            with(good.clone(), "role", json!("superuser")),
        ),
        (
            "role not fitting the agency kind",
            with(good.clone(), "role", json!("police_officer")),
        ),
        (
            "admin role at a police agency",
            with(good.clone(), "agency", json!("pz-gent")),
        ),
    ];
    for (what, claims) in cases {
        assert_refused(&app, &app.idp.sign(Alg::EdDsa, &claims), what).await;
    }
    for claim in ["sub", "agency", "role", "iss", "aud", "exp"] {
        let token = app.idp.sign(Alg::EdDsa, &without(good.clone(), claim));
        assert_refused(&app, &token, &format!("missing {claim}")).await;
    }

    // Not a token at all, and no or a non-bearer Authorization header.
    assert_refused(&app, "not-a-jwt", "garbage").await;
    let res = get_agencies(&app, reqwest::header::HeaderMap::new()).await;
    assert_problem(res, 401).await;
    let mut basic = reqwest::header::HeaderMap::new();
    basic.insert("authorization", "Basic dXNlcjpwYXNz".parse().unwrap());
    assert_problem(get_agencies(&app, basic).await, 401).await;

    // The same claims, well signed, are accepted: the refusals above are for their faults only.
    assert_eq!(get_agencies(&app, bearer(&valid)).await.status(), 200);
}

/// A JWKS served over HTTP: keys are fetched at start, a key rotated in later is fetched when a
/// token first names it, and unknown key ids do not make the service fetch again within a minute.
#[tokio::test]
async fn keys_by_url_and_a_rotated_key() {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use std::sync::{Arc, Mutex};

    let dir = tempfile::tempdir().unwrap();
    let idp = crate::helpers::TestIdp::new(dir.path());
    let publish = |algs: &[Alg]| {
        let keys = algs
            .iter()
            .map(|a| idp.key(*a).public_jwk.clone())
            .collect();
        serde_json::to_string(&jsonwebtoken::jwk::JwkSet { keys }).unwrap()
    };
    let served = Arc::new(Mutex::new(publish(&[Alg::EdDsa])));
    let body = served.clone();
    let server = HttpServer::new(move || {
        let body = body.clone();
        App::new().route(
            "/jwks.json",
            web::get().to(move || {
                let body = body.lock().unwrap().clone();
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
    let url = format!("http://127.0.0.1:{}/jwks.json", server.addrs()[0].port());
    tokio::spawn(server.run());

    let app =
        crate::helpers::spawn_app_with(Backend::Sqlite, Default::default(), |s| s.auth_jwks = url)
            .await;
    let claims = crate::helpers::TestIdp::claims("u1", "registry", "registry_admin");
    let status = |token: String| {
        let app = &app;
        async move { get_agencies(app, bearer(&token)).await.status().as_u16() }
    };
    assert_eq!(status(idp.sign(Alg::EdDsa, &claims)).await, 200);
    assert_eq!(
        status(app.idp.sign(Alg::EdDsa, &claims)).await,
        401,
        "another provider's key under the same kid"
    );

    *served.lock().unwrap() = publish(&[Alg::EdDsa, Alg::Rs256]);
    assert_eq!(
        status(idp.sign(Alg::Rs256, &claims)).await,
        200,
        "the rotated key is fetched when first named"
    );

    *served.lock().unwrap() = publish(&[Alg::EdDsa, Alg::Rs256, Alg::Es256]);
    assert_eq!(
        status(idp.sign(Alg::Es256, &claims)).await,
        401,
        "no second fetch within the minute"
    );
}
