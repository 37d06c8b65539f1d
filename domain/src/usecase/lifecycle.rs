//! A record's lifecycle: the retention rules applied by a daily sweep, and the acts of people on a
//! record's life (restriction, closure, review, photo deletion, history redaction). Every act and
//! every step of the sweep is audited; the sweep's entries carry no subject or agency.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::alert::{AlertEvent, AlertStatus, EventType};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::{Category, CategorySet};
use crate::lifecycle::{
    Act, ActBy, ActKind, Closure, ClosureReason, Erasure, Hold, Lifecycle, NoticeRule, Restriction,
    Retention, RetentionAction, ReviewNotice, ReviewReason, pending, review_date, review_dates,
};
use crate::minor::{MinorStatus, Photos};
use crate::page::{PageRequest, PageSize};
use crate::policy::Operation;
use crate::ports::{
    AlertFilter, AlertRepository, Change, IdGenerator, LifecycleChange, MinorReader, MinorWriter,
    Redaction, SweepCalendar, UpdateMinorError,
};
use crate::record::{Actor, Minor};
use crate::usecase::kernel::{Conflict, Failure, Kernel, Request, Trail};
use crate::usecase::records::erased;

/// Longest reason a person may give for a lifecycle act.
const MAX_REASON: usize = 1000;

/// Resolved alerts the sweep reads at a time.
const ALERT_PAGE: u64 = 200;

/// Records the sweep reads at a time.
const SWEEP_PAGE: usize = 200;

/// A rule that will run on a record, as shown to the guardianship service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PendingRule {
    pub rule: String,
    pub action: RetentionAction,
    pub applies_to: crate::lifecycle::Target,
    pub on: NaiveDate,
}

/// Where a record stands in its life: what the guardianship service sees of it (no field of the
/// child's data), and the tombstone of an erased record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LifecycleView {
    pub id: String,
    pub registry_number: String,
    pub version: i64,
    pub restricted: bool,
    /// The day the record is next due for review (`null` for a tombstone).
    pub review_due: Option<NaiveDate>,
    /// The rules that will run, earliest first.
    pub pending: Vec<PendingRule>,
    #[serde(flatten)]
    pub lifecycle: Lifecycle,
}

impl LifecycleView {
    pub fn of(minor: &Minor, retention: &Retention) -> Self {
        Self {
            id: minor.id.clone(),
            registry_number: minor.registry_number.clone(),
            version: minor.version,
            restricted: minor.lifecycle.is_restricted(),
            review_due: review_date(retention, minor),
            pending: pending(retention, minor)
                .into_iter()
                .map(|d| PendingRule {
                    rule: d.rule.id.clone(),
                    action: d.rule.action,
                    applies_to: d.rule.applies_to,
                    on: d.on,
                })
                .collect(),
            lifecycle: minor.lifecycle.clone(),
        }
    }
}

/// What one day's sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SweepReport {
    pub records: usize,
    pub restricted: usize,
    pub erased: usize,
    /// Rules due on a record that moved on meanwhile, or whose child is missing: they run on a
    /// later day.
    pub deferred: usize,
    /// Review notices raised (records, and open alerts).
    pub notices: usize,
    /// Resolved alerts erased.
    pub alerts_erased: usize,
    /// The last audit entry removed by the day's cut, if there was one.
    pub audit_cut_through: Option<i64>,
}

/// A review's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewDecision {
    /// The record's course is right: the rules run when they fall due.
    Confirm,
    /// No rule runs before this day.
    HoldUntil(NaiveDate),
}

/// The ports of the lifecycle service.
pub struct LifecyclePorts {
    pub minors: Arc<dyn MinorReader>,
    pub writer: Arc<dyn MinorWriter>,
    pub calendar: Arc<dyn SweepCalendar>,
    /// Read only: a missing child's open alert, reviewed on its own clock.
    pub alerts: Arc<dyn AlertRepository>,
    pub ids: Arc<dyn IdGenerator>,
}

/// The lifecycle service.
#[derive(Clone)]
pub struct Lifecycles {
    kernel: Kernel,
    minors: Arc<dyn MinorReader>,
    writer: Arc<dyn MinorWriter>,
    calendar: Arc<dyn SweepCalendar>,
    alerts: Arc<dyn AlertRepository>,
    ids: Arc<dyn IdGenerator>,
    retention: Arc<Retention>,
}

