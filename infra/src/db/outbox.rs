//! The outbox as the relay and the SSE stream read it, and subscriptions with their delivery state.

use anyhow::Context;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use diesel::prelude::*;
use domain::agency::AgencyId;
use domain::alert::{AlertEvent, EventType, Payload};
use domain::audit::AuditEntry;
use domain::ports::{
    Backlog, DeadLetter, Endpoint, Failing, Lane, Outbox, OutboxEvent, Progress, Resolution,
    Subscription, SubscriptionChange, SubscriptionRepository, SubscriptionStatus,
};

use super::schema::{dead_letters, outbox, outbox_horizon, subscriptions};
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

/// The payload of an outbox row for `e`: the alert as it stands (`alert_json`) for an alert's
/// event, else the notice, absence or task the event carries.
pub(super) fn payload(e: &AlertEvent, alert_json: Option<&str>) -> QueryResult<String> {
    let json = |v: serde_json::Result<String>| {
        v.map_err(|err| diesel::result::Error::SerializationError(Box::new(err)))
    };
    let missing = || {
        diesel::result::Error::SerializationError(
            format!(
                "event {} of type {} lacks its payload",
                e.id,
                e.kind.as_str()
            )
            .into(),
        )
    };
    match e.kind.payload() {
        Payload::Alert => alert_json.map(str::to_owned).ok_or_else(missing),
        Payload::Notice => json(serde_json::to_string(
            e.notice.as_ref().ok_or_else(missing)?,
        )),
        Payload::Absence => json(serde_json::to_string(
            e.absence.as_ref().ok_or_else(missing)?,
        )),
        Payload::Task => json(serde_json::to_string(e.task.as_ref().ok_or_else(missing)?)),
    }
}

/// The columns of an [`OutboxRow`].
type OutboxColumns = (
    outbox::seq,
    outbox::event_id,
    outbox::kind,
    outbox::alert_id,
    outbox::minor_id,
    outbox::time,
    outbox::alert,
    outbox::possible_match,
);

const OUTBOX_COLUMNS: OutboxColumns = (
    outbox::seq,
    outbox::event_id,
    outbox::kind,
    outbox::alert_id,
    outbox::minor_id,
    outbox::time,
    outbox::alert,
    outbox::possible_match,
);

fn outbox_event(
    (seq, id, kind, alert_id, minor_id, time, alert, possible_match): OutboxRow,
) -> anyhow::Result<OutboxEvent> {
    let kind: EventType =
        serde_json::from_value(serde_json::Value::String(kind)).context("an outbox event type")?;
    // The `alert` column holds the alert, or what the event is about: a record's notice, an
    // absence, a task.
    let (mut stored, mut notice, mut absence, mut task) = (None, None, None, None);
    match kind.payload() {
        Payload::Alert => stored = Some(serde_json::from_str(&alert).context("an outbox alert")?),
        Payload::Notice => notice = Some(serde_json::from_str(&alert).context("an outbox notice")?),
        Payload::Absence => {
            absence = Some(serde_json::from_str(&alert).context("an outbox absence")?);
        }
        Payload::Task => task = Some(serde_json::from_str(&alert).context("an outbox task")?),
    }
    let alert = stored;
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
            notice,
            absence,
            task,
        },
        alert,
    })
}

impl Outbox for DieselOutbox {
    fn after(&self, seq: i64, limit: usize) -> anyhow::Result<Vec<OutboxEvent>> {
        let mut conn = self.db.conn()?;
        let rows: Vec<OutboxRow> = outbox::table
            .filter(outbox::seq.gt(seq))
            .order(outbox::seq.asc())
            .limit(i64::try_from(limit)?)
            .select(OUTBOX_COLUMNS)
            .load(&mut *conn)
            .context("reading the outbox")?;
        rows.into_iter().map(outbox_event).collect()
    }

    fn head(&self) -> anyhow::Result<i64> {
        let mut conn = self.db.conn()?;
        let head: Option<i64> = outbox::table
            .select(diesel::dsl::max(outbox::seq))
            .first(&mut *conn)
            .context("reading the outbox head")?;
        Ok(head.unwrap_or(0))
    }

