//! Follow-up tasks after a child is found: each assigned to one agency with a deadline, completed
//! by it, and flagged once when overdue.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::{EventType, Reporter};

/// What is to be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    // Talk with the child after the return: where it was, with whom, what it needs.
    ReturnInterview,
    // Assess the disappearance risk again, with this episode counted.
    RiskReassessment,
    // Decide whether the placement still fits.
    PlacementReview,
    // Tell the guardian the child was found.
    GuardianInformed,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReturnInterview => "return_interview",
            Self::RiskReassessment => "risk_reassessment",
            Self::PlacementReview => "placement_review",
            Self::GuardianInformed => "guardian_informed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Completion {
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub at: DateTime<Utc>,
    pub by: Reporter,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A follow-up task. It names the child and the alert, never the child's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Task {
    pub id: String,
    pub kind: TaskKind,
    pub minor_id: String,
    pub alert_id: String,
    /// The agency that must do it.
    pub agency: String,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub due_at: DateTime<Utc>,
    pub status: TaskStatus,
    /// When the sweep found it past its deadline, still open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub overdue_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<Completion>,
    pub version: i64,
}

/// A change the task's state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("the task is done already")]
    Done,
}

impl Task {
    /// The deadline the sweep looks at: none once done or flagged.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        (self.status == TaskStatus::Open && self.overdue_at.is_none()).then_some(self.due_at)
    }

    /// Flags the task overdue, once, when its deadline has passed open; returns the type of the
    /// event to raise (`AlertEvent::of_task`).
    pub fn overdue_if_due(&mut self, now: DateTime<Utc>) -> Option<EventType> {
        if self.next_deadline().is_none_or(|due| now < due) {
            return None;
        }
        self.overdue_at = Some(now);
        self.version += 1;
        Some(EventType::TaskOverdue)
    }

    pub fn complete(
        &mut self,
        by: &Reporter,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<EventType, TaskError> {
        if self.status == TaskStatus::Done {
            return Err(TaskError::Done);
        }
        self.status = TaskStatus::Done;
        self.completion = Some(Completion {
            at: now,
            by: by.clone(),
            note,
        });
        self.version += 1;
        Ok(EventType::TaskCompleted)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn task(now: DateTime<Utc>) -> Task {
        Task {
            id: "t".into(),
            kind: TaskKind::ReturnInterview,
            minor_id: "m".into(),
            alert_id: "a".into(),
            agency: "centre".into(),
            created_at: now,
            due_at: now + Duration::hours(72),
            status: TaskStatus::Open,
            overdue_at: None,
            completion: None,
            version: 1,
        }
    }

    #[test]
    fn overdue_once_and_never_when_done() {
        let t0 = DateTime::UNIX_EPOCH;
        let mut t = task(t0);
        assert!(t.overdue_if_due(t0 + Duration::hours(71)).is_none());
        let e = t.overdue_if_due(t0 + Duration::hours(72)).unwrap();
        assert_eq!(e, EventType::TaskOverdue);
        assert!(t.overdue_if_due(t0 + Duration::hours(99)).is_none());
        let by = Reporter {
            subject: "s".into(),
            agency: "centre".into(),
            role: "reception_staff".into(),
        };
        let mut done = task(t0);
        done.complete(&by, None, t0).unwrap();
        assert_eq!(done.complete(&by, None, t0), Err(TaskError::Done));
        assert!(done.overdue_if_due(t0 + Duration::hours(99)).is_none());
    }
}
