//! The service killed with SIGKILL in the middle of a burst of disappearance reports, with requests
//! still in flight, then started again on the same database (PostgreSQL, and the embedded SQLite):
//! every report answered 201 has its alert, the child's status, its outbox event (delivered to the
//! police webhook after the restart) and its audit entry; a report that was not answered is either
//! all there or not at all; the audit chain verifies. (The Kafka
//! variant is `faults::sigkill_mid_burst_loses_no_committed_alert_and_leaves_nothing_partial`.)

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use serde_json::{Value, json};

use super::{client, first_arrivals, ms, name, police_webhook, register};
use crate::cli::{Server, uam};
use crate::helpers::{Backend, TestDatabase};

const CHILDREN: usize = 40;
/// The service is killed once this many reports have been answered.
const KILL_AFTER: usize = 6;

#[derive(QueryableByName)]
struct MinorRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    alerts: i64,
    #[diesel(sql_type = BigInt)]
    events: i64,
    #[diesel(sql_type = BigInt)]
    audited: i64,
}

#[derive(QueryableByName)]
struct EventRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    event_id: String,
    #[diesel(sql_type = Text)]
    alert_id: String,
}

/// The rows `sql` selects from the database at `url`, on either backend.
fn query<T>(url: &str, sql: &str) -> Vec<T>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    match url.strip_prefix("sqlite://") {
        Some(path) => diesel::sql_query(sql)
            .load(&mut diesel::SqliteConnection::establish(path).unwrap())
            .unwrap(),
        None => diesel::sql_query(sql)
            .load(&mut diesel::PgConnection::establish(url).unwrap())
            .unwrap(),
    }
}

