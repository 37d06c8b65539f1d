//! Settings: defaults, then an optional TOML file, then `UAM_*` environment variables. An unknown key
//! or an invalid value stops start-up with a message naming the setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Every setting, with the name it has in the file and, upper-cased with the `UAM_` prefix, in the
/// environment (`database_url` is `UAM_DATABASE_URL`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Folder for the embedded database and the development key.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://...`; empty means `sqlite://<data_dir>/uam-registry.db`.
    pub database_url: String,
    /// Most database connections held open.
    pub database_pool_size: u32,
    /// Seconds to wait for a free database connection before answering 503.
    pub database_timeout_seconds: u64,
    /// Path or http(s) URL of the JWKS that verifies tokens; empty means the development key.
    pub auth_jwks: String,
    /// Required `iss` claim.
    pub auth_issuer: String,
    /// Required `aud` claim.
    pub auth_audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub auth_leeway_seconds: u64,
    /// Seconds between two fetches of a JWKS given by URL: a key withdrawn at the identity
    /// provider stops verifying tokens after the next fetch. (A token naming an unknown key id
    /// also causes a fetch, at most once a minute.) A JWKS file is read once, at start.
    pub auth_jwks_refresh_seconds: u64,
    /// Longest token lifetime accepted, in seconds: a token whose `exp` lies further ahead (plus
    /// the leeway) is refused, and `uam-registry token --ttl` mints none longer.
    pub auth_max_token_lifetime_seconds: u64,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Seconds given to in-flight requests on SIGTERM/SIGINT before they are dropped.
    pub shutdown_timeout_seconds: u64,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info` or `api=debug,info`.
    pub log_level: String,
    /// Path of the access policy (TOML); empty means the shipped default (`policy/default.toml`).
    pub policy: String,
    /// Path of the retention rules (TOML); empty means the shipped default
    /// (`policy/retention.toml`). Its outbox rule says how long alert events are kept.
    pub retention: String,
    /// Path of the police zones table (TOML); empty means the shipped default
    /// (`policy/zones.toml`, for the demo agencies).
    pub zones: String,
    /// Kafka bootstrap servers (`host:port,...`); empty disables the Kafka sink.
    pub kafka_brokers: String,
    /// How long the Kafka producer tries to have a record acknowledged, and the admin client an
    /// operation done, in milliseconds: a delivery attempt fails after it.
    pub kafka_timeout_ms: u64,
    /// The wait after a subscription's first failed attempt, in milliseconds; doubled after each
    /// further failure, up to `delivery_backoff_max_seconds`.
    pub delivery_backoff_initial_ms: u64,
    /// The longest wait between two attempts of a failing subscription, in seconds.
    pub delivery_backoff_max_seconds: u64,
    /// Webhook hosts (names or IP addresses) that may be reached over plain `http` and at
    /// loopback, link-local or private addresses; every other webhook must be `https` to a host
    /// that resolves only to public addresses. A list, or in the environment names separated by
    /// commas (`UAM_WEBHOOK_ALLOWED_HOSTS=127.0.0.1,hooks.internal`). Empty by default.
    #[serde(deserialize_with = "host_list")]
    pub webhook_allowed_hosts: Vec<String>,
    /// How often the deadline sweep (escalations, overdue protective-measures decisions) runs,
    /// in milliseconds.
    pub sweep_interval_ms: u64,
    /// How often outbox events past the retention rule of the outbox are removed, in seconds.
    pub prune_interval_seconds: u64,
    /// How long the relay waits for news of an event before it looks anyway, in milliseconds;
    /// 0: 2000 on PostgreSQL (where `NOTIFY` wakes it), 250 on SQLite. Failing subscriptions are
    /// looked at on the same clock.
    pub relay_poll_ms: u64,
    /// Delivery rounds run at once; 0: one per four pooled connections (1 to 4) on PostgreSQL,
    /// where each round holds subscriptions no other holds, and 1 on SQLite, where rounds cannot
    /// overlap.
    pub relay_workers: usize,
    /// How long a webhook delivery waits for the receiver's answer, in seconds.
    pub webhook_timeout_seconds: u64,
    /// Most audit entries committed in one transaction by the audit writer.
    pub audit_batch_max: usize,
    /// How often an open alert stream (SSE) looks for new events, in milliseconds.
    pub stream_poll_ms: u64,
    /// Seconds without events after which an open alert stream sends a keep-alive comment.
    pub stream_keep_alive_seconds: u64,
    /// Seconds a client has to send a request's head once it started, and that an idle
    /// keep-alive connection stays open.
    pub http_client_timeout_seconds: u64,
    /// Smallest count published in statistics; smaller cells, and cells that would reveal them,
    /// are suppressed (see docs/statistics.md).
    pub statistics_threshold: u64,
    /// Whether requests are rate limited at all (OWASP API6); `false` for benchmarks and load
    /// tests, whose load comes from one subject on one address.
    pub rate_limit_enabled: bool,
    /// Requests per minute one subject of one agency may make, sustained (GCRA, per instance);
    /// 0 means no limit per subject.
    pub rate_limit_per_subject: u32,
    /// Requests one subject may make at once before the per-minute rate applies.
    pub rate_limit_per_subject_burst: u32,
    /// Unauthenticated requests plus failed authentications per minute from one source address
    /// (an IPv6 address counts with its /64); 0 means no limit per address.
    pub rate_limit_per_address: u32,
    /// Such requests one address may make at once before the per-minute rate applies.
    pub rate_limit_per_address_burst: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            database_pool_size: 8,
            database_timeout_seconds: 5,
            auth_jwks: String::new(),
            auth_issuer: "uam-registry-dev".into(),
            auth_audience: "uam-registry".into(),
            auth_leeway_seconds: 30,
            auth_jwks_refresh_seconds: 300,
            auth_max_token_lifetime_seconds:
                domain::usecase::authenticate::TokenLimits::DEFAULT_MAX_LIFETIME_SECONDS,
            body_limit_bytes: 256 * 1024,
            workers: 0,
            shutdown_timeout_seconds: 30,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            policy: String::new(),
            retention: String::new(),
            zones: String::new(),
            kafka_brokers: String::new(),
            kafka_timeout_ms: 10_000,
            delivery_backoff_initial_ms: 1000,
            delivery_backoff_max_seconds: 900,
            webhook_allowed_hosts: Vec::new(),
            sweep_interval_ms: 500,
            prune_interval_seconds: 5,
            relay_poll_ms: 0,
            relay_workers: 0,
            webhook_timeout_seconds: 10,
            audit_batch_max: 256,
            stream_poll_ms: 250,
            stream_keep_alive_seconds: 15,
            http_client_timeout_seconds: 5,
            statistics_threshold: domain::statistics::DEFAULT_THRESHOLD,
            rate_limit_enabled: true,
            rate_limit_per_subject: 1200,
            rate_limit_per_subject_burst: 300,
            rate_limit_per_address: 120,
            rate_limit_per_address_burst: 60,
        }
    }
}

/// How an open alert stream polls for events and keeps its connection alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamTiming {
    /// How often it looks for new events.
    pub poll: Duration,
    /// Polls without events between two keep-alive comments.
    pub keep_alive_every: u32,
}

/// Where the registry keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// The embedded SQLite database in this file.
    Sqlite(PathBuf),
    /// A PostgreSQL server, by its connection URL.
    Postgres(String),
}

/// A setting is unknown, has the wrong type, or has a value out of range.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Parse(String),
    #[error("configuration: `{setting}` {problem}")]
    Invalid {
        setting: &'static str,
        problem: String,
    },
}

/// Largest rate (per minute) and burst of the rate limits.
const RATE_LIMIT_MAX: u32 = 1_000_000;

/// The largest `auth_max_token_lifetime_seconds`: 30 days.
const MAX_TOKEN_LIFETIME_CEILING: u64 = 30 * 24 * 3600;

/// A number of seconds as a signed duration (the longest one where it does not fit).
fn seconds(n: u64) -> chrono::Duration {
    i64::try_from(n)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .unwrap_or(chrono::Duration::MAX)
}

/// Environment variables with the prefix that are not settings but select the file.
const NOT_SETTINGS: [&str; 1] = ["config"];

impl Settings {
    /// Layers the defaults, the file (if given, it must exist) and the `UAM_*` environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(SettingsError::Parse(format!(
                    "the configuration file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Env::prefixed("UAM_").ignore(&NOT_SETTINGS));
        let settings: Settings = figment
            .extract()
            .map_err(|e| SettingsError::Parse(describe(e)))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values that their type alone does not bound.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |setting, problem: &str| {
            Err(SettingsError::Invalid {
                setting,
                problem: problem.to_owned(),
            })
        };
        if self.database_pool_size == 0 || self.database_pool_size > 1024 {
            return invalid("database_pool_size", "must be between 1 and 1024");
        }
        if self.database_timeout_seconds == 0 {
            return invalid("database_timeout_seconds", "must be at least 1");
        }
        self.store()?;
        if self.auth_issuer.trim().is_empty() {
            return invalid("auth_issuer", "must not be empty");
        }
        if self.auth_audience.trim().is_empty() {
            return invalid("auth_audience", "must not be empty");
        }
        if self.auth_leeway_seconds > 300 {
            return invalid("auth_leeway_seconds", "must be at most 300");
        }
        if !(1..=86_400).contains(&self.auth_jwks_refresh_seconds) {
            return invalid(
                "auth_jwks_refresh_seconds",
                "must be between 1 and 86400 (one day)",
            );
        }
        if !(60..=MAX_TOKEN_LIFETIME_CEILING).contains(&self.auth_max_token_lifetime_seconds) {
            return invalid(
                "auth_max_token_lifetime_seconds",
                "must be between 60 and 2592000 (30 days)",
            );
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.body_limit_bytes) {
            return invalid("body_limit_bytes", "must be between 1024 and 67108864");
        }
        if self.workers > 1024 {
            return invalid("workers", "must be at most 1024");
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log_level).is_err() {
            return invalid(
                "log_level",
                "is not a tracing filter (e.g. `info` or `api=debug,info`)",
            );
        }
        if !(3..=100).contains(&self.statistics_threshold) {
            return invalid("statistics_threshold", "must be between 3 and 100");
        }
        if !self.policy.is_empty() && !Path::new(&self.policy).is_file() {
            return invalid("policy", "names no file");
        }
        if !self.retention.is_empty() && !Path::new(&self.retention).is_file() {
            return invalid("retention", "names no file");
        }
        if !self.zones.is_empty() && !Path::new(&self.zones).is_file() {
            return invalid("zones", "names no file");
        }
        for (setting, value) in [
            ("rate_limit_per_subject", self.rate_limit_per_subject),
            ("rate_limit_per_address", self.rate_limit_per_address),
        ] {
            if value > RATE_LIMIT_MAX {
                return invalid(setting, "must be at most 1000000 (0 means no limit)");
            }
        }
        for (setting, value) in [
            (
                "rate_limit_per_subject_burst",
                self.rate_limit_per_subject_burst,
            ),
            (
                "rate_limit_per_address_burst",
                self.rate_limit_per_address_burst,
            ),
        ] {
            if value == 0 || value > RATE_LIMIT_MAX {
                return invalid(setting, "must be between 1 and 1000000");
            }
        }
        if !(100..=600_000).contains(&self.kafka_timeout_ms) {
            return invalid("kafka_timeout_ms", "must be between 100 and 600000");
        }
        if !(10..=3_600_000).contains(&self.delivery_backoff_initial_ms) {
            return invalid(
                "delivery_backoff_initial_ms",
                "must be between 10 and 3600000 (one hour)",
            );
        }
        if !(1..=86_400).contains(&self.delivery_backoff_max_seconds)
            || self.delivery_backoff_max_seconds * 1000 < self.delivery_backoff_initial_ms
        {
            return invalid(
                "delivery_backoff_max_seconds",
                "must be between 1 and 86400 (one day), and not below delivery_backoff_initial_ms",
            );
        }
        let ranges: [(&'static str, u64, std::ops::RangeInclusive<u64>, &str); 9] = [
            (
                "sweep_interval_ms",
                self.sweep_interval_ms,
                10..=60_000,
                "10 and 60000",
            ),
            (
                "prune_interval_seconds",
                self.prune_interval_seconds,
                1..=86_400,
                "1 and 86400",
            ),
            (
                "relay_poll_ms",
                self.relay_poll_ms,
                0..=60_000,
                "0 (the backend's default) and 60000",
            ),
            (
                "relay_workers",
                self.relay_workers as u64,
                0..=64,
                "0 (the backend's default) and 64",
            ),
            (
                "webhook_timeout_seconds",
                self.webhook_timeout_seconds,
                1..=300,
                "1 and 300",
            ),
            (
                "audit_batch_max",
                self.audit_batch_max as u64,
                1..=10_000,
                "1 and 10000",
            ),
            (
                "stream_poll_ms",
                self.stream_poll_ms,
                10..=10_000,
                "10 and 10000",
            ),
            (
                "stream_keep_alive_seconds",
                self.stream_keep_alive_seconds,
                1..=300,
                "1 and 300",
            ),
            (
                "http_client_timeout_seconds",
                self.http_client_timeout_seconds,
                1..=300,
                "1 and 300",
            ),
        ];
        for (setting, value, range, bounds) in ranges {
            if !range.contains(&value) {
                return invalid(setting, &format!("must be between {bounds}"));
            }
        }
        if self.relay_workers > 1 && matches!(self.store()?, Store::Sqlite(_)) {
            return invalid(
                "relay_workers",
                "must be 0 or 1 on SQLite, where delivery rounds cannot overlap",
            );
        }
        if let Some(bad) = self.webhook_allowed_hosts.iter().find(|h| !is_host(h)) {
            return invalid(
                "webhook_allowed_hosts",
                &format!(
                    "holds `{bad}`, which is not a host name or an IP address (no scheme, port or path)"
                ),
            );
        }
        Ok(())
    }

    /// Where the registry keeps its data: the configured `database_url`, or the embedded SQLite
    /// file in `data_dir`.
    pub fn store(&self) -> Result<Store, SettingsError> {
        let url = self.database_url.as_str();
        if url.is_empty() {
            return Ok(Store::Sqlite(self.data_dir.join("uam-registry.db")));
        }
        if let Some(path) = url.strip_prefix("sqlite://")
            && !path.is_empty()
        {
            return Ok(Store::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Store::Postgres(url.to_owned()));
        }
        Err(SettingsError::Invalid {
            setting: "database_url",
            problem: format!(
                "`{url}` is not a database URL: expected sqlite://PATH or \
                 postgres://USER@HOST:PORT/DB"
            ),
        })
    }

    pub fn database_timeout(&self) -> Duration {
        Duration::from_secs(self.database_timeout_seconds)
    }

    /// What a token must satisfy beyond its signature: its lifetime bound and the leeway.
    pub fn token_limits(&self) -> domain::usecase::authenticate::TokenLimits {
        domain::usecase::authenticate::TokenLimits {
            max_lifetime: seconds(self.auth_max_token_lifetime_seconds),
            leeway: seconds(self.auth_leeway_seconds),
        }
    }

    /// The waits between attempts of a failing subscription.
    pub fn retry_schedule(&self) -> domain::usecase::relay::RetrySchedule {
        let millis = |n: u64| {
            i64::try_from(n)
                .ok()
                .and_then(chrono::Duration::try_milliseconds)
                .unwrap_or(chrono::Duration::MAX)
        };
        domain::usecase::relay::RetrySchedule {
            first: millis(self.delivery_backoff_initial_ms),
            cap: seconds(self.delivery_backoff_max_seconds),
        }
    }

    pub fn sweep_interval(&self) -> Duration {
        Duration::from_millis(self.sweep_interval_ms)
    }

    pub fn prune_interval(&self) -> Duration {
        Duration::from_secs(self.prune_interval_seconds)
    }

    pub fn webhook_timeout(&self) -> Duration {
        Duration::from_secs(self.webhook_timeout_seconds)
    }

    pub fn http_client_timeout(&self) -> Duration {
        Duration::from_secs(self.http_client_timeout_seconds)
    }

    /// How an open alert stream polls and keeps its connection alive.
    pub fn stream_timing(&self) -> StreamTiming {
        let poll = Duration::from_millis(self.stream_poll_ms);
        let keep_alive = Duration::from_secs(self.stream_keep_alive_seconds);
        StreamTiming {
            poll,
            keep_alive_every: u32::try_from(keep_alive.as_millis() / poll.as_millis().max(1))
                .unwrap_or(u32::MAX)
                .max(1),
        }
    }

    pub fn kafka_timeout(&self) -> Duration {
        Duration::from_millis(self.kafka_timeout_ms)
    }

    /// Whether tokens are checked with the development key (no `auth_jwks` configured).
    pub fn uses_dev_key(&self) -> bool {
        self.auth_jwks.is_empty()
    }
}

/// A list of hosts, written as a list or as one string of names separated by commas (as an
/// environment variable carries it).
fn host_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Hosts {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Hosts::deserialize(deserializer)? {
        Hosts::List(hosts) => hosts,
        Hosts::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// A host name (letters, digits, `-`, `_` and dots) or an IP address (IPv6 with or without
/// brackets).
fn is_host(text: &str) -> bool {
    let bare = text
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse::<std::net::IpAddr>().is_ok()
        || (!text.is_empty()
            && text.len() <= 253
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
}

/// Figment's message, naming the setting and the environment variable or file that supplied it.
fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = match &e.kind {
                figment::error::Kind::UnknownField(field, _) => field.clone(),
                _ => e.path.join("."),
            };
            let origin = match &e.metadata {
                Some(m) if m.name.contains("environment") => {
                    format!(" (from UAM_{})", key.to_uppercase())
                }
                Some(m) => m
                    .source
                    .as_ref()
                    .map(|s| format!(" (from {s})"))
                    .unwrap_or_default(),
                None => String::new(),
            };
            format!("setting `{key}`{origin}: {}", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}
