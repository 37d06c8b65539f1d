//! Consult: `GET /v1/minors/{id}` (token verification, policy projection, a durable audit entry
//! per read) with many concurrent keep-alive connections for a fixed time. References, in the same
//! database, the same run, as many clients and as long: on PostgreSQL, pgbench with the same
//! primary-key SELECT (`pgbench -S`-like), and pgbench with the minimal transaction a consultation
//! must make (the agency's row and the record's row read by key, one audit row appended, one
//! transaction committed synchronously); on SQLite, an in-process SELECT loop.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;
use serde_json::json;

use crate::generate::record_id;
use crate::http::async_client;
use crate::registry::{self, Backend, Env, Raw, Registry};
use crate::report::{Report, Row, Target};
use crate::rng::Rng;
use crate::server::{Server, token};
use crate::stats::{Accounting, CoreShare, Latency};

/// Targets of issue 22 at 64 connections: on PostgreSQL, the service's throughput against the
/// minimal transaction's and pgbench `-S`'s (ratios), and its p99; on SQLite, its throughput.
pub const CONSULT_TO_MINIMAL: f64 = 1.5;
pub const CONSULT_TO_SELECT: f64 = 0.2;
pub const CONSULT_P99_MS: f64 = 20.0;
pub const SQLITE_CONSULT_PER_SECOND: f64 = 10_000.0;

/// The sizes of a consult benchmark.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ConsultConfig {
    pub records: u64,
    pub connections: usize,
    /// Load before measuring (connections opened, caches warm).
    pub warmup_seconds: f64,
    pub seconds: f64,
}

/// What a load of consultations gave.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    pub requests: usize,
    pub errors: usize,
    /// Statuses other than 200 and transport errors, with counts.
    pub error_kinds: Vec<(String, usize)>,
    pub requests_per_second: f64,
    pub latency: Latency,
    pub cores: CoreShare,
}

/// What each request of a load asks: the consultation itself, or a cheaper request that does only
/// part of its work, to see where the time of a consultation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    /// `GET /health/live`: HTTP, routing, logging; no token, no database.
    Live,
    /// `GET /v1/policy`: the above plus token verification and the agency look-up.
    Policy,
    /// `GET /v1/minors/{id}`: the above plus loading the record, projecting it and a durable
    /// audit entry.
    Consult,
}

/// Consults random records among `records` of seed `seed` through `connections` keep-alive
/// connections (or asks what `ask` says): `warmup` unmeasured, then `seconds` measured. Each
/// connection sends its next request as soon as the answer is read (closed loop).
#[allow(clippy::too_many_arguments)]
pub fn consult_load(
    ask: Ask,
    base: &str,
    bearer: &str,
    seed: u64,
    records: u64,
    connections: usize,
    warmup: Duration,
    seconds: Duration,
    server_pid: u32,
) -> anyhow::Result<LoadResult> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = async_client(connections)?;
    let base = Arc::new(base.to_owned());
    let bearer = Arc::new(bearer.to_owned());
    runtime.block_on(async move {
        let started = Instant::now();
        let measure_from = started + warmup;
        let end = measure_from + seconds;
        let mut tasks = Vec::new();
        for c in 0..connections {
            let (client, base, bearer) = (client.clone(), base.clone(), bearer.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = Rng::new(seed ^ 0xC0_5017, c as u64);
                let mut samples = Vec::new();
                let mut errors: Vec<String> = Vec::new();
                loop {
                    let now = Instant::now();
                    if now >= end {
                        break;
                    }
                    let path = match ask {
                        Ask::Live => "/health/live".to_owned(),
                        Ask::Policy => "/v1/policy".to_owned(),
                        Ask::Consult => {
                            format!("/v1/minors/{}", record_id(seed, rng.next_u64() % records))
                        }
                    };
                    let sent = Instant::now();
                    let outcome = client
                        .get(format!("{base}{path}"))
                        .header("Authorization", bearer.as_str())
                        .header("X-Purpose", "identification")
                        .send()
                        .await;
                    let status = match outcome {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            match response.bytes().await {
                                Ok(_) => status.to_string(),
                                Err(e) => format!("body: {e}"),
                            }
                        }
                        Err(e) => format!("transport: {e}"),
                    };
                    if sent >= measure_from {
                        if status == "200" {
                            samples.push(sent.elapsed());
                        } else {
                            errors.push(status);
                        }
                    }
                }
                (samples, errors)
            }));
        }
        tokio::time::sleep_until(measure_from.into()).await;
        let accounting = Accounting::start(Some(server_pid));
        let mut samples = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        for t in tasks {
            let (s, e) = t.await?;
            samples.extend(s);
            errors.extend(e);
        }
        let cores = accounting.finish();
        let wall = Instant::now().duration_since(measure_from).as_secs_f64();
        let mut kinds: Vec<(String, usize)> = Vec::new();
        for e in &errors {
            match kinds.iter_mut().find(|(k, _)| k == e) {
                Some((_, n)) => *n += 1,
                None => kinds.push((e.clone(), 1)),
            }
        }
        Ok(LoadResult {
            requests: samples.len() + errors.len(),
            errors: errors.len(),
            error_kinds: kinds,
            requests_per_second: samples.len() as f64 / wall,
            latency: Latency::of(&samples).context("the latency of samples")?,
            cores,
        })
    })
}

