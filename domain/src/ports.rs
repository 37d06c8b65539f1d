//! Ports: what the domain needs from the outside, implemented by `infra` and by fakes in unit tests.
//! Every method may block; callers run them off latency-sensitive threads.

use chrono::{DateTime, Utc};

use crate::agency::{Agency, AgencyId, AgencyKind, NewAgency};
use crate::alert::{Alert, AlertEvent, AlertStatus, Following};
use crate::audit::{AuditEntry, ChainedEntry, VerifyReport};
use crate::category::CategorySet;
use crate::matching::KeyQuery;
use crate::minor::MinorData;
use crate::minor::RiskLevel;
use crate::page::{Page, PageRequest};
use crate::principal::VerifiedClaims;
use crate::record::{Actor, ListScope, Minor, MinorFilter, Revision};

/// The current time. A port so that tests can drive it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Why a bearer token was not accepted; the text is safe to show to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct TokenRejected {
    pub reason: String,
    /// The `sub` the token claims, read without verification, for the audit trail only.
    pub claimed_subject: Option<String>,
}

/// Checks a bearer token's signature and standard claims.
pub trait TokenVerifier: Send + Sync {
    /// MUST reject (never panic on) any token that is not a JWS signed with an asymmetric algorithm
    /// (RS256, ES256, EdDSA) by the configured key whose `kid` it names, whose `iss` and `aud` are not
    /// the configured ones, whose `exp` has passed or whose `nbf` has not, or that lacks one of `sub`,
    /// `agency`, `role`, `iss`, `aud`, `exp`.
    fn verify(&self, token: &str) -> Result<VerifiedClaims, TokenRejected>;
}

/// The agency id is already taken.
#[derive(Debug, thiserror::Error)]
pub enum InsertAgencyError {
    #[error("an agency with id `{0}` already exists")]
    Duplicate(AgencyId),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Storage of agencies.
pub trait AgencyRepository: Send + Sync {
    /// Stores a new agency with its creation time. MUST return [`InsertAgencyError::Duplicate`] if an
    /// agency with the same id exists, and store nothing then.
    fn insert(
        &self,
        agency: &NewAgency,
        created_at: DateTime<Utc>,
    ) -> Result<Agency, InsertAgencyError>;

    /// The agency with this id, if any.
    fn find(&self, id: &AgencyId) -> anyhow::Result<Option<Agency>>;

    /// Every agency of one of these kinds, ordered by id.
    fn of_kinds(&self, kinds: &[AgencyKind]) -> anyhow::Result<Vec<Agency>>;

