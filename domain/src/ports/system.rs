//! Ports to the machinery around the registry: time, ids, health, outages, where webhooks may
//! go, secrets, Kafka topics, the statistics source.

use chrono::{DateTime, Utc};

/// The current time. A port so that tests can drive it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Tells a store that cannot be used now from a defect.
pub trait Outages: Send + Sync {
    /// MUST return `true` when `error`, anywhere in its chain, means the store could not be used
    /// now (no connection in time, or the connection lost under the query): the caller may retry.
    fn is_outage(&self, error: &anyhow::Error) -> bool;
}

/// Liveness of the storage, for readiness probes.
pub trait HealthCheck: Send + Sync {
    /// MUST return an error when the store cannot be reached or has migrations not yet applied.
    fn ready(&self) -> anyhow::Result<()>;
}

/// New unique ids for records and photos.
pub trait IdGenerator: Send + Sync {
    /// MUST return a value never returned before (a UUID in practice).
    fn new_id(&self) -> String;
}

/// A webhook URL refused, with the reason, fit to show to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetRefused(pub String);

/// Where webhooks may deliver (a check against server-side request forgery).
pub trait WebhookTargets: Send + Sync {
    /// Checks the URL of a webhook before it is subscribed or confirmed. MUST refuse a URL that is
    /// not absolute, has no host, or is not `https` (`http` only for a host the operator allowed),
    /// and one whose host resolves to no address or to any loopback, link-local, private or
    /// otherwise non-public address, unless the operator allowed that host. The sink MUST check the
    /// addresses again at each connection, so that a name re-pointed later gains nothing.
    fn check(&self, url: &str) -> Result<(), TargetRefused>;
}

/// New shared secrets for webhook signatures.
pub trait SecretGenerator: Send + Sync {
    /// A fresh random secret, `whsec_` and base64.
    fn webhook_secret(&self) -> anyhow::Result<String>;
}

/// Creates the topic an agency's Kafka subscription delivers to.
pub trait TopicAdmin: Send + Sync {
    /// MUST succeed if the topic exists already.
    fn ensure_topic(&self, topic: &str) -> anyhow::Result<()>;
}

/// What statistics are computed from.
pub trait StatisticsSource: Send + Sync {
    /// The facts of every stored record and every stored alert (see
    /// [`crate::statistics::Facts::build`]), read in one consistent snapshot.
    fn facts(&self) -> anyhow::Result<crate::statistics::Facts>;
}

/// Which days of the registry's clock the lifecycle sweep has run.
pub trait SweepCalendar: Send + Sync {
    /// Marks `day` as swept, started at `at`. MUST return `true` to exactly one caller per day,
    /// across every instance sharing the store, and `false` to the others.
    fn claim(&self, day: chrono::NaiveDate, at: DateTime<Utc>) -> anyhow::Result<bool>;
}
