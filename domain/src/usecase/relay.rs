//! The relay: delivers outbox events to every subscribing agency, each rendered through that
//! agency's field policy, in outbox order (so in order per child), at least once.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use crate::agency::{AgencyId, AgencyKind};
use crate::alert::{Alert, RiskRules, follows, mask_alert};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::CategorySet;
use crate::policy::{Facts, Operation, Policy};
use crate::ports::{
    AgencyRepository, AuditLog, Batch, Clock, Endpoint, EventSink, MinorRepository, Outbox,
    OutboxEvent, Progress, RenderedEvent, SinkError, Subscription, SubscriptionRepository,
    SubscriptionStatus,
};
use crate::projection::project;
use crate::purpose::Purpose;
use crate::record::{Minor, relation};
use crate::role::Role;

/// Attempts at one event before it is dead-lettered and the subscription moves on.
pub const MAX_ATTEMPTS: u32 = 8;
/// Events read per delivery round.
pub const BATCH: usize = 100;

/// The CloudEvents `source` of every event.
pub const SOURCE: &str = "urn:uam-registry";

/// Who receives a rendered event: the agency, its kind, and the role whose field policy renders
/// what it receives (`None`: a role that reads no child data).
#[derive(Debug, Clone, Copy)]
pub struct Receiver<'a> {
    pub agency: &'a AgencyId,
    pub kind: AgencyKind,
    pub role: Option<Role>,
}

impl Receiver<'_> {
    /// Whether the receiver gets events of `alert` about a child whose record is `minor` now: its
    /// agency follows the alert (see [`follows`]) and its role may follow it on a stream.
    pub fn receives(&self, policy: &Policy, alert: &Alert, minor: Option<&Minor>) -> bool {
        let Some(role) = self.role else {
            return false;
        };
        let relation = minor
            .map(|m| relation(&m.data, m.status, self.agency))
            .unwrap_or_default();
        let facts = Facts {
            assigned: relation.assigned,
            active_alert: relation.active_alert,
            follows: follows(self.agency, self.kind, minor.map(|m| &m.data)),
            reporter: alert.reported_by.agency == self.agency.as_str(),
        };
        facts.follows
            && policy.permits(role, Operation::Stream, Some(Purpose::Disappearance), facts)
    }

    /// The categories the receiver reads of a record for the purpose `disappearance`.
    fn reads(&self, policy: &Policy, minor: &Minor) -> CategorySet {
        self.role
            .map(|role| {
                policy
                    .mask(
                        role,
                        Purpose::Disappearance,
                        relation(&minor.data, minor.status, self.agency),
                    )
                    .read
            })
            .unwrap_or_default()
    }
}

/// What rendering needs besides the event: the policy, the risk rules (to mask risk factors), and
/// the kinds of the agencies an alert names.
pub struct Rendering<'a> {
    pub policy: &'a Policy,
    pub rules: &'a RiskRules,
    pub kind_of: &'a mut dyn FnMut(&str) -> anyhow::Result<Option<AgencyKind>>,
}

/// A record through the receiver's mask for the purpose `disappearance` (the same projection as
/// the REST API); `null` when it reads nothing. Adds what it discloses to `disclosed`.
fn projected(
    minor: Option<&Minor>,
    receiver: &Receiver<'_>,
    policy: &Policy,
    disclosed: &mut (Vec<String>, CategorySet),
) -> serde_json::Value {
    let Some((m, role)) = minor.zip(receiver.role) else {
        return serde_json::Value::Null;
    };
    let mask = policy.mask(
        role,
        Purpose::Disappearance,
        relation(&m.data, m.status, receiver.agency),
    );
    if mask.read.is_empty() {
        return serde_json::Value::Null;
    }
    let view = project(m, mask, Purpose::Disappearance);
    disclosed.0.push(m.id.clone());
    disclosed.1 = disclosed.1.union(view.data.present_categories());
    view.to_json()
}

