//! Alerts in `alerts` (with `alert_agencies`), their events in the `outbox`, all written in the
//! transaction of the change.

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::alert::{Alert, AlertStatus, Following, ResolutionOutcome};
use domain::audit::AuditEntry;
use domain::page::{Page, PageRequest};
use domain::ports::{
    AlertChange, AlertFilter, AlertRepository, CreateAlertError, UpdateAlertError,
};

use super::schema::{alert_agencies, alerts, dead_letters, minors, outbox, tasks};
use super::{Database, DbConnection};

/// [`AlertRepository`] over a [`Database`].
#[derive(Debug, Clone)]
pub struct DieselAlertRepository {
    db: Database,
}

impl DieselAlertRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Debug, thiserror::Error)]
enum TxError {
    #[error(transparent)]
    Db(#[from] DieselError),
    #[error("stale")]
    Stale,
    #[error("no such record")]
    NoSuchMinor,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

fn json(alert: &Alert) -> Result<String, TxError> {
    serde_json::to_string(alert).map_err(|e| TxError::Other(e.into()))
}

fn risk_name(alert: &Alert) -> String {
    serde_json::to_value(alert.risk)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn micros(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    at.trunc_subsecs(6).naive_utc()
}

/// The event, the child's status and the audit entry that go with every change.
fn write_side_effects(
    conn: &mut DbConnection,
    change: &AlertChange<'_>,
    alert_json: &str,
) -> Result<(), TxError> {
    let e = change.event;
    super::outbox::append_in(conn, e, alert_json)?;
    if let Some(status) = change.minor_status {
        let updated = diesel::update(minors::table.filter(minors::id.eq(&change.alert.minor_id)))
            .set((
                minors::status.eq(status.as_str()),
                minors::updated_at.eq(micros(e.time)),
            ))
            .execute(conn)?;
        if updated == 0 {
            return Err(TxError::NoSuchMinor);
        }
    }
    if let Some(absence) = change.absence {
        super::episodes::close_absence_in(conn, absence)?;
    }
    for task in change.tasks {
        super::episodes::insert_task_in(conn, task)?;
    }
    super::episodes::append_events_in(conn, change.more_events)?;
    if let Some(entry) = change.audit {
        super::audit::append_in(conn, std::slice::from_ref(entry))?;
    }
    Ok(())
}

impl AlertRepository for DieselAlertRepository {
    fn create(&self, change: &AlertChange<'_>) -> Result<(), CreateAlertError> {
        let alert = change.alert;
        let mut conn = self.db.conn()?;
        let result = conn.transaction::<_, TxError, _>(|c| {
            if let Some(new) = &change.new_minor {
                super::minors::insert_in(
                    c,
                    &alert.minor_id,
                    new.data,
                    new.actor,
                    micros(change.event.time),
                )?;
            }
            let data = json(alert)?;
            diesel::insert_into(alerts::table)
                .values((
                    alerts::id.eq(&alert.id),
                    alerts::minor_id.eq(&alert.minor_id),
                    alerts::status.eq(alert.status.as_str()),
                    alerts::risk.eq(risk_name(alert)),
                    alerts::next_due_at.eq(alert.next_deadline().map(micros)),
                    alerts::version.eq(alert.version),
                    alerts::data.eq(&data),
                    alerts::ledger_gap.eq(alert.status == AlertStatus::Open
                        && domain::alert::ledger::has_gap(&alert.ledger)),
                ))
                .execute(c)?;
            let seq: i64 = alerts::table
                .filter(alerts::id.eq(&alert.id))
                .select(alerts::seq)
                .first(c)?;
            let mut agencies: Vec<&String> = alert
                .notified
                .iter()
                .chain([&alert.reported_by.agency])
                .collect();
            agencies.sort();
            agencies.dedup();
            for agency in agencies {
                diesel::insert_into(alert_agencies::table)
                    .values((
                        alert_agencies::alert_seq.eq(seq),
                        alert_agencies::agency.eq(agency),
                    ))
                    .execute(c)?;
            }
            write_side_effects(c, change, &data)
        });
        match result {
            Ok(()) => {
                self.db.events_written();
                Ok(())
            }
            Err(TxError::Db(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))) => {
                Err(CreateAlertError::AlreadyOpen)
            }
            Err(TxError::Db(DieselError::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation,
                _,
            )))
            | Err(TxError::NoSuchMinor) => {
                Err(CreateAlertError::NoSuchMinor(alert.minor_id.clone()))
            }
            Err(e) => Err(anyhow::Error::new(e).context("raising an alert").into()),
        }
    }

    fn update(&self, change: &AlertChange<'_>) -> Result<(), UpdateAlertError> {
        let alert = change.alert;
        let mut conn = self.db.conn()?;
        let result = conn.transaction::<_, TxError, _>(|c| {
            let data = json(alert)?;
            let updated = diesel::update(
                alerts::table
                    .filter(alerts::id.eq(&alert.id))
                    .filter(alerts::version.eq(change.expected_version)),
            )
            .set((
                alerts::status.eq(alert.status.as_str()),
                alerts::risk.eq(risk_name(alert)),
                alerts::next_due_at.eq(alert.next_deadline().map(micros)),
                alerts::version.eq(alert.version),
                alerts::data.eq(&data),
                alerts::ledger_gap.eq(alert.status == AlertStatus::Open
                    && domain::alert::ledger::has_gap(&alert.ledger)),
            ))
            .execute(c)?;
            if updated == 0 {
                return Err(TxError::Stale);
            }
            write_side_effects(c, change, &data)
        });
        match result {
            Ok(()) => {
                self.db.events_written();
                Ok(())
            }
            Err(TxError::Stale) => Err(UpdateAlertError::Stale),
            Err(e) => Err(anyhow::Error::new(e).context("updating an alert").into()),
        }
    }

    fn find(&self, id: &str) -> anyhow::Result<Option<Alert>> {
        let mut conn = self.db.conn()?;
        let data: Option<String> = alerts::table
            .filter(alerts::id.eq(id))
            .select(alerts::data)
            .first(&mut *conn)
            .optional()
            .context("reading an alert")?;
        data.map(|d| serde_json::from_str(&d).context("stored alert"))
            .transpose()
    }

    fn list(
        &self,
        filter: &AlertFilter,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<(i64, Alert), i64>> {
        let mut query = alerts::table
            .select((alerts::seq, alerts::data))
            .order(alerts::seq.asc())
            .limit(i64::try_from(page.limit.get() + 1)?)
            .into_boxed();
        if let Some(after) = page.after {
            query = query.filter(alerts::seq.gt(after));
        }
        if let Some(status) = filter.status {
            query = query.filter(alerts::status.eq(status.as_str()));
        }
        if let Some(risk) = filter.risk {
            let name = serde_json::to_value(risk)?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            query = query.filter(alerts::risk.eq(name));
        }
        if filter.ledger_incomplete {
            query = query.filter(alerts::ledger_gap.eq(true));
        }
        if let Some(Following::ChildrenOf(agency)) = &filter.following {
            // The rule of `domain::alert::follows_alert`: the child's record names the agency now,
            // or the agency is on the alert (notified, a ledger party, the reporter; the use case
            // drops those it no longer follows).
            let agency = agency.to_string();
            query = query.filter(
                alerts::minor_id
                    .eq_any(
                        minors::table
                            .filter(
                                minors::placement_agency
                                    .eq(agency.clone())
                                    .or(minors::guardian_agency.eq(agency.clone())),
                            )
                            .select(minors::id),
                    )
                    .or(alerts::seq.eq_any(
                        alert_agencies::table
                            .filter(alert_agencies::agency.eq(agency))
                            .select(alert_agencies::alert_seq),
                    )),
            );
        }
        let mut conn = self.db.conn()?;
        let rows: Vec<(i64, String)> = query.load(&mut *conn).context("listing alerts")?;
        let items = rows
            .into_iter()
            .map(|(seq, d)| Ok((seq, serde_json::from_str(&d).context("stored alert")?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |(seq, _)| *seq))
    }

    fn count_for_minor(&self, minor_id: &str) -> anyhow::Result<u32> {
        let mut conn = self.db.conn()?;
        let rows: Vec<String> = alerts::table
            .filter(alerts::minor_id.eq(minor_id))
            .select(alerts::data)
            .load(&mut *conn)
            .context("counting alerts")?;
        let mut n: u32 = 0;
        for data in rows {
            let alert: Alert = serde_json::from_str(&data).context("stored alert")?;
            let in_error = alert
                .resolution
                .is_some_and(|r| r.outcome == ResolutionOutcome::ReportedInError);
            if !in_error {
                n = n.saturating_add(1);
            }
        }
        Ok(n)
    }

    fn of_minor(&self, minor_id: &str) -> anyhow::Result<Vec<Alert>> {
        let mut conn = self.db.conn()?;
        let rows: Vec<String> = alerts::table
            .filter(alerts::minor_id.eq(minor_id))
            .order(alerts::seq.asc())
            .select(alerts::data)
            .load(&mut *conn)
            .context("reading a child's alerts")?;
        rows.iter()
            .map(|d| serde_json::from_str(d).context("stored alert"))
            .collect()
    }

    fn open_for_minor(&self, minor_id: &str) -> anyhow::Result<Option<Alert>> {
        let mut conn = self.db.conn()?;
        let data: Option<String> = alerts::table
            .filter(alerts::minor_id.eq(minor_id))
            .filter(alerts::status.eq(AlertStatus::Open.as_str()))
            .select(alerts::data)
            .first(&mut *conn)
            .optional()
            .context("reading a child's open alert")?;
        data.map(|d| serde_json::from_str(&d).context("stored alert"))
            .transpose()
    }

    fn due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Alert>> {
        let mut conn = self.db.conn()?;
        let rows: Vec<String> = alerts::table
            .filter(alerts::next_due_at.le(micros(now)))
            .order(alerts::next_due_at.asc())
            .limit(500)
            .select(alerts::data)
            .load(&mut *conn)
            .context("reading due alerts")?;
        rows.iter()
            .map(|d| serde_json::from_str(d).context("stored alert"))
            .collect()
    }

    fn erase_resolved(&self, id: &str, audit: &AuditEntry) -> anyhow::Result<bool> {
        let mut conn = self.db.conn()?;
        conn.transaction::<_, anyhow::Error, _>(|c| {
            let seq: Option<i64> = alerts::table
                .filter(alerts::id.eq(id))
                .filter(alerts::status.eq("resolved"))
                .select(alerts::seq)
                .first(c)
                .optional()?;
            let Some(seq) = seq else { return Ok(false) };
            diesel::delete(alert_agencies::table.filter(alert_agencies::alert_seq.eq(seq)))
                .execute(c)?;
            diesel::delete(alerts::table.filter(alerts::seq.eq(seq))).execute(c)?;
            diesel::delete(tasks::table.filter(tasks::alert_id.eq(id))).execute(c)?;
            let events: Vec<i64> = outbox::table
                .filter(outbox::alert_id.eq(id))
                .select(outbox::seq)
                .load(c)?;
            diesel::delete(dead_letters::table.filter(dead_letters::outbox_seq.eq_any(&events)))
                .execute(c)?;
            diesel::delete(outbox::table.filter(outbox::seq.eq_any(&events))).execute(c)?;
            super::audit::append_in(c, std::slice::from_ref(audit))?;
            Ok(true)
        })
        .context("erasing a resolved alert")
    }
}
