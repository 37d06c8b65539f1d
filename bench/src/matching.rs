//! The matching evaluation set (`tests/data/matching`, measured by
//! `tests/tests/e2e/matching_eval.rs`) as benchmark rows: recall@10 overall and per query kind,
//! against the targets of issue 22. The test writes its figures as JSON to the file named by
//! `UAM_MATCHING_REPORT`:
//!
//! ```json
//! {"recall_at_10": 0.986, "kinds": {"year_off": {"queries": 60, "recall_at_10": 0.967}}}
//! ```
//!
//! The benchmark reads a report given to it (`--matching-report`, or `UAM_MATCHING_REPORT` naming
//! a file that exists), or else runs the test with `cargo nextest` and reads what it wrote. The
//! test runs on both backends: a file may hold one report (optionally with `"backend"`), an object
//! of reports keyed by backend, an array of them, or one per line; the folder the benchmark gives
//! the test is read whole, in case each backend writes a file of its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::registry::Env;
use crate::report::{Report, Row, Target};

/// Targets of issue 22 for the evaluation set: recall@10 overall, and of every query kind.
pub const OVERALL_RECALL: f64 = 0.98;
pub const KIND_RECALL: f64 = 0.95;

/// The test that writes the report, as nextest selects it.
const FILTER: &str = "test(matching_eval)";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KindRecall {
    pub queries: usize,
    pub recall_at_10: f64,
}

/// What `matching_eval` reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatchingReport {
    pub recall_at_10: f64,
    #[serde(default)]
    pub kinds: BTreeMap<String, KindRecall>,
    #[serde(default)]
    pub backend: Option<String>,
}

/// The reports in a file's text, each with a label: its `backend`, its key, or `label`.
pub fn reports_of(text: &str, label: &str) -> anyhow::Result<Vec<(String, MatchingReport)>> {
    let one = |value: &Value, fallback: &str| -> anyhow::Result<(String, MatchingReport)> {
        let report: MatchingReport = serde_json::from_value(value.clone())
            .with_context(|| format!("a matching report ({fallback})"))?;
        let name = report
            .backend
            .clone()
            .unwrap_or_else(|| fallback.to_owned());
        Ok((name, report))
    };
    let many = |value: &Value| -> anyhow::Result<Vec<(String, MatchingReport)>> {
        match value {
            Value::Object(map) if map.contains_key("recall_at_10") => Ok(vec![one(value, label)?]),
            Value::Object(map) => map
                .iter()
                .filter(|(_, v)| v.get("recall_at_10").is_some())
                .map(|(k, v)| one(v, k))
                .collect(),
            Value::Array(items) => items.iter().map(|v| one(v, label)).collect(),
            _ => anyhow::bail!("not a matching report"),
        }
    };
    let reports = match serde_json::from_str::<Value>(text) {
        Ok(value) => many(&value)?,
        // One report per line (several writers appending).
        Err(_) => {
            let mut all = Vec::new();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                all.extend(many(&serde_json::from_str(line).context("a JSON line")?)?);
            }
            all
        }
    };
    anyhow::ensure!(!reports.is_empty(), "no matching report in {label}");
    Ok(reports)
}

/// The rows of the reports: recall@10 overall (target [`OVERALL_RECALL`]) and per kind (target
/// [`KIND_RECALL`]) for each.
pub fn rows(reports: &[(String, MatchingReport)]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (label, r) in reports {
        let name = format!("matching evaluation set / {label}");
        rows.push(
            Row::new(&name, "recall@10, overall", r.recall_at_10, "")
                .target(Target::AtLeast(OVERALL_RECALL)),
        );
        for (kind, k) in &r.kinds {
            rows.push(
                Row::new(
                    &name,
                    &format!("recall@10, {kind} ({} queries)", k.queries),
                    k.recall_at_10,
                    "",
                )
                .target(Target::AtLeast(KIND_RECALL)),
            );
        }
    }
    rows
}

/// The reports of every `.json` file in `dir`, by file name.
fn reports_in(dir: &Path) -> anyhow::Result<Vec<(String, MatchingReport)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut all = Vec::new();
    for file in files {
        let label = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        all.extend(reports_of(&text, &label).with_context(|| file.display().to_string())?);
    }
    Ok(all)
}