/// Renders an event as a structured CloudEvent for `receiver`: `data` holds the alert, with what it
/// derives from categories the receiver may not read taken out ([`mask_alert`]), and the missing
/// child's record (`minor`), through the receiver's mask for the purpose `disappearance`. A
/// possible-match event adds `possible_match`: the id of the record that may be this child, the
/// score, and that record (`candidate`) through the same mask.
pub fn render(
    event: &OutboxEvent,
    minor: Option<&Minor>,
    candidate: Option<&Minor>,
    receiver: &Receiver<'_>,
    rendering: &mut Rendering<'_>,
) -> anyhow::Result<RenderedEvent> {
    let reads = minor
        .map(|m| receiver.reads(rendering.policy, m))
        .unwrap_or_default();
    let alert = mask_alert(
        &event.alert,
        reads,
        receiver.agency,
        rendering.rules,
        rendering.kind_of,
    )?;
    let mut disclosed = (vec![event.event.minor_id.clone()], CategorySet::EMPTY);
    let mut data = serde_json::json!({
        "alert": alert,
        "minor": projected(minor, receiver, rendering.policy, &mut disclosed),
    });
    if let Some(m) = &event.event.possible_match {
        data["possible_match"] = serde_json::json!({
            "minor_id": m.minor_id,
            "score": m.score,
            "candidate": projected(candidate, receiver, rendering.policy, &mut disclosed),
        });
    }
    let (mut children, disclosed) = disclosed;
    children.sort();
    children.dedup();
    let e = &event.event;
    Ok(RenderedEvent {
        seq: event.seq,
        id: e.id.clone(),
        key: e.minor_id.clone(),
        cloudevent: serde_json::json!({
            "specversion": "1.0",
            "id": e.id,
            "source": SOURCE,
            "type": e.kind.as_str(),
            "subject": e.alert_id,
            "time": e.time,
            "datacontenttype": "application/json",
            "data": data,
        }),
        children,
        disclosed,
    })
}

/// The audit entry of one event delivered to (or streamed to) a receiver: the receiving agency
/// and role, purpose `disappearance`, the children named and the categories disclosed; the event
/// id stands in the request id. `subject` is the person streaming, or the subscription.
pub fn delivery_entry(
    event: &RenderedEvent,
    receiver: &Receiver<'_>,
    subject: &str,
    action: Action,
    at: chrono::DateTime<chrono::Utc>,
) -> AuditEntry {
    AuditEntry {
        at,
        subject: Some(subject.to_owned()),
        agency: Some(receiver.agency.to_string()),
        role: receiver.role.map(|r| r.to_string()),
        purpose: Some(Purpose::Disappearance),
        action,
        minors: event.children.clone(),
        categories: event.disclosed,
        outcome: Outcome::Success,
        request_id: event.id.clone(),
    }
    .normalised()
}

/// Delivers to subscriptions.
#[derive(Clone)]
pub struct Relay {
    pub outbox: Arc<dyn Outbox>,
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    pub minors: Arc<dyn MinorRepository>,
    pub agencies: Arc<dyn AgencyRepository>,
    pub policy: Arc<Policy>,
    pub risk: Arc<RiskRules>,
    pub clock: Arc<dyn Clock>,
    /// Each delivery the receiver acknowledged is a disclosure, appended here.
    pub audit: Arc<dyn AuditLog>,
    pub webhooks: Arc<dyn EventSink>,
    /// `None` when no Kafka brokers are configured.
    pub kafka: Option<Arc<dyn EventSink>>,
}

/// Subscriptions served together in one delivery round: their events are sent before any
/// acknowledgement is awaited, so the agencies a report notifies receive it at about the same time.
pub const SUBSCRIPTIONS_PER_ROUND: usize = 32;

/// What one round reads once for all its subscriptions: the outbox after each cursor, the kind of
/// each agency, and the records the events name.
#[derive(Default)]
struct Reads {
    events: HashMap<i64, Vec<OutboxEvent>>,
    kinds: HashMap<String, Option<AgencyKind>>,
    minors: HashMap<String, Option<Minor>>,
}

