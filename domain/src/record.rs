//! A stored child's record: core fields, the categorised data, and its revisions.

use chrono::{DateTime, NaiveDate, Utc};

use crate::agency::AgencyId;
use crate::category::{Category, CategorySet};
use crate::lifecycle::Lifecycle;
use crate::minor::{MinorData, MinorStatus};
use crate::policy::Relation;
use crate::principal::Principal;
use crate::purpose::Purpose;

/// A record as stored. `version` starts at 1 and grows by one with every change.
#[derive(Debug, Clone, PartialEq)]
pub struct Minor {
    pub id: String,
    pub registry_number: String,
    pub status: MinorStatus,
    pub version: i64,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub data: MinorData,
    /// The record this one was merged into, when its status is `merged`.
    pub merged_into: Option<String>,
    /// Restriction, closure, review and the lifecycle acts (the tombstone of what was erased).
    pub lifecycle: Lifecycle,
}

impl Minor {
    /// How `caller` stands to this child: assigned when the child is placed with, or is a ward of,
    /// the caller's agency; under an active alert while the child is missing.
    pub fn relation_to(&self, caller: &Principal) -> Relation {
        self.relation_of(&caller.agency)
    }

    /// How `agency` stands to this child (see [`Minor::relation_to`]), restricted when the record
    /// is.
    pub fn relation_of(&self, agency: &AgencyId) -> Relation {
        Relation {
            restricted: self.lifecycle.is_restricted(),
            ..relation(&self.data, self.status, agency)
        }
    }
}

/// How `agency` stands to a record not yet stored (never restricted); see [`Minor::relation_to`].
pub fn relation(data: &MinorData, status: MinorStatus, agency: &AgencyId) -> Relation {
    let ours = |a: Option<&str>| a == Some(agency.as_str());
    Relation {
        assigned: ours(data.placement_agency()) || ours(data.guardian_agency()),
        active_alert: status == MinorStatus::Missing,
        restricted: false,
    }
}

/// Who changes a record, and why: written with every revision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Actor {
    pub subject: String,
    pub agency: String,
    pub role: String,
    pub purpose: Purpose,
}

impl Actor {
    pub fn new(caller: &Principal, purpose: Purpose) -> Self {
        Self {
            subject: caller.subject.clone(),
            agency: caller.agency.to_string(),
            role: caller.role.to_string(),
            purpose,
        }
    }
}

/// One version of a record: what it held after the change, who made the change, when and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub version: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub changed: CategorySet,
    pub data: MinorData,
    /// Categories whose values were redacted from this revision (rectification); the lifecycle
    /// acts say who redacted them, when and why.
    pub redacted: CategorySet,
}

/// Which children a listing may return, from the policy's reach for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// Every child.
    Everything,
    /// Children placed with or wards of `agency` (if `assigned`) and missing children (if `missing`).
    Related {
        agency: AgencyId,
        assigned: bool,
        missing: bool,
    },
}

/// Filters of `GET /v1/minors`, all optional, combined with AND.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MinorFilter {
    pub status: Option<MinorStatus>,
    pub placement_agency: Option<AgencyId>,
    pub nationality: Option<String>,
    pub registered_since: Option<NaiveDate>,
}

impl MinorFilter {
    /// The filters given that select on a category, by query name: a caller may filter only on
    /// what it may read. (`status` and `registered_since` are core fields.)
    pub fn categories(&self) -> Vec<(&'static str, Category)> {
        let mut out = Vec::new();
        if self.placement_agency.is_some() {
            out.push(("placement_agency", Category::Placement));
        }
        if self.nationality.is_some() {
            out.push(("nationality", Category::Identity));
        }
        out
    }
}