    fn get(&self, seq: i64) -> anyhow::Result<Option<OutboxEvent>> {
        let mut conn = self.db.conn()?;
        let row: Option<OutboxRow> = outbox::table
            .find(seq)
            .select(OUTBOX_COLUMNS)
            .first(&mut *conn)
            .optional()
            .context("reading an outbox event")?;
        row.map(outbox_event).transpose()
    }

    fn backlog(&self, seq: i64) -> anyhow::Result<Backlog> {
        let mut conn = self.db.conn()?;
        let (events, oldest): (i64, Option<chrono::NaiveDateTime>) = outbox::table
            .filter(outbox::seq.gt(seq))
            .select((diesel::dsl::count_star(), diesel::dsl::min(outbox::time)))
            .first(&mut *conn)
            .context("reading a backlog")?;
        Ok(Backlog {
            events: u64::try_from(events).unwrap_or(0),
            oldest: oldest.map(|t| t.and_utc()),
        })
    }

    fn horizon(&self) -> anyhow::Result<i64> {
        let mut conn = self.db.conn()?;
        horizon_in(&mut conn).context("reading the outbox horizon")
    }

    fn prune(&self, before: DateTime<Utc>) -> anyhow::Result<u64> {
        let mut conn = self.db.conn()?;
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            let old: Option<i64> = outbox::table
                .filter(outbox::time.lt(micros(before)))
                .select(diesel::dsl::max(outbox::seq))
                .first(c)?;
            // No event a subscription has still to look at: it is dead-lettered first.
            let waited_for: Option<i64> = subscriptions::table
                .filter(subscriptions::status.ne(SubscriptionStatus::Pending.as_str()))
                .select(diesel::dsl::min(subscriptions::cursor))
                .first(c)?;
            let Some(through) = old.map(|o| waited_for.map_or(o, |w| o.min(w))) else {
                return Ok(0);
            };
            let horizon = horizon_in(c)?;
            if through <= horizon {
                return Ok(0);
            }
            let named = dead_letters::table
                .filter(dead_letters::outbox_seq.eq(outbox::seq))
                .filter(dead_letters::resolved_at.is_null());
            let removed = diesel::delete(
                outbox::table
                    .filter(outbox::seq.le(through))
                    .filter(diesel::dsl::not(diesel::dsl::exists(named))),
            )
            .execute(c)?;
            // Never backwards: another instance may have pruned further meanwhile.
            diesel::update(
                outbox_horizon::table
                    .find(1)
                    .filter(outbox_horizon::pruned_through.lt(through)),
            )
            .set(outbox_horizon::pruned_through.eq(through))
            .execute(c)?;
            Ok(u64::try_from(removed).unwrap_or(0))
        })
        .context("pruning the outbox")
    }
}

fn horizon_in(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(outbox_horizon::table
        .find(1)
        .select(outbox_horizon::pruned_through)
        .first(conn)
        .optional()?
        .unwrap_or(0))
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
    next_attempt_at: Option<chrono::NaiveDateTime>,
    last_error: Option<String>,
    created_at: chrono::NaiveDateTime,
    status: String,
    proposed_by: Option<String>,
    failing_since: Option<chrono::NaiveDateTime>,
    failing_seq: Option<i64>,
    paused_since: Option<chrono::NaiveDateTime>,
    retry_hours: i32,
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
        // Paused is an active subscription its agency holds: stored as `paused_since`.
        let status = match (self.status.as_str(), self.paused_since) {
            ("active", Some(_)) => SubscriptionStatus::Paused,
            ("active", None) => SubscriptionStatus::Active,
            ("pending", _) => SubscriptionStatus::Pending,
            (other, _) => {
                anyhow::bail!("subscription {} has the unknown status `{other}`", self.id)
            }
        };
        let failing = self.failing_since.map(|since| Failing {
            since: since.and_utc(),
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            last_error: self.last_error.unwrap_or_default(),
            seq: self.failing_seq,
            next_attempt_at: self.next_attempt_at.unwrap_or(since).and_utc(),
        });
        Ok(Subscription {
            id: self.id,
            agency: AgencyId::parse(&self.agency)?,
            endpoint,
            status,
            proposed_by: self.proposed_by,
            cursor: self.cursor,
            retry_for: Duration::hours(i64::from(self.retry_hours)),
            paused_since: self.paused_since.map(|t| t.and_utc()),
            failing,
            created_at: self.created_at.and_utc(),
        })
    }
}

