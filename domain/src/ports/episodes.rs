//! Storage of the parts of an episode outside its alert: roll-call absences and follow-up tasks,
//! each written with its events (outbox) and audit entry in one transaction.

use chrono::{DateTime, Utc};

use crate::alert::AlertEvent;
use crate::audit::AuditEntry;
use crate::episode::{Absence, Task, TaskStatus};
use crate::page::{Page, PageRequest};

/// What one roll call changes: absences opened, absences closed (each at the version read), their
/// events, and the audit entry of the roll call.
#[derive(Debug, Clone)]
pub struct RollCallChange<'a> {
    pub opened: &'a [Absence],
    /// Each absence as closed, with the version it was read at.
    pub closed: &'a [(Absence, i64)],
    pub events: &'a [AlertEvent],
    pub audit: &'a AuditEntry,
}

/// A stored absence or task was not at the version the change was based on, or (for an absence
/// opened) the child has an open absence already.
#[derive(Debug, thiserror::Error)]
pub enum EpisodeWriteError {
    #[error("the absence or task changed meanwhile")]
    Stale,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Roll-call absences.
pub trait AbsenceRepository: Send + Sync {
    /// Stores a roll call, all or nothing. MUST fail with [`EpisodeWriteError::Stale`], storing
    /// nothing, if a closed absence is no longer at its version or an opened one finds the child
    /// with an open absence already (at most one open absence per child).
    fn roll_call(&self, change: &RollCallChange<'_>) -> Result<(), EpisodeWriteError>;

    /// Stores `absence` if the stored one is at `expected_version`, with its event (the sweep).
    fn update(
        &self,
        absence: &Absence,
        expected_version: i64,
        event: &AlertEvent,
    ) -> Result<(), EpisodeWriteError>;

    /// The child's open absence, if any.
    fn open_for_minor(&self, minor_id: &str) -> anyhow::Result<Option<Absence>>;

    /// Every absence of the child, the most recent first.
    fn of_minor(&self, minor_id: &str) -> anyhow::Result<Vec<Absence>>;

    /// Open absences with a deadline at or before `now` (at most a few hundred, the earliest first).
    fn due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Absence>>;
}

/// Filters of a task listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskFilter {
    /// Only the tasks assigned to this agency (always set by the use case).
    pub agency: String,
    pub status: Option<TaskStatus>,
    /// Only the open tasks flagged overdue.
    pub overdue: bool,
    pub minor_id: Option<String>,
}

/// Follow-up tasks. They are created with the resolution of their alert
/// ([`crate::ports::AlertChange::tasks`]).
pub trait TaskRepository: Send + Sync {
    fn find(&self, id: &str) -> anyhow::Result<Option<Task>>;

    /// Tasks in the order created, after the cursor (a sequence number).
    fn list(
        &self,
        filter: &TaskFilter,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<(i64, Task), i64>>;

    /// Stores `task` if the stored one is at `expected_version`, with its event and audit entry.
    fn update(
        &self,
        task: &Task,
        expected_version: i64,
        event: &AlertEvent,
        audit: Option<&AuditEntry>,
    ) -> Result<(), EpisodeWriteError>;

    /// Open tasks not yet flagged with a deadline at or before `now` (the earliest first, at most a
    /// few hundred).
    fn due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Task>>;
}
