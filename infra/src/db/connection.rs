//! Connection URLs, the connection pool and embedded migrations.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use domain::ports::HealthCheck;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed `database_url`: `sqlite://PATH` (relative or absolute file path) or `postgres://...` /
/// `postgresql://...` (a libpq URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

/// The URL has neither supported scheme, or names no file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a database URL: expected sqlite://PATH or postgres://USER@HOST:PORT/DB")]
pub struct InvalidDatabaseUrl(pub String);

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, InvalidDatabaseUrl> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(InvalidDatabaseUrl(url.to_owned()));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        Err(InvalidDatabaseUrl(url.to_owned()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Opens connections of the backend its URL names, never guessing from a failed attempt.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
    busy_timeout: Duration,
}

/// How long a pooled connection, once checked, is handed out without being checked again. A
/// check is a round trip (`SELECT 1`); paying it on every checkout doubled the statements of a
/// consultation. A connection lost within the window fails the one request that takes it (503,
/// [`DatabaseUnavailable::is_cause_of`]) and is checked, and dropped, at its next checkout.
const CHECK_VALID_FOR: Duration = Duration::from_millis(500);

/// A connection as the pool keeps it: with the time it was last found alive.
pub struct Checked {
    conn: DbConnection,
    checked: Instant,
}

impl ManageConnection for Manager {
    type Connection = Checked;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Checked, Self::Error> {
        Ok(Checked {
            conn: self.open()?,
            checked: Instant::now(),
        })
    }

    fn is_valid(&self, conn: &mut Checked) -> Result<(), Self::Error> {
        if conn.checked.elapsed() < CHECK_VALID_FOR {
            return Ok(());
        }
        conn.conn.ping().map_err(diesel::r2d2::Error::QueryError)?;
        conn.checked = Instant::now();
        Ok(())
    }

    fn has_broken(&self, conn: &mut Checked) -> bool {
        conn.conn.is_broken()
    }
}

impl Manager {
    fn open(&self) -> Result<DbConnection, diesel::r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(diesel::r2d2::Error::ConnectionError),
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_string_lossy();
                let mut conn = SqliteConnection::establish(&path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // WAL lets readers proceed beside the one writer; synchronous stays FULL so that a
                // committed transaction survives a crash; the busy timeout queues writers instead of
                // failing them.
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                     PRAGMA busy_timeout = {};",
                    self.busy_timeout.as_millis()
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// No connection to the database could be had in time: the database is down, unreachable or
/// saturated. Callers answer 503 and may retry.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the database is unavailable: {0}")]
pub struct DatabaseUnavailable(pub String);

impl DatabaseUnavailable {
    /// Whether `error` means the database could not be used: no connection could be had in time,
    /// or the connection was lost under the query (the server shut down, restarted or went away
    /// between the pool's check and the query). Either way the caller may retry: 503, not 500.
    pub fn is_cause_of(error: &anyhow::Error) -> bool {
        error.chain().any(|cause| {
            cause.is::<Self>()
                || cause
                    .downcast_ref::<diesel::result::Error>()
                    .is_some_and(lost_connection)
        })
    }
}

/// The store's outages as the domain sees them: [`DatabaseUnavailable::is_cause_of`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DatabaseOutages;

impl domain::ports::Outages for DatabaseOutages {
    fn is_outage(&self, error: &anyhow::Error) -> bool {
        DatabaseUnavailable::is_cause_of(error)
    }
}

fn lost_connection(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        Error::RollbackErrorOnCommit {
            rollback_error,
            commit_error,
        } => lost_connection(rollback_error) || lost_connection(commit_error),
        _ => false,
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: u32,
    /// How long a caller waits for a free connection before failing.
    pub acquire_timeout: Duration,
}

/// A connection taken from the pool, returned to it when dropped.
pub struct PooledConnection(r2d2::PooledConnection<Manager>);

impl Deref for PooledConnection {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.0.conn
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.0.conn
    }
}

/// Called once a transaction that wrote outbox events has committed.
type EventsWritten = Arc<OnceLock<Box<dyn Fn() + Send + Sync>>>;

/// A connection pool to one database. Every method blocks.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    /// Opens the connections kept outside the pool.
    manager: Manager,
    events_written: EventsWritten,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens a pool. For SQLite the file's folder is created if missing. Fails when no first
    /// connection can be made within the acquire timeout.
    pub fn connect(url: &DatabaseUrl, settings: PoolSettings) -> anyhow::Result<Self> {
        if let DatabaseUrl::Sqlite(path) = url
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
        }
        let manager = Manager {
            url: url.clone(),
            busy_timeout: settings.acquire_timeout,
        };
        let pool = r2d2::Pool::builder()
            .max_size(settings.max_size)
            .min_idle(Some(0))
            .connection_timeout(settings.acquire_timeout)
            .test_on_check_out(true)
            .build(manager.clone())
            .context("cannot connect to the database")?;
        Ok(Self {
            pool,
            backend: url.backend(),
            manager,
            events_written: EventsWritten::default(),
        })
    }

    /// Has `wake` called, in this process, each time a transaction that wrote outbox events has
    /// committed (through any clone of this pool). Set once; later calls are ignored. This is how
    /// the relay learns of new events on SQLite, which has no `NOTIFY`.
    pub fn on_events_written(&self, wake: impl Fn() + Send + Sync + 'static) {
        let _ = self.events_written.set(Box::new(wake));
    }

    /// Tells the relay that events were committed.
    pub(super) fn events_written(&self) {
        if let Some(wake) = self.events_written.get() {
            wake();
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection from the pool, waiting at most the acquire timeout. Fails with
    /// [`DatabaseUnavailable`] (somewhere in the error chain) when none can be had.
    pub fn conn(&self) -> anyhow::Result<PooledConnection> {
        self.pool
            .get()
            .map(PooledConnection)
            .map_err(|e| DatabaseUnavailable(e.to_string()).into())
    }

    /// A new connection of its own, outside the pool (not counted in its size), set up as the
    /// pool's are, for a worker that uses the database all the time: it neither waits for a free
    /// connection nor pays the pool's check of each connection it takes.
    pub fn dedicated(&self) -> anyhow::Result<DbConnection> {
        self.manager
            .open()
            .map_err(|e| DatabaseUnavailable(e.to_string()).into())
    }

    /// Whether PostgreSQL runs without autovacuum: its tables are then never analysed as they
    /// grow, and statements keep plans made when they were small (docs/performance.md, finding
    /// 4). Always `false` on SQLite.
    pub fn autovacuum_off(&self) -> anyhow::Result<bool> {
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            autovacuum: String,
        }
        if self.backend != Backend::Postgres {
            return Ok(false);
        }
        let mut conn = self.conn()?;
        let setting: Setting = diesel::sql_query("SHOW autovacuum")
            .get_result(&mut *conn)
            .context("reading the autovacuum setting")?;
        Ok(setting.autovacuum == "off")
    }

    /// Applies every embedded migration not yet applied; returns the versions applied now.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
            DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }

    fn pending_migrations(&self) -> anyhow::Result<bool> {
        let mut conn = self.conn()?;
        match &mut *conn {
            DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
            DbConnection::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| anyhow::anyhow!("cannot read the applied migrations: {e}"))
    }
}

