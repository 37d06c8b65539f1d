//! The Kafka sink: one topic per subscribing agency (`uam.alerts.<agency-id>`), created through the
//! admin API; records keyed by child id, from an idempotent producer with `acks=all`.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use anyhow::Context;
use domain::ports::{Endpoint, EventSink, RenderedEvent, SinkError, Subscription, TopicAdmin};
use futures_executor::block_on;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
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

/// Delivers each event and waits for the broker's acknowledgement before the next, so the
/// subscription's cursor moves only past events the broker has (at least once, in order).
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
        let Endpoint::Kafka { topic } = &subscription.endpoint else {
            return (0, Some(SinkError("not a Kafka subscription".into())));
        };
        let current = Arc::clone(&self.producer.read().unwrap_or_else(PoisonError::into_inner));
        for (i, event) in events.iter().enumerate() {
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
            if let Err((e, _)) = block_on(current.send(record, Timeout::After(self.timeout))) {
                self.renew(&current);
                return (i, Some(SinkError(format!("Kafka topic {topic}: {e}"))));
            }
        }
        (events.len(), None)
    }
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
