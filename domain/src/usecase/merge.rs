//! Merging a duplicate registration into the record that survives (the guardianship service's
//! decision that two records describe one child).

use crate::audit::{Action, Outcome};
use crate::minor::{MinorStatus, merge_data};
use crate::ports::{AuditUnavailable, Merge, UpdateMinorError};
use crate::projection::MinorView;
use crate::purpose::Purpose;
use crate::record::Actor;
use crate::role::Role;
use crate::usecase::minors::{
    Audited, Denied, Minors, Precondition, RegisterError, Request, Trail,
};
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("only the guardianship service merges records, for identification or guardianship")]
    NotGuardianshipService,
    #[error("no record with id `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    /// The merge cannot be done in the records' present state; the text says why.
    #[error("{0}")]
    Conflict(String),
    #[error(
        "the record changed: it is at version {current}; fetch it again and decide the merge anew"
    )]
    Stale { current: i64 },
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl Audited for MergeError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(Denied::PurposeMissing(_)) => Outcome::PurposeMissing,
            Self::Denied(_) | Self::NotGuardianshipService => Outcome::Denied,
            Self::NotFound(_) => Outcome::NotFound,
            Self::Invalid(_) | Self::Conflict(_) | Self::Stale { .. } => Outcome::Rejected,
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

impl Minors {
    /// Merges record `duplicate` into record `survivor` (see `minor::merge_data` for what the
    /// survivor holds afterwards), based on the `if_match` version of the survivor when given.
    ///
    /// Only the guardianship service (role `guardianship_officer`) merges, for the purpose
    /// `identification` or `guardianship`. Refused when the ids are equal, when either record is
    /// merged already, and when the duplicate is missing (its open alert must be resolved first,
    /// or the duplicate chosen as the survivor). Returns the survivor through the caller's mask.
    pub fn merge(
        &self,
        rq: &Request,
        survivor_id: &str,
        duplicate_id: &str,
        if_match: Option<Precondition>,
    ) -> Result<MinorView, MergeError> {
        let mut trail = Trail::new(
            rq,
            Action::Merge,
            &[survivor_id, duplicate_id],
            self.clock.now(),
        );
        let result = (|| {
            let purpose = self.check_purpose(rq)?;
            if rq.caller.role != Role::GuardianshipOfficer
                || !matches!(purpose, Purpose::Identification | Purpose::Guardianship)
            {
                return Err(MergeError::NotGuardianshipService);
            }
            if survivor_id == duplicate_id {
                let mut e = FieldErrors::default();
                e.push("duplicate", "must name another record than the survivor");
                return Err(e.into());
            }
            let load = |id: &str| {
                self.minors
                    .find(id)?
                    .ok_or_else(|| MergeError::NotFound(id.to_owned()))
            };
            let survivor = load(survivor_id)?;
            let duplicate = load(duplicate_id)?;
            for record in [&survivor, &duplicate] {
                if let Some(into) = &record.merged_into {
                    return Err(MergeError::Conflict(format!(
                        "record `{}` was merged into `{into}` already",
                        record.id
                    )));
                }
            }
            if duplicate.status == MinorStatus::Missing {
                return Err(MergeError::Conflict(format!(
                    "record `{duplicate_id}` is missing: resolve its alert first, or keep it as the survivor"
                )));
            }
            let stale = match if_match {
                Some(Precondition::Version(v)) => v != survivor.version,
                Some(Precondition::NoVersion) => true,
                Some(Precondition::Any) | None => false,
            };
            if stale {
                return Err(MergeError::Stale {
                    current: survivor.version,
                });
            }
            let merged = merge_data(&survivor.data, &duplicate.data, &duplicate.registry_number);
            let merged = self.validated(merged).map_err(|e| match e {
                RegisterError::Denied(d) => MergeError::Denied(d),
                RegisterError::Invalid(f) => MergeError::Invalid(f),
                RegisterError::Unavailable(u) => MergeError::Unavailable(u),
                RegisterError::Unknown(u) => MergeError::Unknown(u),
            })?;
            let changed = survivor.data.changed_categories(&merged);
            let actor = Actor::new(&rq.caller, purpose);
            let audit = trail.for_change(changed);
            let stored = self
                .minors
                .merge(&Merge {
                    survivor: survivor_id,
                    survivor_version: survivor.version,
                    duplicate: duplicate_id,
                    duplicate_version: duplicate.version,
                    data: &merged,
                    changed,
                    actor: &actor,
                    at: audit.at,
                    audit: &audit,
                })
                .map_err(|e| match e {
                    UpdateMinorError::NotFound(id) => MergeError::NotFound(id),
                    UpdateMinorError::Stale { current } => MergeError::Stale { current },
                    UpdateMinorError::Unknown(e) => MergeError::Unknown(e),
                })?;
            trail.written = true;
            Ok(self.view_after_write(&rq.caller, purpose, &stored))
        })();
        trail.close(self.audit.as_ref(), result)
    }
}