impl HealthCheck for Database {
    fn ready(&self) -> anyhow::Result<()> {
        if self.pending_migrations()? {
            anyhow::bail!("the database has migrations not yet applied");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://./data/x.db"),
            Ok(DatabaseUrl::Sqlite("./data/x.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").map(|u| u.backend()),
            Ok(Backend::Sqlite)
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://postgres@127.0.0.1/uam").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("./x.db").is_err());
    }

    #[test]
    fn a_lost_connection_is_unavailability() {
        use diesel::result::{DatabaseErrorKind, Error};
        let db = |kind| Error::DatabaseError(kind, Box::new("terminating connection".to_owned()));
        let unavailable = [
            anyhow::Error::new(DatabaseUnavailable("timed out".into())),
            anyhow::Error::new(db(DatabaseErrorKind::ClosedConnection)).context("reading"),
            anyhow::Error::new(db(DatabaseErrorKind::UnableToSendCommand)),
            anyhow::Error::new(Error::RollbackErrorOnCommit {
                rollback_error: Box::new(db(DatabaseErrorKind::UnableToSendCommand)),
                commit_error: Box::new(db(DatabaseErrorKind::ClosedConnection)),
            }),
        ];
        for e in &unavailable {
            assert!(DatabaseUnavailable::is_cause_of(e), "{e:#}");
        }
        let unexpected = [
            anyhow::Error::new(db(DatabaseErrorKind::UniqueViolation)),
            anyhow::Error::new(Error::NotFound).context("reading"),
            anyhow::anyhow!("something else"),
        ];
        for e in &unexpected {
            assert!(!DatabaseUnavailable::is_cause_of(e), "{e:#}");
        }
    }
}

#[cfg(test)]
mod migration_tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    use diesel_migrations::MigrationHarness;

    use super::SQLITE_MIGRATIONS;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        status: String,
    }

