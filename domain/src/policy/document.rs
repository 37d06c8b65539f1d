//! The policy as written: a list of grants.

use serde::{Deserialize, Serialize};

use super::operation::Permit;
use crate::category::Category;
use crate::purpose::Purpose;
use crate::role::Role;

/// Read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
}

/// When a grant holds for a given child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// For every child.
    Always,
    /// While the child is the caller agency's ward (its `guardianship` names the agency) or is placed
    /// with it (its `placement` names the agency).
    Assigned,
    /// While an alert for the child is open (the child is missing); ends at resolution.
    ActiveAlert,
}

impl Condition {
    pub const ALL: [Condition; 3] = [Self::Always, Self::Assigned, Self::ActiveAlert];
}

/// One grant: `role` may `access` these `categories` for these `purposes` when `condition` holds.
/// Unknown roles, categories, purposes, accesses, conditions or members are refused when parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub role: Role,
    pub access: Vec<Access>,
    pub categories: Vec<Category>,
    pub purposes: Vec<Purpose>,
    pub condition: Condition,
}

/// A whole policy file: `[[grant]]` tables (field access) and `[[permit]]` tables (operation
/// rights). A file without permits allows no operation at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    #[serde(rename = "grant", default)]
    pub grants: Vec<Grant>,
    #[serde(rename = "permit", default)]
    pub permits: Vec<Permit>,
}
