//! A clock the test sets and moves, given to the application in place of the system clock.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

/// The time the test says it is.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn at(at: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(at)))
    }

    pub fn starting_now() -> Arc<Self> {
        Self::at(Utc::now())
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap() = at;
    }
}

impl domain::ports::Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}
