//! The Kafka sink: one topic per subscribing agency (`uam.alerts.<agency-id>`), created through the
//! admin API; records keyed by child id, from an idempotent producer with `acks=all`.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use anyhow::Context;
use domain::ports::{
    Batch, Endpoint, EventSink, RenderedEvent, SinkError, Subscription, TopicAdmin,
};
use futures_executor::block_on;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;

/// Partitions of a new topic; a child's records keep their order through the key.
const PARTITIONS: i32 = 3;

fn config(brokers: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("socket.timeout.ms", "10000");
    config
}

/// Delivers events and awaits the broker's acknowledgement of each before the round's progress is
/// recorded, so a subscription's cursor moves only past events the broker has (at least once, in
/// order: the idempotent producer keeps a partition's records in the order sent).
///
/// After a failed send the producer is replaced by a new one: a send that timed out or was refused
/// while the broker was down leaves an idempotent producer with sequence numbers the broker no
/// longer accepts once it is back, and every later attempt would fail the same way until the
/// events went to the dead letters. A new producer starts a new idempotent session.
///
/// Relay rounds running at once share the producer (it is thread-safe); only its renewal is
/// exclusive.
pub struct KafkaSink {
    brokers: String,
    producer: RwLock<Arc<FutureProducer>>,
    timeout: Duration,
}

fn producer(brokers: &str, timeout: Duration) -> anyhow::Result<FutureProducer> {
    config(brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("message.timeout.ms", timeout.as_millis().to_string())
        .set("linger.ms", "1")
        .create()
        .context("creating the Kafka producer")
}

impl KafkaSink {
    pub fn new(brokers: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            brokers: brokers.to_owned(),
            producer: RwLock::new(Arc::new(producer(brokers, timeout)?)),
            timeout,
        })
    }

    /// Replaces `failed` by a new producer, unless another round already did.
    fn renew(&self, failed: &Arc<FutureProducer>) {
        let mut current = self
            .producer
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if !Arc::ptr_eq(&current, failed) {
            return;
        }
        match producer(&self.brokers, self.timeout) {
            Ok(fresh) => *current = Arc::new(fresh),
            Err(err) => tracing::warn!(error = format!("{err:#}"), "Kafka producer not renewed"),
        }
    }
}

impl EventSink for KafkaSink {
    fn deliver(
        &self,
        subscription: &Subscription,
        events: &[RenderedEvent],
    ) -> (usize, Option<SinkError>) {
        self.deliver_all(&[Batch {
            subscription,
            events,
        }])
        .pop()
        .unwrap_or((0, None))
    }

