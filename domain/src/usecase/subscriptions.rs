//! Agencies' subscriptions to the alert stream. A subscription belongs to the agency that receives
//! it: that agency makes it with its own token (operation `subscribe`), or confirms one a registry
//! administrator proposed (operation `propose_subscription`), which delivers nothing until then. An
//! administrator never chooses where another agency's events go. Every change, and every refusal,
//! is in the audit trail (action `subscription`).

use std::sync::Arc;

use crate::agency::AgencyId;
use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::CategorySet;
use crate::policy::{Facts, Operation, Policy};
use chrono::Duration;

use crate::ports::{
    AgencyRepository, AuditLog, AuditUnavailable, Backlog, Clock, Endpoint, IdGenerator, Outbox,
    SecretGenerator, Subscription, SubscriptionChange, SubscriptionRepository, SubscriptionStatus,
    TopicAdmin, WebhookTargets,
};
use crate::principal::Principal;
use crate::usecase::relay::DEFAULT_RETRY_FOR;
use crate::validation::FieldErrors;

/// The topic of an agency's Kafka subscription.
pub fn topic_for(agency: &AgencyId) -> String {
    format!("uam.alerts.{agency}")
}

/// Longest webhook URL accepted.
pub const MAX_URL_LENGTH: usize = 2000;

#[derive(Clone)]
pub struct Subscriptions {
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    pub outbox: Arc<dyn Outbox>,
    pub agencies: Arc<dyn AgencyRepository>,
    /// Who may subscribe (`subscribe`) and who may propose for others (`propose_subscription`).
    pub policy: Arc<Policy>,
    /// Refusals go here; changes are written with their entry by the repository.
    pub audit: Arc<dyn AuditLog>,
    /// Where a webhook may point.
    pub targets: Arc<dyn WebhookTargets>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
    pub clock: Arc<dyn Clock>,
    /// `None` when no Kafka brokers are configured.
    pub topics: Option<Arc<dyn TopicAdmin>>,
    /// How long the outbox keeps an event: no retry period is longer.
    pub retention: Duration,
}

/// A subscription with what it has still to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub subscription: Subscription,
    /// The outbox events after its cursor (of concern to its agency or not).
    pub backlog: Backlog,
    /// Its unresolved dead letters.
    pub dead_letters: u64,
    /// The CloudEvent id of the event it is failing on.
    pub failing_event: Option<String>,
}

impl Overview {
    /// A subscription just made or confirmed: nothing waits yet.
    pub fn fresh(subscription: Subscription) -> Self {
        Self {
            subscription,
            backlog: Backlog::default(),
            dead_letters: 0,
            failing_event: None,
        }
    }
}

/// A change asked for by the receiving agency, before validation.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangeDraft {
    pub paused: Option<bool>,
    pub retry_hours: Option<i64>,
}

/// What to subscribe.
#[derive(Debug, Clone)]
pub enum Target {
    Webhook { url: String },
    Kafka,
}

/// A subscription as asked for, before validation.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The receiving agency; `None`: the caller's own.
    pub agency: Option<String>,
    /// `webhook` or `kafka`.
    pub kind: String,
    /// A webhook's URL; none for Kafka.
    pub url: Option<String>,
    /// How long an event may wait while the subscription fails or is paused, in hours; `None`:
    /// 7 days, or the outbox's retention if shorter.
    pub retry_hours: Option<i64>,
}

