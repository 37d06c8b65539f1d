//! What the receiving agency does about its subscription's deliveries: reads its dead letters
//! (each rendered now through its own mask), replays them, discards them with a reason,
//! dead-letters the event its receiver keeps refusing, and pings its receiver. Only members of the
//! receiving agency whose role may `subscribe` act here; a registry administrator sees the counts
//! in the subscription, never the letters. Every action, and every refusal, is audited.

use chrono::{DateTime, Utc};

use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::CategorySet;
use crate::policy::Operation;
use crate::ports::{DeadLetter, RenderedEvent, Resolution, Subscription};
use crate::principal::Principal;
use crate::purpose::Purpose;
use crate::usecase::minors::{Denied, Request, stated};
use crate::usecase::relay::{Receiver, Relay, Rendered, SOURCE, delivery_entry, subject_of};
use crate::usecase::subscriptions::{SubscriptionError, Subscriptions};
use crate::validation::FieldErrors;

/// The CloudEvents type of a ping.
pub const PING_TYPE: &str = "be.uam.subscription.ping";

/// Longest reason accepted for discarding a dead letter or dead-lettering an event.
pub const MAX_REASON_LENGTH: usize = 500;

/// Dead letters listed, or replayed, by one request: the oldest first; the rest on the next.
pub const LETTERS_PER_REQUEST: usize = 100;

#[derive(Clone)]
pub struct Deliveries {
    pub subscriptions: Subscriptions,
    pub relay: Relay,
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

fn reason_of(reason: &str) -> Result<String, SubscriptionError> {
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
        Err(SubscriptionError::Invalid(errors))
    }
}

impl Deliveries {
    fn now(&self) -> DateTime<Utc> {
        self.subscriptions.clock.now()
    }

    /// The entry of an action by `caller`, for purpose `disappearance` when it carries child data.
    fn entry(&self, caller: &Principal, request_id: &str, action: Action) -> AuditEntry {
        AuditEntry {
            action,
            ..self.subscriptions.entry(caller, request_id)
        }
    }

