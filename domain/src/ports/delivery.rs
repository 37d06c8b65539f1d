//! The outbox read side, subscriptions and their delivery state, and the sinks that deliver.

use chrono::{DateTime, Utc};

use crate::agency::AgencyId;
use crate::alert::{Alert, AlertEvent};
use crate::audit::AuditEntry;
use crate::category::CategorySet;

/// An event as stored in the outbox, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Position in the outbox: the order of delivery, and the SSE `id`.
    pub seq: i64,
    pub event: AlertEvent,
    /// The alert as it stood after the change; `None` for a record's notice (review due).
    pub alert: Option<Alert>,
}

/// Reading the transactional outbox.
pub trait Outbox: Send + Sync {
    /// Events after `seq`, in order, at most `limit`.
    fn after(&self, seq: i64, limit: usize) -> anyhow::Result<Vec<OutboxEvent>>;
    /// The last `seq` written (0 when empty).
    fn head(&self) -> anyhow::Result<i64>;
    /// The event at `seq`, if it is still kept.
    fn get(&self, seq: i64) -> anyhow::Result<Option<OutboxEvent>>;
    /// What waits after `seq`: how many events, and the time of the oldest.
    fn backlog(&self, seq: i64) -> anyhow::Result<Backlog>;
    /// The last `seq` removed by [`Outbox::prune`] (0 when none was): a reader resuming after an
    /// earlier position would miss events.
    fn horizon(&self) -> anyhow::Result<i64>;
    /// Removes the events written before `before`, except those a subscription has not yet passed
    /// (its cursor is before them) and those an unresolved dead letter names; moves the horizon to
    /// the last `seq` removed, or would have been removed but for a dead letter. Returns how many
    /// events were removed.
    fn prune(&self, before: DateTime<Utc>) -> anyhow::Result<u64>;
}

/// The events a reader has still to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    pub events: u64,
    /// When the oldest of them was written.
    pub oldest: Option<DateTime<Utc>>,
}

/// Where a subscription delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Standard Webhooks: POST to `url`, signed with `secret` (`whsec_...`).
    Webhook { url: String, secret: String },
    /// A Kafka topic (`uam.alerts.<agency-id>`).
    Kafka { topic: String },
}

/// Whether a subscription delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    /// Made, or confirmed, by the receiving agency itself: its events are delivered.
    Active,
    /// Proposed by a registry administrator for the receiving agency: nothing is delivered until a
    /// member of that agency confirms it.
    Pending,
    /// Held by the receiving agency: its events wait, in order, until it resumes the subscription
    /// (those that wait longer than its retry period are dead-lettered).
    Paused,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Paused => "paused",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Self::Active),
            "pending" => Some(Self::Pending),
            "paused" => Some(Self::Paused),
            _ => None,
        }
    }
}

/// An agency's subscription to the alert stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    /// The receiving agency: its events are rendered through this agency's mask.
    pub agency: AgencyId,
    pub endpoint: Endpoint,
    pub status: SubscriptionStatus,
    /// The subject of the registry administrator who proposed it; `None` when the receiving agency
    /// made it itself.
    pub proposed_by: Option<String>,
    /// The last outbox `seq` handled (delivered, of no concern, or dead-lettered).
    pub cursor: i64,
    /// How long an event may wait for delivery while the subscription fails or is paused before
    /// it is dead-lettered.
    pub retry_for: chrono::Duration,
    /// Since when it has been paused ([`SubscriptionStatus::Paused`]).
    pub paused_since: Option<DateTime<Utc>>,
    /// The failure it is retrying, while it fails.
    pub failing: Option<Failing>,
    pub created_at: DateTime<Utc>,
}

impl Subscription {
    /// Failed attempts since the last success.
    pub fn attempts(&self) -> u32 {
        self.failing.as_ref().map_or(0, |f| f.attempts)
    }
}

