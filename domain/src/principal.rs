//! The authenticated caller.

use serde::Serialize;

use crate::agency::{AgencyId, AgencyKind};
use crate::role::Role;

/// Claims of a token whose signature, algorithm, issuer, audience and validity period have been
/// checked, but whose agency and role have not yet been resolved against the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub subject: String,
    pub agency: String,
    pub role: String,
}

/// A caller whose token is valid, whose agency exists and whose role fits that agency's kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub subject: String,
    pub agency: AgencyId,
    pub agency_kind: AgencyKind,
    pub role: Role,
}
