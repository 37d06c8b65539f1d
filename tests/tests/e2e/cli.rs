//! The `uam-registry` binary: settings errors, migrate, token, serve with JSON logs and SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{Backend, TestDatabase, binary};

/// The binary with a clean environment: only what the test sets.
pub(crate) fn uam(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(binary());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("UAM_DATA_DIR", dir)
        .current_dir(dir);
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn unknown_or_invalid_settings_stop_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str); 12] = [
        ("UAM_COLOUR", "blue", "UAM_COLOUR"),
        ("UAM_DATABASE_POOL_SIZE", "lots", "database_pool_size"),
        ("UAM_DATABASE_POOL_SIZE", "0", "database_pool_size"),
        ("UAM_DATABASE_URL", "mysql://x", "database_url"),
        ("UAM_LOG_FORMAT", "xml", "log_format"),
        (
            "UAM_AUTH_JWKS_REFRESH_SECONDS",
            "0",
            "auth_jwks_refresh_seconds",
        ),
        (
            "UAM_AUTH_MAX_TOKEN_LIFETIME_SECONDS",
            "2592001",
            "auth_max_token_lifetime_seconds",
        ),
        (
            "UAM_WEBHOOK_ALLOWED_HOSTS",
            "127.0.0.1,http://hooks.internal/",
            "webhook_allowed_hosts",
        ),
        ("UAM_SWEEP_INTERVAL_MS", "0", "sweep_interval_ms"),
        ("UAM_RELAY_WORKERS", "65", "relay_workers"),
        ("UAM_RELAY_WORKERS", "2", "relay_workers"),
        ("UAM_STREAM_POLL_MS", "5", "stream_poll_ms"),
    ];
    for (var, value, named) in cases {
        let out = uam(dir.path())
            .env(var, value)
            .arg("migrate")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{var}={value}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(named),
            "{var}={value} names {named}: {}",
            stderr(&out)
        );
    }

    let file = dir.path().join("uam.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:9\"\ncolour = \"blue\"\n").unwrap();
    let out = uam(dir.path())
        .arg("--config")
        .arg(&file)
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("colour") && stderr(&out).contains("uam.toml"),
        "{}",
        stderr(&out)
    );

    let out = uam(dir.path())
        .args(["--config", "/no/such/file.toml", "migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/no/such/file.toml"));
}

#[test]
fn settings_layer_defaults_file_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("uam.toml"),
        "database_pool_size = 3\nlog_level = \"debug\"\n",
    )
    .unwrap();
    let file = dir.path().join("uam.toml");
    // Through the library: the same loader the binary uses.
    let from_file = api::config::Settings::load(Some(&file)).unwrap();
    assert_eq!(from_file.database_pool_size, 3);
    assert_eq!(from_file.log_level, "debug");
    assert_eq!(
        from_file.auth_audience, "uam-registry",
        "defaults fill the rest"
    );
    assert!(
        from_file.webhook_allowed_hosts.is_empty(),
        "none by default"
    );

    // A list of hosts: as a list, or as names separated by commas (as in the environment).
    for written in [
        r#"webhook_allowed_hosts = ["127.0.0.1", "hooks.internal"]"#,
        r#"webhook_allowed_hosts = "127.0.0.1, hooks.internal""#,
    ] {
        std::fs::write(&file, written).unwrap();
        let settings = api::config::Settings::load(Some(&file)).unwrap();
        assert_eq!(
            settings.webhook_allowed_hosts,
            ["127.0.0.1", "hooks.internal"],
            "{written}"
        );
    }
}

#[test]
fn migrate_applies_migrations_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = TestDatabase::create(backend);
        std::fs::create_dir_all(&db.data_dir).unwrap();
        for _ in 0..2 {
            let out = uam(&db.data_dir)
                .env("UAM_DATABASE_URL", &db.url)
                .arg("migrate")
                .output()
                .unwrap();
            assert!(out.status.success(), "{backend:?}: {}", stderr(&out));
        }
    }
}

