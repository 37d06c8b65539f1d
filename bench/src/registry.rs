//! Synthetic registries in real databases: loaded once through the infra crate (the same writes
//! as a registration, without audit entries), kept between runs and reused while they match.
//!
//! A registry of `n` records lives in the PostgreSQL database `uam_bench_<n>` or the SQLite file
//! `<work dir>/uam_bench_<n>.db`. The table `bench_registry` inside it records the generator
//! version, seed and size once loading has finished; a database without a matching row is dropped
//! and loaded again. Every use first applies pending migrations and rebuilds the name index if
//! its key scheme changed, as `uam-registry serve` does at start, so that a changed schema is
//! picked up and the time it takes is reported apart from the benchmark.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use domain::purpose::Purpose;
use domain::record::Actor;
use infra::db::{
    Database, DatabaseUrl, DieselAgencyRepository, DieselMinorRepository, PoolSettings,
};
use serde::Serialize;

use crate::generate::{GENERATOR_VERSION, person};

/// Records stored per transaction while loading.
const BATCH: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        }
    }
}

/// Where the benchmarks keep their databases and find the service.
#[derive(Debug, Clone)]
pub struct Env {
    /// Databases, logs and the development key: `~/.cache/uam-registry/bench` by default.
    pub work_dir: PathBuf,
    /// PostgreSQL server URL without a database name, e.g. `postgres://postgres@127.0.0.1:5432`.
    pub postgres: String,
    /// The `uam-registry` binary.
    pub server_bin: PathBuf,
    pub seed: u64,
}

impl Env {
    /// URL of database `name` on the PostgreSQL server.
    pub fn postgres_db(&self, name: &str) -> String {
        format!("{}/{name}", self.postgres.trim_end_matches('/'))
    }

    /// `database_url` of a database called `name` on `backend`.
    pub fn database_url(&self, backend: Backend, name: &str) -> String {
        match backend {
            Backend::Postgres => self.postgres_db(name),
            Backend::Sqlite => format!(
                "sqlite://{}",
                self.work_dir.join(format!("{name}.db")).display()
            ),
        }
    }
}

/// A loaded registry.
#[derive(Debug, Clone, Serialize)]
pub struct Registry {
    pub backend: Backend,
    pub records: u64,
    pub name: String,
    /// The `database_url` the service is given.
    pub url: String,
    pub seed: u64,
}

/// How a registry was made ready.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    /// Found complete and reused.
    pub reused: bool,
    /// Loading time, when loaded now.
    pub load_seconds: Option<f64>,
    pub load_records_per_second: Option<f64>,
    /// Migrations and name-index rebuild on opening.
    pub open_seconds: f64,
    /// Why a kept registry could not be migrated (it was loaded again).
    pub migration_error: Option<String>,
    pub migrations_applied: Vec<String>,
    pub records_rekeyed: usize,
    /// Rows of `minor_name_keys`.
    pub name_keys: i64,
    /// Size of the database on disk.
    pub database_bytes: i64,
}

/// A direct connection, for the statements the service has no call for.
pub enum Raw {
    Pg(diesel::pg::PgConnection),
    Sqlite(diesel::sqlite::SqliteConnection),
}

impl Raw {
    pub fn open(url: &str) -> anyhow::Result<Self> {
        Ok(match DatabaseUrl::parse(url)? {
            DatabaseUrl::Postgres(u) => Self::Pg(
                diesel::pg::PgConnection::establish(&u)
                    .with_context(|| format!("connecting to {u}"))?,
            ),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = diesel::sqlite::SqliteConnection::establish(&path.to_string_lossy())
                    .with_context(|| format!("opening {}", path.display()))?;
                // Wait for a lock rather than fail, e.g. while another connection recovers the WAL
                // of a server that just stopped.
                conn.batch_execute("PRAGMA busy_timeout = 10000")?;
                Self::Sqlite(conn)
            }
        })
    }

    pub fn execute(&mut self, sql: &str) -> anyhow::Result<()> {
        match self {
            Self::Pg(c) => c.batch_execute(sql),
            Self::Sqlite(c) => c.batch_execute(sql),
        }
        .with_context(|| format!("running {sql}"))
    }

    /// The value of an integer SQL expression, e.g. `(SELECT count(*) FROM minors)`.
    pub fn scalar(&mut self, expression: &str) -> anyhow::Result<i64> {
        let query = diesel::select(diesel::dsl::sql::<BigInt>(expression));
        match self {
            Self::Pg(c) => query.get_result(c),
            Self::Sqlite(c) => query.get_result(c),
        }
        .with_context(|| format!("reading {expression}"))
    }
}