#[rstest::rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_burst_loses_no_acknowledged_report_and_leaves_none_half_stored(
    #[case] backend: Backend,
) {
    let db = TestDatabase::create(backend);
    std::fs::create_dir_all(&db.data_dir).unwrap();
    let dir = db.data_dir.clone();
    let command = || {
        let mut cmd = super::under_load(&dir);
        cmd.env("UAM_DATABASE_URL", &db.url);
        cmd
    };
    let mut server = Server::start(command());
    let client = client();
    let (_, deliveries, officer) = police_webhook(&client, &server, &dir).await;
    let children = register(
        &client,
        &server,
        &officer,
        (0..CHILDREN).map(|n| (name(n), "Killed".to_owned())),
    )
    .await;

    // Every report at once; SIGKILL as soon as a few have been answered, others still in flight.
    let (answered_tx, mut answered_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for child in &children {
        let request = client
            .post(server.url(&format!("/v1/minors/{child}/disappearances")))
            .bearer_auth(&officer)
            .header("x-purpose", "disappearance")
            .json(&json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": "Brussels-North"}));
        let (child, answered) = (child.clone(), answered_tx.clone());
        tasks.push(tokio::spawn(async move {
            let result = match request.send().await {
                Ok(res) if res.status() == 201 => res
                    .json::<Value>()
                    .await
                    .ok()
                    .and_then(|b| b["id"].as_str().map(str::to_owned)),
                _ => None,
            };
            let _ = answered.send(());
            (child, result)
        }));
    }
    for _ in 0..KILL_AFTER {
        answered_rx.recv().await.unwrap();
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let killed = Instant::now();
    let mut acknowledged: BTreeMap<String, String> = BTreeMap::new();
    let mut unanswered = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (child, Some(alert)) => {
                acknowledged.insert(child, alert);
            }
            (child, None) => unanswered.push(child),
        }
    }
    assert!(
        acknowledged.len() >= KILL_AFTER,
        "the reports answered before the kill were accepted"
    );
    // The kill landed on requests in flight: some reports got no answer at all.
    assert!(
        !unanswered.is_empty(),
        "every report was answered before the kill: nothing was in flight"
    );
    drop(server);

    // Started again on the same database: the relay takes up the outbox where it stands.
    let restarted = Server::start(command());
    let up = killed.elapsed();
    let rows: Vec<MinorRow> = query(
        &db.url,
        "SELECT m.id, m.status, \
           (SELECT COUNT(*) FROM alerts a WHERE a.minor_id = m.id) AS alerts, \
           (SELECT COUNT(*) FROM outbox o WHERE o.minor_id = m.id \
              AND o.type = 'be.uam.alert.raised') AS events, \
           (SELECT COUNT(*) FROM audit_minors am JOIN audit_log l ON l.seq = am.audit_seq \
              WHERE am.minor_id = m.id AND l.action = 'report_disappearance' \
              AND l.outcome = 'success') AS audited \
         FROM minors m WHERE m.data LIKE '%Killed%'",
    );
    assert_eq!(rows.len(), CHILDREN);
    let mut stored = BTreeSet::new();
    for r in &rows {
        let all_there = r.alerts == 1 && r.events == 1 && r.audited == 1 && r.status == "missing";
        let none_there = r.alerts == 0 && r.events == 0 && r.audited == 0 && r.status != "missing";
        assert!(
            all_there || none_there,
            "child {}: alert, status, event and audit entry all or none: alerts {} status {} \
             events {} audit entries {}",
            r.id,
            r.alerts,
            r.status,
            r.events,
            r.audited
        );
        if all_there {
            stored.insert(r.id.clone());
        }
        if acknowledged.contains_key(&r.id) {
            assert!(all_there, "report of {} answered 201 is stored", r.id);
        }
    }

    // Every stored alert's event reaches the webhook, in outbox order.
    let events: Vec<EventRow> = query(
        &db.url,
        "SELECT seq, event_id, alert_id FROM outbox WHERE type = 'be.uam.alert.raised' ORDER BY seq",
    );
    for (child, alert) in &acknowledged {
        assert!(
            events.iter().any(|e| &e.alert_id == alert),
            "alert {alert} of {child} has its event"
        );
    }
    let want: BTreeSet<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let arrived = loop {
        let arrived = first_arrivals(&deliveries);
        let ids: BTreeSet<&str> = arrived.iter().map(|(id, _)| id.as_str()).collect();
        if want.is_subset(&ids) {
            break arrived;
        }
        assert!(
            Instant::now() < deadline,
            "every stored alert is delivered after the restart: {} of {}",
            ids.len(),
            want.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let delivered_after = killed.elapsed();
    let position: BTreeMap<&str, i64> = events
        .iter()
        .map(|e| (e.event_id.as_str(), e.seq))
        .collect();
    let order: Vec<i64> = arrived
        .iter()
        .map(|(id, e)| {
            assert_eq!(e["id"], id.as_str(), "webhook-id = event id");
            *position
                .get(id.as_str())
                .unwrap_or_else(|| panic!("an event not in the outbox: {e}"))
        })
        .collect();
    assert!(order.is_sorted(), "in outbox order: {order:?}");

    // The chain is whole after the kill.
    let out = uam(&dir)
        .env("UAM_DATABASE_URL", &db.url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "audit verify: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A child whose report was lost with the process can be reported again: nothing half-done
    // stands in the way.
    let retry: Vec<&String> = unanswered.iter().filter(|c| !stored.contains(*c)).collect();
    for child in &retry {
        let res = client
            .post(restarted.url(&format!("/v1/minors/{child}/disappearances")))
            .bearer_auth(&officer)
            .header("x-purpose", "disappearance")
            .json(&json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": "Brussels-North"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{child} reported again");
    }
    let deliveries = deliveries.lock().unwrap().len();
    println!(
        "sigkill: {CHILDREN} reports in flight, killed after {KILL_AFTER} answers; {} answered 201, \
         {} stored ({} committed but never answered), {} not stored and reported again; restarted \
         in {} ms; all {} alert events at the webhook {} ms after the kill ({} duplicate \
         deliveries, same webhook-id)",
        acknowledged.len(),
        stored.len(),
        stored.len() - acknowledged.len(),
        retry.len(),
        ms(up),
        want.len(),
        ms(delivered_after),
        deliveries - arrived.len(),
    );
    drop(restarted);
}