/// A reason given by a person: required, trimmed, bounded.
fn reason(text: &str) -> Result<String, Failure> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Failure::invalid("reason", "a reason is required"));
    }
    if text.chars().count() > MAX_REASON {
        return Err(Failure::invalid(
            "reason",
            format!("at most {MAX_REASON} characters"),
        ));
    }
    Ok(text.to_owned())
}

impl Lifecycles {
    pub fn new(kernel: Kernel, ports: LifecyclePorts, retention: Arc<Retention>) -> Self {
        Self {
            kernel,
            minors: ports.minors,
            writer: ports.writer,
            calendar: ports.calendar,
            alerts: ports.alerts,
            ids: ports.ids,
            retention,
        }
    }

    /// The retention rules in force (no child data: any authenticated caller).
    pub fn retention(&self) -> &Retention {
        &self.retention
    }

    fn load(&self, id: &str) -> Result<Minor, Failure> {
        let minor = self
            .minors
            .find(id)?
            .ok_or_else(|| Failure::no_record(id))?;
        if let Some(into) = minor.merged_into {
            return Err(Conflict::Merged {
                id: id.to_owned(),
                into,
            }
            .into());
        }
        Ok(minor)
    }

    /// The record `id`, if the caller may do `op` on it for the stated purpose.
    fn permitted(&self, rq: &Request, op: Operation, id: &str) -> Result<Minor, Failure> {
        let purpose = self.kernel.purpose(rq, op)?;
        let minor = self.load(id)?;
        self.kernel.permitted_on(&rq.caller, op, purpose, &minor)?;
        Ok(minor)
    }

    fn act(&self, rq: &Request, kind: ActKind, at: DateTime<Utc>, why: String) -> Act {
        Act {
            by: Some(ActBy {
                agency: rq.caller.agency.to_string(),
                role: rq.caller.role.to_string(),
            }),
            reason: Some(why),
            ..Act::new(kind, at)
        }
    }

    /// Stores a lifecycle that a person's act changed, with the act's audit entry.
    fn store(
        &self,
        trail: &mut Trail,
        minor: &Minor,
        lifecycle: &Lifecycle,
        categories: CategorySet,
    ) -> Result<LifecycleView, Failure> {
        let audit = trail.for_change(categories);
        let stored = self.writer.change_lifecycle(
            &minor.id,
            &LifecycleChange {
                expected_version: minor.version,
                lifecycle,
                erasure: None,
                moves_version: lifecycle.is_restricted() != minor.lifecycle.is_restricted(),
                notice: None,
                at: audit.at,
                audit: &audit,
            },
        )?;
        trail.committed();
        Ok(LifecycleView::of(&stored, &self.retention))
    }

    /// Where the record stands in its life (operation `review`).
    pub fn status(&self, rq: &Request, id: &str) -> Result<LifecycleView, Failure> {
        self.kernel.audited(rq, Action::Review, &[id], |trail| {
            trail.refusals_only();
            let minor = self.permitted(rq, Operation::Review, id)?;
            Ok(LifecycleView::of(&minor, &self.retention))
        })
    }

    /// Restricts the record (GDPR Art. 18): from now on only the guardianship service and the
    /// child's guardian read it, for `guardianship`.
    pub fn restrict(&self, rq: &Request, id: &str, why: &str) -> Result<LifecycleView, Failure> {
        self.kernel.audited(rq, Action::Restrict, &[id], |trail| {
            let minor = self.permitted(rq, Operation::Restrict, id)?;
            let why = reason(why)?;
            if minor.lifecycle.is_restricted() {
                return Err(Conflict::State("the record is restricted already".into()).into());
            }
            let mut life = minor.lifecycle.clone();
            life.restriction = Some(Restriction {
                since: trail.at(),
                rule: None,
            });
            life.acts
                .push(self.act(rq, ActKind::Restricted, trail.at(), why));
            self.store(trail, &minor, &life, CategorySet::EMPTY)
        })
    }

