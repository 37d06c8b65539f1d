//! The Kafka sink against a real Kafka-protocol broker (tansu): topics per agency created through
//! the admin API, every alert to every subscribing agency's consumer group once after
//! de-duplication, in order per child, with only that agency's fields; and a broker stopped during a
//! burst of reports loses nothing.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use api::demo::DEMO_CHILDREN;
use api::startup::Options;
use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};

/// A tansu broker on a free port, killed when dropped.
pub(crate) struct Broker {
    child: Option<Child>,
    port: u16,
    storage: String,
    _dir: tempfile::TempDir,
}

fn tansu() -> PathBuf {
    let path = std::env::var_os("TANSU_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap())
                .join(".cache/uam-registry/tools/bin/tansu")
        });
    assert!(
        path.exists(),
        "tansu is needed at {} (scripts/test installs it)",
        path.display()
    );
    path
}

impl Broker {
    /// A broker whose storage survives a restart (SQLite file).
    pub(crate) fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // tansu reads `sqlite://NAME` relative to its working folder, which is `dir`.
        let storage = "sqlite://tansu.db".to_owned();
        let mut broker = Self {
            child: None,
            port,
            storage,
            _dir: dir,
        };
        broker.run();
        broker
    }

    pub(crate) fn run(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let child = Command::new(tansu())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                &self.storage,
            ])
            .current_dir(self._dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "tansu did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Freezes the broker (SIGSTOP): its connections stay open and nothing is answered, so what
    /// is sent to it meanwhile is in flight until it is stopped or thawed.
    pub(crate) fn freeze(&self) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .args(["-STOP", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success(), "SIGSTOP to tansu");
        }
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

pub(crate) fn consumer(broker: &str, agency: &str) -> BaseConsumer {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .set("group.id", format!("{agency}-alerts"))
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "10")
        .set("enable.partition.eof", "false")
        .create()
        .unwrap();
    consumer
        .subscribe(&[&format!("uam.alerts.{agency}")])
        .unwrap();
    consumer
}

/// Polls until `n` distinct event ids have come, or 30 s; returns (key, event) in arrival order.
pub(crate) fn consume(consumer: &BaseConsumer, n: usize) -> Vec<(String, Value)> {
    let mut got = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while ids.len() < n && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
            let event: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            ids.insert(event["id"].as_str().unwrap().to_owned());
            got.push((key, event));
        }
    }
    got
}

