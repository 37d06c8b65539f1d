//! Agencies' subscriptions to the alert stream. A subscription belongs to the agency that receives
//! it: that agency makes it with its own token (operation `subscribe`), or confirms one a registry
//! administrator proposed (operation `propose_subscription`), which delivers nothing until then. An
//! administrator never chooses where another agency's events go. Every change, and every refusal,
//! is in the audit trail (action `subscription`).

use std::sync::Arc;

use chrono::Duration;

use crate::agency::AgencyId;
use crate::audit::Action;
use crate::category::CategorySet;
use crate::policy::{Facts, Operation};
use crate::ports::{
    AgencyRepository, Backlog, Endpoint, IdGenerator, Outbox, SecretGenerator, Subscription,
    SubscriptionChange, SubscriptionRepository, SubscriptionStatus, TopicAdmin, WebhookTargets,
};
use crate::principal::Principal;
use crate::usecase::kernel::{Conflict, Denied, Failure, Kernel, Request, Trail};
use crate::usecase::relay::DEFAULT_RETRY_FOR;

/// The topic of an agency's Kafka subscription.
pub fn topic_for(agency: &AgencyId) -> String {
    format!("uam.alerts.{agency}")
}

/// Longest webhook URL accepted.
pub const MAX_URL_LENGTH: usize = 2000;

/// The ports of the subscriptions service.
pub struct SubscriptionPorts {
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    pub outbox: Arc<dyn Outbox>,
    pub agencies: Arc<dyn AgencyRepository>,
    /// Where a webhook may point.
    pub targets: Arc<dyn WebhookTargets>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
    /// `None` when no Kafka brokers are configured.
    pub topics: Option<Arc<dyn TopicAdmin>>,
}

/// The subscriptions service. Who may subscribe (`subscribe`) and who may propose for others
/// (`propose_subscription`) is the policy's; changes are written with their audit entry by the
/// repository, refusals go to the audit trail.
#[derive(Clone)]
pub struct Subscriptions {
    kernel: Kernel,
    subscriptions: Arc<dyn SubscriptionRepository>,
    outbox: Arc<dyn Outbox>,
    agencies: Arc<dyn AgencyRepository>,
    targets: Arc<dyn WebhookTargets>,
    ids: Arc<dyn IdGenerator>,
    secrets: Arc<dyn SecretGenerator>,
    topics: Option<Arc<dyn TopicAdmin>>,
    /// How long the outbox keeps an event: no retry period is longer.
    retention: Duration,
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
    /// How long ago the oldest event of the backlog was written, in seconds; 0 when none waits.
    pub lag_seconds: i64,
}

