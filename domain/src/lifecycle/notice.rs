//! The review notice the lifecycle sweep raises (`be.uam.minor.review_due`) to the guardianship
//! service: which record, why, by when, and the rules that will run unless the service holds
//! them back. It names the record, never a field of the child's data.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::retention::{RetentionAction, Target};

/// Why a review is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// The record's periodic review (`review.every_days`).
    Periodic,
    /// A retention rule will run within `review.notice_days`.
    RuleDue,
    /// The child's alert has been open `review.open_alert_every_days` more days.
    OpenAlert,
}

/// A rule the notice announces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NoticeRule {
    pub rule: String,
    pub action: RetentionAction,
    pub applies_to: Target,
    pub on: NaiveDate,
}

/// The `data` of a `be.uam.minor.review_due` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReviewNotice {
    pub minor_id: String,
    pub registry_number: String,
    pub reason: ReviewReason,
    /// The day the review is due.
    pub due: NaiveDate,
    /// The rules that will run, earliest first, unless the review holds them back.
    pub rules: Vec<NoticeRule>,
    /// For an open alert's review: the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<String>,
}
