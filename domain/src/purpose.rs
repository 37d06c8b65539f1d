//! Purposes: why a caller consults child data, stated in `X-Purpose` and written to the audit log.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Care,
    Guardianship,
    Identification,
    Procedure,
    Disappearance,
    Statistics,
    Audit,
}

impl Purpose {
    pub const ALL: [Purpose; 7] = [
        Self::Care,
        Self::Guardianship,
        Self::Identification,
        Self::Procedure,
        Self::Disappearance,
        Self::Statistics,
        Self::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Care => "care",
            Self::Guardianship => "guardianship",
            Self::Identification => "identification",
            Self::Procedure => "procedure",
            Self::Disappearance => "disappearance",
            Self::Statistics => "statistics",
            Self::Audit => "audit",
        }
    }
}

/// The text names no purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a purpose (one of care, guardianship, identification, procedure, disappearance, statistics, audit)"
)]
pub struct UnknownPurpose(pub String);

impl FromStr for Purpose {
    type Err = UnknownPurpose;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPurpose(s.to_owned()))
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
