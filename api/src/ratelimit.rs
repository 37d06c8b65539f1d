//! Rate limits (OWASP API6), per instance, with `governor`'s keyed GCRA limiters: one budget per
//! authenticated subject (its agency and `sub`), one per source address for unauthenticated
//! requests and failed authentications. A request over its budget is refused with 429
//! problem+json and `Retry-After` before any handler runs; it touches no child data.
//!
//! Two middlewares share one [`RateLimits`] (application data):
//! [`per_address`] wraps [`crate::auth::authenticate_first`] and [`per_subject`] runs inside it,
//! so that the token is verified once, by the authentication step, and the subject budget is
//! charged with the principal it found. The health probes are never limited.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::auth::{AuthenticationFailed, Caller, needs_authentication};
use crate::config::Settings;
use crate::problem::Problem;

/// Paths never limited: orchestrators probe them from one address, often.
const UNLIMITED_PATHS: [&str; 2] = ["/health/live", "/health/ready"];

/// Keys forgotten once their state is back to a fresh one, every this many charges.
const HOUSEKEEPING_EVERY: u64 = 4096;

/// Whose budget a request is charged to: the subject of a verified token at its agency.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SubjectKey {
    agency: String,
    subject: String,
}

/// The source address a budget belongs to: an IPv4 address, or the /64 prefix of an IPv6 one (a
/// single host is usually given a whole /64, so counting each of its addresses apart would let
/// one host multiply its budget). `None` when the connection has no peer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct AddressKey(Option<IpAddr>);

impl AddressKey {
    fn of(peer: Option<IpAddr>) -> Self {
        Self(peer.map(|ip| match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1_u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
            v4 => v4,
        }))
    }
}

/// One keyed budget: `rate` requests a minute sustained, `burst` at once. The clock is
/// `governor`'s monotonic one, or a fake one in unit tests.
struct Budget<K: Clone + Eq + Hash, C: Clock = DefaultClock> {
    limiter: RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<C::Instant>>,
}

impl<K: Clone + Eq + Hash> Budget<K> {
    /// `None` when `rate` is 0 (no limit).
    fn new(rate: u32, burst: u32) -> Option<Self> {
        Self::with_clock(rate, burst, DefaultClock::default())
    }
}

impl<K: Clone + Eq + Hash, C: Clock> Budget<K, C> {
    fn with_clock(rate: u32, burst: u32, clock: C) -> Option<Self> {
        let rate = NonZeroU32::new(rate)?;
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(rate).allow_burst(burst);
        Some(Self {
            limiter: RateLimiter::dashmap_with_clock(quota, clock),
        })
    }

    /// Charges one request to `key`: `Err` with the wait until one would conform if over budget.
    fn charge(&self, key: &K) -> Result<(), Duration> {
        self.limiter
            .check_key(key)
            .map_err(|refused| refused.wait_time_from(self.limiter.clock().now()))
    }
}

/// The budgets of this instance, built from the settings.
pub struct RateLimits {
    subjects: Option<Budget<SubjectKey>>,
    addresses: Option<Budget<AddressKey>>,
    /// Addresses whose budget ran out, with the instant it has room again: until then their
    /// requests are refused before their token is read (`governor` cannot look at a budget
    /// without charging it).
    exhausted: DashMap<AddressKey, Instant>,
    charges: AtomicU64,
}

impl RateLimits {
    /// The limits the settings ask for: none at all when `rate_limit_enabled` is off, and none
    /// of a kind whose rate is 0.
    pub fn from_settings(settings: &Settings) -> Self {
        let on = settings.rate_limit_enabled;
        Self {
            subjects: Budget::new(
                if on {
                    settings.rate_limit_per_subject
                } else {
                    0
                },
                settings.rate_limit_per_subject_burst,
            ),
            addresses: Budget::new(
                if on {
                    settings.rate_limit_per_address
                } else {
                    0
                },
                settings.rate_limit_per_address_burst,
            ),
            exhausted: DashMap::new(),
            charges: AtomicU64::new(0),
        }
    }

