//! Bulk registration: records registered one by one through `POST /v1/minors` (validation, policy,
//! possible-match search, durable audit entry), by a reception centre, into an empty registry;
//! the reference is a bulk copy of the same rows (id and record JSON) into a plain table of the
//! same database: `COPY` on PostgreSQL, one transaction of INSERTs on SQLite. Where PostgreSQL
//! runs without autovacuum, the bench runs the analyses autovacuum would (see [`Analyzer`]).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Serialize;
use serde_json::json;

use crate::generate::person;
use crate::http::async_client;
use crate::registry::{self, Backend, Env, Raw};
use crate::report::{Report, Row, Target};
use crate::server::{Server, token};
use crate::stats::{Accounting, CoreShare, Latency};

/// Targets of issue 22 (at 100,000 registrations, 16 connections, on each backend).
pub const REGISTRATIONS_PER_SECOND: f64 = 500.0;
pub const REGISTRATION_P99_MS: f64 = 100.0;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct BulkConfig {
    pub records: u64,
    /// Concurrent registrations.
    pub connections: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkResult {
    pub registered: u64,
    pub errors: u64,
    pub first_errors: Vec<String>,
    pub seconds: f64,
    pub records_per_second: f64,
    pub latency: Latency,
    pub cores: CoreShare,
    pub reference_seconds: f64,
    pub reference_records_per_second: f64,
    pub reference: &'static str,
    /// `ANALYZE`s run by the bench in place of PostgreSQL's autovacuum, which was off; `None`
    /// when autovacuum was on (or on SQLite).
    pub emulated_analyzes: Option<u32>,
}

/// PostgreSQL's autovacuum defaults: it looks at each database once a minute
/// (`autovacuum_naptime`) and analyses a table once 50 rows plus 10% of it have changed since the
/// last analysis (`autovacuum_analyze_threshold`, `autovacuum_analyze_scale_factor`).
const NAPTIME: Duration = Duration::from_secs(60);
const ANALYZE_THRESHOLD: f64 = 50.0;
const ANALYZE_SCALE_FACTOR: f64 = 0.1;

/// Does what autovacuum's analyses would do, where the server runs without it (as on the
/// benchmark machines' image): a registry filled from empty is a registry that production's
/// default settings analyse as it grows, and whose statements PostgreSQL then re-plans.
struct Analyzer {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<anyhow::Result<u32>>,
}

impl Analyzer {
    /// Starts when `url` is a PostgreSQL database whose server has autovacuum off.
    fn start(url: &str) -> anyhow::Result<Option<Self>> {
        let db = infra::db::Database::connect(
            &infra::db::DatabaseUrl::parse(url)?,
            infra::db::PoolSettings {
                max_size: 1,
                acquire_timeout: Duration::from_secs(10),
            },
        )?;
        if !db.autovacuum_off()? {
            return Ok(None);
        }
        let mut raw = Raw::open(url)?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || -> anyhow::Result<u32> {
            let (mut analyzes, mut analyzed_rows) = (0, 0.0);
            let mut nap_started = Instant::now();
            while !stopping.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if nap_started.elapsed() < NAPTIME {
                    continue;
                }
                nap_started = Instant::now();
                let rows = raw.scalar("(SELECT count(*) FROM minors)")? as f64;
                if rows - analyzed_rows > ANALYZE_THRESHOLD + ANALYZE_SCALE_FACTOR * analyzed_rows {
                    raw.execute("ANALYZE")?;
                    analyzes += 1;
                    analyzed_rows = rows;
                }
            }
            Ok(analyzes)
        });
        Ok(Some(Self { stop, thread }))
    }

    fn finish(self) -> anyhow::Result<u32> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the analyzer panicked"))?
    }
}

/// The records of the run, as (id, JSON) — the same for the API and the reference. A stream of
/// its own, so that they are not copies of a loaded registry's records.
fn records(env: &Env, n: u64) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let p = person(env.seed ^ 0xB01C, i);
            (p.id, serde_json::to_string(&p.data).unwrap_or_default())
        })
        .collect()
}

fn register_all(
    base: &str,
    bearer: &str,
    rows: &[(String, String)],
    connections: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<String>, f64)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = async_client(connections)?;
    let url = Arc::new(format!("{base}/v1/minors"));
    let bearer = Arc::new(bearer.to_owned());
    let bodies: Arc<Vec<String>> = Arc::new(rows.iter().map(|(_, j)| j.clone()).collect());
    let next = Arc::new(AtomicU64::new(0));
    runtime.block_on(async move {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let (client, url, bearer, bodies, next) = (
                client.clone(),
                url.clone(),
                bearer.clone(),
                bodies.clone(),
                next.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut samples = Vec::new();
                let mut errors = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(body) = bodies.get(i) else { break };
                    let sent = Instant::now();
                    let outcome = client
                        .post(url.as_str())
                        .header("Authorization", bearer.as_str())
                        .header("X-Purpose", "care")
                        .header("Content-Type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    match outcome {
                        Ok(r) if r.status().as_u16() == 201 => {
                            let _ = r.bytes().await;
                            samples.push(sent.elapsed());
                        }
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let text = r.text().await.unwrap_or_default();
                            errors.push(format!("{status}: {text}"));
                        }
                        Err(e) => errors.push(format!("transport: {e}")),
                    }
                }
                (samples, errors)
            }));
        }
        let mut samples = Vec::new();
        let mut errors = Vec::new();
        for t in tasks {
            let (s, e) = t.await?;
            samples.extend(s);
            errors.extend(e);
        }
        Ok((samples, errors, started.elapsed().as_secs_f64()))
    })
}

