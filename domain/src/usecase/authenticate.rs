//! Authenticate a bearer token: verify it, bound its lifetime, then resolve its agency and check
//! that its role fits.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::agency::{Agency, AgencyId};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::CategorySet;
use crate::ports::{AgencyRepository, Clock, TokenVerifier};
use crate::principal::{Principal, VerifiedClaims};
use crate::role::Role;
use crate::usecase::kernel::{Failure, Kernel};

/// What a token must satisfy beyond its signature and standard claims, which the verifier checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLimits {
    /// Furthest ahead of now that a token's `exp` may lie: a token that lives longer is refused,
    /// however well signed, so that a stolen token is of use for one shift at most.
    pub max_lifetime: Duration,
    /// Clock skew tolerated between the identity provider and this service (the verifier's
    /// leeway on `exp` and `nbf`); it is granted on top of `max_lifetime` too.
    pub leeway: Duration,
}

impl TokenLimits {
    /// The default `max_lifetime`: 12 hours, a long shift.
    pub const DEFAULT_MAX_LIFETIME_SECONDS: u64 = 12 * 3600;

    /// Whether a token that expires at `expires_at` may be accepted at `now`: its `exp` lies at
    /// most `max_lifetime` plus the leeway ahead. (Whether it has expired is the verifier's check.)
    pub fn admits_expiry(&self, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now.checked_add_signed(self.max_lifetime)
            .and_then(|t| t.checked_add_signed(self.leeway))
            .is_none_or(|latest| expires_at <= latest)
    }

    /// Whether a token minted now to live `lifetime` would be accepted: at most `max_lifetime`.
    pub fn admits_lifetime(&self, lifetime: Duration) -> bool {
        lifetime <= self.max_lifetime
    }
}

/// Why a caller is not authenticated (401); the text is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthenticateError {
    #[error("invalid token: {0}")]
    InvalidToken(String),
    #[error(
        "the token lives too long: its exp lies {ahead_seconds} s ahead, more than the {max_seconds} s \
         (auth_max_token_lifetime_seconds) accepted; ask the identity provider for a shorter-lived token"
    )]
    LivesTooLong {
        ahead_seconds: i64,
        max_seconds: i64,
    },
    #[error("the token's agency `{0}` does not exist")]
    UnknownAgency(String),
    #[error("the token's role `{0}` is not a role")]
    UnknownRole(String),
    #[error("the role `{role}` does not fit agency `{agency}` of kind `{kind}`")]
    RoleDoesNotFitAgency {
        role: Role,
        agency: AgencyId,
        kind: crate::agency::AgencyKind,
    },
}

impl From<AuthenticateError> for Failure {
    fn from(e: AuthenticateError) -> Self {
        Self::Unauthenticated(e.to_string())
    }
}

/// Where a bearer token is checked, and the trail its refusals go to.
#[derive(Clone)]
pub struct Authenticator {
    kernel: Kernel,
    verifier: Arc<dyn TokenVerifier>,
    agencies: Arc<dyn AgencyRepository>,
    limits: TokenLimits,
    /// The clock a token's `exp` is read against: the wall clock, as the verifier's, never the
    /// kernel's business clock, which tests move.
    token_clock: Arc<dyn Clock>,
}