    /// Charges one request of the subject.
    fn charge_subject(&self, key: &SubjectKey) -> Result<(), Duration> {
        let Some(budget) = &self.subjects else {
            return Ok(());
        };
        self.housekeeping();
        budget.charge(key)
    }

    /// Charges one unauthenticated request or failed authentication of the address; an address
    /// over budget is remembered as exhausted until it has room again.
    fn charge_address(&self, key: AddressKey) -> Result<(), Duration> {
        let Some(budget) = &self.addresses else {
            return Ok(());
        };
        self.housekeeping();
        budget.charge(&key).inspect_err(|wait| {
            self.exhausted.insert(key, Instant::now() + *wait);
        })
    }

    /// The wait left if the address's budget is exhausted; charges nothing.
    fn address_exhausted(&self, key: AddressKey) -> Option<Duration> {
        let until = self.exhausted.get(&key).map(|until| *until)?;
        let now = Instant::now();
        if until > now {
            return Some(until - now);
        }
        self.exhausted.remove_if(&key, |_, until| *until <= now);
        None
    }

    /// Every [`HOUSEKEEPING_EVERY`] charges, forgets the keys whose budget is full again (they are
    /// no different from keys never seen), so that memory follows the active callers only.
    fn housekeeping(&self) {
        if !self
            .charges
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(HOUSEKEEPING_EVERY)
        {
            return;
        }
        if let Some(b) = &self.subjects {
            b.limiter.retain_recent();
        }
        if let Some(b) = &self.addresses {
            b.limiter.retain_recent();
        }
        let now = Instant::now();
        self.exhausted.retain(|_, until| *until > now);
    }
}

/// Whole seconds to wait, rounded up, at least 1 (the value of `Retry-After`).
fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The 429 answer: problem+json naming the budget, with `Retry-After` in seconds.
fn too_many_requests(detail: &str, wait: Duration) -> HttpResponse {
    let seconds = retry_after_seconds(wait);
    let mut res = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!("{detail}; retry after {seconds} s"),
    )
    .response();
    res.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    res
}

fn limits(req: &ServiceRequest) -> Option<web::Data<RateLimits>> {
    if UNLIMITED_PATHS.contains(&req.path()) {
        return None;
    }
    req.app_data::<web::Data<RateLimits>>().cloned()
}

