//! Search at scale: `POST /v1/minors/search` through real HTTP against `uam-registry serve` over
//! a synthetic registry, on PostgreSQL and SQLite; latency with one client (and with four),
//! recall of the record sought in the top 10; the reference is a pg_trgm nearest-neighbour query
//! over the same names in the same PostgreSQL database.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::Text;
use domain::matching::{MatchingConfig, Probe, probe_of, query_keys, score};
use domain::ports::MinorReader;
use domain::usecase::search::CANDIDATE_POOL;
use infra::db::DieselMinorRepository;
use serde::Serialize;
use serde_json::json;

use crate::generate::{DateVariant, NameVariant, Query, query};
use crate::http::{blocking_client, send};
use crate::registry::{self, Backend, Env, Raw, Registry};
use crate::report::{Report, Row, Target};
use crate::server::{Perf, Server, token};
use crate::stats::{Accounting, CoreShare, Latency};

/// The sizes of one search benchmark.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SearchConfig {
    pub records: u64,
    /// Queries measured with one client (and sent to pg_trgm).
    pub queries: usize,
    /// Queries sent first and not measured (other targets than the measured ones).
    pub warmup: usize,
    /// Queries measured with four concurrent clients; 0 to skip.
    pub parallel_queries: usize,
    /// Queries replayed in-process to split the time between index look-up and scoring.
    pub breakdown: usize,
    /// Record a `perf` profile of the server during the one-client run.
    pub perf: bool,
}

/// p99 target of issue 6 and 8.
const P99_TARGET_MS: f64 = 50.0;

/// The least recall@10 each kind of query must reach, whatever the registry's size (issue 17): an
/// agency searching for a child describes it the way it does, and finds it in the first page in
/// the ordinary case. The age of most of these children is an estimate, so a date a year off is
/// ordinary, not an edge case; a search without a date is rarer and less selective. A missed floor
/// is a MISS row (speed and recall are measured, not asserted).
pub const RECALL_FLOORS: [(&str, &str, f64); 8] = [
    ("date", "exact", 0.95),
    ("date", "year_off", 0.90),
    ("date", "missing", 0.80),
    ("names", "spelling", 0.90),
    ("names", "script", 0.85),
    ("names", "alias", 0.85),
    ("names", "typo", 0.80),
    ("names", "family_first", 0.90),
];

/// Where the record sought came in the answer (1-based), if it came at all.
type Rank = Option<usize>;

/// Recall@10 and @1, overall and per kind of query.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recall {
    pub at_10: f64,
    pub at_1: f64,
    /// Found at any rank.
    pub at_any: f64,
    pub by_date_variant_any: BTreeMap<String, (f64, usize)>,
    pub by_name_variant: BTreeMap<String, (f64, usize)>,
    pub by_date_variant: BTreeMap<String, (f64, usize)>,
}

impl Recall {
    fn of(queries: &[Query], ranks: &[Rank]) -> Self {
        let share = |pred: &dyn Fn(&Query) -> bool, k: usize| {
            let sel: Vec<&Rank> = queries
                .iter()
                .zip(ranks)
                .filter(|(q, _)| pred(q))
                .map(|(_, r)| r)
                .collect();
            let hits = sel.iter().filter(|r| r.is_some_and(|r| r <= k)).count();
            (hits as f64 / sel.len().max(1) as f64, sel.len())
        };
        let variants = [
            NameVariant::Spelling,
            NameVariant::Script,
            NameVariant::Alias,
            NameVariant::Typo,
            NameVariant::FamilyFirst,
        ];
        let dates = [
            DateVariant::Exact,
            DateVariant::YearOff,
            DateVariant::Missing,
        ];
        Self {
            at_10: share(&|_| true, 10).0,
            at_1: share(&|_| true, 1).0,
            at_any: share(&|_| true, usize::MAX).0,
            by_date_variant_any: dates
                .iter()
                .map(|v| {
                    (
                        wire_name(v),
                        share(&|q: &Query| q.date_variant == *v, usize::MAX),
                    )
                })
                .collect(),
            by_name_variant: variants
                .iter()
                .map(|v| (wire_name(v), share(&|q: &Query| q.variant == *v, 10)))
                .collect(),
            by_date_variant: dates
                .iter()
                .map(|v| (wire_name(v), share(&|q: &Query| q.date_variant == *v, 10)))
                .collect(),
        }
    }
}

