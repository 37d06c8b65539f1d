//! The days the lifecycle sweep has run, in `lifecycle_sweeps`.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::ports::SweepCalendar;

use super::Database;
use super::schema::lifecycle_sweeps;

/// [`SweepCalendar`] over a [`Database`]: the day's row is the claim, its primary key the guard
/// against a second instance.
#[derive(Debug, Clone)]
pub struct DieselSweepCalendar {
    db: Database,
}

impl DieselSweepCalendar {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl SweepCalendar for DieselSweepCalendar {
    fn claim(&self, day: NaiveDate, at: DateTime<Utc>) -> anyhow::Result<bool> {
        let mut conn = self.db.conn()?;
        let inserted = diesel::insert_into(lifecycle_sweeps::table)
            .values((
                lifecycle_sweeps::day.eq(day.format("%Y-%m-%d").to_string()),
                lifecycle_sweeps::started.eq(at.trunc_subsecs(6).naive_utc()),
            ))
            .execute(&mut *conn);
        match inserted {
            Ok(_) => Ok(true),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
            Err(e) => Err(e).context("claiming the day's lifecycle sweep"),
        }
    }
}
