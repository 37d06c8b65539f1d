//! The child's own access (GDPR Art. 15, UNCRC Art. 12): everything the registry holds on a
//! child, every disclosure of it from the audit trail, and the retention dates, for the guardian
//! or the guardianship service to give to the child. Only they may ask (an invariant of the
//! policy), for the purpose `guardianship`; the export is itself audited, with every category it
//! holds.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::alert::Alert;
use crate::audit::{Action, ChainedEntry, Outcome};
use crate::category::Category;
use crate::lifecycle::Retention;
use crate::minor::{MinorData, MinorStatus};
use crate::page::{PageRequest, PageSize};
use crate::policy::Operation;
use crate::ports::{AlertRepository, AuditLog, MinorReader};
use crate::purpose::Purpose;
use crate::record::Revision;
use crate::usecase::kernel::{Failure, Kernel, Request};
use crate::usecase::lifecycle::LifecycleView;

/// Audit entries read at a time.
const AUDIT_PAGE: u64 = 200;

/// One change of the record: when, by which agency and role, why, which categories.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Change {
    pub version: i64,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "DateTime<Utc>")]
    pub at: DateTime<Utc>,
    pub agency: String,
    pub role: String,
    pub purpose: Purpose,
    pub changed: Vec<Category>,
    /// Categories whose values were later redacted from this version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<Category>,
}

/// One disclosure or use of the child's data, from the audit trail: who (agency and role; the
/// person's own identifier is the agency's to give), when, why, what was done, which categories.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Disclosure {
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "DateTime<Utc>")]
    pub at: DateTime<Utc>,
    /// `None`: the registry itself (its lifecycle sweep).
    pub agency: Option<String>,
    pub role: Option<String>,
    pub purpose: Option<Purpose>,
    pub action: Action,
    pub categories: Vec<Category>,
    pub outcome: Outcome,
}

impl Disclosure {
    fn of(e: &ChainedEntry) -> Self {
        Self {
            at: e.entry.at,
            agency: e.entry.agency.clone(),
            role: e.entry.role.clone(),
            purpose: e.entry.purpose,
            action: e.entry.action,
            categories: e.entry.categories.iter().collect(),
            outcome: e.entry.outcome,
        }
    }
}

/// Everything held on one child.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SubjectAccess {
    pub id: String,
    pub registry_number: String,
    pub status: MinorStatus,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "DateTime<Utc>")]
    pub registered_at: DateTime<Utc>,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "DateTime<Utc>")]
    pub updated_at: DateTime<Utc>,
    /// Every category held, whoever may read it.
    pub data: MinorData,
    pub changes: Vec<Change>,
    /// The child's alerts as stored, without the identifiers of the people who reported,
    /// acknowledged or resolved them (their agencies stay).
    #[schemars(with = "Vec<serde_json::Map<String, serde_json::Value>>")]
    pub alerts: Vec<serde_json::Value>,
    pub disclosures: Vec<Disclosure>,
    /// Restriction, closure, review date, the rules that will run and when, every lifecycle act.
    pub lifecycle: LifecycleView,
    /// The retention rules in force, with their reasons.
    pub retention: Retention,
    /// When this export was made.
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "DateTime<Utc>")]
    pub made_at: DateTime<Utc>,
}

/// An alert as JSON without the `subject` of any person and the `by` of an acknowledgement (a
/// person's identifier is the agency's to give).
fn without_people(alert: &Alert) -> anyhow::Result<serde_json::Value> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.remove("subject");
                if map.get("by").is_some_and(serde_json::Value::is_string) {
                    map.remove("by");
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(alert)?;
    strip(&mut value);
    Ok(value)
}

/// The subject-access service.
#[derive(Clone)]
pub struct SubjectAccesses {
    kernel: Kernel,
    minors: Arc<dyn MinorReader>,
    alerts: Arc<dyn AlertRepository>,
    retention: Arc<Retention>,
}

impl SubjectAccesses {
    pub fn new(
        kernel: Kernel,
        minors: Arc<dyn MinorReader>,
        alerts: Arc<dyn AlertRepository>,
        retention: Arc<Retention>,
    ) -> Self {
        Self {
            kernel,
            minors,
            alerts,
            retention,
        }
    }

    fn audit(&self) -> &dyn AuditLog {
        self.kernel.audit()
    }

    /// Everything held on child `id`, if the caller may ask for it (operation `subject_access`).
    pub fn export(&self, rq: &Request, id: &str) -> Result<SubjectAccess, Failure> {
        self.kernel
            .audited(rq, Action::SubjectAccess, &[id], |trail| {
                let purpose = self.kernel.purpose(rq, Operation::SubjectAccess)?;
                let minor = self
                    .minors
                    .find(id)?
                    .ok_or_else(|| Failure::no_record(id))?;
                self.kernel
                    .permitted_on(&rq.caller, Operation::SubjectAccess, purpose, &minor)?;
                let history: Vec<Revision> = self.minors.history(id)?;
                let mut disclosures = Vec::new();
                let mut after = None;
                loop {
                    let page = self.audit().for_minor(
                        id,
                        &PageRequest {
                            after,
                            limit: PageSize::new(AUDIT_PAGE).map_err(|e| anyhow::anyhow!("{e}"))?,
                        },
                    )?;
                    disclosures.extend(page.items.iter().map(Disclosure::of));
                    match page.next {
                        Some(next) => after = Some(next),
                        None => break,
                    }
                }
                let held = history
                    .iter()
                    .fold(minor.data.present_categories(), |all, r| {
                        all.union(r.data.present_categories())
                    });
                trail.discloses(held);
                Ok(SubjectAccess {
                    id: minor.id.clone(),
                    registry_number: minor.registry_number.clone(),
                    status: minor.status,
                    registered_at: minor.registered_at,
                    updated_at: minor.updated_at,
                    data: minor.data.clone(),
                    changes: history
                        .iter()
                        .map(|r| Change {
                            version: r.version,
                            at: r.at,
                            agency: r.actor.agency.clone(),
                            role: r.actor.role.clone(),
                            purpose: r.actor.purpose,
                            changed: r.changed.iter().collect(),
                            redacted: r.redacted.iter().collect(),
                        })
                        .collect(),
                    alerts: self
                        .alerts
                        .of_minor(id)?
                        .iter()
                        .map(without_people)
                        .collect::<Result<_, _>>()?,
                    disclosures,
                    lifecycle: LifecycleView::of(&minor, &self.retention),
                    retention: self.retention.as_ref().clone(),
                    made_at: trail.at(),
                })
            })
    }
}
