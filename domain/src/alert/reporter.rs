//! Who reported or changed something on an alert or an episode.

use serde::{Deserialize, Serialize};

/// Who reported or changed something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reporter {
    pub subject: String,
    pub agency: String,
    pub role: String,
}