impl Authenticator {
    pub fn new(
        kernel: Kernel,
        verifier: Arc<dyn TokenVerifier>,
        agencies: Arc<dyn AgencyRepository>,
        limits: TokenLimits,
        token_clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            kernel,
            verifier,
            agencies,
            limits,
            token_clock,
        }
    }

    /// The lifetime bound and leeway every token is held to.
    pub fn limits(&self) -> TokenLimits {
        self.limits
    }

    /// Verifies `token` and returns the caller it proves. Its `exp` must lie at most
    /// [`TokenLimits::max_lifetime`] (plus the leeway) ahead; the agency must exist now (a token
    /// for a deleted agency fails) and the role must fit its kind. Every refusal
    /// ([`Failure::Unauthenticated`], the text an [`AuthenticateError`]) is audited, with the
    /// subject the token claims if it can be read; if the refusal cannot be audited the answer is
    /// `Unavailable`.
    ///
    /// A long-lived answer (the alert stream) calls this again with the same token before each
    /// batch it sends, and ends when it fails or names another principal: so it ends when its
    /// token expires, its key leaves the key set, or its agency is removed or changes kind.
    pub fn authenticate(&self, token: &str, request_id: &str) -> Result<Principal, Failure> {
        let mut claimed = None;
        let result = self.kernel.settled(self.check(token, &mut claimed));
        if let Err(Failure::Unauthenticated(_)) = &result {
            self.kernel.audit().append(
                AuditEntry {
                    at: self.kernel.now(),
                    subject: claimed,
                    agency: None,
                    role: None,
                    purpose: None,
                    action: Action::Authenticate,
                    minors: vec![],
                    categories: CategorySet::EMPTY,
                    outcome: Outcome::Unauthenticated,
                    request_id: request_id.to_owned(),
                }
                .normalised(),
            )?;
        }
        result
    }

    /// The caller `token` proves, when [`Self::authenticate`] would accept it and that is known
    /// without I/O: the token's verification is remembered, and so is its agency. `None` when
    /// either is not, or when the token is refused (a refusal is audited, so it goes through
    /// [`Self::authenticate`]).
    pub fn remembered(&self, token: &str) -> Option<Principal> {
        let claims = self.verifier.recall(token)?;
        let (role, agency_id) = self.admitted(&claims).ok()?;
        let agency = self.agencies.remembered(&agency_id)??;
        principal(claims, role, agency).ok()
    }

    fn check(&self, token: &str, claimed: &mut Option<String>) -> Result<Principal, Failure> {
        let claims = self.verifier.verify(token).map_err(|e| {
            *claimed = e.claimed_subject.clone();
            AuthenticateError::InvalidToken(e.reason)
        })?;
        *claimed = Some(claims.subject.clone());
        let (role, agency_id) = self.admitted(&claims)?;
        let agency = self
            .agencies
            .find(&agency_id)?
            .ok_or_else(|| AuthenticateError::UnknownAgency(claims.agency.clone()))?;
        Ok(principal(claims, role, agency)?)
    }

    /// The role and agency a verified token names, if its lifetime is admitted and both parse.
    fn admitted(&self, claims: &VerifiedClaims) -> Result<(Role, AgencyId), AuthenticateError> {
        let now = self.token_clock.now();
        if !self.limits.admits_expiry(claims.expires_at, now) {
            return Err(AuthenticateError::LivesTooLong {
                ahead_seconds: (claims.expires_at - now).num_seconds(),
                max_seconds: self.limits.max_lifetime.num_seconds(),
            });
        }
        let role: Role = claims
            .role
            .parse()
            .map_err(|_| AuthenticateError::UnknownRole(claims.role.clone()))?;
        let agency_id = AgencyId::parse(&claims.agency)
            .map_err(|_| AuthenticateError::UnknownAgency(claims.agency.clone()))?;
        Ok((role, agency_id))
    }
}