    fn count(c: &mut SqliteConnection, sql: &str) -> i64 {
        diesel::sql_query(sql).get_result::<Count>(c).expect(sql).n
    }

    /// Migrations that rebuild a table must work on a database that holds records, with foreign
    /// keys enforced as the service's connections enforce them.
    #[test]
    fn every_sqlite_migration_applies_to_a_database_holding_records() {
        let mut c = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        c.batch_execute("PRAGMA foreign_keys = ON")
            .expect("foreign keys");
        // Up to the last migration before the rebuild (000009), then records in every table that
        // refers to `minors`.
        for _ in 0..8 {
            c.run_next_migration(SQLITE_MIGRATIONS).expect("migration");
        }
        c.batch_execute(
            "INSERT INTO minors (id, status, version, registered_at, updated_at, data) VALUES
                 ('m1', 'active', 1, '2026-01-01', '2026-01-01', '{}'),
                 ('m2', 'missing', 2, '2026-01-01', '2026-01-02', '{}');
             INSERT INTO minor_nationalities (minor_seq, country) VALUES (1, 'AF'), (2, 'ER');
             INSERT INTO minor_revisions (minor_seq, version, at, subject, agency, role, purpose, changed, data)
                 VALUES (1, 1, '2026-01-01', 's', 'a', 'r', 'care', '[]', '{}');
             INSERT INTO photos (id, minor_seq, content_type, bytes, created_at)
                 VALUES ('p1', 2, 'image/png', x'00', '2026-01-01');
             INSERT INTO minor_name_keys (key, minor_seq, birth_year) VALUES ('mhmd', 1, 2010);
             INSERT INTO alerts (id, minor_id, status, risk, version, data)
                 VALUES ('a1', 'm2', 'open', 'high', 1, '{}');",
        )
        .expect("records");

        c.run_pending_migrations(SQLITE_MIGRATIONS)
            .expect("the remaining migrations");

        assert_eq!(count(&mut c, "SELECT count(*) AS n FROM minors"), 2);
        assert_eq!(
            count(&mut c, "SELECT count(*) AS n FROM pragma_foreign_key_check"),
            0
        );
        assert_eq!(
            count(&mut c, "SELECT foreign_keys AS n FROM pragma_foreign_keys"),
            1,
            "foreign keys are enforced again after the rebuild"
        );
        // The rebuilt table admits the new status, and the old references still hold.
        c.batch_execute("UPDATE minors SET status = 'merged', merged_into = 'm2' WHERE id = 'm1'")
            .expect("merged status");
        let status = diesel::sql_query("SELECT status FROM minors WHERE id = 'm1'")
            .get_result::<Row>(&mut c)
            .expect("row")
            .status;
        assert_eq!(status, "merged");
        assert!(
            c.batch_execute(
                "INSERT INTO minor_nationalities (minor_seq, country) VALUES (99, 'BE')"
            )
            .is_err(),
            "a reference to no record is refused"
        );
    }
}
