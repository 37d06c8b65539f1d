//! A soak: the real binary on PostgreSQL under a steady mixed load — register a child, read it,
//! search for it, report it missing, the police acknowledge — with a webhook subscriber, for a
//! bounded time. No request may fail, every alert event must reach the webhook, the audit chain
//! must verify, and the process's resident memory must stay within a stated bound.
//!
//! `UAM_SOAK_SECS` sets the length (default [`DEFAULT_SECS`]; e.g. 600 for the full soak, run
//! with `cargo test`, whose runner has no time limit:
//! `UAM_SOAK_SECS=600 cargo test -p tests --test e2e resilience::soak -- --nocapture`), and
//! `UAM_SOAK_RATE` the cycles per second (default [`DEFAULT_RATE`], five requests each).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Call, client, exchange, first_arrivals, ms, name, rss_kib, token, webhook_receiver};
use crate::cli::Server;
use crate::helpers::{Backend, TestDatabase};

const DEFAULT_SECS: u64 = 40;
const DEFAULT_RATE: f64 = 6.0;
const WORKERS: usize = 4;
/// Resident memory must stay under this, whatever the length: twice what the debug build the tests
/// run settled at in a 10-minute soak (70 MiB after 150 s, 76 MiB at the end; 58 MiB settled and
/// 67 MiB peak in the 40-second version).
const RSS_BOUND_MIB: u64 = 144;
/// And must not grow beyond this factor of what it was once warmed up (a leak shows in a long
/// run as growth, long before the absolute bound).
const GROWTH_BOUND: f64 = 2.0;
/// The load must really have run: at least this share of the cycles asked for (a slow machine
/// answers more slowly, and the workers wait for each answer).
const RATE_FLOOR: f64 = 1.0 / 3.0;

