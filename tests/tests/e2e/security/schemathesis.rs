//! Schemathesis (PyPI `schemathesis`, installed by `scripts/test`) against the application as
//! `uam-registry serve --demo` builds it and its served `/openapi.json`, over five runs that
//! together cover every operation, each with a role and purpose that may use it: no 5xx, every
//! response conforms to the document (status codes, content types, headers, schemas),
//! schema-violating inputs and missing required headers are refused with 4xx problem+json,
//! authentication is not ignored, unsupported methods are 405 with `Allow`. Settings (seed, examples, the checks and why two are tuned) are in
//! `tests/data/security/schemathesis.toml`.

use std::collections::BTreeMap;
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
    crate::helpers::installed_tool("SCHEMATHESIS", "schemathesis/bin/schemathesis")
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

/// One Schemathesis run: which operations (its filter options), as whom, for what purpose, on
/// which backend.
struct Run {
    backend: Backend,
    who: (&'static str, &'static str),
    purpose: Option<&'static str>,
    select: &'static [&'static str],
}

/// API8 (the document, the problems and the refusals of bad input), API9 (the document is the
/// inventory of what is served), API2 (`ignored_auth`): registration, whose body is the whole
/// record schema, as the guardianship service for identification, on SQLite.
const REGISTRATION: Run = Run {
    backend: Backend::Sqlite,
    who: ("demo-guardianship", "guardianship_officer"),
    purpose: Some("identification"),
    select: &["--include-name", "POST /v1/minors"],
};

/// API8, API9, API2: listing, search, history, merge and photos as the guardianship service, for
/// identification, on PostgreSQL.
const RECORDS: Run = Run {
    backend: Backend::Postgres,
    who: ("demo-guardianship", "guardianship_officer"),
    purpose: Some("identification"),
    select: &[
        "--include-tag",
        "minors",
        "--exclude-name",
        "POST /v1/minors",
        "--exclude-name",
        "GET /v1/minors/{id}",
        "--exclude-name",
        "PATCH /v1/minors/{id}",
    ],
};

/// API8, API9, API2, API3 (a change naming categories the role may not write is 403): reading and
/// changing the record of a child placed with the centre, its access log and the policy, as
/// reception staff for care, on PostgreSQL.
const PLACED_CHILD: Run = Run {
    backend: Backend::Postgres,
    who: ("demo-reception", "reception_staff"),
    purpose: Some("care"),
    select: &[
        "--include-path-regex",
        "^/v1/(minors/\\{id\\}|minors/\\{id\\}/access-log|policy)$",
    ],
};

/// API8, API9, API2: disappearance reports, alerts and subscriptions (their deliveries and dead
/// letters included) as the police, on SQLite.
const ALERTS: Run = Run {
    backend: Backend::Sqlite,
    who: ("demo-police", "police_officer"),
    purpose: Some("disappearance"),
    select: &["--include-tag-regex", "^(alerts|subscriptions)$"],
};

/// API8, API9, API2, API5 (the audit endpoints refuse the administrator): agencies, the audit
/// trail, the policy and the probes as the registry administrator, on SQLite.
const ADMINISTRATION: Run = Run {
    backend: Backend::Sqlite,
    who: ("registry", "registry_admin"),
    purpose: None,
    select: &["--include-tag-regex", "^(agencies|audit|policy|health)$"],
};

/// API8, API9, API2: the statistics (JSON, CSV, SVG) as an analyst, for statistics, on
/// PostgreSQL.
const STATISTICS: Run = Run {
    backend: Backend::Postgres,
    who: ("demo-police", "analyst"),
    purpose: Some("statistics"),
    select: &["--include-tag", "statistics"],
};

/// API8, API9, API2: a record's lifecycle (retention rules, restriction, closure, review,
/// redaction, the child's access) as the guardianship service, for guardianship, on SQLite.
const LIFECYCLE: Run = Run {
    backend: Backend::Sqlite,
    who: ("demo-guardianship", "guardianship_officer"),
    purpose: Some("guardianship"),
    select: &["--include-tag", "lifecycle"],
};

