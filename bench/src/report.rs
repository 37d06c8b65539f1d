//! The results of a run: one row per figure, printed as a table and written as JSON.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// What a figure should reach.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Target {
    AtMost(f64),
    AtLeast(f64),
    /// `value / reference` at least this.
    RatioAtLeast(f64),
    /// `value / reference` at most this.
    RatioAtMost(f64),
    /// Strictly above the reference.
    AboveReference,
}

impl Target {
    pub fn text(self, unit: &str) -> String {
        match self {
            Self::AtMost(v) => format!("<= {} {unit}", number(v)),
            Self::AtLeast(v) => format!(">= {} {unit}", number(v)),
            Self::RatioAtLeast(r) => format!("ratio >= {}", number(r)),
            Self::RatioAtMost(r) => format!("ratio <= {}", number(r)),
            Self::AboveReference => "> reference".to_owned(),
        }
    }

    fn met(self, value: f64, reference: Option<f64>) -> Option<bool> {
        let ratio = reference.filter(|r| *r != 0.0).map(|r| value / r);
        self.met_with(value, reference, ratio)
    }

    /// Whether `value` (with its `reference` and `ratio`, given apart: a summary of several runs
    /// judges the median of the runs' ratios, not the ratio of the medians) reaches the target;
    /// `None` when the target needs a reference that is missing.
    pub fn met_with(self, value: f64, reference: Option<f64>, ratio: Option<f64>) -> Option<bool> {
        Some(match self {
            Self::AtMost(v) => value <= v,
            Self::AtLeast(v) => value >= v,
            Self::RatioAtLeast(r) => ratio? >= r,
            Self::RatioAtMost(r) => ratio? <= r,
            Self::AboveReference => value > reference?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Miss,
    /// A correctness check missed (errors, missing deliveries): the product is broken, whatever
    /// its speed. Fails every run.
    Fail,
    /// Reported without a target.
    Info,
}

/// One figure of a benchmark.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// The benchmark (`search`, `consult`, ...) that measured it.
    #[serde(default)]
    pub suite: String,
    pub benchmark: String,
    pub metric: String,
    pub value: f64,
    pub unit: String,
    /// The same measure of the reference, taken in the same run, if there is one.
    pub reference: Option<f64>,
    pub reference_label: Option<String>,
    /// `value / reference`.
    pub ratio: Option<f64>,
    pub target: Option<Target>,
    pub target_text: Option<String>,
    pub verdict: Verdict,
    /// A correctness check rather than a speed target: a miss is a [`Verdict::Fail`].
    #[serde(default)]
    pub gate: bool,
}

impl Row {
    pub fn new(benchmark: &str, metric: &str, value: f64, unit: &str) -> Self {
        Self {
            suite: String::new(),
            benchmark: benchmark.to_owned(),
            metric: metric.to_owned(),
            value,
            unit: unit.to_owned(),
            reference: None,
            reference_label: None,
            ratio: None,
            target: None,
            target_text: None,
            verdict: Verdict::Info,
            gate: false,
        }
    }

    /// A correctness check that must hold (`target`): a miss fails the run, smoke or full.
    pub fn gate(mut self, target: Target) -> Self {
        self.gate = true;
        self.target(target)
    }

    /// Compares with `reference`, measured in the same run by `label`.
    pub fn reference(mut self, reference: f64, label: &str) -> Self {
        self.reference = Some(reference);
        self.reference_label = Some(label.to_owned());
        self.ratio = (reference != 0.0).then(|| self.value / reference);
        self.judge()
    }

    pub fn target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self.target_text = Some(target.text(&self.unit));
        self.judge()
    }

    fn judge(mut self) -> Self {
        self.verdict = match self.target.and_then(|t| t.met(self.value, self.reference)) {
            Some(true) => Verdict::Pass,
            Some(false) if self.gate => Verdict::Fail,
            Some(false) => Verdict::Miss,
            None => Verdict::Info,
        };
        self
    }
}

/// A figure with three significant digits or so, without a trailing `.0`.
pub fn number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_owned()
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A whole run: what ran where, every row, details per benchmark, and what was not run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run: serde_json::Value,
    pub rows: Vec<Row>,
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Benchmarks not run, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Benchmarks run (or attempted) now.
    pub ran: Vec<String>,
    /// Benchmarks whose results were kept from an earlier run (`--merge`), with that run.
    pub kept: Vec<(String, serde_json::Value)>,
}

impl Report {
    pub fn new(run: serde_json::Value) -> Self {
        Self {
            run,
            rows: vec![],
            details: serde_json::Map::new(),
            skipped: vec![],
            ran: vec![],
            kept: vec![],
        }
    }

