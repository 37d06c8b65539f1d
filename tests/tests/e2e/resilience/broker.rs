//! The Kafka broker stopped during a burst of disappearance reports, for longer than the producer's
//! message timeout: every report is accepted (201) while it is down, and once it is back every
//! alert event reaches the subscribing agency's topic — none lost, none dead-lettered, each child's
//! events in outbox order.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use serde_json::{Value, json};

use super::{client, ms, name, register, subscribe, token};
use crate::cli::Server;
use crate::helpers::{Backend, TestDatabase};
use crate::kafka::Broker;

/// Longer than the producer's 10 s message timeout, so that sends time out inside the producer
/// and the relay's retries, not only its connection attempts, are exercised.
const BROKER_DOWN: Duration = Duration::from_secs(12);
const BEFORE: usize = 2;
const DURING: usize = 6;

#[derive(QueryableByName)]
struct EventRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    event_id: String,
    #[diesel(sql_type = Text)]
    minor_id: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// One record as consumed: (partition, key, ce_id header, event).
type Record = (i32, String, String, Value);

fn consume_all(broker: &str, want: &BTreeSet<String>, within: Duration) -> Vec<Record> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .set("group.id", "resilience-police")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "10")
        .set("enable.partition.eof", "false")
        .create()
        .unwrap();
    consumer.subscribe(&["uam.alerts.demo-police"]).unwrap();
    let mut got: Vec<Record> = Vec::new();
    let mut seen = BTreeSet::new();
    let deadline = Instant::now() + within;
    while !want.is_subset(&seen) && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
            let event: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            let ce_id = m
                .headers()
                .and_then(|h| h.iter().find(|h| h.key == "ce_id"))
                .and_then(|h| h.value)
                .map(|v| String::from_utf8(v.to_vec()).unwrap())
                .unwrap_or_default();
            seen.insert(event["id"].as_str().unwrap().to_owned());
            got.push((m.partition(), key, ce_id, event));
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_accepted_while_the_broker_is_down_and_every_alert_arrives_in_order() {
    let mut broker = Broker::start();
    let db = TestDatabase::create(Backend::Postgres);
    std::fs::create_dir_all(&db.data_dir).unwrap();
    let dir = db.data_dir.clone();
    let mut cmd = super::under_load(&dir);
    cmd.env("UAM_DATABASE_URL", &db.url)
        .env("UAM_KAFKA_BROKERS", broker.address());
    let server = Server::start(cmd);
    let client = client();
    let admin = token(&dir, "registry", "registry_admin");
    let officer = token(&dir, "demo-guardianship", "guardianship_officer");
    let police = token(&dir, "demo-police", "police_officer");

    let subscription = subscribe(&client, &server, &police, json!({"kind": "kafka"})).await;
    let cursor = async || -> (i64, u64) {
        let body: Value = client
            .get(server.url(&format!("/v1/subscriptions/{subscription}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            body["cursor"].as_i64().unwrap(),
            body["attempts"].as_u64().unwrap(),
        )
    };

    let children = register(
        &client,
        &server,
        &officer,
        (0..BEFORE + DURING).map(|n| (name(n), "Broker".to_owned())),
    )
    .await;
    let report = async |child: &str| -> (u16, Option<String>, Duration) {
        let started = Instant::now();
        let res = client
            .post(server.url(&format!("/v1/minors/{child}/disappearances")))
            .bearer_auth(&officer)
            .header("x-purpose", "disappearance")
            .json(&json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": "Brussels-North"}))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        (
            status,
            body["id"].as_str().map(str::to_owned),
            started.elapsed(),
        )
    };
    // Reports while the broker is up are delivered.
    for child in &children[..BEFORE] {
        assert_eq!(report(child).await.0, 201);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while cursor().await.0 < BEFORE as i64 {
        assert!(Instant::now() < deadline, "first reports delivered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The broker stops; a burst of reports, each acknowledged by the police for every other
    // child, is accepted at once.
    broker.stop();
    let stopped = Instant::now();
    let mut slowest = Duration::ZERO;
    for (i, child) in children[BEFORE..].iter().enumerate() {
        let (status, alert, took) = report(child).await;
        assert_eq!(status, 201, "report accepted while the broker is down");
        slowest = slowest.max(took);
        if i.is_multiple_of(2) {
            let res = client
                .post(server.url(&format!("/v1/alerts/{}/acknowledgements", alert.unwrap())))
                .bearer_auth(&police)
                .header("x-purpose", "disappearance")
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201, "acknowledged while the broker is down");
        }
    }
    // Down until the relay has failed at least once: a send timed out inside the producer.
    let deadline = Instant::now() + Duration::from_secs(40);
    let (held, attempts) = loop {
        let (held, attempts) = cursor().await;
        if attempts >= 1 && stopped.elapsed() >= BROKER_DOWN {
            break (held, attempts);
        }
        assert!(
            Instant::now() < deadline,
            "the relay tries and fails while the broker is down"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        held, BEFORE as i64,
        "nothing is marked delivered while the broker is down"
    );
    let down_for = stopped.elapsed();
    broker.run();
    let returned = Instant::now();
    let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
    let outbox: Vec<EventRow> =
        diesel::sql_query("SELECT seq, event_id, minor_id FROM outbox ORDER BY seq")
            .load(&mut conn)
            .unwrap();
    assert_eq!(
        outbox.len(),
        BEFORE + DURING + DURING.div_ceil(2),
        "one event per report and per acknowledgement"
    );
    let want: BTreeSet<String> = outbox.iter().map(|e| e.event_id.clone()).collect();
    let address = broker.address();
    let wanted = want.clone();
    let received = tokio::task::spawn_blocking(move || {
        consume_all(&address, &wanted, Duration::from_secs(45))
    })
    .await
    .unwrap();
    let delivered_after = returned.elapsed();

    // None lost: every event of the outbox arrived, with its key and header.
    let mut first: Vec<&Record> = Vec::new();
    let mut seen = BTreeSet::new();
    for r in &received {
        let id = r.3["id"].as_str().unwrap();
        assert_eq!(r.2, id, "ce_id header = event id");
        assert_eq!(
            r.1,
            r.3["data"]["alert"]["minor_id"].as_str().unwrap(),
            "key = child"
        );
        if seen.insert(id.to_owned()) {
            first.push(r);
        }
    }
    assert_eq!(seen, want, "every alert event reached the topic");
    // In order: in each partition, and so for each child, events arrive in outbox order.
    let position: BTreeMap<&str, i64> = outbox
        .iter()
        .map(|e| (e.event_id.as_str(), e.seq))
        .collect();
    let mut per_partition: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    let mut per_child: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for r in &first {
        let seq = position[r.3["id"].as_str().unwrap()];
        per_partition.entry(r.0).or_default().push(seq);
        per_child.entry(r.1.as_str()).or_default().push(seq);
    }
    for (partition, order) in &per_partition {
        assert!(
            order.is_sorted(),
            "partition {partition} in outbox order: {order:?}"
        );
    }
    for (child, order) in &per_child {
        assert!(
            order.is_sorted(),
            "child {child} in outbox order: {order:?}"
        );
        let expected: Vec<i64> = outbox
            .iter()
            .filter(|e| e.minor_id == *child)
            .map(|e| e.seq)
            .collect();
        assert_eq!(order, &expected, "child {child}");
    }
    let dead: Vec<Count> = diesel::sql_query("SELECT COUNT(*) AS n FROM dead_letters")
        .load(&mut conn)
        .unwrap();
    assert_eq!(dead[0].n, 0, "nothing given up on");
    let deadline = Instant::now() + Duration::from_secs(10);
    while cursor().await != (outbox.last().unwrap().seq, 0) {
        assert!(Instant::now() < deadline, "the cursor reaches the end");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "broker outage of {} ms: {} reports and {} acknowledgements accepted while down (slowest \
         report {} ms); relay attempts failed meanwhile: {attempts}; all {} events on the topic {} ms \
         after the broker returned ({} records read, {} duplicates)",
        ms(down_for),
        DURING,
        DURING.div_ceil(2),
        ms(slowest),
        want.len(),
        ms(delivered_after),
        received.len(),
        received.len() - want.len(),
    );
    drop(server);
}
