//! PostgreSQL stopped (`fast`, then `immediate`) and started again under a steady load of
//! registrations, reads, searches and audit-chain checks, on a private server (the shared one must
//! not be stopped): while it is down every request fails fast with 503 problem+json — never 500,
//! never a hang — and the readiness probe says not ready; once it is back, requests succeed again
//! without restarting the service; every registration answered 201 is readable, no record is half
//! stored, and the audit chain verifies.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel::{Connection, QueryableByName, RunQueryDsl};
use serde_json::{Value, json};

use super::{Call, PrivatePostgres, client, exchange, ms, name, token};
use crate::cli::{Server, uam};

/// `database_timeout_seconds` of the service: how long a request waits for a connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);
/// Longest a request may take while the database is down: a wait for a connection to
/// authenticate or to read or write, then the audit writer's own wait (twice the timeout) to record
/// the failure — then 503; and 2 s for a loaded machine.
const LONGEST_ANSWER: Duration = Duration::from_secs(4 * ACQUIRE_TIMEOUT.as_secs() + 2);
/// How long the database stays down.
const OUTAGE: Duration = Duration::from_secs(5);
/// Longest accepted time from the database accepting connections again to the service answering.
const RECOVERY: Duration = Duration::from_secs(10);
const WORKERS: usize = 3;

type Calls = Arc<Mutex<Vec<Call>>>;
/// Registrations answered 201: (id, given name).
type Registered = Arc<Mutex<Vec<(String, String)>>>;

