//! The application, built as `serve` builds it, on a random port.

use api::config::Settings;
use api::startup::{Application, Options};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::Value;

use super::backend::{Backend, TestDatabase};
use super::idp::{AUDIENCE, ISSUER, TestIdp};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub idp: TestIdp,
    pub db: TestDatabase,
}

/// Settings of a test instance: a random port, the test database and identity provider, one worker,
/// no rate limits (every test calls as one subject from one address, far faster than a person;
/// `security/ratelimit.rs` switches them on with its own budgets), and webhooks allowed to the
/// tests' receivers on 127.0.0.1 (plain `http`, loopback address).
fn settings_for(db: &TestDatabase, idp: &TestIdp) -> Settings {
    Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: db.data_dir.clone(),
        database_url: db.url.clone(),
        database_pool_size: 4,
        auth_jwks: idp.jwks_path.display().to_string(),
        auth_issuer: ISSUER.to_owned(),
        auth_audience: AUDIENCE.to_owned(),
        workers: 1,
        shutdown_timeout_seconds: 1,
        rate_limit_enabled: false,
        webhook_allowed_hosts: vec!["127.0.0.1".into()],
        ..Settings::default()
    }
}

/// The app on a fresh database of `backend`, trusting a fresh test identity provider.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Options::default(), |_| {}).await
}

/// As [`spawn_app`], with the demo agencies and children (`serve --demo`).
pub async fn spawn_demo(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        |_| {},
    )
    .await
}

/// As [`spawn_app`], with options and a last change to the settings.
pub async fn spawn_app_with(
    backend: Backend,
    options: Options,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    // TEST_LOG=debug shows the service's logs of a failing test.
    if let Ok(filter) = std::env::var("TEST_LOG") {
        api::telemetry::init(api::config::LogFormat::Text, &filter);
    }
    let db = TestDatabase::create(backend);
    let idp = TestIdp::new(&db.data_dir.join("idp"));
    let mut settings = settings_for(&db, &idp);
    tweak(&mut settings);
    settings.validate().unwrap();
    let app = Application::build(settings, options)
        .await
        .expect("the application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Below the server's 5 s keep-alive, so that no request goes out on a connection the
            // server is closing.
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap(),
        idp,
        db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Headers carrying a valid token for `role` at `agency`.
    pub fn auth(&self, agency: &str, role: &str) -> HeaderMap {
        bearer(&self.idp.token(agency, role))
    }

    /// The registry administrator of the seeded `registry` agency.
    pub fn admin(&self) -> HeaderMap {
        self.auth("registry", "registry_admin")
    }

    /// The JSON answer of `GET path` as `who`, stating `purpose` when given; it must be 200.
    pub async fn read(&self, path: &str, who: HeaderMap, purpose: Option<&str>) -> Value {
        let mut req = self.client.get(self.url(path)).headers(who);
        if let Some(purpose) = purpose {
            req = req.header("X-Purpose", purpose);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }

    pub async fn create_agency(&self, id: &str, kind: &str) -> reqwest::Response {
        self.client
            .post(self.url("/v1/agencies"))
            .headers(self.admin())
            .json(&serde_json::json!({"id": id, "kind": kind, "name": format!("Agency {id}"), "country": "BE"}))
            .send()
            .await
            .unwrap()
    }
}

pub fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

/// Asserts an RFC 9457 problem with `status`, and returns its body.
pub async fn assert_problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status of {}", res.url());
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(
        body["type"].is_string() && body["title"].is_string(),
        "{body}"
    );
    body
}

/// Sets a record's status directly in the database, for states no endpoint sets yet (an alert).
pub fn set_status(app: &TestApp, id: &str, status: &str) {
    super::sql::exec(
        app,
        &format!("UPDATE minors SET status = '{status}' WHERE id = '{id}'"),
    );
}

/// A second instance of the application on the same database and identity provider.
pub async fn spawn_instance(app: &TestApp) -> String {
    let instance = Application::build(settings_for(&app.db, &app.idp), Options::default())
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", instance.port());
    tokio::spawn(instance.run_until_stopped());
    address
}

/// Waits (at most 15 s) until no outbox event waits after the cursor of any active subscription
/// of `agency`: the relay has handled every event written so far for it, delivering it or passing
/// over it. A check that nothing reached the agency waits for this, not for a pause.
pub async fn relay_passed(app: &TestApp, agency: &str) {
    for _ in 0..150 {
        let all: serde_json::Value = app
            .client
            .get(app.url("/v1/subscriptions"))
            .headers(app.admin())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let waiting = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["agency"] == agency && s["status"] == "active")
            .any(|s| s["delivery"]["lag_events"] != 0);
        if !waiting {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the relay never passed the events for {agency}");
}