fn setting<T: std::str::FromStr>(var: &str, default: T) -> T {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Tokens {
    officer: String,
    police: String,
}

/// One cycle: register, read, search, report, acknowledge. Every step must succeed.
async fn cycle(
    epoch: Instant,
    client: &reqwest::Client,
    base: &str,
    tokens: &Tokens,
    n: usize,
    calls: &Mutex<Vec<Call>>,
) {
    let record = |call: Call| calls.lock().unwrap().push(call);
    let given = name(n);
    let sex = if n.is_multiple_of(2) {
        "female"
    } else {
        "male"
    };
    let (call, body) = exchange(
        epoch,
        "register",
        client
            .post(format!("{base}/v1/minors"))
            .bearer_auth(&tokens.officer)
            .header("x-purpose", "guardianship")
            .json(
                &json!({"identity": {"given_names": given, "family_name": "Soak", "sex": sex,
                "date_of_birth": format!("2011-{:02}-{:02}", n % 12 + 1, n % 28 + 1)}}),
            ),
    )
    .await;
    let ok = call.is(201);
    record(call);
    let Some(id) = body
        .filter(|_| ok)
        .and_then(|b| b["id"].as_str().map(str::to_owned))
    else {
        return;
    };
    let (call, _) = exchange(
        epoch,
        "read",
        client
            .get(format!("{base}/v1/minors/{id}"))
            .bearer_auth(&tokens.officer)
            .header("x-purpose", "guardianship"),
    )
    .await;
    record(call);
    let (call, _) = exchange(
        epoch,
        "search",
        client
            .post(format!("{base}/v1/minors/search"))
            .bearer_auth(&tokens.officer)
            .header("x-purpose", "identification")
            .json(&json!({"names": [format!("{given} Soak")], "sex": sex})),
    )
    .await;
    record(call);
    let (call, body) = exchange(
        epoch,
        "report",
        client
            .post(format!("{base}/v1/minors/{id}/disappearances"))
            .bearer_auth(&tokens.officer)
            .header("x-purpose", "disappearance")
            .json(&json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": "Brussels-North"})),
    )
    .await;
    let ok = call.is(201);
    record(call);
    let Some(alert) = body
        .filter(|_| ok)
        .and_then(|b| b["id"].as_str().map(str::to_owned))
    else {
        return;
    };
    let (call, _) = exchange(
        epoch,
        "acknowledge",
        client
            .post(format!("{base}/v1/alerts/{alert}/acknowledgements"))
            .bearer_auth(&tokens.police)
            .header("x-purpose", "disappearance")
            .json(&json!({})),
    )
    .await;
    record(call);
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_load_runs_without_error_within_a_memory_bound() {
    let secs: u64 = setting("UAM_SOAK_SECS", DEFAULT_SECS);
    let rate: f64 = setting("UAM_SOAK_RATE", DEFAULT_RATE);
    let length = Duration::from_secs(secs);
    let db = TestDatabase::create(Backend::Postgres);
    std::fs::create_dir_all(&db.data_dir).unwrap();
    let dir = db.data_dir.clone();
    let mut cmd = super::under_load(&dir);
    cmd.env("UAM_DATABASE_URL", &db.url);
    let server = Server::start(cmd);
    let pid = server.child.id();
    let base = server.url("");
    let client = client();
    let auditor = token(&dir, "registry", "auditor");
    let tokens = Arc::new(Tokens {
        officer: token(&dir, "demo-guardianship", "guardianship_officer"),
        police: token(&dir, "demo-police", "police_officer"),
    });
    let (hook, deliveries) = webhook_receiver().await;
    let res = client
        .post(format!("{base}/v1/subscriptions"))
        .bearer_auth(&tokens.police)
        .json(&json!({"kind": "webhook", "url": hook}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let started_rss = rss_kib(pid);

    let epoch = Instant::now();
    let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicUsize::new(0));
    let every = Duration::from_secs_f64(WORKERS as f64 / rate);
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let (calls, stop, counter, tokens, base) = (
            calls.clone(),
            stop.clone(),
            counter.clone(),
            tokens.clone(),
            base.clone(),
        );
        workers.push(tokio::spawn(async move {
            let client = super::client();
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let n = counter.fetch_add(1, Ordering::Relaxed);
                cycle(epoch, &client, &base, &tokens, n, &calls).await;
            }
        }));
        // Spread the workers over the period.
        tokio::time::sleep(every / WORKERS as u32).await;
    }
    // Resident memory once a second, while the load runs.
    let mut samples: Vec<(Duration, u64)> = Vec::new();
    while epoch.elapsed() < length {
        tokio::time::sleep(Duration::from_secs(1)).await;
        samples.push((epoch.elapsed(), rss_kib(pid)));
        let failed = calls
            .lock()
            .unwrap()
            .iter()
            .find(|c| c.status.is_none_or(|s| s >= 300))
            .cloned();
        assert!(failed.is_none(), "no error: {failed:?}");
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let ran = epoch.elapsed();
    let calls = calls.lock().unwrap().clone();
    let errors: Vec<&Call> = calls
        .iter()
        .filter(|c| c.status.is_none_or(|s| s >= 300))
        .collect();
    assert!(errors.is_empty(), "no error: {errors:?}");
    let cycles = calls.iter().filter(|c| c.op == "acknowledge").count();

    // Every alert event reaches the webhook.
    let reports = calls.iter().filter(|c| c.op == "report").count();
    let want = reports + cycles;
    let deadline = Instant::now() + Duration::from_secs(30);
    while first_arrivals(&deliveries).len() < want {
        assert!(
            Instant::now() < deadline,
            "every event delivered: {} of {want}",
            first_arrivals(&deliveries).len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained = epoch.elapsed() - ran;
    let res = client
        .get(format!("{base}/v1/audit/verify"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["intact"], true, "{report}");
    let final_rss = rss_kib(pid);

    // Memory: settled = the highest sample of the first quarter (after the first 5 s of warm-up).
    let warm_until = (ran / 4).max(Duration::from_secs(5));
    let settled = samples
        .iter()
        .filter(|(t, _)| *t <= warm_until)
        .map(|(_, kib)| *kib)
        .max()
        .unwrap();
    let peak = samples
        .iter()
        .map(|(_, kib)| *kib)
        .max()
        .unwrap()
        .max(final_rss);
    let mib = |kib: u64| kib as f64 / 1024.0;
    let mut latencies: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    for c in &calls {
        latencies.entry(c.op).or_default().push(c.elapsed);
    }
    println!(
        "soak: {:.0} s, {} requests ({:.1}/s; {cycles} cycles, target {rate}/s = {:.1} requests/s), \
         0 errors; {} events delivered ({} ms to drain after the load); audit chain intact with {} entries",
        ran.as_secs_f64(),
        calls.len(),
        calls.len() as f64 / ran.as_secs_f64(),
        rate * 5.0,
        want,
        ms(drained),
        report["entries"],
    );
    for (op, mut l) in latencies {
        l.sort();
        println!(
            "  {op:<12} n={:<6} p50={} ms p99={} ms max={} ms",
            l.len(),
            ms(percentile(&l, 0.5)),
            ms(percentile(&l, 0.99)),
            ms(*l.last().unwrap())
        );
    }
    println!(
        "  VmRSS: {:.1} MiB before the load, {:.1} MiB settled (first {} s), {:.1} MiB peak, {:.1} MiB \
         at the end; bounds: peak <= {RSS_BOUND_MIB} MiB and <= {GROWTH_BOUND} x settled",
        mib(started_rss),
        mib(settled),
        warm_until.as_secs(),
        mib(peak),
        mib(final_rss),
    );
    assert!(
        cycles as f64 >= RATE_FLOOR * rate * ran.as_secs_f64(),
        "the load ran at {RATE_FLOOR:.2} of its rate at least: {cycles} cycles in {ran:?}"
    );
    assert!(
        peak <= RSS_BOUND_MIB * 1024,
        "peak VmRSS {:.1} MiB within {RSS_BOUND_MIB} MiB",
        mib(peak)
    );
    assert!(
        peak as f64 <= GROWTH_BOUND * settled as f64,
        "peak VmRSS {:.1} MiB within {GROWTH_BOUND} x the settled {:.1} MiB",
        mib(peak),
        mib(settled)
    );
    drop(server);
}
