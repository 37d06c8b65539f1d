//! The system clock.

use chrono::{DateTime, SubsecRound, Utc};
use domain::ports::Clock;

/// Wall-clock UTC time, cut to the microsecond: the precision both stores keep, so that what a
/// write answers is what a later read of it answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}
