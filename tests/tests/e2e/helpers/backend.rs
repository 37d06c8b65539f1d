//! A fresh, empty database per test, removed when the test ends.

use std::path::PathBuf;

use diesel::{Connection, RunQueryDsl, pg::PgConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests use, without a database name (trust authentication).
pub fn postgres_server() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// A database that exists for the life of this value.
pub struct TestDatabase {
    pub url: String,
    pg_name: Option<String>,
    _dir: tempfile::TempDir,
    pub data_dir: PathBuf,
}

impl TestDatabase {
    pub fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}", dir.path().join("uam.db").display()),
                pg_name: None,
                data_dir,
                _dir: dir,
            },
            Backend::Postgres => {
                let name = format!("uam_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&format!("{}/postgres", postgres_server()))
                    .expect("PostgreSQL must listen at TEST_POSTGRES_URL (default 127.0.0.1:5432)");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .unwrap();
                // Without TLS: on loopback it protects nothing, and libpq's OpenSSL state torn down
                // at process exit under a pool thread still connected crashed a test process
                // (SIGSEGV after the test had passed).
                Self {
                    url: format!("{}/{name}?sslmode=disable", postgres_server()),
                    pg_name: Some(name),
                    data_dir,
                    _dir: dir,
                }
            }
        }
    }
}

impl TestDatabase {
    /// The PostgreSQL database's name; `None` on SQLite.
    pub fn pg_name(&self) -> Option<&str> {
        self.pg_name.as_deref()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name
            && let Ok(mut admin) =
                PgConnection::establish(&format!("{}/postgres", postgres_server()))
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}