/// A pgbench reference on PostgreSQL: `-M prepared`, the same number of clients and the same
/// duration as the service's measurement, one script.
#[derive(Debug, Clone, Serialize)]
pub struct PgbenchResult {
    pub transactions_per_second: f64,
    pub latency_average_ms: Option<f64>,
    pub command: String,
    /// The script, as pgbench ran it.
    pub script: String,
    pub cores: CoreShare,
}

/// `pgbench -S`-like: one SELECT of a random record by primary key, nothing else.
pub fn select_script(records: u64) -> String {
    format!("\\set n random(1, {records})\nSELECT data FROM minors WHERE seq = :n;\n")
}

/// The table the minimal-transaction reference appends to: the shape of `audit_log` (columns,
/// defaults, primary key), none of its triggers, a sequence for its key. Never the service's
/// hash-chained `audit_log` itself. Made anew before each reference run and dropped after it.
pub const MINIMAL_AUDIT_TABLE: &str = "bench_audit_log";

/// The least a consultation must do, in one transaction committed synchronously: read the
/// agency's row by key, read the record's row by key, append one audit row.
pub fn minimal_transaction_script(records: u64, agency: &str) -> String {
    format!(
        "\\set n random(1, {records})\n\
         BEGIN;\n\
         SELECT id, kind, name, country, created_at FROM agencies WHERE id = '{agency}';\n\
         SELECT id, data FROM minors WHERE seq = :n;\n\
         INSERT INTO {MINIMAL_AUDIT_TABLE} (at, subject, agency, role, purpose, action, minors, \
         categories, outcome, request_id, prev_hash, hash) VALUES (now() AT TIME ZONE 'utc', \
         'bench', '{agency}', 'guardianship_officer', 'identification', 'minor.read', \
         '[\"' || :n || '\"]', '[\"identity\"]', 'permitted', md5(random()::text), \
         repeat('0', 64), md5(:n::text));\n\
         END;\n"
    )
}

/// Creates [`MINIMAL_AUDIT_TABLE`] (dropping a left-over one).
fn create_minimal_audit_table(url: &str) -> anyhow::Result<()> {
    Raw::open(url)?.execute(&format!(
        "DROP TABLE IF EXISTS {t}; DROP SEQUENCE IF EXISTS {t}_seq; \
         CREATE TABLE {t} (LIKE audit_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES); \
         CREATE SEQUENCE {t}_seq OWNED BY {t}.seq; \
         ALTER TABLE {t} ALTER COLUMN seq SET DEFAULT nextval('{t}_seq');",
        t = MINIMAL_AUDIT_TABLE
    ))
}