#[test]
fn help_for_each_command() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["token", "--help"],
    ] {
        let out = uam(dir.path()).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

/// `token` signs only with a key the service has: run on a data_dir where no service ever
/// started, it fails, naming the folder it looked in, prints no token and makes no key (a new key
/// would sign tokens every service refuses as `unknown key id`). With the key, it says which
/// data_dir it used.
#[test]
fn the_token_command_refuses_to_make_a_key_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let mint = || {
        uam(dir.path())
            .args(["token", "--sub", "s", "--agency", "registry"])
            .args(["--role", "registry_admin"])
            .output()
            .unwrap()
    };
    let out = mint();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no token is printed");
    let folder = dir.path().canonicalize().unwrap();
    let message = stderr(&out);
    assert!(message.contains("no development key in"), "{message}");
    assert!(
        message.contains(folder.to_str().unwrap())
            || message.contains(dir.path().to_str().unwrap()),
        "names the data_dir: {message}"
    );
    assert!(
        !dir.path().join("dev-signing-key.pem").exists(),
        "no key made"
    );

    infra::auth::DevKey::load_or_create(dir.path()).unwrap();
    let out = mint();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("data_dir"),
        "says which data_dir: {}",
        stderr(&out)
    );
}

/// `token --ttl` mints no token the service would refuse for its lifetime: 12 h (the default
/// `auth_max_token_lifetime_seconds`, 43,200 s) passes and the token's `exp` lies 43,200 s after
/// its `iat`; 13 h fails with a non-zero exit and a message naming the setting, printing no token;
/// with `UAM_AUTH_MAX_TOKEN_LIFETIME_SECONDS=3600`, 2 h fails and 1 h passes.
#[test]
fn the_token_command_refuses_a_lifetime_beyond_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    // The key a service started on this data_dir would have made.
    infra::auth::DevKey::load_or_create(dir.path()).unwrap();
    let mint = |ttl: &str, limit: Option<&str>| {
        let mut cmd = uam(dir.path());
        if let Some(limit) = limit {
            cmd.env("UAM_AUTH_MAX_TOKEN_LIFETIME_SECONDS", limit);
        }
        cmd.args(["token", "--sub", "s", "--agency", "registry"])
            .args(["--role", "registry_admin", "--ttl", ttl])
            .output()
            .unwrap()
    };
    let out = mint("12h", None);
    assert!(out.status.success(), "12h: {}", stderr(&out));
    let token = String::from_utf8(out.stdout).unwrap();
    let claims: serde_json::Value =
        jsonwebtoken::dangerous::insecure_decode_claims(token.trim()).unwrap();
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        43_200
    );

    for (ttl, limit) in [("13h", None), ("2h", Some("3600"))] {
        let out = mint(ttl, limit);
        assert!(!out.status.success(), "--ttl {ttl} with limit {limit:?}");
        assert!(out.stdout.is_empty(), "no token is printed for --ttl {ttl}");
        assert!(
            stderr(&out).contains("auth_max_token_lifetime_seconds"),
            "--ttl {ttl}: {}",
            stderr(&out)
        );
    }
    assert!(mint("1h", Some("3600")).status.success());
}

/// Whether bytes the client at `client_port` sent wait unread in the server's socket (the
/// `rx_queue` of the server's end in `/proc/net/tcp`; true while that end is not listed yet).
fn server_has_unread(server_port: u16, client_port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let port =
        |address: &str| u16::from_str_radix(address.rsplit(':').next().unwrap(), 16).unwrap();
    table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| port(f[1]) == server_port && port(f[2]) == client_port)
        .is_none_or(|f| u64::from_str_radix(f[4].rsplit(':').next().unwrap(), 16).unwrap() > 0)
}

/// A `serve` child process on a random port, killed if the test fails.
pub(crate) struct Server {
    pub(crate) child: std::process::Child,
    port: u16,
    log: std::sync::mpsc::Receiver<String>,
}

