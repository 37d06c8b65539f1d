//! Alert latency: from the 201 answer to a disappearance report to the receipt of its
//! `be.uam.alert.raised` event by the Kafka consumers of the 10 agencies notified, over a real
//! Kafka-protocol broker (tansu) and PostgreSQL; the reference is a raw produce → consume round
//! trip on the same broker.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde::Serialize;
use serde_json::{Value, json};

use crate::generate::record_id;
use crate::http::{blocking_client, send};
use crate::registry::{self, Backend, Env};
use crate::report::{Report, Row, Target};
use crate::server::{Server, free_port, token};
use crate::stats::Latency;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct AlertsConfig {
    /// Disappearance reports (one per child).
    pub reports: u64,
    /// Pause between two reports.
    pub interval_ms: u64,
}

/// The 10 agencies notified of every alert of these children: the placement (the synthetic
/// children have no guardian yet), the guardianship service, Child Focus, and police zones (the
/// demo one and six more created by the benchmark).
const EXTRA_POLICE: [&str; 6] = [
    "bench-police-1",
    "bench-police-2",
    "bench-police-3",
    "bench-police-4",
    "bench-police-5",
    "bench-police-6",
];

fn notified() -> Vec<String> {
    let mut agencies: Vec<String> = [
        "demo-reception",
        "demo-guardianship",
        "demo-child-focus",
        "demo-police",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    agencies.extend(EXTRA_POLICE.iter().map(|s| (*s).to_owned()));
    agencies
}

/// The role that subscribes `agency` (one of [`notified`]) to its events.
fn member_role(agency: &str) -> &'static str {
    match agency {
        "demo-reception" => "reception_staff",
        "demo-guardianship" => "guardianship_officer",
        "demo-child-focus" => "child_focus_case_manager",
        _ => "police_officer",
    }
}

/// The tansu binary: `TANSU_BIN`, else the one `scripts/test` installs.
fn tansu_bin() -> PathBuf {
    std::env::var_os("TANSU_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(".cache/uam-registry/tools/bin/tansu")
        })
}

/// Whether the broker needed by this benchmark is installed.
pub fn available() -> bool {
    tansu_bin().exists()
}

/// A tansu broker on a free port with SQLite storage in a fresh folder; killed when dropped.
struct Broker {
    child: Child,
    address: String,
}

impl Broker {
    fn start(dir: &Path) -> anyhow::Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let port = free_port()?;
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(tansu_bin())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "sqlite://tansu.db",
            ])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", tansu_bin().display()))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "tansu did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            child,
            address: format!("127.0.0.1:{port}"),
        })
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn consumer(broker: &str, group: &str, topic: &str) -> anyhow::Result<BaseConsumer> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "5")
        .set("enable.partition.eof", "false")
        .create()
        .context("creating a Kafka consumer")?;
    consumer.subscribe(&[topic])?;
    Ok(consumer)
}

/// Polls until the consumer has partitions assigned (so that no rebalance falls in the
/// measurement).
fn wait_assigned(consumer: &BaseConsumer) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while consumer.assignment()?.count() == 0 {
        anyhow::ensure!(Instant::now() < deadline, "no partition assigned in 30 s");
        let _ = consumer.poll(Duration::from_millis(50));
    }
    Ok(())
}

/// Receipt times of `be.uam.alert.raised` events per (agency, alert id).
type Receipts = Arc<Mutex<HashMap<(String, String), Instant>>>;

#[derive(Debug, Clone, Serialize)]
pub struct AlertsResult {
    pub agencies: Vec<String>,
    pub reports: usize,
    /// 201 → receipt, over every (report, agency).
    pub delivery: Latency,
    /// 201 → receipt by the last of the agencies, per report.
    pub all_agencies: Latency,
    pub missing_deliveries: usize,
    /// Deliveries per second, from the first 201 to the last receipt.
    pub deliveries_per_second: f64,
    pub report_request: Latency,
    pub raw: Latency,
}