fn registry_name(records: u64) -> String {
    format!("uam_bench_{records}")
}

/// Whether the database holds a complete registry of this generator, seed and size.
fn complete(env: &Env, backend: Backend, name: &str, records: u64) -> anyhow::Result<bool> {
    let url = env.database_url(backend, name);
    match backend {
        Backend::Postgres => {
            let mut admin = Raw::open(&env.postgres_db("postgres"))?;
            if admin.scalar(&format!(
                "(SELECT count(*) FROM pg_database WHERE datname = '{name}')"
            ))? == 0
            {
                return Ok(false);
            }
        }
        Backend::Sqlite => {
            if !env.work_dir.join(format!("{name}.db")).exists() {
                return Ok(false);
            }
        }
    }
    let mut raw = Raw::open(&url)?;
    let has_marker = match backend {
        Backend::Postgres => "(SELECT count(*) FROM pg_tables WHERE tablename = 'bench_registry')",
        Backend::Sqlite => "(SELECT count(*) FROM sqlite_master WHERE name = 'bench_registry')",
    };
    if raw.scalar(has_marker)? == 0 {
        return Ok(false);
    }
    let marker = raw.scalar(&format!(
        "(SELECT count(*) FROM bench_registry WHERE generator = {GENERATOR_VERSION} \
         AND seed = {} AND records = {records})",
        env.seed as i64
    ))?;
    Ok(marker == 1 && raw.scalar("(SELECT count(*) FROM minors)")? >= records as i64)
}

/// Drops the database if it exists and creates it empty.
fn recreate(env: &Env, backend: Backend, name: &str) -> anyhow::Result<()> {
    match backend {
        Backend::Postgres => {
            let mut admin = Raw::open(&env.postgres_db("postgres"))?;
            admin.execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
            admin.execute(&format!("CREATE DATABASE {name}"))?;
        }
        Backend::Sqlite => {
            std::fs::create_dir_all(&env.work_dir)?;
            for suffix in [".db", ".db-wal", ".db-shm"] {
                let path = env.work_dir.join(format!("{name}{suffix}"));
                if path.exists() {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("removing {}", path.display()))?;
                }
            }
        }
    }
    Ok(())
}

/// Opens a pool on `url`, applies migrations and brings the name index to the current scheme, as
/// the service's start-up does.
pub fn open(url: &str, pool: u32) -> anyhow::Result<(Database, Vec<String>, usize)> {
    let db = Database::connect(
        &DatabaseUrl::parse(url)?,
        PoolSettings {
            max_size: pool,
            acquire_timeout: Duration::from_secs(30),
        },
    )?;
    let applied = db.migrate()?;
    let rekeyed = infra::db::ensure_name_index(&db)?;
    Ok((db, applied, rekeyed))
}

/// An empty registry with the demo agencies (the service's `--demo` set), migrated: for
/// benchmarks that register records themselves.
pub fn empty(env: &Env, backend: Backend, name: &str) -> anyhow::Result<Registry> {
    recreate(env, backend, name)?;
    let url = env.database_url(backend, name);
    let (db, _, _) = open(&url, 2)?;
    api::demo::seed(&DieselAgencyRepository::new(db), &infra::clock::SystemClock)?;
    Ok(Registry {
        backend,
        records: 0,
        name: name.to_owned(),
        url,
        seed: env.seed,
    })
}

/// A registry of `records` records loaded now into a fresh database `name` (with the demo
/// agencies), for benchmarks that change the records they use.
pub fn fresh(env: &Env, backend: Backend, name: &str, records: u64) -> anyhow::Result<Registry> {
    recreate(env, backend, name)?;
    let url = env.database_url(backend, name);
    load_records(env, &url, backend, records)?;
    Ok(Registry {
        backend,
        records,
        name: name.to_owned(),
        url,
        seed: env.seed,
    })
}