impl Server {
    #[expect(
        clippy::zombie_processes,
        reason = "Drop kills and waits for the child"
    )]
    pub(crate) fn start(mut cmd: Command) -> Self {
        let mut child = cmd
            .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
            .env("UAM_LOG_FORMAT", "json")
            // The tests' webhook receivers listen on 127.0.0.1, over plain http.
            .env("UAM_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap();
            let entry: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|_| panic!("JSON log: {line}"));
            if entry["message"] == "serving" {
                let port = entry["port"].as_u64().unwrap() as u16;
                return Self {
                    child,
                    port,
                    log: rx,
                };
            }
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text log written to a pipe or a file holds no terminal colour codes.
#[test]
fn a_log_that_is_not_a_terminal_is_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = uam(dir.path())
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("UAM_LOG_FORMAT", "text")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        let serving = line.contains("serving");
        seen.push(line);
        if serving {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.last().is_some_and(|l| l.contains("serving")),
        "{seen:#?}"
    );
    assert!(
        seen.iter().all(|l| !l.contains('\u{1b}')),
        "colour codes in the log: {seen:#?}"
    );
}

#[tokio::test]
async fn a_token_from_the_cli_is_accepted_and_sigterm_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(uam(dir.path()));
    let out = uam(dir.path())
        .args([
            "token",
            "--sub",
            "alice",
            "--agency",
            "demo-police",
            "--role",
            "police_officer",
            "--ttl",
            "10m",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(!dir.path().join("..").join("dev-signing-key.pem").exists());
    assert!(
        dir.path().join("dev-signing-key.pem").exists(),
        "the key is kept in the data folder"
    );

    let client = reqwest::Client::new();
    let res = client
        .get(server.url("/v1/agencies/demo-police"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();

    // A token for a role that does not fit the agency is refused even though well signed.
    let out = uam(dir.path())
        .args([
            "token",
            "--sub",
            "bob",
            "--agency",
            "demo-police",
            "--role",
            "guardian",
        ])
        .output()
        .unwrap();
    let misfit = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let res = client
        .get(server.url("/v1/agencies"))
        .bearer_auth(&misfit)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let out = uam(dir.path())
        .args([
            "token",
            "--sub",
            "x",
            "--agency",
            "demo-police",
            "--role",
            "sheriff",
        ])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "an unknown role is refused by the CLI"
    );

    // SIGTERM while a request is in flight: the request is answered, then the process exits on
    // its own, successfully. The request (an agency created by the registry administrator) is
    // sent by hand on a connection the server is already serving: its head and half its body
    // before the signal, the rest once the server has logged that it is shutting down.
    let out = uam(dir.path())
        .args([
            "token",
            "--sub",
            "root",
            "--agency",
            "registry",
            "--role",
            "registry_admin",
        ])
        .output()
        .unwrap();
    let admin = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    conn.write_all(b"GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 512];
    let n = conn.read(&mut answer).unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200"), "served first");
    let body = r#"{"id":"zone-sigterm","kind":"police","name":"Zone Sigterm","country":"BE"}"#;
    let (first, rest) = body.split_at(body.len() / 2);
    write!(
        conn,
        "POST /v1/agencies HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {admin}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    conn.flush().unwrap();
    // Before the signal, the server has read what was sent: nothing waits in its socket.
    let ours = conn.local_addr().unwrap().port();
    let deadline = Instant::now() + Duration::from_secs(10);
    while server_has_unread(server.port, ours) {
        assert!(
            Instant::now() < deadline,
            "the server never read the request"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // What is read is handed to the application a moment later: a request whose head the server
    // has not parsed yet is not in flight, and graceful shutdown rightly drops it (seen when the
    // signal came within microseconds of the read).
    std::thread::sleep(Duration::from_millis(100));
    let mut server = server;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut earlier = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let line = server
            .log
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server logs that it shuts down");
        let shutting = line.contains("graceful shutdown");
        earlier.push(line);
        if shutting {
            break;
        }
    }
    conn.write_all(rest.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut chunk).unwrap();
        assert!(n > 0, "the connection closed without an answer");
        answer.extend_from_slice(&chunk[..n]);
    }
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight is answered: {answer}"
    );
    drop(conn);
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");

    // Every log line is JSON; the request's lines carry its request id.
    let lines: Vec<String> = earlier.into_iter().chain(server.log.try_iter()).collect();
    let entries: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        entries.iter().any(|e| e.to_string().contains(&request_id)),
        "a log line names request {request_id}: {lines:?}"
    );
}