    /// Lifts a restriction (not that of an erased record).
    pub fn lift(&self, rq: &Request, id: &str, why: &str) -> Result<LifecycleView, Failure> {
        self.kernel
            .audited(rq, Action::LiftRestriction, &[id], |trail| {
                let minor = self.permitted(rq, Operation::Restrict, id)?;
                let why = reason(why)?;
                if minor.lifecycle.erased_at.is_some() {
                    return Err(Conflict::State(
                        "the record was erased: only its tombstone remains".into(),
                    )
                    .into());
                }
                if minor.lifecycle.restriction.is_none() {
                    return Err(Conflict::State("the record is not restricted".into()).into());
                }
                let mut life = minor.lifecycle.clone();
                life.restriction = None;
                life.acts
                    .push(self.act(rq, ActKind::Lifted, trail.at(), why));
                self.store(trail, &minor, &life, CategorySet::EMPTY)
            })
    }

    /// Closes the record as of `on` (not in the future): the rules that run from departure,
    /// transfer abroad and closure start to count.
    pub fn close(
        &self,
        rq: &Request,
        id: &str,
        closure: ClosureReason,
        on: NaiveDate,
        why: &str,
    ) -> Result<LifecycleView, Failure> {
        self.kernel.audited(rq, Action::Close, &[id], |trail| {
            let minor = self.permitted(rq, Operation::Close, id)?;
            erased(&minor)?;
            let why = reason(why)?;
            let registered = minor.registered_at.date_naive();
            if on > self.kernel.now().date_naive() || on < registered {
                return Err(Failure::invalid(
                    "on",
                    format!("a closure is dated between the registration ({registered}) and today"),
                ));
            }
            if minor.status == MinorStatus::Missing {
                return Err(Conflict::State(
                    "the child is missing: resolve the alert before closing the record".into(),
                )
                .into());
            }
            if minor.lifecycle.closure.is_some() {
                return Err(Conflict::State("the record is closed already".into()).into());
            }
            let mut life = minor.lifecycle.clone();
            life.closure = Some(Closure {
                on,
                reason: closure,
            });
            life.acts
                .push(self.act(rq, ActKind::Closed, trail.at(), why));
            self.store(trail, &minor, &life, CategorySet::EMPTY)
        })
    }

    /// Answers a review: confirms the record's course, or holds its rules back until a day (at
    /// most the review period ahead).
    pub fn review(
        &self,
        rq: &Request,
        id: &str,
        decision: ReviewDecision,
        why: &str,
    ) -> Result<LifecycleView, Failure> {
        let today = self.kernel.now().date_naive();
        self.kernel.audited(rq, Action::Review, &[id], |trail| {
            let minor = self.permitted(rq, Operation::Review, id)?;
            let why = reason(why)?;
            if let ReviewDecision::HoldUntil(until) = decision {
                let longest =
                    today + chrono::Days::new(u64::from(self.retention.review.every_days));
                if until <= today || until > longest {
                    return Err(Failure::invalid(
                        "hold_until",
                        format!("a hold ends after today and at the latest on {longest}"),
                    ));
                }
            }
            if minor.lifecycle.erased_at.is_some() {
                return Err(Conflict::State(
                    "the record was erased: only its tombstone remains".into(),
                )
                .into());
            }
            let mut life = minor.lifecycle.clone();
            life.reviewed_on = Some(today);
            let kind = match decision {
                ReviewDecision::Confirm => {
                    life.hold = None;
                    ActKind::Reviewed
                }
                ReviewDecision::HoldUntil(until) => {
                    life.hold = Some(Hold { until });
                    ActKind::Held
                }
            };
            life.acts.push(self.act(rq, kind, trail.at(), why));
            self.store(trail, &minor, &life, CategorySet::EMPTY)
        })
    }