/// Records a round's progress as the domain computed it, and logs the changes monitoring looks
/// for: a subscription starting or ending to fail, an event dead-lettered.
fn record(
    conn: &mut DbConnection,
    sub: &Subscription,
    progress: &Progress,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    for d in &progress.dead_letters {
        insert_dead_letter(conn, &sub.id, d)?;
        tracing::warn!(
            subscription = %sub.id,
            agency = %sub.agency,
            event = %d.event_id,
            reason = %d.reason,
            "event dead-lettered"
        );
    }
    let cursor = progress.cursor.unwrap_or(sub.cursor);
    let failing = progress.failing.as_ref();
    diesel::update(subscriptions::table.find(&sub.id))
        .set((
            subscriptions::cursor.eq(cursor),
            subscriptions::attempts
                .eq(failing.map_or(0, |f| i32::try_from(f.attempts).unwrap_or(i32::MAX))),
            subscriptions::next_attempt_at.eq(failing
                .map(|f| f.next_attempt_at)
                .or(progress.next_look_at)
                .map(micros)),
            subscriptions::last_error.eq(failing.map(|f| f.last_error.clone())),
            subscriptions::failing_since.eq(failing.map(|f| micros(f.since))),
            subscriptions::failing_seq.eq(failing.and_then(|f| f.seq)),
        ))
        .execute(conn)?;
    match (&sub.failing, failing) {
        (None, Some(f)) => tracing::warn!(
            subscription = %sub.id,
            agency = %sub.agency,
            error = %f.last_error,
            next_attempt_at = %f.next_attempt_at,
            "subscription failing: its events wait"
        ),
        (Some(was), Some(f)) => tracing::info!(
            subscription = %sub.id,
            agency = %sub.agency,
            attempts = f.attempts,
            error = %f.last_error,
            failing_since = %was.since,
            next_attempt_at = %f.next_attempt_at,
            "delivery failed again; will retry"
        ),
        (Some(was), None) => tracing::info!(
            subscription = %sub.id,
            agency = %sub.agency,
            failed_for_seconds = (now - was.since).num_seconds(),
            attempts = was.attempts,
            "subscription recovered: delivering again"
        ),
        (None, None) => {}
    }
    Ok(())
}