    /// The subscription's dead letters, the oldest [`LETTERS_PER_REQUEST`], each event rendered
    /// now as the agency would receive it. Child data is shown for the purpose `disappearance`
    /// only, which the caller states; the disclosure is audited (`dead_letter_read`, with the
    /// children and categories shown), and so is a refusal.
    pub fn dead_letters(&self, rq: &Request, id: &str) -> Result<Vec<Letter>, SubscriptionError> {
        let mut entry = AuditEntry {
            purpose: rq.purpose.as_ref().ok().copied(),
            ..self.entry(&rq.caller, &rq.request_id, Action::DeadLetterRead)
        };
        let result = (|| {
            let subscription = self.subscriptions.owned(&rq.caller, id)?;
            let purpose = stated(rq)?;
            if purpose != Purpose::Disappearance {
                return Err(Denied::OperationNotPermitted {
                    role: rq.caller.role.to_string(),
                    operation: Operation::Stream,
                    purpose: Some(purpose),
                }
                .into());
            }
            let mut letters = self.subscriptions.subscriptions.dead_letters(id)?;
            letters.truncate(LETTERS_PER_REQUEST);
            let rendered = self.render(&subscription, &letters)?.events;
            let mut shown = (Vec::new(), CategorySet::EMPTY);
            let letters: Vec<Letter> = letters
                .into_iter()
                .zip(rendered)
                .map(|(letter, event)| {
                    if let Some(e) = &event {
                        shown.0.extend(e.children.iter().cloned());
                        shown.1 = shown.1.union(e.disclosed);
                    }
                    Letter { letter, event }
                })
                .collect();
            Ok((letters, shown))
        })();
        match result {
            Ok((letters, (minors, categories))) => {
                entry.minors = minors;
                entry.categories = categories;
                self.subscriptions.audit.append(entry.normalised())?;
                Ok(letters)
            }
            Err(e) => self.subscriptions.close(entry, Err(e)),
        }
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
            if let Some(event) = self.relay.outbox.get(letter.seq)? {
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
    /// the receiver does not take. Each delivered is
    /// resolved as `replayed`, with its delivery and the replay audited in the same commit; one
    /// whose alert the agency no longer follows is resolved as `not_followed` without sending
    /// anything. A receiver's failure answers [`SubscriptionError::ReceiverFailed`], naming what
    /// went before it.
    pub fn replay(
        &self,
        caller: &Principal,
        request_id: &str,
        id: &str,
        event_id: Option<&str>,
    ) -> Result<Replay, SubscriptionError> {
        let entry = self.entry(caller, request_id, Action::DeadLetterReplay);
        let result = self.replay_checked(caller, id, event_id, &entry);
        self.subscriptions.close(entry, result)
    }

    fn replay_checked(
        &self,
        caller: &Principal,
        id: &str,
        event_id: Option<&str>,
        entry: &AuditEntry,
    ) -> Result<Replay, SubscriptionError> {
        let subscription = self.subscriptions.owned(caller, id)?;
        let mut letters = self.subscriptions.subscriptions.dead_letters(id)?;
        if let Some(wanted) = event_id {
            // Looked for among all of them, not only the first page.
            letters.retain(|l| l.event_id == wanted);
            if letters.is_empty() {
                return Err(SubscriptionError::NotFound(format!(
                    "{id}: no dead letter for event `{wanted}`"
                )));
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
                    request_id: entry.request_id.clone(),
                    ..entry.clone()
                };
                self.subscriptions.subscriptions.resolve_dead_letter(
                    id,
                    letter.seq,
                    &resolution("not_followed"),
                    &[audit.normalised()],
                )?;
                report.not_followed.push(letter.event_id.clone());
                continue;
            };
            let (delivered, failure) = self.relay.send(&subscription, std::slice::from_ref(&event));
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
            if !self.subscriptions.subscriptions.resolve_dead_letter(
                id,
                letter.seq,
                &resolution("replayed"),
                &entries,
            )? {
                // Resolved meanwhile by another request (a second replay): this delivery was a
                // disclosure all the same.
                self.subscriptions.audit.append_all(entries.to_vec())?;
            }
            report.replayed.push(letter.event_id.clone());
        }
        report.remaining = if event_id.is_some() {
            self.subscriptions.subscriptions.dead_letters(id)?.len()
        } else {
            total.saturating_sub(report.replayed.len() + report.not_followed.len())
        };
        if let Some((event, error)) = &report.failed {
            return Err(SubscriptionError::ReceiverFailed(format!(
                "the receiver did not take event `{event}`: {error}; replayed before it: {}",
                if report.replayed.is_empty() {
                    "none".to_owned()
                } else {
                    report.replayed.join(", ")
                }
            )));
        }
        Ok(report)
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
    ) -> Result<(), SubscriptionError> {
        let entry = self.entry(caller, request_id, Action::DeadLetterDiscard);
        let result = (|| {
            self.subscriptions.owned(caller, id)?;
            let reason = reason_of(reason)?;
            let letter = self
                .subscriptions
                .subscriptions
                .dead_letters(id)?
                .into_iter()
                .find(|l| l.event_id == event_id)
                .ok_or_else(|| {
                    SubscriptionError::NotFound(format!(
                        "{id}: no dead letter for event `{event_id}`"
                    ))
                })?;
            let resolution = Resolution {
                kind: "discarded",
                by: caller.subject.clone(),
                reason: Some(reason),
                at: self.now(),
            };
            if !self.subscriptions.subscriptions.resolve_dead_letter(
                id,
                letter.seq,
                &resolution,
                std::slice::from_ref(&entry),
            )? {
                return Err(SubscriptionError::NotFound(format!(
                    "{id}: no dead letter for event `{event_id}`"
                )));
            }
            Ok(())
        })();
        self.subscriptions.close(entry, result)
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
    ) -> Result<DeadLetter, SubscriptionError> {
        let entry = self.entry(caller, request_id, Action::DeadLetter);
        let result = (|| {
            let subscription = self.subscriptions.owned(caller, id)?;
            let reason = reason_of(reason)?;
            let Some(seq) = subscription.failing.as_ref().and_then(|f| f.seq) else {
                return Err(SubscriptionError::Conflict(format!(
                    "subscription `{id}` is not failing on an event: there is nothing to \
                     dead-letter"
                )));
            };
            let event_id = self
                .relay
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
            if !self
                .subscriptions
                .subscriptions
                .dead_letter_failing(id, &letter, &entry)?
            {
                return Err(SubscriptionError::Conflict(format!(
                    "subscription `{id}` moved on meanwhile: look at it again"
                )));
            }
            Ok(letter)
        })();
        self.subscriptions.close(entry, result)
    }

    /// Sends a signed test event (type [`PING_TYPE`], no child data) to the subscription's
    /// endpoint now, whether it delivers, fails or is paused (not while pending: its secret is
    /// replaced at confirmation), and answers whether the receiver took it. Audited
    /// either way (`subscription_ping`).
    pub fn ping(
        &self,
        caller: &Principal,
        request_id: &str,
        id: &str,
    ) -> Result<Ping, SubscriptionError> {
        let entry = self.entry(caller, request_id, Action::SubscriptionPing);
        let result = (|| {
            let subscription = self.subscriptions.owned(caller, id)?;
            if subscription.status == crate::ports::SubscriptionStatus::Pending {
                return Err(SubscriptionError::Conflict(format!(
                    "subscription `{id}` is pending: confirm it first (its secret is new then)"
                )));
            }
            let event_id = self.subscriptions.ids.new_id();
            let now = self.now();
            let event = RenderedEvent {
                seq: 0,
                id: event_id.clone(),
                key: subscription.id.clone(),
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
            };
            let started = std::time::Instant::now();
            let (delivered, failure) = self.relay.send(&subscription, std::slice::from_ref(&event));
            let took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            if delivered == 0 {
                return Err(SubscriptionError::ReceiverFailed(format!(
                    "the receiver did not take the ping `{event_id}`: {}",
                    failure.map_or_else(|| "not acknowledged".to_owned(), |f| f.0)
                )));
            }
            Ok(Ping { event_id, took_ms })
        })();
        match result {
            Ok(ping) => {
                self.subscriptions.audit.append(entry)?;
                Ok(ping)
            }
            Err(e) => self.subscriptions.close(entry, Err(e)),
        }
    }
}
