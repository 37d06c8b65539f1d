//! Storage of alerts, with the transactional outbox of their events.

use chrono::{DateTime, Utc};

use crate::alert::{Alert, AlertEvent, AlertStatus, Following};
use crate::audit::AuditEntry;
use crate::minor::{MinorData, RiskLevel};
use crate::page::{Page, PageRequest};
use crate::record::Actor;

/// Filters of an alert listing in storage, combined with AND.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub risk: Option<RiskLevel>,
    /// Only alerts whose reporting ledger has a gap (a party not told).
    pub ledger_incomplete: bool,
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
    /// The child's absence, closed by the report: stored if it is still open (a return recorded
    /// meanwhile keeps it closed as it is).
    pub absence: Option<&'a crate::episode::Absence>,
    /// Follow-up tasks created by the change (a resolution with the child found).
    pub tasks: &'a [crate::episode::Task],
    /// Events besides `event` (of the absence closed, of the tasks created), in this order.
    pub more_events: &'a [AlertEvent],
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

    /// Every stored alert of the child, in the order raised.
    fn of_minor(&self, minor_id: &str) -> anyhow::Result<Vec<Alert>>;

    /// The child's open alert, if there is one (there is at most one).
    fn open_for_minor(&self, minor_id: &str) -> anyhow::Result<Option<Alert>>;

    /// Alerts with a deadline (acknowledgement or protective measures) at or before `now` that has
    /// not been dealt with.
    fn due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Alert>>;

    /// Removes the resolved alert `id` with its agencies, its outbox events and the dead letters
    /// that name them, and appends `audit`, all or nothing (a retention rule). MUST remove
    /// nothing and return `false` when the alert is not resolved or does not exist.
    fn erase_resolved(&self, id: &str, audit: &crate::audit::AuditEntry) -> anyhow::Result<bool>;
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
