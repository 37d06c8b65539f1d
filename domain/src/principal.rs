//! The authenticated caller.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::agency::{AgencyId, AgencyKind};
use crate::role::Role;

/// Claims of a token whose signature, algorithm, issuer, audience and validity period have been
/// checked, but whose agency and role have not yet been resolved against the registry, nor its
/// lifetime bounded (that is the authenticate use case's decision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub subject: String,
    pub agency: String,
    pub role: String,
    /// The token's `exp`, as it states it (without the verifier's leeway).
    pub expires_at: DateTime<Utc>,
}

/// A caller whose token is valid, whose agency exists and whose role fits that agency's kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub subject: String,
    pub agency: AgencyId,
    pub agency_kind: AgencyKind,
    pub role: Role,
}
