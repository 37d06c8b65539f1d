//! What statistics are computed from: every record, every alert and the kind of every agency, read
//! in one snapshot and reduced at once to the facts the figures need.

use std::collections::HashMap;

use anyhow::Context;
use diesel::prelude::*;
use domain::agency::AgencyKind;
use domain::alert::Alert;
use domain::ports::StatisticsSource;
use domain::statistics::Facts;

use super::minors::MinorRow;
use super::schema::{agencies, alerts, minors};
use super::{Backend, Database};

/// [`StatisticsSource`] over a [`Database`].
#[derive(Debug, Clone)]
pub struct DieselStatisticsSource {
    db: Database,
}

impl DieselStatisticsSource {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl StatisticsSource for DieselStatisticsSource {
    fn facts(&self) -> anyhow::Result<Facts> {
        let postgres = self.db.backend() == Backend::Postgres;
        let mut conn = self.db.conn()?;
        conn.transaction::<_, anyhow::Error, _>(|c| {
            if postgres {
                diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(c)?;
            }
            let kinds: HashMap<String, AgencyKind> = agencies::table
                .select((agencies::id, agencies::kind))
                .load::<(String, String)>(c)
                .context("reading agency kinds")?
                .into_iter()
                .filter_map(|(id, kind)| Some((id, kind.parse().ok()?)))
                .collect();
            // A restricted record, and the alerts of its child, count in no statistic.
            let minors = minors::table
                .filter(minors::restricted.eq(false))
                .select(MinorRow::as_select())
                .load::<MinorRow>(c)
                .context("reading records for statistics")?
                .into_iter()
                .map(|row| row.into_domain().map(|(_, m)| m))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let alerts = alerts::table
                .filter(
                    alerts::minor_id.eq_any(
                        minors::table
                            .filter(minors::restricted.eq(false))
                            .select(minors::id),
                    ),
                )
                .select(alerts::data)
                .load::<String>(c)
                .context("reading alerts for statistics")?
                .iter()
                .map(|d| serde_json::from_str::<Alert>(d).context("stored alert"))
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(Facts::build(&minors, &alerts, &kinds))
        })
    }
}
