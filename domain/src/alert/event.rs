//! Events an alert raises; each is written to the outbox in the transaction that changes the alert.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::kind::EventType;
use crate::episode::{Absence, Task};

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
    /// For the absence events: the absence as it stands after the change (`alert_id` is empty).
    pub absence: Option<Absence>,
    /// For the task events: the task as it stands after the change.
    pub task: Option<Task>,
}

/// A record found to be possibly the same child as the missing child of an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PossibleMatch {
    /// The record just registered.
    pub minor_id: String,
    /// The matcher's score, at or above the possible-match threshold.
    pub score: f64,
}

impl AlertEvent {
    /// An event about `absence` as it stands after the change (`alert_id` is empty).
    pub fn of_absence(kind: EventType, absence: &Absence, id: String, time: DateTime<Utc>) -> Self {
        Self {
            id,
            kind,
            alert_id: String::new(),
            minor_id: absence.minor_id.clone(),
            time,
            possible_match: None,
            notice: None,
            absence: Some(absence.clone()),
            task: None,
        }
    }

    /// An event about `task` as it stands after the change.
    pub fn of_task(kind: EventType, task: &Task, id: String, time: DateTime<Utc>) -> Self {
        Self {
            id,
            kind,
            alert_id: task.alert_id.clone(),
            minor_id: task.minor_id.clone(),
            time,
            possible_match: None,
            notice: None,
            absence: None,
            task: Some(task.clone()),
        }
    }
}