/// The raw reference: `n` messages produced one at a time (flushed) and consumed by one consumer.
fn raw_round_trip(broker: &str, n: usize, interval: Duration) -> anyhow::Result<Latency> {
    let topic = "bench.raw";
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .set("linger.ms", "0")
        .create()
        .context("creating a Kafka producer")?;
    // One partition, as the service's per-agency topics.
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .create()
        .context("creating a Kafka admin client")?;
    let created = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(admin.create_topics(
            &[NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        ))?;
    for outcome in created {
        if let Err((name, code)) = outcome
            && code != rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists
        {
            anyhow::bail!("creating topic {name}: {code}");
        }
    }
    let consumer = consumer(broker, "bench-raw", topic)?;
    wait_assigned(&consumer)?;
    let done = Arc::new(AtomicBool::new(false));
    let received: Arc<Mutex<HashMap<usize, Instant>>> = Arc::default();
    let reader = {
        let (done, received) = (done.clone(), received.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Some(Ok(m)) = consumer.poll(Duration::from_millis(20)) {
                    let at = Instant::now();
                    if let Some(Ok(text)) = m.payload_view::<str>()
                        && let Ok(i) = text.parse::<usize>()
                        && let Ok(mut r) = received.lock()
                    {
                        r.insert(i, at);
                    }
                }
            }
        })
    };
    let mut sent = Vec::with_capacity(n);
    for i in 0..n {
        let payload = i.to_string();
        sent.push(Instant::now());
        producer
            .send(BaseRecord::<str, str>::to(topic).payload(&payload))
            .map_err(|(e, _)| anyhow::anyhow!("producing: {e}"))?;
        producer.flush(Duration::from_secs(10))?;
        std::thread::sleep(interval);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().map(|r| r.len()).unwrap_or(0) < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    done.store(true, Ordering::Relaxed);
    let _ = reader.join();
    let received = received
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
        .clone();
    let samples: Vec<Duration> = sent
        .iter()
        .enumerate()
        .filter_map(|(i, s)| received.get(&i).map(|r| r.duration_since(*s)))
        .collect();
    Latency::of(&samples).context("the latency of the consumed records")
}