/// The wire name of a serialisable unit variant (`year_off`).
pub fn wire_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One backend's figures.
#[derive(Debug, Clone, Serialize)]
pub struct BackendResult {
    pub backend: Backend,
    pub readiness: registry::Readiness,
    pub latency_1_client: Latency,
    pub cores_1_client: CoreShare,
    pub recall: Recall,
    pub latency_4_clients: Option<Latency>,
    pub throughput_4_clients: Option<f64>,
    pub cores_4_clients: Option<CoreShare>,
    pub errors: usize,
    pub breakdown: Breakdown,
    /// The `perf` data file of the one-client run, when recorded.
    pub profile: Option<std::path::PathBuf>,
    /// The slowest searches of the one-client run.
    pub slowest: Vec<serde_json::Value>,
}

/// Where the time of a search goes, replayed in-process (no HTTP, token, audit or projection).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Breakdown {
    pub queries: usize,
    /// `MinorReader::candidates`: name-index look-ups and loading the candidate rows.
    pub candidates: Latency,
    /// Scoring every candidate.
    pub scoring: Latency,
    pub mean_candidates: f64,
    /// Share of queries whose record was among the candidates scored.
    pub target_in_pool: f64,
    pub target_in_pool_by_date_variant: BTreeMap<String, (f64, usize)>,
    /// The slowest candidate look-ups, with the number of records under each key.
    pub slowest_lookups: Vec<serde_json::Value>,
    /// The same queries under each bound of [`POSTINGS_BOUNDS`].
    pub postings_bounds: Vec<BoundResult>,
}

/// Bounds on the postings read per key before the key counts as common (and only the records
/// born nearest the date sought are read), replayed for what each costs in recall and saves in
/// look-up time. The service's bound is `infra::db::COMMON_KEY_POSTINGS`.
const POSTINGS_BOUNDS: [usize; 4] = [2_000, 1_000, 500, 250];

/// One bound of [`POSTINGS_BOUNDS`], replayed in-process: the look-up's latency and the recall
/// of the ranking the service would answer (every candidate scored, those under the candidate
/// threshold dropped, the best first).
#[derive(Debug, Clone, Serialize)]
pub struct BoundResult {
    pub postings: usize,
    pub candidates: Latency,
    pub recall: Recall,
}

/// The pg_trgm reference.
#[derive(Debug, Clone, Serialize)]
pub struct TrgmResult {
    pub latency: Latency,
    pub recall: Recall,
    pub names_indexed: i64,
    pub build_seconds: Option<f64>,
    pub query: &'static str,
}

const TRGM_QUERY: &str = "SELECT minor_id FROM bench_trgm_names ORDER BY name <-> $1 LIMIT 30";

#[derive(QueryableByName)]
struct TrgmHit {
    #[diesel(sql_type = Text)]
    minor_id: String,
}

