//! The relay: delivers outbox events to every subscribing agency, each rendered through that
//! agency's field policy, in outbox order (so in order per child), at least once.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::agency::{AgencyId, AgencyKind};
use crate::alert::RiskRules;
use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::CategorySet;
use crate::ports::{
    AgencyRepository, Batch, DeadLetter, Endpoint, EventSink, Failing, Lane, MinorReader, Outbox,
    OutboxEvent, Progress, RenderedEvent, SinkError, Subscription, SubscriptionRepository,
    SubscriptionStatus,
};
use crate::record::Minor;
use crate::role::Role;
use crate::usecase::kernel::Kernel;
use crate::usecase::rendering::{Receiver, Rendering, delivery_entry, render};

/// Events read per delivery round.
pub const BATCH: usize = 100;

/// How long a failing subscription waits between attempts: `first` after the first failed
/// attempt, doubled after each further one, at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    pub first: Duration,
    pub cap: Duration,
}

impl RetrySchedule {
    /// 1 s, 2 s, 4 s ... up to 15 minutes.
    pub const DEFAULT: Self = Self {
        first: Duration::seconds(1),
        cap: Duration::minutes(15),
    };

    /// The wait after the `attempts`-th failed attempt in a row (counted from 1).
    pub fn delay(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        self.first
            .checked_mul(1_i32 << doublings)
            .map_or(self.cap, |d| d.min(self.cap))
    }
}

/// How long an event waits for a failing or paused subscription, by default, before it is
/// dead-lettered.
pub const DEFAULT_RETRY_FOR: Duration = Duration::days(7);

/// How long the outbox keeps an event, by default: the bound of every subscription's retry period
/// and of the SSE stream's replay.
pub const DEFAULT_OUTBOX_RETENTION: Duration = Duration::days(30);

/// Delivers to subscriptions.
#[derive(Clone)]
pub struct Relay {
    /// The policy that renders each event for its receiver, the clock, and the audit trail: each
    /// delivery the receiver acknowledged is a disclosure, appended there, and so is each change
    /// of a subscription to and from failing, and each event dead-lettered.
    kernel: Kernel,
    outbox: Arc<dyn Outbox>,
    subscriptions: Arc<dyn SubscriptionRepository>,
    minors: Arc<dyn MinorReader>,
    agencies: Arc<dyn AgencyRepository>,
    webhooks: Arc<dyn EventSink>,
    /// `None` when no Kafka brokers are configured.
    kafka: Option<Arc<dyn EventSink>>,
    risk: Arc<RiskRules>,
    /// When a failing subscription is tried again, and how long the outbox keeps events.
    timing: RelayTiming,
}

/// The ports of the relay.
pub struct RelayPorts {
    pub outbox: Arc<dyn Outbox>,
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    pub minors: Arc<dyn MinorReader>,
    pub agencies: Arc<dyn AgencyRepository>,
    pub webhooks: Arc<dyn EventSink>,
    /// `None` when no Kafka brokers are configured.
    pub kafka: Option<Arc<dyn EventSink>>,
}

/// The relay's clocks: the waits between attempts of a failing subscription, and how long the
/// outbox keeps events ([`Relay::prune`]); no subscription waits longer for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayTiming {
    pub schedule: RetrySchedule,
    pub retention: Duration,
}

impl Default for RelayTiming {
    fn default() -> Self {
        Self {
            schedule: RetrySchedule::DEFAULT,
            retention: DEFAULT_OUTBOX_RETENTION,
        }
    }
}

/// Subscriptions served together in one delivery round: their events are sent before any
/// acknowledgement is awaited, so the agencies a report notifies receive it at about the same time.
pub const SUBSCRIPTIONS_PER_ROUND: usize = 32;

/// What one round reads once for all its subscriptions: the outbox after each cursor, the kind of
/// each agency, and the records the events name.
#[derive(Default)]
struct Reads {
    events: HashMap<i64, Arc<Vec<OutboxEvent>>>,
    kinds: HashMap<String, Option<AgencyKind>>,
    minors: HashMap<String, Option<Minor>>,
}

impl Reads {
    fn kind_of(
        &mut self,
        agencies: &dyn AgencyRepository,
        agency: &str,
    ) -> anyhow::Result<Option<AgencyKind>> {
        if let Some(kind) = self.kinds.get(agency) {
            return Ok(*kind);
        }
        let kind = match AgencyId::parse(agency) {
            Ok(id) => agencies.find(&id)?.map(|a| a.kind),
            Err(_) => None,
        };
        self.kinds.insert(agency.to_owned(), kind);
        Ok(kind)
    }

    fn minor(&mut self, minors: &dyn MinorReader, id: &str) -> anyhow::Result<Option<Minor>> {
        if let Some(found) = self.minors.get(id) {
            return Ok(found.clone());
        }
        let found = minors.find(id)?;
        self.minors.insert(id.to_owned(), found.clone());
        Ok(found)
    }
}

/// Which sink delivers to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SinkKind {
    Webhook,
    Kafka,
}

/// A subscription's part of a round, ready to send.
struct Prepared {
    /// The cursor once every event rendered is delivered: the last outbox event read, of concern
    /// or not, or (paused) the last before the first event that waits; `None` when none was read.
    last: Option<i64>,
    /// Events that waited their retry period: dead-lettered, not sent.
    expired: Vec<DeadLetter>,
    rendered: Vec<RenderedEvent>,
    /// When the first event still waiting comes to the end of its retry period.
    expires_at: Option<DateTime<Utc>>,
    sink: SinkKind,
    kind: AgencyKind,
    role: Option<Role>,
}

/// What one subscription's events look like to its agency now.
pub struct Rendered {
    pub kind: AgencyKind,
    pub role: Option<Role>,
    /// One per event given, in order: `None` for an event the agency does not receive now.
    pub events: Vec<Option<RenderedEvent>>,
}

