//! Webhook delivery with Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::ports::{Batch, Endpoint, EventSink, RenderedEvent, SinkError, Subscription};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness for the secret: {e}"))?;
    Ok(format!("whsec_{}", STANDARD.encode(bytes)))
}

/// The `webhook-signature` value of a message.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> anyhow::Result<String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|e| anyhow::anyhow!("the webhook secret is not base64: {e}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| anyhow::anyhow!("{e}"))?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// POSTs each event, in order, stopping at the first failure (any status but 2xx).
pub struct WebhookSink {
    http: reqwest::blocking::Client,
}

impl WebhookSink {
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::blocking::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    fn post(&self, url: &str, secret: &str, event: &RenderedEvent) -> Result<(), SinkError> {
        let body = event.cloudevent.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let signature =
            sign(secret, &event.id, timestamp, &body).map_err(|e| SinkError(e.to_string()))?;
        let res = self
            .http
            .post(url)
            .header("content-type", "application/cloudevents+json")
            .header("webhook-id", &event.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .map_err(|e| SinkError(format!("cannot reach {url}: {e}")))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(SinkError(format!("{url} answered {}", res.status())))
        }
    }
}

impl EventSink for WebhookSink {
    fn deliver(
        &self,
        subscription: &Subscription,
        events: &[RenderedEvent],
    ) -> (usize, Option<SinkError>) {
        let Endpoint::Webhook { url, secret } = &subscription.endpoint else {
            return (0, Some(SinkError("not a webhook subscription".into())));
        };
        for (i, event) in events.iter().enumerate() {
            if let Err(e) = self.post(url, secret, event) {
                return (i, Some(e));
            }
        }
        (events.len(), None)
    }

    /// Serves each subscription on its own thread, so that one slow endpoint does not hold up the
    /// agencies after it in the round.
    fn deliver_all(&self, batches: &[Batch<'_>]) -> Vec<(usize, Option<SinkError>)> {
        if let [one] = batches {
            return vec![self.deliver(one.subscription, one.events)];
        }
        std::thread::scope(|scope| {
            let running: Vec<_> = batches
                .iter()
                .map(|b| scope.spawn(|| self.deliver(b.subscription, b.events)))
                .collect();
            running
                .into_iter()
                .map(|r| {
                    r.join().unwrap_or_else(|_| {
                        (0, Some(SinkError("the delivery thread panicked".into())))
                    })
                })
                .collect()
        })
    }
}

/// [`domain::ports::SecretGenerator`] from the operating system's randomness.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomSecrets;

impl domain::ports::SecretGenerator for RandomSecrets {
    fn webhook_secret(&self) -> anyhow::Result<String> {
        new_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signs_like_the_specification() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let got = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(got, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