/// Runs the search benchmark on both backends and the pg_trgm reference; adds rows to `report`.
pub fn run(env: &Env, config: SearchConfig, report: &mut Report) -> anyhow::Result<()> {
    let queries: Vec<Query> = (0..config.queries as u64)
        .map(|n| query(env.seed, config.records, 0, n))
        .collect();
    let warmup: Vec<Query> = (0..config.warmup as u64)
        .map(|n| query(env.seed, config.records, 1, n))
        .collect();
    let parallel: Vec<Query> = (0..config.parallel_queries as u64)
        .map(|n| query(env.seed, config.records, 2, n))
        .collect();

    let mut results = Vec::new();
    let mut trgm = None;
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let (registry, readiness) = registry::ensure(env, backend, config.records)?;
        if backend == Backend::Postgres {
            trgm = Some(pg_trgm(&registry, &warmup, &queries)?);
        }
        results.push(run_backend(
            env, &registry, readiness, config, &warmup, &queries, &parallel,
        )?);
    }
    let Some(trgm) = trgm else {
        anyhow::bail!("no pg_trgm reference");
    };
    let size = human_count(config.records);
    for r in &results {
        let name = format!("search {size} / {}", r.backend.label());
        let reference = "pg_trgm";
        report.rows.push(
            Row::new(&name, "p50, 1 client", r.latency_1_client.p50_ms, "ms")
                .reference(trgm.latency.p50_ms, reference),
        );
        report.rows.push(
            Row::new(&name, "p99, 1 client", r.latency_1_client.p99_ms, "ms")
                .reference(trgm.latency.p99_ms, reference)
                .target(Target::AtMost(P99_TARGET_MS)),
        );
        report.rows.push(
            Row::new(&name, "recall@10", r.recall.at_10, "")
                .reference(trgm.recall.at_10, reference)
                .target(Target::AboveReference),
        );
        for (kind, variant, floor) in RECALL_FLOORS {
            let by = match kind {
                "date" => &r.recall.by_date_variant,
                _ => &r.recall.by_name_variant,
            };
            // A kind the sample holds no query of is not judged.
            // pg_trgm's recall for the same kind of query, beside it (the same queries).
            let reference_by = match kind {
                "date" => &trgm.recall.by_date_variant,
                _ => &trgm.recall.by_name_variant,
            };
            if let Some((recall, n)) = by.get(variant).filter(|(_, n)| *n > 0) {
                let mut row = Row::new(
                    &name,
                    &format!("recall@10, {kind} {variant} ({n} queries)"),
                    *recall,
                    "",
                );
                if let Some((trgm_recall, _)) = reference_by.get(variant) {
                    row = row.reference(*trgm_recall, reference);
                }
                report.rows.push(row.target(Target::AtLeast(floor)));
            }
        }
        if let (Some(l), Some(t)) = (r.latency_4_clients, r.throughput_4_clients) {
            report.rows.push(
                Row::new(&name, "p99, 4 clients", l.p99_ms, "ms")
                    .target(Target::AtMost(P99_TARGET_MS)),
            );
            report
                .rows
                .push(Row::new(&name, "throughput, 4 clients", t, "req/s"));
        }
        report
            .rows
            .push(Row::new(&name, "errors", r.errors as f64, "").gate(Target::AtMost(0.0)));
        for b in &r.breakdown.postings_bounds {
            let bound = format!("postings bound {}", b.postings);
            report.rows.push(Row::new(
                &name,
                &format!("in-process recall@10, {bound}"),
                b.recall.at_10,
                "",
            ));
            for (variant, (recall, n)) in &b.recall.by_date_variant {
                report.rows.push(Row::new(
                    &name,
                    &format!("in-process recall@10, date {variant} ({n}), {bound}"),
                    *recall,
                    "",
                ));
            }
            report.rows.push(Row::new(
                &name,
                &format!("in-process look-up p99, {bound}"),
                b.candidates.p99_ms,
                "ms",
            ));
        }
    }
    report.details.insert(
        "search".to_owned(),
        json!({ "config": config, "backends": results, "pg_trgm": trgm,
                "query_mix": query_mix(&queries) }),
    );
    Ok(())
}