impl Relay {
    pub fn new(
        kernel: Kernel,
        ports: RelayPorts,
        risk: Arc<RiskRules>,
        timing: RelayTiming,
    ) -> Self {
        Self {
            kernel,
            outbox: ports.outbox,
            subscriptions: ports.subscriptions,
            minors: ports.minors,
            agencies: ports.agencies,
            webhooks: ports.webhooks,
            kafka: ports.kafka,
            risk,
            timing,
        }
    }

    /// Serves every subscription due now once, delivering ones first, then failing ones; returns
    /// how many were served.
    pub fn run_once(&self) -> anyhow::Result<usize> {
        Ok(self.run_lane(Lane::Delivering)? + self.run_lane(Lane::Failing)?)
    }

    /// Serves every subscription of `lane` due now once, [`SUBSCRIPTIONS_PER_ROUND`] at a time;
    /// returns how many were served.
    pub fn run_lane(&self, lane: Lane) -> anyhow::Result<usize> {
        let mut served = 0;
        while served < 10_000 {
            let taken = self.subscriptions.deliver_due(
                self.kernel.now(),
                lane,
                SUBSCRIPTIONS_PER_ROUND,
                &mut |subscriptions| self.deliver(subscriptions),
            )?;
            if taken == 0 {
                break;
            }
            served += taken;
        }
        Ok(served)
    }

    /// Removes the outbox events older than the retention that no subscription waits for and no
    /// dead letter names; returns how many.
    pub fn prune(&self) -> anyhow::Result<u64> {
        self.outbox.prune(self.kernel.now() - self.timing.retention)
    }

    /// The retry period of `subscription` in force: its own, bounded by the outbox's retention.
    pub fn retry_for(&self, subscription: &Subscription) -> Duration {
        subscription.retry_for.min(self.timing.retention)
    }