impl Overview {
    /// A subscription just made or confirmed: nothing waits yet.
    pub fn fresh(subscription: Subscription) -> Self {
        Self {
            subscription,
            backlog: Backlog::default(),
            dead_letters: 0,
            failing_event: None,
            lag_seconds: 0,
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
    fn target(self) -> Result<Target, Failure> {
        match (self.kind.as_str(), self.url) {
            ("webhook", Some(url)) => Ok(Target::Webhook { url }),
            ("webhook", None) => Err(Failure::invalid("url", "a webhook needs `url`")),
            ("kafka", None) => Ok(Target::Kafka),
            ("kafka", Some(_)) => Err(Failure::invalid(
                "url",
                "a Kafka subscription takes no `url`",
            )),
            (other, _) => Err(Failure::invalid(
                "kind",
                format!("`{other}` is not a kind (webhook or kafka)"),
            )),
        }
    }
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
    pub fn new(kernel: Kernel, ports: SubscriptionPorts, retention: Duration) -> Self {
        Self {
            kernel,
            subscriptions: ports.subscriptions,
            outbox: ports.outbox,
            agencies: ports.agencies,
            targets: ports.targets,
            ids: ports.ids,
            secrets: ports.secrets,
            topics: ports.topics,
            retention,
        }
    }

    fn rights(&self, caller: &Principal) -> Rights {
        let may = |op| {
            self.kernel
                .policy()
                .permits(caller.role, op, None, Facts::default())
        };
        Rights {
            own: may(Operation::Subscribe),
            every: may(Operation::ProposeSubscription),
        }
    }

    /// Runs `work` with the audit entry (action `subscription`, no purpose, no child) of an
    /// operation by `caller`; see [`Kernel::audited`].
    fn audited<T>(
        &self,
        caller: &Principal,
        request_id: &str,
        work: impl FnOnce(&mut Trail) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let rq = Request::without_purpose(caller.clone(), request_id);
        self.kernel.audited(&rq, Action::Subscription, &[], work)
    }

    /// Checks a webhook URL: its length here, its scheme, host and addresses by the targets port.
    fn check_url(&self, url: &str) -> Result<(), Failure> {
        if url.chars().count() > MAX_URL_LENGTH {
            return Err(Failure::invalid(
                "url",
                format!("at most {MAX_URL_LENGTH} characters"),
            ));
        }
        self.targets
            .check(url)
            .map_err(|e| Failure::invalid("url", e))
    }

    fn ensure_topic(&self, agency: &AgencyId) -> Result<String, Failure> {
        let topics = self
            .topics
            .as_ref()
            .ok_or_else(|| Failure::invalid("kind", "Kafka is not configured (kafka_brokers)"))?;
        let topic = topic_for(agency);
        topics.ensure_topic(&topic)?;
        Ok(topic)
    }

    fn find(&self, id: &str) -> Result<Subscription, Failure> {
        self.subscriptions
            .find(id)?
            .ok_or_else(|| Failure::NotFound(format!("no subscription `{id}`")))
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
    ) -> Result<Subscription, Failure> {
        self.audited(caller, request_id, |trail| {
            let rights = self.rights(caller);
            let named = draft
                .agency
                .clone()
                .unwrap_or_else(|| caller.agency.as_str().to_owned());
            let status = if named == caller.agency.as_str() {
                if !rights.own {
                    return Err(Denied::NotPermitted(
                        "your role may not subscribe its agency to events (operation `subscribe`)"
                            .into(),
                    )
                    .into());
                }
                SubscriptionStatus::Active
            } else if rights.every {
                SubscriptionStatus::Pending
            } else {
                return Err(Denied::NotPermitted(format!(
                    "a subscription belongs to the agency that receives it: only a member of \
                     `{named}` subscribes `{named}` (or confirms a subscription proposed for it)"
                ))
                .into());
            };
            let agency = AgencyId::parse(&named).map_err(|e| Failure::invalid("agency", e))?;
            let retry_for = match draft.retry_hours {
                Some(hours) => self.retry_period(hours)?,
                None => DEFAULT_RETRY_FOR.min(self.retention),
            };
            if self.agencies.find(&agency)?.is_none() {
                return Err(Failure::invalid("agency", format!("no agency `{agency}`")));
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
                        return Err(Failure::invalid(
                            "kind",
                            "Kafka is not configured (kafka_brokers)",
                        ));
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
                proposed_by: (status == SubscriptionStatus::Pending)
                    .then(|| caller.subject.clone()),
                cursor: self.outbox.head()?,
                retry_for,
                paused_since: None,
                failing: None,
                created_at: self.kernel.now(),
            };
            self.subscriptions
                .create(&subscription, &trail.for_change(CategorySet::EMPTY))?;
            trail.committed();
            Ok(subscription)
        })
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
    ) -> Result<Subscription, Failure> {
        self.audited(caller, request_id, |trail| {
            let subscription = self.find(id)?;
            if subscription.agency != caller.agency {
                return Err(Denied::NotPermitted(format!(
                    "only a member of `{}` confirms its subscriptions",
                    subscription.agency
                ))
                .into());
            }
            if !self.rights(caller).own {
                return Err(Denied::NotPermitted(
                    "your role may not subscribe its agency to events (operation `subscribe`)"
                        .into(),
                )
                .into());
            }
            let not_pending = || {
                Failure::from(Conflict::State(format!(
                    "subscription `{id}` is not pending: there is nothing to confirm"
                )))
            };
            if subscription.status != SubscriptionStatus::Pending {
                return Err(not_pending());
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
            let entry = trail.for_change(CategorySet::EMPTY);
            if !self.subscriptions.confirm(id, cursor, secret, &entry)? {
                return Err(not_pending());
            }
            trail.committed();
            Ok(Subscription {
                status: SubscriptionStatus::Active,
                endpoint,
                cursor,
                ..subscription
            })
        })
    }

    /// The subscriptions the caller may see: a registry administrator every one (they hold no
    /// child data), an agency its own. A refusal is audited.
    pub fn list(&self, caller: &Principal, request_id: &str) -> Result<Vec<Overview>, Failure> {
        self.audited(caller, request_id, |trail| {
            trail.refusals_only();
            let rights = self.rights(caller);
            if rights.every {
                self.overviews(self.subscriptions.list(None)?)
            } else if rights.own {
                self.overviews(self.subscriptions.list(Some(&caller.agency))?)
            } else {
                Err(Denied::NotPermitted(
                    "your role neither subscribes nor manages subscriptions".into(),
                )
                .into())
            }
        })
    }

    fn overviews(&self, subscriptions: Vec<Subscription>) -> Result<Vec<Overview>, Failure> {
        let counts = self.subscriptions.dead_letter_counts()?;
        let now = self.kernel.now();
        subscriptions
            .into_iter()
            .map(|subscription| {
                let failing_event = match subscription.failing.as_ref().and_then(|f| f.seq) {
                    Some(seq) => self.outbox.get(seq)?.map(|e| e.event.id),
                    None => None,
                };
                let backlog = self.outbox.backlog(subscription.cursor)?;
                Ok(Overview {
                    lag_seconds: backlog
                        .oldest
                        .map_or(0, |oldest| (now - oldest).num_seconds().max(0)),
                    backlog,
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

    fn overview(&self, subscription: Subscription) -> Result<Overview, Failure> {
        let id = subscription.id.clone();
        self.overviews(vec![subscription])?
            .pop()
            .ok_or_else(|| Failure::NotFound(format!("no subscription `{id}`")))
    }

    /// A retry period of `hours`, or the error naming `retry_hours`: at least one hour, at most
    /// the outbox's retention.
    fn retry_period(&self, hours: i64) -> Result<Duration, Failure> {
        let most = self.retention.num_hours();
        if !(1..=most).contains(&hours) {
            return Err(Failure::invalid(
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
    ) -> Result<Overview, Failure> {
        self.audited(caller, request_id, |trail| {
            let subscription = self.owned(caller, id)?;
            if subscription.status == SubscriptionStatus::Pending {
                return Err(Conflict::State(format!(
                    "subscription `{id}` is pending: confirm it first"
                ))
                .into());
            }
            let change = SubscriptionChange {
                paused: draft.paused,
                retry_for: draft
                    .retry_hours
                    .map(|h| self.retry_period(h))
                    .transpose()?,
            };
            let entry = trail.for_change(CategorySet::EMPTY);
            let changed = self
                .subscriptions
                .change(id, &change, self.kernel.now(), &entry)?
                .ok_or_else(|| Failure::NotFound(format!("no subscription `{id}`")))?;
            trail.committed();
            self.overview(changed)
        })
    }

    /// A subscription of the caller's own agency, if the caller's role may `subscribe`: what only
    /// the receiving agency decides (its settings, its dead letters, a ping).
    pub(crate) fn owned(&self, caller: &Principal, id: &str) -> Result<Subscription, Failure> {
        if !self.rights(caller).own {
            return Err(Denied::NotPermitted(
                "only a member of the receiving agency whose role may subscribe (operation \
                 `subscribe`) acts on a subscription's deliveries"
                    .into(),
            )
            .into());
        }
        let subscription = self.find(id)?;
        if subscription.agency != caller.agency {
            return Err(Denied::NotPermitted(format!(
                "subscription `{id}` belongs to `{}`: only its members act on its deliveries",
                subscription.agency
            ))
            .into());
        }
        Ok(subscription)
    }

    /// One subscription, if the caller may see it (see [`Subscriptions::list`]). A refusal is
    /// audited.
    pub fn get(&self, caller: &Principal, request_id: &str, id: &str) -> Result<Overview, Failure> {
        self.audited(caller, request_id, |trail| {
            trail.refusals_only();
            let subscription = self.visible(caller, id)?;
            self.overview(subscription)
        })
    }

    fn visible(&self, caller: &Principal, id: &str) -> Result<Subscription, Failure> {
        let rights = self.rights(caller);
        if !rights.own && !rights.every {
            return Err(Denied::NotPermitted(
                "your role neither subscribes nor manages subscriptions".into(),
            )
            .into());
        }
        let subscription = self.find(id)?;
        if !rights.every && subscription.agency != caller.agency {
            return Err(Denied::NotPermitted(format!(
                "subscription `{id}` belongs to another agency"
            ))
            .into());
        }
        Ok(subscription)
    }

    /// Ends a subscription (a pending one: declines it): the receiving agency its own, a registry
    /// administrator any. Audited either way.
    pub fn delete(&self, caller: &Principal, request_id: &str, id: &str) -> Result<(), Failure> {
        self.audited(caller, request_id, |trail| {
            self.visible(caller, id)?;
            if !self
                .subscriptions
                .delete(id, &trail.for_change(CategorySet::EMPTY))?
            {
                return Err(Failure::NotFound(format!("no subscription `{id}`")));
            }
            trail.committed();
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::agency::AgencyKind;
    use crate::audit::Outcome;
    use crate::fakes::{World, member};
    use crate::role::Role;

    fn world() -> World {
        World::at(DateTime::UNIX_EPOCH)
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

    fn guardian() -> Principal {
        member(AgencyKind::Guardian, Role::Guardian)
    }

    fn admin() -> Principal {
        member(AgencyKind::Registry, Role::RegistryAdmin)
    }

    fn police() -> Principal {
        member(AgencyKind::Police, Role::PoliceOfficer)
    }

    fn outcomes(w: &World) -> Vec<Outcome> {
        w.store.audit_entries().iter().map(|e| e.outcome).collect()
    }

    #[test]
    fn an_agency_subscribes_itself_and_the_change_is_audited_with_it() {
        let w = world();
        let s = w
            .subscriptions
            .create(&guardian(), "r1", hook(None, URL))
            .unwrap();
        assert_eq!(s.agency.as_str(), "guardian");
        assert_eq!(s.status, SubscriptionStatus::Active);
        assert_eq!(s.proposed_by, None);
        let written = w.store.audit_entries();
        assert_eq!(written.len(), 1, "once: with the change, not again");
        assert_eq!(written[0].action, Action::Subscription);
        assert_eq!(written[0].outcome, Outcome::Success);
        assert_eq!(written[0].subject.as_deref(), Some("guardian-1"));
        assert_eq!(written[0].purpose, None);
        assert_eq!(written[0].request_id, "r1");
    }

    #[test]
    fn an_admin_only_proposes_and_the_agency_confirms_from_then_on() {
        let w = world();
        let s = w
            .subscriptions
            .create(&admin(), "r1", hook(Some("guardian"), URL))
            .unwrap();
        assert_eq!(s.status, SubscriptionStatus::Pending);
        assert_eq!(s.proposed_by.as_deref(), Some("registry_admin-1"));
        let confirmed = w.subscriptions.confirm(&guardian(), "r2", &s.id).unwrap();
        assert_eq!(confirmed.status, SubscriptionStatus::Active);
        let secret = |s: &Subscription| match &s.endpoint {
            Endpoint::Webhook { secret, .. } => secret.clone(),
            Endpoint::Kafka { .. } => panic!("a webhook"),
        };
        assert_eq!(
            (secret(&s), secret(&confirmed)),
            ("whsec_1".to_owned(), "whsec_2".to_owned()),
            "a new secret, which the administrator never saw"
        );
        assert_eq!(secret(&w.store.subscriptions()[0]), "whsec_2", "stored");
        assert_eq!(outcomes(&w), [Outcome::Success, Outcome::Success]);
        let again = w.subscriptions.confirm(&guardian(), "r3", &s.id);
        assert!(
            matches!(again, Err(Failure::Conflict(Conflict::State(_)))),
            "{again:?}"
        );
    }

    #[test]
    fn refusals_are_audited_and_change_nothing() {
        let w = world();
        let immigration = member(AgencyKind::ImmigrationOffice, Role::ImmigrationOfficer);
        // An agency for another; an admin for its own agency; a role without `subscribe`.
        for (who, draft) in [
            (police(), hook(Some("guardian"), URL)),
            (admin(), hook(None, URL)),
            (immigration, hook(None, URL)),
        ] {
            let e = w.subscriptions.create(&who, "r", draft).unwrap_err();
            assert!(matches!(e, Failure::Denied(Denied::NotPermitted(_))), "{e}");
        }
        let e = w
            .subscriptions
            .create(&police(), "r", hook(None, "http://10.0.0.1/"))
            .unwrap_err();
        match e {
            Failure::Invalid(f) => assert_eq!(f.0[0].path, "url"),
            other => panic!("{other}"),
        }
        assert_eq!(
            outcomes(&w),
            [
                Outcome::Denied,
                Outcome::Denied,
                Outcome::Denied,
                Outcome::Rejected
            ]
        );
        assert!(w.store.subscriptions().is_empty());
    }

    #[test]
    fn only_the_receiving_agency_confirms_and_each_sees_its_own() {
        let w = world();
        let proposed = w
            .subscriptions
            .create(&admin(), "r", hook(Some("guardian"), URL))
            .unwrap();
        w.subscriptions
            .create(&police(), "r", hook(None, URL))
            .unwrap();
        for who in [police(), admin()] {
            let e = w
                .subscriptions
                .confirm(&who, "r", &proposed.id)
                .unwrap_err();
            assert!(matches!(e, Failure::Denied(_)), "{e}");
        }
        assert_eq!(
            w.store.subscriptions()[0].status,
            SubscriptionStatus::Pending
        );
        let own: Vec<String> = w
            .subscriptions
            .list(&police(), "r")
            .unwrap()
            .into_iter()
            .map(|s| s.subscription.agency.to_string())
            .collect();
        assert_eq!(own, ["police"]);
        assert_eq!(w.subscriptions.list(&admin(), "r").unwrap().len(), 2);
        let e = w
            .subscriptions
            .get(&police(), "r", &proposed.id)
            .unwrap_err();
        assert!(matches!(e, Failure::Denied(_)));
        let e = w
            .subscriptions
            .delete(&police(), "r", &proposed.id)
            .unwrap_err();
        assert!(matches!(e, Failure::Denied(_)));
        w.subscriptions.delete(&admin(), "r", &proposed.id).unwrap();
        assert_eq!(w.store.subscriptions().len(), 1);
        assert_eq!(
            outcomes(&w),
            [
                Outcome::Success,
                Outcome::Success,
                Outcome::Denied,
                Outcome::Denied,
                Outcome::Denied,
                Outcome::Denied,
                Outcome::Success
            ],
            "listings are not recorded; every refusal is"
        );
    }

    #[test]
    fn only_the_receiving_agency_pauses_and_the_retry_period_stays_within_the_retention() {
        let w = world();
        let s = w
            .subscriptions
            .create(&police(), "r", hook(None, URL))
            .unwrap();
        assert_eq!(s.retry_for, Duration::days(7), "the default");
        let pause = ChangeDraft {
            paused: Some(true),
            retry_hours: None,
        };
        let e = w
            .subscriptions
            .change(&admin(), "r", &s.id, pause)
            .unwrap_err();
        assert!(matches!(e, Failure::Denied(_)), "{e}");
        let paused = w
            .subscriptions
            .change(&police(), "r", &s.id, pause)
            .unwrap();
        assert_eq!(paused.subscription.status, SubscriptionStatus::Paused);
        for hours in [0, -1, 721] {
            let e = w
                .subscriptions
                .change(
                    &police(),
                    "r",
                    &s.id,
                    ChangeDraft {
                        paused: None,
                        retry_hours: Some(hours),
                    },
                )
                .unwrap_err();
            match e {
                Failure::Invalid(f) => assert_eq!(f.0[0].path, "retry_hours"),
                other => panic!("{hours}: {other}"),
            }
        }
        let longest = ChangeDraft {
            paused: Some(false),
            retry_hours: Some(720),
        };
        let changed = w
            .subscriptions
            .change(&police(), "r", &s.id, longest)
            .unwrap();
        assert_eq!(changed.subscription.status, SubscriptionStatus::Active);
        assert_eq!(changed.subscription.retry_for, Duration::days(30));
        assert_eq!(
            outcomes(&w),
            [
                Outcome::Success,
                Outcome::Denied,
                Outcome::Success,
                Outcome::Rejected,
                Outcome::Rejected,
                Outcome::Rejected,
                Outcome::Success
            ],
            "each change and each refusal audited"
        );
    }
}
