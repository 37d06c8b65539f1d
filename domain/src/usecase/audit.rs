//! Who saw or changed what of a child (its access log), and the integrity check of the audit trail.

use crate::audit::{Action, ChainedEntry, Outcome, VerifyReport};
use crate::page::{Page, PageRequest};
use crate::ports::{AuditLog, AuditUnavailable};
use crate::principal::Principal;
use crate::purpose::Purpose;
use crate::role::Role;
use crate::usecase::minors::{Audited, ConsultError, Denied, Minors, Request, Trail, stated};

#[derive(Debug, thiserror::Error)]
pub enum AccessLogError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no record with id `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl Audited for AccessLogError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(Denied::PurposeMissing(_)) => Outcome::PurposeMissing,
            Self::Denied(_) => Outcome::Denied,
            Self::NotFound(_) => Outcome::NotFound,
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

impl From<ConsultError> for AccessLogError {
    fn from(e: ConsultError) -> Self {
        match e {
            ConsultError::Denied(d) => Self::Denied(d),
            ConsultError::NotFound(id) | ConsultError::Merged { id, .. } => Self::NotFound(id),
            ConsultError::Unavailable(u) => Self::Unavailable(u),
            ConsultError::Unknown(u) => Self::Unknown(u),
        }
    }
}

impl Minors {
    /// The audit entries naming a child, oldest first. Readable by auditors (purpose `audit`), the
    /// guardianship service (purpose `guardianship`) and the child's own guardian (purpose
    /// `guardianship`). The consultation is itself audited.
    pub fn access_log(
        &self,
        rq: &Request,
        id: &str,
        page: &PageRequest<i64>,
    ) -> Result<Page<ChainedEntry, i64>, AccessLogError> {
        let trail = Trail::new(rq, Action::AccessLog, &[id], self.clock.now());
        let result = (|| {
            let purpose = stated(rq)?;
            let minor = self
                .minors
                .find(id)?
                .ok_or_else(|| AccessLogError::NotFound(id.to_owned()))?;
            let allowed = match (rq.caller.role, purpose) {
                (Role::Auditor, Purpose::Audit)
                | (Role::GuardianshipOfficer, Purpose::Guardianship) => true,
                (Role::Guardian, Purpose::Guardianship) => minor.relation_to(&rq.caller).assigned,
                _ => false,
            };
            if !allowed {
                return Err(Denied::NoAccessToChild(purpose).into());
            }
            Ok(self.audit.for_minor(id, page)?)
        })();
        trail.close(self.audit.as_ref(), result)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyAuditError {
    #[error("only an auditor may verify the audit trail")]
    Forbidden,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Checks the whole audit chain. Auditors only.
pub fn verify_audit(
    audit: &dyn AuditLog,
    caller: &Principal,
) -> Result<VerifyReport, VerifyAuditError> {
    if caller.role != Role::Auditor {
        return Err(VerifyAuditError::Forbidden);
    }
    Ok(audit.verify()?)
}