    /// Deletes a photo attached by mistake: the record no longer lists it and its bytes go, in a
    /// new version (with a revision) based on `expected_version`. Needs write access to `photos`.
    pub fn delete_photo(
        &self,
        rq: &Request,
        id: &str,
        photo_id: &str,
        expected_version: Option<i64>,
        why: &str,
    ) -> Result<i64, Failure> {
        self.kernel
            .audited(rq, Action::PhotoDelete, &[id], |trail| {
                let purpose = self.kernel.purpose(rq, Operation::PhotoDelete)?;
                let minor = self.permitted(rq, Operation::PhotoDelete, id)?;
                erased(&minor)?;
                let why = reason(why)?;
                let mask = self.kernel.mask(&rq.caller, purpose, &minor);
                if !mask.write.contains(Category::Photos) {
                    return Err(crate::usecase::kernel::Denied::WriteNotPermitted(vec![
                        Category::Photos.to_string(),
                    ])
                    .into());
                }
                let expected = expected_version.ok_or(Conflict::PreconditionRequired)?;
                if expected != minor.version {
                    return Err(UpdateMinorError::Stale {
                        current: minor.version,
                    }
                    .into());
                }
                let mut data = minor.data.clone();
                let photos = data.photos.get_or_insert_with(Photos::default);
                let before = photos.items.len();
                photos.items.retain(|p| p.id != photo_id);
                if photos.items.len() == before {
                    return Err(Failure::NotFound("no such photo".to_owned()));
                }
                if photos.items.is_empty() {
                    data.photos = None;
                }
                let mut life = minor.lifecycle.clone();
                life.acts.push(Act {
                    photo: Some(photo_id.to_owned()),
                    ..self.act(rq, ActKind::PhotoDeleted, trail.at(), why)
                });
                let changed: CategorySet = [Category::Photos].into_iter().collect();
                let audit = trail.for_change(changed);
                let updated = self.writer.update(
                    id,
                    &Change {
                        expected_version: expected,
                        data: &data,
                        changed,
                        photo: None,
                        removed_photo: Some(photo_id),
                        lifecycle: Some(&life),
                        actor: &Actor::new(&rq.caller, purpose),
                        at: audit.at,
                        audit: &audit,
                    },
                )?;
                trail.committed();
                Ok(updated.version)
            })
    }

    /// Redacts `categories` from revision `version` of the history (not the current version: a
    /// current value is rectified by a change first). The revision keeps who and when.
    pub fn redact(
        &self,
        rq: &Request,
        id: &str,
        version: i64,
        categories: CategorySet,
        why: &str,
    ) -> Result<LifecycleView, Failure> {
        self.kernel.audited(rq, Action::Redact, &[id], |trail| {
            let minor = self.permitted(rq, Operation::Redact, id)?;
            erased(&minor)?;
            let why = reason(why)?;
            if categories.is_empty() {
                return Err(Failure::invalid("categories", "name at least one category"));
            }
            if version < 1 || version >= minor.version {
                return Err(Failure::invalid(
                    "version",
                    format!(
                        "an earlier version of the record, 1 to {}; the current one is rectified \
                         by a change",
                        minor.version - 1
                    ),
                ));
            }
            if !self
                .minors
                .history(id)?
                .iter()
                .any(|r| r.version == version)
            {
                return Err(Failure::NotFound(format!(
                    "record `{id}` has no revision {version} (an erasure under a retention rule \
                     removes revisions)"
                )));
            }
            let mut life = minor.lifecycle.clone();
            life.acts.push(Act {
                version: Some(version),
                categories: categories.iter().collect(),
                ..self.act(rq, ActKind::Redacted, trail.at(), why)
            });
            let audit = trail.for_change(categories);
            let stored = self.writer.redact(
                id,
                &Redaction {
                    expected_version: minor.version,
                    revision: version,
                    categories,
                    lifecycle: &life,
                    at: audit.at,
                    audit: &audit,
                },
            )?;
            trail.committed();
            Ok(LifecycleView::of(&stored, &self.retention))
        })
    }

    /// Runs the day's sweep once per day of the registry's clock, whichever instance comes first;
    /// `None` when the day's sweep has run already.
    pub fn sweep_if_due(&self) -> anyhow::Result<Option<SweepReport>> {
        let now = self.kernel.now();
        if !self.calendar.claim(now.date_naive(), now)? {
            return Ok(None);
        }
        self.sweep(now).map(Some)
    }

