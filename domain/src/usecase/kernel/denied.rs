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
    #[error("the role `{role}` may not access child data for the purpose `{purpose}`")]
    PurposeNotPermitted { role: String, purpose: Purpose },
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
