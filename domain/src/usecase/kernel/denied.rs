//! Why a caller may not do what it asks.

use crate::category::Category;
use crate::policy::Operation;
use crate::purpose::Purpose;

/// Why a caller may not do what it asks; every variant is a refusal (403), except
/// `PurposeMissing` (400: the request itself is incomplete).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// No `X-Purpose`, or one that is not a purpose; the text says which.
    #[error("{0}")]
    PurposeMissing(String),
    /// A purpose the role may not state for this operation; `accepted` are those it may.
    #[error("the role `{role}` may not {operation} for the purpose `{purpose}`; {}", accepted_text(.accepted))]
    PurposeNotPermitted {
        role: String,
        operation: Operation,
        purpose: Purpose,
        accepted: Vec<Purpose>,
    },
    /// A search under a purpose that reads the identity only of children already in the caller's
    /// care, by a role that may search every child under `accepted`: it could not find a child
    /// registered elsewhere, and an empty answer would be taken for "not registered".
    #[error("a search for the purpose `{purpose}` finds only children already in your agency's care, so it cannot tell whether a child is registered; {}", accepted_text(.accepted))]
    SearchCannotMatch {
        purpose: Purpose,
        accepted: Vec<Purpose>,
    },
    #[error("no access to this child for the purpose `{0}`")]
    NoAccessToChild(Purpose),
    #[error("not permitted to write: {}", .0.join(", "))]
    WriteNotPermitted(Vec<String>),
    /// The operation is not permitted to the caller in its standing to this child or alert.
    #[error("the role `{role}` may not {operation} here{}", .purpose.map(|p| format!(" for the purpose `{p}`")).unwrap_or_default())]
    OperationNotPermitted {
        role: String,
        operation: Operation,
        purpose: Option<Purpose>,
    },
    /// A resolution with an outcome no permit of the role allows it.
    #[error("the role `{role}` may not resolve this alert as `{outcome}`")]
    OutcomeNotPermitted { role: String, outcome: String },
    /// A listing filter names a category the caller may not read.
    #[error(
        "the filter `{filter}` needs read access to `{category}`, which the role `{role}` does not have for the purpose `{purpose}`"
    )]
    FilterNotPermitted {
        filter: String,
        category: Category,
        role: String,
        purpose: Purpose,
    },
    /// An operation on no child data that the caller's role or agency may not perform; the text
    /// says who may.
    #[error("{0}")]
    NotPermitted(String),
}

/// "state one of: `a`, `b`" or, when there is none, that the role may not do it at all.
fn accepted_text(accepted: &[Purpose]) -> String {
    if accepted.is_empty() {
        return "it may not for any purpose".to_owned();
    }
    let names: Vec<String> = accepted.iter().map(|p| format!("`{p}`")).collect();
    format!("state one of: {}", names.join(", "))
}

impl Denied {
    /// The purposes that would be accepted instead of the one stated, when that is the refusal.
    pub fn accepted_purposes(&self) -> Option<&[Purpose]> {
        match self {
            Self::PurposeNotPermitted { accepted, .. }
            | Self::SearchCannotMatch { accepted, .. } => Some(accepted),
            _ => None,
        }
    }
}
