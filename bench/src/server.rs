//! The service under test: the real `uam-registry serve` binary started as a child process on a
//! free loopback port, with its own log file, and development tokens minted by the same binary.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::registry::Env;

/// A running `uam-registry serve`; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    pub base: String,
    pub log: PathBuf,
    pub started: Instant,
}

/// A free TCP port on the loopback interface (free when asked; the server binds it right after).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The environment every run of the binary gets: the bench's data folder (development key), the
/// database, and no rate limits (the load comes from one subject on one address, as fast as the
/// service answers: the default budgets would measure the limiter, not the service).
fn service_env(env: &Env, database_url: &str) -> Vec<(String, String)> {
    vec![
        ("UAM_DATA_DIR".into(), env.work_dir.display().to_string()),
        ("UAM_DATABASE_URL".into(), database_url.into()),
        ("UAM_RATE_LIMIT_ENABLED".into(), "false".into()),
    ]
}

impl Server {
    /// Starts `serve` on `database_url` with the extra `UAM_*` settings in `settings`; returns at
    /// once (see [`Server::wait_ready`]). Output goes to `<work dir>/logs/<label>.log`.
    pub fn start(
        env: &Env,
        database_url: &str,
        label: &str,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let logs = env.work_dir.join("logs");
        std::fs::create_dir_all(&logs)?;
        let log = logs.join(format!("{label}.log"));
        let file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut command = Command::new(&env.server_bin);
        command
            .arg("serve")
            .envs(service_env(env, database_url))
            .env("UAM_BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file);
        for (k, v) in settings {
            command.env(k, v);
        }
        let started = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", env.server_bin.display()))?;
        Ok(Self {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
            started,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `GET /health/ready` every millisecond until it answers 200; returns the time from
    /// the spawn of the process. Fails if the process exits or `timeout` passes.
    pub fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<Duration> {
        loop {
            if ready(self.port) {
                return Ok(self.started.elapsed());
            }
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "uam-registry exited ({status}) before it was ready; see {}",
                    self.log.display()
                );
            }
            if self.started.elapsed() > timeout {
                anyhow::bail!(
                    "uam-registry not ready after {timeout:?}; see {}",
                    self.log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Stops the server: SIGTERM, up to 10 s for a graceful stop, then SIGKILL.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Whether `GET /health/ready` answers 200 on `port`, by a bare HTTP/1.1 exchange (no client
/// library start-up in the measured time).
fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// A development token for `agency` and `role`, minted by `uam-registry token` with the bench's
/// development key (valid 6 hours).
pub fn token(env: &Env, agency: &str, role: &str) -> anyhow::Result<String> {
    let output = Command::new(&env.server_bin)
        .args([
            "token", "--sub", "bench", "--agency", agency, "--role", role, "--ttl", "6h",
        ])
        .envs(service_env(
            env,
            &format!("sqlite://{}", env.work_dir.join("token.db").display()),
        ))
        .output()
        .with_context(|| format!("running {} token", env.server_bin.display()))?;
    if !output.status.success() {
        anyhow::bail!(
            "uam-registry token failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// Time from spawning `<bin> --version` to its exit: what starting any process of this binary
/// costs (loading, dynamic linking), the reference of the cold start.
pub fn process_start(bin: &Path) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let status = Command::new(bin)
        .arg("--version")
        .stdout(Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "{} --version failed", bin.display());
    Ok(started.elapsed())
}

/// A `perf record` of a process, for the profile of a missed target (`bench all --perf`).
pub struct Perf {
    child: Child,
    pub output: PathBuf,
}

impl Perf {
    /// Samples `pid` (all its threads) with call graphs at 499 Hz into `output`. Fails if `perf`
    /// is not installed (Debian: `apt-get install linux-perf`).
    pub fn record(pid: u32, output: &Path) -> anyhow::Result<Self> {
        let child = Command::new("perf")
            .args([
                "record",
                "-q",
                "-F",
                "499",
                "-g",
                "-p",
                &pid.to_string(),
                "-o",
            ])
            .arg(output)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting perf record (apt-get install linux-perf)")?;
        // perf needs a moment to attach to every thread.
        std::thread::sleep(Duration::from_millis(300));
        Ok(Self {
            child,
            output: output.to_path_buf(),
        })
    }

    /// Stops recording (SIGINT, as perf expects) and waits until the file is written.
    pub fn finish(mut self) -> anyhow::Result<PathBuf> {
        Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()?;
        self.child.wait()?;
        Ok(self.output)
    }
}
