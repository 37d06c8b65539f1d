//! Aggregated statistics for policy makers: for analysts (role `analyst`, purpose `statistics`)
//! only, who never see child data; every request, refused ones too, is audited.

use std::sync::Arc;

use crate::audit::{Action, Outcome};
use crate::policy::{Facts, Operation, Policy};
use crate::ports::{AuditLog, AuditUnavailable, Clock, StatisticsSource};
use crate::statistics::{self, Month, Query, Series};
use crate::usecase::minors::{Audited, Denied, Request, Trail, stated};
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum StatisticsError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(
        "statistics are for the roles the policy permits them to (`analyst`), with the purpose `statistics`"
    )]
    NotAnalyst,
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl Audited for StatisticsError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(Denied::PurposeMissing(_)) => Outcome::PurposeMissing,
            Self::Denied(_) | Self::NotAnalyst => Outcome::Denied,
            Self::Invalid(_) => Outcome::Rejected,
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

/// The statistics service.
#[derive(Clone)]
pub struct Statistics {
    pub source: Arc<dyn StatisticsSource>,
    pub clock: Arc<dyn Clock>,
    pub audit: Arc<dyn AuditLog>,
    /// Who may ask: the `statistics` permits.
    pub policy: Arc<Policy>,
    /// The smallest count published; smaller cells, and those that would reveal them, are
    /// suppressed.
    pub threshold: u64,
}

impl Statistics {
    /// One series (see [`statistics::compute`]). Only the role `analyst` with the purpose
    /// `statistics` is answered: a missing or unknown purpose is `Denied(PurposeMissing)`, anyone
    /// else `NotAnalyst`; an invalid query (checked after access) `Invalid`. Audited with no
    /// child and no category: the answer holds counts and quartiles of groups, never a child's
    /// data.
    pub fn series(
        &self,
        rq: &Request,
        query: Result<Query, FieldErrors>,
    ) -> Result<Series, StatisticsError> {
        let now = self.clock.now();
        let trail = Trail::new(rq, Action::Statistics, &[], now);
        let result = (|| {
            let purpose = stated(rq)?;
            if !self.policy.permits(
                rq.caller.role,
                Operation::Statistics,
                Some(purpose),
                Facts::default(),
            ) {
                return Err(StatisticsError::NotAnalyst);
            }
            let query = query?;
            query.validate()?;
            let facts = self.source.facts()?;
            Ok(statistics::compute(
                &facts,
                &query,
                Month::of(now),
                self.threshold,
            ))
        })();
        trail.close(self.audit.as_ref(), result)
    }
}