pub fn human_count(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

fn query_mix(queries: &[Query]) -> serde_json::Value {
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut dates: BTreeMap<String, usize> = BTreeMap::new();
    for q in queries {
        *names.entry(wire_name(&q.variant)).or_default() += 1;
        *dates.entry(wire_name(&q.date_variant)).or_default() += 1;
    }
    json!({ "name_variants": names, "date_variants": dates,
            "examples": queries.iter().take(12).map(|q| json!({
                "name": q.name, "date_of_birth": q.date_of_birth, "sex": q.sex,
                "variant": q.variant, "date_variant": q.date_variant})).collect::<Vec<_>>() })
}

/// The rank of the record sought in an answer of `POST /v1/minors/search`.
fn rank_in(body: &[u8], target: &str) -> anyhow::Result<Rank> {
    let answer: serde_json::Value = serde_json::from_slice(body).context("search answer")?;
    let items = answer["items"]
        .as_array()
        .context("search answer without items")?;
    Ok(items
        .iter()
        .position(|i| i["record"]["id"].as_str() == Some(target))
        .map(|p| p + 1))
}

#[allow(clippy::too_many_arguments)]
fn run_backend(
    env: &Env,
    registry: &Registry,
    readiness: registry::Readiness,
    config: SearchConfig,
    warmup: &[Query],
    queries: &[Query],
    parallel: &[Query],
) -> anyhow::Result<BackendResult> {
    let label = format!(
        "search-{}-{}",
        registry.records,
        wire_name(&registry.backend)
    );
    let mut server = Server::start(env, &registry.url, &label, &[])?;
    server.wait_ready(Duration::from_secs(600))?;
    let bearer = format!(
        "Bearer {}",
        token(env, "demo-guardianship", "guardianship_officer")?
    );
    let url = format!("{}/v1/minors/search", server.base);
    let client = blocking_client()?;
    let post = |q: &Query| {
        client
            .post(&url)
            .header("Authorization", &bearer)
            .header("X-Purpose", "identification")
            .json(&q.body())
    };
    let mut errors = 0;
    for q in warmup {
        if send(post(q))?.status != 200 {
            errors += 1;
        }
    }
    eprintln!(
        "search {}: {} queries, 1 client ...",
        registry.backend.label(),
        queries.len()
    );
    let perf = if config.perf {
        Some(Perf::record(
            server.pid(),
            &env.work_dir.join(format!("perf-{label}.data")),
        )?)
    } else {
        None
    };
    let accounting = Accounting::start(Some(server.pid()));
    let mut samples = Vec::with_capacity(queries.len());
    let mut ranks = Vec::with_capacity(queries.len());
    let mut per_query: Vec<(Duration, &Query)> = Vec::new();
    for q in queries {
        let answer = send(post(q))?;
        if answer.status == 200 {
            samples.push(answer.elapsed);
            per_query.push((answer.elapsed, q));
            ranks.push(rank_in(&answer.body, &q.target_id)?);
        } else {
            errors += 1;
            ranks.push(None);
            if errors <= 3 {
                eprintln!(
                    "search answered {}: {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
            }
        }
    }
    let cores_1_client = accounting.finish();
    let profile = match perf {
        Some(p) => Some(p.finish()?),
        None => None,
    };
    let latency_1_client = Latency::of(&samples).context("the latency of samples")?;
    let recall = Recall::of(queries, &ranks);
    per_query.sort_by_key(|q| std::cmp::Reverse(q.0));
    let slowest = per_query
        .iter()
        .take(10)
        .map(|(d, q)| {
            json!({"ms": d.as_secs_f64() * 1e3, "name": q.name,
                   "date_of_birth": q.date_of_birth, "variant": q.variant})
        })
        .collect();

    let (mut latency_4, mut throughput_4, mut cores_4) = (None, None, None);
    if !parallel.is_empty() {
        let next = AtomicUsize::new(0);
        let accounting = Accounting::start(Some(server.pid()));
        let started = Instant::now();
        let per_thread: Vec<anyhow::Result<(Vec<Duration>, usize)>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| -> anyhow::Result<(Vec<Duration>, usize)> {
                        let client = blocking_client()?;
                        let mut samples = Vec::new();
                        let mut errors = 0;
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(q) = parallel.get(i) else { break };
                            let answer = send(
                                client
                                    .post(&url)
                                    .header("Authorization", &bearer)
                                    .header("X-Purpose", "identification")
                                    .json(&q.body()),
                            )?;
                            if answer.status == 200 {
                                samples.push(answer.elapsed);
                            } else {
                                errors += 1;
                            }
                        }
                        Ok((samples, errors))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("client thread panicked")))
                })
                .collect()
        });
        let wall = started.elapsed().as_secs_f64();
        cores_4 = Some(accounting.finish());
        let mut all = Vec::new();
        for r in per_thread {
            let (s, e) = r?;
            all.extend(s);
            errors += e;
        }
        throughput_4 = Some(all.len() as f64 / wall);
        latency_4 = Some(Latency::of(&all).context("the latency of all")?);
    }
    server.stop();
    let breakdown = breakdown(registry, &queries[..config.breakdown.min(queries.len())])?;
    Ok(BackendResult {
        backend: registry.backend,
        readiness,
        latency_1_client,
        cores_1_client,
        recall,
        latency_4_clients: latency_4,
        throughput_4_clients: throughput_4,
        cores_4_clients: cores_4,
        errors,
        breakdown,
        profile,
        slowest,
    })
}

