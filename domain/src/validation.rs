//! Field-level validation errors: every offending field path, not just the first.

use serde::Serialize;

/// One offending field: its JSON path (`country`, `identity.names[0].script`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

/// All offending fields of one input; never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s): {}", .0.len(), .0.iter().map(|e| e.path.as_str()).collect::<Vec<_>>().join(", "))]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, path: impl Into<String>, message: impl ToString) {
        self.0.push(FieldError {
            path: path.into(),
            message: message.to_string(),
        });
    }

    /// Keeps the value of a successful check; records the failure under `path` and yields `None`.
    pub fn check<T, E: ToString>(&mut self, path: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.push(path, e)).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
