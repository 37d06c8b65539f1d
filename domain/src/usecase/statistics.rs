//! Aggregated statistics for policy makers: for analysts (role `analyst`, purpose `statistics`)
//! only, who never see child data; every request, refused ones too, is audited.

use std::sync::Arc;

use crate::audit::Action;
use crate::policy::{Facts, Operation};
use crate::ports::StatisticsSource;
use crate::statistics::{self, Month, Query, Series};
use crate::usecase::kernel::{Denied, Failure, Kernel, Request};
use crate::validation::FieldErrors;

/// The statistics service.
#[derive(Clone)]
pub struct Statistics {
    kernel: Kernel,
    source: Arc<dyn StatisticsSource>,
    /// The smallest count published; smaller cells, and those that would reveal them, are
    /// suppressed.
    threshold: u64,
}

impl Statistics {
    pub fn new(kernel: Kernel, source: Arc<dyn StatisticsSource>, threshold: u64) -> Self {
        Self {
            kernel,
            source,
            threshold,
        }
    }

    /// One series (see [`statistics::compute`]). Only the roles the `statistics` permits name
    /// (`analyst`), with the purpose `statistics`, are answered: a missing or unknown purpose is
    /// `Denied::PurposeMissing`, anyone else `Denied::NotPermitted`; an invalid query (checked
    /// after access) `Invalid`. Audited with no child and no category: the answer holds counts
    /// and quartiles of groups, never a child's data.
    pub fn series(
        &self,
        rq: &Request,
        query: Result<Query, FieldErrors>,
    ) -> Result<Series, Failure> {
        self.kernel.audited(rq, Action::Statistics, &[], |trail| {
            let purpose = self.kernel.stated(rq)?;
            if !self.kernel.policy().permits(
                rq.caller.role,
                Operation::Statistics,
                Some(purpose),
                Facts::default(),
            ) {
                return Err(Denied::NotPermitted(
                    "statistics are for the roles the policy permits them to (`analyst`), with \
                     the purpose `statistics`"
                        .to_owned(),
                )
                .into());
            }
            let query = query?;
            query.validate()?;
            let facts = self.source.facts()?;
            Ok(statistics::compute(
                &facts,
                &query,
                Month::of(trail.at()),
                self.threshold,
            ))
        })
    }
}
