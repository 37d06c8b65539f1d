//! Authenticate a bearer token: verify it, then resolve its agency and check that its role fits.

use chrono::{DateTime, Utc};

use crate::agency::AgencyId;
use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::CategorySet;
use crate::ports::{AgencyRepository, AuditLog, AuditUnavailable, TokenVerifier};
use crate::principal::Principal;
use crate::role::Role;

/// Why a caller is not authenticated. Every variant but `Unknown` is the caller's fault (401).
#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    #[error("invalid token: {0}")]
    InvalidToken(String),
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
}

/// Verifies `token` and returns the caller it proves. The agency must exist now (a token for a
/// deleted agency fails) and the role must fit its kind. Every refusal is audited, with the subject
/// the token claims if it can be read; if the refusal cannot be audited the answer is
/// `Unavailable`.
pub fn authenticate(
    gate: &Gate<'_>,
    token: &str,
    request_id: &str,
    at: DateTime<Utc>,
) -> Result<Principal, AuthenticateError> {
    let mut claimed = None;
    let result = check(gate.verifier, gate.agencies, token, &mut claimed);
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
    verifier: &dyn TokenVerifier,
    agencies: &dyn AgencyRepository,
    token: &str,
    claimed: &mut Option<String>,
) -> Result<Principal, AuthenticateError> {
    let claims = verifier.verify(token).map_err(|e| {
        *claimed = e.claimed_subject.clone();
        AuthenticateError::InvalidToken(e.reason)
    })?;
    *claimed = Some(claims.subject.clone());
    let role: Role = claims
        .role
        .parse()
        .map_err(|_| AuthenticateError::UnknownRole(claims.role.clone()))?;
    let agency_id = AgencyId::parse(&claims.agency)
        .map_err(|_| AuthenticateError::UnknownAgency(claims.agency.clone()))?;
    let agency = agencies
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

    fn run(
        verifier: &FixedVerifier,
        repo: &OneAgency,
        trail: &Trail,
    ) -> Result<Principal, AuthenticateError> {
        let gate = Gate {
            verifier,
            agencies: repo,
            audit: trail,
        };
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
        FixedVerifier(Ok(VerifiedClaims {
            subject: "u1".into(),
            agency: agency.into(),
            role: role.into(),
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
}
