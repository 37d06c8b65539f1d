//! Alert latency: from the 201 answer to a disappearance report to the receipt of its
//! `be.uam.alert.raised` event by the Kafka consumers of the 10 agencies notified, over a real
//! Kafka-protocol broker (tansu) and PostgreSQL. The reference (issue 22) is the fair one: the same
//! ten records (key, payload, headers, as the agencies received them) to the same ten topics
//! through the same broker, from an idempotent producer with `acks=all`, one record to each topic
//! per round at the service's pace, read by ten consumers configured as the agencies' are.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::Serialize;
use serde_json::{Value, json};

use crate::generate::record_id;
use crate::http::{blocking_client, send};
use crate::registry::{self, Backend, Env};
use crate::report::{Report, Row, Target};
use crate::server::{Server, free_port, token};
use crate::stats::Latency;

/// Targets of issue 22: the last agency's p99 against the fair reference's last-of-ten p99 (ratio),
/// and the p99 of every delivery.
pub const LAST_AGENCY_RATIO: f64 = 1.2;
pub const DELIVERY_P99_MS: f64 = 50.0;

/// How long a consumer's fetch waits at the broker for records (`fetch.wait.max.ms`): the same
/// for the agencies' consumers and the reference's, so that neither polls more eagerly.
const FETCH_WAIT_MAX_MS: &str = "10";

/// The header that marks the reference's records (the round, or `primer-<partition>`), so that
/// its consumers skip the service's events in the same topics.
const ROUND_HEADER: &str = "bench-round";

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
        .set("fetch.wait.max.ms", FETCH_WAIT_MAX_MS)
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

