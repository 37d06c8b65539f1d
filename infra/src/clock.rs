//! The system clock.

use chrono::{DateTime, Utc};
use domain::ports::Clock;

/// Wall-clock UTC time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