/// Runs `script` with pgbench for `seconds` on `clients` connections, with synchronous commit
/// (`PGOPTIONS`, whatever the server's default).
pub fn pgbench(
    work_dir: &Path,
    url: &str,
    name: &str,
    script: &str,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<PgbenchResult> {
    let file = work_dir.join(format!("{name}.pgbench"));
    std::fs::write(&file, script)?;
    let args = [
        "-n".to_owned(),
        "-M".to_owned(),
        "prepared".to_owned(),
        "-c".to_owned(),
        clients.to_string(),
        "-j".to_owned(),
        "2".to_owned(),
        "-T".to_owned(),
        seconds.to_string(),
        "-f".to_owned(),
        file.display().to_string(),
        url.to_owned(),
    ];
    let accounting = Accounting::start(None);
    let output = std::process::Command::new("pgbench")
        .args(&args)
        .env("PGOPTIONS", "-c synchronous_commit=on")
        .output()
        .context("running pgbench (apt-get install postgresql-contrib or postgresql-client)")?;
    let cores = accounting.finish();
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {}{}",
        text,
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
    };
    let transactions_per_second = field("tps = ").context("no tps in the pgbench output")?;
    anyhow::ensure!(
        transactions_per_second > 0.0,
        "pgbench ran no transaction: {text}"
    );
    Ok(PgbenchResult {
        transactions_per_second,
        latency_average_ms: field("latency average = "),
        command: format!(
            "PGOPTIONS='-c synchronous_commit=on' pgbench {}",
            args.join(" ")
        ),
        script: script.to_owned(),
        cores,
    })
}

/// The minimal-transaction reference: [`minimal_transaction_script`] through pgbench into a
/// fresh [`MINIMAL_AUDIT_TABLE`], which is checked to hold one row per transaction and dropped.
pub fn minimal_transaction(
    work_dir: &Path,
    url: &str,
    records: u64,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<PgbenchResult> {
    create_minimal_audit_table(url)?;
    let outcome = pgbench(
        work_dir,
        url,
        "consult-minimal",
        &minimal_transaction_script(records, "demo-guardianship"),
        clients,
        seconds,
    );
    let mut raw = Raw::open(url)?;
    let appended = raw.scalar(&format!("(SELECT count(*) FROM {MINIMAL_AUDIT_TABLE})"));
    raw.execute(&format!("DROP TABLE IF EXISTS {MINIMAL_AUDIT_TABLE}"))?;
    let result = outcome?;
    let appended = appended?;
    anyhow::ensure!(
        appended as f64 >= result.transactions_per_second * seconds as f64 * 0.5,
        "the minimal transaction appended {appended} audit rows at {} tps",
        result.transactions_per_second
    );
    Ok(result)
}

#[derive(QueryableByName)]
struct DataRow {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    data: String,
}

/// The reference on SQLite: two threads (one per core), each with its own connection, selecting
/// random records by primary key for `seconds`; rows per second.
pub fn sqlite_selects(url: &str, records: u64, seconds: Duration) -> anyhow::Result<f64> {
    let end = Instant::now() + seconds;
    let counts: Vec<anyhow::Result<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2_u64)
            .map(|t| {
                s.spawn(move || -> anyhow::Result<u64> {
                    let Raw::Sqlite(mut conn) = Raw::open(url)? else {
                        anyhow::bail!("not a SQLite URL");
                    };
                    let mut rng = Rng::new(t, 77);
                    let mut n = 0;
                    while Instant::now() < end {
                        let seq = 1 + (rng.next_u64() % records) as i64;
                        let rows: Vec<DataRow> =
                            diesel::sql_query("SELECT data FROM minors WHERE seq = ?")
                                .bind::<BigInt, _>(seq)
                                .load(&mut conn)?;
                        n += rows.len() as u64;
                    }
                    Ok(n)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("thread panicked")))
            })
            .collect()
    });
    let mut total = 0;
    for c in counts {
        total += c?;
    }
    Ok(total as f64 / seconds.as_secs_f64())
}

/// Consults one registry through the service, after the cheaper requests of [`Ask`] for the
/// same time each (the ladder, returned second); stops the server afterwards.
pub fn consult_registry(
    env: &Env,
    registry: &Registry,
    config: ConsultConfig,
    label: &str,
) -> anyhow::Result<(LoadResult, Vec<(Ask, LoadResult)>)> {
    let mut server = Server::start(env, &registry.url, label, &[])?;
    server.wait_ready(Duration::from_secs(600))?;
    let bearer = format!(
        "Bearer {}",
        token(env, "demo-guardianship", "guardianship_officer")?
    );
    eprintln!(
        "consult {}: {} connections, {} s ...",
        registry.backend.label(),
        config.connections,
        config.seconds
    );
    let load = |ask: Ask, seconds: f64| {
        consult_load(
            ask,
            &server.base,
            &bearer,
            registry.seed,
            registry.records,
            config.connections,
            Duration::from_secs_f64(config.warmup_seconds),
            Duration::from_secs_f64(seconds),
            server.pid(),
        )
    };
    let result = load(Ask::Consult, config.seconds)?;
    let mut ladder = Vec::new();
    for ask in [Ask::Live, Ask::Policy] {
        ladder.push((ask, load(ask, (config.seconds / 3.0).max(1.0))?));
    }
    server.stop();
    Ok((result, ladder))
}

