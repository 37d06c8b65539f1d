//! Repeated runs (issue 22): every run of a release build keeps its results as
//! `bench/results/run-<start>.json`. The summary takes, for each benchmark, the latest runs that
//! measured it (at most `runs`, of any session) and gives each figure as the median of those runs
//! with its spread (min–max, and (max − min) / median); each reference's figure likewise; each
//! ratio as the median of the runs' own ratios (a run's service figure against the reference of
//! the same run). Targets are judged on the medians, except correctness checks (errors, missing
//! deliveries), which fail when any run failed them. With fewer than [`MIN_RUNS`] runs it says how
//! many it has.
//!
//! Smoke runs and debug builds are never counted. A benchmark no kept run measured falls back to
//! `latest.json` (one run, said so), so that the figures of before the runs were kept stay shown.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use crate::report::{Row, Target, Verdict, number};

/// Runs a median needs to mean something (issue 22: at least three).
pub const MIN_RUNS: usize = 3;
/// Runs per benchmark taken by default (`bench summary --runs N`, N >= [`MIN_RUNS`]).
pub const DEFAULT_RUNS: usize = 3;

/// One run's results, as kept.
#[derive(Debug, Clone)]
pub struct KeptRun {
    pub file: PathBuf,
    pub started_at: String,
    pub commit: Option<String>,
    pub rows: Vec<Row>,
}

/// The kept runs of `dir` (`run-*.json`), oldest first; smoke runs and debug builds left out
/// unless `include_debug`. Then, for each benchmark no kept run measured, its rows of
/// `latest.json` (if any), as one run each, dated by the run they came from.
pub fn load(dir: &Path, include_debug: bool) -> anyhow::Result<Vec<KeptRun>> {
    let mut runs = Vec::new();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("run-") && n.ends_with(".json"))
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let value: Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
        let run = &value["run"];
        if run["smoke"].as_bool() == Some(true)
            || (!include_debug && run["profile"].as_str() != Some("release"))
        {
            continue;
        }
        let rows: Vec<Row> = serde_json::from_value(value["rows"].clone())
            .with_context(|| format!("the rows of {}", file.display()))?;
        runs.push(KeptRun {
            file,
            started_at: run["started_at"].as_str().unwrap_or_default().to_owned(),
            commit: run["git_commit"].as_str().map(str::to_owned),
            rows,
        });
    }
    let latest = dir.join("latest.json");
    if latest.is_file() {
        let value: Value = serde_json::from_str(
            &std::fs::read_to_string(&latest)
                .with_context(|| format!("reading {}", latest.display()))?,
        )
        .with_context(|| format!("parsing {}", latest.display()))?;
        let rows: Vec<Row> = serde_json::from_value(value["rows"].clone()).unwrap_or_default();
        let kept: Vec<(String, Value)> =
            serde_json::from_value(value["kept"].clone()).unwrap_or_default();
        let mut suites: Vec<&str> = rows.iter().map(|r| r.suite.as_str()).collect();
        suites.dedup();
        for suite in suites {
            if runs.iter().any(|r| r.rows.iter().any(|x| x.suite == suite)) {
                continue;
            }
            let run = kept
                .iter()
                .find(|(s, _)| s == suite)
                .map_or(&value["run"], |(_, r)| r);
            if !include_debug && run["profile"].as_str() != Some("release") {
                continue;
            }
            runs.push(KeptRun {
                file: latest.clone(),
                started_at: run["started_at"].as_str().unwrap_or_default().to_owned(),
                commit: run["git_commit"].as_str().map(str::to_owned),
                rows: rows.iter().filter(|r| r.suite == suite).cloned().collect(),
            });
        }
    }
    runs.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    Ok(runs)
}