    /// One round: renders each subscription's pending events, hands every sink all of its batches
    /// at once, audits what was delivered and what changed, and answers each subscription's
    /// progress in the order given. A subscription that cannot be prepared or delivered fails
    /// alone.
    fn deliver(&self, subscriptions: &[Subscription]) -> Vec<Progress> {
        let now = self.kernel.now();
        let mut reads = Reads::default();
        let prepared: Vec<anyhow::Result<Prepared>> = subscriptions
            .iter()
            .map(|s| self.prepare(s, &mut reads, now))
            .collect();
        let mut outcomes: Vec<(usize, Option<SinkError>)> = vec![(0, None); subscriptions.len()];
        let sinks = [
            (SinkKind::Webhook, Some(self.webhooks.as_ref())),
            (SinkKind::Kafka, self.kafka.as_deref()),
        ];
        for (kind, sink) in sinks {
            let Some(sink) = sink else {
                // Kafka subscriptions while no brokers are configured: each fails, and its events
                // wait (and expire) like those of any failing endpoint.
                for (i, p) in prepared.iter().enumerate() {
                    if let Ok(p) = p
                        && p.sink == kind
                        && !p.rendered.is_empty()
                    {
                        outcomes[i] = (
                            0,
                            Some(SinkError("Kafka is not configured (kafka_brokers)".into())),
                        );
                    }
                }
                continue;
            };
            let chosen: Vec<usize> = prepared
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let p = p.as_ref().ok()?;
                    (!p.rendered.is_empty() && p.sink == kind).then_some(i)
                })
                .collect();
            if chosen.is_empty() {
                continue;
            }
            let batches: Vec<Batch<'_>> = chosen
                .iter()
                .filter_map(|&i| {
                    let p = prepared[i].as_ref().ok()?;
                    Some(Batch {
                        subscription: &subscriptions[i],
                        events: &p.rendered,
                    })
                })
                .collect();
            for (i, outcome) in chosen.into_iter().zip(sink.deliver_all(&batches)) {
                outcomes[i] = outcome;
            }
        }
        let progress: Vec<Progress> = subscriptions
            .iter()
            .zip(&prepared)
            .zip(&outcomes)
            .map(|((subscription, prepared), outcome)| match prepared {
                Ok(prepared) => self.progress(subscription, prepared, outcome, now),
                Err(e) => self.failed(subscription, None, format!("{e:#}"), 0, now),
            })
            .collect();
        let mut entries = self.delivery_entries(subscriptions, &prepared, &outcomes, now);
        for ((subscription, prepared), progress) in
            subscriptions.iter().zip(&prepared).zip(&progress)
        {
            let role = prepared.as_ref().ok().and_then(|p| p.role);
            entries.extend(changes(subscription, role, progress, now));
        }
        if let Err(e) = self.kernel.audit().append_all(entries) {
            // Delivered but not in the trail: record no progress, so that the events go again and
            // are logged then (a redelivery is a disclosure of its own).
            return subscriptions
                .iter()
                .map(|s| self.failed(s, None, format!("{e:#}"), 0, now))
                .collect();
        }
        progress
    }

    /// One audit entry per event each receiver acknowledged.
    fn delivery_entries(
        &self,
        subscriptions: &[Subscription],
        prepared: &[anyhow::Result<Prepared>],
        outcomes: &[(usize, Option<SinkError>)],
        at: DateTime<Utc>,
    ) -> Vec<AuditEntry> {
        let mut entries = Vec::new();
        for ((subscription, prepared), (delivered, _)) in
            subscriptions.iter().zip(prepared).zip(outcomes)
        {
            let Ok(prepared) = prepared else { continue };
            let receiver = Receiver {
                agency: &subscription.agency,
                kind: prepared.kind,
                role: prepared.role,
            };
            entries.extend(
                prepared.rendered[..(*delivered).min(prepared.rendered.len())]
                    .iter()
                    .map(|e| {
                        delivery_entry(
                            e,
                            &receiver,
                            &subject_of(subscription),
                            delivery_action(prepared.sink),
                            at,
                        )
                    }),
            );
        }
        entries
    }

    /// Which sink serves the subscription's endpoint.
    fn sink_kind(&self, subscription: &Subscription) -> anyhow::Result<SinkKind> {
        Ok(match &subscription.endpoint {
            Endpoint::Webhook { .. } => SinkKind::Webhook,
            Endpoint::Kafka { .. } if self.kafka.is_some() => SinkKind::Kafka,
            Endpoint::Kafka { .. } => anyhow::bail!("Kafka is not configured (kafka_brokers)"),
        })
    }

    /// Reads the events after the subscription's cursor that concern its agency: those that
    /// waited their retry period go to the dead letters; the rest are rendered through the mask of
    /// the role acting for the agency (a paused subscription renders none: they wait).
    fn prepare(
        &self,
        subscription: &Subscription,
        reads: &mut Reads,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Prepared> {
        // Storage never hands out a pending subscription; should one come, it fails (and waits
        // for its retry) rather than deliver what its agency never asked for.
        let paused = match subscription.status {
            SubscriptionStatus::Active => false,
            SubscriptionStatus::Paused => true,
            SubscriptionStatus::Pending => anyhow::bail!(
                "subscription {} awaits its agency's confirmation: nothing is delivered",
                subscription.id
            ),
        };
        let sink = match subscription.endpoint {
            Endpoint::Webhook { .. } => SinkKind::Webhook,
            Endpoint::Kafka { .. } => SinkKind::Kafka,
        };
        let events = match reads.events.entry(subscription.cursor) {
            Entry::Occupied(e) => Arc::clone(e.get()),
            Entry::Vacant(e) => {
                Arc::clone(e.insert(Arc::new(self.outbox.after(subscription.cursor, BATCH)?)))
            }
        };
        let Some(kind) = reads.kind_of(self.agencies.as_ref(), subscription.agency.as_str())?
        else {
            anyhow::bail!("agency `{}` no longer exists", subscription.agency);
        };
        let receiver = Receiver {
            agency: &subscription.agency,
            kind,
            role: Role::acting_for(kind),
        };
        // While it fails or is paused, an event waits from when it was written or the wait
        // began, whichever is later; until its retry period is over.
        let failing_since = subscription.failing.as_ref().map(|f| f.since);
        let waiting = if paused {
            // Paused while failing: the events have waited since the failure began.
            match (subscription.paused_since, failing_since) {
                (Some(p), Some(f)) => Some(p.min(f)),
                (p, f) => p.or(f),
            }
        } else {
            failing_since
        };
        let retry_for = self.retry_for(subscription);
        let mut prepared = Prepared {
            last: events.last().map(|e| e.seq),
            expired: Vec::new(),
            rendered: Vec::new(),
            expires_at: None,
            sink,
            kind,
            role: receiver.role,
        };
        for event in events.iter() {
            let minor = reads.minor(self.minors.as_ref(), &event.event.minor_id)?;
            if !receiver.receives(self.kernel.policy(), event, minor.as_ref()) {
                continue;
            }
            if prepared.rendered.is_empty()
                && let Some(since) = waiting
            {
                let ends = event.event.time.max(since) + retry_for;
                if ends <= now {
                    prepared.expired.push(DeadLetter {
                        seq: event.seq,
                        event_id: event.event.id.clone(),
                        reason: expiry_reason(subscription, retry_for),
                        at: now,
                    });
                    continue;
                }
                prepared.expires_at.get_or_insert(ends);
            }
            if paused {
                prepared.last = Some(event.seq - 1);
                break;
            }
            let candidate = match &event.event.possible_match {
                Some(m) => reads.minor(self.minors.as_ref(), &m.minor_id)?,
                None => None,
            };
            let agencies = self.agencies.as_ref();
            let mut kind_of = |agency: &str| reads.kind_of(agencies, agency);
            prepared.rendered.push(render(
                event,
                minor.as_ref(),
                candidate.as_ref(),
                &receiver,
                &mut Rendering {
                    policy: self.kernel.policy(),
                    rules: &self.risk,
                    kind_of: &mut kind_of,
                },
            )?);
        }
        Ok(prepared)
    }

    /// The subscription's progress after its sink answered `(delivered, failure)`: past the
    /// dead-lettered events and every event read when all were delivered; otherwise past those
    /// before the failure, failing on the failed event, with the next attempt after the backoff.
    fn progress(
        &self,
        subscription: &Subscription,
        prepared: &Prepared,
        (delivered, failure): &(usize, Option<SinkError>),
        now: DateTime<Utc>,
    ) -> Progress {
        let dead_letters = prepared.expired.clone();
        if subscription.status == SubscriptionStatus::Paused {
            // Looked at again when the first event waiting is due for the dead letters. A failure
            // in course stays: only a delivery ends it.
            let next_look_at = prepared
                .expires_at
                .unwrap_or(now + self.timing.schedule.cap);
            return Progress {
                cursor: prepared.last,
                failing: subscription.failing.clone().map(|f| Failing {
                    next_attempt_at: next_look_at,
                    ..f
                }),
                next_look_at: Some(next_look_at),
                dead_letters,
            };
        }
        // A sink that acknowledged fewer events than it was given, without saying why, failed
        // on the first one it did not acknowledge.
        let unacknowledged =
            (failure.is_none() && *delivered < prepared.rendered.len()).then(|| {
                SinkError(format!(
                    "the endpoint acknowledged {delivered} of {} events",
                    prepared.rendered.len()
                ))
            });
        let failed = failure
            .as_ref()
            .or(unacknowledged.as_ref())
            .and_then(|f| Some((f, prepared.rendered.get(*delivered)?)));
        let Some((failure, failed)) = failed else {
            // Only a delivery ends a failure: with nothing sent (the events waiting were
            // dead-lettered, or none concerned the agency) the endpoint is still untried.
            let failing = if prepared.rendered.is_empty() {
                subscription
                    .failing
                    .clone()
                    .map(|f| Failing { seq: None, ..f })
            } else {
                None
            };
            return Progress {
                cursor: prepared.last,
                failing,
                dead_letters,
                ..Progress::default()
            };
        };
        // Everything before the failed event is done; events of no concern before it too.
        let before = failed.seq - 1;
        let mut progress = self.failed(
            subscription,
            Some(failed.seq),
            failure.0.clone(),
            *delivered,
            now,
        );
        progress.cursor = (before > subscription.cursor).then_some(before);
        progress.dead_letters = dead_letters;
        progress
    }

    /// A failed attempt at the event `seq` (`None`: before any event could be sent), after
    /// `delivered` events went through: the failure goes on (or starts again after a success),
    /// and the next attempt waits by the schedule.
    fn failed(
        &self,
        subscription: &Subscription,
        seq: Option<i64>,
        error: String,
        delivered: usize,
        now: DateTime<Utc>,
    ) -> Progress {
        let (since, attempts) = match (&subscription.failing, delivered) {
            (Some(f), 0) => (f.since, f.attempts.saturating_add(1)),
            _ => (now, 1),
        };
        Progress {
            cursor: None,
            failing: Some(Failing {
                since,
                attempts,
                last_error: error,
                seq: seq.or(subscription.failing.as_ref().and_then(|f| f.seq)),
                next_attempt_at: now + self.timing.schedule.delay(attempts),
            }),
            next_look_at: None,
            dead_letters: Vec::new(),
        }
    }

    /// The kind of the subscription's agency and the role that acts for it.
    fn receiver_of(
        &self,
        subscription: &Subscription,
    ) -> anyhow::Result<(AgencyKind, Option<Role>)> {
        let Some(agency) = self.agencies.find(&subscription.agency)? else {
            anyhow::bail!("agency `{}` no longer exists", subscription.agency);
        };
        Ok((agency.kind, Role::acting_for(agency.kind)))
    }

    /// Renders `events` as the subscription would receive them now: through the mask of the
    /// role acting for its agency, and only those of the alerts the agency follows now.
    pub fn render_for(
        &self,
        subscription: &Subscription,
        events: &[OutboxEvent],
    ) -> anyhow::Result<Rendered> {
        let (kind, role) = self.receiver_of(subscription)?;
        let receiver = Receiver {
            agency: &subscription.agency,
            kind,
            role,
        };
        let mut reads = Reads::default();
        let mut rendered = Vec::with_capacity(events.len());
        for event in events {
            let minor = reads.minor(self.minors.as_ref(), &event.event.minor_id)?;
            if !receiver.receives(self.kernel.policy(), event, minor.as_ref()) {
                rendered.push(None);
                continue;
            }
            let candidate = match &event.event.possible_match {
                Some(m) => reads.minor(self.minors.as_ref(), &m.minor_id)?,
                None => None,
            };
            let agencies = self.agencies.as_ref();
            let mut kind_of = |agency: &str| reads.kind_of(agencies, agency);
            rendered.push(Some(render(
                event,
                minor.as_ref(),
                candidate.as_ref(),
                &receiver,
                &mut Rendering {
                    policy: self.kernel.policy(),
                    rules: &self.risk,
                    kind_of: &mut kind_of,
                },
            )?));
        }
        Ok(Rendered {
            kind,
            role,
            events: rendered,
        })
    }

    /// Sends `events` to the subscription's endpoint now, outside the rounds (a replay, a ping):
    /// how many were acknowledged before the first failure, and that failure.
    pub fn send(
        &self,
        subscription: &Subscription,
        events: &[RenderedEvent],
    ) -> (usize, Option<SinkError>) {
        let sink = match self.sink_kind(subscription) {
            Ok(SinkKind::Webhook) => self.webhooks.as_ref(),
            Ok(SinkKind::Kafka) => match self.kafka.as_deref() {
                Some(kafka) => kafka,
                None => return (0, Some(SinkError("Kafka is not configured".into()))),
            },
            Err(e) => return (0, Some(SinkError(format!("{e:#}")))),
        };
        sink.deliver(subscription, events)
    }

    /// The audit action of a delivery to the subscription's endpoint.
    pub fn delivery_action(subscription: &Subscription) -> Action {
        match subscription.endpoint {
            Endpoint::Webhook { .. } => Action::DeliverWebhook,
            Endpoint::Kafka { .. } => Action::DeliverKafka,
        }
    }
}