    /// Hands every record of every batch to the producer first, then awaits the acknowledgements,
    /// so that the agencies of one round wait for one round trip to the broker, not one each. A
    /// batch counts as delivered up to its first record not acknowledged.
    fn deliver_all(&self, batches: &[Batch<'_>]) -> Vec<(usize, Option<SinkError>)> {
        let current = Arc::clone(&self.producer.read().unwrap_or_else(PoisonError::into_inner));
        let started = std::time::Instant::now();
        // Parsing every event's time costs a little on each round: only when it will be logged.
        let age_at_send = tracing::enabled!(tracing::Level::DEBUG)
            .then(|| oldest_age_ms(batches))
            .flatten();
        let sent: Vec<_> = batches
            .iter()
            .map(|batch| send_batch(&current, batch))
            .collect();
        let mut failed = false;
        let outcomes = batches
            .iter()
            .zip(sent)
            .map(|(batch, sent)| {
                let outcome = acknowledged(batch, sent);
                failed |= outcome.1.is_some();
                outcome
            })
            .collect();
        if failed {
            self.renew(&current);
        }
        tracing::debug!(
            subscriptions = batches.len(),
            records = batches.iter().map(|b| b.events.len()).sum::<usize>(),
            oldest_age_at_send_ms = age_at_send,
            acknowledged_ms = started.elapsed().as_secs_f64() * 1e3,
            "Kafka round"
        );
        outcomes
    }
}

/// How long ago the oldest event of the round happened (its CloudEvent `time`), when sent: the
/// time from the report to the relay, for profiles.
fn oldest_age_ms(batches: &[Batch<'_>]) -> Option<f64> {
    let now = chrono::Utc::now();
    batches
        .iter()
        .flat_map(|b| b.events)
        .map(|e| (now - e.time).as_seconds_f64() * 1e3)
        .reduce(f64::max)
}

/// Enqueues a batch's records in order, up to the first the producer refuses: the deliveries to
/// await, and the refusal.
fn send_batch(
    producer: &FutureProducer,
    batch: &Batch<'_>,
) -> (Vec<DeliveryFuture>, Option<SinkError>) {
    let topic = match &batch.subscription.endpoint {
        Endpoint::Kafka { topic } => topic,
        Endpoint::Webhook { .. } => {
            return (
                Vec::new(),
                Some(SinkError("not a Kafka subscription".into())),
            );
        }
    };
    let mut pending = Vec::with_capacity(batch.events.len());
    for event in batch.events {
        let body = event.cloudevent.to_string();
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: "ce_id",
                value: Some(event.id.as_str()),
            })
            .insert(Header {
                key: "content-type",
                value: Some("application/cloudevents+json"),
            });
        let record = FutureRecord::to(topic)
            .key(&event.key)
            .payload(&body)
            .headers(headers);
        match producer.send_result(record) {
            Ok(delivery) => pending.push(delivery),
            Err((e, _)) => {
                return (
                    pending,
                    Some(SinkError(format!("Kafka topic {topic}: {e}"))),
                );
            }
        }
    }
    (pending, None)
}

/// Awaits a batch's acknowledgements in order: how many were acknowledged before the first
/// failure, and that failure (a refused record counts as one).
fn acknowledged(
    batch: &Batch<'_>,
    (pending, refused): (Vec<DeliveryFuture>, Option<SinkError>),
) -> (usize, Option<SinkError>) {
    let enqueued = pending.len();
    for (i, delivery) in pending.into_iter().enumerate() {
        let failure = match block_on(delivery) {
            Ok(Ok(_)) => continue,
            Ok(Err((e, _))) => e.to_string(),
            Err(_) => "the producer dropped the record".to_owned(),
        };
        let topic = match &batch.subscription.endpoint {
            Endpoint::Kafka { topic } => topic.as_str(),
            Endpoint::Webhook { .. } => "",
        };
        return (
            i,
            Some(SinkError(format!("Kafka topic {topic}: {failure}"))),
        );
    }
    (enqueued, refused)
}

impl Drop for KafkaSink {
    /// Nothing is left in flight after a delivery round returns, but a round cut short by shutdown
    /// gets its chance to finish.
    fn drop(&mut self) {
        let producer = self
            .producer
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = producer.flush(Timeout::After(self.timeout)) {
            tracing::warn!(error = %e, "Kafka producer not flushed at shutdown");
        }
    }
}

/// Creates topics through the Kafka admin API.
pub struct KafkaTopics {
    admin: AdminClient<DefaultClientContext>,
    timeout: Duration,
}

impl KafkaTopics {
    pub fn new(brokers: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            admin: config(brokers)
                .create()
                .context("creating the Kafka admin client")?,
            timeout,
        })
    }
}

impl TopicAdmin for KafkaTopics {
    fn ensure_topic(&self, topic: &str) -> anyhow::Result<()> {
        let new = NewTopic::new(topic, PARTITIONS, TopicReplication::Fixed(1));
        let options = AdminOptions::new().operation_timeout(Some(Timeout::After(self.timeout)));
        let results = block_on(self.admin.create_topics([&new], &options))
            .context("creating a Kafka topic")?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => anyhow::bail!("cannot create the Kafka topic {name}: {code}"),
            }
        }
        Ok(())
    }
}
