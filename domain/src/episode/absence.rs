//! An unexplained absence found at a roll call: a *possible disappearance* with a clock. If nobody
//! marks the child back or reports it missing in time, it falls overdue (an event to the placement,
//! the guardian and the guardianship service) and later escalates once more.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::{EventType, Reporter};
use crate::minor::RiskLevel;

/// What a roll call found of one child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Present,
    // Away with leave (school trip, hospital, family visit): no clock runs.
    AbsentWithPermission,
    AbsentWithoutPermission,
    // Not seen and nobody knows: treated as an unexplained absence.
    Unknown,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Present => "present",
            Self::AbsentWithPermission => "absent_with_permission",
            Self::AbsentWithoutPermission => "absent_without_permission",
            Self::Unknown => "unknown",
        }
    }

    /// Whether the finding opens (or keeps open) a possible disappearance.
    pub fn unexplained(self) -> bool {
        matches!(self, Self::AbsentWithoutPermission | Self::Unknown)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceStatus {
    Open,
    Closed,
}

impl AbsenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// How an absence ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceEnd {
    // A later roll call found the child present.
    Returned,
    // A later roll call found the absence explained (leave given after the fact).
    Permitted,
    // The child was reported missing: the episode goes on as an alert.
    Reported,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Closure {
    pub reason: AbsenceEnd,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub at: DateTime<Utc>,
    pub by: Reporter,
    /// The alert raised, when the child was reported missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<String>,
}

/// An unexplained absence. Changed only through its methods, each of which returns the event it
/// raises, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Absence {
    pub id: String,
    pub minor_id: String,
    /// The placement whose roll call found it.
    pub agency: String,
    /// What the roll call found.
    pub presence: Presence,
    /// The roll call that found the child absent.
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub noted_at: DateTime<Utc>,
    pub recorded_by: Reporter,
    /// The level the risk rules gave the child when the absence was noted: it sets the clock.
    pub risk: RiskLevel,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub overdue_due_at: DateTime<Utc>,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub escalation_due_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub overdue_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub escalated_at: Option<DateTime<Utc>>,
    pub status: AbsenceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure: Option<Closure>,
    pub version: i64,
}

/// What a new absence starts from.
#[derive(Debug, Clone)]
pub struct NewAbsence {
    pub id: String,
    pub minor_id: String,
    pub agency: String,
    pub presence: Presence,
    pub noted_at: DateTime<Utc>,
    pub recorded_by: Reporter,
    pub risk: RiskLevel,
    /// How long after `noted_at` it falls overdue.
    pub overdue_after: Duration,
    /// How long after falling due it escalates.
    pub escalate_after: Duration,
}

impl Absence {
    pub fn open(new: NewAbsence) -> Absence {
        let overdue_due_at = new.noted_at + new.overdue_after;
        Absence {
            id: new.id,
            minor_id: new.minor_id,
            agency: new.agency,
            presence: new.presence,
            noted_at: new.noted_at,
            recorded_by: new.recorded_by,
            risk: new.risk,
            overdue_due_at,
            escalation_due_at: overdue_due_at + new.escalate_after,
            overdue_at: None,
            escalated_at: None,
            status: AbsenceStatus::Open,
            closure: None,
            version: 1,
        }
    }

    /// The next deadline the sweep looks at: overdue, then the escalation; none once closed.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        match (self.status, self.overdue_at, self.escalated_at) {
            (AbsenceStatus::Open, None, _) => Some(self.overdue_due_at),
            (AbsenceStatus::Open, Some(_), None) => Some(self.escalation_due_at),
            _ => None,
        }
    }

    /// Marks the absence overdue, or escalated, if its deadline has passed at `now`; each once.
    /// Returns the type of the event to raise (`AlertEvent::of_absence`).
    pub fn sweep(&mut self, now: DateTime<Utc>) -> Option<EventType> {
        if self.status != AbsenceStatus::Open {
            return None;
        }
        if self.overdue_at.is_none() && now >= self.overdue_due_at {
            self.overdue_at = Some(now);
            self.version += 1;
            return Some(EventType::AbsenceOverdue);
        }
        if self.overdue_at.is_some() && self.escalated_at.is_none() && now >= self.escalation_due_at
        {
            self.escalated_at = Some(now);
            self.version += 1;
            return Some(EventType::AbsenceEscalated);
        }
        None
    }

    /// Ends the absence. The event, `be.uam.minor.absence_closed`, is raised only when receivers
    /// were told of it (it had fallen overdue); `None` otherwise.
    pub fn close(
        &mut self,
        reason: AbsenceEnd,
        by: &Reporter,
        alert_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Option<EventType> {
        if self.status == AbsenceStatus::Closed {
            return None;
        }
        self.status = AbsenceStatus::Closed;
        self.closure = Some(Closure {
            reason,
            at: now,
            by: by.clone(),
            alert_id,
        });
        self.version += 1;
        self.overdue_at
            .is_some()
            .then_some(EventType::AbsenceClosed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn absence(at: DateTime<Utc>) -> Absence {
        Absence::open(NewAbsence {
            id: "ab".into(),
            minor_id: "m".into(),
            agency: "centre".into(),
            presence: Presence::Unknown,
            noted_at: at,
            recorded_by: Reporter {
                subject: "night".into(),
                agency: "centre".into(),
                role: "reception_staff".into(),
            },
            risk: RiskLevel::High,
            overdue_after: Duration::hours(2),
            escalate_after: Duration::hours(4),
        })
    }

    #[test]
    fn overdue_at_the_clock_then_escalated_once_then_nothing() {
        let t0 = DateTime::UNIX_EPOCH;
        let mut a = absence(t0);
        assert_eq!(a.next_deadline(), Some(t0 + Duration::hours(2)));
        assert!(a.sweep(t0 + Duration::minutes(119)).is_none());
        assert_eq!(
            a.sweep(t0 + Duration::hours(2)),
            Some(EventType::AbsenceOverdue)
        );
        assert!(a.sweep(t0 + Duration::hours(3)).is_none());
        assert_eq!(a.next_deadline(), Some(t0 + Duration::hours(6)));
        assert_eq!(
            a.sweep(t0 + Duration::hours(6)),
            Some(EventType::AbsenceEscalated)
        );
        assert!(a.sweep(t0 + Duration::hours(60)).is_none());
        assert_eq!(a.next_deadline(), None);
    }

    #[test]
    fn a_return_before_the_clock_closes_it_silently_after_it_with_an_event() {
        let t0 = DateTime::UNIX_EPOCH;
        let by = absence(t0).recorded_by;
        let mut quiet = absence(t0);
        assert!(quiet.close(AbsenceEnd::Returned, &by, None, t0).is_none());
        assert_eq!(quiet.status, AbsenceStatus::Closed);
        assert!(quiet.sweep(t0 + Duration::hours(9)).is_none());
        let mut late = absence(t0);
        late.sweep(t0 + Duration::hours(2)).unwrap();
        let e = late.close(AbsenceEnd::Returned, &by, None, t0).unwrap();
        assert_eq!(e, EventType::AbsenceClosed);
        assert!(late.close(AbsenceEnd::Returned, &by, None, t0).is_none());
    }
}
