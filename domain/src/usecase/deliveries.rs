//! What the receiving agency does about its subscription's deliveries: reads its dead letters
//! (each rendered now through its own mask), replays them, discards them with a reason,
//! dead-letters the event its receiver keeps refusing, and pings its receiver. Only members of the
//! receiving agency whose role may `subscribe` act here; a registry administrator sees the counts
//! in the subscription, never the letters. Every action, and every refusal, is audited.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::CategorySet;
use crate::policy::Operation;
use crate::ports::{
    DeadLetter, IdGenerator, Outbox, RenderedEvent, Resolution, Subscription,
    SubscriptionRepository, SubscriptionStatus,
};
use crate::principal::Principal;
use crate::purpose::Purpose;
use crate::usecase::kernel::{Conflict, Denied, Failure, Kernel, Request, Trail};
use crate::usecase::relay::{Relay, Rendered, subject_of};
use crate::usecase::rendering::{Receiver, SOURCE, delivery_entry};
use crate::usecase::subscriptions::Subscriptions;
use crate::validation::FieldErrors;

/// The CloudEvents type of a ping.
pub const PING_TYPE: &str = "be.uam.subscription.ping";

/// Longest reason accepted for discarding a dead letter or dead-lettering an event.
pub const MAX_REASON_LENGTH: usize = 500;

/// Dead letters listed, or replayed, by one request: the oldest first; the rest on the next.
pub const LETTERS_PER_REQUEST: usize = 100;

/// The ports of the deliveries service.
pub struct DeliveryPorts {
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    pub outbox: Arc<dyn Outbox>,
    pub ids: Arc<dyn IdGenerator>,
}

/// The deliveries service: acts on a subscription's deliveries through the relay's rendering and
/// sinks, for the agency that owns the subscription (see [`Subscriptions`]).
#[derive(Clone)]
pub struct Deliveries {
    kernel: Kernel,
    owners: Subscriptions,
    store: Arc<dyn SubscriptionRepository>,
    outbox: Arc<dyn Outbox>,
    ids: Arc<dyn IdGenerator>,
    relay: Relay,
}

/// A dead letter with its event as the agency would receive it now.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    pub letter: DeadLetter,
    /// `None` when the agency no longer follows the alert (nothing of it may be shown), or the
    /// event is no longer kept.
    pub event: Option<RenderedEvent>,
}

/// What a replay did, in outbox order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    /// Event ids delivered and acknowledged: their dead letters are resolved.
    pub replayed: Vec<String>,
    /// Event ids of alerts the agency no longer follows: nothing was sent, their dead letters are
    /// resolved as `not_followed`.
    pub not_followed: Vec<String>,
    /// The event the receiver did not take, and its error: it and those after it stay.
    pub failed: Option<(String, String)>,
    /// Dead letters left unresolved.
    pub remaining: usize,
}

/// A ping delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    pub event_id: String,
    pub took_ms: u64,
}

fn reason_of(reason: &str) -> Result<String, Failure> {
    let reason = reason.trim();
    let mut errors = FieldErrors::default();
    if reason.is_empty() {
        errors.push("reason", "is required: say why");
    } else if reason.chars().count() > MAX_REASON_LENGTH {
        errors.push("reason", format!("at most {MAX_REASON_LENGTH} characters"));
    } else if reason.chars().any(char::is_control) {
        errors.push("reason", "must not hold control characters");
    }
    if errors.0.is_empty() {
        Ok(reason.to_owned())
    } else {
        Err(Failure::Invalid(errors))
    }
}

