//! Schemathesis (PyPI `schemathesis`, installed by `scripts/test`) against the application as
//! `uam-registry serve --demo` builds it and its served `/openapi.json`, over five runs that
//! together cover every operation, each with a role and purpose that may use it: no 5xx, every
//! response conforms to the document (status codes, content types, headers, schemas),
//! schema-violating inputs and missing required headers are refused with 4xx problem+json,
//! authentication is not ignored, unsupported methods are 405 with `Allow`. Settings (seed, examples, the checks and why two are tuned) are in
//! `tests/data/security/schemathesis.toml`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use super::demo_with;
use crate::helpers::Backend;

const CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/security/schemathesis.toml"
);

/// The schemathesis command: `SCHEMATHESIS` if set, else the virtual environment that
/// `scripts/test` installs under the tools cache.
fn schemathesis() -> PathBuf {
    let path = std::env::var_os("SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache"));
            cache.join("uam-registry/tools/schemathesis/bin/schemathesis")
        });
    assert!(
        path.exists(),
        "schemathesis is needed at {} (scripts/test installs it)",
        path.display()
    );
    path
}

/// Serves the demo on `backend` (the application as `serve --demo` builds it, on a random port,
/// two workers), and runs Schemathesis on the operations `select`ed (its filter options) with a
/// token for `role` at `agency` (and `X-Purpose: purpose` when given); fails with its report.
async fn fuzz(
    backend: Backend,
    (agency, role): (&str, &str),
    purpose: Option<&str>,
    select: &[&str],
) {
    let app = demo_with(backend, |s| s.workers = 2).await;
    let report = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(schemathesis());
    cmd.args(["--config-file", CONFIG, "--no-color", "run"])
        .arg(app.url("/openapi.json"))
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args(select)
        .arg("--header")
        .arg(format!(
            "Authorization: Bearer {}",
            app.idp.token(agency, role)
        ))
        .arg("--report-dir")
        .arg(report.path())
        .current_dir(report.path());
    if let Some(purpose) = purpose {
        cmd.arg("--header").arg(format!("X-Purpose: {purpose}"));
    }
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .filter(|l| l.contains(" generated, ") || l.contains("Selected:"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    eprintln!(
        "schemathesis as {role} ({purpose:?}) on {backend:?}: {summary}, in {:?}",
        started.elapsed()
    );
    assert!(
        out.status.success(),
        "schemathesis found failures as {role} ({purpose:?}):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// API8 (the document, the problems and the refusals of bad input), API9 (the document is the
/// inventory of what is served), API2 (`ignored_auth`): registration, whose body is the whole
/// record schema, as the guardianship service for identification, on SQLite.
#[tokio::test]
async fn schemathesis_as_guardianship_officer_on_registration() {
    fuzz(
        Backend::Sqlite,
        ("demo-guardianship", "guardianship_officer"),
        Some("identification"),
        &["--include-name", "POST /v1/minors"],
    )
    .await;
}

/// API8, API9, API2: listing, search, history, merge and photos as the guardianship service, for
/// identification, on PostgreSQL.
#[tokio::test]
async fn schemathesis_as_guardianship_officer_on_search_history_merge_and_photos() {
    fuzz(
        Backend::Postgres,
        ("demo-guardianship", "guardianship_officer"),
        Some("identification"),
        &[
            "--include-tag",
            "minors",
            "--exclude-name",
            "POST /v1/minors",
            "--exclude-name",
            "GET /v1/minors/{id}",
            "--exclude-name",
            "PATCH /v1/minors/{id}",
        ],
    )
    .await;
}

/// API8, API9, API2, API3 (a change naming categories the role may not write is 403): reading and
/// changing the record of a child placed with the centre, its access log and the policy, as
/// reception staff for care, on PostgreSQL.
#[tokio::test]
async fn schemathesis_as_reception_staff_on_a_placed_child() {
    fuzz(
        Backend::Postgres,
        ("demo-reception", "reception_staff"),
        Some("care"),
        &[
            "--include-path-regex",
            "^/v1/(minors/\\{id\\}|minors/\\{id\\}/access-log|policy)$",
        ],
    )
    .await;
}

/// API8, API9, API2: disappearance reports, alerts and subscriptions as the police, on SQLite.
#[tokio::test]
async fn schemathesis_as_police_officer_on_alerts_and_subscriptions() {
    fuzz(
        Backend::Sqlite,
        ("demo-police", "police_officer"),
        Some("disappearance"),
        &["--include-tag-regex", "^(alerts|subscriptions)$"],
    )
    .await;
}

/// API8, API9, API2, API5 (the audit endpoints refuse the administrator): agencies, the audit
/// trail, the policy and the probes as the registry administrator, on SQLite.
#[tokio::test]
async fn schemathesis_as_registry_admin_on_agencies_audit_and_probes() {
    fuzz(
        Backend::Sqlite,
        ("registry", "registry_admin"),
        None,
        &["--include-tag-regex", "^(agencies|audit|policy|health)$"],
    )
    .await;
}
