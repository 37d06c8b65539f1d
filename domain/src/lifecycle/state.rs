//! Where a record stands in its life: restricted or not, closed and why, held back from its rules
//! by a review, erased; and every lifecycle act, the tombstone of what was erased. Stored with the
//! record; holds no field of the child's data (reasons are written by officers, who are told not to
//! put personal data in them).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::category::Category;

/// Why a record was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClosureReason {
    /// The child left Belgium or the registry's care (not transferred).
    Departure,
    /// The child was transferred to another state's care.
    TransferAbroad,
    /// The child died.
    Deceased,
    /// Any other end of the registry's purpose (say it in the reason).
    Other,
}

/// A restriction in force (GDPR Art. 18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Restriction {
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "DateTime<Utc>")]
    pub since: DateTime<Utc>,
    /// The retention rule that restricted the record, or `None` for a restriction requested by a
    /// person (its reason is in the act).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// The record's closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    pub on: NaiveDate,
    pub reason: ClosureReason,
}

/// The guardianship service held the rules back after a review: none runs before `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hold {
    pub until: NaiveDate,
}

/// What a lifecycle act did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActKind {
    /// The record was restricted (by a rule or at a person's request).
    Restricted,
    /// A restriction was lifted.
    Lifted,
    /// The record was closed.
    Closed,
    /// Data was erased under a retention rule.
    Erased,
    /// A photo was deleted (rectification).
    PhotoDeleted,
    /// A value was redacted from the history (rectification).
    Redacted,
    /// A review confirmed the record's course.
    Reviewed,
    /// A review held the rules back.
    Held,
}

/// Who did an act: a person of an agency, or the registry's lifecycle sweep (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActBy {
    pub agency: String,
    pub role: String,
}

/// One lifecycle act. Erasures name the rule and what went; nothing here holds the child's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Act {
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "DateTime<Utc>")]
    pub at: DateTime<Utc>,
    pub kind: ActKind,
    /// `None`: the registry's lifecycle sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ActBy>,
    /// The retention rule applied, for acts of the sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The categories erased or redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    /// What else went: `photos`, `revisions`, `alerts`, `record`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erased: Vec<String>,
    /// The photo deleted, or the version redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Why, as the person stated it (acts of the sweep: the rule's reason applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Act {
    /// An act of `kind` at `at`, with nothing else said yet.
    pub fn new(kind: ActKind, at: DateTime<Utc>) -> Self {
        Self {
            at,
            kind,
            by: None,
            rule: None,
            categories: vec![],
            erased: vec![],
            photo: None,
            version: None,
            reason: None,
        }
    }
}

/// A record's lifecycle, stored beside its data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<Restriction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure: Option<Closure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
    /// The day the sweep first saw an age decision of adulthood that gives no date of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adult_decision_on: Option<NaiveDate>,
    /// The day of the last review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_on: Option<NaiveDate>,
    /// The day the last review notice was raised: one notice per review period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified_on: Option<NaiveDate>,
    /// When the whole record was erased: it is a tombstone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub erased_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acts: Vec<Act>,
}

impl Lifecycle {
    /// Whether the record is restricted (an erased record is restricted too).
    pub fn is_restricted(&self) -> bool {
        self.restriction.is_some() || self.erased_at.is_some()
    }

    /// The categories erased from the record under a rule: whatever derives from them (an alert's
    /// risk factors) is no longer shown either.
    pub fn erased_categories(&self) -> crate::category::CategorySet {
        self.acts
            .iter()
            .filter(|a| a.kind == ActKind::Erased)
            .flat_map(|a| a.categories.iter().copied())
            .collect()
    }

    /// Whether the rule `id` has run on this record already.
    pub fn applied(&self, id: &str) -> bool {
        self.acts
            .iter()
            .any(|a| a.by.is_none() && a.rule.as_deref() == Some(id))
    }
}
