//! Report a disappearance and follow the alert: read, list, acknowledge, sightings, new
//! information, resolution, protective measures, and the deadline sweep. Each change writes the
//! alert, its event (outbox) and its audit entry in one transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::agency::AgencyKind;
use crate::alert::{
    Alert, AlertError, AlertEvent, NewAlert, Reporter, ResolutionOutcome, RiskRules, Sighting,
};
use crate::audit::{Action, Outcome};
use crate::category::{Category, CategorySet};
use crate::minor::{MinorData, MinorStatus, RiskLevel};
use crate::page::{Page, PageRequest};
use crate::policy::Policy;
use crate::ports::NewMinorRecord;
use crate::ports::{
    AgencyRepository, AlertChange, AlertFilter, AlertRepository, AuditLog, AuditUnavailable, Clock,
    CreateAlertError, IdGenerator, MinorRepository, Outbox, RenderedEvent, UpdateAlertError,
};
use crate::principal::Principal;
use crate::projection::{MinorView, project};
use crate::purpose::Purpose;
use crate::record::Actor;
use crate::role::Role;
use crate::usecase::minors::{Audited, Denied, Request, Trail, stated};
use crate::validation::FieldErrors;

/// The alerts service.
#[derive(Clone)]
pub struct Alerts {
    pub alerts: Arc<dyn AlertRepository>,
    pub minors: Arc<dyn MinorRepository>,
    pub agencies: Arc<dyn AgencyRepository>,
    pub policy: Arc<Policy>,
    pub risk: Arc<RiskRules>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub audit: Arc<dyn AuditLog>,
    pub outbox: Arc<dyn Outbox>,
}

/// A batch of the caller's alert stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamBatch {
    /// Events for the caller's agency, rendered through the caller's mask.
    pub events: Vec<RenderedEvent>,
    /// The last outbox position looked at: where the next batch starts.
    pub last_seq: i64,
}

/// An alert as a caller may see it: the alert, and the child's record through the caller's mask
/// for the purpose `disappearance` (absent if the caller may read nothing of the child).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertView {
    pub alert: Alert,
    pub minor: Option<MinorView>,
}

/// A disappearance as reported.
#[derive(Debug, Clone)]
pub struct Report {
    pub last_seen_at: DateTime<Utc>,
    pub last_seen_place: String,
    pub circumstances: Option<String>,
    /// A level the reporter asks for; it may raise the assessed level, never lower it.
    pub risk: Option<RiskLevel>,
}

/// New information on an open alert, or the protective-measures decision after location.
#[derive(Debug, Clone, Default)]
pub struct AlertUpdate {
    pub last_seen_place: Option<String>,
    pub circumstances: Option<String>,
    pub risk: Option<RiskLevel>,
    pub reason: Option<String>,
    pub protective_measures: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AlertUseError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no {0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Fields(FieldErrors),
    #[error(transparent)]
    Conflict(#[from] AlertError),
    #[error("the child already has an open alert")]
    AlreadyOpen,
    #[error(transparent)]
    Unavailable(#[from] AuditUnavailable),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl Audited for AlertUseError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Denied(Denied::PurposeMissing(_)) => Outcome::PurposeMissing,
            Self::Denied(_) => Outcome::Denied,
            Self::NotFound(_) => Outcome::NotFound,
            Self::Invalid(_) | Self::Fields(_) | Self::Conflict(_) | Self::AlreadyOpen => {
                Outcome::Rejected
            }
            Self::Unavailable(_) | Self::Unknown(_) => Outcome::Failed,
        }
    }
}

/// Roles that may report a disappearance; reception staff and guardians only for children placed
/// with them or their wards.
const REPORTERS: [Role; 5] = [
    Role::ReceptionStaff,
    Role::Guardian,
    Role::GuardianshipOfficer,
    Role::PoliceOfficer,
    Role::ChildFocusCaseManager,
];

/// Agency kinds notified of every alert, besides the child's placement and guardian.
const NOTIFIED_KINDS: [AgencyKind; 3] = [
    AgencyKind::Police,
    AgencyKind::ChildFocus,
    AgencyKind::GuardianshipService,
];

/// How often a change retries when another change to the same alert came first.
const ATTEMPTS: usize = 5;

fn reporter(caller: &Principal) -> Reporter {
    Reporter {
        subject: caller.subject.clone(),
        agency: caller.agency.to_string(),
        role: caller.role.to_string(),
    }
}

/// Field errors of the nested `minor` member, with their paths under it.
fn prefixed(errors: FieldErrors, prefix: &str) -> AlertUseError {
    let mut out = FieldErrors::default();
    for e in errors.0 {
        let path = if e.path.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", e.path)
        };
        out.push(path, e.message);
    }
    AlertUseError::Fields(out)
}

