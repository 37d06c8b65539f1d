//! Authenticate a bearer token: verify it, then resolve its agency and check that its role fits.

use crate::agency::AgencyId;
use crate::ports::{AgencyRepository, TokenVerifier};
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
    Unknown(#[from] anyhow::Error),
}

/// Verifies `token` and returns the caller it proves. The agency must exist now (a token for a
/// deleted agency fails) and the role must fit its kind.
pub fn authenticate(
    verifier: &dyn TokenVerifier,
    agencies: &dyn AgencyRepository,
    token: &str,
) -> Result<Principal, AuthenticateError> {
    let claims = verifier
        .verify(token)
        .map_err(|e| AuthenticateError::InvalidToken(e.reason))?;
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
    use super::*;
    use crate::agency::{Agency, AgencyKind, AgencyName, NewAgency};
    use crate::country::CountryCode;
    use crate::page::{Page, PageRequest};
    use crate::ports::{InsertAgencyError, TokenRejected};
    use crate::principal::VerifiedClaims;
    use chrono::{DateTime, Utc};

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
        fn list(&self, _: &PageRequest<AgencyId>) -> anyhow::Result<Page<Agency, AgencyId>> {
            unimplemented!()
        }
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
        let p = authenticate(&claims("pz-gent", "police_officer"), &police(), "t").unwrap();
        assert_eq!(
            (p.role, p.agency_kind),
            (Role::PoliceOfficer, AgencyKind::Police)
        );
    }

    #[test]
    fn refuses_unknown_agency_role_and_misfit() {
        let repo = police();
        assert!(matches!(
            authenticate(&claims("nowhere", "police_officer"), &repo, "t"),
            Err(AuthenticateError::UnknownAgency(_))
        ));
        assert!(matches!(
            authenticate(&claims("pz-gent", "sheriff"), &repo, "t"),
            Err(AuthenticateError::UnknownRole(_))
        ));
        assert!(matches!(
            authenticate(&claims("pz-gent", "guardian"), &repo, "t"),
            Err(AuthenticateError::RoleDoesNotFitAgency { .. })
        ));
        let rejected = FixedVerifier(Err(TokenRejected {
            reason: "expired".into(),
        }));
        assert!(matches!(
            authenticate(&rejected, &repo, "t"),
            Err(AuthenticateError::InvalidToken(_))
        ));
    }
}
