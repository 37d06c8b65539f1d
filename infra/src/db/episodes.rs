//! Roll-call absences in `absences` and follow-up tasks in `tasks`, each as JSON beside the columns
//! listings and the sweep look at, written with their events (outbox) and audit entries in one
//! transaction.

use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::alert::AlertEvent;
use domain::audit::AuditEntry;
use domain::episode::{Absence, AbsenceStatus, Task};
use domain::page::{Page, PageRequest};
use domain::ports::{
    AbsenceRepository, EpisodeWriteError, RollCallChange, TaskFilter, TaskRepository,
};

use super::schema::{absences, tasks};
use super::{Database, DbConnection};

/// [`AbsenceRepository`] and [`TaskRepository`] over a [`Database`].
#[derive(Debug, Clone)]
pub struct DieselEpisodes {
    db: Database,
}

impl DieselEpisodes {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn micros(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    at.trunc_subsecs(6).naive_utc()
}

fn to_json<T: serde::Serialize>(value: &T) -> QueryResult<String> {
    serde_json::to_string(value).map_err(|e| DieselError::SerializationError(Box::new(e)))
}

#[derive(Debug, thiserror::Error)]
enum TxError {
    #[error(transparent)]
    Db(#[from] DieselError),
    #[error("stale")]
    Stale,
}

impl From<TxError> for EpisodeWriteError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Stale
            | TxError::Db(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                EpisodeWriteError::Stale
            }
            TxError::Db(e) => EpisodeWriteError::Unknown(anyhow::Error::new(e).context("episodes")),
        }
    }
}

