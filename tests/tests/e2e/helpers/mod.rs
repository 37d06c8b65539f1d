//! Test fixtures: a fresh database per test on either backend, an identity provider with keys of
//! every accepted algorithm, and the application served on a random port.

mod app;
mod backend;
mod clock;
pub mod idp;
pub mod sql;

pub use app::{
    TestApp, assert_problem, bearer, relay_passed, set_status, spawn_app, spawn_app_with,
    spawn_demo, spawn_instance,
};
pub use backend::{Backend, TestDatabase, postgres_server as backend_server};
pub use clock::TestClock;
pub use idp::{Alg, TestIdp};

use rstest_reuse::template;

/// Runs a test once on SQLite and once on PostgreSQL.
#[template]
#[rstest::rstest]
#[case::sqlite(crate::helpers::Backend::Sqlite)]
#[case::postgres(crate::helpers::Backend::Postgres)]
#[tokio::test]
pub fn backends(#[case] backend: Backend) {}

/// The `uam-registry` binary, built (or found up to date) by cargo on first use in this process:
/// test runs build test targets only, so a binary left from an earlier build could be stale. The
/// build uses the same target selection as `scripts/test` (`--workspace --all-targets`), so that
/// features unify as in the test build and nothing is compiled twice.
pub fn binary() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = std::process::Command::new(cargo)
                .args(["build", "--quiet", "--workspace", "--all-targets"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .unwrap();
            assert!(status.success(), "building uam-registry failed");
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("uam-registry")
        })
        .clone()
}

/// A tool `scripts/test` installs: the path in the variable `env` if set, else `cached` under
/// the tools cache (`$XDG_CACHE_HOME` or `~/.cache`, then `uam-registry/tools/`). Fails, naming
/// it, when it is not there.
pub fn installed_tool(env: &str, cached: &str) -> std::path::PathBuf {
    let path = std::env::var_os(env)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| {
                    std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cache")
                });
            cache.join("uam-registry/tools").join(cached)
        });
    assert!(
        path.exists(),
        "{} is needed (scripts/test installs it; `{env}` may name another)",
        path.display()
    );
    path
}
