//! Operation rights: which role may do what, for which purpose, in which standing to the child or
//! the alert. Written as `[[permit]]` tables beside the field grants and compiled with them; the
//! use cases ask [`Policy::permits`](super::Policy::permits) and nothing else decides.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::alert::ResolutionOutcome;
use crate::purpose::Purpose;
use crate::role::Role;

/// Everything a caller can do through the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Read one record (`GET /v1/minors/{id}`).
    Consult,
    /// Page through records (`GET /v1/minors`).
    List,
    /// Ranked candidates for a description (`POST /v1/minors/search`).
    Search,
    /// Register a new record.
    Register,
    /// Change a record (merge patch).
    Amend,
    /// Read a record's revisions.
    History,
    /// Add a photo to a record.
    PhotoUpload,
    /// Read a photo's bytes.
    PhotoRead,
    /// Read who saw or changed what of a child.
    AccessLog,
    /// Report a registered child missing.
    Report,
    /// Report a child the registry does not know yet, with a minimal record.
    ReportUnregistered,
    /// Read and list alerts.
    ReadAlert,
    /// Follow alerts on the server-sent event stream.
    Stream,
    /// Acknowledge an alert for one's agency.
    Acknowledge,
    /// Add a sighting to an open alert.
    Sighting,
    /// Add information to an open alert (place, circumstances, risk).
    UpdateAlert,
    /// Record the protective-measures decision after the child is located.
    DecideMeasures,
    /// Resolve an alert, with the outcomes a permit lists.
    Resolve,
    /// Merge a duplicate record into the record that survives.
    Merge,
    /// Subscribe one's own agency to its events (webhook or Kafka), or confirm a proposed one; see
    /// and end one's agency's subscriptions.
    Subscribe,
    /// Propose a subscription for another agency, which that agency confirms; see every agency's
    /// subscriptions and end any (they hold no child data).
    ProposeSubscription,
    /// Create and manage agencies.
    ManageAgencies,
    /// Aggregated statistics.
    Statistics,
    /// Check the audit chain.
    AuditVerify,
    /// The oversight listing of alerts opened and closed in error.
    Oversight,
    /// Restrict a record (GDPR Art. 18) or lift its restriction.
    Restrict,
    /// Close a record (departure, transfer abroad, ...): its retention rules start to run.
    Close,
    /// Confirm a record's course after a review, or hold its retention rules back.
    Review,
    /// Delete a photo attached by mistake (rectification).
    PhotoDelete,
    /// Redact a rectified value from a record's history.
    Redact,
    /// Everything held on a child and every disclosure of it, for the child (GDPR Art. 15).
    SubjectAccess,
    /// Record a roll call for the children placed with one's agency (`POST /v1/presence`).
    Presence,
    /// Grade a sighting or tip: unverified, credible, confirmed, discarded.
    GradeSighting,
    /// Publish a public appeal for an alert and record where it was republished.
    Appeal,
    /// List and complete the follow-up tasks assigned to one's agency.
    Tasks,
    /// The police packet of an alert: what a police report, a SIS alert on a missing minor and
    /// an INTERPOL Yellow Notice request need, through the caller's mask.
    Packet,
}