/// Median, least and greatest of some runs' figures.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            f64::midpoint(v[n / 2 - 1], v[n / 2])
        };
        Some(Self {
            median,
            min: v[0],
            max: v[n - 1],
        })
    }

    /// (max − min) / |median|.
    pub fn relative(&self) -> Option<f64> {
        (self.median != 0.0).then(|| (self.max - self.min) / self.median.abs())
    }
}

/// One figure over the runs that measured it.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub suite: String,
    pub benchmark: String,
    pub metric: String,
    pub unit: String,
    /// Runs that measured it.
    pub runs: usize,
    pub value: Spread,
    pub reference: Option<Spread>,
    pub reference_label: Option<String>,
    /// Each run's `value / reference`.
    pub ratio: Option<Spread>,
    /// As the latest run states it.
    pub target: Option<Target>,
    pub target_text: Option<String>,
    pub gate: bool,
    pub verdict: Verdict,
}

/// A run a summary used.
#[derive(Debug, Clone, Serialize)]
pub struct RunRef {
    pub started_at: String,
    pub commit: Option<String>,
    /// The file it was read from (`latest.json` when no kept run measured the benchmark).
    pub file: String,
}

/// The runs of one benchmark and its figures.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteSummary {
    pub suite: String,
    /// The runs used, oldest first.
    pub runs: Vec<RunRef>,
    pub figures: Vec<Figure>,
}