/// The registry of `records` records on `backend`, loaded now unless a complete one is kept.
/// PostgreSQL loads with two threads (one per core), SQLite with one (one writer at a time).
pub fn ensure(env: &Env, backend: Backend, records: u64) -> anyhow::Result<(Registry, Readiness)> {
    let name = registry_name(records);
    let url = env.database_url(backend, &name);
    let registry = Registry {
        backend,
        records,
        name: name.clone(),
        url: url.clone(),
        seed: env.seed,
    };
    let reused = complete(env, backend, &name, records)?;
    let mut load = None;
    if !reused {
        eprintln!(
            "loading {records} records into {} {name} ...",
            backend.label()
        );
        recreate(env, backend, &name)?;
        let started = Instant::now();
        load_records(env, &url, backend, records)?;
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "loaded {records} records in {seconds:.0} s ({:.0} records/s)",
            records as f64 / seconds
        );
        load = Some(seconds);
    }
    let started = Instant::now();
    let (migrations_applied, records_rekeyed, migration_error) = match open(&url, 2) {
        Ok((_db, applied, rekeyed)) => (applied, rekeyed, None),
        Err(e) if reused => {
            // A kept registry the current migrations cannot upgrade: report it, load afresh.
            let error = format!("{e:#}");
            eprintln!("the kept {name} cannot be migrated ({error}); loading it again");
            recreate(env, backend, &name)?;
            let loading = Instant::now();
            load_records(env, &url, backend, records)?;
            load = Some(loading.elapsed().as_secs_f64());
            let (_db, applied, rekeyed) = open(&url, 2)?;
            (applied, rekeyed, Some(error))
        }
        Err(e) => return Err(e),
    };
    let open_seconds = started.elapsed().as_secs_f64();
    if records_rekeyed > 0 {
        eprintln!("name index rebuilt: {records_rekeyed} records in {open_seconds:.0} s");
    }
    let mut raw = Raw::open(&url)?;
    let name_keys = raw.scalar("(SELECT count(*) FROM minor_name_keys)")?;
    let database_bytes = match backend {
        Backend::Postgres => raw.scalar("(SELECT pg_database_size(current_database()))")?,
        Backend::Sqlite => ["db", "db-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(env.work_dir.join(format!("{name}.{s}"))).ok())
            .map(|m| m.len() as i64)
            .sum(),
    };
    Ok((
        registry,
        Readiness {
            reused: reused && migration_error.is_none(),
            migration_error,
            load_seconds: load,
            load_records_per_second: load.map(|s| records as f64 / s),
            open_seconds,
            migrations_applied,
            records_rekeyed,
            name_keys,
            database_bytes,
        },
    ))
}

fn load_records(env: &Env, url: &str, backend: Backend, records: u64) -> anyhow::Result<()> {
    let threads: u64 = match backend {
        Backend::Postgres => 2,
        Backend::Sqlite => 1,
    };
    let (db, _, _) = open(url, threads as u32 + 1)?;
    api::demo::seed(
        &DieselAgencyRepository::new(db.clone()),
        &infra::clock::SystemClock,
    )?;
    let repository = DieselMinorRepository::new(db);
    let actor = Actor {
        subject: "bench-loader".to_owned(),
        agency: crate::generate::PLACEMENT_AGENCY.to_owned(),
        role: "reception_staff".to_owned(),
        purpose: Purpose::Care,
    };
    let batches = records.div_ceil(BATCH);
    let done = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (repository, actor, done) = (&repository, &actor, &done);
                scope.spawn(move || -> anyhow::Result<()> {
                    for b in (t..batches).step_by(threads as usize) {
                        let batch: Vec<(String, domain::minor::MinorData)> = (b * BATCH
                            ..((b + 1) * BATCH).min(records))
                            .map(|i| {
                                let p = person(env.seed, i);
                                (p.id, p.data)
                            })
                            .collect();
                        repository.import(&batch, actor, chrono::Utc::now())?;
                        let n = done.fetch_add(batch.len() as u64, Ordering::Relaxed)
                            + batch.len() as u64;
                        if n % 50_000 < batch.len() as u64 {
                            let rate = n as f64 / started.elapsed().as_secs_f64();
                            eprintln!(
                                "  {n}/{records} records ({rate:.0}/s, {:.0} s to go)",
                                (records - n) as f64 / rate.max(1.0)
                            );
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("a loader thread panicked"))??;
        }
        Ok(())
    })?;
    let mut raw = Raw::open(url)?;
    if backend == Backend::Postgres {
        // Autovacuum would analyse the new tables soon after in production; do it now so that
        // the first measurement does not see a planner without statistics.
        raw.execute("VACUUM ANALYZE")?;
    }
    raw.execute(&format!(
        "CREATE TABLE bench_registry (generator BIGINT NOT NULL, seed BIGINT NOT NULL, \
         records BIGINT NOT NULL); \
         INSERT INTO bench_registry VALUES ({GENERATOR_VERSION}, {}, {records});",
        env.seed as i64
    ))?;
    Ok(())
}