impl Draft {
    /// What to subscribe, or the field that is wrong.
    fn target(self) -> Result<Target, SubscriptionError> {
        match (self.kind.as_str(), self.url) {
            ("webhook", Some(url)) => Ok(Target::Webhook { url }),
            ("webhook", None) => Err(invalid("url", "a webhook needs `url`")),
            ("kafka", None) => Ok(Target::Kafka),
            ("kafka", Some(_)) => Err(invalid("url", "a Kafka subscription takes no `url`")),
            (other, _) => Err(invalid(
                "kind",
                format!("`{other}` is not a kind (webhook or kafka)"),
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    #[error("no subscription `{0}`")]
    NotFound(String),
    #[error("subscription `{0}` is not pending: there is nothing to confirm")]
    NotPending(String),
    /// The request does not fit the subscription's state.
    #[error("{0}")]
    Conflict(String),
    /// The receiving endpoint did not take what was sent now (a ping, a replay).
    #[error("{0}")]
    ReceiverFailed(String),
    /// No purpose stated, or not the one child data is shown for here.
    #[error(transparent)]
    Denied(#[from] crate::usecase::minors::Denied),
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl SubscriptionError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Forbidden(_) => Outcome::Denied,
            Self::Denied(crate::usecase::minors::Denied::PurposeMissing(_)) => {
                Outcome::PurposeMissing
            }
            Self::Denied(_) => Outcome::Denied,
            Self::Invalid(_) | Self::NotPending(_) | Self::Conflict(_) => Outcome::Rejected,
            Self::NotFound(_) => Outcome::NotFound,
            Self::Unavailable(_) | Self::Unknown(_) | Self::ReceiverFailed(_) => Outcome::Failed,
        }
    }
}

fn invalid(path: &str, message: impl ToString) -> SubscriptionError {
    let mut errors = FieldErrors::default();
    errors.push(path, message);
    SubscriptionError::Invalid(errors)
}

/// What the caller may do with subscriptions, from the policy.
#[derive(Debug, Clone, Copy)]
struct Rights {
    /// Its own agency's: make, confirm, see, end (`subscribe`).
    own: bool,
    /// Every agency's: propose, see, end (`propose_subscription`, the registry's administrators).
    every: bool,
}

impl Subscriptions {
    fn rights(&self, caller: &Principal) -> Rights {
        let may = |op| self.policy.permits(caller.role, op, None, Facts::default());
        Rights {
            own: may(Operation::Subscribe),
            every: may(Operation::ProposeSubscription),
        }
    }

    /// The audit entry of a subscription operation by `caller`; its outcome is set by the result.
    pub(crate) fn entry(&self, caller: &Principal, request_id: &str) -> AuditEntry {
        AuditEntry {
            at: self.clock.now(),
            subject: Some(caller.subject.clone()),
            agency: Some(caller.agency.to_string()),
            role: Some(caller.role.to_string()),
            purpose: None,
            action: Action::Subscription,
            minors: Vec::new(),
            categories: CategorySet::EMPTY,
            outcome: Outcome::Success,
            request_id: request_id.to_owned(),
        }
        .normalised()
    }

    /// Appends the entry of a failed operation (a success was written with its change); if the trail
    /// cannot take it, the answer becomes `Unavailable`.
    pub(crate) fn close<T>(
        &self,
        entry: AuditEntry,
        result: Result<T, SubscriptionError>,
    ) -> Result<T, SubscriptionError> {
        match result {
            Ok(value) => Ok(value),
            Err(e) => {
                self.audit.append(AuditEntry {
                    outcome: e.outcome(),
                    ..entry
                })?;
                Err(e)
            }
        }
    }

    /// Checks a webhook URL: its length here, its scheme, host and addresses by the targets port.
    fn check_url(&self, url: &str) -> Result<(), SubscriptionError> {
        if url.chars().count() > MAX_URL_LENGTH {
            return Err(invalid(
                "url",
                format!("at most {MAX_URL_LENGTH} characters"),
            ));
        }
        self.targets.check(url).map_err(|e| invalid("url", e))
    }

    fn ensure_topic(&self, agency: &AgencyId) -> Result<String, SubscriptionError> {
        let topics = self
            .topics
            .as_ref()
            .ok_or_else(|| invalid("kind", "Kafka is not configured (kafka_brokers)"))?;
        let topic = topic_for(agency);
        topics.ensure_topic(&topic)?;
        Ok(topic)
    }

    /// Subscribes an agency from now on (events already in the outbox are not sent).
    ///
    /// A member of the receiving agency whose role may `subscribe` makes an active subscription:
    /// a webhook gets a new signing secret, returned here only; a Kafka subscription gets its topic
    /// `uam.alerts.<agency>`, created through the admin API. A caller who may
    /// `propose_subscription` (a registry administrator) names another agency and makes a
    /// [`SubscriptionStatus::Pending`] one, which delivers nothing until that agency confirms it
    /// ([`Subscriptions::confirm`], which gives it the secret that counts). Anyone else, and an
    /// agency naming another, is refused. Webhook URLs are checked by [`WebhookTargets`]. The
    /// outcome is audited either way.
    pub fn create(
        &self,
        caller: &Principal,
        request_id: &str,
        draft: Draft,
    ) -> Result<Subscription, SubscriptionError> {
        let entry = self.entry(caller, request_id);
        let result = self.create_checked(caller, draft, &entry);
        self.close(entry, result)
    }

    fn create_checked(
        &self,
        caller: &Principal,
        draft: Draft,
        entry: &AuditEntry,
    ) -> Result<Subscription, SubscriptionError> {
        let rights = self.rights(caller);
        let named = draft
            .agency
            .clone()
            .unwrap_or_else(|| caller.agency.as_str().to_owned());
        let status = if named == caller.agency.as_str() {
            if !rights.own {
                return Err(SubscriptionError::Forbidden(
                    "your role may not subscribe its agency to events (operation `subscribe`)"
                        .into(),
                ));
            }
            SubscriptionStatus::Active
        } else if rights.every {
            SubscriptionStatus::Pending
        } else {
            return Err(SubscriptionError::Forbidden(format!(
                "a subscription belongs to the agency that receives it: only a member of `{named}` \
                 subscribes `{named}` (or confirms a subscription proposed for it)"
            )));
        };
        let agency = AgencyId::parse(&named).map_err(|e| invalid("agency", e))?;
        let retry_for = match draft.retry_hours {
            Some(hours) => self.retry_period(hours)?,
            None => DEFAULT_RETRY_FOR.min(self.retention),
        };
        if self.agencies.find(&agency)?.is_none() {
            return Err(invalid("agency", format!("no agency `{agency}`")));
        }
        let endpoint = match draft.target()? {
            Target::Webhook { url } => {
                self.check_url(&url)?;
                Endpoint::Webhook {
                    url,
                    secret: self.secrets.webhook_secret()?,
                }
            }
            Target::Kafka if status == SubscriptionStatus::Pending => {
                if self.topics.is_none() {
                    return Err(invalid("kind", "Kafka is not configured (kafka_brokers)"));
                }
                // The topic is created when the agency confirms.
                Endpoint::Kafka {
                    topic: topic_for(&agency),
                }
            }
            Target::Kafka => Endpoint::Kafka {
                topic: self.ensure_topic(&agency)?,
            },
        };
        let subscription = Subscription {
            id: self.ids.new_id(),
            agency,
            endpoint,
            status,
            proposed_by: (status == SubscriptionStatus::Pending).then(|| caller.subject.clone()),
            cursor: self.outbox.head()?,
            retry_for,
            paused_since: None,
            failing: None,
            created_at: self.clock.now(),
        };
        self.subscriptions.create(&subscription, entry)?;
        Ok(subscription)
    }

    /// Confirms a subscription proposed for the caller's agency: from now on (the events written
    /// before are not sent) it delivers. Only a member of the receiving agency whose role may
    /// `subscribe` confirms; the webhook URL is checked again, and the webhook gets a new signing
    /// secret, returned here only (so that only the receiving agency ever knew it, also for a
    /// subscription made before proposals existed). Audited either way.
    pub fn confirm(
        &self,
        caller: &Principal,
        request_id: &str,
        id: &str,
    ) -> Result<Subscription, SubscriptionError> {
        let entry = self.entry(caller, request_id);
        let result = self.confirm_checked(caller, id, &entry);
        self.close(entry, result)
    }

    fn confirm_checked(
        &self,
        caller: &Principal,
        id: &str,
        entry: &AuditEntry,
    ) -> Result<Subscription, SubscriptionError> {
        let subscription = self
            .subscriptions
            .find(id)?
            .ok_or_else(|| SubscriptionError::NotFound(id.to_owned()))?;
        if subscription.agency != caller.agency {
            return Err(SubscriptionError::Forbidden(format!(
                "only a member of `{}` confirms its subscriptions",
                subscription.agency
            )));
        }
        if !self.rights(caller).own {
            return Err(SubscriptionError::Forbidden(
                "your role may not subscribe its agency to events (operation `subscribe`)".into(),
            ));
        }
        if subscription.status != SubscriptionStatus::Pending {
            return Err(SubscriptionError::NotPending(id.to_owned()));
        }
        let endpoint = match subscription.endpoint {
            Endpoint::Webhook { url, .. } => {
                self.check_url(&url)?;
                Endpoint::Webhook {
                    url,
                    secret: self.secrets.webhook_secret()?,
                }
            }
            Endpoint::Kafka { topic } => {
                self.ensure_topic(&subscription.agency)?;
                Endpoint::Kafka { topic }
            }
        };
        let secret = match &endpoint {
            Endpoint::Webhook { secret, .. } => Some(secret.as_str()),
            Endpoint::Kafka { .. } => None,
        };
        let cursor = self.outbox.head()?;
        if !self.subscriptions.confirm(id, cursor, secret, entry)? {
            return Err(SubscriptionError::NotPending(id.to_owned()));
        }
        Ok(Subscription {
            status: SubscriptionStatus::Active,
            endpoint,
            cursor,
            ..subscription
        })
    }

    /// The subscriptions the caller may see: a registry administrator every one (they hold no
    /// child data), an agency its own. A refusal is audited.
    pub fn list(
        &self,
        caller: &Principal,
        request_id: &str,
    ) -> Result<Vec<Overview>, SubscriptionError> {
        let rights = self.rights(caller);
        let result = if rights.every {
            self.overviews(self.subscriptions.list(None)?)
        } else if rights.own {
            self.overviews(self.subscriptions.list(Some(&caller.agency))?)
        } else {
            Err(SubscriptionError::Forbidden(
                "your role neither subscribes nor manages subscriptions".into(),
            ))
        };
        self.close_refusal(caller, request_id, result)
    }

    fn overviews(
        &self,
        subscriptions: Vec<Subscription>,
    ) -> Result<Vec<Overview>, SubscriptionError> {
        let counts = self.subscriptions.dead_letter_counts()?;
        subscriptions
            .into_iter()
            .map(|subscription| {
                let failing_event = match subscription.failing.as_ref().and_then(|f| f.seq) {
                    Some(seq) => self.outbox.get(seq)?.map(|e| e.event.id),
                    None => None,
                };
                Ok(Overview {
                    backlog: self.outbox.backlog(subscription.cursor)?,
                    dead_letters: counts.get(&subscription.id).copied().unwrap_or(0),
                    failing_event,
                    // The period in force: never longer than the outbox keeps events.
                    subscription: Subscription {
                        retry_for: subscription.retry_for.min(self.retention),
                        ..subscription
                    },
                })
            })
            .collect()
    }

    /// A retry period of `hours`, or the error naming `retry_hours`: at least one hour, at most
    /// the outbox's retention.
    fn retry_period(&self, hours: i64) -> Result<Duration, SubscriptionError> {
        let most = self.retention.num_hours();
        if !(1..=most).contains(&hours) {
            return Err(invalid(
                "retry_hours",
                format!(
                    "{hours} is out of range: from 1 hour to the outbox's retention, {most} hours"
                ),
            ));
        }
        Ok(Duration::hours(hours))
    }

    /// Pauses or resumes a subscription, or changes its retry period: only a member of the
    /// receiving agency whose role may `subscribe`, on a subscription that is not pending.
    /// Pausing holds the events (those that wait longer than the retry period go to the dead
    /// letters); resuming makes them due at once. Audited either way.
    pub fn change(
        &self,
        caller: &Principal,
        request_id: &str,
        id: &str,
        draft: ChangeDraft,
    ) -> Result<Overview, SubscriptionError> {
        let entry = self.entry(caller, request_id);
        let result = (|| {
            let subscription = self.owned(caller, id)?;
            if subscription.status == SubscriptionStatus::Pending {
                return Err(SubscriptionError::Conflict(format!(
                    "subscription `{id}` is pending: confirm it first"
                )));
            }
            let change = SubscriptionChange {
                paused: draft.paused,
                retry_for: draft
                    .retry_hours
                    .map(|h| self.retry_period(h))
                    .transpose()?,
            };
            let changed = self
                .subscriptions
                .change(id, &change, self.clock.now(), &entry)?
                .ok_or_else(|| SubscriptionError::NotFound(id.to_owned()))?;
            self.overviews(vec![changed])?
                .pop()
                .ok_or_else(|| SubscriptionError::NotFound(id.to_owned()))
        })();
        self.close(entry, result)
    }

    /// A subscription of the caller's own agency, if the caller's role may `subscribe`: what only
    /// the receiving agency decides (its settings, its dead letters, a ping).
    pub(crate) fn owned(
        &self,
        caller: &Principal,
        id: &str,
    ) -> Result<Subscription, SubscriptionError> {
        if !self.rights(caller).own {
            return Err(SubscriptionError::Forbidden(
                "only a member of the receiving agency whose role may subscribe (operation \
                 `subscribe`) acts on a subscription's deliveries"
                    .into(),
            ));
        }
        let subscription = self
            .subscriptions
            .find(id)?
            .ok_or_else(|| SubscriptionError::NotFound(id.to_owned()))?;
        if subscription.agency != caller.agency {
            return Err(SubscriptionError::Forbidden(format!(
                "subscription `{id}` belongs to `{}`: only its members act on its deliveries",
                subscription.agency
            )));
        }
        Ok(subscription)
    }

    /// One subscription, if the caller may see it (see [`Subscriptions::list`]). A refusal is
    /// audited.
    pub fn get(
        &self,
        caller: &Principal,
        request_id: &str,
        id: &str,
    ) -> Result<Overview, SubscriptionError> {
        let result = self.visible(caller, id).and_then(|s| {
            self.overviews(vec![s])?
                .pop()
                .ok_or_else(|| SubscriptionError::NotFound(id.to_owned()))
        });
        self.close_refusal(caller, request_id, result)
    }

    fn visible(&self, caller: &Principal, id: &str) -> Result<Subscription, SubscriptionError> {
        let rights = self.rights(caller);
        if !rights.own && !rights.every {
            return Err(SubscriptionError::Forbidden(
                "your role neither subscribes nor manages subscriptions".into(),
            ));
        }
        let subscription = self
            .subscriptions
            .find(id)?
            .ok_or_else(|| SubscriptionError::NotFound(id.to_owned()))?;
        if !rights.every && subscription.agency != caller.agency {
            return Err(SubscriptionError::Forbidden(format!(
                "subscription `{id}` belongs to another agency"
            )));
        }
        Ok(subscription)
    }

    /// Audits a read only when it was refused (a read discloses no child data).
    fn close_refusal<T>(
        &self,
        caller: &Principal,
        request_id: &str,
        result: Result<T, SubscriptionError>,
    ) -> Result<T, SubscriptionError> {
        match result {
            Err(e @ SubscriptionError::Forbidden(_)) => {
                self.close(self.entry(caller, request_id), Err(e))
            }
            other => other,
        }
    }

    /// Ends a subscription (a pending one: declines it): the receiving agency its own, a registry
    /// administrator any. Audited either way.
    pub fn delete(
        &self,
        caller: &Principal,
        request_id: &str,
        id: &str,
    ) -> Result<(), SubscriptionError> {
        let entry = self.entry(caller, request_id);
        let result = self.visible(caller, id).and_then(|_| {
            if self.subscriptions.delete(id, &entry)? {
                Ok(())
            } else {
                Err(SubscriptionError::NotFound(id.to_owned()))
            }
        });
        self.close(entry, result)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::agency::{Agency, AgencyKind, AgencyName, CountryCode, NewAgency};
    use crate::audit::{ChainedEntry, VerifyReport};
    use crate::page::{Page, PageRequest};
    use crate::ports::{InsertAgencyError, OutboxEvent, Progress, TargetRefused};
    use crate::role::Role;

    /// Subscriptions in memory, with the audit entries written beside each change.
    #[derive(Default)]
    struct Store {
        subs: Mutex<Vec<Subscription>>,
        written: Mutex<Vec<AuditEntry>>,
    }

    impl SubscriptionRepository for Store {
        fn create(&self, s: &Subscription, audit: &AuditEntry) -> anyhow::Result<()> {
            self.subs.lock().unwrap().push(s.clone());
            self.written.lock().unwrap().push(audit.clone());
            Ok(())
        }
        fn list(&self, agency: Option<&AgencyId>) -> anyhow::Result<Vec<Subscription>> {
            let subs = self.subs.lock().unwrap();
            Ok(subs
                .iter()
                .filter(|s| agency.is_none_or(|a| &s.agency == a))
                .cloned()
                .collect())
        }
        fn find(&self, id: &str) -> anyhow::Result<Option<Subscription>> {
            Ok(self
                .subs
                .lock()
                .unwrap()
                .iter()
                .find(|s| s.id == id)
                .cloned())
        }
        fn confirm(
            &self,
            id: &str,
            cursor: i64,
            secret: Option<&str>,
            audit: &AuditEntry,
        ) -> anyhow::Result<bool> {
            let mut subs = self.subs.lock().unwrap();
            let Some(s) = subs
                .iter_mut()
                .find(|s| s.id == id && s.status == SubscriptionStatus::Pending)
            else {
                return Ok(false);
            };
            s.status = SubscriptionStatus::Active;
            s.cursor = cursor;
            if let (Endpoint::Webhook { secret: old, .. }, Some(new)) = (&mut s.endpoint, secret) {
                *old = new.to_owned();
            }
            self.written.lock().unwrap().push(audit.clone());
            Ok(true)
        }
        fn delete(&self, id: &str, audit: &AuditEntry) -> anyhow::Result<bool> {
            let mut subs = self.subs.lock().unwrap();
            let before = subs.len();
            subs.retain(|s| s.id != id);
            if subs.len() == before {
                return Ok(false);
            }
            self.written.lock().unwrap().push(audit.clone());
            Ok(true)
        }
        fn change(
            &self,
            id: &str,
            change: &SubscriptionChange,
            now: DateTime<Utc>,
            audit: &AuditEntry,
        ) -> anyhow::Result<Option<Subscription>> {
            let mut subs = self.subs.lock().unwrap();
            let Some(s) = subs
                .iter_mut()
                .find(|s| s.id == id && s.status != SubscriptionStatus::Pending)
            else {
                return Ok(None);
            };
            if let Some(retry_for) = change.retry_for {
                s.retry_for = retry_for;
            }
            match change.paused {
                Some(true) => {
                    s.status = SubscriptionStatus::Paused;
                    s.paused_since.get_or_insert(now);
                    s.failing = None;
                }
                Some(false) => {
                    s.status = SubscriptionStatus::Active;
                    s.paused_since = None;
                    s.failing = None;
                }
                None => {}
            }
            self.written.lock().unwrap().push(audit.clone());
            Ok(Some(s.clone()))
        }
        fn dead_letters(&self, _: &str) -> anyhow::Result<Vec<crate::ports::DeadLetter>> {
            Ok(vec![])
        }
        fn dead_letter_counts(&self) -> anyhow::Result<std::collections::HashMap<String, u64>> {
            Ok(std::collections::HashMap::new())
        }
        fn dead_letter_failing(
            &self,
            _: &str,
            _: &crate::ports::DeadLetter,
            _: &AuditEntry,
        ) -> anyhow::Result<bool> {
            unimplemented!()
        }
        fn resolve_dead_letter(
            &self,
            _: &str,
            _: i64,
            _: &crate::ports::Resolution,
            _: &[AuditEntry],
        ) -> anyhow::Result<bool> {
            unimplemented!()
        }
        fn deliver_due(
            &self,
            _: DateTime<Utc>,
            _: crate::ports::Lane,
            _: usize,
            _: &mut dyn FnMut(&[Subscription]) -> Vec<Progress>,
        ) -> anyhow::Result<usize> {
            unimplemented!()
        }
    }

    /// An outbox whose head moves when told.
    #[derive(Default)]
    struct Head(Mutex<i64>);
    impl Outbox for Head {
        fn after(&self, _: i64, _: usize) -> anyhow::Result<Vec<OutboxEvent>> {
            Ok(vec![])
        }
        fn head(&self) -> anyhow::Result<i64> {
            Ok(*self.0.lock().unwrap())
        }
        fn get(&self, _: i64) -> anyhow::Result<Option<OutboxEvent>> {
            Ok(None)
        }
        fn backlog(&self, seq: i64) -> anyhow::Result<Backlog> {
            Ok(Backlog {
                events: u64::try_from(*self.0.lock().unwrap() - seq).unwrap_or(0),
                oldest: None,
            })
        }
        fn horizon(&self) -> anyhow::Result<i64> {
            Ok(0)
        }
        fn prune(&self, _: DateTime<Utc>) -> anyhow::Result<u64> {
            Ok(0)
        }
    }

    /// The demo agencies: each id names its kind.
    struct Directory;
    impl AgencyRepository for Directory {
        fn insert(&self, _: &NewAgency, _: DateTime<Utc>) -> Result<Agency, InsertAgencyError> {
            unimplemented!()
        }
        fn find(&self, id: &AgencyId) -> anyhow::Result<Option<Agency>> {
            let kind = match id.as_str() {
                "registry" => AgencyKind::Registry,
                "guardian" => AgencyKind::Guardian,
                "police" => AgencyKind::Police,
                "immigration" => AgencyKind::ImmigrationOffice,
                _ => return Ok(None),
            };
            Ok(Some(Agency {
                id: id.clone(),
                kind,
                name: AgencyName::parse("A").unwrap(),
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

    #[derive(Default)]
    struct Trail(Mutex<Vec<AuditEntry>>);
    impl AuditLog for Trail {
        fn append(&self, entry: AuditEntry) -> Result<(), AuditUnavailable> {
            self.0.lock().unwrap().push(entry);
            Ok(())
        }
        fn for_minor(
            &self,
            _: &str,
            _: &PageRequest<i64>,
        ) -> anyhow::Result<Page<ChainedEntry, i64>> {
            unimplemented!()
        }
        fn verify(&self) -> anyhow::Result<VerifyReport> {
            unimplemented!()
        }
    }

    /// Refuses every URL that does not start with `https://public.example/`.
    struct PublicOnly;
    impl WebhookTargets for PublicOnly {
        fn check(&self, url: &str) -> Result<(), TargetRefused> {
            if url.starts_with("https://public.example/") {
                Ok(())
            } else {
                Err(TargetRefused("not public".into()))
            }
        }
    }

    struct Counter(Mutex<u32>);
    impl IdGenerator for Counter {
        fn new_id(&self) -> String {
            let mut n = self.0.lock().unwrap();
            *n += 1;
            format!("s{n}")
        }
    }

    /// whsec_1, whsec_2, ...
    #[derive(Default)]
    struct Secrets(Mutex<u32>);
    impl SecretGenerator for Secrets {
        fn webhook_secret(&self) -> anyhow::Result<String> {
            let mut n = self.0.lock().unwrap();
            *n += 1;
            Ok(format!("whsec_{n}"))
        }
    }

    struct Epoch;
    impl Clock for Epoch {
        fn now(&self) -> DateTime<Utc> {
            DateTime::UNIX_EPOCH
        }
    }

    struct World {
        use_case: Subscriptions,
        store: Arc<Store>,
        trail: Arc<Trail>,
        head: Arc<Head>,
    }

    fn world() -> World {
        let store = Arc::new(Store::default());
        let trail = Arc::new(Trail::default());
        let head = Arc::new(Head::default());
        let document: crate::policy::PolicyDocument =
            toml::from_str(crate::policy::DEFAULT_POLICY_TOML).unwrap();
        let use_case = Subscriptions {
            subscriptions: store.clone(),
            outbox: head.clone(),
            agencies: Arc::new(Directory),
            policy: Arc::new(Policy::from_document(document).unwrap()),
            audit: trail.clone(),
            targets: Arc::new(PublicOnly),
            ids: Arc::new(Counter(Mutex::new(0))),
            secrets: Arc::new(Secrets::default()),
            clock: Arc::new(Epoch),
            topics: None,
            retention: crate::usecase::relay::DEFAULT_OUTBOX_RETENTION,
        };
        World {
            use_case,
            store,
            trail,
            head,
        }
    }

    fn caller(agency: &str, role: Role) -> Principal {
        let agency = AgencyId::parse(agency).unwrap();
        let kind = Directory.find(&agency).unwrap().unwrap().kind;
        Principal {
            subject: format!("{role}-1"),
            agency,
            agency_kind: kind,
            role,
        }
    }

    fn hook(agency: Option<&str>, url: &str) -> Draft {
        Draft {
            agency: agency.map(str::to_owned),
            kind: "webhook".into(),
            url: Some(url.into()),
            retry_hours: None,
        }
    }

    const URL: &str = "https://public.example/hook";

    #[test]
    fn an_agency_subscribes_itself_and_the_change_is_audited_with_it() {
        let w = world();
        let guardian = caller("guardian", Role::Guardian);
        let s = w.use_case.create(&guardian, "r1", hook(None, URL)).unwrap();
        assert_eq!(s.agency.as_str(), "guardian");
        assert_eq!(s.status, SubscriptionStatus::Active);
        assert_eq!(s.proposed_by, None);
        let written = w.store.written.lock().unwrap();
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].action, Action::Subscription);
        assert_eq!(written[0].outcome, Outcome::Success);
        assert_eq!(written[0].subject.as_deref(), Some("guardian-1"));
        assert_eq!(written[0].request_id, "r1");
        assert!(w.trail.0.lock().unwrap().is_empty());
    }

    #[test]
    fn an_admin_only_proposes_and_the_agency_confirms_from_then_on() {
        let w = world();
        let admin = caller("registry", Role::RegistryAdmin);
        let s = w
            .use_case
            .create(&admin, "r1", hook(Some("guardian"), URL))
            .unwrap();
        assert_eq!(s.status, SubscriptionStatus::Pending);
        assert_eq!(s.proposed_by.as_deref(), Some("registry_admin-1"));
        // Events are written meanwhile; the confirmation starts after them.
        *w.head.0.lock().unwrap() = 7;
        let guardian = caller("guardian", Role::Guardian);
        let confirmed = w.use_case.confirm(&guardian, "r2", &s.id).unwrap();
        assert_eq!(confirmed.status, SubscriptionStatus::Active);
        assert_eq!(confirmed.cursor, 7);
        let secret = |s: &Subscription| match &s.endpoint {
            Endpoint::Webhook { secret, .. } => secret.clone(),
            Endpoint::Kafka { .. } => panic!("a webhook"),
        };
        assert_eq!(
            (secret(&s), secret(&confirmed)),
            ("whsec_1".to_owned(), "whsec_2".to_owned()),
            "a new secret, which the administrator never saw"
        );
        assert_eq!(
            secret(&w.store.subs.lock().unwrap()[0]),
            "whsec_2",
            "stored"
        );
        assert_eq!(w.store.written.lock().unwrap().len(), 2, "both audited");
        let again = w.use_case.confirm(&guardian, "r3", &s.id);
        assert!(matches!(again, Err(SubscriptionError::NotPending(_))));
    }

    #[test]
    fn refusals_are_audited_and_change_nothing() {
        let w = world();
        let police = caller("police", Role::PoliceOfficer);
        let admin = caller("registry", Role::RegistryAdmin);
        let immigration = caller("immigration", Role::ImmigrationOfficer);
        // An agency for another; an admin for its own agency; a role without `subscribe`.
        for (who, draft) in [
            (&police, hook(Some("guardian"), URL)),
            (&admin, hook(None, URL)),
            (&immigration, hook(None, URL)),
        ] {
            let e = w.use_case.create(who, "r", draft).unwrap_err();
            assert!(matches!(e, SubscriptionError::Forbidden(_)), "{e}");
        }
        let e = w
            .use_case
            .create(&police, "r", hook(None, "http://10.0.0.1/"))
            .unwrap_err();
        match e {
            SubscriptionError::Invalid(f) => assert_eq!(f.0[0].path, "url"),
            other => panic!("{other}"),
        }
        let outcomes: Vec<Outcome> = w
            .trail
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.outcome)
            .collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Denied,
                Outcome::Denied,
                Outcome::Denied,
                Outcome::Rejected
            ]
        );
        assert!(w.store.subs.lock().unwrap().is_empty());
    }

    #[test]
    fn only_the_receiving_agency_confirms_and_each_sees_its_own() {
        let w = world();
        let admin = caller("registry", Role::RegistryAdmin);
        let police = caller("police", Role::PoliceOfficer);
        let proposed = w
            .use_case
            .create(&admin, "r", hook(Some("guardian"), URL))
            .unwrap();
        w.use_case.create(&police, "r", hook(None, URL)).unwrap();
        for who in [&police, &admin] {
            let e = w.use_case.confirm(who, "r", &proposed.id).unwrap_err();
            assert!(matches!(e, SubscriptionError::Forbidden(_)), "{e}");
        }
        assert_eq!(
            w.store.subs.lock().unwrap()[0].status,
            SubscriptionStatus::Pending
        );
        let own: Vec<String> = w
            .use_case
            .list(&police, "r")
            .unwrap()
            .into_iter()
            .map(|s| s.subscription.agency.to_string())
            .collect();
        assert_eq!(own, ["police"]);
        assert_eq!(w.use_case.list(&admin, "r").unwrap().len(), 2);
        let e = w.use_case.get(&police, "r", &proposed.id).unwrap_err();
        assert!(matches!(e, SubscriptionError::Forbidden(_)));
        let e = w.use_case.delete(&police, "r", &proposed.id).unwrap_err();
        assert!(matches!(e, SubscriptionError::Forbidden(_)));
        w.use_case.delete(&admin, "r", &proposed.id).unwrap();
        assert_eq!(w.store.subs.lock().unwrap().len(), 1);
    }

    #[test]
    fn only_the_receiving_agency_pauses_and_the_retry_period_stays_within_the_retention() {
        let w = world();
        let police = caller("police", Role::PoliceOfficer);
        let admin = caller("registry", Role::RegistryAdmin);
        let s = w.use_case.create(&police, "r", hook(None, URL)).unwrap();
        assert_eq!(s.retry_for, Duration::days(7), "the default");
        let pause = ChangeDraft {
            paused: Some(true),
            retry_hours: None,
        };
        let e = w.use_case.change(&admin, "r", &s.id, pause).unwrap_err();
        assert!(matches!(e, SubscriptionError::Forbidden(_)), "{e}");
        let paused = w.use_case.change(&police, "r", &s.id, pause).unwrap();
        assert_eq!(paused.subscription.status, SubscriptionStatus::Paused);
        for hours in [0, -1, 721] {
            let e = w
                .use_case
                .change(
                    &police,
                    "r",
                    &s.id,
                    ChangeDraft {
                        paused: None,
                        retry_hours: Some(hours),
                    },
                )
                .unwrap_err();
            match e {
                SubscriptionError::Invalid(f) => assert_eq!(f.0[0].path, "retry_hours"),
                other => panic!("{hours}: {other}"),
            }
        }
        let longest = ChangeDraft {
            paused: Some(false),
            retry_hours: Some(720),
        };
        let changed = w.use_case.change(&police, "r", &s.id, longest).unwrap();
        assert_eq!(changed.subscription.status, SubscriptionStatus::Active);
        assert_eq!(changed.subscription.retry_for, Duration::days(30));
        let outcomes: Vec<Outcome> = w
            .trail
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.outcome)
            .collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Denied,
                Outcome::Rejected,
                Outcome::Rejected,
                Outcome::Rejected
            ],
            "each refusal audited"
        );
    }
}