/// Stores a dead letter. A subscription's cursor passes an event once, so the only row it could
/// meet is a resolved one of an earlier life of the event (a replay): it is replaced.
fn insert_dead_letter(
    conn: &mut DbConnection,
    subscription: &str,
    d: &DeadLetter,
) -> QueryResult<()> {
    diesel::delete(dead_letters::table.find((subscription, d.seq))).execute(conn)?;
    diesel::insert_into(dead_letters::table)
        .values((
            dead_letters::subscription_id.eq(subscription),
            dead_letters::outbox_seq.eq(d.seq),
            dead_letters::event_id.eq(&d.event_id),
            dead_letters::reason.eq(&d.reason),
            dead_letters::at.eq(micros(d.at)),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Queryable)]
struct DeadLetterRow {
    seq: i64,
    event_id: String,
    reason: String,
    at: chrono::NaiveDateTime,
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
                    subscriptions::status.eq(match s.status {
                        SubscriptionStatus::Pending => "pending",
                        SubscriptionStatus::Active | SubscriptionStatus::Paused => "active",
                    }),
                    subscriptions::proposed_by.eq(&s.proposed_by),
                    subscriptions::retry_hours.eq(hours(s.retry_for)),
                    subscriptions::paused_since.eq(s.paused_since.map(micros)),
                ))
                .execute(c)?;
            super::audit::append_in(c, std::slice::from_ref(audit)).map(drop)
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
                    subscriptions::failing_since.eq(None::<chrono::NaiveDateTime>),
                    subscriptions::failing_seq.eq(None::<i64>),
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
            // Nobody can replay its dead letters any more: they are resolved as discarded, by
            // whoever deleted it, and no longer hold their events in the outbox.
            diesel::update(
                dead_letters::table
                    .filter(dead_letters::subscription_id.eq(id))
                    .filter(dead_letters::resolved_at.is_null()),
            )
            .set((
                dead_letters::resolved_at.eq(micros(audit.at)),
                dead_letters::resolution.eq("discarded"),
                dead_letters::resolved_by.eq(audit.subject.clone().unwrap_or_default()),
                dead_letters::resolution_reason.eq("the subscription was deleted"),
            ))
            .execute(c)?;
            super::audit::append_in(c, std::slice::from_ref(audit))?;
            Ok(true)
        })
        .context("deleting a subscription")
    }

    fn change(
        &self,
        id: &str,
        change: &SubscriptionChange,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> anyhow::Result<Option<Subscription>> {
        let mut conn = self.db.conn()?;
        let changed = conn
            .transaction::<_, diesel::result::Error, _>(|c| {
                let target = subscriptions::table
                    .find(id)
                    .filter(subscriptions::status.eq(SubscriptionStatus::Active.as_str()));
                // Takes the row (waiting for a relay that holds it) before anything is decided.
                let n = diesel::update(target)
                    .set(subscriptions::id.eq(subscriptions::id))
                    .execute(c)?;
                if n == 0 {
                    return Ok(false);
                }
                if let Some(retry_for) = change.retry_for {
                    diesel::update(subscriptions::table.find(id))
                        .set(subscriptions::retry_hours.eq(hours(retry_for)))
                        .execute(c)?;
                }
                if let Some(paused) = change.paused {
                    let paused_since: Option<chrono::NaiveDateTime> = if paused {
                        let current: Option<chrono::NaiveDateTime> = subscriptions::table
                            .find(id)
                            .select(subscriptions::paused_since)
                            .first(c)?;
                        Some(current.unwrap_or(micros(now)))
                    } else {
                        None
                    };
                    // Either way the subscription is looked at at once: a paused one to set
                    // when its first waiting event is due for the dead letters, a resumed one to
                    // deliver. A failure in course stays: only a delivery ends it.
                    diesel::update(subscriptions::table.find(id))
                        .set((
                            subscriptions::paused_since.eq(paused_since),
                            subscriptions::next_attempt_at.eq(None::<chrono::NaiveDateTime>),
                        ))
                        .execute(c)?;
                }
                super::audit::append_in(c, std::slice::from_ref(audit))?;
                Ok(true)
            })
            .context("changing a subscription")?;
        drop(conn);
        if changed { self.find(id) } else { Ok(None) }
    }

    fn dead_letters(&self, id: &str) -> anyhow::Result<Vec<DeadLetter>> {
        let mut conn = self.db.conn()?;
        let rows: Vec<DeadLetterRow> = dead_letters::table
            .filter(dead_letters::subscription_id.eq(id))
            .filter(dead_letters::resolved_at.is_null())
            .order(dead_letters::outbox_seq.asc())
            .select((
                dead_letters::outbox_seq,
                dead_letters::event_id,
                dead_letters::reason,
                dead_letters::at,
            ))
            .load(&mut *conn)
            .context("reading dead letters")?;
        Ok(rows
            .into_iter()
            .map(|r| DeadLetter {
                seq: r.seq,
                event_id: r.event_id,
                reason: r.reason,
                at: r.at.and_utc(),
            })
            .collect())
    }

    fn dead_letter_counts(&self) -> anyhow::Result<std::collections::HashMap<String, u64>> {
        let mut conn = self.db.conn()?;
        let rows: Vec<(String, i64)> = dead_letters::table
            .filter(dead_letters::resolved_at.is_null())
            .group_by(dead_letters::subscription_id)
            .select((dead_letters::subscription_id, diesel::dsl::count_star()))
            .load(&mut *conn)
            .context("counting dead letters")?;
        Ok(rows
            .into_iter()
            .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    fn dead_letter_failing(
        &self,
        id: &str,
        dead_letter: &DeadLetter,
        audit: &AuditEntry,
    ) -> anyhow::Result<bool> {
        let mut conn = self.db.conn()?;
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            let failing_on = subscriptions::table
                .find(id)
                .filter(subscriptions::failing_since.is_not_null())
                .filter(subscriptions::failing_seq.eq(dead_letter.seq))
                .filter(subscriptions::cursor.lt(dead_letter.seq));
            let n = diesel::update(failing_on)
                .set((
                    // Past the event, and due at once; still failing until a delivery succeeds.
                    subscriptions::cursor.eq(dead_letter.seq),
                    subscriptions::next_attempt_at.eq(None::<chrono::NaiveDateTime>),
                    subscriptions::failing_seq.eq(None::<i64>),
                ))
                .execute(c)?;
            if n == 0 {
                return Ok(false);
            }
            insert_dead_letter(c, id, dead_letter)?;
            super::audit::append_in(c, std::slice::from_ref(audit))?;
            Ok(true)
        })
        .context("dead-lettering an event")
    }

    fn resolve_dead_letter(
        &self,
        id: &str,
        seq: i64,
        resolution: &Resolution,
        audit: &[AuditEntry],
    ) -> anyhow::Result<bool> {
        let mut conn = self.db.conn()?;
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            let n = diesel::update(
                dead_letters::table
                    .find((id, seq))
                    .filter(dead_letters::resolved_at.is_null()),
            )
            .set((
                dead_letters::resolved_at.eq(micros(resolution.at)),
                dead_letters::resolution.eq(resolution.kind),
                dead_letters::resolved_by.eq(&resolution.by),
                dead_letters::resolution_reason.eq(&resolution.reason),
            ))
            .execute(c)?;
            if n == 0 {
                return Ok(false);
            }
            super::audit::append_in(c, audit)?;
            Ok(true)
        })
        .context("resolving a dead letter")
    }

    fn deliver_due(
        &self,
        now: DateTime<Utc>,
        lane: Lane,
        limit: usize,
        deliver: &mut dyn FnMut(&[Subscription]) -> Vec<Progress>,
    ) -> anyhow::Result<usize> {
        let mut conn = self.db.conn()?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let failing = match lane {
            Lane::Delivering => "failing_since IS NULL",
            Lane::Failing => "failing_since IS NOT NULL",
        };
        if self.db.backend() == Backend::Postgres {
            // Several relays at once: each takes subscriptions no other holds, and holds them
            // while delivering, so a subscription's events go out once and in order.
            return conn.transaction::<_, anyhow::Error, _>(|c| {
                let ids: Vec<String> = diesel::sql_query(format!(
                    "SELECT id FROM subscriptions \
                     WHERE status = 'active' AND {failing} \
                       AND (next_attempt_at IS NULL OR next_attempt_at <= $1) \
                       AND cursor < (SELECT COALESCE(MAX(seq), 0) FROM outbox) \
                     ORDER BY next_attempt_at NULLS FIRST, id LIMIT $2 FOR UPDATE SKIP LOCKED"
                ))
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
        let mut query = subscriptions::table
            .filter(subscriptions::status.eq(SubscriptionStatus::Active.as_str()))
            .into_boxed();
        query = match lane {
            Lane::Delivering => query.filter(subscriptions::failing_since.is_null()),
            Lane::Failing => query.filter(subscriptions::failing_since.is_not_null()),
        };
        let subs = query
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
                // Recorded only if nothing changed meanwhile (a pause, a resume, an event
                // dead-lettered by the agency): such a change wins, and the next round starts
                // from it.
                let current: Option<DeliveryState> = subscriptions::table
                    .find(&sub.id)
                    .select((
                        subscriptions::cursor,
                        subscriptions::paused_since,
                        subscriptions::failing_since,
                        subscriptions::failing_seq,
                    ))
                    .first(c)
                    .optional()?;
                let taken: DeliveryState = (
                    sub.cursor,
                    sub.paused_since.map(micros),
                    sub.failing.as_ref().map(|f| micros(f.since)),
                    sub.failing.as_ref().and_then(|f| f.seq),
                );
                if current == Some(taken) {
                    record(c, sub, progress, now)?;
                }
            }
            Ok(())
        })?;
        Ok(subs.len())
    }
}

/// A retry period in whole hours, as stored.
fn hours(d: Duration) -> i32 {
    i32::try_from(d.num_hours()).unwrap_or(i32::MAX).max(1)
}

/// What a round's progress is recorded against on SQLite: cursor, paused since, failing since,
/// failing on.
type DeliveryState = (
    i64,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
    Option<i64>,
);

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}
