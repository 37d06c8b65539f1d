//! One request: who asks, and for which stated purpose.

use crate::principal::Principal;
use crate::purpose::Purpose;

/// One request on the registry: who asks, for which stated purpose (`Err` holds the raw header
/// value, empty if absent; whether it is acceptable is the use case's decision, and audited), and
/// the request id that ties the audit entry to the logs.
#[derive(Debug, Clone)]
pub struct Request {
    pub caller: Principal,
    pub purpose: Result<Purpose, String>,
    pub request_id: String,
}

impl Request {
    /// A request that states no purpose: for operations on no child data (subscriptions, the
    /// agency directory), whose audit entries carry none.
    pub fn without_purpose(caller: Principal, request_id: impl Into<String>) -> Self {
        Self {
            caller,
            purpose: Err(String::new()),
            request_id: request_id.into(),
        }
    }
}