/// A subscription's failure: the event it waits to deliver and how its attempts went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failing {
    /// The first failed attempt since the last success.
    pub since: DateTime<Utc>,
    /// Failed attempts since then.
    pub attempts: u32,
    pub last_error: String,
    /// The outbox `seq` of the event that failed last: every later event waits behind it. `None`
    /// when the attempt failed before an event could be sent.
    pub seq: Option<i64>,
    pub next_attempt_at: DateTime<Utc>,
}

/// An event a subscription gave up on, kept for the receiving agency to replay or discard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub seq: i64,
    pub event_id: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// What a delivery round achieved for one subscription: its new cursor and delivery state,
/// recorded as given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Progress {
    /// The new cursor, if it moved.
    pub cursor: Option<i64>,
    /// The failure the subscription is in after the round; `None`: it delivers.
    pub failing: Option<Failing>,
    /// When to look at the subscription again although no event was written (a paused one whose
    /// events will come to the end of their wait); `None` with no failure: when an event is.
    pub next_look_at: Option<DateTime<Utc>>,
    /// Events given up on in this round.
    pub dead_letters: Vec<DeadLetter>,
}

/// How a dead letter was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// `replayed`, `discarded`, or `not_followed` (the agency no longer follows the alert: there
    /// is nothing to deliver).
    pub kind: &'static str,
    pub by: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// Which subscriptions a delivery round serves: those delivering, or those failing. Separate rounds
/// keep an endpoint that does not answer (each attempt waits for a timeout) from holding up the
/// subscriptions that deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// No failure in course (paused ones included).
    Delivering,
    /// A failure in course.
    Failing,
}

/// A change of a subscription's settings by its agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubscriptionChange {
    /// Pause (`Some(true)`) or resume (`Some(false)`).
    pub paused: Option<bool>,
    pub retry_for: Option<chrono::Duration>,
}