impl Operation {
    pub const ALL: [Operation; 36] = [
        Self::Consult,
        Self::List,
        Self::Search,
        Self::Register,
        Self::Amend,
        Self::History,
        Self::PhotoUpload,
        Self::PhotoRead,
        Self::AccessLog,
        Self::Report,
        Self::ReportUnregistered,
        Self::ReadAlert,
        Self::Stream,
        Self::Acknowledge,
        Self::Sighting,
        Self::UpdateAlert,
        Self::DecideMeasures,
        Self::Resolve,
        Self::Merge,
        Self::Subscribe,
        Self::ProposeSubscription,
        Self::ManageAgencies,
        Self::Statistics,
        Self::AuditVerify,
        Self::Oversight,
        Self::Restrict,
        Self::Close,
        Self::Review,
        Self::PhotoDelete,
        Self::Redact,
        Self::SubjectAccess,
        Self::Presence,
        Self::GradeSighting,
        Self::Appeal,
        Self::Tasks,
        Self::Packet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consult => "consult",
            Self::List => "list",
            Self::Search => "search",
            Self::Register => "register",
            Self::Amend => "amend",
            Self::History => "history",
            Self::PhotoUpload => "photo_upload",
            Self::PhotoRead => "photo_read",
            Self::AccessLog => "access_log",
            Self::Report => "report",
            Self::ReportUnregistered => "report_unregistered",
            Self::ReadAlert => "read_alert",
            Self::Stream => "stream",
            Self::Acknowledge => "acknowledge",
            Self::Sighting => "sighting",
            Self::UpdateAlert => "update_alert",
            Self::DecideMeasures => "decide_measures",
            Self::Resolve => "resolve",
            Self::Merge => "merge",
            Self::Subscribe => "subscribe",
            Self::ProposeSubscription => "propose_subscription",
            Self::ManageAgencies => "manage_agencies",
            Self::Statistics => "statistics",
            Self::AuditVerify => "audit_verify",
            Self::Oversight => "oversight",
            Self::Restrict => "restrict",
            Self::Close => "close",
            Self::Review => "review",
            Self::PhotoDelete => "photo_delete",
            Self::Redact => "redact",
            Self::SubjectAccess => "subject_access",
            Self::Presence => "presence",
            Self::GradeSighting => "grade_sighting",
            Self::Appeal => "appeal",
            Self::Tasks => "tasks",
            Self::Packet => "packet",
        }
    }

    /// Operations whose answer holds no child data: the only ones open to `registry_admin`,
    /// `analyst` and `auditor`. (The access log lists who saw which categories, never values.)
    pub fn discloses_no_child_data(self) -> bool {
        matches!(
            self,
            Self::AccessLog
                | Self::ProposeSubscription
                | Self::ManageAgencies
                | Self::Statistics
                | Self::AuditVerify
                | Self::Oversight
        )
    }

    /// Operations that read a record's fields, each through the field mask: their purposes must be
    /// purposes the role reads something for.
    pub fn reads_records(self) -> bool {
        matches!(
            self,
            Self::Consult
                | Self::List
                | Self::Search
                | Self::History
                | Self::PhotoRead
                | Self::SubjectAccess
                | Self::Packet
        )
    }

    /// Whether the operation is asked for with a purpose (`X-Purpose`); those that are not touch no
    /// child's record.
    pub fn takes_purpose(self) -> bool {
        !matches!(
            self,
            Self::Subscribe | Self::ProposeSubscription | Self::ManageAgencies | Self::AuditVerify
        )
    }

    /// Operations of a record's lifecycle that only the guardianship service may do: they decide
    /// what the registry keeps of a child and who may still see it.
    pub fn guardianship_only(self) -> bool {
        matches!(
            self,
            Self::Restrict | Self::Close | Self::Review | Self::Redact
        )
    }

    /// Operations on an alert, where the standings `follows` and `reporter` mean something.
    pub fn on_alert(self) -> bool {
        matches!(
            self,
            Self::ReadAlert
                | Self::Stream
                | Self::Acknowledge
                | Self::Sighting
                | Self::UpdateAlert
                | Self::DecideMeasures
                | Self::Resolve
                | Self::GradeSighting
                | Self::Appeal
                | Self::Packet
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a permit holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Whatever the child or alert (field grants still decide what is read).
    Always,
    /// The child is placed with, or is a ward of, the caller's agency.
    Assigned,
    /// An alert for the child is open.
    ActiveAlert,
    /// The caller's agency follows the alert (see [`crate::alert::follows`]).
    Follows,
    /// The caller's agency reported the alert.
    Reporter,
}

impl Standing {
    pub const ALL: [Standing; 5] = [
        Self::Always,
        Self::Assigned,
        Self::ActiveAlert,
        Self::Follows,
        Self::Reporter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Assigned => "assigned",
            Self::ActiveAlert => "active_alert",
            Self::Follows => "follows",
            Self::Reporter => "reporter",
        }
    }
}

/// One permit: `role` may do `operations` for these `purposes` (none: an operation that takes no
/// purpose) when `condition` holds; a `resolve` permit may name the `outcomes` it allows (absent:
/// every outcome).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permit {
    pub role: Role,
    pub operations: Vec<Operation>,
    #[serde(default)]
    pub purposes: Vec<Purpose>,
    pub condition: Standing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Vec<ResolutionOutcome>>,
}

/// How a caller stands to one child and, for alert operations, to one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    pub assigned: bool,
    pub active_alert: bool,
    pub follows: bool,
    pub reporter: bool,
    /// The child's record is restricted (GDPR Art. 18): see [`super::Policy::permits`].
    pub restricted: bool,
}

impl Facts {
    /// Every standing at once: what a check made before the child is known may assume.
    pub const ANY: Facts = Facts {
        assigned: true,
        active_alert: true,
        follows: true,
        reporter: true,
        restricted: false,
    };

    pub fn holds(self, condition: Standing) -> bool {
        match condition {
            Standing::Always => true,
            Standing::Assigned => self.assigned,
            Standing::ActiveAlert => self.active_alert,
            Standing::Follows => self.follows,
            Standing::Reporter => self.reporter,
        }
    }
}

/// How the caller stands to one child, deciding which conditions hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Relation {
    /// The child is placed with, or is a ward of, the caller's agency.
    pub assigned: bool,
    /// An alert for the child is open.
    pub active_alert: bool,
    /// The record is restricted (GDPR Art. 18): see [`super::Policy::mask`].
    pub restricted: bool,
}

impl From<Relation> for Facts {
    fn from(r: Relation) -> Self {
        Facts {
            assigned: r.assigned,
            active_alert: r.active_alert,
            restricted: r.restricted,
            ..Facts::default()
        }
    }
}

impl Permit {
    /// Whether this permit lets `role` do `op` for `purpose` (`None`: an operation without one)
    /// with `outcome` (for `resolve`) in standing `facts`.
    pub(super) fn allows(
        &self,
        role: Role,
        op: Operation,
        purpose: Option<Purpose>,
        outcome: Option<ResolutionOutcome>,
        facts: Facts,
    ) -> bool {
        self.role == role
            && self.operations.contains(&op)
            && match purpose {
                Some(p) => self.purposes.contains(&p),
                None => self.purposes.is_empty(),
            }
            && facts.holds(self.condition)
            && match (&self.outcomes, outcome) {
                (Some(listed), Some(o)) => listed.contains(&o),
                _ => true,
            }
    }
}