fn delivery_action(sink: SinkKind) -> Action {
    match sink {
        SinkKind::Webhook => Action::DeliverWebhook,
        SinkKind::Kafka => Action::DeliverKafka,
    }
}

/// The subject of what the relay does for a subscription, in the audit trail.
pub fn subject_of(subscription: &Subscription) -> String {
    format!("subscription:{}", subscription.id)
}

/// Why an event that waited its retry period went to the dead letters.
fn expiry_reason(subscription: &Subscription, retry_for: Duration) -> String {
    let waited = format!("waited {} hours without delivery", retry_for.num_hours());
    match (&subscription.failing, subscription.status) {
        (_, SubscriptionStatus::Paused) => format!("{waited} while the subscription was paused"),
        (Some(f), _) => format!("{waited}; last error: {}", f.last_error),
        (None, _) => waited,
    }
}

/// The audit entries of what a round changed for a subscription, beside its deliveries: each
/// event dead-lettered (its id in `request_id`; no child or category: nothing was disclosed), and
/// the change to or from failing.
fn changes(
    subscription: &Subscription,
    role: Option<Role>,
    progress: &Progress,
    at: DateTime<Utc>,
) -> Vec<AuditEntry> {
    let entry = |action, outcome, request_id: &str| AuditEntry {
        at,
        subject: Some(subject_of(subscription)),
        agency: Some(subscription.agency.to_string()),
        role: role.map(|r| r.to_string()),
        purpose: None,
        action,
        minors: Vec::new(),
        categories: CategorySet::EMPTY,
        outcome,
        request_id: request_id.to_owned(),
    };
    let mut entries: Vec<AuditEntry> = progress
        .dead_letters
        .iter()
        .map(|d| entry(Action::DeadLetter, Outcome::Failed, &d.event_id).normalised())
        .collect();
    match (&subscription.failing, &progress.failing) {
        (None, Some(_)) => entries.push(entry(Action::DeliveryFailing, Outcome::Failed, "")),
        (Some(_), None) => entries.push(entry(Action::DeliveryRecovered, Outcome::Success, "")),
        _ => {}
    }
    entries
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::agency::{Agency, AgencyName, CountryCode, NewAgency};
    use crate::alert::{Alert, AlertEvent, EventType, NewAlert, Reporter};
    use crate::minor::{MinorData, RiskLevel};
    use crate::page::{Page, PageRequest};
    use crate::policy::Policy;
    use crate::ports::{AuditLog, Clock, InsertAgencyError, StoredPhoto};
    use crate::record::{ListScope, MinorFilter, Revision};

    fn alert(n: i64, notified: &[&str]) -> OutboxEvent {
        let (alert, event) = Alert::raise(
            NewAlert {
                id: format!("a{n}"),
                minor_id: format!("m{n}"),
                risk: RiskLevel::High,
                risk_factors: vec![],
                last_seen_at: DateTime::UNIX_EPOCH,
                last_seen_place: "x".into(),
                circumstances: None,
                reported_by: Reporter {
                    subject: "s".into(),
                    agency: "centre".into(),
                    role: "reception_staff".into(),
                },
                reporter_unrelated: false,
                absent_since: None,
                previous_episodes: 0,
                ledger: vec![],
                notified: notified.iter().map(|s| (*s).to_owned()).collect(),
                acknowledgement_within: chrono::Duration::minutes(15),
            },
            DateTime::UNIX_EPOCH,
            format!("e{n}"),
        );
        let event = AlertEvent {
            kind: EventType::Raised,
            ..event
        };
        OutboxEvent {
            seq: n,
            event,
            alert: Some(alert),
        }
    }

    struct Events(Vec<OutboxEvent>);
    impl Outbox for Events {
        fn after(&self, seq: i64, limit: usize) -> anyhow::Result<Vec<OutboxEvent>> {
            Ok(self
                .0
                .iter()
                .filter(|e| e.seq > seq)
                .take(limit)
                .cloned()
                .collect())
        }
        fn head(&self) -> anyhow::Result<i64> {
            Ok(self.0.len() as i64)
        }
        fn get(&self, seq: i64) -> anyhow::Result<Option<OutboxEvent>> {
            Ok(self.0.iter().find(|e| e.seq == seq).cloned())
        }
        fn backlog(&self, _: i64) -> anyhow::Result<crate::ports::Backlog> {
            unimplemented!()
        }
        fn horizon(&self) -> anyhow::Result<i64> {
            unimplemented!()
        }
        fn prune(&self, _: DateTime<Utc>) -> anyhow::Result<u64> {
            unimplemented!()
        }
    }

    /// Delivers to "ok" endpoints, fails "down" ones; records what it was given, and how many
    /// batches each call of `deliver_all` held.
    #[derive(Default)]
    struct Sink(Mutex<Vec<(String, i64)>>, Mutex<Vec<usize>>);
    impl EventSink for Sink {
        fn deliver(
            &self,
            s: &Subscription,
            events: &[RenderedEvent],
        ) -> (usize, Option<SinkError>) {
            if matches!(&s.endpoint, Endpoint::Webhook { url, .. } if url == "down") {
                return (0, Some(SinkError("down".into())));
            }
            self.0
                .lock()
                .unwrap()
                .extend(events.iter().map(|e| (s.agency.to_string(), e.seq)));
            (events.len(), None)
        }

        fn deliver_all(&self, batches: &[Batch<'_>]) -> Vec<(usize, Option<SinkError>)> {
            self.1.lock().unwrap().push(batches.len());
            batches
                .iter()
                .map(|b| self.deliver(b.subscription, b.events))
                .collect()
        }
    }

    struct Subs(Mutex<Vec<Subscription>>, Mutex<Vec<Progress>>);
    impl SubscriptionRepository for Subs {
        fn create(&self, _: &Subscription, _: &crate::audit::AuditEntry) -> anyhow::Result<()> {
            unimplemented!()
        }
        fn list(&self, _: Option<&AgencyId>) -> anyhow::Result<Vec<Subscription>> {
            unimplemented!()
        }
        fn find(&self, _: &str) -> anyhow::Result<Option<Subscription>> {
            unimplemented!()
        }
        fn confirm(
            &self,
            _: &str,
            _: i64,
            _: Option<&str>,
            _: &crate::audit::AuditEntry,
        ) -> anyhow::Result<bool> {
            unimplemented!()
        }
        fn delete(&self, _: &str, _: &crate::audit::AuditEntry) -> anyhow::Result<bool> {
            unimplemented!()
        }
        fn change(
            &self,
            _: &str,
            _: &crate::ports::SubscriptionChange,
            _: DateTime<Utc>,
            _: &crate::audit::AuditEntry,
        ) -> anyhow::Result<Option<Subscription>> {
            unimplemented!()
        }
        fn dead_letters(&self, _: &str) -> anyhow::Result<Vec<DeadLetter>> {
            unimplemented!()
        }
        fn dead_letter_counts(&self) -> anyhow::Result<HashMap<String, u64>> {
            unimplemented!()
        }
        fn dead_letter_failing(
            &self,
            _: &str,
            _: &DeadLetter,
            _: &crate::audit::AuditEntry,
        ) -> anyhow::Result<bool> {
            unimplemented!()
        }
        fn resolve_dead_letter(
            &self,
            _: &str,
            _: i64,
            _: &crate::ports::Resolution,
            _: &[crate::audit::AuditEntry],
        ) -> anyhow::Result<bool> {
            unimplemented!()
        }
        fn deliver_due(
            &self,
            _: DateTime<Utc>,
            _: Lane,
            limit: usize,
            deliver: &mut dyn FnMut(&[Subscription]) -> Vec<Progress>,
        ) -> anyhow::Result<usize> {
            let mut taken = Vec::new();
            while taken.len() < limit {
                match self.0.lock().unwrap().pop() {
                    Some(s) => taken.push(s),
                    None => break,
                }
            }
            if taken.is_empty() {
                return Ok(0);
            }
            let progress = deliver(&taken);
            assert_eq!(progress.len(), taken.len(), "one progress per subscription");
            self.1.lock().unwrap().extend(progress);
            Ok(taken.len())
        }
    }

    /// m1 placed with pz-a, m2 with pz-b, m3 with pz-a and a ward of pz-b; all missing.
    struct Placed;
    impl crate::ports::MinorReader for Placed {
        fn find(&self, id: &str) -> anyhow::Result<Option<Minor>> {
            let (placement, guardian) = match id {
                "m1" => ("pz-a", None),
                "m2" => ("pz-b", None),
                "m3" => ("pz-a", Some("pz-b")),
                _ => return Ok(None),
            };
            let data: MinorData = serde_json::from_value(serde_json::json!({
                "identity": {"family_name": "X"},
                "placement": {"current_agency": placement},
                "guardianship": {"guardian_agency": guardian},
            }))
            .unwrap();
            Ok(Some(Minor {
                id: id.into(),
                registry_number: "UAM-2026-000001".into(),
                status: crate::minor::MinorStatus::Missing,
                version: 1,
                registered_at: DateTime::UNIX_EPOCH,
                updated_at: DateTime::UNIX_EPOCH,
                data,
                merged_into: None,
                lifecycle: Default::default(),
            }))
        }
        fn scan(&self, _: i64, _: usize) -> anyhow::Result<Vec<(i64, Minor)>> {
            unimplemented!()
        }
        fn history(&self, _: &str) -> anyhow::Result<Vec<Revision>> {
            unimplemented!()
        }
        fn list(
            &self,
            _: &ListScope,
            _: &MinorFilter,
            _: &PageRequest<i64>,
        ) -> anyhow::Result<Page<(i64, Minor), i64>> {
            unimplemented!()
        }
        fn candidates(
            &self,
            _: &crate::matching::KeyQuery,
            _: usize,
        ) -> anyhow::Result<Vec<Minor>> {
            unimplemented!()
        }
        fn photo(&self, _: &str, _: &str) -> anyhow::Result<Option<StoredPhoto>> {
            unimplemented!()
        }
    }

    /// Every agency is a reception centre: it follows the alerts of the children placed with it.
    struct Centres;
    impl AgencyRepository for Centres {
        fn insert(&self, _: &NewAgency, _: DateTime<Utc>) -> Result<Agency, InsertAgencyError> {
            unimplemented!()
        }
        fn find(&self, id: &AgencyId) -> anyhow::Result<Option<Agency>> {
            Ok(Some(Agency {
                id: id.clone(),
                kind: AgencyKind::ReceptionCentre,
                name: AgencyName::parse("P").unwrap(),
                country: CountryCode::parse("BE").unwrap(),
                created_at: DateTime::UNIX_EPOCH,
            }))
        }
        fn of_kinds(&self, _: &[AgencyKind]) -> anyhow::Result<Vec<Agency>> {
            unimplemented!()
        }
        fn list(&self, _: &PageRequest<AgencyId>) -> anyhow::Result<Page<Agency, AgencyId>> {
            unimplemented!()
        }
    }

    /// The events are written at the epoch; the relay runs `.0` later.
    struct Later(Duration);
    impl Clock for Later {
        fn now(&self) -> DateTime<Utc> {
            DateTime::UNIX_EPOCH + self.0
        }
    }

    /// A failure that began at the epoch, after `attempts` attempts, on event `seq`.
    fn failing(attempts: u32, seq: i64) -> Option<Failing> {
        Some(Failing {
            since: DateTime::UNIX_EPOCH,
            attempts,
            last_error: "down".into(),
            seq: Some(seq),
            next_attempt_at: DateTime::UNIX_EPOCH,
        })
    }

    fn sub(agency: &str, url: &str, failing: Option<Failing>) -> Subscription {
        Subscription {
            id: agency.into(),
            agency: AgencyId::parse(agency).unwrap(),
            endpoint: Endpoint::Webhook {
                url: url.into(),
                secret: "whsec_AA==".into(),
            },
            status: SubscriptionStatus::Active,
            proposed_by: None,
            cursor: 0,
            retry_for: DEFAULT_RETRY_FOR,
            paused_since: None,
            failing,
            created_at: DateTime::UNIX_EPOCH,
        }
    }

    /// Records what is appended.
    #[derive(Default)]
    struct Trail(Mutex<Vec<crate::audit::AuditEntry>>);
    impl AuditLog for Trail {
        fn append(
            &self,
            entry: crate::audit::AuditEntry,
        ) -> Result<(), crate::ports::AuditUnavailable> {
            self.0.lock().unwrap().push(entry);
            Ok(())
        }
        fn for_minor(
            &self,
            _: &str,
            _: &PageRequest<i64>,
        ) -> anyhow::Result<Page<crate::audit::ChainedEntry, i64>> {
            unimplemented!()
        }
        fn verify(&self) -> anyhow::Result<crate::audit::VerifyReport> {
            unimplemented!()
        }
        fn cut(
            &self,
            _: chrono::DateTime<chrono::Utc>,
            _: &dyn Fn(i64, &str) -> crate::audit::AuditEntry,
        ) -> anyhow::Result<Option<i64>> {
            unimplemented!()
        }
    }

    fn relay(subs: Vec<Subscription>, sink: Arc<Sink>) -> (Relay, Arc<Subs>) {
        relay_with(subs, sink, Arc::new(Trail::default()))
    }

    fn relay_with(
        subs: Vec<Subscription>,
        sink: Arc<Sink>,
        audit: Arc<Trail>,
    ) -> (Relay, Arc<Subs>) {
        relay_at(Duration::zero(), subs, sink, audit)
    }

    fn relay_at(
        later: Duration,
        subs: Vec<Subscription>,
        sink: Arc<Sink>,
        audit: Arc<Trail>,
    ) -> (Relay, Arc<Subs>) {
        let repo = Arc::new(Subs(Mutex::new(subs), Mutex::default()));
        let policy: crate::policy::PolicyDocument =
            toml::from_str(crate::policy::DEFAULT_POLICY_TOML).unwrap();
        let kernel = Kernel::new(
            Arc::new(Policy::from_document(policy).unwrap()),
            Arc::new(Later(later)),
            audit,
        );
        let relay = Relay::new(
            kernel,
            RelayPorts {
                outbox: Arc::new(Events(vec![
                    alert(1, &["pz-a"]),
                    alert(2, &["pz-b"]),
                    alert(3, &["pz-a", "pz-b"]),
                ])),
                subscriptions: repo.clone(),
                minors: Arc::new(Placed),
                agencies: Arc::new(Centres),
                webhooks: sink,
                kafka: None,
            },
            Arc::new(toml::from_str(crate::alert::DEFAULT_RISK_TOML).unwrap()),
            RelayTiming::default(),
        );
        (relay, repo)
    }

    #[test]
    fn each_agency_gets_its_own_events_and_a_failing_one_blocks_nobody() {
        let sink = Arc::new(Sink::default());
        let (relay, repo) = relay(
            vec![sub("pz-b", "down", None), sub("pz-a", "ok", None)],
            sink.clone(),
        );
        assert_eq!(relay.run_once().unwrap(), 2);
        assert_eq!(
            *sink.0.lock().unwrap(),
            [("pz-a".to_owned(), 1), ("pz-a".to_owned(), 3)]
        );
        let progress = repo.1.lock().unwrap();
        assert_eq!(
            progress[0].cursor,
            Some(3),
            "pz-a is past every event, its own and others'"
        );
        let failure = progress[1].failing.as_ref().expect("pz-b fails");
        assert_eq!(
            (failure.last_error.as_str(), failure.seq),
            ("down", Some(2))
        );
        assert_eq!(
            progress[1].cursor,
            Some(1),
            "pz-b is past the event that was not its own"
        );
    }

    #[test]
    fn one_round_hands_the_sink_every_subscription_at_once() {
        let sink = Arc::new(Sink::default());
        let (relay, repo) = relay(
            vec![
                sub("pz-b", "ok", None),
                sub("pz-a", "ok", None),
                sub("pz-c", "ok", None),
            ],
            sink.clone(),
        );
        assert_eq!(relay.run_once().unwrap(), 3);
        assert_eq!(
            *sink.1.lock().unwrap(),
            [2],
            "pz-a and pz-b in one call; pz-c has no event of its own"
        );
        let cursors: Vec<_> = repo.1.lock().unwrap().iter().map(|p| p.cursor).collect();
        assert_eq!(cursors, [Some(3); 3], "all past every event read");
    }

    #[test]
    fn each_acknowledged_delivery_is_audited_with_its_child_and_categories() {
        let audit = Arc::new(Trail::default());
        let (relay, _) = relay_with(
            vec![sub("pz-b", "down", None), sub("pz-a", "ok", None)],
            Arc::new(Sink::default()),
            audit.clone(),
        );
        relay.run_once().unwrap();
        let mut entries = audit.0.lock().unwrap();
        assert_eq!(
            entries.pop().map(|e| (e.action, e.agency)),
            Some((Action::DeliveryFailing, Some("pz-b".to_owned()))),
            "pz-b's failure is on record after the deliveries"
        );
        let seen: Vec<_> = entries
            .iter()
            .map(|e| {
                (
                    e.agency.clone().unwrap(),
                    e.minors.clone(),
                    e.request_id.clone(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("pz-a".to_owned(), vec!["m1".to_owned()], "e1".to_owned()),
                ("pz-a".to_owned(), vec!["m3".to_owned()], "e3".to_owned()),
            ],
            "pz-b's delivery failed: nothing disclosed, nothing logged"
        );
        for e in entries.iter() {
            assert_eq!(e.action, Action::DeliverWebhook);
            assert_eq!(e.role.as_deref(), Some("reception_staff"));
            // Reception staff read identity and placement of their own missing children, among
            // others; never health.
            assert!(e.categories.contains(crate::category::Category::Identity));
            assert!(e.categories.contains(crate::category::Category::Placement));
            assert!(!e.categories.contains(crate::category::Category::Health));
        }
    }

    #[test]
    fn a_pending_subscription_gets_nothing_even_if_storage_hands_it_out() {
        let sink = Arc::new(Sink::default());
        let audit = Arc::new(Trail::default());
        let pending = Subscription {
            status: SubscriptionStatus::Pending,
            proposed_by: Some("admin".into()),
            ..sub("pz-a", "ok", None)
        };
        let (relay, repo) = relay_with(vec![pending], sink.clone(), audit.clone());
        relay.run_once().unwrap();
        assert!(sink.0.lock().unwrap().is_empty(), "nothing delivered");
        let actions: Vec<Action> = audit.0.lock().unwrap().iter().map(|e| e.action).collect();
        assert_eq!(
            actions,
            [Action::DeliveryFailing],
            "nothing disclosed; the failure is on record"
        );
        let progress = repo.1.lock().unwrap();
        assert_eq!(progress[0].cursor, None, "the cursor stays");
        assert!(progress[0].failing.is_some(), "it waits for a retry");
    }

    /// The waits, computed by hand: 1 s doubled after each failure up to 15 minutes.
    #[test]
    fn the_retry_schedule_doubles_up_to_fifteen_minutes() {
        let waits: Vec<i64> = (1..=12)
            .map(|n| RetrySchedule::DEFAULT.delay(n).num_seconds())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
        assert_eq!(RetrySchedule::DEFAULT.delay(u32::MAX).num_seconds(), 900);
        // The old schedule gave up after 8 attempts, 127 s after the first.
        let old: i64 = (1..8)
            .map(|n| RetrySchedule::DEFAULT.delay(n).num_seconds())
            .sum();
        assert_eq!(old, 127);
    }

    #[test]
    fn a_failing_subscription_waits_on_its_event_long_after_the_old_give_up() {
        let audit = Arc::new(Trail::default());
        // Failing on event 2 since the epoch, 40 attempts made, six days later.
        let (relay, repo) = relay_at(
            Duration::days(6),
            vec![sub("pz-b", "down", failing(40, 2))],
            Arc::new(Sink::default()),
            audit.clone(),
        );
        relay.run_once().unwrap();
        let progress = repo.1.lock().unwrap();
        assert!(progress[0].dead_letters.is_empty(), "nothing given up on");
        assert_eq!(
            progress[0].cursor,
            Some(1),
            "past event 1 (not pz-b's) only"
        );
        let f = progress[0].failing.as_ref().unwrap();
        assert_eq!((f.attempts, f.seq), (41, Some(2)));
        assert_eq!(
            f.since,
            DateTime::UNIX_EPOCH,
            "failing since the first failure"
        );
        assert_eq!(
            f.next_attempt_at,
            DateTime::UNIX_EPOCH + Duration::days(6) + Duration::minutes(15)
        );
        assert!(
            audit.0.lock().unwrap().is_empty(),
            "still failing: no change to audit"
        );
    }

    #[test]
    fn an_event_that_waited_its_retry_period_is_dead_lettered_and_the_next_one_tried() {
        let audit = Arc::new(Trail::default());
        let sink = Arc::new(Sink::default());
        // Seven days after the failure began, pz-a's events 1 and 3 have waited their period.
        let (relay, repo) = relay_at(
            DEFAULT_RETRY_FOR,
            vec![sub("pz-a", "down", failing(600, 1))],
            sink.clone(),
            audit.clone(),
        );
        relay.run_once().unwrap();
        let progress = repo.1.lock().unwrap();
        let dead: Vec<(i64, &str)> = progress[0]
            .dead_letters
            .iter()
            .map(|d| (d.seq, d.event_id.as_str()))
            .collect();
        assert_eq!(dead, [(1, "e1"), (3, "e3")]);
        assert!(progress[0].dead_letters[0].reason.contains("168 hours"));
        assert_eq!(progress[0].cursor, Some(3));
        assert!(sink.0.lock().unwrap().is_empty(), "nothing sent");
        let entries = audit.0.lock().unwrap();
        let actions: Vec<(Action, &str)> = entries
            .iter()
            .map(|e| (e.action, e.request_id.as_str()))
            .collect();
        assert_eq!(
            actions,
            [(Action::DeadLetter, "e1"), (Action::DeadLetter, "e3")],
            "each dead letter audited"
        );
        let f = progress[0]
            .failing
            .as_ref()
            .expect("nothing was delivered: still failing");
        assert_eq!((f.attempts, f.seq), (600, None));
    }

    #[test]
    fn the_change_to_and_from_failing_is_audited() {
        let audit = Arc::new(Trail::default());
        let (relay, repo) = relay_with(
            vec![sub("pz-a", "ok", failing(3, 1)), sub("pz-b", "down", None)],
            Arc::new(Sink::default()),
            audit.clone(),
        );
        relay.run_once().unwrap();
        let entries = audit.0.lock().unwrap();
        let changes: Vec<(Action, Option<&str>, crate::audit::Outcome)> = entries
            .iter()
            .filter(|e| {
                matches!(
                    e.action,
                    Action::DeliveryFailing | Action::DeliveryRecovered
                )
            })
            .map(|e| (e.action, e.agency.as_deref(), e.outcome))
            .collect();
        assert_eq!(
            changes,
            [
                (
                    Action::DeliveryFailing,
                    Some("pz-b"),
                    crate::audit::Outcome::Failed
                ),
                (
                    Action::DeliveryRecovered,
                    Some("pz-a"),
                    crate::audit::Outcome::Success
                ),
            ]
        );
        let progress = repo.1.lock().unwrap();
        assert_eq!(progress[0].failing.as_ref().map(|f| f.attempts), Some(1));
        assert_eq!(progress[1].failing, None);
    }

    #[test]
    fn a_paused_subscription_sends_nothing_and_looks_again_when_its_first_event_expires() {
        let sink = Arc::new(Sink::default());
        let paused = Subscription {
            status: SubscriptionStatus::Paused,
            paused_since: Some(DateTime::UNIX_EPOCH + Duration::hours(1)),
            ..sub("pz-a", "ok", None)
        };
        let (relay, repo) = relay_at(
            Duration::hours(2),
            vec![paused],
            sink.clone(),
            Arc::new(Trail::default()),
        );
        relay.run_once().unwrap();
        assert!(sink.0.lock().unwrap().is_empty());
        let progress = repo.1.lock().unwrap();
        assert_eq!(progress[0].cursor, Some(0), "waits before event 1");
        assert_eq!(
            progress[0].next_look_at,
            Some(DateTime::UNIX_EPOCH + Duration::hours(1) + DEFAULT_RETRY_FOR),
            "the wait counts from the pause"
        );
    }
}