/// A text of an alert, normalised as the record's texts are and held to the same rules: 1 to `max`
/// characters, no control characters (a place is one line; longer texts may hold line feeds and
/// tabs). Alerts travel to webhooks, Kafka and CAP XML, where a NUL or an escape has no place.
fn bounded(field: &str, value: &str, max: usize) -> Result<String, AlertUseError> {
    let value = crate::minor::validate::normalise(value);
    if value.is_empty() || value.chars().count() > max {
        return Err(AlertUseError::Invalid(format!(
            "`{field}` must be 1 to {max} characters"
        )));
    }
    let multiline = max > crate::minor::validate::MAX_SHORT_CHARS;
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t')))
    {
        return Err(AlertUseError::Invalid(format!(
            "`{field}` must not contain control characters{}",
            if multiline {
                " but line feeds and tabs"
            } else {
                ""
            }
        )));
    }
    Ok(value)
}

impl Alerts {
    fn purpose(&self, rq: &Request) -> Result<(), Denied> {
        let purpose = stated(rq)?;
        if purpose != Purpose::Disappearance
            || !self.policy.permits_purpose(rq.caller.role, purpose)
        {
            return Err(Denied::PurposeNotPermitted {
                role: rq.caller.role.to_string(),
                purpose,
            });
        }
        Ok(())
    }

    /// Whether the caller follows this alert: its agency reported it or was notified, it is the
    /// guardianship service, or the child is placed with or a ward of its agency.
    fn follows(&self, caller: &Principal, alert: &Alert, minor_assigned: bool) -> bool {
        let agency = caller.agency.as_str();
        caller.role == Role::GuardianshipOfficer
            || alert.reported_by.agency == agency
            || alert.notified.iter().any(|n| n == agency)
            || minor_assigned
    }

    fn view(&self, caller: &Principal, alert: Alert) -> anyhow::Result<AlertView> {
        let minor = self.minors.find(&alert.minor_id)?.and_then(|m| {
            let mask = self
                .policy
                .mask(caller.role, Purpose::Disappearance, m.relation_to(caller));
            (!mask.read.is_empty()).then(|| project(&m, mask, Purpose::Disappearance))
        });
        Ok(AlertView { alert, minor })
    }

    fn load_followed(&self, rq: &Request, id: &str) -> Result<Alert, AlertUseError> {
        let alert = self
            .alerts
            .find(id)?
            .ok_or_else(|| AlertUseError::NotFound(format!("alert `{id}`")))?;
        let assigned = self
            .minors
            .find(&alert.minor_id)?
            .is_some_and(|m| m.relation_to(&rq.caller).assigned);
        if !self.follows(&rq.caller, &alert, assigned) {
            return Err(Denied::NoAccessToChild(Purpose::Disappearance).into());
        }
        Ok(alert)
    }

