//! The kernel every service holds: the policy that decides, the clock, the audit trail.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::audit::Action;
use crate::policy::{Facts, Mask, Operation, Policy};
use crate::ports::{AuditLog, Clock, Outages};
use crate::principal::Principal;
use crate::projection::{MinorView, project};
use crate::purpose::Purpose;
use crate::record::Minor;

use super::{Denied, Failure, Request, Trail, Unavailable};

/// What every use case needs besides its own ports: the access policy (the only place that
/// decides who may do what), the clock, the audit trail, and how to tell a store that cannot be
/// reached from a defect.
#[derive(Clone)]
pub struct Kernel {
    policy: Arc<Policy>,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn AuditLog>,
    outages: Option<Arc<dyn Outages>>,
}

impl Kernel {
    pub fn new(policy: Arc<Policy>, clock: Arc<dyn Clock>, audit: Arc<dyn AuditLog>) -> Self {
        Self {
            policy,
            clock,
            audit,
            outages: None,
        }
    }

    /// Failures that `outages` recognises become [`Unavailable::Store`] (by default none does).
    #[must_use]
    pub fn with_outages(mut self, outages: Arc<dyn Outages>) -> Self {
        self.outages = Some(outages);
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn audit(&self) -> &dyn AuditLog {
        self.audit.as_ref()
    }

    /// Runs `work` with the audit entry of the request (`action`, naming `minors`), then records
    /// it with the outcome, whatever the result: a success as `work` left the entry, a failure
    /// with its outcome and no category. If the entry cannot be recorded, the answer is
    /// [`Failure::Unavailable`] and nothing is disclosed.
    pub fn audited<T>(
        &self,
        rq: &Request,
        action: Action,
        minors: &[&str],
        work: impl FnOnce(&mut Trail) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let mut trail = Trail::new(rq, action, minors, self.now());
        let result = self.settled(work(&mut trail));
        trail.close(self.audit(), result)
    }

    /// The result of a use case that records nothing, with outages of the store told apart from
    /// defects.
    pub fn settled<T, E: Into<Failure>>(&self, result: Result<T, E>) -> Result<T, Failure> {
        result.map_err(|e| match e.into() {
            Failure::Unknown(e) if self.outages.as_ref().is_some_and(|o| o.is_outage(&e)) => {
                Failure::Unavailable(Unavailable::Store(e))
            }
            other => other,
        })
    }

    /// The stated purpose, or the refusal (400) of a missing or unknown one.
    pub fn stated(&self, rq: &Request) -> Result<Purpose, Denied> {
        rq.purpose.clone().map_err(|raw| {
            Denied::PurposeMissing(if raw.is_empty() {
                "the X-Purpose header is required for child data".to_owned()
            } else {
                format!("`{raw}` is not a purpose")
            })
        })
    }

    /// The stated purpose, if some permit of the caller's role names `op` for it; otherwise the
    /// purpose is refused before any child is looked at.
    pub fn purpose(&self, rq: &Request, op: Operation) -> Result<Purpose, Denied> {
        let purpose = self.stated(rq)?;
        if self.policy.names_purpose(rq.caller.role, op, purpose) {
            Ok(purpose)
        } else {
            Err(Denied::PurposeNotPermitted {
                role: rq.caller.role.to_string(),
                operation: op,
                purpose,
                accepted: self.policy.purposes_for(rq.caller.role, op),
            })
        }
    }

    /// Refuses unless the policy permits `op` for `purpose` (`None`: an operation without one) to
    /// the caller in standing `facts`.
    pub fn permitted(
        &self,
        caller: &Principal,
        op: Operation,
        purpose: Option<Purpose>,
        facts: Facts,
    ) -> Result<(), Denied> {
        if self.policy.permits(caller.role, op, purpose, facts) {
            Ok(())
        } else {
            Err(Denied::OperationNotPermitted {
                role: caller.role.to_string(),
                operation: op,
                purpose,
            })
        }
    }

    /// Refuses `op` on `minor` unless permitted in the caller's standing to the child; a caller
    /// refused there has no access to the child.
    pub fn permitted_on(
        &self,
        caller: &Principal,
        op: Operation,
        purpose: Purpose,
        minor: &Minor,
    ) -> Result<(), Denied> {
        let facts = minor.relation_to(caller).into();
        if self.policy.permits(caller.role, op, Some(purpose), facts) {
            Ok(())
        } else {
            Err(Denied::NoAccessToChild(purpose))
        }
    }

    /// The caller's mask on a stored record for `purpose`: nothing of a restricted record but for
    /// those the restriction allows (see [`crate::policy::restriction_allows`]).
    pub fn mask(&self, caller: &Principal, purpose: Purpose, minor: &Minor) -> Mask {
        self.policy
            .mask(caller.role, purpose, minor.relation_to(caller))
    }

    /// What the caller sees of a record for `purpose`, through its mask on the record as it is
    /// (after the caller's own change, this can be the core fields only: a change can end the
    /// caller's relation to the child).
    pub fn view(&self, caller: &Principal, purpose: Purpose, minor: &Minor) -> MinorView {
        project(minor, self.mask(caller, purpose, minor), purpose)
    }

    /// The caller's mask on a stored record; refuses when it reads nothing.
    pub fn readable_mask(
        &self,
        caller: &Principal,
        purpose: Purpose,
        minor: &Minor,
    ) -> Result<Mask, Denied> {
        let mask = self.mask(caller, purpose, minor);
        if mask.read.is_empty() {
            return Err(Denied::NoAccessToChild(purpose));
        }
        Ok(mask)
    }
}
