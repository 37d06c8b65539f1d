//! The audit trail in `audit_log`, chained through `audit_head`, with `audit_minors` indexing the
//! children each entry names. Appends lock the head row, so the chain stays linear with any number of
//! writers and service instances; a writer thread batches concurrent appends into one commit.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use domain::audit::{Action, AuditEntry, ChainedEntry, Outcome, Verifier, VerifyReport, link_hash};
use domain::category::Category;
use domain::page::{Page, PageRequest};
use domain::ports::{AuditLog, AuditUnavailable};

use super::schema::{audit_cut, audit_head, audit_log, audit_minors};
use super::{Database, DbConnection};

fn name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .with_context(|| format!("unknown value `{text}` in the audit trail"))
}

/// An entry as stored in `audit_log`.
#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    seq: i64,
    at: NaiveDateTime,
    subject: Option<&'a str>,
    agency: Option<&'a str>,
    role: Option<&'a str>,
    purpose: Option<&'static str>,
    action: String,
    minors: String,
    categories: String,
    outcome: String,
    request_id: &'a str,
    prev_hash: String,
    hash: String,
}

/// A child named by an entry, as stored in `audit_minors`.
#[derive(Insertable)]
#[diesel(table_name = audit_minors)]
struct NewMinor<'a> {
    minor_id: &'a str,
    audit_seq: i64,
}

/// The head of the chain: the last entry's sequence number and hash.
type Head = (i64, String);

/// Entries linked to the chain after `head`, as stored, with the children they name and the head
/// they leave.
struct Linked<'a> {
    rows: Vec<NewEntry<'a>>,
    named: Vec<NewMinor<'a>>,
    head: Head,
}