/// Which sink delivers to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SinkKind {
    Webhook,
    Kafka,
}

/// A subscription's part of a round, ready to send.
struct Prepared {
    /// The last outbox event read, of concern or not; `None` when there was none.
    last: Option<i64>,
    rendered: Vec<RenderedEvent>,
    sink: SinkKind,
    kind: AgencyKind,
    role: Option<Role>,
}

impl Relay {
    /// Serves every subscription due now once, [`SUBSCRIPTIONS_PER_ROUND`] at a time; returns how
    /// many were served.
    pub fn run_once(&self) -> anyhow::Result<usize> {
        let mut served = 0;
        while served < 10_000 {
            let taken = self.subscriptions.deliver_due(
                self.clock.now(),
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

    /// One round: renders each subscription's pending events, hands every sink all of its batches
    /// at once, and answers each subscription's progress in the order given. A subscription that
    /// cannot be prepared or delivered fails alone.
    fn deliver(&self, subscriptions: &[Subscription]) -> Vec<Progress> {
        let mut reads = Reads::default();
        let prepared: Vec<anyhow::Result<Prepared>> = subscriptions
            .iter()
            .map(|s| self.prepare(s, &mut reads))
            .collect();
        let mut outcomes: Vec<(usize, Option<SinkError>)> = vec![(0, None); subscriptions.len()];
        let sinks = [
            (SinkKind::Webhook, Some(self.webhooks.as_ref())),
            (SinkKind::Kafka, self.kafka.as_deref()),
        ];
        for (kind, sink) in sinks {
            let Some(sink) = sink else { continue };
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
        if let Err(e) = self.audit_deliveries(subscriptions, &prepared, &outcomes) {
            // Delivered but not in the trail: record no progress, so that the events go again and
            // are logged then (a redelivery is a disclosure of its own).
            return subscriptions
                .iter()
                .map(|_| Progress {
                    failure: Some(format!("{e:#}")),
                    ..Progress::default()
                })
                .collect();
        }
        subscriptions
            .iter()
            .zip(prepared)
            .zip(outcomes)
            .map(|((subscription, prepared), outcome)| match prepared {
                Ok(prepared) => progress(subscription, &prepared, outcome),
                Err(e) => Progress {
                    failure: Some(format!("{e:#}")),
                    ..Progress::default()
                },
            })
            .collect()
    }

    /// Appends one audit entry per event each receiver acknowledged, all in one commit.
    fn audit_deliveries(
        &self,
        subscriptions: &[Subscription],
        prepared: &[anyhow::Result<Prepared>],
        outcomes: &[(usize, Option<SinkError>)],
    ) -> Result<(), crate::ports::AuditUnavailable> {
        let at = self.clock.now();
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
            let action = match prepared.sink {
                SinkKind::Webhook => Action::DeliverWebhook,
                SinkKind::Kafka => Action::DeliverKafka,
            };
            let subject = format!("subscription:{}", subscription.id);
            entries.extend(
                prepared.rendered[..(*delivered).min(prepared.rendered.len())]
                    .iter()
                    .map(|e| delivery_entry(e, &receiver, &subject, action, at)),
            );
        }
        self.audit.append_all(entries)
    }

    /// Reads and renders the events after the subscription's cursor that concern its agency,
    /// through the mask of the role acting for it.
    fn prepare(&self, subscription: &Subscription, reads: &mut Reads) -> anyhow::Result<Prepared> {
        // Storage hands out active subscriptions only; should a pending one come, it fails (and
        // waits for its retry) rather than deliver what its agency never asked for.
        if subscription.status != SubscriptionStatus::Active {
            anyhow::bail!(
                "subscription {} awaits its agency's confirmation: nothing is delivered",
                subscription.id
            );
        }
        let sink = match &subscription.endpoint {
            Endpoint::Webhook { .. } => SinkKind::Webhook,
            Endpoint::Kafka { .. } if self.kafka.is_some() => SinkKind::Kafka,
            Endpoint::Kafka { .. } => anyhow::bail!("Kafka is not configured (kafka_brokers)"),
        };
        let events = match reads.events.entry(subscription.cursor) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(self.outbox.after(subscription.cursor, BATCH)?),
        };
        let last = events.last().map(|e| e.seq);
        let agencies = self.agencies.as_ref();
        let mut kind_of = |agency: &str| -> anyhow::Result<Option<AgencyKind>> {
            if let Some(kind) = reads.kinds.get(agency) {
                return Ok(*kind);
            }
            let kind = match AgencyId::parse(agency) {
                Ok(id) => agencies.find(&id)?.map(|a| a.kind),
                Err(_) => None,
            };
            reads.kinds.insert(agency.to_owned(), kind);
            Ok(kind)
        };
        let Some(kind) = kind_of(subscription.agency.as_str())? else {
            anyhow::bail!("agency `{}` no longer exists", subscription.agency);
        };
        let receiver = Receiver {
            agency: &subscription.agency,
            kind,
            role: Role::acting_for(kind),
        };
        let mut rendered = Vec::new();
        for event in events.iter() {
            let named = std::iter::once(&event.event.minor_id)
                .chain(event.event.possible_match.as_ref().map(|m| &m.minor_id));
            for id in named {
                if !reads.minors.contains_key(id) {
                    reads.minors.insert(id.clone(), self.minors.find(id)?);
                }
            }
            let record = |id: &String| reads.minors.get(id).and_then(Option::as_ref);
            let minor = record(&event.event.minor_id).cloned();
            if !receiver.receives(&self.policy, &event.alert, minor.as_ref()) {
                continue;
            }
            let candidate = event
                .event
                .possible_match
                .as_ref()
                .and_then(|m| record(&m.minor_id))
                .cloned();
            rendered.push(render(
                event,
                minor.as_ref(),
                candidate.as_ref(),
                &receiver,
                &mut Rendering {
                    policy: &self.policy,
                    rules: &self.risk,
                    kind_of: &mut kind_of,
                },
            )?);
        }
        Ok(Prepared {
            last,
            rendered,
            sink,
            kind,
            role: receiver.role,
        })
    }
}

/// A subscription's progress after its sink answered `(delivered, failure)`: past every event
/// read when all were delivered; otherwise past those before the failure, and on the last attempt
/// past the failed one too, dead-lettered.
fn progress(
    subscription: &Subscription,
    prepared: &Prepared,
    (delivered, failure): (usize, Option<SinkError>),
) -> Progress {
    let Some(last) = prepared.last else {
        return Progress::default();
    };
    let (Some(failure), Some(failed)) = (failure, prepared.rendered.get(delivered)) else {
        return Progress {
            cursor: Some(last),
            ..Progress::default()
        };
    };
    // Everything before the failed event is done; events of no concern before it too.
    let before = failed.seq - 1;
    if subscription.attempts + 1 >= MAX_ATTEMPTS {
        return Progress {
            cursor: Some(failed.seq),
            failure: None,
            dead_letters: vec![(failed.seq, failed.id.clone(), failure.0)],
        };
    }
    Progress {
        cursor: (before > subscription.cursor).then_some(before),
        failure: Some(failure.0),
        dead_letters: vec![],
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::agency::{Agency, AgencyKind, AgencyName, CountryCode, NewAgency};
    use crate::alert::{AlertEvent, EventType, NewAlert, Reporter};
    use crate::minor::{MinorData, RiskLevel};
    use crate::page::{Page, PageRequest};
    use crate::ports::{Change, InsertAgencyError, StoredPhoto, UpdateMinorError};
    use crate::record::{Actor, ListScope, MinorFilter, Revision};

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
            alert,
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
        fn deliver_due(
            &self,
            _: DateTime<Utc>,
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
    impl crate::ports::MinorRepository for Placed {
        fn insert(
            &self,
            _: &str,
            _: &MinorData,
            _: &Actor,
            _: DateTime<Utc>,
            _: Option<&crate::audit::AuditEntry>,
            _: &[crate::ports::NewEvent<'_>],
        ) -> anyhow::Result<Minor> {
            unimplemented!()
        }
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
            }))
        }
        fn update(&self, _: &str, _: &Change<'_>) -> Result<Minor, UpdateMinorError> {
            unimplemented!()
        }
        fn merge(&self, _: &crate::ports::Merge<'_>) -> Result<Minor, UpdateMinorError> {
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

    struct Epoch;
    impl Clock for Epoch {
        fn now(&self) -> DateTime<Utc> {
            DateTime::UNIX_EPOCH
        }
    }

    fn sub(agency: &str, url: &str, attempts: u32) -> Subscription {
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
            attempts,
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
    }

    fn relay(subs: Vec<Subscription>, sink: Arc<Sink>) -> (Relay, Arc<Subs>) {
        relay_with(subs, sink, Arc::new(Trail::default()))
    }

    fn relay_with(
        subs: Vec<Subscription>,
        sink: Arc<Sink>,
        audit: Arc<Trail>,
    ) -> (Relay, Arc<Subs>) {
        let repo = Arc::new(Subs(Mutex::new(subs), Mutex::default()));
        let policy: crate::policy::PolicyDocument =
            toml::from_str(crate::policy::DEFAULT_POLICY_TOML).unwrap();
        let relay = Relay {
            outbox: Arc::new(Events(vec![
                alert(1, &["pz-a"]),
                alert(2, &["pz-b"]),
                alert(3, &["pz-a", "pz-b"]),
            ])),
            subscriptions: repo.clone(),
            minors: Arc::new(Placed),
            agencies: Arc::new(Centres),
            policy: Arc::new(Policy::from_document(policy).unwrap()),
            risk: Arc::new(toml::from_str(crate::alert::DEFAULT_RISK_TOML).unwrap()),
            clock: Arc::new(Epoch),
            audit,
            webhooks: sink,
            kafka: None,
        };
        (relay, repo)
    }

    #[test]
    fn each_agency_gets_its_own_events_and_a_failing_one_blocks_nobody() {
        let sink = Arc::new(Sink::default());
        let (relay, repo) = relay(
            vec![sub("pz-b", "down", 0), sub("pz-a", "ok", 0)],
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
        assert_eq!(progress[1].failure.as_deref(), Some("down"));
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
                sub("pz-b", "ok", 0),
                sub("pz-a", "ok", 0),
                sub("pz-c", "ok", 0),
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
            vec![sub("pz-b", "down", 0), sub("pz-a", "ok", 0)],
            Arc::new(Sink::default()),
            audit.clone(),
        );
        relay.run_once().unwrap();
        let entries = audit.0.lock().unwrap();
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
            ..sub("pz-a", "ok", 0)
        };
        let (relay, repo) = relay_with(vec![pending], sink.clone(), audit.clone());
        relay.run_once().unwrap();
        assert!(sink.0.lock().unwrap().is_empty(), "nothing delivered");
        assert!(audit.0.lock().unwrap().is_empty(), "nothing disclosed");
        let progress = repo.1.lock().unwrap();
        assert_eq!(progress[0].cursor, None, "the cursor stays");
        assert!(progress[0].failure.is_some(), "it waits for a retry");
    }

    #[test]
    fn the_last_attempt_dead_letters_the_event_and_moves_on() {
        let (relay, repo) = relay(
            vec![sub("pz-b", "down", MAX_ATTEMPTS - 1)],
            Arc::new(Sink::default()),
        );
        relay.run_once().unwrap();
        let progress = repo.1.lock().unwrap();
        assert_eq!(
            progress[0].dead_letters,
            [(2, "e2".to_owned(), "down".to_owned())]
        );
        assert_eq!(
            (progress[0].cursor, progress[0].failure.as_deref()),
            (Some(2), None)
        );
    }
}
