//! A burst of concurrent disappearance reports on PostgreSQL, with a webhook subscriber: once the
//! subscription's cursor has passed them, every alert event of the outbox has been delivered, in
//! outbox order. The relay reads the outbox past the last position it handled, so an event that
//! became visible after a later one would be skipped for good — a lost alert.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use serde_json::{Value, json};

use super::{client, first_arrivals, ms, name, police_webhook, register, token};
use crate::cli::Server;
use crate::helpers::{Backend, TestDatabase};

const REPORTS: usize = 40;

#[derive(QueryableByName)]
struct EventRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    event_id: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_concurrent_reports_loses_no_alert_event() {
    let db = TestDatabase::create(Backend::Postgres);
    std::fs::create_dir_all(&db.data_dir).unwrap();
    let dir = db.data_dir.clone();
    let mut cmd = super::under_load(&dir);
    // As many connections as reports, so that every report's transaction runs at once.
    cmd.env("UAM_DATABASE_URL", &db.url)
        .env("UAM_DATABASE_POOL_SIZE", (REPORTS + 8).to_string());
    let server = Server::start(cmd);
    let client = client();
    let (subscription, deliveries, officer) = police_webhook(&client, &server, &dir).await;
    let admin = token(&dir, "registry", "registry_admin");
    let children = register(
        &client,
        &server,
        &officer,
        (0..REPORTS).map(|n| (name(n), name(n + 7))),
    )
    .await;

    // Every report at once.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for child in &children {
        let request = client
            .post(server.url(&format!("/v1/minors/{child}/disappearances")))
            .bearer_auth(&officer)
            .header("x-purpose", "disappearance")
            .json(&json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": "Brussels-North"}));
        tasks.push(tokio::spawn(async move {
            request.send().await.unwrap().status().as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 201);
    }
    let answered = started.elapsed();

    // Once the relay is past the last event, each one has been delivered.
    let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
    let events: Vec<EventRow> = diesel::sql_query("SELECT seq, event_id FROM outbox ORDER BY seq")
        .load(&mut conn)
        .unwrap();
    assert_eq!(events.len(), REPORTS, "one event per report");
    let last = events.last().unwrap().seq;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body: Value = client
            .get(server.url(&format!("/v1/subscriptions/{subscription}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if body["cursor"].as_i64().unwrap() >= last {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the relay reaches the end: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered_after = started.elapsed();
    let arrived = first_arrivals(&deliveries);
    let position: BTreeMap<&str, i64> = events
        .iter()
        .map(|e| (e.event_id.as_str(), e.seq))
        .collect();
    let received: BTreeSet<&str> = arrived.iter().map(|(id, _)| id.as_str()).collect();
    let lost: Vec<i64> = events
        .iter()
        .filter(|e| !received.contains(e.event_id.as_str()))
        .map(|e| e.seq)
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} alert events were never delivered (outbox positions {lost:?})",
        lost.len(),
        events.len()
    );
    let order: Vec<i64> = arrived
        .iter()
        .map(|(id, _)| position[id.as_str()])
        .collect();
    assert!(order.is_sorted(), "in outbox order: {order:?}");
    println!(
        "burst: {REPORTS} concurrent reports answered in {} ms; all {} events delivered {} ms after \
         the burst began",
        ms(answered),
        events.len(),
        ms(delivered_after),
    );
    drop(server);
}