/// Replays `queries` in-process as the search use case does: the same keys, the same candidate
/// look-up through the storage adapter, the same scoring. Also tells whether the record sought
/// was among the candidates at all (what the pool loses cannot be won back by scoring), and which
/// queries' look-ups were slowest, with the postings of their keys.
fn breakdown(registry: &Registry, queries: &[Query]) -> anyhow::Result<Breakdown> {
    let (db, _, _) = registry::open(&registry.url, 2)?;
    let repository = DieselMinorRepository::new(db);
    let config = MatchingConfig::default();
    let today = chrono::Utc::now().date_naive();
    let (mut lookups, mut scorings, mut found) = (Vec::new(), Vec::new(), 0_usize);
    let mut in_pool: Vec<Rank> = Vec::new();
    let mut timed: Vec<(Duration, &Query, domain::matching::KeyQuery)> = Vec::new();
    for q in queries {
        let probe = Probe {
            names: vec![q.name.clone()],
            date_of_birth: q.date_of_birth,
            age_range: q.age_range,
            sex: q.sex,
            ..Probe::default()
        };
        // As the service does: an age range stands for the date of birth at its middle.
        let born = q.date_of_birth.or_else(|| {
            q.age_range.and_then(|(lo, hi)| {
                today.checked_sub_months(chrono::Months::new(6 * (u32::from(lo) + u32::from(hi))))
            })
        });
        let started = Instant::now();
        let keys = query_keys(&probe.names, born);
        let candidates = repository.candidates(&keys, CANDIDATE_POOL)?;
        let lookup = started.elapsed();
        lookups.push(lookup);
        let started = Instant::now();
        let mut best = 0.0_f64;
        for c in &candidates {
            if let Some(identity) = &c.data.identity {
                best = best.max(score(&probe, &probe_of(identity), &config.weights, today).0);
            }
        }
        std::hint::black_box(best);
        scorings.push(started.elapsed());
        found += candidates.len();
        in_pool.push(
            candidates
                .iter()
                .position(|c| c.id == q.target_id)
                .map(|p| p + 1),
        );
        timed.push((lookup, q, keys));
    }
    timed.sort_by_key(|t| std::cmp::Reverse(t.0));
    let mut raw = Raw::open(&registry.url)?;
    let mut slowest = Vec::new();
    for (lookup, q, keys) in timed.iter().take(8) {
        let mut postings = BTreeMap::new();
        for key in keys.singles.iter().chain(&keys.pairs) {
            let n = raw.scalar(&format!(
                "(SELECT count(*) FROM minor_name_keys WHERE key = '{}')",
                key.replace('\'', "''")
            ))?;
            postings.insert(key.clone(), n);
        }
        slowest.push(json!({
            "name": q.name, "date_of_birth": q.date_of_birth, "variant": q.variant,
            "candidates_ms": lookup.as_secs_f64() * 1e3, "key_postings": postings,
        }));
    }
    let pool = Recall::of(queries, &in_pool);
    let mut postings_bounds = Vec::new();
    for bound in POSTINGS_BOUNDS {
        postings_bounds.push(replay_bound(&repository, queries, bound, &config, today)?);
    }
    Ok(Breakdown {
        queries: queries.len(),
        candidates: Latency::of(&lookups).context("the latency of lookups")?,
        scoring: Latency::of(&scorings).context("the latency of scorings")?,
        mean_candidates: found as f64 / queries.len().max(1) as f64,
        target_in_pool: pool.at_any,
        target_in_pool_by_date_variant: pool.by_date_variant_any,
        slowest_lookups: slowest,
        postings_bounds,
    })
}

