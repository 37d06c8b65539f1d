//! The parts of a disappearance episode outside its alert: roll calls and the absences they open
//! and close, the follow-up tasks of an agency, and the sweep that flags absences and tasks past
//! their deadlines. Each change writes its events (outbox) and audit entry in one transaction.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::alert::{AlertEvent, Reporter, RiskRules};
use crate::audit::Action;
use crate::category::{Category, CategorySet};
use crate::episode::{Absence, AbsenceEnd, NewAbsence, Presence, Task, TaskStatus};
use crate::minor::MinorStatus;
use crate::page::{Page, PageRequest};
use crate::policy::{Facts, Operation};
use crate::ports::{
    AbsenceRepository, AlertRepository, EpisodeWriteError, IdGenerator, MinorReader,
    RollCallChange, TaskFilter, TaskRepository,
};
use crate::principal::Principal;
use crate::usecase::kernel::{Denied, Failure, Kernel, Request};
use crate::validation::FieldErrors;

/// The most children one roll call may name.
pub const MAX_ROLL_CALL: usize = 500;

/// How long after it was taken a roll call may still be recorded.
pub const MAX_ROLL_CALL_AGE: chrono::Duration = chrono::Duration::hours(24);

/// The ports of the episodes service.
pub struct EpisodePorts {
    pub absences: Arc<dyn AbsenceRepository>,
    pub tasks: Arc<dyn TaskRepository>,
    pub alerts: Arc<dyn AlertRepository>,
    pub minors: Arc<dyn MinorReader>,
    pub ids: Arc<dyn IdGenerator>,
}

/// The episodes service.
#[derive(Clone)]
pub struct Episodes {
    kernel: Kernel,
    absences: Arc<dyn AbsenceRepository>,
    tasks: Arc<dyn TaskRepository>,
    alerts: Arc<dyn AlertRepository>,
    minors: Arc<dyn MinorReader>,
    ids: Arc<dyn IdGenerator>,
    risk: Arc<RiskRules>,
}

/// One child of a roll call.
#[derive(Debug, Clone)]
pub struct PresenceEntry {
    pub minor_id: String,
    pub presence: Presence,
}

/// What the roll call did for one child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceOutcome {
    // Nothing to do: present, or away with leave, and no absence was open.
    Recorded,
    // An unexplained absence opened; its clock runs.
    Opened,
    // The absence already open stays open (its clock is not restarted).
    StillOpen,
    // The open absence closed: the child is back, or the absence is explained.
    Closed,
    // The child is reported missing already: the alert is the episode, nothing opened.
    AlertOpen,
}

/// The answer for one child.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct PresenceResult {
    pub minor_id: String,
    pub presence: Presence,
    pub outcome: PresenceOutcome,
    /// The absence opened, kept open or closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub absence: Option<Absence>,
}

fn reporter(caller: &Principal) -> Reporter {
    Reporter {
        subject: caller.subject.clone(),
        agency: caller.agency.to_string(),
        role: caller.role.to_string(),
    }
}

/// How often a change retries when another change to the same absence or task came first.
const ATTEMPTS: usize = 5;

impl Episodes {
    pub fn new(kernel: Kernel, ports: EpisodePorts, risk: Arc<RiskRules>) -> Self {
        Self {
            kernel,
            absences: ports.absences,
            tasks: ports.tasks,
            alerts: ports.alerts,
            minors: ports.minors,
            ids: ports.ids,
            risk,
        }
    }

