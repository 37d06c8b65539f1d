//! Merging a duplicate registration into the record that survives (the guardianship service's
//! decision that two records describe one child).

use std::sync::Arc;

use serde::Serialize;

use crate::audit::Action;
use crate::category::Category;
use crate::minor::{MinorStatus, merge_data};
use crate::policy::Operation;
use crate::ports::{AgencyRepository, Merge, MinorReader, MinorWriter, UpdateMinorError};
use crate::projection::MinorView;
use crate::record::Actor;
use crate::usecase::kernel::{Conflict, Failure, Kernel, Request};
use crate::usecase::records::{Precondition, validated};

/// A merge's answer: the survivor through the caller's mask, and the categories of the duplicate
/// the merging role may not write, which the merge left for the agencies that keep them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Merged {
    #[serde(flatten)]
    pub survivor: MinorView,
    pub left_for_owners: Vec<Category>,
}

/// What a stale merge asks the caller to do again.
const DECIDE_AGAIN: &str = "decide the merge anew";

/// The merge service.
#[derive(Clone)]
pub struct Merges {
    kernel: Kernel,
    minors: Arc<dyn MinorReader>,
    writer: Arc<dyn MinorWriter>,
    agencies: Arc<dyn AgencyRepository>,
}

impl Merges {
    pub fn new(
        kernel: Kernel,
        minors: Arc<dyn MinorReader>,
        writer: Arc<dyn MinorWriter>,
        agencies: Arc<dyn AgencyRepository>,
    ) -> Self {
        Self {
            kernel,
            minors,
            writer,
            agencies,
        }
    }

    /// Merges record `duplicate` into record `survivor` (see `minor::merge_data` for what the
    /// survivor holds afterwards), based on the `if_match` version of the survivor when given.
    ///
    /// Who may merge, for which purposes, is the policy's `merge` permit. The survivor takes from
    /// the duplicate only the categories the merging role may write on it; the others are listed
    /// in [`Merged::left_for_owners`] and stay with the duplicate. Refused when the ids are equal,
    /// when either record is merged already, and when the duplicate is missing (its open alert
    /// must be resolved first, or the duplicate chosen as the survivor). Returns the survivor
    /// through the caller's mask.
    pub fn merge(
        &self,
        rq: &Request,
        survivor_id: &str,
        duplicate_id: &str,
        if_match: Option<Precondition>,
    ) -> Result<Merged, Failure> {
        let minors = [survivor_id, duplicate_id];
        self.kernel.audited(rq, Action::Merge, &minors, |trail| {
            let purpose = self.kernel.purpose(rq, Operation::Merge)?;
            if survivor_id == duplicate_id {
                return Err(Failure::invalid(
                    "duplicate",
                    "must name another record than the survivor",
                ));
            }
            let load = |id: &str| self.minors.find(id)?.ok_or_else(|| Failure::no_record(id));
            let survivor = load(survivor_id)?;
            let duplicate = load(duplicate_id)?;
            for record in [&survivor, &duplicate] {
                self.kernel
                    .permitted_on(&rq.caller, Operation::Merge, purpose, record)?;
            }
            for record in [&survivor, &duplicate] {
                // A merge would carry a restricted (or erased) record's data into one others
                // read, or theirs into it: the restriction is lifted first, knowingly.
                if record.lifecycle.is_restricted() {
                    return Err(Conflict::State(format!(
                        "record `{}` is restricted: lift the restriction before merging",
                        record.id
                    ))
                    .into());
                }
                if let Some(into) = &record.merged_into {
                    return Err(Conflict::State(format!(
                        "record `{}` was merged into `{into}` already",
                        record.id
                    ))
                    .into());
                }
            }
            if duplicate.status == MinorStatus::Missing {
                return Err(Conflict::State(format!(
                    "record `{duplicate_id}` is missing: resolve its alert first, or keep it as the survivor"
                ))
                .into());
            }
            let stale = match if_match {
                Some(Precondition::Version(v)) => v != survivor.version,
                Some(Precondition::NoVersion) => true,
                None => false,
            };
            let stale_at = |current| Conflict::Stale {
                current,
                redo: DECIDE_AGAIN,
            };
            if stale {
                return Err(stale_at(survivor.version).into());
            }
            let writable = self.kernel.mask(&rq.caller, purpose, &survivor).write;
            let offered = duplicate.data.present_categories();
            let left_for_owners: Vec<Category> = offered.difference(writable).iter().collect();
            let merged = merge_data(
                &survivor.data,
                &duplicate.data.retain(writable),
                &duplicate.registry_number,
            );
            let merged = validated(self.agencies.as_ref(), merged, self.kernel.now().date_naive())?;
            let changed = survivor.data.changed_categories(&merged);
            let actor = Actor::new(&rq.caller, purpose);
            let audit = trail.for_change(changed);
            let stored = self
                .writer
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
                    UpdateMinorError::Stale { current } => stale_at(current).into(),
                    other => Failure::from(other),
                })?;
            trail.committed();
            Ok(Merged {
                survivor: self.kernel.view(&rq.caller, purpose, &stored),
                left_for_owners,
            })
        })
    }
}
