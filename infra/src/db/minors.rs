//! Children's records in `minors`, with `minor_revisions`, `minor_nationalities` and `photos`.

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use domain::audit::AuditEntry;
use domain::category::{Category, CategorySet};
use domain::lifecycle::Lifecycle;
use domain::matching::KeyQuery;
use domain::minor::{MinorData, MinorStatus};
use domain::page::{Page, PageRequest};
use domain::ports::{
    Change, LifecycleChange, Merge, MinorReader, MinorWriter, NewEvent, Redaction, StoredPhoto,
    UpdateMinorError,
};
use domain::record::{Actor, ListScope, Minor, MinorFilter, Revision};

use super::schema::{
    alert_agencies, alerts, dead_letters, minor_name_keys, minor_nationalities, minor_revisions,
    minors, outbox, photos,
};
use super::{Database, DbConnection};

#[derive(Queryable, Selectable)]
#[diesel(table_name = minors)]
pub(super) struct MinorRow {
    seq: i64,
    id: String,
    registry_number: Option<String>,
    status: String,
    version: i64,
    registered_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    data: String,
    merged_into: Option<String>,
    lifecycle: String,
}

impl MinorRow {
    pub(super) fn into_domain(self) -> anyhow::Result<(i64, Minor)> {
        let id = self.id;
        let minor = Minor {
            registry_number: self
                .registry_number
                .with_context(|| format!("record {id} has no registry number"))?,
            status: self
                .status
                .parse::<MinorStatus>()
                .map_err(|e| anyhow::anyhow!("record {id}: {e}"))?,
            version: self.version,
            registered_at: self.registered_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            data: serde_json::from_str(&self.data)
                .with_context(|| format!("record {id}: stored data"))?,
            merged_into: self.merged_into,
            lifecycle: serde_json::from_str(&self.lifecycle)
                .with_context(|| format!("record {id}: stored lifecycle"))?,
            id,
        };
        Ok((self.seq, minor))
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = minor_revisions)]
struct RevisionRow {
    version: i64,
    at: NaiveDateTime,
    subject: String,
    agency: String,
    role: String,
    purpose: String,
    changed: String,
    data: String,
    redactions: Option<String>,
}

impl RevisionRow {
    fn into_domain(self) -> anyhow::Result<Revision> {
        let changed: Vec<Category> =
            serde_json::from_str(&self.changed).context("revision categories")?;
        Ok(Revision {
            version: self.version,
            at: self.at.and_utc(),
            actor: Actor {
                subject: self.subject,
                agency: self.agency,
                role: self.role,
                purpose: self
                    .purpose
                    .parse()
                    .map_err(|e| anyhow::anyhow!("revision purpose: {e}"))?,
            },
            changed: changed.into_iter().collect(),
            data: serde_json::from_str(&self.data).context("revision data")?,
            redacted: match self.redactions {
                Some(text) => serde_json::from_str::<Vec<Category>>(&text)
                    .context("revision redactions")?
                    .into_iter()
                    .collect(),
                None => CategorySet::EMPTY,
            },
        })
    }
}

/// Times are stored with microseconds, as both backends keep them.
fn stored_time(at: DateTime<Utc>) -> NaiveDateTime {
    at.trunc_subsecs(6).naive_utc()
}

/// The error of a write transaction: a database error rolls it back like the others.
#[derive(Debug, thiserror::Error)]
enum TxError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error("not found")]
    NotFound,
    #[error("stale at version {0}")]
    Stale(i64),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// [`MinorRepository`] over a [`Database`].
#[derive(Debug, Clone)]
pub struct DieselMinorRepository {
    db: Database,
    common_key_postings: usize,
}

impl DieselMinorRepository {
    pub fn new(db: Database) -> Self {
        Self {
            db,
            common_key_postings: super::name_index::COMMON_KEY_POSTINGS,
        }
    }

    /// The same repository reading at most `postings` postings of a key before it counts as
    /// common (default [`super::name_index::COMMON_KEY_POSTINGS`]): for the benchmark that
    /// measures what the bound costs in recall and gains in time.
    pub fn with_common_key_postings(mut self, postings: usize) -> Self {
        self.common_key_postings = postings.max(1);
        self
    }