/// A record as an agency received it: what the reference sends again.
#[derive(Debug, Clone)]
struct Captured {
    key: Option<Vec<u8>>,
    payload: Vec<u8>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

impl Captured {
    fn of(m: &rdkafka::message::BorrowedMessage<'_>) -> Self {
        Self {
            key: m.key().map(<[u8]>::to_vec),
            payload: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
            headers: m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Receipt times of `be.uam.alert.raised` events per (agency, alert id), with the record received.
type Receipts = Arc<Mutex<HashMap<(String, String), (Instant, Captured)>>>;

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
    /// 201 → receipt, per agency.
    pub per_agency: Vec<(String, Latency)>,
    pub reference: FairReference,
}

/// The fair reference's figures.
#[derive(Debug, Clone, Serialize)]
pub struct FairReference {
    pub rounds: usize,
    pub records: usize,
    /// First send of a round → receipt, over every record.
    pub delivery: Latency,
    /// First send of a round → receipt of its last record (the last of the ten topics).
    pub last_of_ten: Latency,
    /// First send → every acknowledgement of the round (`acks=all`).
    pub acknowledged: Latency,
    /// First send of a round → receipt, per topic.
    pub per_topic: Vec<(String, Latency)>,
    pub missing: usize,
    pub producer: &'static str,
    pub consumers: String,
}

/// The fair reference: for each round, the records the agencies received for one alert (one per
/// topic, as captured), produced again to the same topics, keyed and with the same headers plus
/// [`ROUND_HEADER`], by an idempotent producer with `acks=all` (`linger.ms` 1, as the service's);
/// every acknowledgement awaited before the pause to the next round (as the relay awaits its
/// round's). One consumer per topic in a group of its own. First, one primer record per
/// partition of each topic, awaited by every consumer: it has then read past the service's events
/// and its fetches are warm.
fn fair_reference(
    broker: &str,
    agencies: &[String],
    rounds: &[Vec<(String, Captured)>],
    interval: Duration,
) -> anyhow::Result<FairReference> {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "1")
        .set("message.timeout.ms", "10000")
        .create()
        .context("creating the reference's Kafka producer")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // (agency, round) → receipt; round u64::MAX - partition for primers.
    let receipts: Arc<Mutex<HashMap<(String, u64), Instant>>> = Arc::default();
    let partitions: Arc<Mutex<HashMap<String, Vec<i32>>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for agency in agencies {
        let (receipts, partitions, done, agency, address) = (
            receipts.clone(),
            partitions.clone(),
            done.clone(),
            agency.clone(),
            broker.to_owned(),
        );
        readers.push(std::thread::spawn(move || -> anyhow::Result<()> {
            let consumer = consumer(
                &address,
                &format!("bench-fair-{agency}"),
                &format!("uam.alerts.{agency}"),
            )?;
            wait_assigned(&consumer)?;
            let assigned: Vec<i32> = consumer
                .assignment()?
                .elements()
                .iter()
                .map(rdkafka::topic_partition_list::TopicPartitionListElem::partition)
                .collect();
            if let Ok(mut p) = partitions.lock() {
                p.insert(agency.clone(), assigned);
            }
            while !done.load(Ordering::Relaxed) {
                if let Some(Ok(m)) = consumer.poll(Duration::from_millis(20)) {
                    let at = Instant::now();
                    let round = m.headers().and_then(|h| {
                        h.iter()
                            .find(|h| h.key == ROUND_HEADER)
                            .and_then(|h| std::str::from_utf8(h.value?).ok().map(str::to_owned))
                    });
                    let Some(round) = round else { continue };
                    let round = match round.strip_prefix("primer-") {
                        Some(p) => p.parse::<u64>().map(|p| u64::MAX - p),
                        None => round.parse::<u64>(),
                    };
                    if let (Ok(round), Ok(mut r)) = (round, receipts.lock()) {
                        r.entry((agency.clone(), round)).or_insert(at);
                    }
                }
            }
            Ok(())
        }));
    }
    let stop = |readers: Vec<std::thread::JoinHandle<anyhow::Result<()>>>| -> anyhow::Result<()> {
        done.store(true, Ordering::Relaxed);
        for r in readers {
            r.join()
                .map_err(|_| anyhow::anyhow!("a reference consumer panicked"))??;
        }
        Ok(())
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while partitions.lock().map(|p| p.len()).unwrap_or(0) < agencies.len() {
        if Instant::now() >= deadline || readers.iter().any(std::thread::JoinHandle::is_finished) {
            stop(readers)?;
            anyhow::bail!("the reference's consumers did not all get their partitions");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let partitions = partitions
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
        .clone();
    let send_all = |records: Vec<(String, Option<i32>, &Captured, String)>| {
        runtime.block_on(async {
            let mut pending = Vec::with_capacity(records.len());
            for (topic, partition, record, round) in &records {
                let mut headers = OwnedHeaders::new();
                for (key, value) in &record.headers {
                    headers = headers.insert(Header {
                        key: key.as_str(),
                        value: value.as_deref(),
                    });
                }
                headers = headers.insert(Header {
                    key: ROUND_HEADER,
                    value: Some(round.as_str()),
                });
                let mut r: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic)
                    .payload(record.payload.as_slice())
                    .headers(headers);
                if let Some(key) = &record.key {
                    r = r.key(key.as_slice());
                }
                if let Some(p) = partition {
                    r = r.partition(*p);
                }
                pending.push(
                    producer
                        .send_result(r)
                        .map_err(|(e, _)| anyhow::anyhow!("producing to {topic}: {e}"))?,
                );
            }
            for delivery in pending {
                delivery
                    .await
                    .map_err(|_| anyhow::anyhow!("a delivery was cancelled"))?
                    .map_err(|(e, _)| anyhow::anyhow!("a record was not acknowledged: {e}"))?;
            }
            anyhow::Ok(())
        })
    };
    let primer = Captured {
        key: None,
        payload: b"primer".to_vec(),
        headers: vec![],
    };
    let mut primers = Vec::new();
    for agency in agencies {
        for p in partitions.get(agency).into_iter().flatten() {
            primers.push((
                format!("uam.alerts.{agency}"),
                Some(*p),
                &primer,
                format!("primer-{p}"),
            ));
        }
    }
    let expected_primers = primers.len();
    let primed = send_all(primers).and_then(|()| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while receipts
            .lock()
            .map(|r| r.keys().filter(|(_, n)| *n > u64::MAX / 2).count())
            .unwrap_or(0)
            < expected_primers
        {
            anyhow::ensure!(
                Instant::now() < deadline,
                "the reference's consumers did not read their primers"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    });
    if let Err(e) = primed {
        stop(readers)?;
        return Err(e);
    }
    let mut started = Vec::with_capacity(rounds.len());
    let mut acknowledged = Vec::with_capacity(rounds.len());
    let mut outcome = Ok(());
    for (n, round) in rounds.iter().enumerate() {
        let records = round
            .iter()
            .map(|(agency, record)| (format!("uam.alerts.{agency}"), None, record, n.to_string()))
            .collect();
        let at = Instant::now();
        if let Err(e) = send_all(records) {
            outcome = Err(e);
            break;
        }
        acknowledged.push(at.elapsed());
        started.push(at);
        std::thread::sleep(interval);
    }
    let expected: usize = rounds.iter().map(Vec::len).sum::<usize>() + expected_primers;
    let deadline = Instant::now() + Duration::from_secs(60);
    while outcome.is_ok()
        && receipts.lock().map(|r| r.len()).unwrap_or(0) < expected
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    stop(readers)?;
    outcome?;
    let receipts = receipts
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
        .clone();
    let (mut all, mut last, mut missing) = (Vec::new(), Vec::new(), 0);
    let mut per_topic: HashMap<&str, Vec<Duration>> = HashMap::new();
    for (n, (round, at)) in rounds.iter().zip(&started).enumerate() {
        let mut slowest = None;
        for (agency, _) in round {
            match receipts.get(&(agency.clone(), n as u64)) {
                Some(r) => {
                    let d = r.saturating_duration_since(*at);
                    all.push(d);
                    per_topic.entry(agency.as_str()).or_default().push(d);
                    slowest = slowest.max(Some(d));
                }
                None => missing += 1,
            }
        }
        // A round with a record missing has no last-of-ten: counted as missing, not as fast.
        if round.len() == agencies.len()
            && round
                .iter()
                .all(|(a, _)| receipts.contains_key(&(a.clone(), n as u64)))
            && let Some(s) = slowest
        {
            last.push(s);
        }
    }
    let mut topics = Vec::new();
    for agency in agencies {
        if let Some(samples) = per_topic.get(agency.as_str()) {
            topics.push((
                format!("uam.alerts.{agency}"),
                Latency::of(samples).context("the reference's latency on a topic")?,
            ));
        }
    }
    Ok(FairReference {
        rounds: started.len(),
        records: all.len() + missing,
        delivery: Latency::of(&all).context("the latency of the reference's records")?,
        last_of_ten: Latency::of(&last).context("the latency of the reference's rounds")?,
        acknowledged: Latency::of(&acknowledged).context("the reference's acknowledgements")?,
        per_topic: topics,
        missing,
        producer: "idempotent (enable.idempotence=true), acks=all, linger.ms=1",
        consumers: format!(
            "one per topic, group bench-fair-<agency>, fetch.wait.max.ms={FETCH_WAIT_MAX_MS}"
        ),
    })
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
                        r.entry((agency.clone(), id.to_owned()))
                            .or_insert_with(|| (at, Captured::of(&m)));
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
    let last_receipt = receipts.values().map(|(at, _)| *at).max();
    let deliveries_per_second = match (first_answer, last_receipt) {
        (Some(a), Some(b)) => receipts.len() as f64 / b.duration_since(a).as_secs_f64().max(1e-9),
        _ => 0.0,
    };
    let mut deliveries = Vec::new();
    let mut last = Vec::new();
    let mut missing = 0;
    let mut per_agency: HashMap<&str, Vec<Duration>> = HashMap::new();
    let mut rounds = Vec::new();
    for (id, at) in &answered {
        let mut slowest = Duration::ZERO;
        let mut round = Vec::new();
        for agency in &agencies {
            match receipts.get(&(agency.clone(), id.clone())) {
                // An event may arrive before the client has read the whole answer: count 0.
                Some((r, record)) => {
                    let d = r.saturating_duration_since(*at);
                    deliveries.push(d);
                    per_agency.entry(agency.as_str()).or_default().push(d);
                    slowest = slowest.max(d);
                    round.push((agency.clone(), record.clone()));
                }
                None => missing += 1,
            }
        }
        last.push(slowest);
        rounds.push(round);
    }
    eprintln!(
        "alerts: fair reference, the same {} records to the same {} topics ...",
        rounds.iter().map(Vec::len).sum::<usize>(),
        agencies.len()
    );
    let reference = fair_reference(
        &broker.address,
        &agencies,
        &rounds,
        Duration::from_millis(config.interval_ms),
    )?;
    let mut per_agency_latency = Vec::new();
    for agency in &agencies {
        if let Some(samples) = per_agency.get(agency.as_str()) {
            per_agency_latency.push((
                agency.clone(),
                Latency::of(samples).context("the latency of an agency's deliveries")?,
            ));
        }
    }
    let result = AlertsResult {
        agencies: agencies.clone(),
        reports: answered.len(),
        delivery: Latency::of(&deliveries).context("the latency of deliveries")?,
        all_agencies: Latency::of(&last).context("the latency of last")?,
        missing_deliveries: missing,
        deliveries_per_second,
        report_request: Latency::of(&requests).context("the latency of requests")?,
        per_agency: per_agency_latency,
        reference,
    };
    let name = format!(
        "alerts {} reports every {} ms / PostgreSQL, {} agencies",
        config.reports,
        config.interval_ms,
        agencies.len()
    );
    let fair = "same 10 records, 10 topics";
    let fair_last = "last of 10 topics";
    report.rows.push(
        Row::new(&name, "p50, 201 → receipt", result.delivery.p50_ms, "ms")
            .reference(result.reference.delivery.p50_ms, fair),
    );
    report.rows.push(
        Row::new(&name, "p99, 201 → receipt", result.delivery.p99_ms, "ms")
            .reference(result.reference.delivery.p99_ms, fair)
            .target(Target::AtMost(DELIVERY_P99_MS)),
    );
    report.rows.push(
        Row::new(
            &name,
            "p50, last of the agencies",
            result.all_agencies.p50_ms,
            "ms",
        )
        .reference(result.reference.last_of_ten.p50_ms, fair_last),
    );
    report.rows.push(
        Row::new(
            &name,
            "p99, last of the agencies",
            result.all_agencies.p99_ms,
            "ms",
        )
        .reference(result.reference.last_of_ten.p99_ms, fair_last)
        .target(Target::RatioAtMost(LAST_AGENCY_RATIO)),
    );
    report.rows.push(Row::new(
        &name,
        "deliveries/s (relay)",
        result.deliveries_per_second,
        "/s",
    ));
    report
        .rows
        .push(Row::new(&name, "missing deliveries", missing as f64, "").gate(Target::AtMost(0.0)));
    report.rows.push(
        Row::new(
            &name,
            "reference: records not received",
            result.reference.missing as f64,
            "",
        )
        .gate(Target::AtMost(0.0)),
    );
    report.details.insert(
        "alerts".to_owned(),
        json!({ "config": config, "result": result }),
    );
    Ok(())
}
