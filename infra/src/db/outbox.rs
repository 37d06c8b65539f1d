//! The outbox as the relay and the SSE stream read it, and subscriptions with their delivery state.

use anyhow::Context;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use diesel::prelude::*;
use domain::agency::AgencyId;
use domain::alert::{AlertEvent, EventType};
use domain::audit::AuditEntry;
use domain::ports::{
    Endpoint, Outbox, OutboxEvent, Progress, Subscription, SubscriptionRepository,
    SubscriptionStatus,
};

use super::schema::{dead_letters, outbox, subscriptions};
use super::{Backend, Database, DbConnection};

/// [`Outbox`] and [`SubscriptionRepository`] over a [`Database`].
#[derive(Debug, Clone)]
pub struct DieselOutbox {
    db: Database,
}

impl DieselOutbox {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn micros(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    at.trunc_subsecs(6).naive_utc()
}

/// An outbox row: seq, event id, type, alert id, minor id, time, alert JSON, possible match JSON.
type OutboxRow = (
    i64,
    String,
    String,
    String,
    String,
    chrono::NaiveDateTime,
    String,
    Option<String>,
);

/// The PostgreSQL advisory lock that writers of the outbox hold until they commit.
const OUTBOX_WRITE_LOCK: i64 = 0x7561_6d5f_6f75_7462; // "uam_outb"

/// Writes an event to the outbox inside the caller's transaction, with its alert as it stands
/// (`alert_json`).
///
/// Events must become visible in `seq` order: relays and SSE streams read past the last position
/// they handled, so an event committed after one with a higher `seq` would never be read. On
/// PostgreSQL `seq` is handed out at insert, not at commit, and concurrent transactions may commit
/// in another order; so each writer first takes a lock that it holds until it commits or rolls
/// back, and the outbox grows one transaction at a time. (SQLite has one writer at a time.)
pub(super) fn append_in(
    conn: &mut DbConnection,
    e: &AlertEvent,
    alert_json: &str,
) -> QueryResult<()> {
    if matches!(conn, DbConnection::Postgres(_)) {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(OUTBOX_WRITE_LOCK)
            .execute(conn)?;
    }
    let possible_match = e
        .possible_match
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|err| diesel::result::Error::SerializationError(Box::new(err)))?;
    diesel::insert_into(outbox::table)
        .values((
            outbox::event_id.eq(&e.id),
            outbox::kind.eq(e.kind.as_str()),
            outbox::alert_id.eq(&e.alert_id),
            outbox::minor_id.eq(&e.minor_id),
            outbox::time.eq(micros(e.time)),
            outbox::alert.eq(alert_json),
            outbox::possible_match.eq(possible_match),
        ))
        .execute(conn)?;
    Ok(())
}

impl Outbox for DieselOutbox {
    fn after(&self, seq: i64, limit: usize) -> anyhow::Result<Vec<OutboxEvent>> {
        let mut conn = self.db.conn()?;
        let rows: Vec<OutboxRow> = outbox::table
            .filter(outbox::seq.gt(seq))
            .order(outbox::seq.asc())
            .limit(i64::try_from(limit)?)
            .select((
                outbox::seq,
                outbox::event_id,
                outbox::kind,
                outbox::alert_id,
                outbox::minor_id,
                outbox::time,
                outbox::alert,
                outbox::possible_match,
            ))
            .load(&mut *conn)
            .context("reading the outbox")?;
        rows.into_iter()
            .map(
                |(seq, id, kind, alert_id, minor_id, time, alert, possible_match)| {
                    let kind: EventType = serde_json::from_value(serde_json::Value::String(kind))
                        .context("an outbox event type")?;
                    Ok(OutboxEvent {
                        seq,
                        event: AlertEvent {
                            id,
                            kind,
                            alert_id,
                            minor_id,
                            time: time.and_utc(),
                            possible_match: possible_match
                                .map(|m| serde_json::from_str(&m))
                                .transpose()
                                .context("an outbox possible match")?,
                        },
                        alert: serde_json::from_str(&alert).context("an outbox alert")?,
                    })
                },
            )
            .collect()
    }

    fn head(&self) -> anyhow::Result<i64> {
        let mut conn = self.db.conn()?;
        let head: Option<i64> = outbox::table
            .select(diesel::dsl::max(outbox::seq))
            .first(&mut *conn)
            .context("reading the outbox head")?;
        Ok(head.unwrap_or(0))
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = subscriptions)]
struct SubscriptionRow {
    id: String,
    agency: String,
    kind: String,
    url: Option<String>,
    secret: Option<String>,
    topic: Option<String>,
    cursor: i64,
    attempts: i32,
    created_at: chrono::NaiveDateTime,
    status: String,
    proposed_by: Option<String>,
}

