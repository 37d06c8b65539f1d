//! The service killed with SIGKILL in the middle of a burst of disappearance reports, then
//! restarted: no partial report, and every committed report's alert reaches the subscriber.

use std::collections::BTreeSet;
use std::process::Command;

use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use serde_json::{Value, json};

use crate::cli::{Server, uam};
use crate::helpers::{Backend, TestDatabase};
use crate::kafka::{Broker, consume, consumer};

fn token(dir: &std::path::Path, agency: &str, role: &str) -> String {
    let out = uam(dir)
        .args(["token", "--sub", "t", "--agency", agency, "--role", role])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[derive(QueryableByName)]
struct AlertRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    status: String,
}

#[tokio::test]
async fn sigkill_mid_burst_loses_no_committed_alert_and_leaves_nothing_partial() {
    let broker = Broker::start();
    let db = TestDatabase::create(Backend::Postgres);
    std::fs::create_dir_all(&db.data_dir).unwrap();
    let dir = db.data_dir.clone();
    let command = || {
        let mut cmd = uam(&dir);
        cmd.env("UAM_DATABASE_URL", &db.url)
            .env("UAM_KAFKA_BROKERS", broker.address());
        cmd
    };
    let server = Server::start(command());
    let client = reqwest::Client::new();
    let police = token(&dir, "demo-police", "police_officer");
    let officer = token(&dir, "demo-guardianship", "guardianship_officer");
    let res = client
        .post(server.url("/v1/subscriptions"))
        .bearer_auth(&police)
        .json(&json!({"kind": "kafka"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let mut children = Vec::new();
    for n in 0..16 {
        let res = client
            .post(server.url("/v1/minors"))
            .bearer_auth(&officer)
            .header("x-purpose", "guardianship")
            .json(&json!({"identity": {"given_names": format!("Child {n}")}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        children.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    // The burst: every report at once; the server is killed once a few have been answered.
    let mut tasks = Vec::new();
    for child in &children {
        let (client, url, officer) = (
            client.clone(),
            server.url(&format!("/v1/minors/{child}/disappearances")),
            officer.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(officer)
                .header("x-purpose", "disappearance")
                .json(&json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": "Brussels-North"}))
                .send()
                .await;
            match res {
                Ok(r) if r.status() == 201 => Some(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()),
                _ => None,
            }
        }));
    }
    let mut server = server;
    let mut answered = BTreeSet::new();
    for (i, task) in tasks.into_iter().enumerate() {
        if i == 4 {
            let pid = server.child.id().to_string();
            assert!(
                Command::new("kill")
                    .args(["-KILL", &pid])
                    .status()
                    .unwrap()
                    .success()
            );
            let _ = server.child.wait();
        }
        if let Some(id) = task.await.unwrap() {
            answered.insert(id);
        }
    }
    assert!(
        !answered.is_empty(),
        "some reports were answered before the kill"
    );

    // Restart on the same database; the relay picks up where the outbox stands.
    let restarted = Server::start(command());
    let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
    let alerts: Vec<AlertRow> =
        diesel::sql_query("SELECT a.id, m.status FROM alerts a JOIN minors m ON m.id = a.minor_id")
            .load(&mut conn)
            .unwrap();
    let committed: BTreeSet<String> = alerts.iter().map(|a| a.id.clone()).collect();
    assert!(
        answered.is_subset(&committed),
        "every answered report is stored"
    );
    for a in &alerts {
        assert_eq!(a.status, "missing", "no alert without its status change");
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let events: Vec<Count> =
        diesel::sql_query("SELECT COUNT(*) AS n FROM outbox WHERE type = 'be.uam.alert.raised'")
            .load(&mut conn)
            .unwrap();
    assert_eq!(
        events[0].n as usize,
        committed.len(),
        "one event per stored alert, none without"
    );
    let reports: Vec<Count> = diesel::sql_query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'report_disappearance' AND outcome = 'success'")
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        reports[0].n as usize,
        committed.len(),
        "one audit entry per stored alert"
    );

    let address = broker.address();
    let expected = committed.len();
    let received =
        tokio::task::spawn_blocking(move || consume(&consumer(&address, "demo-police"), expected))
            .await
            .unwrap();
    let delivered: BTreeSet<String> = received
        .iter()
        .map(|(_, e)| e["subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        delivered, committed,
        "every committed alert reached the subscriber"
    );
    drop(restarted);
}