/// Storage of subscriptions and their delivery state. Every change is stored with its audit entry
/// in one transaction: both or neither.
pub trait SubscriptionRepository: Send + Sync {
    /// Stores a new subscription starting after outbox `cursor`, and appends `audit` to the audit
    /// trail in the same transaction.
    fn create(&self, subscription: &Subscription, audit: &AuditEntry) -> anyhow::Result<()>;
    /// Every subscription, or only those of `agency`, oldest first.
    fn list(&self, agency: Option<&AgencyId>) -> anyhow::Result<Vec<Subscription>>;
    fn find(&self, id: &str) -> anyhow::Result<Option<Subscription>>;
    /// Makes a [`SubscriptionStatus::Pending`] subscription active, delivering the events after
    /// outbox `cursor`, with a new webhook `secret` (for a webhook), and appends `audit` in the same
    /// transaction. MUST return `false`, and write nothing, if there is no such subscription or it
    /// is not pending (confirmed meanwhile).
    fn confirm(
        &self,
        id: &str,
        cursor: i64,
        secret: Option<&str>,
        audit: &AuditEntry,
    ) -> anyhow::Result<bool>;
    /// Removes a subscription, resolves its open dead letters as discarded (by `audit`'s subject:
    /// "the subscription was deleted"), and appends `audit`, in one transaction; `false`, and
    /// nothing written, if there was none.
    fn delete(&self, id: &str, audit: &AuditEntry) -> anyhow::Result<bool>;
    /// Applies `change` to a subscription that is not pending, and appends `audit` in the same
    /// transaction: pausing sets [`SubscriptionStatus::Paused`] since `now` (a failure in course
    /// stays); resuming makes it active and due at once. Answers the subscription as stored
    /// after the change; `None`, and nothing written, if there is no such subscription or it is
    /// pending.
    fn change(
        &self,
        id: &str,
        change: &SubscriptionChange,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> anyhow::Result<Option<Subscription>>;
    /// The subscription's unresolved dead letters, in outbox order.
    fn dead_letters(&self, id: &str) -> anyhow::Result<Vec<DeadLetter>>;
    /// How many unresolved dead letters each subscription has (those with none are absent).
    fn dead_letter_counts(&self) -> anyhow::Result<std::collections::HashMap<String, u64>>;
    /// Dead-letters the event a subscription is failing on, at the receiving agency's decision:
    /// only if it is still failing on `dead_letter.seq`, records the dead letter, moves the cursor
    /// past it, makes the next event due at once (the failure goes on until a delivery succeeds),
    /// and appends `audit`, all in one transaction. `false`, and nothing written, otherwise.
    fn dead_letter_failing(
        &self,
        id: &str,
        dead_letter: &DeadLetter,
        audit: &AuditEntry,
    ) -> anyhow::Result<bool>;
    /// Marks an unresolved dead letter resolved (`replayed`, `discarded` or `not_followed`), by
    /// whom, with the reason, and appends `audit` in the same transaction. `false`, and nothing
    /// written, if there is no such unresolved dead letter.
    fn resolve_dead_letter(
        &self,
        id: &str,
        seq: i64,
        resolution: &Resolution,
        audit: &[AuditEntry],
    ) -> anyhow::Result<bool>;

    /// Takes up to `limit` active or paused subscriptions of `lane` (MUST NOT take a
    /// [`SubscriptionStatus::Pending`] one: it delivers nothing) with events pending (cursor
    /// before the outbox head), due at `now` (no later attempt or look set), that no other worker,
    /// in this process or another sharing the store, holds until their progress is recorded, runs
    /// `deliver` once for all of them, and records each one's progress as given (`deliver`
    /// answers one [`Progress`] per subscription, in the order given): the new cursor, the dead
    /// letters, the failure and the time of the next attempt or look. Returns how many
    /// subscriptions were taken; 0 when none was due.
    fn deliver_due(
        &self,
        now: DateTime<Utc>,
        lane: Lane,
        limit: usize,
        deliver: &mut dyn FnMut(&[Subscription]) -> Vec<Progress>,
    ) -> anyhow::Result<usize>;
}

/// A delivery endpoint refused or could not be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// Delivers rendered events to one kind of endpoint.
pub trait EventSink: Send + Sync {
    /// Delivers `events` (CloudEvents, JSON, in order) for `subscription`; returns how many were
    /// delivered before the first failure, and that failure.
    fn deliver(
        &self,
        subscription: &Subscription,
        events: &[RenderedEvent],
    ) -> (usize, Option<SinkError>);

    /// [`EventSink::deliver`] for several subscriptions, one answer per batch in the order given.
    /// Each batch keeps its order and its own failure; a sink may serve the batches at once, so
    /// that no subscription waits for the acknowledgements of the others. By default one after
    /// another.
    fn deliver_all(&self, batches: &[Batch<'_>]) -> Vec<(usize, Option<SinkError>)> {
        batches
            .iter()
            .map(|b| self.deliver(b.subscription, b.events))
            .collect()
    }
}

/// The events of one delivery round for one subscription.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub subscription: &'a Subscription,
    pub events: &'a [RenderedEvent],
}

/// An event rendered for one receiver: the CloudEvent, the key that keeps a child's events in
/// order (the child id), and what it discloses, for the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedEvent {
    pub seq: i64,
    pub id: String,
    pub key: String,
    /// The CloudEvents `type` (`be.uam.alert.raised`, ...), and `time`, as the CloudEvent holds them.
    pub kind: &'static str,
    pub time: DateTime<Utc>,
    pub cloudevent: serde_json::Value,
    /// The children the event names (the child of the alert, and a possible match's candidate).
    pub children: Vec<String>,
    /// The categories of their records the event carries.
    pub disclosed: CategorySet,
    /// The purpose the event is delivered for: `disappearance` for alert events, `guardianship`
    /// for a review notice.
    pub purpose: crate::purpose::Purpose,
}
