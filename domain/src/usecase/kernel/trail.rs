//! The audit entry of one request, filled in as the use case runs and closed with its outcome.

use chrono::{DateTime, Utc};

use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::{Category, CategorySet};
use crate::ports::AuditLog;

use super::{Failure, Request};

/// How the entry of a successful request reaches the trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnSuccess {
    /// Appended when the trail closes.
    Append,
    /// Committed already, in the transaction of the change it records.
    Committed,
    /// Not recorded: the answer discloses nothing, and only a refusal is recorded.
    Skip,
}

/// The audit entry of one request. A use case fills in what it discloses; [`super::Kernel::audited`]
/// closes it with the outcome of the result, so that no path leaves it unrecorded.
#[derive(Debug)]
pub struct Trail {
    entry: AuditEntry,
    on_success: OnSuccess,
}

impl Trail {
    pub(crate) fn new(rq: &Request, action: Action, minors: &[&str], at: DateTime<Utc>) -> Self {
        Self {
            entry: AuditEntry {
                at,
                subject: Some(rq.caller.subject.clone()),
                agency: Some(rq.caller.agency.to_string()),
                role: Some(rq.caller.role.to_string()),
                purpose: rq.purpose.as_ref().ok().copied(),
                action,
                minors: minors.iter().map(|m| (*m).to_owned()).collect(),
                categories: CategorySet::EMPTY,
                outcome: Outcome::Success,
                request_id: rq.request_id.clone(),
            }
            .normalised(),
            on_success: OnSuccess::Append,
        }
    }

    /// When the request was received: the time of its entry, and of the change it makes.
    pub fn at(&self) -> DateTime<Utc> {
        self.entry.at
    }

    /// The children the request concerns, once known (a listing, a search, an alert's child).
    pub fn concerns(&mut self, minors: Vec<String>) {
        self.entry.minors = minors;
    }

    /// The categories the answer discloses (replacing those set before).
    pub fn discloses(&mut self, categories: CategorySet) {
        self.entry.categories = categories;
    }

    /// One more category the answer discloses.
    pub fn discloses_also(&mut self, category: Category) {
        self.entry.categories.insert(category);
    }

    /// The entry to commit with a successful change that touches `changed`; the change MUST then
    /// be followed by [`Trail::committed`].
    pub fn for_change(&self, changed: CategorySet) -> AuditEntry {
        AuditEntry {
            categories: changed,
            outcome: Outcome::Success,
            ..self.entry.clone()
        }
    }

    /// The change committed the entry of [`Trail::for_change`]: a success is not appended again.
    pub fn committed(&mut self) {
        self.on_success = OnSuccess::Committed;
    }

    /// Only a refusal ([`Failure::Denied`]) is recorded: the answer discloses nothing, and
    /// neither does a miss.
    pub fn refusals_only(&mut self) {
        self.on_success = OnSuccess::Skip;
    }

    /// Appends the entry with the result's outcome, unless a success is committed already or not
    /// recorded. If the trail cannot take it, the result becomes `Unavailable`: nothing is
    /// disclosed unaudited.
    pub(crate) fn close<T>(
        mut self,
        audit: &dyn AuditLog,
        result: Result<T, Failure>,
    ) -> Result<T, Failure> {
        match &result {
            Ok(_) if self.on_success != OnSuccess::Append => return result,
            Ok(_) => {}
            Err(e) if self.on_success == OnSuccess::Skip && !matches!(e, Failure::Denied(_)) => {
                return result;
            }
            Err(e) => {
                self.entry.outcome = e.outcome();
                self.entry.categories = CategorySet::EMPTY;
            }
        }
        audit.append(self.entry)?;
        result
    }
}
