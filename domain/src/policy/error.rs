//! How a policy file is refused.

/// The policy file breaks a rule; the message names the grant and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("access policy: {0}")]
pub struct PolicyError(pub String);
