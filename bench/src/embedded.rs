//! The embedded default: the service on its SQLite file with a modest registry. Cold start to
//! ready (process spawned → `GET /health/ready` answers 200), resident memory when idle, and
//! consult throughput.

use anyhow::Context;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use crate::consult::{Ask, consult_load, sqlite_selects};
use crate::registry::{self, Backend, Env};
use crate::report::{Report, Row, Target};
use crate::server::{Server, process_start, token};
use crate::stats::{Latency, rss_bytes};

#[derive(Debug, Clone, Copy, Serialize)]
pub struct EmbeddedConfig {
    pub records: u64,
    /// Cold starts measured (the median is reported).
    pub starts: usize,
    pub connections: usize,
    pub warmup_seconds: f64,
    pub seconds: f64,
}

const MIB: f64 = 1024.0 * 1024.0;

pub fn run(env: &Env, config: EmbeddedConfig, report: &mut Report) -> anyhow::Result<()> {
    let (registry, readiness) = registry::ensure(env, Backend::Sqlite, config.records)?;
    let name = format!(
        "embedded SQLite {}",
        crate::search::human_count(config.records)
    );
    eprintln!("embedded: {} cold starts ...", config.starts);
    // A first start applies any pending migration, so that the measured starts are alike.
    let mut first = Server::start(env, &registry.url, "embedded-first", &[])?;
    first.wait_ready(Duration::from_secs(600))?;
    first.stop();
    let mut starts = Vec::new();
    let mut spawns = Vec::new();
    let mut rss_at_ready = Vec::new();
    for n in 0..config.starts {
        spawns.push(process_start(&env.server_bin)?);
        let mut server = Server::start(env, &registry.url, &format!("embedded-start-{n}"), &[])?;
        starts.push(server.wait_ready(Duration::from_secs(60))?);
        rss_at_ready.push(rss_bytes(server.pid())? as f64 / MIB);
        server.stop();
    }
    let start = Latency::of(&starts).context("the latency of starts")?;
    let spawn = Latency::of(&spawns).context("the latency of spawns")?;

    let mut server = Server::start(env, &registry.url, "embedded-consult", &[])?;
    server.wait_ready(Duration::from_secs(60))?;
    let bearer = format!(
        "Bearer {}",
        token(env, "demo-guardianship", "guardianship_officer")?
    );
    // A few requests so that the pools and caches exist, then idle.
    consult_load(
        Ask::Consult,
        &server.base,
        &bearer,
        registry.seed,
        registry.records,
        2,
        Duration::ZERO,
        Duration::from_millis(300),
        server.pid(),
    )?;
    std::thread::sleep(Duration::from_secs(2));
    let rss_idle = rss_bytes(server.pid())? as f64 / MIB;
    eprintln!(
        "embedded consult: {} connections, {} s ...",
        config.connections, config.seconds
    );
    let load = consult_load(
        Ask::Consult,
        &server.base,
        &bearer,
        registry.seed,
        registry.records,
        config.connections,
        Duration::from_secs_f64(config.warmup_seconds),
        Duration::from_secs_f64(config.seconds),
        server.pid(),
    )?;
    std::thread::sleep(Duration::from_secs(2));
    let rss_after_load = rss_bytes(server.pid())? as f64 / MIB;
    server.stop();
    let selects = sqlite_selects(
        &registry.url,
        registry.records,
        Duration::from_secs_f64(config.seconds),
    )?;

    report.rows.push(
        Row::new(&name, "cold start to ready (median)", start.p50_ms, "ms")
            .reference(spawn.p50_ms, "--version process")
            .target(Target::AtMost(200.0)),
    );
    report.rows.push(Row::new(
        &name,
        "cold start to ready (max)",
        start.max_ms,
        "ms",
    ));
    report.rows.push(
        Row::new(&name, "idle RSS after warm-up", rss_idle, "MiB").target(Target::AtMost(64.0)),
    );
    report.rows.push(
        Row::new(&name, "idle RSS after consult load", rss_after_load, "MiB")
            .target(Target::AtMost(64.0)),
    );
    report.rows.push(
        Row::new(
            &name,
            &format!("consult throughput, {} conns", config.connections),
            load.requests_per_second,
            "req/s",
        )
        .reference(selects, "SQLite SELECT/s, 2 threads")
        .target(Target::AtLeast(5_000.0)),
    );
    report
        .rows
        .push(Row::new(&name, "consult p99", load.latency.p99_ms, "ms"));
    report
        .rows
        .push(Row::new(&name, "consult errors", load.errors as f64, "").gate(Target::AtMost(0.0)));
    report.details.insert(
        "embedded".to_owned(),
        json!({
            "config": config, "readiness": readiness,
            "cold_start": start, "process_spawn": spawn, "rss_at_ready_mib": rss_at_ready,
            "rss_idle_mib": rss_idle, "rss_after_load_mib": rss_after_load,
            "consult": load, "sqlite_selects_per_second": selects,
        }),
    );
    Ok(())
}
