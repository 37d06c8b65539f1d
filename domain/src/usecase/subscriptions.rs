//! Agencies' subscriptions to the alert stream, managed by the registry's administrators.

use std::sync::Arc;

use crate::agency::AgencyId;
use crate::policy::{Facts, Operation, Policy};
use crate::ports::{
    AgencyRepository, Clock, Endpoint, IdGenerator, Outbox, SecretGenerator, Subscription,
    SubscriptionRepository, TopicAdmin,
};
use crate::principal::Principal;

/// The topic of an agency's Kafka subscription.
pub fn topic_for(agency: &AgencyId) -> String {
    format!("uam.alerts.{agency}")
}

#[derive(Clone)]
pub struct Subscriptions {
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    pub outbox: Arc<dyn Outbox>,
    pub agencies: Arc<dyn AgencyRepository>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
    pub clock: Arc<dyn Clock>,
    /// `None` when no Kafka brokers are configured.
    pub topics: Option<Arc<dyn TopicAdmin>>,
    /// Who manages subscriptions: the `propose_subscription` permit.
    pub policy: Arc<Policy>,
}

/// What to subscribe.
#[derive(Debug, Clone)]
pub enum Target {
    Webhook { url: String },
    Kafka,
}

#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error(
        "only the roles with the `propose_subscription` permit (registry_admin) manage subscriptions"
    )]
    Forbidden,
    #[error("{0}")]
    Invalid(String),
    #[error("no subscription `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl Subscriptions {
    fn admin(&self, caller: &Principal) -> Result<(), SubscriptionError> {
        if self.policy.permits(
            caller.role,
            Operation::ProposeSubscription,
            None,
            Facts::default(),
        ) {
            Ok(())
        } else {
            Err(SubscriptionError::Forbidden)
        }
    }

    /// Subscribes an agency from now on (events already in the outbox are not sent). A webhook
    /// gets a new signing secret, returned here only; a Kafka subscription gets its topic
    /// `uam.alerts.<agency>`, created through the admin API.
    pub fn create(
        &self,
        caller: &Principal,
        agency: &str,
        target: Target,
    ) -> Result<Subscription, SubscriptionError> {
        self.admin(caller)?;
        let agency =
            AgencyId::parse(agency).map_err(|e| SubscriptionError::Invalid(e.to_string()))?;
        if self.agencies.find(&agency)?.is_none() {
            return Err(SubscriptionError::Invalid(format!("no agency `{agency}`")));
        }
        let endpoint = match target {
            Target::Webhook { url } => {
                let ok = (url.starts_with("https://") || url.starts_with("http://"))
                    && url.len() <= 2000;
                if !ok {
                    return Err(SubscriptionError::Invalid(
                        "`url` must be an http(s) URL".into(),
                    ));
                }
                Endpoint::Webhook {
                    url,
                    secret: self.secrets.webhook_secret()?,
                }
            }
            Target::Kafka => {
                let topics = self.topics.as_ref().ok_or_else(|| {
                    SubscriptionError::Invalid("Kafka is not configured (kafka_brokers)".into())
                })?;
                let topic = topic_for(&agency);
                topics.ensure_topic(&topic)?;
                Endpoint::Kafka { topic }
            }
        };
        let subscription = Subscription {
            id: self.ids.new_id(),
            agency,
            endpoint,
            cursor: self.outbox.head()?,
            attempts: 0,
            created_at: self.clock.now(),
        };
        self.subscriptions.create(&subscription)?;
        Ok(subscription)
    }

    pub fn list(&self, caller: &Principal) -> Result<Vec<Subscription>, SubscriptionError> {
        self.admin(caller)?;
        Ok(self.subscriptions.list()?)
    }

    pub fn get(&self, caller: &Principal, id: &str) -> Result<Subscription, SubscriptionError> {
        self.admin(caller)?;
        self.subscriptions
            .find(id)?
            .ok_or_else(|| SubscriptionError::NotFound(id.to_owned()))
    }

    pub fn delete(&self, caller: &Principal, id: &str) -> Result<(), SubscriptionError> {
        self.admin(caller)?;
        if self.subscriptions.delete(id)? {
            Ok(())
        } else {
            Err(SubscriptionError::NotFound(id.to_owned()))
        }
    }
}
