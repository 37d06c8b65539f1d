//! Fault tolerance and endurance of the real `uam-registry` binary: PostgreSQL stopped and started
//! under load, the Kafka broker stopped during a burst of reports, the service killed with SIGKILL
//! in the middle of a burst, and a soak of mixed load with a bound on resident memory.
//!
//! Every test here runs the service as a child process (`crate::cli::Server`) with `UAM_*`
//! variables, so that what is tested is what operators run.

mod broker;
mod burst;
mod postgres;
mod sigkill;
mod soak;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use crate::cli::uam;

/// `uam-registry` for a server under load: [`uam`] with the rate limits off, as the benchmarks run
/// it (the load comes from one subject on one address, faster than any person; the limits have
/// their own tests in `security/ratelimit.rs`).
pub(crate) fn under_load(dir: &Path) -> Command {
    let mut cmd = uam(dir);
    cmd.env("UAM_RATE_LIMIT_ENABLED", "false");
    cmd
}

/// A token signed with the development key of the server whose data folder is `dir`.
pub(crate) fn token(dir: &Path, agency: &str, role: &str) -> String {
    let out = uam(dir)
        .args(["token", "--sub", "resilience", "--agency", agency])
        .args(["--role", role, "--ttl", "2h"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A client that gives up on a request after 30 s (a hang fails the test instead of blocking it),
/// and never reuses a connection the server may be closing (its keep-alive is 5 s).
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP exchange as the load saw it.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) op: &'static str,
    /// When the request was sent, from the test's start.
    pub(crate) at: Duration,
    pub(crate) elapsed: Duration,
    /// `None`: no HTTP answer (connection refused or reset, timeout).
    pub(crate) status: Option<u16>,
    /// The answer was `application/problem+json` with the same `status` in its body.
    pub(crate) problem: bool,
    /// The error, or the body of a failure, for messages.
    pub(crate) detail: String,
}

impl Call {
    pub(crate) fn is(&self, status: u16) -> bool {
        self.status == Some(status)
    }
}

/// Sends `req`, timing it; returns the call and the JSON body of a 2xx answer.
pub(crate) async fn exchange(
    epoch: Instant,
    op: &'static str,
    req: reqwest::RequestBuilder,
) -> (Call, Option<Value>) {
    let at = epoch.elapsed();
    let started = Instant::now();
    let (status, problem, detail, body) = match req.send().await {
        Err(e) => (None, false, format!("{e:#}"), None),
        Ok(res) => {
            let status = res.status().as_u16();
            let content_type = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            match res.bytes().await {
                Err(e) => (Some(status), false, format!("body: {e:#}"), None),
                Ok(bytes) => {
                    let json: Option<Value> = serde_json::from_slice(&bytes).ok();
                    let problem = content_type == "application/problem+json"
                        && json.as_ref().is_some_and(|b| b["status"] == status);
                    if (200..300).contains(&status) {
                        (Some(status), false, String::new(), json)
                    } else {
                        let text = String::from_utf8_lossy(&bytes).chars().take(300).collect();
                        (Some(status), problem, text, None)
                    }
                }
            }
        }
    };
    let call = Call {
        op,
        at,
        elapsed: started.elapsed(),
        status,
        problem,
        detail,
    };
    (call, body)
}

/// The `ms` of a duration, for figures.
pub(crate) fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// What a webhook receiver got, in arrival order: (webhook-id, body).
pub(crate) type Deliveries = Arc<Mutex<Vec<(String, Value)>>>;

/// A webhook receiver on a random port that accepts everything; returns its URL.
pub(crate) async fn webhook_receiver() -> (String, Deliveries) {
    let got: Deliveries = Arc::default();
    let data = got.clone();
    let server = HttpServer::new(move || {
        let data = data.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let data = data.clone();
            async move {
                let id = req
                    .headers()
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                data.lock().unwrap().push((id, event));
                HttpResponse::NoContent().finish()
            }
        }))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    (format!("http://127.0.0.1:{port}/hook"), got)
}

/// The distinct event ids of `got`, in the order they first arrived.
pub(crate) fn first_arrivals(got: &Deliveries) -> Vec<(String, Value)> {
    let mut seen = std::collections::BTreeSet::new();
    got.lock()
        .unwrap()
        .iter()
        .filter(|(id, _)| seen.insert(id.clone()))
        .cloned()
        .collect()
}

/// A PostgreSQL server of this test alone, in a temporary folder, on a free port, trusting local
/// connections: it can be stopped and started without touching the shared server other tests use.
/// As root, its programs run as the `postgres` OS user (initdb refuses root).
pub(crate) struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
    as_postgres_user: bool,
}