/// `COPY` of the rows into `bench_copy (id TEXT PRIMARY KEY, data TEXT)` through psql.
fn copy_postgres(env: &Env, url: &str, rows: &[(String, String)]) -> anyhow::Result<f64> {
    let mut raw = Raw::open(url)?;
    raw.execute(
        "DROP TABLE IF EXISTS bench_copy; \
         CREATE TABLE bench_copy (id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    )?;
    let file = env.work_dir.join("bulk.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    for (id, data) in rows {
        writeln!(out, "{id},\"{}\"", data.replace('"', "\"\""))?;
    }
    out.flush()?;
    drop(out);
    let started = Instant::now();
    let status = std::process::Command::new("psql")
        .args([
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            url,
            "-c",
            &format!(
                "\\copy bench_copy (id, data) FROM '{}' WITH (FORMAT csv)",
                file.display()
            ),
        ])
        .status()
        .context("running psql")?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "psql \\copy failed");
    let copied = raw.scalar("(SELECT count(*) FROM bench_copy)")?;
    anyhow::ensure!(copied == rows.len() as i64, "COPY stored {copied} rows");
    Ok(seconds)
}

/// One transaction of prepared INSERTs of the rows into `bench_copy` on SQLite.
fn insert_sqlite(url: &str, rows: &[(String, String)]) -> anyhow::Result<f64> {
    let Raw::Sqlite(mut conn) = Raw::open(url)? else {
        anyhow::bail!("not a SQLite URL");
    };
    conn.batch_execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; DROP TABLE IF EXISTS bench_copy; \
         CREATE TABLE bench_copy (id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    )?;
    let started = Instant::now();
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        for (id, data) in rows {
            diesel::sql_query("INSERT INTO bench_copy (id, data) VALUES (?, ?)")
                .bind::<Text, _>(id)
                .bind::<Text, _>(data)
                .execute(c)?;
        }
        Ok(())
    })?;
    Ok(started.elapsed().as_secs_f64())
}

pub fn run(env: &Env, config: BulkConfig, report: &mut Report) -> anyhow::Result<()> {
    let rows = records(env, config.records);
    let mut details = serde_json::Map::new();
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let registry = registry::empty(env, backend, "uam_bench_bulk")?;
        let label = format!("bulk-{}", crate::search::wire_name(&backend));
        let mut server = Server::start(env, &registry.url, &label, &[])?;
        server.wait_ready(Duration::from_secs(60))?;
        let bearer = format!(
            "Bearer {}",
            token(env, "demo-reception", "reception_staff")?
        );
        eprintln!(
            "bulk {}: {} registrations, {} connections ...",
            backend.label(),
            config.records,
            config.connections
        );
        let analyzer = Analyzer::start(&registry.url)?;
        let accounting = Accounting::start(Some(server.pid()));
        let (samples, errors, seconds) =
            register_all(&server.base, &bearer, &rows, config.connections)?;
        let cores = accounting.finish();
        let emulated_analyzes = analyzer.map(Analyzer::finish).transpose()?;
        server.stop();
        let (reference_seconds, reference) = match backend {
            Backend::Postgres => (
                copy_postgres(env, &registry.url, &rows)?,
                "psql \\copy (id, data) FROM csv into a table with a primary key",
            ),
            Backend::Sqlite => (
                insert_sqlite(&registry.url, &rows)?,
                "one transaction of INSERT (id, data) into a table with a primary key",
            ),
        };
        let result = BulkResult {
            registered: samples.len() as u64,
            errors: errors.len() as u64,
            first_errors: errors.iter().take(5).cloned().collect(),
            seconds,
            records_per_second: samples.len() as f64 / seconds,
            latency: Latency::of(&samples).context("the latency of samples")?,
            cores,
            reference_seconds,
            reference_records_per_second: rows.len() as f64 / reference_seconds,
            reference,
            emulated_analyzes,
        };
        let name = format!(
            "bulk {} / {}, {} conns",
            crate::search::human_count(config.records),
            backend.label(),
            config.connections
        );
        report.rows.push(
            Row::new(&name, "registrations/s", result.records_per_second, "rec/s")
                .reference(
                    result.reference_records_per_second,
                    match backend {
                        Backend::Postgres => "COPY rec/s",
                        Backend::Sqlite => "INSERT rec/s",
                    },
                )
                .target(Target::AtLeast(REGISTRATIONS_PER_SECOND)),
        );
        report.rows.push(Row::new(
            &name,
            "p50 per registration",
            result.latency.p50_ms,
            "ms",
        ));
        report.rows.push(
            Row::new(&name, "p99 per registration", result.latency.p99_ms, "ms")
                .target(Target::AtMost(REGISTRATION_P99_MS)),
        );
        report
            .rows
            .push(Row::new(&name, "errors", result.errors as f64, "").gate(Target::AtMost(0.0)));
        if !errors.is_empty() {
            eprintln!("bulk errors, first: {:?}", result.first_errors);
        }
        details.insert(crate::search::wire_name(&backend), json!(result));
    }
    details.insert("config".to_owned(), json!(config));
    report
        .details
        .insert("bulk".to_owned(), serde_json::Value::Object(details));
    Ok(())
}