/// Subscribes `agency` to its topic, with a token of that agency's `role`.
async fn subscribe_kafka(app: &TestApp, (agency, role): (&str, &str)) {
    let res = app
        .client
        .post(app.url("/v1/subscriptions"))
        .headers(app.auth(agency, role))
        .json(&json!({"kind": "kafka"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["topic"], format!("uam.alerts.{agency}"));
}

async fn act(app: &TestApp, who: (&str, &str), path: &str, body: Value) -> Value {
    let res = app
        .client
        .post(app.url(path))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", "disappearance")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{path}");
    res.json().await.unwrap()
}

/// Checks what one agency received: each event once after de-duplication, in order per child,
/// keyed by child, never health.
fn check(agency: &str, received: &[(String, Value)], expected: usize) {
    let mut unique: BTreeMap<String, &Value> = BTreeMap::new();
    let mut per_child: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, event) in received {
        assert_eq!(
            key,
            event["data"]["alert"]["minor_id"].as_str().unwrap(),
            "key = child id"
        );
        // A record is there (an absent one would pass the next check for nothing).
        assert!(event["data"]["minor"]["identity"].is_object(), "{event}");
        assert!(
            event["data"]["minor"].get("health").is_none(),
            "{agency} never receives health"
        );
        if unique
            .insert(event["id"].as_str().unwrap().to_owned(), event)
            .is_none()
        {
            per_child
                .entry(key.clone())
                .or_default()
                .push(event["type"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(unique.len(), expected, "{agency}: {received:?}");
    for types in per_child.values() {
        assert_eq!(types[0], "be.uam.alert.raised", "{agency}: {types:?}");
        assert_eq!(types[1], "be.uam.alert.acknowledged", "{agency}: {types:?}");
    }
}

#[tokio::test]
async fn every_agency_group_gets_each_alert_once_in_order_with_its_fields() {
    let broker = Broker::start();
    let address = broker.address();
    let app = spawn_app_with(
        Backend::Postgres,
        Options {
            demo: true,
            ..Default::default()
        },
        |s| s.kafka_brokers = address,
    )
    .await;
    subscribe_kafka(&app, ("demo-police", "police_officer")).await;
    subscribe_kafka(&app, ("demo-child-focus", "child_focus_case_manager")).await;

    for (child, reporter) in [
        (DEMO_CHILDREN[0], ("demo-reception", "reception_staff")),
        (
            DEMO_CHILDREN[1],
            ("demo-guardianship", "guardianship_officer"),
        ),
    ] {
        let body =
            json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": "Brussels-North"});
        let alert = act(
            &app,
            reporter,
            &format!("/v1/minors/{child}/disappearances"),
            body,
        )
        .await;
        let id = alert["id"].as_str().unwrap();
        act(
            &app,
            ("demo-police", "police_officer"),
            &format!("/v1/alerts/{id}/acknowledgements"),
            json!({}),
        )
        .await;
    }
    let broker_address = broker.address();
    let (police, child_focus) = tokio::task::spawn_blocking(move || {
        let police = consume(&consumer(&broker_address, "demo-police"), 4);
        let child_focus = consume(&consumer(&broker_address, "demo-child-focus"), 4);
        (police, child_focus)
    })
    .await
    .unwrap();
    check("demo-police", &police, 4);
    check("demo-child-focus", &child_focus, 4);
    let raised = police
        .iter()
        .find(|(k, e)| k == DEMO_CHILDREN[0] && e["type"] == "be.uam.alert.raised")
        .unwrap();
    assert!(
        raised.1["data"]["minor"]["physical"].is_object(),
        "during the alert: {}",
        raised.1
    );
}

#[tokio::test]
async fn a_broker_stopped_during_a_burst_loses_no_alert() {
    let mut broker = Broker::start();
    let address = broker.address();
    let app = spawn_app_with(
        Backend::Postgres,
        Options {
            demo: true,
            ..Default::default()
        },
        |s| {
            s.kafka_brokers = address;
            // Sends fail after 2 s rather than 10: the outage below outlasts one.
            s.kafka_timeout_ms = 2000;
        },
    )
    .await;
    subscribe_kafka(&app, ("demo-police", "police_officer")).await;

    let body = json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": "Brussels-North"});
    let first = act(
        &app,
        ("demo-reception", "reception_staff"),
        &format!("/v1/minors/{}/disappearances", DEMO_CHILDREN[0]),
        body.clone(),
    )
    .await;
    broker.stop();
    // Reports are accepted while the broker is down.
    let second = act(
        &app,
        ("demo-guardianship", "guardianship_officer"),
        &format!("/v1/minors/{}/disappearances", DEMO_CHILDREN[1]),
        body,
    )
    .await;
    for alert in [&first, &second] {
        let id = alert["id"].as_str().unwrap();
        act(
            &app,
            ("demo-police", "police_officer"),
            &format!("/v1/alerts/{id}/acknowledgements"),
            json!({}),
        )
        .await;
    }
    // Down until a delivery has failed: the relay tried while the broker was away.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let subscriptions: Value = app
            .client
            .get(app.url("/v1/subscriptions"))
            .headers(app.admin())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if subscriptions["items"][0]["delivery"]["attempts"]
            .as_u64()
            .unwrap()
            >= 1
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no delivery failed while the broker was down"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    broker.run();
    let broker_address = broker.address();
    let police =
        tokio::task::spawn_blocking(move || consume(&consumer(&broker_address, "demo-police"), 4))
            .await
            .unwrap();
    check("demo-police", &police, 4);
}