/// The summary of every benchmark in `runs` (oldest first): for each, its latest `per_suite`
/// runs.
pub fn summarize(runs: &[KeptRun], per_suite: usize) -> Vec<SuiteSummary> {
    let mut suites: Vec<String> = Vec::new();
    for run in runs.iter().rev() {
        for row in &run.rows {
            if !suites.contains(&row.suite) {
                suites.push(row.suite.clone());
            }
        }
    }
    const ORDER: [&str; 6] = [
        "search", "matching", "alerts", "bulk", "consult", "embedded",
    ];
    suites.sort_by_key(|s| ORDER.iter().position(|o| o == s).unwrap_or(ORDER.len()));
    suites
        .into_iter()
        .map(|suite| {
            let mut used: Vec<(&KeptRun, Vec<&Row>)> = runs
                .iter()
                .rev()
                .filter_map(|r| {
                    let rows: Vec<&Row> = r.rows.iter().filter(|x| x.suite == suite).collect();
                    (!rows.is_empty()).then_some((r, rows))
                })
                .take(per_suite.max(1))
                .collect();
            used.reverse();
            // Figures in the order of the newest run, then any only older runs had.
            let mut keys: Vec<(&str, &str)> = Vec::new();
            for (_, rows) in used.iter().rev() {
                for r in rows {
                    let key = (r.benchmark.as_str(), r.metric.as_str());
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
            let figures = keys
                .iter()
                .filter_map(|(benchmark, metric)| {
                    let rows: Vec<&Row> = used
                        .iter()
                        .filter_map(|(_, rows)| {
                            rows.iter()
                                .find(|r| r.benchmark == *benchmark && r.metric == *metric)
                                .copied()
                        })
                        .collect();
                    figure(&rows)
                })
                .collect();
            SuiteSummary {
                runs: used
                    .iter()
                    .map(|(r, _)| RunRef {
                        started_at: r.started_at.clone(),
                        commit: r.commit.clone(),
                        file: r
                            .file
                            .file_name()
                            .map(|f| f.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                    })
                    .collect(),
                suite,
                figures,
            }
        })
        .collect()
}

/// One figure from its rows, oldest run first.
fn figure(rows: &[&Row]) -> Option<Figure> {
    let newest = rows.last()?;
    let values: Vec<f64> = rows.iter().map(|r| r.value).collect();
    let value = Spread::of(&values)?;
    let references: Vec<f64> = rows.iter().filter_map(|r| r.reference).collect();
    let ratios: Vec<f64> = rows.iter().filter_map(|r| r.ratio).collect();
    let reference = Spread::of(&references);
    let ratio = Spread::of(&ratios);
    let verdict = match newest.target {
        None => Verdict::Info,
        // A correctness check fails when any run failed it.
        Some(target) if newest.gate => {
            let failed = rows.iter().any(|r| {
                target.met_with(r.value, r.reference, r.ratio) == Some(false)
                    || r.verdict == Verdict::Fail
            });
            if failed { Verdict::Fail } else { Verdict::Pass }
        }
        Some(target) => match target.met_with(
            value.median,
            reference.map(|s| s.median),
            ratio.map(|s| s.median),
        ) {
            Some(true) => Verdict::Pass,
            Some(false) => Verdict::Miss,
            None => Verdict::Info,
        },
    };
    Some(Figure {
        suite: newest.suite.clone(),
        benchmark: newest.benchmark.clone(),
        metric: newest.metric.clone(),
        unit: newest.unit.clone(),
        runs: rows.len(),
        value,
        reference,
        reference_label: newest.reference_label.clone(),
        ratio,
        target: newest.target,
        target_text: newest.target_text.clone(),
        gate: newest.gate,
        verdict,
    })
}

fn with_unit(v: f64, unit: &str) -> String {
    format!("{} {unit}", number(v)).trim().to_owned()
}

/// `min–max (r%)`, or `-` for a single run.
pub fn spread_text(s: &Spread, unit: &str, runs: usize) -> String {
    if runs < 2 {
        return "-".to_owned();
    }
    let range = format!("{}–{}", number(s.min), with_unit(s.max, unit));
    match s.relative() {
        Some(r) => format!("{range} ({:.0}%)", r * 100.0),
        None => range,
    }
}

/// The number of runs, with how many a median needs when fewer.
pub fn runs_text(runs: usize) -> String {
    if runs < MIN_RUNS {
        format!("{runs} (< {MIN_RUNS})")
    } else {
        runs.to_string()
    }
}

impl Figure {
    pub fn value_text(&self) -> String {
        with_unit(self.value.median, &self.unit)
    }

    /// The reference's median and label, if any.
    pub fn reference_text(&self) -> Option<String> {
        let (r, label) = (self.reference?, self.reference_label.as_deref()?);
        Some(format!("{} ({label})", with_unit(r.median, &self.unit)))
    }

    /// The median of the runs' ratios, with their range when several.
    pub fn ratio_text(&self) -> Option<String> {
        let r = self.ratio?;
        Some(if self.runs > 1 && r.max > r.min {
            format!("{} ({}–{})", number(r.median), number(r.min), number(r.max))
        } else {
            number(r.median)
        })
    }

    /// By how much a missed target is missed, on the medians.
    pub fn miss_factor(&self) -> Option<String> {
        let ratio = self.ratio.map(|r| r.median);
        let v = self.value.median;
        match (self.target?, ratio) {
            (Target::AtMost(t), _) if t > 0.0 => Some(format!("{}× the target", number(v / t))),
            (Target::AtLeast(t), _) if v > 0.0 => Some(format!("target {}× this", number(t / v))),
            (Target::RatioAtLeast(t), Some(r)) if r > 0.0 => {
                Some(format!("target {}× this ratio", number(t / r)))
            }
            (Target::RatioAtMost(t), Some(r)) if t > 0.0 => {
                Some(format!("{}× the target ratio", number(r / t)))
            }
            _ => None,
        }
    }

    /// `pass`, `MISS`, `FAIL` or nothing; with the number of runs when fewer than [`MIN_RUNS`].
    pub fn result_text(&self, markdown: bool) -> String {
        let word = match self.verdict {
            Verdict::Pass => "pass".to_owned(),
            Verdict::Info => return String::new(),
            Verdict::Fail if markdown => "**FAIL**".to_owned(),
            Verdict::Fail => "FAIL".to_owned(),
            Verdict::Miss => {
                let w = if markdown { "**MISS**" } else { "MISS" };
                match self.miss_factor() {
                    Some(f) => format!("{w} ({f})"),
                    None => w.to_owned(),
                }
            }
        };
        if self.runs < MIN_RUNS && !self.gate {
            format!(
                "{word}, on {} run{}",
                self.runs,
                if self.runs == 1 { "" } else { "s" }
            )
        } else {
            word
        }
    }
}

/// The summary as a plain-text table, with the runs each benchmark's figures come from.
pub fn table(summaries: &[SuiteSummary]) -> String {
    let header = [
        "benchmark",
        "metric",
        "median",
        "spread (min–max)",
        "runs",
        "reference (median)",
        "ratio (median of runs)",
        "target",
        "result",
    ];
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
    for s in summaries {
        for f in &s.figures {
            lines.push(vec![
                f.benchmark.clone(),
                f.metric.clone(),
                f.value_text(),
                spread_text(&f.value, &f.unit, f.runs),
                runs_text(f.runs),
                f.reference_text().unwrap_or_else(|| "-".to_owned()),
                f.ratio_text().unwrap_or_else(|| "-".to_owned()),
                f.target_text.clone().unwrap_or_else(|| "-".to_owned()),
                match f.result_text(false).as_str() {
                    "" => "-".to_owned(),
                    t => t.to_owned(),
                },
            ]);
        }
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (n, l) in lines.iter().enumerate() {
        let cells: Vec<String> = l
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join(" | ").trim_end());
        out.push('\n');
        if n == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("-|-"));
            out.push('\n');
        }
    }
    out.push_str(&runs_used(summaries));
    out
}

/// For each benchmark: how many runs, and which (start, commit).
pub fn runs_used(summaries: &[SuiteSummary]) -> String {
    let mut out = String::new();
    for s in summaries {
        let list: Vec<String> = s
            .runs
            .iter()
            .map(|r| {
                let commit = r.commit.as_deref().map_or("?", |c| &c[..c.len().min(7)]);
                let from = if r.file == "latest.json" {
                    ", from latest.json"
                } else {
                    ""
                };
                format!(
                    "{} ({commit}{from})",
                    r.started_at.get(..16).unwrap_or(&r.started_at)
                )
            })
            .collect();
        let note = if s.runs.len() < MIN_RUNS {
            format!(", fewer than the {MIN_RUNS} a median needs")
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{}: {} run{}{note}: {}\n",
            s.suite,
            s.runs.len(),
            if s.runs.len() == 1 { "" } else { "s" },
            list.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(at: &str, rows: Vec<Row>) -> KeptRun {
        KeptRun {
            file: PathBuf::from(format!("run-{at}.json")),
            started_at: at.to_owned(),
            commit: Some("abcdef0123".to_owned()),
            rows: rows
                .into_iter()
                .map(|mut r| {
                    r.suite = "consult".to_owned();
                    r
                })
                .collect(),
        }
    }

    fn consult(rate: f64, minimal: f64, p99: f64, errors: f64) -> Vec<Row> {
        vec![
            Row::new(
                "consult",
                "throughput to the minimal transaction",
                rate,
                "req/s",
            )
            .reference(minimal, "minimal transaction tps")
            .target(Target::RatioAtLeast(1.5)),
            Row::new("consult", "p99", p99, "ms").target(Target::AtMost(20.0)),
            Row::new("consult", "errors", errors, "").gate(Target::AtMost(0.0)),
        ]
    }

    #[test]
    fn medians_spreads_and_ratios_of_runs() {
        assert_eq!(Spread::of(&[3.0, 1.0, 2.0]).unwrap().median, 2.0);
        assert_eq!(Spread::of(&[4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert!(Spread::of(&[]).is_none());
        let runs = vec![
            // Older than the latest three: left out.
            run("2026-12-01T00:00:00Z", consult(1.0, 1.0, 999.0, 0.0)),
            run("2026-12-02T00:00:00Z", consult(9000.0, 6000.0, 18.0, 0.0)),
            run("2026-12-03T00:00:00Z", consult(10000.0, 6000.0, 25.0, 0.0)),
            run("2026-12-04T00:00:00Z", consult(8000.0, 4000.0, 19.0, 0.0)),
        ];
        let s = summarize(&runs, 3);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].runs.len(), 3);
        let [ratio, p99, errors] = &s[0].figures[..] else {
            panic!("{:?}", s[0].figures)
        };
        assert_eq!(ratio.runs, 3);
        assert_eq!(ratio.value.median, 9000.0);
        assert_eq!(ratio.reference.unwrap().median, 6000.0);
        // Per-run ratios 1.5, 1.667, 2.0: their median, not 9000 / 6000.
        let r = ratio.ratio.unwrap();
        assert!((r.median - 10000.0 / 6000.0).abs() < 1e-9, "{r:?}");
        assert_eq!((r.min, r.max), (1.5, 2.0));
        assert_eq!(ratio.verdict, Verdict::Pass);
        assert_eq!(p99.value.median, 19.0);
        assert_eq!(
            p99.verdict,
            Verdict::Pass,
            "one run over 20 ms, the median under"
        );
        assert_eq!(spread_text(&p99.value, "ms", 3), "18.00–25.00 ms (37%)");
        assert_eq!(errors.verdict, Verdict::Pass);
        let text = table(&s);
        assert!(
            text.contains("consult: 3 runs: 2026-12-02T00:00 (abcdef0)"),
            "{text}"
        );
    }

    #[test]
    fn a_median_past_its_target_misses_and_one_failed_run_fails() {
        let runs = vec![
            run("2026-12-02T00:00:00Z", consult(5000.0, 6000.0, 22.0, 0.0)),
            run("2026-12-03T00:00:00Z", consult(9000.0, 6000.0, 21.0, 1.0)),
            run("2026-12-04T00:00:00Z", consult(8000.0, 6000.0, 19.0, 0.0)),
        ];
        let s = summarize(&runs, 5);
        let [ratio, p99, errors] = &s[0].figures[..] else {
            panic!()
        };
        assert_eq!(ratio.verdict, Verdict::Miss, "median ratio 1.33 < 1.5");
        assert_eq!(p99.verdict, Verdict::Miss, "median 21 ms > 20 ms");
        assert_eq!(p99.result_text(false), "MISS (1.05× the target)");
        assert_eq!(errors.verdict, Verdict::Fail, "errors in one run of three");
    }

    #[test]
    fn fewer_than_three_runs_are_said() {
        let s = summarize(
            &[run(
                "2026-12-04T00:00:00Z",
                consult(8000.0, 4000.0, 19.0, 0.0),
            )],
            3,
        );
        let p99 = &s[0].figures[1];
        assert_eq!(p99.result_text(true), "pass, on 1 run");
        assert_eq!(runs_text(p99.runs), "1 (< 3)");
        assert!(runs_used(&s).contains("1 run, fewer than the 3 a median needs"));
    }

    #[test]
    fn smoke_and_debug_runs_are_not_kept_figures() {
        let dir = std::env::temp_dir().join(format!("bench-summary-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let row = serde_json::to_value(
            Row::new("consult", "p99", 10.0, "ms").target(Target::AtMost(20.0)),
        )
        .unwrap();
        for (name, smoke, profile) in [
            ("run-a.json", false, "release"),
            ("run-b.json", true, "release"),
            ("run-c.json", false, "debug"),
        ] {
            let mut row = row.clone();
            row["suite"] = "consult".into();
            let value = serde_json::json!({
                "run": {"started_at": name, "smoke": smoke, "profile": profile},
                "rows": [row],
            });
            std::fs::write(dir.join(name), value.to_string()).unwrap();
        }
        let runs = load(&dir, false).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(load(&dir, true).unwrap().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