/// Runs the benchmark: reads `given` if it names a file, else runs the test (writing to `given`,
/// or to a folder of its own) and reads what it wrote. When the test writes nothing (a tree whose
/// test does not know `UAM_MATCHING_REPORT`), the benchmark is reported as not run.
pub fn run(env: &Env, given: Option<&Path>, report: &mut Report) -> anyhow::Result<()> {
    if let Some(path) = given.filter(|p| p.is_file()) {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let reports = reports_of(&text, "report")?;
        report.rows.extend(rows(&reports));
        report.details.insert(
            "matching".to_owned(),
            json!({ "report_file": path, "reports": reports_json(&reports) }),
        );
        return Ok(());
    }
    let dir = env.work_dir.join("matching");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let path = given.map_or_else(|| dir.join("report.json"), Path::to_path_buf);
    let logs = env.work_dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let log = logs.join("matching.log");
    let file =
        std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let repository = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = [
        "nextest",
        "run",
        "--no-fail-fast",
        "-p",
        "tests",
        "-E",
        FILTER,
    ];
    eprintln!(
        "matching: cargo {} (UAM_MATCHING_REPORT={}; log {}) ...",
        args.join(" "),
        path.display(),
        log.display()
    );
    let started = Instant::now();
    let status = std::process::Command::new(&cargo)
        .args(args)
        .current_dir(&repository)
        .env("UAM_MATCHING_REPORT", &path)
        .env(
            "TEST_POSTGRES_URL",
            std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| env.postgres.clone()),
        )
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .context("running cargo nextest (cargo install cargo-nextest)")?;
    let seconds = started.elapsed().as_secs_f64();
    let mut reports = if path.is_file() {
        let text = std::fs::read_to_string(&path)?;
        reports_of(&text, "report")?
    } else {
        Vec::new()
    };
    if path.parent() != Some(dir.as_path()) || reports.is_empty() {
        reports.extend(reports_in(&dir)?);
    }
    if reports.is_empty() {
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(15).collect();
        anyhow::ensure!(
            status.success(),
            "the matching test failed and wrote no report (log {}):\n{}",
            log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
        report.skipped.push((
            "matching".to_owned(),
            format!(
                "the matching test passed but wrote no report to {} (does it know \
                 UAM_MATCHING_REPORT?)",
                path.display()
            ),
        ));
        return Ok(());
    }
    report.rows.extend(rows(&reports));
    report.details.insert(
        "matching".to_owned(),
        json!({ "command": format!("cargo {}", args.join(" ")), "test_passed": status.success(),
                "seconds": seconds, "log": log, "reports": reports_json(&reports) }),
    );
    Ok(())
}

fn reports_json(reports: &[(String, MatchingReport)]) -> Value {
    Value::Object(
        reports
            .iter()
            .map(|(label, r)| (label.clone(), json!(r)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Verdict;

    #[test]
    fn reports_in_every_shape_and_a_kind_below_its_target_is_a_miss() {
        let single = r#"{"recall_at_10": 0.986,
            "kinds": {"exact": {"queries": 100, "recall_at_10": 1.0},
                      "year_off": {"queries": 40, "recall_at_10": 0.925}}}"#;
        let reports = reports_of(single, "report").unwrap();
        assert_eq!(reports.len(), 1);
        let rows = rows(&reports);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].metric, "recall@10, overall");
        assert_eq!(rows[0].verdict, Verdict::Pass);
        assert_eq!(rows[1].verdict, Verdict::Pass);
        assert_eq!(rows[2].metric, "recall@10, year_off (40 queries)");
        assert_eq!(rows[2].verdict, Verdict::Miss, "0.925 < 0.95");
        let low = rows_of_overall(r#"{"recall_at_10": 0.975, "kinds": {}}"#);
        assert_eq!(low.verdict, Verdict::Miss, "0.975 < 0.98");

        let keyed = r#"{"sqlite": {"recall_at_10": 0.99}, "postgres": {"recall_at_10": 0.97}}"#;
        let names: Vec<String> = reports_of(keyed, "r")
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["postgres", "sqlite"]);
        let lines = "{\"recall_at_10\": 0.99, \"backend\": \"sqlite\"}\n\
                     {\"recall_at_10\": 0.98, \"backend\": \"postgres\"}\n";
        assert_eq!(reports_of(lines, "r").unwrap().len(), 2);
        assert!(reports_of("{}", "r").is_err());
    }

    fn rows_of_overall(text: &str) -> Row {
        rows(&reports_of(text, "r").unwrap()).remove(0)
    }
}