/// Runs the consult benchmark on both backends; adds rows to `report`.
pub fn run(env: &Env, config: ConsultConfig, report: &mut Report) -> anyhow::Result<()> {
    let mut details = serde_json::Map::new();
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let (registry, readiness) = registry::ensure(env, backend, config.records)?;
        let label = format!(
            "consult-{}-{}",
            registry.records,
            crate::search::wire_name(&backend)
        );
        let (api, ladder) = consult_registry(env, &registry, config, &label)?;
        let name = format!(
            "consult {} / {}, {} conns",
            crate::search::human_count(config.records),
            backend.label(),
            config.connections
        );
        let p50 = Row::new(&name, "p50", api.latency.p50_ms, "ms");
        let p99 = Row::new(&name, "p99", api.latency.p99_ms, "ms");
        let extra = match backend {
            Backend::Postgres => {
                let seconds = config.seconds.ceil() as u64;
                eprintln!(
                    "pgbench -S-like and minimal transaction: {} clients, {seconds} s each ...",
                    config.connections
                );
                let select = pgbench(
                    &env.work_dir,
                    &registry.url,
                    "consult-select",
                    &select_script(config.records),
                    config.connections,
                    seconds,
                )?;
                let minimal = minimal_transaction(
                    &env.work_dir,
                    &registry.url,
                    config.records,
                    config.connections,
                    seconds,
                )?;
                report.rows.push(
                    Row::new(&name, "throughput", api.requests_per_second, "req/s")
                        .reference(select.transactions_per_second, "pgbench -S tps")
                        .target(Target::RatioAtLeast(CONSULT_TO_SELECT)),
                );
                report.rows.push(
                    Row::new(
                        &name,
                        "throughput to the minimal transaction",
                        api.requests_per_second,
                        "req/s",
                    )
                    .reference(minimal.transactions_per_second, "minimal transaction tps")
                    .target(Target::RatioAtLeast(CONSULT_TO_MINIMAL)),
                );
                report.rows.push(p50);
                report.rows.push(p99.target(Target::AtMost(CONSULT_P99_MS)));
                json!({ "pgbench_select": select, "minimal_transaction": minimal })
            }
            Backend::Sqlite => {
                let rate = sqlite_selects(
                    &registry.url,
                    config.records,
                    Duration::from_secs_f64(config.seconds),
                )?;
                report.rows.push(
                    Row::new(&name, "throughput", api.requests_per_second, "req/s")
                        .reference(rate, "SQLite SELECT/s, 2 threads")
                        .target(Target::AtLeast(SQLITE_CONSULT_PER_SECOND)),
                );
                report.rows.push(p50);
                report.rows.push(p99);
                json!({ "selects_per_second": rate })
            }
        };
        report
            .rows
            .push(Row::new(&name, "errors", api.errors as f64, "").gate(Target::AtMost(0.0)));
        for (ask, result) in &ladder {
            let what = match ask {
                Ask::Live => "GET /health/live (no token, no db)",
                Ask::Policy => "GET /v1/policy (token + agency)",
                Ask::Consult => "consult",
            };
            report.rows.push(Row::new(
                &name,
                &format!("ladder: {what}"),
                result.requests_per_second,
                "req/s",
            ));
        }
        details.insert(
            crate::search::wire_name(&backend),
            json!({ "readiness": readiness, "api": api, "reference": extra, "ladder": ladder }),
        );
    }
    details.insert("config".to_owned(), json!(config));
    report
        .details
        .insert("consult".to_owned(), serde_json::Value::Object(details));
    Ok(())
}
