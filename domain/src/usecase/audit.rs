//! Who saw or changed what of a child (its access log), and the integrity check of the audit trail.

use crate::audit::{Action, ChainedEntry, Outcome, VerifyReport};
use crate::page::{Page, PageRequest};
use crate::policy::{Facts, Operation, Policy};
use crate::ports::{AuditLog, AuditUnavailable};
use crate::principal::Principal;
use crate::usecase::minors::{Audited, ConsultError, Denied, Minors, Request, Trail};

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
            let purpose = self.check_purpose(rq, Operation::AccessLog)?;
            let minor = self
                .minors
                .find(id)?
                .ok_or_else(|| AccessLogError::NotFound(id.to_owned()))?;
            self.permitted_on(&rq.caller, Operation::AccessLog, purpose, &minor)?;
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

/// Checks the whole audit chain, if the policy permits `audit_verify` to the caller's role.
pub fn verify_audit(
    audit: &dyn AuditLog,
    policy: &Policy,
    caller: &Principal,
) -> Result<VerifyReport, VerifyAuditError> {
    if !policy.permits(caller.role, Operation::AuditVerify, None, Facts::default()) {
        return Err(VerifyAuditError::Forbidden);
    }
    Ok(audit.verify()?)
}