    /// Reports a child missing: assesses the risk from the rules, notifies the agencies that must
    /// act, and stores alert, status `missing`, event and audit entry at once.
    pub fn report(
        &self,
        rq: &Request,
        minor_id: &str,
        report: Report,
    ) -> Result<AlertView, AlertUseError> {
        let mut trail = Trail::new(
            rq,
            Action::ReportDisappearance,
            &[minor_id],
            self.clock.now(),
        );
        let result = (|| {
            self.purpose(rq)?;
            let minor = self
                .minors
                .find(minor_id)?
                .ok_or_else(|| AlertUseError::NotFound(format!("record `{minor_id}`")))?;
            if let Some(into) = &minor.merged_into {
                return Err(AlertUseError::Invalid(format!(
                    "record `{minor_id}` was merged into `{into}`: report that record"
                )));
            }
            let relation = minor.relation_to(&rq.caller);
            let may_report = REPORTERS.contains(&rq.caller.role)
                && (relation.assigned
                    || !matches!(rq.caller.role, Role::ReceptionStaff | Role::Guardian));
            if !may_report {
                return Err(Denied::NoAccessToChild(Purpose::Disappearance).into());
            }
            self.raise(rq, &mut trail, minor_id, &minor.data, report, None)
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// Child Focus reports a child the registry does not know yet: a minimal record (identity, and
    /// physical description and contacts if given) is created with the alert, in one transaction.
    pub fn report_unregistered(
        &self,
        rq: &Request,
        minor: &serde_json::Value,
        report: Report,
    ) -> Result<AlertView, AlertUseError> {
        let id = self.ids.new_id();
        let mut trail = Trail::new(rq, Action::ReportDisappearance, &[&id], self.clock.now());
        let result = (|| {
            self.purpose(rq)?;
            if rq.caller.role != Role::ChildFocusCaseManager {
                return Err(Denied::NoAccessToChild(Purpose::Disappearance).into());
            }
            let data = crate::minor::patch::parse_data(minor).map_err(|e| prefixed(e, "minor"))?;
            let allowed: CategorySet = [Category::Identity, Category::Physical, Category::Contacts]
                .into_iter()
                .collect();
            let mut errors = FieldErrors::default();
            for c in data.present_categories().difference(allowed).iter() {
                errors.push(format!("minor.{c}"), "a report of an unregistered child carries identity, physical and contacts only");
            }
            if data.identity.is_none() {
                errors.push("minor.identity", "is required to identify the child");
            }
            if !errors.is_empty() {
                return Err(AlertUseError::Fields(errors));
            }
            let data = crate::minor::validate::validate(data, self.clock.now().date_naive())
                .map_err(|e| prefixed(e, "minor"))?;
            let actor = Actor::new(&rq.caller, Purpose::Disappearance);
            self.raise(
                rq,
                &mut trail,
                &id,
                &data,
                report,
                Some(NewMinorRecord {
                    data: &data,
                    actor: &actor,
                }),
            )
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// Raises and stores the alert for a child whose record holds `data`.
    fn raise(
        &self,
        rq: &Request,
        trail: &mut Trail,
        minor_id: &str,
        data: &MinorData,
        report: Report,
        new_minor: Option<NewMinorRecord<'_>>,
    ) -> Result<AlertView, AlertUseError> {
        let now = self.clock.now();
        if report.last_seen_at > now {
            return Err(AlertUseError::Invalid(
                "`last_seen_at` is in the future".into(),
            ));
        }
        let place = bounded("last_seen_place", &report.last_seen_place, 200)?;
        let circumstances = report
            .circumstances
            .as_deref()
            .map(|c| bounded("circumstances", c, 4000))
            .transpose()?;
        let previous = self.alerts.count_for_minor(minor_id)?;
        let assessed = self.risk.assess(data, previous, now.date_naive());
        let mut factors = assessed.factors;
        let level = match report.risk {
            Some(asked) if asked > assessed.level => {
                factors.push(format!("raised by the reporter ({})", rq.caller.agency));
                asked
            }
            _ => assessed.level,
        };
        let mut notified: Vec<String> = self
            .agencies
            .of_kinds(&NOTIFIED_KINDS)?
            .into_iter()
            .map(|a| a.id.to_string())
            .collect();
        notified.extend(data.placement_agency().map(str::to_owned));
        notified.extend(data.guardian_agency().map(str::to_owned));
        notified.retain(|a| a != rq.caller.agency.as_str());
        notified.sort();
        notified.dedup();
        let (alert, event) = Alert::raise(
            NewAlert {
                id: self.ids.new_id(),
                minor_id: minor_id.to_owned(),
                risk: level,
                risk_factors: factors,
                last_seen_at: report.last_seen_at,
                last_seen_place: place,
                circumstances,
                reported_by: reporter(&rq.caller),
                notified,
                acknowledgement_within: self.risk.acknowledge_within(level),
            },
            now,
            self.ids.new_id(),
        );
        let audit = trail.for_change(
            new_minor
                .map(|n| n.data.present_categories())
                .unwrap_or_default(),
        );
        self.alerts
            .create(&AlertChange {
                alert: &alert,
                expected_version: 0,
                event: &event,
                minor_status: Some(MinorStatus::Missing),
                audit: Some(&audit),
                new_minor,
            })
            .map_err(|e| match e {
                CreateAlertError::AlreadyOpen => AlertUseError::AlreadyOpen,
                CreateAlertError::NoSuchMinor(id) => {
                    AlertUseError::NotFound(format!("record `{id}`"))
                }
                CreateAlertError::Unknown(e) => AlertUseError::Unknown(e),
            })?;
        trail.written = true;
        Ok(self.view(&rq.caller, alert)?)
    }

    /// One alert, if the caller follows it.
    pub fn get(&self, rq: &Request, id: &str) -> Result<AlertView, AlertUseError> {
        let mut trail = Trail::new(rq, Action::AlertRead, &[], self.clock.now());
        let result = (|| {
            self.purpose(rq)?;
            let alert = self.load_followed(rq, id)?;
            trail.entry.minors = vec![alert.minor_id.clone()];
            let view = self.view(&rq.caller, alert)?;
            trail.entry.categories = view
                .minor
                .as_ref()
                .map(|m| m.data.present_categories())
                .unwrap_or_default();
            Ok(view)
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// The alerts the caller follows: those its agency reported or was notified of (all, for the
    /// guardianship service), with the filters.
    pub fn list(
        &self,
        rq: &Request,
        filter: &AlertFilter,
        page: &PageRequest<i64>,
    ) -> Result<Page<AlertView, i64>, AlertUseError> {
        let mut trail = Trail::new(rq, Action::AlertList, &[], self.clock.now());
        let result = (|| {
            self.purpose(rq)?;
            let mut filter = filter.clone();
            if rq.caller.role != Role::GuardianshipOfficer {
                match &filter.agency {
                    Some(a) if a != rq.caller.agency.as_str() => {
                        return Ok(Page {
                            items: vec![],
                            next: None,
                        });
                    }
                    _ => filter.agency = Some(rq.caller.agency.to_string()),
                }
            }
            let page = self.alerts.list(&filter, page)?;
            let items = page
                .items
                .into_iter()
                .map(|(_, a)| self.view(&rq.caller, a))
                .collect::<anyhow::Result<Vec<_>>>()?;
            trail.entry.minors = items.iter().map(|v| v.alert.minor_id.clone()).collect();
            trail.entry.categories = items.iter().fold(CategorySet::EMPTY, |all, v| {
                all.union(
                    v.minor
                        .as_ref()
                        .map(|m| m.data.present_categories())
                        .unwrap_or_default(),
                )
            });
            Ok(Page {
                items,
                next: page.next,
            })
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// Applies `change` to the alert, retrying when another change came first; stores it with its
    /// event and audit entry, and the child's status when the change sets one.
    fn change(
        &self,
        rq: &Request,
        id: &str,
        action: Action,
        change: impl Fn(
            &mut Alert,
            &Reporter,
            DateTime<Utc>,
            String,
        ) -> Result<(AlertEvent, Option<MinorStatus>), AlertUseError>,
    ) -> Result<AlertView, AlertUseError> {
        let mut trail = Trail::new(rq, action, &[], self.clock.now());
        let result = (|| {
            self.purpose(rq)?;
            for _ in 0..ATTEMPTS {
                let mut alert = self.load_followed(rq, id)?;
                trail.entry.minors = vec![alert.minor_id.clone()];
                let expected = alert.version;
                let (event, status) = change(
                    &mut alert,
                    &reporter(&rq.caller),
                    self.clock.now(),
                    self.ids.new_id(),
                )?;
                alert.version = expected + 1;
                let audit = trail.for_change(CategorySet::EMPTY);
                let stored = self.alerts.update(&AlertChange {
                    alert: &alert,
                    expected_version: expected,
                    event: &event,
                    minor_status: status,
                    audit: Some(&audit),
                    new_minor: None,
                });
                match stored {
                    Ok(()) => {
                        trail.written = true;
                        return Ok(self.view(&rq.caller, alert)?);
                    }
                    Err(UpdateAlertError::Stale) => continue,
                    Err(UpdateAlertError::Unknown(e)) => return Err(e.into()),
                }
            }
            Err(anyhow::anyhow!("the alert kept changing during {ATTEMPTS} attempts").into())
        })();
        trail.close(self.audit.as_ref(), result)
    }

    /// The caller's agency acknowledges the alert (once; only notified agencies).
    pub fn acknowledge(&self, rq: &Request, id: &str) -> Result<AlertView, AlertUseError> {
        self.change(rq, id, Action::Acknowledge, |alert, by, now, event_id| {
            Ok((alert.acknowledge(by, now, event_id)?, None))
        })
    }

    pub fn add_sighting(
        &self,
        rq: &Request,
        id: &str,
        seen_at: DateTime<Utc>,
        place: &str,
        note: Option<&str>,
    ) -> Result<AlertView, AlertUseError> {
        if seen_at > self.clock.now() {
            return Err(AlertUseError::Invalid("`seen_at` is in the future".into()));
        }
        let place = bounded("place", place, 200)?;
        let note = note.map(|n| bounded("note", n, 4000)).transpose()?;
        self.change(rq, id, Action::Sighting, |alert, by, now, event_id| {
            let sighting = Sighting {
                seen_at,
                place: place.clone(),
                note: note.clone(),
                reported_by: by.clone(),
                recorded_at: now,
            };
            Ok((alert.add_sighting(sighting, event_id)?, None))
        })
    }

    /// New information, or the protective-measures decision.
    pub fn update(
        &self,
        rq: &Request,
        id: &str,
        update: AlertUpdate,
    ) -> Result<AlertView, AlertUseError> {
        let place = update
            .last_seen_place
            .as_deref()
            .map(|p| bounded("last_seen_place", p, 200))
            .transpose()?;
        let circumstances = update
            .circumstances
            .as_deref()
            .map(|c| bounded("circumstances", c, 4000))
            .transpose()?;
        let reason = update
            .reason
            .as_deref()
            .map(|r| bounded("reason", r, 1000))
            .transpose()?;
        let measures = update
            .protective_measures
            .as_deref()
            .map(|m| bounded("protective_measures", m, 4000))
            .transpose()?;
        self.change(rq, id, Action::AlertUpdate, |alert, by, now, event_id| {
            if let Some(decision) = &measures {
                return Ok((
                    alert.decide_measures(decision.clone(), by, now, event_id)?,
                    None,
                ));
            }
            let event = alert.update(
                place.clone(),
                circumstances.clone(),
                update.risk,
                reason.clone(),
                by,
                now,
                event_id,
            )?;
            Ok((event, None))
        })
    }

    /// Ends the alert; the child's status returns to `active` (or `closed` if deceased).
    pub fn resolve(
        &self,
        rq: &Request,
        id: &str,
        outcome: ResolutionOutcome,
        note: Option<&str>,
    ) -> Result<AlertView, AlertUseError> {
        let note = note.map(|n| bounded("note", n, 4000)).transpose()?;
        self.change(rq, id, Action::Resolve, |alert, by, now, event_id| {
            let event = alert.resolve(outcome, note.clone(), by, now, event_id)?;
            let status = if outcome == ResolutionOutcome::Deceased {
                MinorStatus::Closed
            } else {
                MinorStatus::Active
            };
            Ok((event, Some(status)))
        })
    }

    /// The outbox position a new stream starts after: now.
    pub fn stream_head(&self) -> anyhow::Result<i64> {
        self.outbox.head()
    }

    /// The next events of the caller's agency after outbox position `after`, each rendered through
    /// the caller's own mask (the same projection as the REST API). Audited when anything is
    /// disclosed.
    pub fn stream(&self, rq: &Request, after: i64) -> Result<StreamBatch, AlertUseError> {
        self.purpose(rq)?;
        let events = self.outbox.after(after, crate::usecase::relay::BATCH)?;
        let last_seq = events.last().map_or(after, |e| e.seq);
        let mut rendered = Vec::new();
        for event in events
            .iter()
            .filter(|e| crate::usecase::relay::concerns(&e.alert, &rq.caller.agency))
        {
            rendered.push(crate::usecase::relay::render_from(
                self.minors.as_ref(),
                event,
                Some(rq.caller.role),
                &rq.caller.agency,
                &self.policy,
            )?);
        }
        if !rendered.is_empty() {
            let mut trail = Trail::new(rq, Action::AlertStream, &[], self.clock.now());
            let disclosed: Vec<&serde_json::Value> = rendered
                .iter()
                .flat_map(|e| {
                    let data = &e.cloudevent["data"];
                    [&data["minor"], &data["possible_match"]["candidate"]]
                })
                .filter(|record| record.is_object())
                .collect();
            trail.entry.minors = rendered.iter().map(|e| e.key.clone()).collect();
            trail.entry.minors.extend(
                disclosed
                    .iter()
                    .filter_map(|r| r["id"].as_str().map(str::to_owned)),
            );
            trail.entry.minors.sort();
            trail.entry.minors.dedup();
            trail.entry.categories = disclosed.iter().fold(CategorySet::EMPTY, |all, record| {
                let present = record
                    .as_object()
                    .map(|m| {
                        m.keys()
                            .filter_map(|k| k.parse::<crate::category::Category>().ok())
                            .collect::<CategorySet>()
                    })
                    .unwrap_or_default();
                all.union(present)
            });
            trail.close::<(), AlertUseError>(self.audit.as_ref(), Ok(()))?;
        }
        Ok(StreamBatch {
            events: rendered,
            last_seq,
        })
    }

    /// Escalates alerts whose acknowledgements are late and flags overdue protective-measures
    /// decisions, each once, with its event. Returns how many events were raised.
    pub fn sweep(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let mut raised = 0;
        for mut alert in self.alerts.due(now)? {
            let expected = alert.version;
            let event = alert
                .escalate_if_due(now, self.ids.new_id())
                .or_else(|| alert.measures_overdue_if_due(now, self.ids.new_id()));
            let Some(event) = event else { continue };
            alert.version = expected + 1;
            match self.alerts.update(&AlertChange {
                alert: &alert,
                expected_version: expected,
                event: &event,
                minor_status: None,
                audit: None,
                new_minor: None,
            }) {
                Ok(()) => raised += 1,
                // Another instance swept it, or a person changed it: the next sweep looks again.
                Err(UpdateAlertError::Stale) => {}
                Err(UpdateAlertError::Unknown(e)) => return Err(e),
            }
        }
        Ok(raised)
    }
}
