//! Ports: what the domain needs from the outside, implemented by `infra` and by fakes in unit tests.
//! Every method may block; callers run them off latency-sensitive threads.

use chrono::{DateTime, Utc};

use crate::agency::{Agency, AgencyId, NewAgency};
use crate::page::{Page, PageRequest};
use crate::principal::VerifiedClaims;

/// The current time. A port so that tests can drive it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Why a bearer token was not accepted; the text is safe to show to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct TokenRejected {
    pub reason: String,
}

/// Checks a bearer token's signature and standard claims.
pub trait TokenVerifier: Send + Sync {
    /// MUST reject (never panic on) any token that is not a JWS signed with an asymmetric algorithm
    /// (RS256, ES256, EdDSA) by the configured key whose `kid` it names, whose `iss` and `aud` are not
    /// the configured ones, whose `exp` has passed or whose `nbf` has not, or that lacks one of `sub`,
    /// `agency`, `role`, `iss`, `aud`, `exp`.
    fn verify(&self, token: &str) -> Result<VerifiedClaims, TokenRejected>;
}

/// The agency id is already taken.
#[derive(Debug, thiserror::Error)]
pub enum InsertAgencyError {
    #[error("an agency with id `{0}` already exists")]
    Duplicate(AgencyId),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Storage of agencies.
pub trait AgencyRepository: Send + Sync {
    /// Stores a new agency with its creation time. MUST return [`InsertAgencyError::Duplicate`] if an
    /// agency with the same id exists, and store nothing then.
    fn insert(
        &self,
        agency: &NewAgency,
        created_at: DateTime<Utc>,
    ) -> Result<Agency, InsertAgencyError>;

    /// The agency with this id, if any.
    fn find(&self, id: &AgencyId) -> anyhow::Result<Option<Agency>>;

    /// Agencies ordered by id, after the cursor.
    fn list(&self, page: &PageRequest<AgencyId>) -> anyhow::Result<Page<Agency, AgencyId>>;
}

/// Liveness of the storage, for readiness probes.
pub trait HealthCheck: Send + Sync {
    /// MUST return an error when the store cannot be reached or has migrations not yet applied.
    fn ready(&self) -> anyhow::Result<()>;
}