/// The queries replayed with the name index read under `bound` (see [`BoundResult`]).
fn replay_bound(
    repository: &DieselMinorRepository,
    queries: &[Query],
    bound: usize,
    config: &MatchingConfig,
    today: chrono::NaiveDate,
) -> anyhow::Result<BoundResult> {
    let repository = repository.clone().with_common_key_postings(bound);
    let (mut lookups, mut ranks) = (Vec::new(), Vec::new());
    for q in queries {
        let probe = Probe {
            names: vec![q.name.clone()],
            date_of_birth: q.date_of_birth,
            age_range: q.age_range,
            sex: q.sex,
            ..Probe::default()
        };
        let born = q.date_of_birth.or_else(|| {
            q.age_range.and_then(|(lo, hi)| {
                today.checked_sub_months(chrono::Months::new(6 * (u32::from(lo) + u32::from(hi))))
            })
        });
        let started = Instant::now();
        let candidates = repository.candidates(&query_keys(&probe.names, born), CANDIDATE_POOL)?;
        lookups.push(started.elapsed());
        let mut scored: Vec<(f64, &str)> = candidates
            .iter()
            .filter_map(|c| {
                let identity = c.data.identity.as_ref()?;
                let value = score(&probe, &probe_of(identity), &config.weights, today).0;
                (value >= config.thresholds.candidate).then_some((value, c.id.as_str()))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranks.push(
            scored
                .iter()
                .position(|(_, id)| *id == q.target_id)
                .map(|p| p + 1),
        );
    }
    Ok(BoundResult {
        postings: bound,
        candidates: Latency::of(&lookups).context("the latency of lookups")?,
        recall: Recall::of(queries, &ranks),
    })
}

/// Builds the pg_trgm table and GiST index if missing, then sends the queries' names one at a
/// time: the 30 nearest names by trigram distance, the first 10 distinct records kept.
fn pg_trgm(registry: &Registry, warmup: &[Query], queries: &[Query]) -> anyhow::Result<TrgmResult> {
    let mut raw = Raw::open(&registry.url)?;
    let mut build_seconds = None;
    if raw.scalar("(SELECT count(*) FROM pg_tables WHERE tablename = 'bench_trgm_names')")? == 0 {
        eprintln!("building the pg_trgm reference table ...");
        let started = Instant::now();
        raw.execute(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;
             CREATE TABLE bench_trgm_names_new AS
               SELECT m.id AS minor_id,
                      concat_ws(' ', d->'identity'->>'given_names', d->'identity'->>'family_name') AS name
                 FROM minors m, LATERAL (SELECT m.data::jsonb AS d) j
               UNION ALL
               SELECT m.id, concat_ws(' ', o->>'given_names', o->>'family_name')
                 FROM minors m, jsonb_array_elements(m.data::jsonb->'identity'->'names_original_script') o
               UNION ALL
               SELECT m.id, a->>'name'
                 FROM minors m, jsonb_array_elements(m.data::jsonb->'identity'->'aliases') a;
             CREATE INDEX bench_trgm_names_gist ON bench_trgm_names_new USING gist (name gist_trgm_ops);
             ANALYZE bench_trgm_names_new;
             ALTER TABLE bench_trgm_names_new RENAME TO bench_trgm_names;",
        )?;
        build_seconds = Some(started.elapsed().as_secs_f64());
    }
    let names_indexed = raw.scalar("(SELECT count(*) FROM bench_trgm_names)")?;
    let Raw::Pg(conn) = &mut raw else {
        anyhow::bail!("pg_trgm needs PostgreSQL");
    };
    let mut ask = |q: &Query| -> anyhow::Result<(Duration, Vec<String>)> {
        let started = Instant::now();
        let hits: Vec<TrgmHit> = diesel::sql_query(TRGM_QUERY)
            .bind::<Text, _>(&q.name)
            .load(conn)
            .context("pg_trgm query")?;
        let elapsed = started.elapsed();
        let mut ids: Vec<String> = Vec::new();
        for h in hits {
            if !ids.contains(&h.minor_id) {
                ids.push(h.minor_id);
            }
        }
        ids.truncate(10);
        Ok((elapsed, ids))
    };
    for q in warmup {
        ask(q)?;
    }
    eprintln!("pg_trgm reference: {} queries ...", queries.len());
    let mut samples = Vec::new();
    let mut ranks = Vec::new();
    for q in queries {
        let (elapsed, ids) = ask(q)?;
        samples.push(elapsed);
        ranks.push(ids.iter().position(|id| *id == q.target_id).map(|p| p + 1));
    }
    Ok(TrgmResult {
        latency: Latency::of(&samples).context("the latency of samples")?,
        recall: Recall::of(queries, &ranks),
        names_indexed,
        build_seconds,
        query: TRGM_QUERY,
    })
}