/// Registers, reads the child just registered (or the last one), searches its name; repeats.
async fn worker(
    w: usize,
    epoch: Instant,
    base: String,
    officer: String,
    calls: Calls,
    registered: Registered,
    stop: Arc<AtomicBool>,
) {
    let client = client();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let given = name(w * 1_000_000 + n);
        let (call, body) = exchange(
            epoch,
            "register",
            client
                .post(format!("{base}/v1/minors"))
                .bearer_auth(&officer)
                .header("x-purpose", "guardianship")
                .json(&json!({"identity": {"given_names": given, "family_name": "Restart"}})),
        )
        .await;
        calls.lock().unwrap().push(call);
        if let Some(body) = body {
            let id = body["id"].as_str().unwrap().to_owned();
            registered.lock().unwrap().push((id, given.clone()));
        }
        let last = registered.lock().unwrap().last().cloned();
        if let Some((id, _)) = last {
            let (call, _) = exchange(
                epoch,
                "read",
                client
                    .get(format!("{base}/v1/minors/{id}"))
                    .bearer_auth(&officer)
                    .header("x-purpose", "guardianship"),
            )
            .await;
            calls.lock().unwrap().push(call);
        }
        let (call, _) = exchange(
            epoch,
            "search",
            client
                .post(format!("{base}/v1/minors/search"))
                .bearer_auth(&officer)
                .header("x-purpose", "identification")
                .json(&json!({"names": [format!("{given} Restart")]})),
        )
        .await;
        calls.lock().unwrap().push(call);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// Asks `path` every `every` (the readiness probe; the auditor checking the chain, a long read
/// likely to be under way when the database goes).
async fn poller(
    epoch: Instant,
    op: &'static str,
    url: String,
    token: Option<String>,
    every: Duration,
    calls: Calls,
    stop: Arc<AtomicBool>,
) {
    let client = client();
    while !stop.load(Ordering::Relaxed) {
        let mut req = client.get(&url);
        if let Some(token) = &token {
            req = req.bearer_auth(token);
        }
        let (call, _) = exchange(epoch, op, req).await;
        calls.lock().unwrap().push(call);
        tokio::time::sleep(every).await;
    }
}

/// One stop and start of the database, as the test timed it (from its start).
#[derive(Debug)]
struct Outage {
    mode: &'static str,
    /// `pg_ctl stop` was called.
    stopping: Duration,
    /// `pg_ctl stop` returned: the database is down.
    down: Duration,
    /// `pg_ctl start` was called, and returned (accepting connections).
    starting: Duration,
    up: Duration,
    /// The first ready probe, and the first registration, answered after `up`.
    ready_again: Duration,
    serving_again: Duration,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut diesel::PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).load::<Count>(conn).unwrap()[0].n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_fail_with_503_while_postgresql_is_down_and_succeed_again_without_a_restart() {
    let pg = Arc::new(PrivatePostgres::start());
    {
        let mut admin = diesel::PgConnection::establish(&pg.url("postgres")).unwrap();
        diesel::sql_query("CREATE DATABASE uam")
            .execute(&mut admin)
            .unwrap();
    }
    let url = pg.url("uam");
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let mut cmd = super::under_load(&dir);
    cmd.env("UAM_DATABASE_URL", &url)
        .env(
            "UAM_DATABASE_TIMEOUT_SECONDS",
            ACQUIRE_TIMEOUT.as_secs().to_string(),
        )
        .env("UAM_WORKERS", "2");
    let mut server = Server::start(cmd);
    let pid = server.child.id();
    let base = server.url("");
    let officer = token(&dir, "demo-guardianship", "guardianship_officer");
    let auditor = token(&dir, "registry", "auditor");

    let epoch = Instant::now();
    let calls: Calls = Arc::default();
    let registered: Registered = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        tasks.push(tokio::spawn(worker(
            w,
            epoch,
            base.clone(),
            officer.clone(),
            calls.clone(),
            registered.clone(),
            stop.clone(),
        )));
    }
    tasks.push(tokio::spawn(poller(
        epoch,
        "ready",
        format!("{base}/health/ready"),
        None,
        Duration::from_millis(200),
        calls.clone(),
        stop.clone(),
    )));
    tasks.push(tokio::spawn(poller(
        epoch,
        "verify",
        format!("{base}/v1/audit/verify"),
        Some(auditor.clone()),
        Duration::from_millis(10),
        calls.clone(),
        stop.clone(),
    )));

    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut outages = Vec::new();
    for mode in ["fast", "immediate"] {
        let stopping = epoch.elapsed();
        let db = pg.clone();
        tokio::task::spawn_blocking(move || db.stop_server(mode))
            .await
            .unwrap();
        let down = epoch.elapsed();
        tokio::time::sleep(OUTAGE).await;
        let starting = epoch.elapsed();
        let db = pg.clone();
        tokio::task::spawn_blocking(move || db.start_server())
            .await
            .unwrap();
        let up = epoch.elapsed();
        let first_after = |op: &str| {
            calls
                .lock()
                .unwrap()
                .iter()
                .filter(|c| c.op == op && c.at >= up && c.status.is_some_and(|s| s < 300))
                .map(|c| c.at + c.elapsed)
                .min()
        };
        let deadline = Instant::now() + RECOVERY;
        let (ready_again, serving_again) = loop {
            if let (Some(r), Some(s)) = (first_after("ready"), first_after("register")) {
                break (r, s);
            }
            assert!(
                Instant::now() < deadline,
                "no success within {RECOVERY:?} of PostgreSQL's return ({mode})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        outages.push(Outage {
            mode,
            stopping,
            down,
            starting,
            up,
            ready_again,
            serving_again,
        });
        // Steady again for a while before the next outage (or the end).
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the service ran throughout, never restarted"
    );
    assert_eq!(server.child.id(), pid);

    let calls = calls.lock().unwrap().clone();
    let registered = registered.lock().unwrap().clone();

    // Every answer is a success or a 503 problem; nothing else, and no request without an answer.
    for c in &calls {
        match c.status {
            Some(200 | 201) => {}
            Some(503) => assert!(c.problem, "503 as problem+json: {c:?}"),
            _ => panic!(
                "only 2xx or 503 problem+json; {} at {} ms got {:?}: {}",
                c.op,
                ms(c.at),
                c.status,
                c.detail
            ),
        }
        assert!(
            c.elapsed <= LONGEST_ANSWER,
            "answered within {LONGEST_ANSWER:?}: {c:?}"
        );
    }
    let first = outages[0].stopping;
    for c in calls.iter().filter(|c| c.at + c.elapsed < first) {
        assert!(
            c.status.is_some_and(|s| s < 300),
            "before the outage: {c:?}"
        );
    }
    for o in &outages {
        // Requests sent and answered while the database was down all failed with 503.
        let during: Vec<&Call> = calls
            .iter()
            .filter(|c| c.at >= o.down && c.at + c.elapsed < o.starting)
            .collect();
        assert!(!during.is_empty(), "requests during the {} outage", o.mode);
        for c in &during {
            assert!(c.is(503), "down ({}): {c:?}", o.mode);
        }
        // Once the service has answered again, every later request succeeds: no connection
        // broken by the restart is handed out again.
        let settled = o.ready_again.max(o.serving_again) + Duration::from_millis(500);
        let next = outages
            .iter()
            .map(|n| n.stopping)
            .find(|d| *d > o.down)
            .unwrap_or(Duration::MAX);
        for c in calls
            .iter()
            .filter(|c| c.at >= settled && c.at + c.elapsed < next)
        {
            assert!(c.status.is_some_and(|s| s < 300), "after recovery: {c:?}");
        }
    }

    // Every kind of request met the outages, and answered 503.
    for op in ["register", "read", "search", "verify", "ready"] {
        assert!(
            calls.iter().any(|c| c.op == op
                && c.is(503)
                && outages
                    .iter()
                    .any(|o| c.at >= o.stopping && c.at < o.starting)),
            "{op} answered 503 while the database was down"
        );
    }

    // Nothing answered 201 is lost, and nothing is half stored.
    let client = client();
    for (id, given) in &registered {
        let res = client
            .get(format!("{base}/v1/minors/{id}"))
            .bearer_auth(&officer)
            .header("x-purpose", "guardianship")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "registered {id} is readable");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["identity"]["given_names"], given.as_str(), "{body}");
    }
    let mut conn = diesel::PgConnection::establish(&url).unwrap();
    let stored = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM minors WHERE data LIKE '%Restart%'",
    );
    let orphans = [
        (
            "records without their first revision",
            "SELECT COUNT(*) AS n FROM minors m WHERE NOT EXISTS \
             (SELECT 1 FROM minor_revisions r WHERE r.minor_seq = m.seq AND r.version = 1)",
        ),
        (
            "records without a successful registration in the audit trail",
            "SELECT COUNT(*) AS n FROM minors m WHERE m.data LIKE '%Restart%' AND NOT EXISTS \
             (SELECT 1 FROM audit_minors am JOIN audit_log a ON a.seq = am.audit_seq \
              WHERE am.minor_id = m.id AND a.action = 'register' AND a.outcome = 'success')",
        ),
        (
            "successful registrations in the audit trail without their record",
            "SELECT COUNT(*) AS n FROM audit_log a JOIN audit_minors am ON am.audit_seq = a.seq \
             WHERE a.action = 'register' AND a.outcome = 'success' \
             AND NOT EXISTS (SELECT 1 FROM minors m WHERE m.id = am.minor_id)",
        ),
        (
            "records missing from the name index",
            "SELECT COUNT(*) AS n FROM minors m WHERE NOT EXISTS \
             (SELECT 1 FROM minor_name_keys k WHERE k.minor_seq = m.seq)",
        ),
    ];
    for (what, sql) in orphans {
        assert_eq!(count(&mut conn, sql), 0, "{what}");
    }
    assert!(stored as usize >= registered.len());

    // The audit chain is whole, through the API and through the command line.
    let res = client
        .get(format!("{base}/v1/audit/verify"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["intact"], true, "{report}");
    let out = uam(&dir)
        .env("UAM_DATABASE_URL", &url)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "audit verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Figures.
    let ok = calls.iter().filter(|c| c.status.is_some_and(|s| s < 300));
    let unavailable: Vec<&Call> = calls.iter().filter(|c| c.is(503)).collect();
    let slowest = unavailable
        .iter()
        .map(|c| c.elapsed)
        .max()
        .unwrap_or_default();
    println!(
        "postgres restart: {} requests in {:.1} s ({:.0}/s), {} succeeded, {} answered 503 \
         (slowest 503 {} ms), {} registrations answered 201, {} records stored \
         ({} committed but not acknowledged)",
        calls.len(),
        epoch.elapsed().as_secs_f64(),
        calls.len() as f64 / epoch.elapsed().as_secs_f64(),
        ok.count(),
        unavailable.len(),
        ms(slowest),
        registered.len(),
        stored,
        stored as usize - registered.len(),
    );
    for o in &outages {
        println!(
            "  {}: stop->503 ready probe {} ms; database up again -> ready {} ms, -> first 201 {} ms \
             (down for {} ms)",
            o.mode,
            calls
                .iter()
                .filter(|c| c.op == "ready" && c.is(503) && c.at >= o.down)
                .map(|c| ms((c.at + c.elapsed).saturating_sub(o.down)))
                .min()
                .unwrap_or_default(),
            ms(o.ready_again.saturating_sub(o.up)),
            ms(o.serving_again.saturating_sub(o.up)),
            ms(o.up - o.down),
        );
    }
    server.child.kill().unwrap();
    let _ = server.child.wait();
}
