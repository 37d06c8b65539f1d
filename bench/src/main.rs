//! `bench`: runs the benchmarks of the UAM registry against references measured in the same run,
//! prints one table (benchmark, metric, value, reference, ratio, target, result) and writes the
//! results as JSON. See docs/performance.md for what each benchmark measures and the latest
//! figures; `bench/run` builds the binaries and runs this.

mod alerts;
mod bulk;
mod consult;
mod docs;
mod embedded;
mod generate;
mod http;
mod matching;
mod names;
mod registry;
mod report;
mod rng;
mod search;
mod server;
mod stats;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::registry::{Backend, Env};
use crate::report::{Report, Verdict};

#[derive(Parser)]
#[command(name = "bench", about = "Benchmarks of the UAM registry")]
struct Cli {
    /// Databases, logs and the development key of the benchmarks.
    #[arg(long, global = true, env = "UAM_BENCH_DIR", value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// PostgreSQL server, without a database name.
    #[arg(
        long,
        global = true,
        env = "BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    postgres: String,
    /// The `uam-registry` binary; by default the one built beside this binary.
    #[arg(long, global = true, env = "UAM_BENCH_SERVER", value_name = "PATH")]
    server_bin: Option<PathBuf>,
    /// Seed of the synthetic registries and queries.
    #[arg(long, global = true, default_value_t = generate::DEFAULT_SEED)]
    seed: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Bench {
    Search,
    Embedded,
    Consult,
    Bulk,
    Alerts,
    /// The matching evaluation set of tests/data/matching (runs its test, or reads its report).
    Matching,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the benchmarks (all, or those named by --only), prints the table, writes the JSON.
    All {
        /// Tiny sizes: checks that every benchmark runs, in well under two minutes; the figures
        /// mean nothing.
        #[arg(long)]
        smoke: bool,
        /// Only these benchmarks (comma-separated).
        #[arg(long, value_delimiter = ',')]
        only: Vec<Bench>,
        /// Where to write the JSON (default: bench/results/latest.json, or smoke.json).
        #[arg(long, value_name = "PATH")]
        json: Option<PathBuf>,
        /// Do not keep this run as bench/results/run-<start>.json (runs of a release build are
        /// kept, smoke runs never; the summary and docs take the medians of kept runs).
        #[arg(long)]
        no_keep: bool,
        /// The matching benchmark reads this report of `matching_eval` if it exists, else runs
        /// the test writing it there.
        #[arg(long, env = "UAM_MATCHING_REPORT", value_name = "PATH")]
        matching_report: Option<PathBuf>,
        /// Exit 1 when a target is missed (by default only failures to run exit non-zero).
        #[arg(long)]
        strict: bool,
        /// Pause between two disappearance reports of the alerts benchmark (default 200 ms).
        #[arg(long, value_name = "MS", default_value_t = 200)]
        alert_interval_ms: u64,
        /// Keep the results of the benchmarks not run now from the JSON file being replaced
        /// (their rows, details and the run they came from), e.g. after rerunning one of them.
        #[arg(long)]
        merge: bool,
        /// Registrations of the bulk benchmark (default 100,000; 100 with --smoke).
        #[arg(long, value_name = "N")]
        bulk_records: Option<u64>,
        /// Record a `perf` profile of the server during the one-client search runs (files
        /// perf-search-*.data in the work folder; read them with `perf report -i`).
        #[arg(long)]
        perf: bool,
    },
    /// Writes the figures of docs/performance.md (every figure as the median of the latest kept
    /// runs with its spread, the consult ladder), between their markers.
    Docs {
        /// The folder of kept runs (default: bench/results).
        #[arg(long, value_name = "DIR")]
        results: Option<PathBuf>,
        /// The document (default: docs/performance.md).
        #[arg(long, value_name = "PATH")]
        document: Option<PathBuf>,
    },
    /// Prints, per benchmark, each figure of its latest kept runs (bench/results/run-*.json of
    /// release builds) as the median with its spread, judged on the medians.
    Summary {
        /// The folder of kept runs (default: bench/results).
        #[arg(long, value_name = "DIR")]
        results: Option<PathBuf>,
        /// Runs per benchmark (the latest that measured it), at least 3.
        #[arg(long, default_value_t = summary::DEFAULT_RUNS as u64,
              value_parser = clap::value_parser!(u64).range(summary::MIN_RUNS as u64..))]
        runs: u64,
        /// Only these benchmarks (comma-separated).
        #[arg(long, value_delimiter = ',')]
        only: Vec<Bench>,
        /// Count runs of debug builds too (their figures mean little).
        #[arg(long)]
        include_debug: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Loads (or finds) a synthetic registry and prints how it was made ready.
    Load {
        #[arg(long, value_enum)]
        backend: BackendArg,
        #[arg(long)]
        records: u64,
    },
    /// Prints generated records and queries as JSON lines, to look at the data.
    Sample {
        #[arg(long, default_value_t = 5)]
        records: u64,
        /// Registry size the queries are drawn against.
        #[arg(long, default_value_t = 1_000)]
        of: u64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Postgres,
    Sqlite,
}

impl From<BackendArg> for Backend {
    fn from(b: BackendArg) -> Self {
        match b {
            BackendArg::Postgres => Self::Postgres,
            BackendArg::Sqlite => Self::Sqlite,
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn default_work_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("."));
    cache.join("uam-registry").join("bench")
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let server_bin = match cli.server_bin {
        Some(p) => p,
        None => std::env::current_exe()?
            .parent()
            .context("the bench binary has no folder")?
            .join("uam-registry"),
    };
    let mut env = Env {
        work_dir: cli.work_dir.unwrap_or_else(default_work_dir),
        postgres: cli.postgres,
        server_bin,
        seed: cli.seed,
    };
    match cli.command {
        Command::Docs { results, document } => {
            let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let results = results.unwrap_or_else(|| here.join("results"));
            let document = document.unwrap_or_else(|| here.join("../docs/performance.md"));
            let runs = summary::load(&results, false)?;
            let summaries = summary::summarize(&runs, summary::DEFAULT_RUNS);
            let text = std::fs::read_to_string(&document)
                .with_context(|| format!("reading {}", document.display()))?;
            std::fs::write(&document, docs::update(&text, &summaries)?)
                .with_context(|| format!("writing {}", document.display()))?;
            println!(
                "{} written from the runs kept in {}:\n{}",
                document.display(),
                results.display(),
                summary::runs_used(&summaries)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Summary {
            results,
            runs,
            only,
            include_debug,
            json,
        } => {
            let results = results
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"));
            let kept = summary::load(&results, include_debug)?;
            let mut summaries = summary::summarize(&kept, runs as usize);
            if !only.is_empty() {
                summaries.retain(|s| only.iter().any(|b| bench_name(*b) == s.suite));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&summaries)?);
            } else if summaries.is_empty() {
                println!("no kept run in {}", results.display());
            } else {
                print!("{}", summary::table(&summaries));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample { records, of } => {
            for i in 0..records {
                let p = generate::person(env.seed, i);
                println!("{}", serde_json::json!({"id": p.id, "data": p.data}));
            }
            for n in 0..records {
                println!(
                    "{}",
                    serde_json::to_string(&generate::query(env.seed, of, 0, n))?
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Load { backend, records } => {
            std::fs::create_dir_all(&env.work_dir)?;
            let (registry, readiness) = registry::ensure(&env, backend.into(), records)?;
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"registry": registry, "readiness": readiness})
                )?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::All {
            smoke,
            only,
            json,
            strict,
            perf,
            bulk_records,
            merge,
            alert_interval_ms,
            no_keep,
            matching_report,
        } => {
            if smoke {
                env.work_dir = env.work_dir.join("smoke");
            }
            std::fs::create_dir_all(&env.work_dir)?;
            anyhow::ensure!(
                env.server_bin.exists(),
                "{} not found: build it first (cargo build --release -p api) or pass --server-bin",
                env.server_bin.display()
            );
            let wanted = |b: Bench| only.is_empty() || only.contains(&b);
            let mut report = Report::new(run_info(&env, smoke));
            let started = std::time::Instant::now();
            let mut failed = false;
            let mut attempt =
                |name: &str, report: &mut Report, f: &dyn Fn(&mut Report) -> anyhow::Result<()>| {
                    let before = report.rows.len();
                    let outcome = f(report);
                    for row in &mut report.rows[before..] {
                        row.suite = name.to_owned();
                    }
                    report.ran.push(name.to_owned());
                    if let Err(e) = outcome {
                        eprintln!("bench: {name} failed: {e:#}");
                        report
                            .skipped
                            .push((name.to_owned(), format!("FAILED: {e:#}")));
                        failed = true;
                    }
                };
            if wanted(Bench::Search) {
                let config = if smoke {
                    search::SearchConfig {
                        records: 2_000,
                        queries: 20,
                        warmup: 5,
                        parallel_queries: 20,
                        breakdown: 10,
                        perf,
                    }
                } else {
                    search::SearchConfig {
                        records: 1_000_000,
                        queries: 1_000,
                        warmup: 100,
                        parallel_queries: 1_000,
                        breakdown: 300,
                        perf,
                    }
                };
                attempt("search", &mut report, &|r| search::run(&env, config, r));
            }
            if wanted(Bench::Embedded) {
                let config = embedded::EmbeddedConfig {
                    records: if smoke { 500 } else { 10_000 },
                    starts: if smoke { 2 } else { 7 },
                    connections: 64,
                    warmup_seconds: if smoke { 0.5 } else { 2.0 },
                    seconds: if smoke { 1.0 } else { 10.0 },
                };
                attempt("embedded", &mut report, &|r| embedded::run(&env, config, r));
            }
            if wanted(Bench::Consult) {
                let config = consult::ConsultConfig {
                    records: if smoke { 1_000 } else { 100_000 },
                    connections: 64,
                    warmup_seconds: if smoke { 0.5 } else { 3.0 },
                    seconds: if smoke { 1.0 } else { 15.0 },
                };
                attempt("consult", &mut report, &|r| consult::run(&env, config, r));
            }
            if wanted(Bench::Bulk) {
                let config = bulk::BulkConfig {
                    records: bulk_records.unwrap_or(if smoke { 100 } else { 100_000 }),
                    connections: 16,
                };
                attempt("bulk", &mut report, &|r| bulk::run(&env, config, r));
            }
            if wanted(Bench::Alerts) {
                if alerts::available() {
                    let config = alerts::AlertsConfig {
                        reports: if smoke { 10 } else { 1_000 },
                        interval_ms: if smoke { 20 } else { alert_interval_ms },
                    };
                    attempt("alerts", &mut report, &|r| alerts::run(&env, config, r));
                } else {
                    report.skipped.push((
                        "alerts".to_owned(),
                        "tansu is not installed (scripts/test installs it; TANSU_BIN overrides)"
                            .to_owned(),
                    ));
                }
            }
            if wanted(Bench::Matching) {
                if smoke {
                    report.skipped.push((
                        "matching".to_owned(),
                        "not in --smoke (the test suite runs matching_eval itself)".to_owned(),
                    ));
                } else {
                    let given = matching_report.as_deref();
                    attempt("matching", &mut report, &|r| matching::run(&env, given, r));
                }
            }
            if let serde_json::Value::Object(run) = &mut report.run {
                run.insert(
                    "seconds".to_owned(),
                    serde_json::json!(started.elapsed().as_secs_f64()),
                );
                run.insert(
                    "load_average_after".to_owned(),
                    serde_json::json!(stats::load_average()),
                );
            }
            let path = json.unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("results")
                    .join(if smoke { "smoke.json" } else { "latest.json" })
            });
            // Every run of a release build is kept as it ran (before any merge), named by its
            // start: the summary takes the medians of the latest kept runs.
            let results_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results");
            let kept = (!smoke && !no_keep && !cfg!(debug_assertions) && !report.ran.is_empty())
                .then(|| {
                    let started = report.run["started_at"]
                        .as_str()
                        .unwrap_or("unknown")
                        .replace(':', "-");
                    results_dir.join(format!("run-{started}.json"))
                });
            if let Some(kept) = &kept {
                report.write_json(kept)?;
            }
            if merge && path.exists() {
                let earlier: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?,
                )?;
                report.merge_earlier(&earlier)?;
            }
            print!("{}", report.table());
            report.write_json(&path)?;
            println!("results written to {}", path.display());
            if let Some(kept) = &kept {
                println!("and kept as {}", kept.display());
                let summaries: Vec<summary::SuiteSummary> =
                    summary::summarize(&summary::load(&results_dir, false)?, summary::DEFAULT_RUNS)
                        .into_iter()
                        .filter(|s| report.ran.contains(&s.suite))
                        .collect();
                println!(
                    "\nmedians of the latest kept runs (bench summary):\n{}",
                    summary::table(&summaries)
                );
            }
            let broken: Vec<String> = report
                .rows
                .iter()
                .filter(|r| r.verdict == Verdict::Fail)
                .map(|r| {
                    format!(
                        "{} / {}: {}",
                        r.benchmark,
                        r.metric,
                        report::number(r.value)
                    )
                })
                .collect();
            for b in &broken {
                eprintln!("bench: a correctness check failed: {b}");
            }
            Ok(if failed || report.failed(strict) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// The name a benchmark's rows carry as their suite.
fn bench_name(b: Bench) -> &'static str {
    match b {
        Bench::Search => "search",
        Bench::Embedded => "embedded",
        Bench::Consult => "consult",
        Bench::Bulk => "bulk",
        Bench::Alerts => "alerts",
        Bench::Matching => "matching",
    }
}

/// What ran where: time, commit, machine, sizes mode.
fn run_info(env: &Env, smoke: bool) -> serde_json::Value {
    let repository = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let sh = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .current_dir(&repository)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .next()
        .map(str::to_owned);
    let postgres = registry::Raw::open(&env.postgres_db("postgres"))
        .ok()
        .and_then(|mut raw| match &mut raw {
            registry::Raw::Pg(c) => {
                use diesel::RunQueryDsl;
                diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("version()"))
                    .get_result::<String>(c)
                    .ok()
            }
            registry::Raw::Sqlite(_) => None,
        });
    serde_json::json!({
        "started_at": chrono::Utc::now(),
        "smoke": smoke,
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
        "git_commit": sh("git", &["rev-parse", "HEAD"]),
        "git_dirty": sh("git", &["status", "--porcelain"]).map(|s| !s.is_empty()),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu_model,
        "memory": memory,
        "kernel": sh("uname", &["-r"]),
        "postgres": postgres,
        "server_bin": env.server_bin,
        "work_dir": env.work_dir,
        "seed": env.seed,
        "generator": { "version": generate::GENERATOR_VERSION, "names": names::name_count() },
        "load_average_before": stats::load_average(),
        "cpu_sharing": "server, PostgreSQL and the load generator share the machine's cores without \
                        pinning; per-measurement CPU use of each is in the details (cores_*)",
    })
}
