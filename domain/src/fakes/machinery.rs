//! The machinery ports in memory: a clock the tests move, counters, a photo check, a recording
//! sink, webhook targets, topics and tokens.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::ports::{
    Batch, CleanPhoto, Clock, Endpoint, EventSink, IdGenerator, Outages, PhotoCleaner,
    PhotoRejected, RenderedEvent, SecretGenerator, SinkError, Subscription, TargetRefused,
    TokenRejected, TokenVerifier, TopicAdmin, WebhookTargets,
};
use crate::principal::VerifiedClaims;

/// A clock that stands still until a test moves it.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn at(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Ids `id-1`, `id-2`, ...
#[derive(Default)]
pub struct Sequence(Mutex<u64>);

impl IdGenerator for Sequence {
    fn new_id(&self) -> String {
        let mut n = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        format!("id-{n}")
    }
}

/// Secrets `whsec_1`, `whsec_2`, ...
#[derive(Default)]
pub struct Secrets(Mutex<u32>);

impl SecretGenerator for Secrets {
    fn webhook_secret(&self) -> anyhow::Result<String> {
        let mut n = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        Ok(format!("whsec_{n}"))
    }
}

/// Takes content that starts as a JPEG does (`FF D8 FF`) as a 1x1 JPEG; refuses anything else.
pub struct AcceptJpeg;

impl PhotoCleaner for AcceptJpeg {
    fn clean(&self, bytes: &[u8]) -> Result<CleanPhoto, PhotoRejected> {
        if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Err(PhotoRejected("not a JPEG or PNG image".into()));
        }
        Ok(CleanPhoto {
            content_type: "image/jpeg".into(),
            bytes: bytes.to_vec(),
            width: 1,
            height: 1,
        })
    }
}

/// Delivers to every endpoint but those whose URL contains `down`; records what it delivered,
/// by subscription id.
#[derive(Default)]
pub struct RecordingSink(Mutex<Vec<(String, RenderedEvent)>>);

impl RecordingSink {
    /// What was delivered, in order: (subscription id, event).
    pub fn delivered(&self) -> Vec<(String, RenderedEvent)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl EventSink for RecordingSink {
    fn deliver(
        &self,
        subscription: &Subscription,
        events: &[RenderedEvent],
    ) -> (usize, Option<SinkError>) {
        if matches!(&subscription.endpoint, Endpoint::Webhook { url, .. } if url.contains("down")) {
            return (0, Some(SinkError("503 from the receiver".into())));
        }
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(events.iter().map(|e| (subscription.id.clone(), e.clone())));
        (events.len(), None)
    }

    fn deliver_all(&self, batches: &[Batch<'_>]) -> Vec<(usize, Option<SinkError>)> {
        batches
            .iter()
            .map(|b| self.deliver(b.subscription, b.events))
            .collect()
    }
}

/// Lets webhooks go to `https` URLs only.
pub struct HttpsOnly;

impl WebhookTargets for HttpsOnly {
    fn check(&self, url: &str) -> Result<(), TargetRefused> {
        if url.starts_with("https://") {
            Ok(())
        } else {
            Err(TargetRefused("must be https".into()))
        }
    }
}

/// Kafka topics, created on demand.
#[derive(Default)]
pub struct Topics(Mutex<Vec<String>>);

impl TopicAdmin for Topics {
    fn ensure_topic(&self, topic: &str) -> anyhow::Result<()> {
        let mut topics = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !topics.iter().any(|t| t == topic) {
            topics.push(topic.to_owned());
        }
        Ok(())
    }
}

/// Reads a token `subject|agency|role|exp` (RFC 3339) as verified claims, refusing one whose `exp`
/// has passed on its clock (the wall clock of the identity provider); anything else is rejected,
/// with the subject it starts with as the claimed one.
pub struct Tokens(pub Arc<TestClock>);

impl TokenVerifier for Tokens {
    fn verify(&self, token: &str) -> Result<VerifiedClaims, TokenRejected> {
        let parts: Vec<&str> = token.split('|').collect();
        let claimed = parts
            .first()
            .filter(|s| !s.is_empty())
            .map(|s| (*s).to_owned());
        let rejected = |reason: &str| TokenRejected {
            reason: reason.to_owned(),
            claimed_subject: claimed.clone(),
        };
        let [subject, agency, role, exp] = parts.as_slice() else {
            return Err(rejected("not a token"));
        };
        let expires_at: DateTime<Utc> = exp.parse().map_err(|_| rejected("bad exp"))?;
        if expires_at <= self.0.now() {
            return Err(rejected("expired"));
        }
        Ok(VerifiedClaims {
            subject: (*subject).to_owned(),
            agency: (*agency).to_owned(),
            role: (*role).to_owned(),
            expires_at,
        })
    }

    /// Reading a fake token is memory only: everything it verifies is remembered.
    fn recall(&self, token: &str) -> Option<VerifiedClaims> {
        self.verify(token).ok()
    }
}

/// Recognises no outage.
pub struct NoOutages;

impl Outages for NoOutages {
    fn is_outage(&self, _: &anyhow::Error) -> bool {
        false
    }
}