    /// Stores new records as [`MinorRepository::insert`] does, all in one transaction, without
    /// audit entries: for loading synthetic registries into benchmarks, never reachable over
    /// HTTP. Nothing is stored if any record fails.
    pub fn import(
        &self,
        records: &[(String, MinorData)],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let at = stored_time(at);
        let mut conn = self.db.conn()?;
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            for (id, data) in records {
                insert_in(c, id, data, actor, at)?;
            }
            Ok(())
        })
        .context("importing records")
    }
}

fn category_names(set: CategorySet) -> String {
    serde_json::to_string(&set.iter().collect::<Vec<_>>()).unwrap_or_else(|_| "[]".to_owned())
}

fn write_revision(
    conn: &mut DbConnection,
    seq: i64,
    version: i64,
    data_json: &str,
    changed: CategorySet,
    actor: &Actor,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(minor_revisions::table)
        .values((
            minor_revisions::minor_seq.eq(seq),
            minor_revisions::version.eq(version),
            minor_revisions::at.eq(at),
            minor_revisions::subject.eq(&actor.subject),
            minor_revisions::agency.eq(&actor.agency),
            minor_revisions::role.eq(&actor.role),
            minor_revisions::purpose.eq(actor.purpose.as_str()),
            minor_revisions::changed.eq(category_names(changed)),
            minor_revisions::data.eq(data_json),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces the nationality rows of a record with those of `data`.
fn write_nationalities(conn: &mut DbConnection, seq: i64, data: &MinorData) -> QueryResult<()> {
    diesel::delete(minor_nationalities::table.filter(minor_nationalities::minor_seq.eq(seq)))
        .execute(conn)?;
    insert_nationalities(conn, seq, data)
}

/// Inserts the nationality rows of a record that has none, in one statement.
fn insert_nationalities(conn: &mut DbConnection, seq: i64, data: &MinorData) -> QueryResult<()> {
    let mut countries: Vec<&String> = data.nationalities().iter().collect();
    countries.sort();
    countries.dedup();
    let rows: Vec<_> = countries
        .into_iter()
        .map(|country| {
            (
                minor_nationalities::minor_seq.eq(seq),
                minor_nationalities::country.eq(country),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    // Multi-row inserts exist per backend only, not through the multi-backend connection.
    match conn {
        DbConnection::Postgres(c) => diesel::insert_into(minor_nationalities::table)
            .values(&rows)
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_into(minor_nationalities::table)
            .values(&rows)
            .execute(c)?,
    };
    Ok(())
}

/// Inserts a new record at version 1 (status `active`) with its registry number, nationality rows
/// and first revision, inside the caller's transaction. The first statement writes, so SQLite takes
/// its write lock at once (no upgrade from a read lock).
pub(super) fn insert_in(
    c: &mut DbConnection,
    id: &str,
    data: &MinorData,
    actor: &Actor,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let json = serde_json::to_string(data)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let insert = diesel::insert_into(minors::table)
        .values((
            minors::id.eq(id),
            minors::status.eq(MinorStatus::Active.as_str()),
            minors::version.eq(1_i64),
            minors::placement_agency.eq(data.placement_agency()),
            minors::guardian_agency.eq(data.guardian_agency()),
            minors::registered_at.eq(at),
            minors::updated_at.eq(at),
            minors::data.eq(&json),
        ))
        .returning(minors::seq);
    // `RETURNING` exists per backend only.
    let seq: i64 = match &mut *c {
        DbConnection::Postgres(c) => insert.get_result(c)?,
        DbConnection::Sqlite(c) => insert.get_result(c)?,
    };
    let number = format!("UAM-{}-{seq:06}", at.year());
    diesel::update(minors::table.filter(minors::seq.eq(seq)))
        .set(minors::registry_number.eq(&number))
        .execute(c)?;
    insert_nationalities(c, seq, data)?;
    super::name_index::insert_name_keys(c, seq, data)?;
    write_revision(c, seq, 1, &json, data.present_categories(), actor, at)
}

/// The registration sequence number of record `id`.
fn seq_of(c: &mut DbConnection, id: &str) -> QueryResult<i64> {
    minors::table
        .filter(minors::id.eq(id))
        .select(minors::seq)
        .first(c)
}

/// Why an update that matched no row failed: the record is at another version, or missing.
fn stale_or_missing(c: &mut DbConnection, id: &str) -> TxError {
    let current = minors::table
        .filter(minors::id.eq(id))
        .select(minors::version)
        .first::<i64>(c)
        .optional();
    match current {
        Ok(Some(v)) => TxError::Stale(v),
        Ok(None) => TxError::NotFound,
        Err(e) => TxError::Db(e),
    }
}

/// Stores a record's lifecycle and the copy of whether it is restricted, which listings and
/// search candidates read (a restricted record stays in the name index: while its child is
/// missing, it is still found).
fn write_lifecycle(c: &mut DbConnection, seq: i64, lifecycle: &Lifecycle) -> Result<(), TxError> {
    let json = serde_json::to_string(lifecycle).map_err(anyhow::Error::from)?;
    diesel::update(minors::table.filter(minors::seq.eq(seq)))
        .set((
            minors::lifecycle.eq(json),
            minors::restricted.eq(lifecycle.is_restricted()),
        ))
        .execute(c)?;
    Ok(())
}

/// Listings and search leave out a restricted record unless its child is missing (the caller's
/// mask then decides, for the purpose `disappearance`), and every merged duplicate.
fn listable() -> diesel::dsl::Or<
    diesel::dsl::Eq<minors::restricted, bool>,
    diesel::dsl::Eq<minors::status, &'static str>,
> {
    minors::restricted
        .eq(false)
        .or(minors::status.eq(MinorStatus::Missing.as_str()))
}

/// Removes `categories` from the data of every revision of the record.
fn strip_revisions(c: &mut DbConnection, seq: i64, categories: CategorySet) -> Result<(), TxError> {
    let rows: Vec<(i64, String)> = minor_revisions::table
        .filter(minor_revisions::minor_seq.eq(seq))
        .select((minor_revisions::version, minor_revisions::data))
        .load(c)?;
    let keep = CategorySet::all().difference(categories);
    for (version, json) in rows {
        let data: MinorData = serde_json::from_str(&json).map_err(anyhow::Error::from)?;
        if data
            .present_categories()
            .intersection(categories)
            .is_empty()
        {
            continue;
        }
        let kept = serde_json::to_string(&data.retain(keep)).map_err(anyhow::Error::from)?;
        diesel::update(
            minor_revisions::table
                .filter(minor_revisions::minor_seq.eq(seq))
                .filter(minor_revisions::version.eq(version)),
        )
        .set(minor_revisions::data.eq(kept))
        .execute(c)?;
    }
    Ok(())
}

/// Removes the child's resolved alerts with their agencies, and the child's outbox events with
/// the dead letters that name them (an open alert stays: the sweep erases no record under one).
fn erase_alerts(c: &mut DbConnection, minor_id: &str) -> Result<(), TxError> {
    let resolved: Vec<i64> = alerts::table
        .filter(alerts::minor_id.eq(minor_id))
        .filter(alerts::status.eq("resolved"))
        .select(alerts::seq)
        .load(c)?;
    diesel::delete(alert_agencies::table.filter(alert_agencies::alert_seq.eq_any(&resolved)))
        .execute(c)?;
    diesel::delete(alerts::table.filter(alerts::seq.eq_any(&resolved))).execute(c)?;
    let events: Vec<i64> = outbox::table
        .filter(outbox::minor_id.eq(minor_id))
        .select(outbox::seq)
        .load(c)?;
    diesel::delete(dead_letters::table.filter(dead_letters::outbox_seq.eq_any(&events)))
        .execute(c)?;
    diesel::delete(outbox::table.filter(outbox::seq.eq_any(&events))).execute(c)?;
    Ok(())
}

fn load_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<MinorRow>> {
    minors::table
        .filter(minors::id.eq(id))
        .select(MinorRow::as_select())
        .first(conn)
        .optional()
}

impl MinorWriter for DieselMinorRepository {
    fn insert(
        &self,
        id: &str,
        data: &MinorData,
        actor: &Actor,
        at: DateTime<Utc>,
        audit: Option<&AuditEntry>,
        events: &[NewEvent<'_>],
    ) -> anyhow::Result<Minor> {
        let at = stored_time(at);
        let mut conn = self.db.conn()?;
        let row = conn
            .transaction::<_, TxError, _>(|c| {
                insert_in(c, id, data, actor, at)?;
                for e in events {
                    let alert = serde_json::to_string(e.alert).map_err(anyhow::Error::from)?;
                    super::outbox::append_in(c, e.event, &alert)?;
                }
                let row = load_by_id(c, id)?.ok_or(TxError::NotFound)?;
                // Last: the chain's head stays locked from here to the commit.
                if let Some(entry) = audit {
                    super::audit::append_in(c, std::slice::from_ref(entry))?;
                }
                Ok(row)
            })
            .context("registering a record")?;
        if !events.is_empty() {
            self.db.events_written();
        }
        Ok(row.into_domain()?.1)
    }

    fn update(&self, id: &str, change: &Change<'_>) -> Result<Minor, UpdateMinorError> {
        let json = serde_json::to_string(change.data).map_err(anyhow::Error::from)?;
        let at = stored_time(change.at);
        let mut conn = self.db.conn()?;
        let result = conn.transaction::<_, TxError, _>(|c| {
            let updated = diesel::update(
                minors::table
                    .filter(minors::id.eq(id))
                    .filter(minors::version.eq(change.expected_version)),
            )
            .set((
                minors::data.eq(&json),
                minors::version.eq(change.expected_version + 1),
                minors::updated_at.eq(at),
                minors::placement_agency.eq(change.data.placement_agency()),
                minors::guardian_agency.eq(change.data.guardian_agency()),
            ))
            .execute(c)?;
            if updated == 0 {
                return Err(stale_or_missing(c, id));
            }
            let seq = seq_of(c, id)?;
            if let Some(lifecycle) = change.lifecycle {
                write_lifecycle(c, seq, lifecycle)?;
            }
            if let Some(photo) = change.removed_photo {
                diesel::delete(
                    photos::table
                        .filter(photos::minor_seq.eq(seq))
                        .filter(photos::id.eq(photo)),
                )
                .execute(c)?;
            }
            write_nationalities(c, seq, change.data)?;
            super::name_index::write_name_keys(c, seq, change.data)?;
            write_revision(
                c,
                seq,
                change.expected_version + 1,
                &json,
                change.changed,
                change.actor,
                at,
            )?;
            if let Some(photo) = change.photo {
                diesel::insert_into(photos::table)
                    .values((
                        photos::id.eq(&photo.id),
                        photos::minor_seq.eq(seq),
                        photos::content_type.eq(&photo.content_type),
                        photos::bytes.eq(&photo.bytes),
                        photos::created_at.eq(at),
                    ))
                    .execute(c)?;
            }
            super::audit::append_in(c, std::slice::from_ref(change.audit))?;
            load_by_id(c, id)?.ok_or(TxError::NotFound)
        });
        settle(id, result, "updating a record")
    }

    fn merge(&self, merge: &Merge<'_>) -> Result<Minor, UpdateMinorError> {
        let json = serde_json::to_string(merge.data).map_err(anyhow::Error::from)?;
        let at = stored_time(merge.at);
        let mut conn = self.db.conn()?;
        let result = conn.transaction::<_, TxError, _>(|c| {
            // The first statement writes, so SQLite takes its write lock at once: a read first
            // would have to be upgraded, and that fails at once ("database is locked") when another
            // writer committed meanwhile, whatever the busy timeout.
            let updated = diesel::update(
                minors::table
                    .filter(minors::id.eq(merge.survivor))
                    .filter(minors::version.eq(merge.survivor_version))
                    .filter(minors::merged_into.is_null()),
            )
            .set((
                minors::data.eq(&json),
                minors::version.eq(merge.survivor_version + 1),
                minors::updated_at.eq(at),
                minors::placement_agency.eq(merge.data.placement_agency()),
                minors::guardian_agency.eq(merge.data.guardian_agency()),
            ))
            .execute(c)?;
            if updated == 0 {
                let current: Option<i64> = minors::table
                    .filter(minors::id.eq(merge.survivor))
                    .select(minors::version)
                    .first(c)
                    .optional()?;
                return Err(current.map_or(TxError::NotFound, TxError::Stale));
            }
            let duplicate = load_by_id(c, merge.duplicate)?.ok_or(TxError::NotFound)?;
            if duplicate.version != merge.duplicate_version || duplicate.merged_into.is_some() {
                return Err(TxError::Stale(duplicate.version));
            }
            let survivor_seq: i64 = minors::table
                .filter(minors::id.eq(merge.survivor))
                .select(minors::seq)
                .first(c)?;
            write_nationalities(c, survivor_seq, merge.data)?;
            super::name_index::write_name_keys(c, survivor_seq, merge.data)?;
            write_revision(
                c,
                survivor_seq,
                merge.survivor_version + 1,
                &json,
                merge.changed,
                merge.actor,
                at,
            )?;
            // The duplicate keeps its data and history, points to the survivor and leaves the
            // name index; its photos belong to the survivor now.
            diesel::update(minors::table.filter(minors::seq.eq(duplicate.seq)))
                .set((
                    minors::status.eq(MinorStatus::Merged.as_str()),
                    minors::merged_into.eq(merge.survivor),
                    minors::version.eq(duplicate.version + 1),
                    minors::updated_at.eq(at),
                ))
                .execute(c)?;
            diesel::delete(
                minor_name_keys::table.filter(minor_name_keys::minor_seq.eq(duplicate.seq)),
            )
            .execute(c)?;
            write_revision(
                c,
                duplicate.seq,
                duplicate.version + 1,
                &duplicate.data,
                CategorySet::EMPTY,
                merge.actor,
                at,
            )?;
            diesel::update(photos::table.filter(photos::minor_seq.eq(duplicate.seq)))
                .set(photos::minor_seq.eq(survivor_seq))
                .execute(c)?;
            super::audit::append_in(c, std::slice::from_ref(merge.audit))?;
            load_by_id(c, merge.survivor)?.ok_or(TxError::NotFound)
        });
        match result {
            Ok(row) => Ok(row.into_domain()?.1),
            Err(TxError::NotFound) => Err(UpdateMinorError::NotFound(format!(
                "{} or {}",
                merge.survivor, merge.duplicate
            ))),
            Err(TxError::Stale(current)) => Err(UpdateMinorError::Stale { current }),
            Err(TxError::Db(e)) => Err(anyhow::Error::new(e).context("merging records").into()),
            Err(TxError::Other(e)) => Err(e.into()),
        }
    }

    fn change_lifecycle(
        &self,
        id: &str,
        change: &LifecycleChange<'_>,
    ) -> Result<Minor, UpdateMinorError> {
        let at = stored_time(change.at);
        let mut conn = self.db.conn()?;
        let result = conn.transaction::<_, TxError, _>(|c| {
            let next = if change.moves_version || change.erasure.is_some() {
                change.expected_version + 1
            } else {
                change.expected_version
            };
            let updated = diesel::update(
                minors::table
                    .filter(minors::id.eq(id))
                    .filter(minors::version.eq(change.expected_version)),
            )
            .set(minors::version.eq(next))
            .execute(c)?;
            if updated == 0 {
                return Err(stale_or_missing(c, id));
            }
            let seq = seq_of(c, id)?;
            // A record's `updated_at` is when its content last changed: a notice, a review or a
            // dated event leaves it (and what is dated from it) where it was.
            if next != change.expected_version {
                diesel::update(minors::table.filter(minors::seq.eq(seq)))
                    .set(minors::updated_at.eq(at))
                    .execute(c)?;
            }
            if let Some((data, erasure)) = change.erasure {
                let json = serde_json::to_string(data).map_err(anyhow::Error::from)?;
                diesel::update(minors::table.filter(minors::seq.eq(seq)))
                    .set((
                        minors::data.eq(&json),
                        minors::placement_agency.eq(data.placement_agency()),
                        minors::guardian_agency.eq(data.guardian_agency()),
                    ))
                    .execute(c)?;
                write_nationalities(c, seq, data)?;
                super::name_index::write_name_keys(c, seq, data)?;
                strip_revisions(c, seq, erasure.categories)?;
                if erasure.photos || erasure.record {
                    diesel::delete(photos::table.filter(photos::minor_seq.eq(seq))).execute(c)?;
                }
                if erasure.record {
                    diesel::delete(
                        minor_revisions::table.filter(minor_revisions::minor_seq.eq(seq)),
                    )
                    .execute(c)?;
                } else if erasure.revisions {
                    diesel::delete(
                        minor_revisions::table
                            .filter(minor_revisions::minor_seq.eq(seq))
                            .filter(minor_revisions::version.lt(change.expected_version)),
                    )
                    .execute(c)?;
                }
                if erasure.alerts || erasure.record {
                    erase_alerts(c, id)?;
                }
            }
            write_lifecycle(c, seq, change.lifecycle)?;
            if let Some(event) = change.notice {
                let content = serde_json::to_string(&event.notice).map_err(anyhow::Error::from)?;
                super::outbox::append_in(c, event, &content)?;
            }
            super::audit::append_in(c, std::slice::from_ref(change.audit))?;
            load_by_id(c, id)?.ok_or(TxError::NotFound)
        });
        if change.notice.is_some() && result.is_ok() {
            self.db.events_written();
        }
        settle(id, result, "changing a record's lifecycle")
    }

    fn redact(&self, id: &str, redaction: &Redaction<'_>) -> Result<Minor, UpdateMinorError> {
        let mut conn = self.db.conn()?;
        let result = conn.transaction::<_, TxError, _>(|c| {
            let updated = diesel::update(
                minors::table
                    .filter(minors::id.eq(id))
                    .filter(minors::version.eq(redaction.expected_version)),
            )
            .set(minors::version.eq(redaction.expected_version))
            .execute(c)?;
            if updated == 0 {
                return Err(stale_or_missing(c, id));
            }
            let seq = seq_of(c, id)?;
            let row: Option<(String, Option<String>)> = minor_revisions::table
                .filter(minor_revisions::minor_seq.eq(seq))
                .filter(minor_revisions::version.eq(redaction.revision))
                .select((minor_revisions::data, minor_revisions::redactions))
                .first(c)
                .optional()?;
            let (json, before) = row.ok_or(TxError::NotFound)?;
            let data: MinorData = serde_json::from_str(&json).map_err(anyhow::Error::from)?;
            let mut redacted: CategorySet = match before {
                Some(text) => serde_json::from_str::<Vec<Category>>(&text)
                    .map_err(anyhow::Error::from)?
                    .into_iter()
                    .collect(),
                None => CategorySet::EMPTY,
            };
            redacted = redacted.union(redaction.categories);
            let kept = data.retain(CategorySet::all().difference(redaction.categories));
            diesel::update(
                minor_revisions::table
                    .filter(minor_revisions::minor_seq.eq(seq))
                    .filter(minor_revisions::version.eq(redaction.revision)),
            )
            .set((
                minor_revisions::data
                    .eq(serde_json::to_string(&kept).map_err(anyhow::Error::from)?),
                minor_revisions::redactions.eq(category_names(redacted)),
            ))
            .execute(c)?;
            write_lifecycle(c, seq, redaction.lifecycle)?;
            super::audit::append_in(c, std::slice::from_ref(redaction.audit))?;
            load_by_id(c, id)?.ok_or(TxError::NotFound)
        });
        settle(id, result, "redacting a revision")
    }
}

/// The answer of a write transaction on record `id`.
fn settle(
    id: &str,
    result: Result<MinorRow, TxError>,
    doing: &'static str,
) -> Result<Minor, UpdateMinorError> {
    match result {
        Ok(row) => Ok(row.into_domain()?.1),
        Err(TxError::NotFound) => Err(UpdateMinorError::NotFound(id.to_owned())),
        Err(TxError::Stale(current)) => Err(UpdateMinorError::Stale { current }),
        Err(TxError::Db(e)) => Err(anyhow::Error::new(e).context(doing).into()),
        Err(TxError::Other(e)) => Err(e.into()),
    }
}

impl MinorReader for DieselMinorRepository {
    fn find(&self, id: &str) -> anyhow::Result<Option<Minor>> {
        // No id holds a NUL character, and PostgreSQL refuses one in a query (text cannot hold it).
        if id.contains('\0') {
            return Ok(None);
        }
        let mut conn = self.db.conn()?;
        load_by_id(&mut conn, id)
            .context("reading a record")?
            .map(|r| r.into_domain().map(|(_, m)| m))
            .transpose()
    }

    fn history(&self, id: &str) -> anyhow::Result<Vec<Revision>> {
        let mut conn = self.db.conn()?;
        minor_revisions::table
            .inner_join(minors::table)
            .filter(minors::id.eq(id))
            .order(minor_revisions::version.asc())
            .select(RevisionRow::as_select())
            .load(&mut *conn)
            .context("reading a record's history")?
            .into_iter()
            .map(RevisionRow::into_domain)
            .collect()
    }

    fn list(
        &self,
        scope: &ListScope,
        filter: &MinorFilter,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<(i64, Minor), i64>> {
        let mut query = minors::table
            .select(MinorRow::as_select())
            .filter(listable())
            .filter(minors::merged_into.is_null())
            .order(minors::seq.asc())
            .limit(i64::try_from(page.limit.get() + 1)?)
            .into_boxed();
        if let ListScope::Related {
            agency,
            assigned,
            missing,
        } = scope
        {
            let ours = minors::placement_agency
                .assume_not_null()
                .eq(agency.as_str().to_owned())
                .or(minors::guardian_agency
                    .assume_not_null()
                    .eq(agency.as_str().to_owned()));
            let is_missing = minors::status.eq(MinorStatus::Missing.as_str());
            query = match (assigned, missing) {
                (true, true) => query.filter(ours.or(is_missing)),
                (true, false) => query.filter(ours),
                (false, true) => query.filter(is_missing),
                (false, false) => {
                    return Ok(Page {
                        items: vec![],
                        next: None,
                    });
                }
            };
        }
        if let Some(after) = page.after {
            query = query.filter(minors::seq.gt(after));
        }
        if let Some(status) = filter.status {
            query = query.filter(minors::status.eq(status.as_str()));
        }
        if let Some(agency) = &filter.placement_agency {
            query = query.filter(minors::placement_agency.eq(agency.as_str().to_owned()));
        }
        if let Some(country) = &filter.nationality {
            query = query.filter(
                minors::seq.eq_any(
                    minor_nationalities::table
                        .filter(minor_nationalities::country.eq(country.clone()))
                        .select(minor_nationalities::minor_seq),
                ),
            );
        }
        if let Some(since) = filter.registered_since {
            query = query.filter(minors::registered_at.ge(since.and_time(chrono::NaiveTime::MIN)));
        }
        let mut conn = self.db.conn()?;
        let rows = query.load(&mut *conn).context("listing records")?;
        let items = rows
            .into_iter()
            .map(MinorRow::into_domain)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |(seq, _)| *seq))
    }

    fn candidates(&self, query: &KeyQuery, limit: usize) -> anyhow::Result<Vec<Minor>> {
        if query.is_empty() || limit == 0 {
            return Ok(vec![]);
        }
        let mut conn = self.db.conn()?;
        let seqs =
            super::name_index::candidate_seqs(&mut conn, query, limit, self.common_key_postings)
                .context("looking up the name index")?;
        let rows = minors::table
            .filter(minors::seq.eq_any(&seqs))
            .filter(listable())
            .select(MinorRow::as_select())
            .load(&mut *conn)
            .context("reading candidates")?;
        let mut found: Vec<(i64, Minor)> = rows
            .into_iter()
            .map(MinorRow::into_domain)
            .collect::<anyhow::Result<_>>()?;
        let rank: std::collections::HashMap<i64, usize> =
            seqs.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        found.sort_by_key(|(seq, _)| rank.get(seq).copied().unwrap_or(usize::MAX));
        Ok(found.into_iter().map(|(_, m)| m).collect())
    }

    fn scan(&self, after: i64, limit: usize) -> anyhow::Result<Vec<(i64, Minor)>> {
        let mut conn = self.db.conn()?;
        minors::table
            .filter(minors::seq.gt(after))
            .order(minors::seq.asc())
            .limit(i64::try_from(limit)?)
            .select(MinorRow::as_select())
            .load(&mut *conn)
            .context("scanning records")?
            .into_iter()
            .map(MinorRow::into_domain)
            .collect()
    }

    fn photo(&self, minor_id: &str, photo_id: &str) -> anyhow::Result<Option<StoredPhoto>> {
        let mut conn = self.db.conn()?;
        let row: Option<(String, Vec<u8>)> = photos::table
            .inner_join(minors::table)
            .filter(minors::id.eq(minor_id))
            .filter(photos::id.eq(photo_id))
            .select((photos::content_type, photos::bytes))
            .first(&mut *conn)
            .optional()
            .context("reading a photo")?;
        Ok(row.map(|(content_type, bytes)| StoredPhoto {
            content_type,
            bytes,
        }))
    }
}
