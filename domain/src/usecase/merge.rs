//! Merging a duplicate registration into the record that survives (the guardianship service's
//! decision that two records describe one child).

use crate::audit::{Action, Outcome};
use crate::category::Category;
use crate::minor::{MinorStatus, merge_data};
use crate::policy::Operation;
use crate::ports::{AuditUnavailable, Merge, UpdateMinorError};
use crate::projection::MinorView;
use crate::record::Actor;
use crate::usecase::minors::{
    Audited, Denied, Minors, Precondition, RegisterError, Request, Trail,
};
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Denied(#[from] Denied),
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
            Self::Denied(_) => Outcome::Denied,
            Self::NotFound(_) => Outcome::NotFound,
            Self::Invalid(_) | Self::Conflict(_) | Self::Stale { .. } => Outcome::Rejected,
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

/// A merge's answer: the survivor through the caller's mask, and the categories of the duplicate
/// the merging role may not write, which the merge left for the agencies that keep them.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub survivor: MinorView,
    pub left_for_owners: Vec<Category>,
}

impl Minors {
    /// Merges record `duplicate` into record `survivor` (see `minor::merge_data` for what the
    /// survivor holds afterwards), based on the `if_match` version of the survivor when given.
    ///
    /// Who may merge, for which purposes, is the policy's `merge` permit. The survivor takes from
    /// the duplicate only the categories the merging role may write on it; the others are listed
    /// in [`Merged::left_for_owners`] and stay with the duplicate. Refused when the ids are equal, when either record is
    /// merged already, and when the duplicate is missing (its open alert must be resolved first,
    /// or the duplicate chosen as the survivor). Returns the survivor through the caller's mask.
    pub fn merge(
        &self,
        rq: &Request,
        survivor_id: &str,
        duplicate_id: &str,
        if_match: Option<Precondition>,
    ) -> Result<Merged, MergeError> {
        let mut trail = Trail::new(
            rq,
            Action::Merge,
            &[survivor_id, duplicate_id],
            self.clock.now(),
        );
        let result = (|| {
            let purpose = self.check_purpose(rq, Operation::Merge)?;
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
                self.permitted_on(&rq.caller, Operation::Merge, purpose, record)?;
            }
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
            let writable = self
                .policy
                .mask(rq.caller.role, purpose, survivor.relation_to(&rq.caller))
                .write;
            let offered = duplicate.data.present_categories();
            let left_for_owners: Vec<Category> = offered.difference(writable).iter().collect();
            let merged = merge_data(
                &survivor.data,
                &duplicate.data.retain(writable),
                &duplicate.registry_number,
            );
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
            Ok(Merged {
                survivor: self.view_after_write(&rq.caller, purpose, &stored),
                left_for_owners,
            })
        })();
        trail.close(self.audit.as_ref(), result)
    }
}