/// The per-address budget, outside authentication. An address whose budget is exhausted is
/// refused before anything else is done (its token is not verified, so a flood of bad tokens
/// costs no verification and no audit write, and a valid token is not told apart from an
/// invalid one). Otherwise a request outside `/v1` (unauthenticated by design) is charged before
/// it is served, and a `/v1` request whose authentication failed (401) is charged after: if that
/// charge is refused the 401 (already audited by the authentication) becomes 429.
///
/// Refusals are logged (`warn`), not audited: they disclose nothing, and auditing each would let
/// a client over its budget drive audit writes at its own rate, the load the limit sheds.
pub async fn per_address(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(limits) = limits(&req) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let address = AddressKey::of(req.peer_addr().map(|a| a.ip()));
    let detail = "too many unauthenticated requests or failed authentications from this address";
    let refuse = |req: ServiceRequest, wait: Duration| {
        tracing::warn!(
            address = ?address.0,
            path = req.path(),
            retry_after_seconds = retry_after_seconds(wait),
            "rate limit: request refused, address over its budget"
        );
        Ok(req
            .into_response(too_many_requests(detail, wait))
            .map_into_right_body())
    };
    if let Some(wait) = limits.address_exhausted(address) {
        return refuse(req, wait);
    }
    if !needs_authentication(req.path()) {
        if let Err(wait) = limits.charge_address(address) {
            return refuse(req, wait);
        }
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let res = next.call(req).await?;
    let failed = res
        .request()
        .extensions()
        .contains::<AuthenticationFailed>();
    if failed && let Err(wait) = limits.charge_address(address) {
        let (req, _) = res.into_parts();
        let req = ServiceRequest::from_request(req);
        return refuse(req, wait);
    }
    Ok(res.map_into_left_body())
}

/// The per-subject budget, inside authentication: charges the [`Caller`] that
/// [`crate::auth::authenticate_first`] found (the token is not verified again); a request without
/// one (outside `/v1`) passes. Over budget, 429 before the handler runs; logged, not audited (see
/// [`per_address`]).
pub async fn per_subject(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let key = req.extensions().get::<Caller>().map(|caller| SubjectKey {
        agency: caller.principal.agency.to_string(),
        subject: caller.principal.subject.clone(),
    });
    let (Some(limits), Some(key)) = (limits(&req), key) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if let Err(wait) = limits.charge_subject(&key) {
        tracing::warn!(
            agency = key.agency,
            subject = key.subject,
            path = req.path(),
            retry_after_seconds = retry_after_seconds(wait),
            "rate limit: request refused, subject over its budget"
        );
        let detail = format!(
            "subject `{}` of agency `{}` has made more requests than its budget allows",
            key.subject, key.agency
        );
        return Ok(req
            .into_response(too_many_requests(&detail, wait))
            .map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix_and_mapped_ipv4_as_ipv4() {
        let key = |s: &str| AddressKey::of(Some(s.parse().unwrap()));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:1:2:3"));
        assert_eq!(
            key("2001:db8:1:2:aaaa::1").0,
            Some("2001:db8:1:2::".parse().unwrap())
        );
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_at_least_one() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(20)), 20);
        assert_eq!(retry_after_seconds(Duration::from_millis(20_001)), 21);
    }

    #[test]
    fn a_budget_lets_its_burst_through_then_refuses_with_the_wait_for_one_request() {
        // 1 a minute, burst 3: three at once, then one each 60 s.
        let clock = governor::clock::FakeRelativeClock::default();
        let budget: Budget<u8, _> = Budget::with_clock(1, 3, clock.clone()).unwrap();
        for _ in 0..3 {
            assert_eq!(budget.charge(&1), Ok(()));
        }
        assert_eq!(budget.charge(&1), Err(Duration::from_secs(60)));
        assert_eq!(budget.charge(&2), Ok(()), "another key has its own budget");
        clock.advance(Duration::from_secs(45));
        assert_eq!(budget.charge(&1), Err(Duration::from_secs(15)));
        clock.advance(Duration::from_secs(15));
        assert_eq!(budget.charge(&1), Ok(()));
        assert_eq!(budget.charge(&1), Err(Duration::from_secs(60)));
        assert!(Budget::<u8>::new(0, 3).is_none(), "0 means no limit");
    }

    #[test]
    fn settings_refuse_a_zero_burst_and_rates_beyond_a_million_and_may_switch_the_limits_off() {
        let invalid = |tweak: fn(&mut Settings), named: &str| {
            let mut settings = Settings::default();
            tweak(&mut settings);
            let err = settings.validate().unwrap_err().to_string();
            assert!(err.contains(named), "{named}: {err}");
        };
        invalid(
            |s| s.rate_limit_per_subject_burst = 0,
            "rate_limit_per_subject_burst",
        );
        invalid(
            |s| s.rate_limit_per_address_burst = 0,
            "rate_limit_per_address_burst",
        );
        invalid(
            |s| s.rate_limit_per_subject = 1_000_001,
            "rate_limit_per_subject",
        );
        invalid(
            |s| s.rate_limit_per_address = 1_000_001,
            "rate_limit_per_address",
        );

        let defaults = Settings::default();
        assert!(defaults.validate().is_ok());
        let on = RateLimits::from_settings(&defaults);
        assert!(
            on.subjects.is_some() && on.addresses.is_some(),
            "on by default"
        );
        let off = RateLimits::from_settings(&Settings {
            rate_limit_enabled: false,
            ..Settings::default()
        });
        assert!(off.subjects.is_none() && off.addresses.is_none());
        let no_address_limit = RateLimits::from_settings(&Settings {
            rate_limit_per_address: 0,
            ..Settings::default()
        });
        assert!(no_address_limit.subjects.is_some() && no_address_limit.addresses.is_none());
    }
}