    /// Applies every rule due by `now`'s day to every record, oldest record first. An erasure
    /// waits while the child is missing; a record changed meanwhile is left to the next day.
    pub fn sweep(&self, now: DateTime<Utc>) -> anyhow::Result<SweepReport> {
        let today = now.date_naive();
        let mut report = SweepReport::default();
        let mut after = 0;
        loop {
            let page = self.minors.scan(after, SWEEP_PAGE)?;
            let Some((last, _)) = page.last() else { break };
            after = *last;
            for (_, minor) in page {
                report.records += 1;
                let Some(minor) = self.sweep_record(minor, now, today, &mut report)? else {
                    continue;
                };
                self.notify(minor, now, today, &mut report)?;
            }
        }
        self.erase_alerts(now, &mut report)?;
        self.cut_audit(now, &mut report)?;
        Ok(report)
    }

    /// Ages out the audit entries older than the audit rule, behind a cut entry that keeps the
    /// chain verifiable.
    fn cut_audit(&self, now: DateTime<Utc>, report: &mut SweepReport) -> anyhow::Result<()> {
        let Some(rule) = self.retention.audit_rule() else {
            return Ok(());
        };
        let today = now.date_naive();
        let Some(before) = today
            .checked_sub_days(chrono::Days::new(u64::from(rule.days)))
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
        else {
            return Ok(());
        };
        let entry = |through: i64, hash: &str| {
            AuditEntry {
                at: now,
                subject: None,
                agency: None,
                role: None,
                purpose: None,
                action: Action::AuditCut,
                minors: vec![],
                categories: CategorySet::EMPTY,
                outcome: Outcome::Success,
                request_id: crate::audit::cut_request_id(today, &rule.id, through, hash),
            }
            .normalised()
        };
        report.audit_cut_through = self.kernel.audit().cut(before, &entry)?;
        Ok(())
    }

