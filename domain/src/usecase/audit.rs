//! Reading the audit trail: who saw or changed what of a child (its access log), and the
//! integrity check of the whole chain.

use std::sync::Arc;

use crate::audit::{Action, ChainedEntry, VerifyReport};
use crate::page::{Page, PageRequest};
use crate::policy::{Facts, Operation};
use crate::ports::MinorReader;
use crate::usecase::kernel::{Denied, Failure, Kernel, Request};

/// The audit-trail service.
#[derive(Clone)]
pub struct AuditTrail {
    kernel: Kernel,
    minors: Arc<dyn MinorReader>,
}

impl AuditTrail {
    pub fn new(kernel: Kernel, minors: Arc<dyn MinorReader>) -> Self {
        Self { kernel, minors }
    }

    /// The audit entries naming a child, oldest first. Readable by auditors (purpose `audit`),
    /// the guardianship service (purpose `guardianship`) and the child's own guardian (purpose
    /// `guardianship`). The consultation is itself audited.
    pub fn access_log(
        &self,
        rq: &Request,
        id: &str,
        page: &PageRequest<i64>,
    ) -> Result<Page<ChainedEntry, i64>, Failure> {
        self.kernel.audited(rq, Action::AccessLog, &[id], |_| {
            let purpose = self.kernel.purpose(rq, Operation::AccessLog)?;
            let minor = self
                .minors
                .find(id)?
                .ok_or_else(|| Failure::no_record(id))?;
            // The access log holds no field of the child's data: a restriction does not hide
            // who saw the child from those who oversee it.
            let facts = crate::policy::Facts {
                restricted: false,
                ..minor.relation_to(&rq.caller).into()
            };
            self.kernel
                .permitted(&rq.caller, Operation::AccessLog, Some(purpose), facts)
                .map_err(|_| crate::usecase::kernel::Denied::NoAccessToChild(purpose))?;
            Ok(self.kernel.audit().for_minor(id, page)?)
        })
    }

    /// Checks the whole audit chain, if the policy permits `audit_verify` to the caller's role.
    /// A refusal is audited; a check is not (it discloses no child data).
    pub fn verify(&self, rq: &Request) -> Result<VerifyReport, Failure> {
        self.kernel.audited(rq, Action::VerifyAudit, &[], |trail| {
            trail.refusals_only();
            if !self.kernel.policy().permits(
                rq.caller.role,
                Operation::AuditVerify,
                None,
                Facts::default(),
            ) {
                return Err(Denied::NotPermitted(
                    "only an auditor may verify the audit trail".to_owned(),
                )
                .into());
            }
            Ok(self.kernel.audit().verify()?)
        })
    }
}