pub(super) fn insert_absence_in(conn: &mut DbConnection, a: &Absence) -> QueryResult<()> {
    diesel::insert_into(absences::table)
        .values((
            absences::id.eq(&a.id),
            absences::minor_id.eq(&a.minor_id),
            absences::status.eq(a.status.as_str()),
            absences::next_due_at.eq(a.next_deadline().map(micros)),
            absences::version.eq(a.version),
            absences::data.eq(to_json(a)?),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores `a` over the stored absence if that is at `read`; returns whether it was.
pub(super) fn update_absence_in(
    conn: &mut DbConnection,
    a: &Absence,
    read: i64,
) -> QueryResult<bool> {
    let n = diesel::update(
        absences::table
            .filter(absences::id.eq(&a.id))
            .filter(absences::version.eq(read)),
    )
    .set((
        absences::status.eq(a.status.as_str()),
        absences::next_due_at.eq(a.next_deadline().map(micros)),
        absences::version.eq(a.version),
        absences::data.eq(to_json(a)?),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Stores the absence a report closed, if it is still open (a return recorded meanwhile keeps
/// it as it is).
pub(super) fn close_absence_in(conn: &mut DbConnection, a: &Absence) -> QueryResult<()> {
    diesel::update(
        absences::table
            .filter(absences::id.eq(&a.id))
            .filter(absences::status.eq(AbsenceStatus::Open.as_str())),
    )
    .set((
        absences::status.eq(a.status.as_str()),
        absences::next_due_at.eq(a.next_deadline().map(micros)),
        absences::version.eq(a.version),
        absences::data.eq(to_json(a)?),
    ))
    .execute(conn)?;
    Ok(())
}

pub(super) fn insert_task_in(conn: &mut DbConnection, t: &Task) -> QueryResult<()> {
    diesel::insert_into(tasks::table)
        .values((
            tasks::id.eq(&t.id),
            tasks::minor_id.eq(&t.minor_id),
            tasks::alert_id.eq(&t.alert_id),
            tasks::agency.eq(&t.agency),
            tasks::status.eq(t.status.as_str()),
            tasks::overdue.eq(t.overdue_at.is_some()),
            tasks::next_due_at.eq(t.next_deadline().map(micros)),
            tasks::version.eq(t.version),
            tasks::data.eq(to_json(t)?),
        ))
        .execute(conn)?;
    Ok(())
}

/// Appends events about absences and tasks to the outbox, each with its own payload.
pub(super) fn append_events_in(conn: &mut DbConnection, events: &[AlertEvent]) -> QueryResult<()> {
    for e in events {
        super::outbox::append_in(conn, e, &super::outbox::payload(e, None)?)?;
    }
    Ok(())
}

fn load<T: serde::de::DeserializeOwned>(rows: Vec<String>, what: &str) -> anyhow::Result<Vec<T>> {
    rows.iter()
        .map(|d| serde_json::from_str(d).with_context(|| format!("a stored {what}")))
        .collect()
}

impl AbsenceRepository for DieselEpisodes {
    fn roll_call(&self, change: &RollCallChange<'_>) -> Result<(), EpisodeWriteError> {
        let mut conn = self.db.conn()?;
        conn.transaction::<_, TxError, _>(|c| {
            for (a, read) in change.closed {
                if !update_absence_in(c, a, *read)? {
                    return Err(TxError::Stale);
                }
            }
            for a in change.opened {
                insert_absence_in(c, a)?;
            }
            append_events_in(c, change.events)?;
            super::audit::append_in(c, std::slice::from_ref(change.audit))?;
            Ok(())
        })?;
        if !change.events.is_empty() {
            self.db.events_written();
        }
        Ok(())
    }

    fn update(
        &self,
        absence: &Absence,
        expected_version: i64,
        event: &AlertEvent,
    ) -> Result<(), EpisodeWriteError> {
        let mut conn = self.db.conn()?;
        conn.transaction::<_, TxError, _>(|c| {
            if !update_absence_in(c, absence, expected_version)? {
                return Err(TxError::Stale);
            }
            append_events_in(c, std::slice::from_ref(event))?;
            Ok(())
        })?;
        self.db.events_written();
        Ok(())
    }

    fn open_for_minor(&self, minor_id: &str) -> anyhow::Result<Option<Absence>> {
        let mut conn = self.db.conn()?;
        let row: Option<String> = absences::table
            .filter(absences::minor_id.eq(minor_id))
            .filter(absences::status.eq(AbsenceStatus::Open.as_str()))
            .select(absences::data)
            .first(&mut *conn)
            .optional()
            .context("reading a child's open absence")?;
        Ok(load(row.into_iter().collect(), "absence")?.pop())
    }

    fn of_minor(&self, minor_id: &str) -> anyhow::Result<Vec<Absence>> {
        let mut conn = self.db.conn()?;
        let rows: Vec<String> = absences::table
            .filter(absences::minor_id.eq(minor_id))
            .order(absences::seq.desc())
            .select(absences::data)
            .load(&mut *conn)
            .context("reading a child's absences")?;
        load(rows, "absence")
    }

    fn due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Absence>> {
        let mut conn = self.db.conn()?;
        let rows: Vec<String> = absences::table
            .filter(absences::next_due_at.le(micros(now)))
            .order(absences::next_due_at.asc())
            .limit(500)
            .select(absences::data)
            .load(&mut *conn)
            .context("reading due absences")?;
        load(rows, "absence")
    }
}

impl TaskRepository for DieselEpisodes {
    fn find(&self, id: &str) -> anyhow::Result<Option<Task>> {
        let mut conn = self.db.conn()?;
        let row: Option<String> = tasks::table
            .filter(tasks::id.eq(id))
            .select(tasks::data)
            .first(&mut *conn)
            .optional()
            .context("reading a task")?;
        Ok(load(row.into_iter().collect(), "task")?.pop())
    }

    fn list(
        &self,
        filter: &TaskFilter,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<(i64, Task), i64>> {
        let mut query = tasks::table
            .filter(tasks::agency.eq(&filter.agency))
            .select((tasks::seq, tasks::data))
            .order(tasks::seq.asc())
            .limit(i64::try_from(page.limit.get() + 1)?)
            .into_boxed();
        if let Some(after) = page.after {
            query = query.filter(tasks::seq.gt(after));
        }
        if let Some(status) = filter.status {
            query = query.filter(tasks::status.eq(status.as_str()));
        }
        if filter.overdue {
            query = query.filter(tasks::overdue.eq(true));
        }
        if let Some(minor) = &filter.minor_id {
            query = query.filter(tasks::minor_id.eq(minor));
        }
        let mut conn = self.db.conn()?;
        let rows: Vec<(i64, String)> = query.load(&mut *conn).context("listing tasks")?;
        let items = rows
            .into_iter()
            .map(|(seq, d)| Ok((seq, serde_json::from_str(&d).context("a stored task")?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |(seq, _)| *seq))
    }

    fn update(
        &self,
        task: &Task,
        expected_version: i64,
        event: &AlertEvent,
        audit: Option<&AuditEntry>,
    ) -> Result<(), EpisodeWriteError> {
        let mut conn = self.db.conn()?;
        conn.transaction::<_, TxError, _>(|c| {
            let n = diesel::update(
                tasks::table
                    .filter(tasks::id.eq(&task.id))
                    .filter(tasks::version.eq(expected_version)),
            )
            .set((
                tasks::status.eq(task.status.as_str()),
                tasks::overdue.eq(task.overdue_at.is_some()),
                tasks::next_due_at.eq(task.next_deadline().map(micros)),
                tasks::version.eq(task.version),
                tasks::data.eq(to_json(task)?),
            ))
            .execute(c)?;
            if n != 1 {
                return Err(TxError::Stale);
            }
            append_events_in(c, std::slice::from_ref(event))?;
            if let Some(entry) = audit {
                super::audit::append_in(c, std::slice::from_ref(entry))?;
            }
            Ok(())
        })?;
        self.db.events_written();
        Ok(())
    }

    fn due(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Task>> {
        let mut conn = self.db.conn()?;
        let rows: Vec<String> = tasks::table
            .filter(tasks::next_due_at.le(micros(now)))
            .order(tasks::next_due_at.asc())
            .limit(500)
            .select(tasks::data)
            .load(&mut *conn)
            .context("reading due tasks")?;
        load(rows, "task")
    }
}
