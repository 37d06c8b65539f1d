//! Webhook delivery with Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::ports::{
    Batch, Endpoint, EventSink, RenderedEvent, SinkError, Subscription, TargetRefused,
};
use hmac::{Hmac, Mac};
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
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

/// Where webhooks may go (the operator's `webhook_allowed_hosts`): `https` URLs whose host is, or
/// resolves only to, public addresses. The hosts allowed may also use `http` and any address (a
/// receiver inside the operator's network, or a test's on 127.0.0.1).
#[derive(Debug, Clone, Default)]
pub struct WebhookGuard {
    /// Lower-case host names without a trailing dot, and IP addresses as Rust writes them.
    allowed: Arc<BTreeSet<String>>,
}

/// A host as compared with the allowed ones: a name in lower case without its trailing dot, an
/// address in its canonical form (IPv6 without brackets).
fn normalised(host: &str) -> String {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => bare.trim_end_matches('.').to_ascii_lowercase(),
    }
}

/// Why an address is not public, or `None` for a public unicast address: loopback, private,
/// link-local, shared (carrier-grade NAT), unspecified, multicast, broadcast, documentation,
/// benchmarking and reserved ranges, and IPv6 forms that embed such an IPv4 address (mapped,
/// NAT64, 6to4).
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return non_public_v4(v4);
            }
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                Ipv4Addr::new(a, b, c, d)
            };
            if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_loopback() {
                Some("loopback")
            } else if s[0] & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if s[0] & 0xffc0 == 0xfec0 {
                Some("site-local")
            } else if s[0] & 0xff00 == 0xff00 {
                Some("multicast")
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                Some("documentation")
            } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                non_public_v4(embedded(s[6], s[7]))
            } else if s[0] == 0x2002 {
                non_public_v4(embedded(s[1], s[2]))
            } else if s[..6] == [0; 6] {
                Some("reserved (IPv4-compatible)")
            } else {
                None
            }
        }
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if o[0] == 0 {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if o[0] == 100 && o[1] & 0xc0 == 64 {
        Some("shared (carrier-grade NAT)")
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        Some("reserved (protocol assignments)")
    } else if ip.is_documentation() {
        Some("documentation")
    } else if o[0] == 198 && o[1] & 0xfe == 18 {
        Some("benchmarking")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if o[0] >= 240 {
        Some("reserved")
    } else {
        None
    }
}

impl WebhookGuard {
    /// Allows `hosts` (names or IP addresses, compared case-insensitively) to use `http` and to
    /// resolve to any address.
    pub fn new<S: AsRef<str>>(hosts: impl IntoIterator<Item = S>) -> Self {
        Self {
            allowed: Arc::new(hosts.into_iter().map(|h| normalised(h.as_ref())).collect()),
        }
    }

    /// Whether the operator allowed `host`.
    pub fn allows(&self, host: &str) -> bool {
        self.allowed.contains(&normalised(host))
    }

    /// Checks what can be checked without a lookup: an absolute URL with a host, `https` (or
    /// `http` for an allowed host), and, when the host is an address, that it is public or
    /// allowed. Returns the host, and whether its addresses still need checking (a name not
    /// allowed).
    fn vet(&self, url: &str) -> Result<(String, u16, bool), String> {
        let parsed = Url::parse(url).map_err(|e| format!("is not an absolute URL: {e}"))?;
        // The URL parser writes an address host in its canonical form (`http://167772161/` has
        // the host 10.0.0.1), IPv6 in brackets.
        let name = normalised(parsed.host_str().ok_or("has no host")?);
        let ip = name.parse::<IpAddr>().ok();
        let allowed = self.allows(&name);
        match parsed.scheme() {
            "https" => {}
            "http" if allowed => {}
            "http" => {
                return Err(format!(
                    "must be `https`: `http` only for the hosts in webhook_allowed_hosts, and \
                     `{name}` is not one"
                ));
            }
            other => return Err(format!("must be an `https` URL, not `{other}`")),
        }
        let port = parsed.port_or_known_default().unwrap_or(443);
        if let (Some(ip), false) = (ip, allowed)
            && let Some(kind) = non_public(ip)
        {
            return Err(format!(
                "points to {ip}, a {kind} address, allowed only for the hosts in \
                 webhook_allowed_hosts"
            ));
        }
        Ok((name, port, ip.is_none() && !allowed))
    }

    /// Looks `host` up and returns its addresses, unless one is not public and the host is not
    /// allowed (then none: the whole name is refused, whichever address a connection would use).
    pub fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("its host `{host}` does not resolve: {e}"))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("its host `{host}` has no address"));
        }
        if !self.allows(host)
            && let Some((ip, kind)) = addrs
                .iter()
                .find_map(|a| non_public(a.ip()).map(|kind| (a.ip(), kind)))
        {
            return Err(format!(
                "its host `{host}` resolves to {ip}, a {kind} address, allowed only for the \
                 hosts in webhook_allowed_hosts"
            ));
        }
        Ok(addrs)
    }
}

impl domain::ports::WebhookTargets for WebhookGuard {
    fn check(&self, url: &str) -> Result<(), TargetRefused> {
        let (host, port, lookup) = self.vet(url).map_err(TargetRefused)?;
        if lookup {
            self.resolve(&host, port).map_err(TargetRefused)?;
        }
        Ok(())
    }
}

