//! Events an alert raises; each is written to the outbox in the transaction that changes the alert.

use chrono::{DateTime, Utc};
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
            Self::PossibleMatch => "be.uam.minor.possible_match",
            Self::ReviewDue => "be.uam.minor.review_due",
        }
    }
}

/// One event about an alert: its stable id (for de-duplication downstream), when it happened, and
/// the alert as it stood after the change. Renderings for subscribers are made from it later,
/// through each subscriber's field policy.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    pub id: String,
    pub kind: EventType,
    pub alert_id: String,
    pub minor_id: String,
    pub time: DateTime<Utc>,
    /// For [`EventType::PossibleMatch`]: the record that may be the missing child `minor_id`.
    pub possible_match: Option<PossibleMatch>,
    /// For [`EventType::ReviewDue`]: what is to be reviewed (`alert_id` is then empty unless an
    /// open alert is reviewed).
    pub notice: Option<crate::lifecycle::ReviewNotice>,
}

/// A record found to be possibly the same child as the missing child of an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PossibleMatch {
    /// The record just registered.
    pub minor_id: String,
    /// The matcher's score, at or above the possible-match threshold.
    pub score: f64,
}
