//! Verifying bearer tokens.

use crate::principal::VerifiedClaims;

/// Why a bearer token was not accepted; the text is safe to show to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct TokenRejected {
    pub reason: String,
    /// The `sub` the token claims, read without verification, for the audit trail only.
    pub claimed_subject: Option<String>,
}

/// Checks a bearer token's signature and standard claims.
pub trait TokenVerifier: Send + Sync {
    /// MUST reject (never panic on) any token that is not a JWS signed with an asymmetric algorithm
    /// (RS256, ES256, EdDSA) by the configured key whose `kid` it names, whose `iss` and `aud` are not
    /// the configured ones, whose `exp` has passed or whose `nbf` has not, or that lacks one of `sub`,
    /// `agency`, `role`, `iss`, `aud`, `exp`.
    fn verify(&self, token: &str) -> Result<VerifiedClaims, TokenRejected>;

    /// The claims of `token` if it was verified before and that verification still holds, known
    /// without I/O or signature check; `None` otherwise (then ask [`Self::verify`]).
    fn recall(&self, _token: &str) -> Option<VerifiedClaims> {
        None
    }
}