pub fn run(env: &Env, config: AlertsConfig, report: &mut Report) -> anyhow::Result<()> {
    anyhow::ensure!(
        available(),
        "tansu not found at {} (scripts/test installs it)",
        tansu_bin().display()
    );
    let broker = Broker::start(&env.work_dir.join("tansu"))?;
    let registry = registry::fresh(env, Backend::Postgres, "uam_bench_alerts", config.reports)?;
    let mut server = Server::start(
        env,
        &registry.url,
        "alerts",
        &[("UAM_KAFKA_BROKERS", broker.address.as_str())],
    )?;
    server.wait_ready(Duration::from_secs(60))?;
    let client = blocking_client()?;
    let admin = format!("Bearer {}", token(env, "registry", "registry_admin")?);
    for id in EXTRA_POLICE {
        let answer = send(
            client
                .post(format!("{}/v1/agencies", server.base))
                .header("Authorization", &admin)
                .json(&json!({"id": id, "kind": "police", "name": id, "country": "BE"})),
        )?;
        anyhow::ensure!(
            answer.status == 201,
            "creating agency {id}: {}",
            answer.status
        );
    }
    let agencies = notified();
    // Each agency subscribes itself, with a token of its operational role (an administrator may
    // only propose a subscription, which delivers nothing until the agency confirms it).
    for agency in &agencies {
        let member = format!("Bearer {}", token(env, agency, member_role(agency))?);
        let answer = send(
            client
                .post(format!("{}/v1/subscriptions", server.base))
                .header("Authorization", &member)
                .json(&json!({"kind": "kafka"})),
        )?;
        anyhow::ensure!(
            answer.status == 201,
            "subscribing {agency}: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
    // One consumer group per agency, each on its own thread; all assigned before the first report.
    let receipts: Receipts = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let assigned = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut readers = Vec::new();
    for agency in &agencies {
        let (receipts, done, assigned, agency, address) = (
            receipts.clone(),
            done.clone(),
            assigned.clone(),
            agency.clone(),
            broker.address.clone(),
        );
        readers.push(std::thread::spawn(move || -> anyhow::Result<()> {
            let consumer = consumer(
                &address,
                &format!("{agency}-alerts"),
                &format!("uam.alerts.{agency}"),
            )?;
            wait_assigned(&consumer)?;
            assigned.fetch_add(1, Ordering::Relaxed);
            while !done.load(Ordering::Relaxed) {
                if let Some(Ok(m)) = consumer.poll(Duration::from_millis(20)) {
                    let at = Instant::now();
                    let Some(event) = m
                        .payload()
                        .and_then(|p| serde_json::from_slice::<Value>(p).ok())
                    else {
                        continue;
                    };
                    if event["type"] != "be.uam.alert.raised" {
                        continue;
                    }
                    if let Some(id) = event["data"]["alert"]["id"].as_str()
                        && let Ok(mut r) = receipts.lock()
                    {
                        r.entry((agency.clone(), id.to_owned())).or_insert(at);
                    }
                }
            }
            Ok(())
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while assigned.load(Ordering::Relaxed) < agencies.len() {
        anyhow::ensure!(
            Instant::now() < deadline && readers.iter().all(|r| !r.is_finished()),
            "the agencies' consumers did not all get their partitions"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let reporter = format!(
        "Bearer {}",
        token(env, "demo-reception", "reception_staff")?
    );
    eprintln!(
        "alerts: {} reports to {} agencies ...",
        config.reports,
        agencies.len()
    );
    let mut answered: Vec<(String, Instant)> = Vec::new();
    let mut requests = Vec::new();
    for i in 0..config.reports {
        let child = record_id(registry.seed, i);
        let answer = send(
            client
                .post(format!("{}/v1/minors/{child}/disappearances", server.base))
                .header("Authorization", &reporter)
                .header("X-Purpose", "disappearance")
                .json(&json!({"last_seen_at": chrono::Utc::now(),
                              "last_seen_place": "Brussels-North station"})),
        )?;
        let at = Instant::now();
        anyhow::ensure!(
            answer.status == 201,
            "report {i}: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
        requests.push(answer.elapsed);
        let body: Value = serde_json::from_slice(&answer.body)?;
        let id = body["id"]
            .as_str()
            .or_else(|| body["alert"]["id"].as_str())
            .context("no alert id in the report's answer")?
            .to_owned();
        answered.push((id, at));
        std::thread::sleep(Duration::from_millis(config.interval_ms));
    }
    let expected = answered.len() * agencies.len();
    let deadline = Instant::now() + Duration::from_secs(60);
    while receipts.lock().map(|r| r.len()).unwrap_or(0) < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        r.join()
            .map_err(|_| anyhow::anyhow!("a consumer thread panicked"))??;
    }
    server.stop();
    let receipts = receipts
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
        .clone();
    let first_answer = answered.first().map(|(_, at)| *at);
    let last_receipt = receipts.values().max().copied();
    let deliveries_per_second = match (first_answer, last_receipt) {
        (Some(a), Some(b)) => receipts.len() as f64 / b.duration_since(a).as_secs_f64().max(1e-9),
        _ => 0.0,
    };
    let mut deliveries = Vec::new();
    let mut last = Vec::new();
    let mut missing = 0;
    for (id, at) in &answered {
        let mut slowest = Duration::ZERO;
        for agency in &agencies {
            match receipts.get(&(agency.clone(), id.clone())) {
                // An event may arrive before the client has read the whole answer: count 0.
                Some(r) => {
                    let d = r.saturating_duration_since(*at);
                    deliveries.push(d);
                    slowest = slowest.max(d);
                }
                None => missing += 1,
            }
        }
        last.push(slowest);
    }
    eprintln!("alerts: raw produce → consume round trips ...");
    let raw = raw_round_trip(
        &broker.address,
        config.reports as usize,
        Duration::from_millis(config.interval_ms),
    )?;
    let result = AlertsResult {
        agencies: agencies.clone(),
        reports: answered.len(),
        delivery: Latency::of(&deliveries).context("the latency of deliveries")?,
        all_agencies: Latency::of(&last).context("the latency of last")?,
        missing_deliveries: missing,
        deliveries_per_second,
        report_request: Latency::of(&requests).context("the latency of requests")?,
        raw,
    };
    let name = format!(
        "alerts {} reports every {} ms / PostgreSQL, {} agencies",
        config.reports,
        config.interval_ms,
        agencies.len()
    );
    report.rows.push(
        Row::new(&name, "p50, 201 → receipt", result.delivery.p50_ms, "ms")
            .reference(result.raw.p50_ms, "raw produce→consume"),
    );
    report.rows.push(
        Row::new(&name, "p99, 201 → receipt", result.delivery.p99_ms, "ms")
            .reference(result.raw.p99_ms, "raw produce→consume")
            .target(Target::AtMost(50.0)),
    );
    report.rows.push(
        Row::new(&name, "p99 ratio to raw", result.delivery.p99_ms, "ms")
            .reference(result.raw.p99_ms, "raw produce→consume")
            .target(Target::RatioAtMost(2.0)),
    );
    report.rows.push(Row::new(
        &name,
        "p99, last of the agencies",
        result.all_agencies.p99_ms,
        "ms",
    ));
    report.rows.push(Row::new(
        &name,
        "deliveries/s (relay)",
        result.deliveries_per_second,
        "/s",
    ));
    report
        .rows
        .push(Row::new(&name, "missing deliveries", missing as f64, "").gate(Target::AtMost(0.0)));
    report.details.insert(
        "alerts".to_owned(),
        json!({ "config": config, "result": result }),
    );
    Ok(())
}