    /// Agencies ordered by id, after the cursor.
    fn list(&self, page: &PageRequest<AgencyId>) -> anyhow::Result<Page<Agency, AgencyId>>;
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

/// The stored version is not the one the change was based on.
#[derive(Debug, thiserror::Error)]
pub enum UpdateMinorError {
    #[error("no record with id `{0}`")]
    NotFound(String),
    #[error("the record is at version {current}")]
    Stale { current: i64 },
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// A duplicate merged into the record that survives; see [`MinorRepository::merge`].
#[derive(Debug, Clone, Copy)]
pub struct Merge<'a> {
    pub survivor: &'a str,
    pub survivor_version: i64,
    pub duplicate: &'a str,
    pub duplicate_version: i64,
    /// The survivor's data after the merge.
    pub data: &'a MinorData,
    /// Categories of the survivor that change.
    pub changed: CategorySet,
    pub actor: &'a Actor,
    pub at: DateTime<Utc>,
    pub audit: &'a AuditEntry,
}

/// A photo's stored bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A photo to store beside a record change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoto {
    pub id: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// One change to a record, based on the version the caller saw.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub expected_version: i64,
    pub data: &'a MinorData,
    pub changed: CategorySet,
    pub photo: Option<&'a NewPhoto>,
    pub actor: &'a Actor,
    pub at: DateTime<Utc>,
    pub audit: &'a AuditEntry,
}

/// Why an uploaded photo was refused; the text is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PhotoRejected(pub String);

/// A photo made safe to store: content checked, re-encoded without metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanPhoto {
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Checks and cleans uploaded photos.
pub trait PhotoCleaner: Send + Sync {
    /// MUST refuse content that is not a JPEG or PNG image (judged by the content, not by any
    /// declared type), that is too large, or that cannot be decoded; MUST return an image that
    /// carries no metadata (EXIF, location, comments).
    fn clean(&self, bytes: &[u8]) -> Result<CleanPhoto, PhotoRejected>;
}

/// Postings from which a name key (single or pair) counts as common; see
/// [`MinorRepository::candidates`].
pub const COMMON_KEY_POSTINGS: usize = 2_000;

/// Storage of children's records, their revisions and photos. Each write is one transaction.
pub trait MinorRepository: Send + Sync {
    /// Stores a new record at version 1 with status `active`, its first revision, and assigns its
    /// registry number `UAM-<year of registration>-<sequence, 6 digits or more>`; appends `audit`
    /// to the audit chain and writes `events` to the outbox in the same transaction.
    fn insert(
        &self,
        id: &str,
        data: &MinorData,
        actor: &Actor,
        at: DateTime<Utc>,
        audit: Option<&AuditEntry>,
        events: &[NewEvent<'_>],
    ) -> anyhow::Result<Minor>;

    /// The record with this id, if any.
    fn find(&self, id: &str) -> anyhow::Result<Option<Minor>>;

    /// Stores `change.data` as version `change.expected_version + 1` with a revision, the photo if
    /// given, and appends `change.audit` to the audit chain, all or nothing. MUST return [`UpdateMinorError::Stale`] and store nothing when the
    /// stored version is not `expected_version`, and [`UpdateMinorError::NotFound`] when there is no
    /// such record.
    fn update(&self, id: &str, change: &Change<'_>) -> Result<Minor, UpdateMinorError>;

    /// Merges record `merge.duplicate` into `merge.survivor` in one transaction, all or nothing:
    /// the survivor takes `merge.data` at the next version with a revision (its name keys,
    /// nationality rows and photos follow); the duplicate keeps its data and revisions, gets
    /// status `merged`, points to the survivor and leaves the name index; `merge.audit` is
    /// appended. MUST return [`UpdateMinorError::Stale`] and store nothing when either stored
    /// version differs from the expected one, and [`UpdateMinorError::NotFound`] when either
    /// record is missing.
    fn merge(&self, merge: &Merge<'_>) -> Result<Minor, UpdateMinorError>;

    /// Every revision of the record, oldest first (empty if there is no such record).
    fn history(&self, id: &str) -> anyhow::Result<Vec<Revision>>;

    /// Records in registration order after the cursor (a registration sequence number), within
    /// `scope`, matching `filter`.
    fn list(
        &self,
        scope: &ListScope,
        filter: &MinorFilter,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<(i64, Minor), i64>>;

    /// At most `limit` records filed under keys of `query` (see `matching::index_keys`), most
    /// likely first, with work bounded by the number of query keys, however large the registry:
    ///
    /// * a key held by fewer than [`COMMON_KEY_POSTINGS`] records is *selective*: every record
    ///   under it is considered;
    /// * under a *common* key (a name such as Mohammed, or Mohammed Ahmadi in a large registry)
    ///   only the `limit` records born nearest to `query.born` on either side are, or without a
    ///   date the `limit` most recently registered;
    /// * records are ranked by the number of query keys they were found under, then by the
    ///   distance of their date of birth to `query.born` (unknown counts as a year), then the most
    ///   recently registered first.
    fn candidates(&self, query: &KeyQuery, limit: usize) -> anyhow::Result<Vec<Minor>>;

    /// A photo of the record, if both exist.
    fn photo(&self, minor_id: &str, photo_id: &str) -> anyhow::Result<Option<StoredPhoto>>;
}

/// The audit trail could not record an entry: nothing may be disclosed (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit trail is unavailable: {0}")]
pub struct AuditUnavailable(pub String);

/// The append-only, hash-chained audit trail.
pub trait AuditLog: Send + Sync {
    /// MUST return `Ok` only once the entry is durably committed, chained after every entry committed
    /// before it (also by other processes sharing the database); MUST return [`AuditUnavailable`]
    /// when it cannot be stored. Concurrent calls may share one commit.
    fn append(&self, entry: AuditEntry) -> Result<(), AuditUnavailable>;

    /// [`AuditLog::append`] for several entries, committed together, in order: `Ok` once all are
    /// durable, [`AuditUnavailable`] if any is not (then none is).
    fn append_all(&self, entries: Vec<AuditEntry>) -> Result<(), AuditUnavailable> {
        for entry in entries {
            self.append(entry)?;
        }
        Ok(())
    }

    /// Entries that name the child, oldest first, after the cursor (an entry's `seq`).
    fn for_minor(
        &self,
        minor_id: &str,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<ChainedEntry, i64>>;

    /// Checks the whole chain from the first entry to the head.
    fn verify(&self) -> anyhow::Result<VerifyReport>;
}

/// Filters of an alert listing in storage, combined with AND.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub risk: Option<RiskLevel>,
    /// Only the alerts so followed (see [`crate::alert::following`]): with
    /// [`Following::ChildrenOf`], the alerts of the children whose record names the agency as
    /// current placement or guardian agency now.
    pub following: Option<Following>,
}

/// A change to an alert, written with its event and audit entry in one transaction.
#[derive(Debug, Clone)]
pub struct AlertChange<'a> {
    pub alert: &'a Alert,
    /// The version the change was based on; the stored alert becomes `alert.version`.
    pub expected_version: i64,
    pub event: &'a AlertEvent,
    /// Set the child's record to this status in the same transaction.
    pub minor_status: Option<crate::minor::MinorStatus>,
    pub audit: Option<&'a AuditEntry>,
    /// A record to create with the alert, in the same transaction (a child not yet registered).
    pub new_minor: Option<NewMinorRecord<'a>>,
}

/// A minimal record created together with an alert.
#[derive(Debug, Clone, Copy)]
pub struct NewMinorRecord<'a> {
    pub data: &'a MinorData,
    pub actor: &'a Actor,
}

/// The stored alert is not at the version the change was based on.
#[derive(Debug, thiserror::Error)]
pub enum UpdateAlertError {
    #[error("the alert changed meanwhile")]
    Stale,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Storage of alerts, with the transactional outbox of their events.
pub trait AlertRepository: Send + Sync {
    /// Stores a new alert (and its child's record first, if `new_minor` is given), sets the child's
    /// status to `missing`, writes the event to the outbox and appends the audit entry, all in one
    /// transaction. MUST fail, storing nothing, if the child has
    /// an open alert already ([`CreateAlertError::AlreadyOpen`]) or does not exist.
    fn create(&self, change: &AlertChange<'_>) -> Result<(), CreateAlertError>;

    /// Stores `change.alert` if the stored version is `expected_version`, with its event (outbox),
    /// audit entry and child status, all or nothing.
    fn update(&self, change: &AlertChange<'_>) -> Result<(), UpdateAlertError>;

    fn find(&self, id: &str) -> anyhow::Result<Option<Alert>>;

    /// Alerts in the order raised, after the cursor (a sequence number).
    fn list(
        &self,
        filter: &AlertFilter,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<(i64, Alert), i64>>;

    /// How many alerts the child has had, not counting those resolved as reported in error.
    fn count_for_minor(&self, minor_id: &str) -> anyhow::Result<u32>;

    /// The child's open alert, if there is one (there is at most one).
    fn open_for_minor(&self, minor_id: &str) -> anyhow::Result<Option<Alert>>;

    /// Alerts with a deadline (acknowledgement or protective measures) at or before `now` that has
    /// not been dealt with.
    fn due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Alert>>;
}

/// Why a new alert was not stored.
#[derive(Debug, thiserror::Error)]
pub enum CreateAlertError {
    #[error("the child already has an open alert")]
    AlreadyOpen,
    #[error("no record with id `{0}`")]
    NoSuchMinor(String),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// An event to write to the outbox with another change, and its alert as it stands.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub event: &'a AlertEvent,
    pub alert: &'a Alert,
}

/// An event as stored in the outbox, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Position in the outbox: the order of delivery, and the SSE `id`.
    pub seq: i64,
    pub event: AlertEvent,
    /// The alert as it stood after the change.
    pub alert: Alert,
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
    /// before the outbox head), due at `now` (no later attempt or look set), that no other worker
    /// holds (on PostgreSQL `FOR UPDATE SKIP LOCKED`, held until their progress is recorded), runs
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
    pub cloudevent: serde_json::Value,
    /// The children the event names (the child of the alert, and a possible match's candidate).
    pub children: Vec<String>,
    /// The categories of their records the event carries.
    pub disclosed: CategorySet,
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
