//! The types of the events the registry raises, and what each event is about.

use serde::{Deserialize, Serialize};

/// The CloudEvents `type` of an alert event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "be.uam.alert.raised")]
    Raised,
    #[serde(rename = "be.uam.alert.updated")]
    Updated,
    #[serde(rename = "be.uam.alert.acknowledged")]
    Acknowledged,
    #[serde(rename = "be.uam.alert.escalated")]
    Escalated,
    #[serde(rename = "be.uam.alert.sighting")]
    Sighting,
    #[serde(rename = "be.uam.alert.resolved")]
    Resolved,
    #[serde(rename = "be.uam.alert.measures_overdue")]
    MeasuresOverdue,
    /// A sighting was graded (`unverified`, `credible`, `confirmed`, `discarded`).
    #[serde(rename = "be.uam.alert.sighting_graded")]
    SightingGraded,
    /// Child Focus published a public appeal.
    #[serde(rename = "be.uam.alert.appeal_published")]
    AppealPublished,
    /// A roll call's unexplained absence was not closed in time.
    #[serde(rename = "be.uam.minor.absence_overdue")]
    AbsenceOverdue,
    /// An overdue absence is still open: the second and last reminder.
    #[serde(rename = "be.uam.minor.absence_escalated")]
    AbsenceEscalated,
    /// An absence that was overdue ended (the child came back, or was reported missing).
    #[serde(rename = "be.uam.minor.absence_closed")]
    AbsenceClosed,
    /// A follow-up task after a child was found.
    #[serde(rename = "be.uam.task.created")]
    TaskCreated,
    #[serde(rename = "be.uam.task.completed")]
    TaskCompleted,
    #[serde(rename = "be.uam.task.overdue")]
    TaskOverdue,
    /// A child just registered may be the missing child of the alert.
    #[serde(rename = "be.uam.minor.possible_match")]
    PossibleMatch,
    /// A record (or a child's open alert) is due for review by the guardianship service.
    #[serde(rename = "be.uam.minor.review_due")]
    ReviewDue,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raised => "be.uam.alert.raised",
            Self::Updated => "be.uam.alert.updated",
            Self::Acknowledged => "be.uam.alert.acknowledged",
            Self::Escalated => "be.uam.alert.escalated",
            Self::Sighting => "be.uam.alert.sighting",
            Self::Resolved => "be.uam.alert.resolved",
            Self::MeasuresOverdue => "be.uam.alert.measures_overdue",
            Self::SightingGraded => "be.uam.alert.sighting_graded",
            Self::AppealPublished => "be.uam.alert.appeal_published",
            Self::AbsenceOverdue => "be.uam.minor.absence_overdue",
            Self::AbsenceEscalated => "be.uam.minor.absence_escalated",
            Self::AbsenceClosed => "be.uam.minor.absence_closed",
            Self::TaskCreated => "be.uam.task.created",
            Self::TaskCompleted => "be.uam.task.completed",
            Self::TaskOverdue => "be.uam.task.overdue",
            Self::PossibleMatch => "be.uam.minor.possible_match",
            Self::ReviewDue => "be.uam.minor.review_due",
        }
    }
}

impl EventType {
    /// What the outbox row's payload holds for events of this type.
    pub fn payload(self) -> Payload {
        match self {
            Self::ReviewDue => Payload::Notice,
            Self::AbsenceOverdue | Self::AbsenceEscalated | Self::AbsenceClosed => Payload::Absence,
            Self::TaskCreated | Self::TaskCompleted | Self::TaskOverdue => Payload::Task,
            _ => Payload::Alert,
        }
    }
}

/// What an event is about, and so what its outbox payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    Alert,
    Notice,
    Absence,
    Task,
}