/// The principal of verified claims whose agency exists, if the role fits the agency's kind.
fn principal(
    claims: VerifiedClaims,
    role: Role,
    agency: Agency,
) -> Result<Principal, AuthenticateError> {
    if !role.fits(agency.kind) {
        return Err(AuthenticateError::RoleDoesNotFitAgency {
            role,
            agency: agency.id,
            kind: agency.kind,
        });
    }
    Ok(Principal {
        subject: claims.subject,
        agency: agency.id,
        agency_kind: agency.kind,
        role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agency::AgencyKind;
    use crate::fakes::World;

    /// The wall clock of these tests: 2026-03-01 08:00:00 UTC; the authenticator holds tokens to
    /// twelve hours at most, with 30 s of leeway.
    fn world() -> World {
        World::at("2026-03-01T08:00:00Z".parse().unwrap())
    }

    fn token(agency: &str, role: &str, exp: &str) -> String {
        format!("u1|{agency}|{role}|{exp}")
    }

    /// The refusal's text, or the caller.
    fn run(w: &World, token: &str) -> Result<Principal, String> {
        w.authenticator
            .authenticate(token, "req-1")
            .map_err(|e| match e {
                Failure::Unauthenticated(text) => text,
                other => panic!("{other:?}"),
            })
    }

    const POLICE: &str = "police";

    #[test]
    fn resolves_agency_and_role() {
        let w = world();
        let p = run(&w, &token(POLICE, "police_officer", "2026-03-01T09:00:00Z")).unwrap();
        assert_eq!(
            (p.role, p.agency_kind),
            (Role::PoliceOfficer, AgencyKind::Police)
        );
        assert!(
            w.store.audit_entries().is_empty(),
            "a success is audited by the use case that follows"
        );
        w.token_clock.advance(Duration::hours(2));
        assert_eq!(
            run(&w, &token(POLICE, "police_officer", "2026-03-01T09:00:00Z")).unwrap_err(),
            "invalid token: expired",
            "the same token, once expired on the wall clock"
        );
    }

    #[test]
    fn refuses_unknown_agency_role_and_misfit_and_audits_each() {
        let w = world();
        let exp = "2026-03-01T09:00:00Z";
        let refusals = [
            (
                token("nowhere", "police_officer", exp),
                AuthenticateError::UnknownAgency("nowhere".into()).to_string(),
            ),
            (
                token(POLICE, "sheriff", exp),
                AuthenticateError::UnknownRole("sheriff".into()).to_string(),
            ),
            (
                token(POLICE, "guardian", exp),
                "the role `guardian` does not fit agency `police` of kind `police`".to_owned(),
            ),
            (
                "mallory".to_owned(),
                AuthenticateError::InvalidToken("not a token".into()).to_string(),
            ),
        ];
        for (token, expected) in &refusals {
            assert_eq!(run(&w, token).unwrap_err(), *expected);
        }
        let entries = w.store.audit_entries();
        assert_eq!(entries.len(), 4);
        assert!(entries.iter().all(|e| e.outcome == Outcome::Unauthenticated
            && e.action == Action::Authenticate
            && e.request_id == "req-1"));
        assert_eq!(entries[0].subject.as_deref(), Some("u1"));
        assert_eq!(
            entries[3].subject.as_deref(),
            Some("mallory"),
            "the subject an unverified token claims, for the record only"
        );
    }

    /// What is known without I/O answers as `authenticate` would for an accepted token, and not at
    /// all for a refused one (its refusal must be audited, so it goes through `authenticate`).
    #[test]
    fn a_remembered_caller_is_the_authenticated_one_and_a_refusal_is_never_remembered() {
        let w = world();
        let exp = "2026-03-01T09:00:00Z";
        let good = token(POLICE, "police_officer", exp);
        assert_eq!(
            w.authenticator.remembered(&good),
            Some(run(&w, &good).unwrap())
        );
        for bad in [
            token("nowhere", "police_officer", exp),
            token(POLICE, "sheriff", exp),
            token(POLICE, "guardian", exp),
            token(POLICE, "police_officer", "2026-03-02T09:00:00Z"),
            "mallory".to_owned(),
        ] {
            assert_eq!(w.authenticator.remembered(&bad), None, "{bad}");
        }
        assert!(w.store.audit_entries().is_empty());
    }

    /// 08:00 plus 12 h plus 30 s of leeway is 20:00:30: a token expiring then passes, one expiring
    /// a second later is refused and audited with the subject it claims.
    #[test]
    fn refuses_a_token_that_lives_longer_than_the_limit_and_audits_it() {
        let w = world();
        // The lifetime is read against the wall clock, not the business clock, which tests move.
        w.clock.advance(Duration::days(30));
        assert!(run(&w, &token(POLICE, "police_officer", "2026-03-01T20:00:30Z")).is_ok());
        let refused = run(&w, &token(POLICE, "police_officer", "2026-03-01T20:00:31Z"));
        assert_eq!(
            refused.unwrap_err(),
            AuthenticateError::LivesTooLong {
                ahead_seconds: 43_231,
                max_seconds: 43_200,
            }
            .to_string()
        );
        let entries = w.store.audit_entries();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].outcome, Outcome::Unauthenticated);
        assert_eq!(entries[0].subject.as_deref(), Some("u1"));
        assert_eq!(
            entries[0].at,
            w.clock.now(),
            "the entry is dated by the business clock"
        );
    }

    /// A refusal that cannot be audited is not answered as a refusal: the registry is unavailable.
    #[test]
    fn a_refusal_the_trail_cannot_take_is_unavailable() {
        let w = world();
        w.store.set_audit_down(true);
        let e = w
            .authenticator
            .authenticate("mallory", "req-1")
            .unwrap_err();
        assert!(matches!(e, Failure::Unavailable(_)), "{e:?}");
    }

    #[test]
    fn a_minted_lifetime_is_admitted_up_to_the_limit_only() {
        let limits = TokenLimits {
            max_lifetime: Duration::hours(12),
            leeway: Duration::seconds(30),
        };
        assert!(limits.admits_lifetime(Duration::hours(12)));
        assert!(!limits.admits_lifetime(Duration::hours(12) + Duration::seconds(1)));
        assert_eq!(TokenLimits::DEFAULT_MAX_LIFETIME_SECONDS, 43_200);
    }
}
