//! A public appeal for a missing child: Child Focus publishes it (as a CAP 1.2 `Alert` with scope
//! `Public`) with an expiry, and records where it was republished. It ends, at the latest, with
//! its alert: the resolution cancels it (CAP `Cancel`) and lists the places to take it down.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::reporter::Reporter;

/// Where an appeal was republished (a website, a social-media post, a broadcaster).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Republication {
    pub url: String,
    /// When it appeared there.
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub at: DateTime<Utc>,
    pub by: Reporter,
}

/// A public appeal. Its text is what Child Focus chose to publish, not the child's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Appeal {
    /// Names the appeal in public (its CAP `identifier`), apart from the alert's id.
    #[serde(default)]
    pub id: String,
    /// Where the public is asked to look, as Child Focus words it: the CAP `areaDesc`.
    pub area: String,
    pub headline: String,
    pub description: String,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub published_at: DateTime<Utc>,
    /// When the appeal lapses unless the alert ends before.
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub expires_at: DateTime<Utc>,
    pub by: Reporter,
    pub republications: Vec<Republication>,
    /// When it was cancelled: at the alert's resolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl Appeal {
    /// Whether the appeal stands at `now`: published, not cancelled, not expired.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.cancelled_at.is_none() && now < self.expires_at
    }

    /// The places to take the appeal down from once it is cancelled: every republication.
    pub fn take_down(&self) -> Vec<&str> {
        self.republications.iter().map(|r| r.url.as_str()).collect()
    }
}