impl Deliveries {
    pub fn new(kernel: Kernel, owners: Subscriptions, ports: DeliveryPorts, relay: Relay) -> Self {
        Self {
            kernel,
            owners,
            store: ports.subscriptions,
            outbox: ports.outbox,
            ids: ports.ids,
            relay,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.kernel.now()
    }

    /// Runs `work` with the audit entry of `action` by `caller` (no purpose, no child yet); see
    /// [`Kernel::audited`].
    fn audited<T>(
        &self,
        caller: &Principal,
        request_id: &str,
        action: Action,
        work: impl FnOnce(&mut Trail) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let rq = Request::without_purpose(caller.clone(), request_id);
        self.kernel.audited(&rq, action, &[], work)
    }

    fn no_letter(id: &str, event_id: &str) -> Failure {
        Failure::NotFound(format!(
            "subscription `{id}` has no dead letter for event `{event_id}`"
        ))
    }

    /// The subscription's dead letters, the oldest [`LETTERS_PER_REQUEST`], each event rendered
    /// now as the agency would receive it. Child data is shown for the purpose `disappearance`
    /// only, which the caller states; the disclosure is audited (`dead_letter_read`, with the
    /// children and categories shown), and so is a refusal.
    pub fn dead_letters(&self, rq: &Request, id: &str) -> Result<Vec<Letter>, Failure> {
        self.kernel
            .audited(rq, Action::DeadLetterRead, &[], |trail| {
                let subscription = self.owners.owned(&rq.caller, id)?;
                let purpose = self.kernel.stated(rq)?;
                if purpose != Purpose::Disappearance {
                    return Err(Denied::OperationNotPermitted {
                        role: rq.caller.role.to_string(),
                        operation: Operation::Stream,
                        purpose: Some(purpose),
                    }
                    .into());
                }
                let mut letters = self.store.dead_letters(id)?;
                letters.truncate(LETTERS_PER_REQUEST);
                let rendered = self.render(&subscription, &letters)?.events;
                let mut minors = Vec::new();
                let mut categories = CategorySet::EMPTY;
                let letters: Vec<Letter> = letters
                    .into_iter()
                    .zip(rendered)
                    .map(|(letter, event)| {
                        if let Some(e) = &event {
                            minors.extend(e.children.iter().cloned());
                            categories = categories.union(e.disclosed);
                        }
                        Letter { letter, event }
                    })
                    .collect();
                minors.sort();
                minors.dedup();
                trail.concerns(minors);
                trail.discloses(categories);
                Ok(letters)
            })
    }

    /// The events of `letters` rendered now for the subscription, one per letter (`None`: not
    /// followed, or no longer kept), and who receives them.
    fn render(
        &self,
        subscription: &Subscription,
        letters: &[DeadLetter],
    ) -> anyhow::Result<Rendered> {
        let mut kept = Vec::new();
        let mut at = Vec::new();
        for (i, letter) in letters.iter().enumerate() {
            if let Some(event) = self.outbox.get(letter.seq)? {
                at.push(i);
                kept.push(event);
            }
        }
        let mut out = vec![None; letters.len()];
        let rendered = self.relay.render_for(subscription, &kept)?;
        for (i, event) in at.into_iter().zip(rendered.events) {
            out[i] = event;
        }
        Ok(Rendered {
            events: out,
            ..rendered
        })
    }

    /// Sends the subscription's dead letters again, in outbox order, the oldest
    /// [`LETTERS_PER_REQUEST`] (`event_id`: only that one), each rendered now; stops at the first
    /// the receiver does not take. Each delivered is resolved as `replayed`, with its delivery and
    /// the replay audited in the same commit; one whose alert the agency no longer follows is
    /// resolved as `not_followed` without sending anything. A receiver's failure answers
    /// [`Failure::ReceiverFailed`], naming what went before it.
    pub fn replay(
        &self,
        caller: &Principal,
        request_id: &str,
        id: &str,
        event_id: Option<&str>,
    ) -> Result<Replay, Failure> {
        self.audited(caller, request_id, Action::DeadLetterReplay, |trail| {
            let entry = trail.for_change(CategorySet::EMPTY);
            let subscription = self.owners.owned(caller, id)?;
            let mut letters = self.store.dead_letters(id)?;
            if let Some(wanted) = event_id {
                // Looked for among all of them, not only the first page.
                letters.retain(|l| l.event_id == wanted);
                if letters.is_empty() {
                    return Err(Self::no_letter(id, wanted));
                }
            }
            let total = letters.len();
            letters.truncate(LETTERS_PER_REQUEST);
            let Rendered {
                kind,
                role,
                events: rendered,
            } = self.render(&subscription, &letters)?;
            let receiver = Receiver {
                agency: &subscription.agency,
                kind,
                role,
            };
            let mut report = Replay::default();
            for (letter, event) in letters.iter().zip(rendered) {
                let resolution = |kind| Resolution {
                    kind,
                    by: caller.subject.clone(),
                    reason: None,
                    at: self.now(),
                };
                let Some(event) = event else {
                    let audit = AuditEntry {
                        outcome: Outcome::Rejected,
                        ..entry.clone()
                    };
                    self.store.resolve_dead_letter(
                        id,
                        letter.seq,
                        &resolution("not_followed"),
                        &[audit.normalised()],
                    )?;
                    report.not_followed.push(letter.event_id.clone());
                    continue;
                };
                let (delivered, failure) =
                    self.relay.send(&subscription, std::slice::from_ref(&event));
                if delivered == 0 {
                    let error = failure.map_or_else(|| "not acknowledged".to_owned(), |f| f.0);
                    report.failed = Some((letter.event_id.clone(), error));
                    break;
                }
                let now = self.now();
                let delivery = delivery_entry(
                    &event,
                    &receiver,
                    &subject_of(&subscription),
                    Relay::delivery_action(&subscription),
                    now,
                );
                let replay = AuditEntry {
                    at: now,
                    purpose: Some(Purpose::Disappearance),
                    minors: event.children.clone(),
                    categories: event.disclosed,
                    ..entry.clone()
                }
                .normalised();
                let entries = [delivery, replay];
                if !self.store.resolve_dead_letter(
                    id,
                    letter.seq,
                    &resolution("replayed"),
                    &entries,
                )? {
                    // Resolved meanwhile by another request (a second replay): this delivery was
                    // a disclosure all the same.
                    self.kernel.audit().append_all(entries.to_vec())?;
                }
                report.replayed.push(letter.event_id.clone());
            }
            report.remaining = if event_id.is_some() {
                self.store.dead_letters(id)?.len()
            } else {
                total.saturating_sub(report.replayed.len() + report.not_followed.len())
            };
            if let Some((event, error)) = &report.failed {
                return Err(Failure::ReceiverFailed(format!(
                    "the receiver did not take event `{event}`: {error}; replayed before it: {}",
                    if report.replayed.is_empty() {
                        "none".to_owned()
                    } else {
                        report.replayed.join(", ")
                    }
                )));
            }
            // Each letter's resolution was audited with it.
            trail.committed();
            Ok(report)
        })
    }

    /// Discards a dead letter, with the reason the agency gives: it is kept as resolved
    /// (`discarded`, by whom, why) and no longer listed. Audited either way.
    pub fn discard(
        &self,
        caller: &Principal,
        request_id: &str,
        id: &str,
        event_id: &str,
        reason: &str,
    ) -> Result<(), Failure> {
        self.audited(caller, request_id, Action::DeadLetterDiscard, |trail| {
            self.owners.owned(caller, id)?;
            let reason = reason_of(reason)?;
            let letter = self
                .store
                .dead_letters(id)?
                .into_iter()
                .find(|l| l.event_id == event_id)
                .ok_or_else(|| Self::no_letter(id, event_id))?;
            let resolution = Resolution {
                kind: "discarded",
                by: caller.subject.clone(),
                reason: Some(reason),
                at: self.now(),
            };
            let entry = trail.for_change(CategorySet::EMPTY);
            if !self.store.resolve_dead_letter(
                id,
                letter.seq,
                &resolution,
                std::slice::from_ref(&entry),
            )? {
                return Err(Self::no_letter(id, event_id));
            }
            trail.committed();
            Ok(())
        })
    }

    /// Dead-letters the event the subscription is failing on, at the agency's decision (its
    /// receiver will never take it): the events behind it are due at once. Conflict when the
    /// subscription is not failing on an event. Audited either way.
    pub fn dead_letter_failing(
        &self,
        caller: &Principal,
        request_id: &str,
        id: &str,
        reason: &str,
    ) -> Result<DeadLetter, Failure> {
        self.audited(caller, request_id, Action::DeadLetter, |trail| {
            let subscription = self.owners.owned(caller, id)?;
            let reason = reason_of(reason)?;
            let Some(seq) = subscription.failing.as_ref().and_then(|f| f.seq) else {
                return Err(Conflict::State(format!(
                    "subscription `{id}` is not failing on an event: there is nothing to \
                     dead-letter"
                ))
                .into());
            };
            let event_id = self
                .outbox
                .get(seq)?
                .map(|e| e.event.id)
                .unwrap_or_default();
            let letter = DeadLetter {
                seq,
                event_id,
                reason: format!("dead-lettered by {}: {reason}", caller.subject),
                at: self.now(),
            };
            let entry = trail.for_change(CategorySet::EMPTY);
            if !self.store.dead_letter_failing(id, &letter, &entry)? {
                return Err(Conflict::State(format!(
                    "subscription `{id}` moved on meanwhile: look at it again"
                ))
                .into());
            }
            trail.committed();
            Ok(letter)
        })
    }

    /// Sends a signed test event (type [`PING_TYPE`], no child data) to the subscription's
    /// endpoint now, whether it delivers, fails or is paused (not while pending: its secret is
    /// replaced at confirmation), and answers whether the receiver took it. Audited
    /// either way (`subscription_ping`).
    pub fn ping(&self, caller: &Principal, request_id: &str, id: &str) -> Result<Ping, Failure> {
        self.audited(caller, request_id, Action::SubscriptionPing, |_| {
            let subscription = self.owners.owned(caller, id)?;
            if subscription.status == SubscriptionStatus::Pending {
                return Err(Conflict::State(format!(
                    "subscription `{id}` is pending: confirm it first (its secret is new then)"
                ))
                .into());
            }
            let event_id = self.ids.new_id();
            let now = self.now();
            let event = RenderedEvent {
                seq: 0,
                id: event_id.clone(),
                key: subscription.id.clone(),
                kind: PING_TYPE,
                time: now,
                cloudevent: serde_json::json!({
                    "specversion": "1.0",
                    "id": event_id,
                    "source": SOURCE,
                    "type": PING_TYPE,
                    "subject": subscription.id,
                    "time": now,
                    "datacontenttype": "application/json",
                    "data": {
                        "subscription": subscription.id,
                        "agency": subscription.agency.as_str(),
                        "requested_by": caller.subject,
                    },
                }),
                children: Vec::new(),
                disclosed: CategorySet::EMPTY,
                purpose: crate::purpose::Purpose::Disappearance,
            };
            let started = std::time::Instant::now();
            let (delivered, failure) = self.relay.send(&subscription, std::slice::from_ref(&event));
            let took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            if delivered == 0 {
                return Err(Failure::ReceiverFailed(format!(
                    "the receiver did not take the ping `{event_id}`: {}",
                    failure.map_or_else(|| "not acknowledged".to_owned(), |f| f.0)
                )));
            }
            Ok(Ping { event_id, took_ms })
        })
    }
}