    /// Erases the resolved alerts whose rule has run (`days` after the day of the resolution),
    /// each with its events, audited under the rule.
    fn erase_alerts(&self, now: DateTime<Utc>, report: &mut SweepReport) -> anyhow::Result<()> {
        let rules: Vec<_> = self.retention.alert_rules().collect();
        if rules.is_empty() {
            return Ok(());
        }
        let filter = AlertFilter {
            status: Some(AlertStatus::Resolved),
            ..AlertFilter::default()
        };
        let mut after = None;
        let mut due = Vec::new();
        loop {
            let page = self.alerts.list(
                &filter,
                &PageRequest {
                    after,
                    limit: PageSize::new(ALERT_PAGE).map_err(|e| anyhow::anyhow!("{e}"))?,
                },
            )?;
            for (_, alert) in &page.items {
                let Some(resolved) = alert.resolution.as_ref().map(|r| r.at) else {
                    continue;
                };
                // The rule with the shortest period decides.
                if let Some(rule) = rules
                    .iter()
                    .filter(|r| {
                        resolved
                            .date_naive()
                            .checked_add_days(chrono::Days::new(u64::from(r.days)))
                            .is_some_and(|day| day <= now.date_naive())
                    })
                    .min_by_key(|r| r.days)
                {
                    due.push((alert.id.clone(), alert.minor_id.clone(), rule.id.clone()));
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        for (id, minor, rule) in due {
            let audit = sweep_entry(now, Action::Erase, &minor, CategorySet::EMPTY, &rule);
            if self.alerts.erase_resolved(&id, &audit)? {
                report.alerts_erased += 1;
            }
        }
        Ok(())
    }

    /// Raises the review notices due on `minor`: its own review (periodic, and again before a
    /// rule runs), once per review date reached; its open alert's, every `open_alert_every_days` days since it
    /// was raised. None for a merged duplicate or a tombstone.
    fn notify(
        &self,
        mut minor: Minor,
        now: DateTime<Utc>,
        today: NaiveDate,
        report: &mut SweepReport,
    ) -> anyhow::Result<()> {
        if minor.merged_into.is_some() || minor.lifecycle.erased_at.is_some() {
            return Ok(());
        }
        let rules: Vec<NoticeRule> = pending(&self.retention, &minor)
            .into_iter()
            .map(|d| NoticeRule {
                rule: d.rule.id.clone(),
                action: d.rule.action,
                applies_to: d.rule.applies_to,
                on: d.on,
            })
            .collect();
        let mut notices = Vec::new();
        // The latest review date reached: a periodic review unanswered does not silence the
        // notice before a rule runs, which comes later.
        let reached = review_dates(&self.retention, &minor).and_then(|(periodic, before_rule)| {
            [
                Some((periodic, ReviewReason::Periodic)),
                before_rule.map(|d| (d, ReviewReason::RuleDue)),
            ]
            .into_iter()
            .flatten()
            .filter(|(d, _)| *d <= today)
            .max_by_key(|(d, _)| *d)
        });
        if let Some((due, reason)) = reached
            && minor.lifecycle.notified_on.is_none_or(|n| n < due)
        {
            notices.push(ReviewNotice {
                minor_id: minor.id.clone(),
                registry_number: minor.registry_number.clone(),
                reason,
                due,
                rules: rules.clone(),
                alert_id: None,
            });
        }
        if minor.status == MinorStatus::Missing
            && let Some(alert) = self.alerts.open_for_minor(&minor.id)?
        {
            let open = (today - alert.raised_at.date_naive()).num_days();
            let every = i64::from(self.retention.review.open_alert_every_days);
            if open > 0 && open % every == 0 {
                notices.push(ReviewNotice {
                    minor_id: minor.id.clone(),
                    registry_number: minor.registry_number.clone(),
                    reason: ReviewReason::OpenAlert,
                    due: today,
                    rules: rules.clone(),
                    alert_id: Some(alert.id.clone()),
                });
            }
        }
        for notice in notices {
            let mut life = minor.lifecycle.clone();
            if notice.alert_id.is_none() {
                life.notified_on = Some(today);
            }
            let event = AlertEvent {
                id: self.ids.new_id(),
                kind: EventType::ReviewDue,
                alert_id: notice.alert_id.clone().unwrap_or_default(),
                minor_id: minor.id.clone(),
                time: now,
                possible_match: None,
                notice: Some(notice),
                absence: None,
                task: None,
            };
            let audit = sweep_entry(
                now,
                Action::ReviewNotice,
                &minor.id,
                CategorySet::EMPTY,
                "review",
            );
            let change = LifecycleChange {
                expected_version: minor.version,
                lifecycle: &life,
                erasure: None,
                moves_version: false,
                notice: Some(&event),
                at: now,
                audit: &audit,
            };
            match self.writer.change_lifecycle(&minor.id, &change) {
                Ok(stored) => {
                    report.notices += 1;
                    minor = stored;
                }
                Err(UpdateMinorError::Stale { .. } | UpdateMinorError::NotFound(_)) => {
                    return Ok(());
                }
                Err(UpdateMinorError::Unknown(e)) => return Err(e),
            }
        }
        Ok(())
    }

    /// Dates, once, the events the registry learnt of without a date of their own, so that their
    /// rules count from a day that no later write moves: the closure of a record whose alert was
    /// resolved `deceased`, an age decision of adulthood without its date. `None` when the record
    /// moved on meanwhile.
    fn date_events(
        &self,
        minor: Minor,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> anyhow::Result<Option<Minor>> {
        let mut life = minor.lifecycle.clone();
        if minor.status == MinorStatus::Closed && life.closure.is_none() {
            life.closure = Some(Closure {
                on: minor.updated_at.date_naive(),
                reason: ClosureReason::Deceased,
            });
            life.acts.push(Act::new(ActKind::Closed, now));
        }
        let undated_adult = minor.data.age_assessment.as_ref().is_some_and(|a| {
            a.decision == Some(crate::minor::AgeDecision::Adult) && a.decided_on.is_none()
        });
        if undated_adult && life.adult_decision_on.is_none() {
            life.adult_decision_on = Some(today);
        }
        if life == minor.lifecycle {
            return Ok(Some(minor));
        }
        let audit = sweep_entry(now, Action::Close, &minor.id, CategorySet::EMPTY, "dated");
        let change = LifecycleChange {
            expected_version: minor.version,
            lifecycle: &life,
            erasure: None,
            moves_version: false,
            notice: None,
            at: now,
            audit: &audit,
        };
        match self.writer.change_lifecycle(&minor.id, &change) {
            Ok(stored) => Ok(Some(stored)),
            Err(UpdateMinorError::Stale { .. } | UpdateMinorError::NotFound(_)) => Ok(None),
            Err(UpdateMinorError::Unknown(e)) => Err(e),
        }
    }

    /// Applies the rules due on `minor` by `today`, one after the other; the record as it then
    /// stands, or `None` when it moved on meanwhile (the next day looks again).
    fn sweep_record(
        &self,
        minor: Minor,
        now: DateTime<Utc>,
        today: NaiveDate,
        report: &mut SweepReport,
    ) -> anyhow::Result<Option<Minor>> {
        let notice = chrono::Days::new(u64::from(self.retention.review.notice_days));
        let Some(mut minor) = self.date_events(minor, now, today)? else {
            return Ok(None);
        };
        loop {
            // An erasure runs only once the guardianship service was told of it, in a notice
            // raised within the rule's notice period and at least that period ago (a wrong date
            // of birth or closure cannot erase a record overnight); and never while the child is
            // missing. A restriction protects, and runs when due.
            let announced = |d: &crate::lifecycle::Due<'_>| {
                minor.lifecycle.notified_on.is_some_and(|n| {
                    n.checked_add_days(notice)
                        .is_some_and(|ready| ready <= today)
                        && d.on
                            .checked_sub_days(notice)
                            .is_some_and(|window| n >= window)
                })
            };
            let due: Vec<_> = pending(&self.retention, &minor)
                .into_iter()
                .filter(|d| d.on <= today)
                .collect();
            let Some(due) = due.into_iter().find(|d| {
                d.rule.action == RetentionAction::Restrict
                    || (minor.status != MinorStatus::Missing && announced(d))
            }) else {
                if pending(&self.retention, &minor)
                    .iter()
                    .any(|d| d.on <= today)
                {
                    report.deferred += 1;
                }
                return Ok(Some(minor));
            };
            let rule = due.rule;
            let erasure = Erasure::of(rule);
            let mut life = minor.lifecycle.clone();
            let mut act = Act {
                rule: Some(rule.id.clone()),
                ..Act::new(ActKind::Erased, now)
            };
            let (action, data) = match rule.action {
                RetentionAction::Restrict => {
                    act.kind = ActKind::Restricted;
                    life.restriction = Some(Restriction {
                        since: now,
                        rule: Some(rule.id.clone()),
                    });
                    (Action::Restrict, None)
                }
                RetentionAction::Erase => {
                    act.categories = erasure
                        .categories
                        .intersection(minor.data.present_categories())
                        .iter()
                        .collect();
                    act.erased = erasure.parts();
                    if erasure.record {
                        life.erased_at = Some(now);
                        life.hold = None;
                    }
                    let keep = CategorySet::all().difference(erasure.categories);
                    (Action::Erase, Some(minor.data.retain(keep)))
                }
            };
            let categories: CategorySet = act.categories.iter().copied().collect();
            life.acts.push(act);
            let audit = sweep_entry(now, action, &minor.id, categories, &rule.id);
            let change = LifecycleChange {
                expected_version: minor.version,
                lifecycle: &life,
                erasure: data.as_ref().map(|d| (d, erasure)),
                moves_version: true,
                notice: None,
                at: now,
                audit: &audit,
            };
            match self.writer.change_lifecycle(&minor.id, &change) {
                Ok(stored) => {
                    match rule.action {
                        RetentionAction::Restrict => report.restricted += 1,
                        RetentionAction::Erase => report.erased += 1,
                    }
                    minor = stored;
                }
                Err(UpdateMinorError::Stale { .. }) => {
                    report.deferred += 1;
                    return Ok(None);
                }
                Err(UpdateMinorError::NotFound(_)) => return Ok(None),
                Err(UpdateMinorError::Unknown(e)) => return Err(e),
            }
        }
    }
}

/// The audit entry of one step of the sweep: no subject, agency, role or purpose (the registry
/// acts under its rules); the request id names the day and the rule (or `review`).
fn sweep_entry(
    at: DateTime<Utc>,
    action: Action,
    minor: &str,
    categories: CategorySet,
    what: &str,
) -> AuditEntry {
    AuditEntry {
        at,
        subject: None,
        agency: None,
        role: None,
        purpose: None,
        action,
        minors: vec![minor.to_owned()],
        categories,
        outcome: Outcome::Success,
        request_id: format!("lifecycle:{}:{what}", at.date_naive()),
    }
    .normalised()
}
