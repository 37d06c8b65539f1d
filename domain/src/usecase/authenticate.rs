//! Authenticate a bearer token: verify it, bound its lifetime, then resolve its agency and check
//! that its role fits.

use chrono::{DateTime, Duration, Utc};

use crate::agency::AgencyId;
use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::CategorySet;
use crate::ports::{AgencyRepository, AuditLog, AuditUnavailable, Clock, TokenVerifier};
use crate::principal::Principal;
use crate::role::Role;

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

/// Why a caller is not authenticated. Every variant but `Unknown` is the caller's fault (401).
#[derive(Debug, thiserror::Error)]
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
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Where a bearer token is checked, and the trail its refusals go to.
pub struct Gate<'a> {
    pub verifier: &'a dyn TokenVerifier,
    pub agencies: &'a dyn AgencyRepository,
    pub audit: &'a dyn AuditLog,
    pub limits: TokenLimits,
    /// The clock a token's `exp` is read against: the wall clock, as the verifier's, never a
    /// business clock that tests move.
    pub token_clock: &'a dyn Clock,
}

/// Verifies `token` and returns the caller it proves. Its `exp` must lie at most
/// [`TokenLimits::max_lifetime`] (plus the leeway) ahead; the agency must exist now (a token for a
/// deleted agency fails) and the role must fit its kind. Every refusal is audited, with the subject
/// the token claims if it can be read; if the refusal cannot be audited the answer is
/// `Unavailable`.
///
/// A long-lived answer (the alert stream) calls this again with the same token before each batch
/// it sends, and ends when it fails or names another principal: so it ends when its token expires,
/// its key leaves the key set, or its agency is removed or changes kind.
pub fn authenticate(
    gate: &Gate<'_>,
    token: &str,
    request_id: &str,
    at: DateTime<Utc>,
) -> Result<Principal, AuthenticateError> {
    let mut claimed = None;
    let result = check(gate, token, &mut claimed);
    if let Err(e) = &result
        && !matches!(e, AuthenticateError::Unknown(_))
    {
        gate.audit.append(
            AuditEntry {
                at,
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

fn check(
    gate: &Gate<'_>,
    token: &str,
    claimed: &mut Option<String>,
) -> Result<Principal, AuthenticateError> {
    let claims = gate.verifier.verify(token).map_err(|e| {
        *claimed = e.claimed_subject.clone();
        AuthenticateError::InvalidToken(e.reason)
    })?;
    *claimed = Some(claims.subject.clone());
    let now = gate.token_clock.now();
    if !gate.limits.admits_expiry(claims.expires_at, now) {
        return Err(AuthenticateError::LivesTooLong {
            ahead_seconds: (claims.expires_at - now).num_seconds(),
            max_seconds: gate.limits.max_lifetime.num_seconds(),
        });
    }
    let role: Role = claims
        .role
        .parse()
        .map_err(|_| AuthenticateError::UnknownRole(claims.role.clone()))?;
    let agency_id = AgencyId::parse(&claims.agency)
        .map_err(|_| AuthenticateError::UnknownAgency(claims.agency.clone()))?;
    let agency = gate
        .agencies
        .find(&agency_id)?
        .ok_or_else(|| AuthenticateError::UnknownAgency(claims.agency.clone()))?;
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
    use std::sync::Mutex;

    use super::*;
    use crate::agency::{Agency, AgencyKind, AgencyName, NewAgency};
    use crate::audit::{ChainedEntry, VerifyReport};
    use crate::country::CountryCode;
    use crate::page::{Page, PageRequest};
    use crate::ports::{InsertAgencyError, TokenRejected};
    use crate::principal::VerifiedClaims;

    struct FixedVerifier(Result<VerifiedClaims, TokenRejected>);
    impl TokenVerifier for FixedVerifier {
        fn verify(&self, _: &str) -> Result<VerifiedClaims, TokenRejected> {
            self.0.clone()
        }
    }

    struct OneAgency(Agency);
    impl AgencyRepository for OneAgency {
        fn insert(&self, _: &NewAgency, _: DateTime<Utc>) -> Result<Agency, InsertAgencyError> {
            unimplemented!()
        }
        fn find(&self, id: &AgencyId) -> anyhow::Result<Option<Agency>> {
            Ok((id == &self.0.id).then(|| self.0.clone()))
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

    /// The wall clock of these tests: 2026-03-01 08:00:00 UTC.
    struct Wall;
    impl Clock for Wall {
        fn now(&self) -> DateTime<Utc> {
            eight_am()
        }
    }
    fn eight_am() -> DateTime<Utc> {
        "2026-03-01T08:00:00Z".parse().unwrap()
    }

    /// Twelve hours at most, 30 s of leeway.
    const LIMITS: TokenLimits = TokenLimits {
        max_lifetime: Duration::hours(12),
        leeway: Duration::seconds(30),
    };

    fn run(
        verifier: &FixedVerifier,
        repo: &OneAgency,
        trail: &Trail,
    ) -> Result<Principal, AuthenticateError> {
        let gate = Gate {
            verifier,
            agencies: repo,
            audit: trail,
            limits: LIMITS,
            token_clock: &Wall,
        };
        // The audit time is another clock's (a business clock): the lifetime is not read from it.
        authenticate(&gate, "t", "req-1", DateTime::UNIX_EPOCH)
    }

    fn police() -> OneAgency {
        OneAgency(Agency {
            id: AgencyId::parse("pz-gent").unwrap(),
            kind: AgencyKind::Police,
            name: AgencyName::parse("PZ Gent").unwrap(),
            country: CountryCode::parse("BE").unwrap(),
            created_at: DateTime::UNIX_EPOCH,
        })
    }

    fn claims(agency: &str, role: &str) -> FixedVerifier {
        expiring(agency, role, "2026-03-01T09:00:00Z")
    }

    fn expiring(agency: &str, role: &str, exp: &str) -> FixedVerifier {
        FixedVerifier(Ok(VerifiedClaims {
            subject: "u1".into(),
            agency: agency.into(),
            role: role.into(),
            expires_at: exp.parse().unwrap(),
        }))
    }

    #[test]
    fn resolves_agency_and_role() {
        let trail = Trail::default();
        let p = run(&claims("pz-gent", "police_officer"), &police(), &trail).unwrap();
        assert_eq!(
            (p.role, p.agency_kind),
            (Role::PoliceOfficer, AgencyKind::Police)
        );
        assert!(
            trail.0.lock().unwrap().is_empty(),
            "a success is audited by the use case that follows"
        );
    }

    #[test]
    fn refuses_unknown_agency_role_and_misfit_and_audits_each() {
        let repo = police();
        let trail = Trail::default();
        assert!(matches!(
            run(&claims("nowhere", "police_officer"), &repo, &trail),
            Err(AuthenticateError::UnknownAgency(_))
        ));
        assert!(matches!(
            run(&claims("pz-gent", "sheriff"), &repo, &trail),
            Err(AuthenticateError::UnknownRole(_))
        ));
        assert!(matches!(
            run(&claims("pz-gent", "guardian"), &repo, &trail),
            Err(AuthenticateError::RoleDoesNotFitAgency { .. })
        ));
        let rejected = FixedVerifier(Err(TokenRejected {
            reason: "expired".into(),
            claimed_subject: Some("mallory".into()),
        }));
        assert!(matches!(
            run(&rejected, &repo, &trail),
            Err(AuthenticateError::InvalidToken(_))
        ));
        let entries = trail.0.lock().unwrap();
        assert_eq!(entries.len(), 4);
        assert!(
            entries
                .iter()
                .all(|e| e.outcome == Outcome::Unauthenticated && e.request_id == "req-1")
        );
        assert_eq!(entries[0].subject.as_deref(), Some("u1"));
        assert_eq!(entries[3].subject.as_deref(), Some("mallory"));
    }

    /// 08:00 plus 12 h plus 30 s of leeway is 20:00:30: a token expiring then passes, one expiring
    /// a second later is refused and audited with the subject it claims.
    #[test]
    fn refuses_a_token_that_lives_longer_than_the_limit_and_audits_it() {
        let repo = police();
        let trail = Trail::default();
        let at_limit = expiring("pz-gent", "police_officer", "2026-03-01T20:00:30Z");
        assert!(run(&at_limit, &repo, &trail).is_ok());
        let beyond = expiring("pz-gent", "police_officer", "2026-03-01T20:00:31Z");
        match run(&beyond, &repo, &trail) {
            Err(AuthenticateError::LivesTooLong {
                ahead_seconds,
                max_seconds,
            }) => assert_eq!((ahead_seconds, max_seconds), (43_231, 43_200)),
            other => panic!("expected LivesTooLong, got {other:?}"),
        }
        let entries = trail.0.lock().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].outcome, Outcome::Unauthenticated);
        assert_eq!(entries[0].subject.as_deref(), Some("u1"));
    }

    #[test]
    fn a_minted_lifetime_is_admitted_up_to_the_limit_only() {
        assert!(LIMITS.admits_lifetime(Duration::hours(12)));
        assert!(!LIMITS.admits_lifetime(Duration::hours(12) + Duration::seconds(1)));
        assert_eq!(TokenLimits::DEFAULT_MAX_LIFETIME_SECONDS, 43_200);
    }
}