impl SubscriptionRow {
    fn into_domain(self) -> anyhow::Result<Subscription> {
        let endpoint = match (self.kind.as_str(), self.url, self.secret, self.topic) {
            ("webhook", Some(url), Some(secret), _) => Endpoint::Webhook { url, secret },
            ("kafka", _, _, Some(topic)) => Endpoint::Kafka { topic },
            (kind, ..) => {
                anyhow::bail!("subscription {} has an incomplete {kind} endpoint", self.id)
            }
        };
        let Some(status) = SubscriptionStatus::parse(&self.status) else {
            anyhow::bail!(
                "subscription {} has the unknown status `{}`",
                self.id,
                self.status
            )
        };
        Ok(Subscription {
            id: self.id,
            agency: AgencyId::parse(&self.agency)?,
            endpoint,
            status,
            proposed_by: self.proposed_by,
            cursor: self.cursor,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            created_at: self.created_at.and_utc(),
        })
    }
}

/// Waits 1 s, 2 s, 4 s ... up to 5 minutes between attempts.
fn backoff(attempts: u32) -> Duration {
    Duration::seconds(1_i64 << attempts.min(8).saturating_sub(1)).min(Duration::minutes(5))
}

fn record(
    conn: &mut DbConnection,
    sub: &Subscription,
    progress: &Progress,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    for (seq, event_id, reason) in &progress.dead_letters {
        diesel::insert_into(dead_letters::table)
            .values((
                dead_letters::subscription_id.eq(&sub.id),
                dead_letters::outbox_seq.eq(seq),
                dead_letters::event_id.eq(event_id),
                dead_letters::reason.eq(reason),
                dead_letters::at.eq(micros(now)),
            ))
            .execute(conn)?;
    }
    let cursor = progress.cursor.unwrap_or(sub.cursor);
    let (attempts, next, error) = match &progress.failure {
        None => (0, None, None),
        Some(reason) => {
            tracing::warn!(subscription = %sub.id, agency = %sub.agency, error = %reason, "delivery failed; will retry");
            // A failure after progress is the first failure of a new event.
            let attempts = if progress.cursor.is_some() {
                1
            } else {
                sub.attempts + 1
            };
            (
                attempts,
                Some(micros(now + backoff(attempts))),
                Some(reason.clone()),
            )
        }
    };
    diesel::update(subscriptions::table.find(&sub.id))
        .set((
            subscriptions::cursor.eq(cursor),
            subscriptions::attempts.eq(i32::try_from(attempts).unwrap_or(i32::MAX)),
            subscriptions::next_attempt_at.eq(next),
            subscriptions::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

impl SubscriptionRepository for DieselOutbox {
    fn create(&self, s: &Subscription, audit: &AuditEntry) -> anyhow::Result<()> {
        let (kind, url, secret, topic) = match &s.endpoint {
            Endpoint::Webhook { url, secret } => {
                ("webhook", Some(url.clone()), Some(secret.clone()), None)
            }
            Endpoint::Kafka { topic } => ("kafka", None, None, Some(topic.clone())),
        };
        let mut conn = self.db.conn()?;
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            diesel::insert_into(subscriptions::table)
                .values((
                    subscriptions::id.eq(&s.id),
                    subscriptions::agency.eq(s.agency.as_str()),
                    subscriptions::kind.eq(kind),
                    subscriptions::url.eq(url),
                    subscriptions::secret.eq(secret),
                    subscriptions::topic.eq(topic),
                    subscriptions::cursor.eq(s.cursor),
                    subscriptions::attempts.eq(0),
                    subscriptions::created_at.eq(micros(s.created_at)),
                    subscriptions::status.eq(s.status.as_str()),
                    subscriptions::proposed_by.eq(&s.proposed_by),
                ))
                .execute(c)?;
            super::audit::append_in(c, std::slice::from_ref(audit))
        })
        .context("storing a subscription")?;
        Ok(())
    }

    fn list(&self, agency: Option<&AgencyId>) -> anyhow::Result<Vec<Subscription>> {
        let mut conn = self.db.conn()?;
        let mut query = subscriptions::table
            .order((subscriptions::created_at.asc(), subscriptions::id.asc()))
            .select(SubscriptionRow::as_select())
            .into_boxed();
        if let Some(agency) = agency {
            query = query.filter(subscriptions::agency.eq(agency.as_str()));
        }
        query
            .load(&mut *conn)
            .context("listing subscriptions")?
            .into_iter()
            .map(SubscriptionRow::into_domain)
            .collect()
    }

    fn find(&self, id: &str) -> anyhow::Result<Option<Subscription>> {
        let mut conn = self.db.conn()?;
        subscriptions::table
            .find(id)
            .select(SubscriptionRow::as_select())
            .first(&mut *conn)
            .optional()
            .context("reading a subscription")?
            .map(SubscriptionRow::into_domain)
            .transpose()
    }

    fn confirm(
        &self,
        id: &str,
        cursor: i64,
        secret: Option<&str>,
        audit: &AuditEntry,
    ) -> anyhow::Result<bool> {
        let mut conn = self.db.conn()?;
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            let pending = subscriptions::status.eq(SubscriptionStatus::Pending.as_str());
            let n = diesel::update(subscriptions::table.find(id).filter(pending))
                .set((
                    subscriptions::status.eq(SubscriptionStatus::Active.as_str()),
                    subscriptions::cursor.eq(cursor),
                    subscriptions::attempts.eq(0),
                    subscriptions::next_attempt_at.eq(None::<chrono::NaiveDateTime>),
                    subscriptions::last_error.eq(None::<String>),
                ))
                .execute(c)?;
            if n == 0 {
                return Ok(false);
            }
            if let Some(secret) = secret {
                diesel::update(subscriptions::table.find(id))
                    .set(subscriptions::secret.eq(secret))
                    .execute(c)?;
            }
            super::audit::append_in(c, std::slice::from_ref(audit))?;
            Ok(true)
        })
        .context("confirming a subscription")
    }

    fn delete(&self, id: &str, audit: &AuditEntry) -> anyhow::Result<bool> {
        let mut conn = self.db.conn()?;
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            let n = diesel::delete(subscriptions::table.find(id)).execute(c)?;
            if n == 0 {
                return Ok(false);
            }
            super::audit::append_in(c, std::slice::from_ref(audit))?;
            Ok(true)
        })
        .context("deleting a subscription")
    }

    fn deliver_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        deliver: &mut dyn FnMut(&[Subscription]) -> Vec<Progress>,
    ) -> anyhow::Result<usize> {
        let mut conn = self.db.conn()?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        if self.db.backend() == Backend::Postgres {
            // Several relays at once: each takes subscriptions no other holds, and holds them
            // while delivering, so a subscription's events go out once and in order.
            return conn.transaction::<_, anyhow::Error, _>(|c| {
                let ids: Vec<String> = diesel::sql_query(
                    "SELECT id FROM subscriptions \
                     WHERE status = 'active' \
                       AND (next_attempt_at IS NULL OR next_attempt_at <= $1) \
                       AND cursor < (SELECT COALESCE(MAX(seq), 0) FROM outbox) \
                     ORDER BY next_attempt_at NULLS FIRST, id LIMIT $2 FOR UPDATE SKIP LOCKED",
                )
                .bind::<diesel::sql_types::Timestamp, _>(micros(now))
                .bind::<diesel::sql_types::BigInt, _>(limit)
                .load::<IdRow>(c)?
                .into_iter()
                .map(|r| r.id)
                .collect();
                if ids.is_empty() {
                    return Ok(0);
                }
                let subs = subscriptions::table
                    .filter(subscriptions::id.eq_any(&ids))
                    .order(subscriptions::id.asc())
                    .select(SubscriptionRow::as_select())
                    .load(c)?
                    .into_iter()
                    .map(SubscriptionRow::into_domain)
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let progress = deliver(&subs);
                for (sub, progress) in subs.iter().zip(&progress) {
                    record(c, sub, progress, now)?;
                }
                Ok(subs.len())
            });
        }
        // SQLite: one process, one relay. No transaction is held while delivering, so writers are
        // not blocked by a slow endpoint; a cursor moves only if nobody moved it meanwhile.
        let head: Option<i64> = outbox::table
            .select(diesel::dsl::max(outbox::seq))
            .first(&mut *conn)?;
        let due = subscriptions::next_attempt_at
            .is_null()
            .or(subscriptions::next_attempt_at.le(micros(now)));
        let subs = subscriptions::table
            .filter(subscriptions::status.eq(SubscriptionStatus::Active.as_str()))
            .filter(due)
            .filter(subscriptions::cursor.lt(head.unwrap_or(0)))
            .order(subscriptions::id.asc())
            .limit(limit)
            .select(SubscriptionRow::as_select())
            .load(&mut *conn)?
            .into_iter()
            .map(SubscriptionRow::into_domain)
            .collect::<anyhow::Result<Vec<_>>>()?;
        if subs.is_empty() {
            return Ok(0);
        }
        drop(conn);
        let progress = deliver(&subs);
        let mut conn = self.db.conn()?;
        conn.transaction::<_, anyhow::Error, _>(|c| {
            // Write first, so that the transaction takes SQLite's write lock at once, waiting for
            // it if need be: one that read first could not upgrade while a request is writing.
            let ids: Vec<&str> = subs.iter().map(|s| s.id.as_str()).collect();
            diesel::update(subscriptions::table.filter(subscriptions::id.eq_any(&ids)))
                .set(subscriptions::cursor.eq(subscriptions::cursor))
                .execute(c)?;
            for (sub, progress) in subs.iter().zip(&progress) {
                let current: Option<i64> = subscriptions::table
                    .find(&sub.id)
                    .select(subscriptions::cursor)
                    .first(c)
                    .optional()?;
                if current == Some(sub.cursor) {
                    record(c, sub, progress, now)?;
                }
            }
            Ok(())
        })?;
        Ok(subs.len())
    }
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}