/// The webhook client's name lookups: each name is resolved, on a thread of its own, by
/// [`WebhookGuard::resolve`], so that a connection goes only to the addresses checked, whatever the
/// name pointed to when the subscription was made (no DNS rebinding).
struct GuardedResolver(WebhookGuard);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.0.clone();
        let host = name.as_str().to_owned();
        let (tx, rx) = futures_channel::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("webhook-dns".into())
            .spawn(move || {
                let _ = tx.send(guard.resolve(&host, 0));
            });
        Box::pin(async move {
            spawned.map_err(|e| format!("no thread for the name lookup: {e}"))?;
            let addrs = rx
                .await
                .map_err(|_| "the name lookup ended without an answer".to_owned())??;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// An error with its causes, as `a: b: c`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// POSTs each event, in order, stopping at the first failure (any status but 2xx). Every URL is
/// checked again by the [`WebhookGuard`] before each request, and every name it resolves at
/// connection time: an address refused fails the delivery (retried, then dead-lettered). No proxy
/// from the environment is used (it would resolve names itself, out of the guard's reach), and no
/// redirect is followed.
pub struct WebhookSink {
    http: reqwest::blocking::Client,
    guard: WebhookGuard,
}

impl WebhookSink {
    pub fn new(timeout: Duration, guard: WebhookGuard) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::blocking::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .dns_resolver(Arc::new(GuardedResolver(guard.clone())))
                .build()?,
            guard,
        })
    }

    fn post(&self, url: &str, secret: &str, event: &RenderedEvent) -> Result<(), SinkError> {
        self.guard
            .vet(url)
            .map_err(|reason| SinkError(format!("{url} {reason}")))?;
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
            .map_err(|e| SinkError(format!("cannot reach {url}: {}", chain(&e))))?;
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
    use domain::ports::WebhookTargets;

    use super::*;

    /// Each range, by one address of it (hand-picked from RFC 6890 and its successors).
    #[test]
    fn only_public_unicast_addresses_are_public() {
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("0.0.0.0", "unspecified"),
            ("192.0.0.8", "reserved (protocol assignments)"),
            ("198.18.0.1", "benchmarking"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fd00::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("::ffff:10.0.0.1", "private"),
            ("::ffff:127.0.0.1", "loopback"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("2002:c0a8:0101::1", "private"),
            ("ff02::1", "multicast"),
        ] {
            assert_eq!(non_public(ip.parse().unwrap()), Some(kind), "{ip}");
        }
        for ip in [
            "93.184.215.14",
            "172.32.0.1",
            "100.128.0.1",
            "8.8.8.8",
            "2a00:1450:4001::1",
        ] {
            assert_eq!(non_public(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn urls_are_https_to_public_addresses_unless_the_host_is_allowed() {
        let guard = WebhookGuard::new(["127.0.0.1", "Receiver.Internal."]);
        for url in [
            "https://93.184.215.14/hook",
            "https://[2a00:1450:4001::1]:8443/hook",
            "http://127.0.0.1:9/hook",
            "https://127.0.0.1/hook",
            // Allowed: neither the scheme nor its addresses are checked (nor looked up).
            "http://receiver.internal/hook",
        ] {
            assert_eq!(guard.check(url), Ok(()), "{url}");
        }
        for (url, says) in [
            ("http://93.184.215.14/hook", "must be `https`"),
            ("ftp://93.184.215.14/hook", "must be an `https` URL"),
            ("/hook", "not an absolute URL"),
            ("https://10.0.0.1/hook", "10.0.0.1, a private address"),
            ("https://169.254.169.254/latest", "a link-local address"),
            ("https://[::1]/hook", "::1, a loopback address"),
            ("https://[::ffff:127.0.0.2]/hook", "a loopback address"),
            // Numeric forms of an address are read as the address.
            ("https://167772161/hook", "10.0.0.1, a private address"),
            ("https://0xa.1/hook", "10.0.0.1, a private address"),
            // A name is looked up: localhost is in every /etc/hosts.
            ("https://localhost/hook", "a loopback address"),
        ] {
            let refused = guard.check(url).expect_err(url);
            assert!(refused.0.contains(says), "{url}: {refused}");
        }
    }

    #[test]
    fn the_resolver_refuses_a_name_of_a_private_address_at_connection_time() {
        let guard = WebhookGuard::new(["127.0.0.1"]);
        let err = guard.resolve("localhost", 0).unwrap_err();
        assert!(err.contains("loopback"), "{err}");
        let allowed = WebhookGuard::new(["localhost"]);
        assert!(!allowed.resolve("localhost", 0).unwrap().is_empty());
    }

    /// A name that passed the check at subscription but points to a private address now is not
    /// connected to: the delivery fails, and nothing is posted.
    #[test]
    fn a_delivery_to_a_name_of_a_loopback_address_fails_before_connecting() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let sink =
            WebhookSink::new(Duration::from_secs(5), WebhookGuard::new(["127.0.0.1"])).unwrap();
        let event = RenderedEvent {
            seq: 1,
            id: "e1".into(),
            key: "m1".into(),
            kind: "be.uam.alert.raised",
            time: chrono::DateTime::UNIX_EPOCH,
            cloudevent: serde_json::json!({}),
            children: vec![],
            disclosed: domain::category::CategorySet::EMPTY,
            purpose: domain::purpose::Purpose::Disappearance,
        };
        let err = sink
            .post(
                &format!("https://localhost:{port}/hook"),
                "whsec_AA==",
                &event,
            )
            .unwrap_err();
        assert!(err.0.contains("loopback"), "{err}");
        assert!(
            listener.accept().is_err(),
            "no connection reached the listener"
        );
    }

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signs_like_the_specification() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let got = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(got, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