    /// Records a roll call of the caller's agency (operation `presence`) taken at `checked_at`
    /// (now if `None`; never in the future). Every child named must be placed with the caller's
    /// agency now, once; otherwise nothing is stored and each offending entry is named. Present
    /// or away with leave closes an open absence; absent without leave or unknown opens one
    /// (unless one is open, or the child is reported missing already) with its clock from the risk
    /// rules. All changes, their events and the audit entry are stored at once.
    pub fn roll_call(
        &self,
        rq: &Request,
        checked_at: Option<DateTime<Utc>>,
        entries: &[PresenceEntry],
    ) -> Result<Vec<PresenceResult>, Failure> {
        let ids: Vec<&str> = entries.iter().map(|e| e.minor_id.as_str()).collect();
        self.kernel.audited(rq, Action::RollCall, &ids, |trail| {
            let purpose = self.kernel.purpose(rq, Operation::Presence)?;
            let now = self.kernel.now();
            let at = checked_at.unwrap_or(now);
            let mut errors = FieldErrors::default();
            if at > now {
                errors.push("checked_at", "is in the future");
            }
            if at < now - MAX_ROLL_CALL_AGE {
                errors.push(
                    "checked_at",
                    format!(
                        "is more than {} hours ago: a roll call is recorded within a day",
                        MAX_ROLL_CALL_AGE.num_hours()
                    ),
                );
            }
            if entries.is_empty() || entries.len() > MAX_ROLL_CALL {
                errors.push(
                    "children",
                    format!("must name 1 to {MAX_ROLL_CALL} children"),
                );
            }
            let mut seen = HashSet::new();
            let mut minors = Vec::with_capacity(entries.len());
            for (i, e) in entries.iter().enumerate() {
                if !seen.insert(e.minor_id.as_str()) {
                    errors.push(format!("children[{i}].minor_id"), "is named twice");
                    continue;
                }
                let minor = self
                    .minors
                    .find(&e.minor_id)?
                    .filter(|m| m.merged_into.is_none() && m.lifecycle.erased_at.is_none());
                let placed_here = minor.as_ref().is_some_and(|m| {
                    m.data.placement_agency() == Some(rq.caller.agency.as_str())
                });
                match minor {
                    Some(m) if placed_here => minors.push(m),
                    _ => errors.push(
                        format!("children[{i}].minor_id"),
                        "is not a child placed with your agency",
                    ),
                }
            }
            if !errors.is_empty() {
                return Err(Failure::Invalid(errors));
            }
            for m in &minors {
                self.kernel
                    .permitted_on(&rq.caller, Operation::Presence, purpose, m)?;
            }
            let by = reporter(&rq.caller);
            let mut opened = Vec::new();
            let mut closed = Vec::new();
            let mut events = Vec::new();
            let mut results = Vec::with_capacity(entries.len());
            for (i, (e, minor)) in entries.iter().zip(&minors).enumerate() {
                let open = self.absences.open_for_minor(&minor.id)?;
                // A roll call older than the absence it would close says nothing of the child now.
                if let Some(a) = open.as_ref().filter(|a| !e.presence.unexplained() && at < a.noted_at) {
                    return Err(Failure::invalid(
                        &format!("children[{i}].presence"),
                        format!(
                            "the child's open absence was noted at {}, after this roll call",
                            a.noted_at.to_rfc3339()
                        ),
                    ));
                }
                let (outcome, absence) = match (e.presence.unexplained(), open) {
                    (false, Some(mut a)) => {
                        let read = a.version;
                        let reason = if e.presence == Presence::Present {
                            AbsenceEnd::Returned
                        } else {
                            AbsenceEnd::Permitted
                        };
                        if let Some(kind) = a.close(reason, &by, None, now) {
                            events.push(AlertEvent::of_absence(kind, &a, self.ids.new_id(), now));
                        }
                        closed.push((a.clone(), read));
                        (PresenceOutcome::Closed, Some(a))
                    }
                    (false, None) => (PresenceOutcome::Recorded, None),
                    (true, Some(a)) => (PresenceOutcome::StillOpen, Some(a)),
                    (true, None) if minor.status == MinorStatus::Missing => {
                        (PresenceOutcome::AlertOpen, None)
                    }
                    (true, None) => {
                        let previous = self.alerts.count_for_minor(&minor.id)?;
                        let level = self.risk.assess(&minor.data, previous, at.date_naive()).level;
                        let a = Absence::open(NewAbsence {
                            id: self.ids.new_id(),
                            minor_id: minor.id.clone(),
                            agency: rq.caller.agency.to_string(),
                            presence: e.presence,
                            noted_at: at,
                            recorded_by: by.clone(),
                            risk: level,
                            overdue_after: self.risk.absence_overdue_after(level),
                            escalate_after: self.risk.absence_escalate_after(level),
                        });
                        opened.push(a.clone());
                        (PresenceOutcome::Opened, Some(a))
                    }
                };
                results.push(PresenceResult {
                    minor_id: minor.id.clone(),
                    presence: e.presence,
                    outcome,
                    absence,
                });
            }
            // Where the child was found absent is a fact of its placement.
            let shows = results.iter().any(|r| r.absence.is_some());
            let categories = if shows {
                [Category::Placement].into_iter().collect()
            } else {
                CategorySet::EMPTY
            };
            let audit = trail.for_change(categories);
            match self.absences.roll_call(&RollCallChange {
                opened: &opened,
                closed: &closed,
                events: &events,
                audit: &audit,
            }) {
                Ok(()) => {}
                Err(EpisodeWriteError::Stale) => {
                    return Err(Failure::Conflict(
                        crate::usecase::kernel::Conflict::State(
                            "another roll call changed these children's absences meanwhile: send it again"
                                .into(),
                        ),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
            trail.committed();
            Ok(results)
        })
    }

    /// The child's absences, the most recent first, for a caller who reads its `placement` for
    /// the purpose stated.
    pub fn absences(&self, rq: &Request, minor_id: &str) -> Result<Vec<Absence>, Failure> {
        self.kernel
            .audited(rq, Action::AbsenceRead, &[minor_id], |trail| {
                let purpose = self.kernel.purpose(rq, Operation::Consult)?;
                let minor = self
                    .minors
                    .find(minor_id)?
                    .ok_or_else(|| Failure::no_record(minor_id))?;
                self.kernel
                    .permitted_on(&rq.caller, Operation::Consult, purpose, &minor)?;
                if !self
                    .kernel
                    .mask(&rq.caller, purpose, &minor)
                    .read
                    .contains(Category::Placement)
                {
                    return Err(Denied::NoAccessToChild(purpose).into());
                }
                let absences = self.absences.of_minor(minor_id)?;
                trail.discloses([Category::Placement].into_iter().collect());
                Ok(absences)
            })
    }

    /// The follow-up tasks assigned to the caller's agency (operation `tasks`), in the order
    /// created. The answer names children and alerts, no field of a record.
    pub fn tasks(
        &self,
        rq: &Request,
        status: Option<TaskStatus>,
        overdue: bool,
        page: &PageRequest<i64>,
    ) -> Result<Page<Task, i64>, Failure> {
        self.kernel.audited(rq, Action::TaskList, &[], |trail| {
            let purpose = self.kernel.purpose(rq, Operation::Tasks)?;
            self.kernel.permitted(
                &rq.caller,
                Operation::Tasks,
                Some(purpose),
                Facts::default(),
            )?;
            let page = self.tasks.list(
                &TaskFilter {
                    agency: rq.caller.agency.to_string(),
                    status,
                    overdue,
                    minor_id: None,
                },
                page,
            )?;
            let items: Vec<Task> = page.items.into_iter().map(|(_, t)| t).collect();
            let mut children: Vec<String> = items.iter().map(|t| t.minor_id.clone()).collect();
            children.sort();
            children.dedup();
            trail.concerns(children);
            Ok(Page {
                items,
                next: page.next,
            })
        })
    }

    /// Completes a task assigned to the caller's agency (operation `tasks`). A task of another
    /// agency is not found.
    pub fn complete_task(
        &self,
        rq: &Request,
        id: &str,
        note: Option<&str>,
    ) -> Result<Task, Failure> {
        let note = note
            .map(|n| {
                let n = crate::minor::validate::normalise(n);
                if n.is_empty() || n.chars().count() > 4000 {
                    Err(Failure::invalid("note", "must be 1 to 4000 characters"))
                } else {
                    Ok(n)
                }
            })
            .transpose()?;
        self.kernel.audited(rq, Action::TaskComplete, &[], |trail| {
            let purpose = self.kernel.purpose(rq, Operation::Tasks)?;
            self.kernel.permitted(
                &rq.caller,
                Operation::Tasks,
                Some(purpose),
                Facts::default(),
            )?;
            for _ in 0..ATTEMPTS {
                let mut task = self
                    .tasks
                    .find(id)?
                    .filter(|t| t.agency == rq.caller.agency.as_str())
                    .ok_or_else(|| Failure::NotFound(format!("no task `{id}` of your agency")))?;
                trail.concerns(vec![task.minor_id.clone()]);
                let read = task.version;
                let now = self.kernel.now();
                let kind = task.complete(&reporter(&rq.caller), note.clone(), now)?;
                let event = AlertEvent::of_task(kind, &task, self.ids.new_id(), now);
                let audit = trail.for_change(CategorySet::EMPTY);
                match self.tasks.update(&task, read, &event, Some(&audit)) {
                    Ok(()) => {
                        trail.committed();
                        return Ok(task);
                    }
                    Err(EpisodeWriteError::Stale) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Err(anyhow::anyhow!("the task kept changing during {ATTEMPTS} attempts").into())
        })
    }

    /// Flags absences past their clock (overdue, then escalated) and tasks past their deadline,
    /// each once, with its event. Returns how many events were raised.
    pub fn sweep(&self) -> anyhow::Result<usize> {
        let now = self.kernel.now();
        let mut raised = 0;
        for mut absence in self.absences.due(now)? {
            let read = absence.version;
            let Some(kind) = absence.sweep(now) else {
                continue;
            };
            let event = AlertEvent::of_absence(kind, &absence, self.ids.new_id(), now);
            match self.absences.update(&absence, read, &event) {
                Ok(()) => raised += 1,
                // A roll call or a report changed it: the next sweep looks again.
                Err(EpisodeWriteError::Stale) => {}
                Err(EpisodeWriteError::Unknown(e)) => return Err(e),
            }
        }
        for mut task in self.tasks.due(now)? {
            let read = task.version;
            let Some(kind) = task.overdue_if_due(now) else {
                continue;
            };
            let event = AlertEvent::of_task(kind, &task, self.ids.new_id(), now);
            match self.tasks.update(&task, read, &event, None) {
                Ok(()) => raised += 1,
                Err(EpisodeWriteError::Stale) => {}
                Err(EpisodeWriteError::Unknown(e)) => return Err(e),
            }
        }
        Ok(raised)
    }
}
