//! Latency summaries and process accounting (CPU time, resident memory) read from `/proc`.

use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub count: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    /// Summarises `samples` (any order); percentiles are nearest-rank. An empty sample is an
    /// error, never zeros: a relay that delivered nothing has no latency, not a latency of 0 ms.
    pub fn of(samples: &[Duration]) -> anyhow::Result<Self> {
        anyhow::ensure!(!samples.is_empty(), "an empty sample: nothing was measured");
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            let i = ((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1;
            ms[i]
        };
        Ok(Self {
            count: ms.len(),
            mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
            p50_ms: rank(0.50),
            p90_ms: rank(0.90),
            p99_ms: rank(0.99),
            max_ms: ms[ms.len() - 1],
        })
    }
}

/// Clock ticks per second of `/proc/*/stat` times (USER_HZ, 100 on Linux on every common
/// architecture; read from `getconf` when available).
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0)
}

/// User plus system CPU seconds used so far by process `pid` (its threads included) and by its
/// children that ended and were waited for (so that the PostgreSQL backends of pgbench, which end
/// before the measurement does, are counted through the postmaster).
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name may hold spaces; fields after it are space-separated.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("malformed /proc stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime, stime, cutime and cstime are fields 14 to 17 of stat, i.e. 12 to 15 after the name.
    let ticks: f64 = [11, 12, 13, 14]
        .iter()
        .map(|&i| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        })
        .sum();
    Ok(ticks / ticks_per_second())
}

/// CPU seconds used so far by every process whose command is `name` (e.g. all `postgres`
/// backends). Processes that ended in between are not counted.
pub fn cpu_seconds_of_all(name: &str) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .filter_map(|pid| cpu_seconds(pid).ok())
        .sum()
}

/// Resident set size of process `pid`, in bytes.
pub fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .context("no VmRSS in /proc status")?;
    Ok(kib * 1024)
}

/// The 1-minute load average, to show how busy the machine was around a measurement.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// How the machine's cores were used during a measurement: CPU seconds per wall second (1.0 is
/// one core busy all the time) of the server, the database processes, the load generator and
/// everything else.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CoreShare {
    pub wall_seconds: f64,
    pub server_cores: f64,
    pub postgres_cores: f64,
    pub load_generator_cores: f64,
    /// Total busy cores of the machine (from /proc/stat), minus the three above.
    pub other_cores: f64,
}

/// Starts accounting; [`Accounting::finish`] gives the [`CoreShare`].
pub struct Accounting {
    server: Option<u32>,
    start: std::time::Instant,
    server0: f64,
    postgres0: f64,
    me0: f64,
    busy0: f64,
}

/// Busy CPU seconds of the whole machine (all cores), from /proc/stat.
fn machine_busy_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0.0;
    };
    let Some(line) = stat.lines().next() else {
        return 0.0;
    };
    // cpu user nice system idle iowait irq softirq steal ...
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let busy: f64 = v
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .take(8)
        .map(|(_, x)| x)
        .sum();
    busy / ticks_per_second()
}

impl Accounting {
    /// Accounting for the server `server` (if any), PostgreSQL and this process.
    pub fn start(server: Option<u32>) -> Self {
        Self {
            server,
            start: std::time::Instant::now(),
            server0: server.and_then(|p| cpu_seconds(p).ok()).unwrap_or(0.0),
            postgres0: cpu_seconds_of_all("postgres"),
            me0: cpu_seconds(std::process::id()).unwrap_or(0.0),
            busy0: machine_busy_seconds(),
        }
    }

    pub fn finish(&self) -> CoreShare {
        let wall = self.start.elapsed().as_secs_f64().max(1e-9);
        let server = self
            .server
            .and_then(|p| cpu_seconds(p).ok())
            .map_or(0.0, |s| s - self.server0);
        let postgres = cpu_seconds_of_all("postgres") - self.postgres0;
        let me = cpu_seconds(std::process::id()).unwrap_or(0.0) - self.me0;
        let busy = machine_busy_seconds() - self.busy0;
        CoreShare {
            wall_seconds: wall,
            server_cores: server / wall,
            postgres_cores: postgres.max(0.0) / wall,
            load_generator_cores: me / wall,
            other_cores: ((busy - server - postgres.max(0.0) - me) / wall).max(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let l = Latency::of(&samples).unwrap();
        assert_eq!(l.count, 100);
        assert!((l.p50_ms - 50.0).abs() < 1e-9);
        assert!((l.p99_ms - 99.0).abs() < 1e-9);
        assert!((l.max_ms - 100.0).abs() < 1e-9);
        assert!(Latency::of(&[]).is_err(), "no zeros for an empty sample");
        assert!(rss_bytes(std::process::id()).unwrap() > 0);
        assert!(cpu_seconds(std::process::id()).is_ok());
    }
}