/// API8, API9, API2: roll calls, absences and follow-up tasks (issue 21) as reception staff, for
/// care, on PostgreSQL.
const EPISODES: Run = Run {
    backend: Backend::Postgres,
    who: ("demo-reception", "reception_staff"),
    purpose: Some("care"),
    select: &["--include-tag", "episodes"],
};

const RUNS: [&Run; 8] = [
    &REGISTRATION,
    &RECORDS,
    &PLACED_CHILD,
    &ALERTS,
    &ADMINISTRATION,
    &STATISTICS,
    &LIFECYCLE,
    &EPISODES,
];

async fn run(run: &Run) {
    fuzz(run.backend, run.who, run.purpose, run.select).await;
}

#[tokio::test]
async fn schemathesis_as_guardianship_officer_on_registration() {
    run(&REGISTRATION).await;
}

#[tokio::test]
async fn schemathesis_as_guardianship_officer_on_search_history_merge_and_photos() {
    run(&RECORDS).await;
}

#[tokio::test]
async fn schemathesis_as_reception_staff_on_a_placed_child() {
    run(&PLACED_CHILD).await;
}

#[tokio::test]
async fn schemathesis_as_police_officer_on_alerts_and_subscriptions() {
    run(&ALERTS).await;
}

#[tokio::test]
async fn schemathesis_as_registry_admin_on_agencies_audit_and_probes() {
    run(&ADMINISTRATION).await;
}

#[tokio::test]
async fn schemathesis_as_analyst_on_statistics() {
    run(&STATISTICS).await;
}

#[tokio::test]
async fn schemathesis_as_guardianship_officer_on_the_lifecycle() {
    run(&LIFECYCLE).await;
}

#[tokio::test]
async fn schemathesis_as_reception_staff_on_episodes() {
    run(&EPISODES).await;
}

/// Whether Schemathesis's filter options `select` choose the operation: every `--include-*`
/// option that is given must match (options of one kind: any of them), and no `--exclude-name`.
/// The kinds used here only: `--include-name` and `--exclude-name` (`METHOD /path`),
/// `--include-tag`, `--include-tag-regex`, `--include-path-regex` (searched, as Python's
/// `re.search`).
fn selects(select: &[&str], method: &str, path: &str, tags: &[String]) -> bool {
    let name = format!("{} {path}", method.to_uppercase());
    let mut includes: BTreeMap<&str, bool> = BTreeMap::new();
    for pair in select.chunks(2) {
        let [option, value] = pair else {
            panic!("an option without its value: {pair:?}")
        };
        let hit = match *option {
            "--include-name" | "--exclude-name" => name == *value,
            "--include-tag" => tags.iter().any(|t| t == value),
            "--include-tag-regex" => {
                let re = regex::Regex::new(value).unwrap();
                tags.iter().any(|t| re.is_match(t))
            }
            "--include-path-regex" => regex::Regex::new(value).unwrap().is_match(path),
            other => panic!("an option this check does not know: {other}"),
        };
        if *option == "--exclude-name" {
            if hit {
                return false;
            }
        } else {
            *includes.entry(option).or_default() |= hit;
        }
    }
    includes.values().all(|hit| *hit)
}

/// The runs together fuzz every operation of the committed document: a new operation in none of
/// them fails here.
#[test]
fn every_operation_is_in_some_run() {
    let document: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/openapi.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut operations = 0;
    let mut missing = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let tags: Vec<String> = operation["tags"]
                .as_array()
                .map(|t| t.iter().map(|t| t.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            operations += 1;
            if !RUNS.iter().any(|r| selects(r.select, method, path, &tags)) {
                missing.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(operations > 40, "{operations} operations read");
    assert!(missing.is_empty(), "in no Schemathesis run: {missing:?}");
    // The matcher itself: what each run is known to select, and not.
    assert!(selects(REGISTRATION.select, "post", "/v1/minors", &[]));
    assert!(!selects(
        RECORDS.select,
        "post",
        "/v1/minors",
        &["minors".into()]
    ));
    assert!(selects(
        PLACED_CHILD.select,
        "get",
        "/v1/minors/{id}/access-log",
        &[]
    ));
    assert!(!selects(
        PLACED_CHILD.select,
        "get",
        "/v1/minors/{id}/history",
        &[]
    ));
}