    /// Takes over from `earlier` (a report written before) the rows and details of every
    /// benchmark not run now, noting the run each came from.
    pub fn merge_earlier(&mut self, earlier: &serde_json::Value) -> anyhow::Result<()> {
        let rows: Vec<Row> = serde_json::from_value(earlier["rows"].clone()).unwrap_or_default();
        let mut suites: Vec<String> = rows.iter().map(|r| r.suite.clone()).collect();
        suites.sort();
        suites.dedup();
        let kept_earlier: Vec<(String, serde_json::Value)> =
            serde_json::from_value(earlier["kept"].clone()).unwrap_or_default();
        for suite in suites
            .iter()
            .filter(|s| !s.is_empty() && !self.ran.contains(s))
        {
            let run = kept_earlier
                .iter()
                .find(|(s, _)| s == suite)
                .map_or_else(|| earlier["run"].clone(), |(_, r)| r.clone());
            self.kept.push((suite.clone(), run));
            self.rows
                .extend(rows.iter().filter(|r| &r.suite == suite).cloned());
            if let Some(d) = earlier["details"].get(suite.as_str()) {
                self.details.insert(suite.clone(), d.clone());
            }
            self.skipped.retain(|(name, _)| name != suite);
        }
        Ok(())
    }

    /// The table: benchmark, metric, value, reference, ratio, target, result.
    pub fn table(&self) -> String {
        let header = [
            "benchmark",
            "metric",
            "value",
            "reference",
            "ratio",
            "target",
            "result",
        ];
        let mut lines: Vec<[String; 7]> = vec![header.map(str::to_owned)];
        for r in &self.rows {
            let value = format!("{} {}", number(r.value), r.unit).trim().to_owned();
            let reference = match (r.reference, &r.reference_label) {
                (Some(v), Some(l)) => format!("{} {} ({l})", number(v), r.unit).replace("  ", " "),
                _ => "-".to_owned(),
            };
            lines.push([
                r.benchmark.clone(),
                r.metric.clone(),
                value,
                reference,
                r.ratio
                    .map_or("-".to_owned(), |x| format!("{}x", number(x))),
                r.target_text.clone().unwrap_or_else(|| "-".to_owned()),
                match r.verdict {
                    Verdict::Pass => "pass",
                    Verdict::Miss => "MISS",
                    Verdict::Fail => "FAIL",
                    Verdict::Info => "-",
                }
                .to_owned(),
            ]);
        }
        let widths: Vec<usize> = (0..7)
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
        for (name, why) in &self.skipped {
            out.push_str(&format!("not run: {name}: {why}\n"));
        }
        for (name, run) in &self.kept {
            out.push_str(&format!(
                "kept from the run of {}: {name}\n",
                run["started_at"].as_str().unwrap_or("an earlier run")
            ));
        }
        out
    }

    /// Whether the run failed: a benchmark could not run (an error, an empty sample), or a
    /// correctness check failed; with `strict`, a missed target too.
    pub fn failed(&self, strict: bool) -> bool {
        self.skipped
            .iter()
            .any(|(_, why)| why.starts_with("FAILED"))
            || self
                .rows
                .iter()
                .any(|r| r.verdict == Verdict::Fail || (strict && r.verdict == Verdict::Miss))
    }

    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_and_table() {
        let pass = Row::new("search", "p99", 40.0, "ms").target(Target::AtMost(50.0));
        assert_eq!(pass.verdict, Verdict::Pass);
        let miss = Row::new("consult", "req/s", 100.0, "req/s")
            .reference(400.0, "pgbench")
            .target(Target::RatioAtLeast(0.5));
        assert_eq!(miss.verdict, Verdict::Miss);
        assert_eq!(miss.ratio, Some(0.25));
        let mut report = Report::new(serde_json::json!({}));
        report.rows = vec![pass, miss];
        let table = report.table();
        assert!(table.contains("MISS") && table.contains("pass") && table.contains("0.250x"));
        assert!(
            !report.failed(false),
            "a missed speed target fails only a strict run"
        );
        assert!(report.failed(true));
        assert_eq!(number(1234.5), "1234");
        assert_eq!(number(12.345), "12.35");
    }

    #[test]
    fn errors_and_missing_deliveries_fail_every_run() {
        let mut report = Report::new(serde_json::json!({}));
        report.rows = vec![
            Row::new("alerts", "missing deliveries", 0.0, "").gate(Target::AtMost(0.0)),
            Row::new("consult", "p99", 90.0, "ms").target(Target::AtMost(50.0)),
        ];
        assert!(!report.failed(false));
        report
            .rows
            .push(Row::new("alerts", "missing deliveries", 1.0, "").gate(Target::AtMost(0.0)));
        assert_eq!(report.rows[2].verdict, Verdict::Fail);
        assert!(
            report.failed(false),
            "one missing delivery fails the smoke run"
        );
        assert!(report.table().contains("FAIL"));
        let mut failed = Report::new(serde_json::json!({}));
        failed.skipped.push((
            "alerts".into(),
            "FAILED: the latency of deliveries: an empty sample".into(),
        ));
        assert!(failed.failed(false), "an empty sample fails the run");
    }
}