/// The folder of `initdb` and `pg_ctl`: `PG_BIN_DIR`, or the newest `/usr/lib/postgresql/*/bin`,
/// or `pg_config --bindir`.
fn pg_bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return bin;
    }
    let out = Command::new("pg_config").arg("--bindir").output().unwrap();
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PrivatePostgres {
    /// Creates the cluster and starts it.
    pub(crate) fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("uam-pg-")
            .tempdir()
            .unwrap();
        let as_postgres_user = is_root();
        if as_postgres_user {
            let ok = Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path())
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown of the private cluster's folder");
        }
        let pg = Self {
            port: free_port(),
            dir,
            as_postgres_user,
        };
        let out = pg
            .command("initdb")
            .arg("-D")
            .arg(pg.data())
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.watch();
        pg.start_server();
        pg
    }

    /// A watchdog in its own session (so that a test runner killing this test's process group on
    /// a timeout does not kill it too): once this test process is gone, it stops the server and
    /// removes its folder, so that no PostgreSQL outlives a test that never reached `Drop`.
    fn watch(&self) {
        let pg_ctl = self.command("pg_ctl");
        let mut stop: Vec<String> = std::iter::once(pg_ctl.get_program())
            .chain(pg_ctl.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        stop.extend(["-D".into(), self.data().display().to_string()]);
        stop.extend(["-m", "immediate", "stop"].map(String::from));
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            stop = stop
                .iter()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(" "),
            dir = self.dir.path().display(),
        );
        let started = Command::new("setsid")
            .args(["--fork", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(started.success(), "the watchdog of the private cluster");
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let program = pg_bin_dir().join(program);
        let mut cmd = if self.as_postgres_user {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        };
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Starts the server and waits until it accepts connections.
    pub(crate) fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=50",
            self.port,
            self.dir.path().display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("postgres.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            self.log()
        );
    }

    /// Stops the server: `fast` (roll back open transactions, disconnect) or `immediate` (abort
    /// every process, crash recovery at the next start).
    pub(crate) fn stop_server(&self, mode: &str) {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", mode, "-w", "-t", "60", "stop"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub(crate) fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The resident set size of process `pid` in KiB (`VmRSS` of `/proc/<pid>/status`).
pub(crate) fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A pronounceable name, distinct for each `n` (so that search and possible matches see many
/// different children, as in a real registry, rather than one name thousands of times).
pub(crate) fn name(n: usize) -> String {
    const SYLLABLES: [&str; 24] = [
        "ka", "lo", "mi", "sa", "de", "ru", "ta", "ne", "bo", "fi", "ga", "zu", "ha", "jo", "ye",
        "wi", "pa", "qu", "so", "li", "me", "da", "ko", "ri",
    ];
    let mut word = String::new();
    let mut rest = n;
    for _ in 0..4 {
        word.push_str(SYLLABLES[rest % SYLLABLES.len()]);
        rest /= SYLLABLES.len();
    }
    let mut chars = word.chars();
    let first = chars.next().unwrap().to_ascii_uppercase();
    format!("{first}{}", chars.as_str())
}

/// Subscribes the agency of `member`'s token (`body` as `POST /v1/subscriptions` takes it); the
/// subscription's id.
pub(crate) async fn subscribe(
    client: &reqwest::Client,
    server: &crate::cli::Server,
    member: &str,
    body: Value,
) -> String {
    let res = client
        .post(server.url("/v1/subscriptions"))
        .bearer_auth(member)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The set-up of a burst: a webhook of demo-police subscribed by a police officer, and
/// a token of the guardianship officer who registers the children. Returns the subscription's id,
/// the deliveries the webhook receives, and the officer's token.
pub(crate) async fn police_webhook(
    client: &reqwest::Client,
    server: &crate::cli::Server,
    dir: &Path,
) -> (String, Deliveries, String) {
    let police = token(dir, "demo-police", "police_officer");
    let officer = token(dir, "demo-guardianship", "guardianship_officer");
    let (hook, deliveries) = webhook_receiver().await;
    let subscription = subscribe(
        client,
        server,
        &police,
        json!({"kind": "webhook", "url": hook}),
    )
    .await;
    (subscription, deliveries, officer)
}

/// Registers one child per name as the guardianship officer; their ids, in order.
pub(crate) async fn register(
    client: &reqwest::Client,
    server: &crate::cli::Server,
    officer: &str,
    names: impl Iterator<Item = (String, String)>,
) -> Vec<String> {
    let mut children = Vec::new();
    for (given, family) in names {
        let res = client
            .post(server.url("/v1/minors"))
            .bearer_auth(officer)
            .header("x-purpose", "guardianship")
            .json(&json!({"identity": {"given_names": given, "family_name": family}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        children.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    children
}