fn link<'a>(entries: &'a [AuditEntry], (mut seq, mut prev): Head) -> Linked<'a> {
    let mut rows = Vec::with_capacity(entries.len());
    let mut named = Vec::new();
    for entry in entries {
        seq += 1;
        let hash = link_hash(&prev, seq, entry);
        let categories: Vec<Category> = entry.categories.iter().collect();
        rows.push(NewEntry {
            seq,
            at: entry.at.naive_utc(),
            subject: entry.subject.as_deref(),
            agency: entry.agency.as_deref(),
            role: entry.role.as_deref(),
            purpose: entry.purpose.map(|p| p.as_str()),
            action: name(&entry.action),
            minors: serde_json::to_string(&entry.minors).unwrap_or_else(|_| "[]".into()),
            categories: serde_json::to_string(&categories).unwrap_or_else(|_| "[]".into()),
            outcome: name(&entry.outcome),
            request_id: &entry.request_id,
            prev_hash: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
        let mut minors: Vec<&String> = entry.minors.iter().collect();
        minors.sort();
        minors.dedup();
        named.extend(minors.into_iter().map(|minor| NewMinor {
            minor_id: minor,
            audit_seq: seq,
        }));
    }
    Linked {
        rows,
        named,
        head: (seq, prev),
    }
}

/// Appends entries to the chain inside the caller's transaction: locks and reads the head (the
/// first statement writes, so SQLite takes its write lock at once and PostgreSQL a row lock), links
/// each entry to the one before, and moves the head, which it returns. The entries, and the
/// children they name, are written with one statement each however many there are: the writer
/// holds the chain's lock meanwhile, so every round trip under it delays every other append.
pub(super) fn append_in(conn: &mut DbConnection, entries: &[AuditEntry]) -> QueryResult<Head> {
    // Lock and read the head in one round trip. `RETURNING` exists per backend only.
    let lock = diesel::update(audit_head::table.find(1)).set(audit_head::seq.eq(audit_head::seq));
    let returning = (audit_head::seq, audit_head::hash);
    let head: Head = match &mut *conn {
        DbConnection::Postgres(c) => lock.returning(returning).get_result(c)?,
        DbConnection::Sqlite(c) => lock.returning(returning).get_result(c)?,
    };
    let Linked { rows, named, head } = link(entries, head);
    // Multi-row inserts exist per backend only, not through the multi-backend connection.
    // Chunks keep each statement within SQLite's and PostgreSQL's bound-parameter limits.
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        match &mut *conn {
            DbConnection::Postgres(c) => diesel::insert_into(audit_log::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_into(audit_log::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    for chunk in named.chunks(ROWS_PER_STATEMENT) {
        match &mut *conn {
            DbConnection::Postgres(c) => diesel::insert_into(audit_minors::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_into(audit_minors::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    diesel::update(audit_head::table.find(1))
        .set((audit_head::seq.eq(head.0), audit_head::hash.eq(&head.1)))
        .execute(conn)?;
    Ok(head)
}

/// PostgreSQL: appends entries after `head`, the head this writer left at its last commit, in one
/// statement and one round trip (its own transaction): the head moves only if it is still
/// `head`, and the entries and the children they name are inserted only if it moved. Returns the
/// new head, or `None` (nothing written) when another writer moved the head meanwhile: the
/// caller then appends with [`append_in`], which reads it. The statement waits for the head's
/// row lock like [`append_in`], and re-reads the row once it has it.
fn append_after(
    conn: &mut diesel::PgConnection,
    head: &Head,
    entries: &[AuditEntry],
) -> QueryResult<Option<Head>> {
    use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};

    #[derive(QueryableByName)]
    struct Moved {
        #[diesel(sql_type = BigInt)]
        moved: i64,
    }
    let linked = link(entries, head.clone());
    let rows = &linked.rows;
    let column = |f: fn(&NewEntry<'_>) -> String| rows.iter().map(f).collect::<Vec<String>>();
    let optional = |f: fn(&NewEntry<'_>) -> Option<String>| {
        rows.iter().map(f).collect::<Vec<Option<String>>>()
    };
    let moved: Moved = diesel::sql_query(
        "WITH moved AS ( \
             UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3 RETURNING 1 \
         ), entries AS ( \
             INSERT INTO audit_log (seq, at, subject, agency, role, purpose, action, minors, \
                 categories, outcome, request_id, prev_hash, hash) \
             SELECT * FROM unnest($4::int8[], $5::timestamp[], $6::text[], $7::text[], \
                 $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], \
                 $14::text[], $15::text[], $16::text[]) \
             WHERE EXISTS (SELECT 1 FROM moved) \
         ), named AS ( \
             INSERT INTO audit_minors (minor_id, audit_seq) \
             SELECT * FROM unnest($17::text[], $18::int8[]) WHERE EXISTS (SELECT 1 FROM moved) \
         ) \
         SELECT count(*) AS moved FROM moved",
    )
    .bind::<BigInt, _>(linked.head.0)
    .bind::<Text, _>(&linked.head.1)
    .bind::<BigInt, _>(head.0)
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.seq).collect::<Vec<i64>>())
    .bind::<Array<Timestamp>, _>(rows.iter().map(|r| r.at).collect::<Vec<NaiveDateTime>>())
    .bind::<Array<Nullable<Text>>, _>(optional(|r| r.subject.map(str::to_owned)))
    .bind::<Array<Nullable<Text>>, _>(optional(|r| r.agency.map(str::to_owned)))
    .bind::<Array<Nullable<Text>>, _>(optional(|r| r.role.map(str::to_owned)))
    .bind::<Array<Nullable<Text>>, _>(optional(|r| r.purpose.map(str::to_owned)))
    .bind::<Array<Text>, _>(column(|r| r.action.clone()))
    .bind::<Array<Text>, _>(column(|r| r.minors.clone()))
    .bind::<Array<Text>, _>(column(|r| r.categories.clone()))
    .bind::<Array<Text>, _>(column(|r| r.outcome.clone()))
    .bind::<Array<Text>, _>(column(|r| r.request_id.to_owned()))
    .bind::<Array<Text>, _>(column(|r| r.prev_hash.clone()))
    .bind::<Array<Text>, _>(column(|r| r.hash.clone()))
    .bind::<Array<Text>, _>(
        linked
            .named
            .iter()
            .map(|m| m.minor_id.to_owned())
            .collect::<Vec<String>>(),
    )
    .bind::<Array<BigInt>, _>(
        linked
            .named
            .iter()
            .map(|m| m.audit_seq)
            .collect::<Vec<i64>>(),
    )
    .get_result(conn)?;
    Ok((moved.moved == 1).then_some(linked.head))
}

/// Rows per insert statement: 13 parameters each, well within both databases' limits.
const ROWS_PER_STATEMENT: usize = 500;

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_log)]
struct EntryRow {
    seq: i64,
    at: NaiveDateTime,
    subject: Option<String>,
    agency: Option<String>,
    role: Option<String>,
    purpose: Option<String>,
    action: String,
    minors: String,
    categories: String,
    outcome: String,
    request_id: String,
    prev_hash: String,
    hash: String,
}

impl EntryRow {
    fn into_domain(self) -> anyhow::Result<ChainedEntry> {
        let categories: Vec<Category> =
            serde_json::from_str(&self.categories).context("audit categories")?;
        Ok(ChainedEntry {
            seq: self.seq,
            entry: AuditEntry {
                at: self.at.and_utc(),
                subject: self.subject,
                agency: self.agency,
                role: self.role,
                purpose: self
                    .purpose
                    .map(|p| p.parse())
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
                action: parse::<Action>(&self.action)?,
                minors: serde_json::from_str(&self.minors).context("audit minors")?,
                categories: categories.into_iter().collect(),
                outcome: parse::<Outcome>(&self.outcome)?,
                request_id: self.request_id,
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

struct Pending {
    entries: Vec<AuditEntry>,
    reply: SyncSender<Result<(), String>>,
}

/// [`AuditLog`] over a [`Database`], with group commit: a writer thread takes every append waiting
/// (up to `max_batch`) and commits them in one transaction; each caller returns once its commit is
/// done. Never fire-and-forget: a caller learns whether its entry is stored.
#[derive(Clone)]
pub struct DieselAuditLog {
    db: Database,
    queue: SyncSender<Pending>,
    wait: Duration,
}

impl std::fmt::Debug for DieselAuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselAuditLog").finish_non_exhaustive()
    }
}

impl DieselAuditLog {
    /// Starts the writer thread. `wait` bounds how long an append waits for its commit.
    pub fn start(db: Database, max_batch: usize, wait: Duration) -> anyhow::Result<Self> {
        let (queue, pending) = mpsc::sync_channel::<Pending>(max_batch * 4);
        let writer_db = db.clone();
        thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || write_batches(&writer_db, &pending, max_batch))
            .context("starting the audit writer")?;
        Ok(Self { db, queue, wait })
    }
}

/// The writer's loop, on a connection of its own (opened again after any failure, so a lost
/// connection costs the batch it failed, not the next).
fn write_batches(db: &Database, pending: &Receiver<Pending>, max_batch: usize) {
    let mut own: Option<DbConnection> = None;
    // The head this writer left at its last commit; unknown after a failure.
    let mut head: Option<Head> = None;
    // Ends when every sender (every clone of the log) is gone.
    while let Ok(first) = pending.recv() {
        let mut count = first.entries.len();
        let mut batch = vec![first];
        while count < max_batch {
            match pending.try_recv() {
                Ok(p) => {
                    count += p.entries.len();
                    batch.push(p);
                }
                Err(_) => break,
            }
        }
        let entries: Vec<AuditEntry> = batch
            .iter()
            .flat_map(|p| p.entries.iter().cloned())
            .collect();
        let conn = match own.take() {
            Some(conn) => Ok(conn),
            None => db.dedicated(),
        };
        let known = head.take();
        let result = conn
            .and_then(|mut conn| {
                let appended = match (&mut conn, &known) {
                    (DbConnection::Postgres(c), Some(known)) => {
                        append_after(c, known, &entries).context("committing audit entries")?
                    }
                    _ => None,
                };
                head = Some(match appended {
                    Some(moved) => moved,
                    None => conn
                        .transaction(|c| append_in(c, &entries))
                        .context("committing audit entries")?,
                });
                own = Some(conn);
                Ok(())
            })
            .map_err(|e| format!("{e:#}"));
        if let Err(e) = &result {
            tracing::error!(error = %e, entries = entries.len(), "audit entries not stored");
        }
        for p in batch {
            let _ = p.reply.send(result.clone());
        }
    }
}

impl AuditLog for DieselAuditLog {
    fn append(&self, entry: AuditEntry) -> Result<(), AuditUnavailable> {
        self.append_all(vec![entry])
    }

    fn append_all(&self, entries: Vec<AuditEntry>) -> Result<(), AuditUnavailable> {
        if entries.is_empty() {
            return Ok(());
        }
        let (reply, answer) = mpsc::sync_channel(1);
        self.queue
            .send(Pending { entries, reply })
            .map_err(|_| AuditUnavailable("the audit writer has stopped".into()))?;
        match answer.recv_timeout(self.wait) {
            Ok(result) => result.map_err(AuditUnavailable),
            Err(RecvTimeoutError::Timeout) => Err(AuditUnavailable(
                "the audit commit did not finish in time".into(),
            )),
            Err(RecvTimeoutError::Disconnected) => {
                Err(AuditUnavailable("the audit writer has stopped".into()))
            }
        }
    }

    fn for_minor(
        &self,
        minor_id: &str,
        page: &PageRequest<i64>,
    ) -> anyhow::Result<Page<ChainedEntry, i64>> {
        let mut conn = self.db.conn()?;
        let mut query = audit_log::table
            .inner_join(audit_minors::table)
            .filter(audit_minors::minor_id.eq(minor_id))
            .select(EntryRow::as_select())
            .order(audit_log::seq.asc())
            .limit(i64::try_from(page.limit.get() + 1)?)
            .into_boxed();
        if let Some(after) = page.after {
            query = query.filter(audit_log::seq.gt(after));
        }
        let rows = query
            .load(&mut *conn)
            .context("reading a child's access log")?;
        let items = rows
            .into_iter()
            .map(EntryRow::into_domain)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |e| e.seq))
    }

    fn verify(&self) -> anyhow::Result<VerifyReport> {
        const CHUNK: i64 = 5_000;
        let postgres = self.db.backend() == super::Backend::Postgres;
        let mut conn = self.db.conn()?;
        // One snapshot for the head and every entry, so that appends made meanwhile are neither
        // read nor mistaken for tampering; an entry beyond the head in the snapshot is tampering.
        conn.transaction::<_, anyhow::Error, _>(|c| {
            if postgres {
                diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(c)?;
            }
            let head: (i64, String) = audit_head::table
                .find(1)
                .select((audit_head::seq, audit_head::hash))
                .first(c)
                .context("reading the audit head")?;
            let (through, through_hash): (i64, String) = audit_cut::table
                .find(1)
                .select((audit_cut::through_seq, audit_cut::through_hash))
                .first(c)
                .context("reading the audit cut")?;
            let mut verifier = if through > 0 {
                Verifier::after_cut(through, &through_hash)
            } else {
                Verifier::default()
            };
            let mut after = i64::MIN;
            loop {
                let rows: Vec<EntryRow> = audit_log::table
                    .filter(audit_log::seq.gt(after))
                    .order(audit_log::seq.asc())
                    .limit(CHUNK)
                    .select(EntryRow::as_select())
                    .load(c)
                    .context("reading the audit trail")?;
                let Some(last) = rows.last().map(|r| r.seq) else {
                    break;
                };
                for row in rows {
                    verifier.push(&row.into_domain()?);
                }
                after = last;
            }
            Ok(verifier.finish((head.0 > 0).then_some(head)))
        })
    }

    fn cut(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        cut: &dyn Fn(i64, &str) -> AuditEntry,
    ) -> anyhow::Result<Option<i64>> {
        let before = before.naive_utc();
        let mut conn = self.db.conn()?;
        conn.transaction::<_, anyhow::Error, _>(|c| {
            let done: i64 = audit_cut::table
                .find(1)
                .select(audit_cut::through_seq)
                .first(c)?;
            let last: Option<(i64, String)> = audit_log::table
                .filter(audit_log::at.lt(before))
                .filter(audit_log::seq.gt(done))
                .order(audit_log::seq.desc())
                .select((audit_log::seq, audit_log::hash))
                .first(c)
                .optional()?;
            let Some((through, hash)) = last else {
                return Ok(None);
            };
            append_in(c, &[cut(through, &hash)])?;
            // PostgreSQL: the service's role may not delete audit entries (the migrations revoke
            // it); it grants itself the right for this transaction only.
            let postgres = matches!(c, DbConnection::Postgres(_));
            if postgres {
                diesel::sql_query("GRANT DELETE ON audit_log, audit_minors TO CURRENT_USER")
                    .execute(c)?;
            }
            diesel::update(audit_cut::table.find(1))
                .set((
                    audit_cut::through_seq.eq(through),
                    audit_cut::through_hash.eq(&hash),
                ))
                .execute(c)?;
            diesel::delete(audit_minors::table.filter(audit_minors::audit_seq.le(through)))
                .execute(c)?;
            diesel::delete(audit_log::table.filter(audit_log::seq.le(through))).execute(c)?;
            if postgres {
                diesel::sql_query("REVOKE DELETE ON audit_log, audit_minors FROM CURRENT_USER")
                    .execute(c)?;
            }
            Ok(Some(through))
        })
        .context("cutting the audit trail")
    }
}
