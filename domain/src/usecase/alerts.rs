//! Report a disappearance and follow the alert: read, list, acknowledge, sightings, new
//! information, resolution, protective measures, and the deadline sweep. Each change writes the
//! alert, its event (outbox) and its audit entry in one transaction.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::agency::{AgencyId, AgencyKind};
use crate::alert::packet::Packet;
use crate::alert::{
    Alert, AlertEvent, AlertStatus, Appeal, Credibility, EventType, FOLLOWING_KINDS, Following,
    Grading, NewAlert, Reporter, Republication, ResolutionOutcome, RiskRules, Sighting, following,
    follows_alert, ledger, mask_alert,
};
use crate::audit::{Action, AuditEntry};
use crate::category::{Category, CategorySet};
use crate::episode::{AbsenceEnd, Task, TaskStatus, Zones};
use crate::minor::{MinorData, MinorStatus, RiskLevel};
use crate::page::{Page, PageRequest};
use crate::policy::{Facts, Operation};
use crate::ports::{
    AbsenceRepository, AgencyRepository, AlertChange, AlertFilter, AlertRepository, IdGenerator,
    MinorReader, NewMinorRecord, Outbox, RenderedEvent, UpdateAlertError,
};
use crate::principal::Principal;
use crate::projection::{MinorView, project};
use crate::purpose::Purpose;
use crate::record::{Actor, Minor};
use crate::usecase::kernel::{Conflict, Denied, Failure, Kernel, Request, Trail};
use crate::usecase::rendering::{Receiver, Rendering, delivery_entry, render};
use crate::validation::FieldErrors;

/// The ports of the alerts service.
pub struct AlertPorts {
    pub alerts: Arc<dyn AlertRepository>,
    pub minors: Arc<dyn MinorReader>,
    pub agencies: Arc<dyn AgencyRepository>,
    pub ids: Arc<dyn IdGenerator>,
    pub outbox: Arc<dyn Outbox>,
    pub absences: Arc<dyn AbsenceRepository>,
}

/// The alerts service.
#[derive(Clone)]
pub struct Alerts {
    kernel: Kernel,
    alerts: Arc<dyn AlertRepository>,
    minors: Arc<dyn MinorReader>,
    agencies: Arc<dyn AgencyRepository>,
    ids: Arc<dyn IdGenerator>,
    outbox: Arc<dyn Outbox>,
    absences: Arc<dyn AbsenceRepository>,
    risk: Arc<RiskRules>,
    zones: Arc<Zones>,
    /// How long the outbox keeps events: how far back a stream resumes.
    retention_days: i64,
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
/// for the purpose `disappearance` (`null` if the caller may read nothing of the child).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AlertView {
    #[serde(flatten)]
    pub alert: Alert,
    pub minor: Option<MinorView>,
    /// When the view was made (the `sent` time of a CAP message).
    #[serde(skip)]
    #[serde(with = "crate::time::micros")]
    pub at: DateTime<Utc>,
}

/// What one reporting agency opened, and how much of it proved wrong: the oversight listing of
/// alerts opened and closed in error. Counts and agency ids only, no child.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReporterRecord {
    pub agency: String,
    /// Alerts the agency opened.
    pub reported: u64,
    /// Of those, opened on a child neither placed with the agency nor its ward.
    pub unrelated: u64,
    /// Of those, closed as reported in error.
    pub closed_in_error: u64,
    /// Of those, opened on an unrelated child and closed as reported in error.
    pub unrelated_closed_in_error: u64,
}

/// Kinds of the agencies an alert names, looked up once per request.
type Kinds = HashMap<String, Option<AgencyKind>>;

/// The filters of an alert listing as asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertQuery {
    pub status: Option<crate::alert::AlertStatus>,
    pub risk: Option<RiskLevel>,
    /// The alerts this agency follows (callers that follow every alert), or the caller's own.
    pub agency: Option<String>,
    /// Only alerts whose reporting ledger has a gap.
    pub ledger_incomplete: bool,
}

/// The categories an alert view discloses: those of the record shown.
fn disclosed(view: &AlertView) -> CategorySet {
    view.minor
        .as_ref()
        .map(|m| m.data.present_categories())
        .unwrap_or_default()
}

/// A disappearance as reported.
#[derive(Debug, Clone)]
pub struct Report {
    pub last_seen_at: DateTime<Utc>,
    pub last_seen_place: String,
    pub circumstances: Option<String>,
    /// A level the reporter asks for; it may raise the assessed level, never lower it.
    pub risk: Option<RiskLevel>,
    /// The police agency whose zone the child was last seen in, if the reporter knows it.
    pub police_zone: Option<String>,
    /// The municipality of the place last seen, to find the police zone in the zones table.
    pub last_seen_municipality: Option<String>,
}

/// A public appeal as Child Focus publishes it.
#[derive(Debug, Clone)]
pub struct AppealRequest {
    /// Where the public is asked to look, as Child Focus words it (a town, a region).
    pub area: String,
    pub headline: String,
    pub description: String,
    pub expires_at: DateTime<Utc>,
}

/// What a change to an alert produced: its event, the child's new status if any.
struct Changed {
    event: AlertEvent,
    status: Option<MinorStatus>,
}

impl From<AlertEvent> for Changed {
    fn from(event: AlertEvent) -> Self {
        Self {
            event,
            status: None,
        }
    }
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

/// The longest a public appeal may be published for before it is renewed.
pub const MAX_APPEAL: chrono::Duration = chrono::Duration::days(90);

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
fn prefixed(errors: FieldErrors, prefix: &str) -> Failure {
    let mut out = FieldErrors::default();
    for e in errors.0 {
        let path = if e.path.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", e.path)
        };
        out.push(path, e.message);
    }
    Failure::Invalid(out)
}

/// A text of an alert, normalised as the record's texts are and held to the same rules: 1 to `max`
/// characters, no control characters (a place is one line; longer texts may hold line feeds and
/// tabs). Alerts travel to webhooks, Kafka and CAP XML, where a NUL or an escape has no place.
fn bounded(field: &str, value: &str, max: usize) -> Result<String, Failure> {
    let value = crate::minor::validate::normalise(value);
    if value.is_empty() || value.chars().count() > max {
        return Err(Failure::invalid(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    let multiline = max > crate::minor::limits::MAX_SHORT_CHARS;
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t')))
    {
        return Err(Failure::invalid(
            field,
            format!(
                "must not contain control characters{}",
                if multiline {
                    " but line feeds and tabs"
                } else {
                    ""
                }
            ),
        ));
    }
    Ok(value)
}

impl Alerts {
    pub fn new(
        kernel: Kernel,
        ports: AlertPorts,
        risk: Arc<RiskRules>,
        zones: Arc<Zones>,
        retention_days: i64,
    ) -> Self {
        Self {
            kernel,
            alerts: ports.alerts,
            minors: ports.minors,
            agencies: ports.agencies,
            ids: ports.ids,
            outbox: ports.outbox,
            absences: ports.absences,
            risk,
            zones,
            retention_days,
        }
    }

    /// How the caller stands to an alert and its child (as the record is now).
    fn facts(&self, caller: &Principal, alert: &Alert, minor: Option<&Minor>) -> Facts {
        let relation = minor.map(|m| m.relation_to(caller)).unwrap_or_default();
        Facts {
            assigned: relation.assigned,
            active_alert: relation.active_alert,
            follows: follows_alert(
                &caller.agency,
                caller.agency_kind,
                minor.map(|m| &m.data),
                alert,
            ),
            reporter: alert.reported_by.agency == caller.agency.as_str(),
            restricted: relation.restricted,
        }
    }

    /// The kind of an agency named on an alert, `None` if it no longer exists; looked up once
    /// per request (`kinds` holds those seen).
    fn kind_of(&self, kinds: &mut Kinds, agency: &str) -> anyhow::Result<Option<AgencyKind>> {
        if let Some(kind) = kinds.get(agency) {
            return Ok(*kind);
        }
        let kind = match AgencyId::parse(agency) {
            Ok(id) => self.agencies.find(&id)?.map(|a| a.kind),
            Err(_) => None,
        };
        kinds.insert(agency.to_owned(), kind);
        Ok(kind)
    }

    /// The alert and the child's record as the caller may see them for the purpose
    /// `disappearance`: the record through the caller's mask, the alert with what it derives from
    /// categories the caller may not read taken out (see [`mask_alert`]).
    fn view(
        &self,
        caller: &Principal,
        alert: Alert,
        minor: Option<&Minor>,
        kinds: &mut Kinds,
    ) -> anyhow::Result<AlertView> {
        let mask = minor
            .map(|m| {
                self.kernel.policy().mask(
                    caller.role,
                    Purpose::Disappearance,
                    m.relation_to(caller),
                )
            })
            .unwrap_or_default();
        // What derives from a category a retention rule erased (a risk factor) is not shown.
        let derivable = mask.read.difference(
            minor
                .map(|m| m.lifecycle.erased_categories())
                .unwrap_or_default(),
        );
        let alert = mask_alert(&alert, derivable, &caller.agency, &self.risk, &mut |a| {
            self.kind_of(kinds, a)
        })?;
        let minor = minor
            .filter(|_| !mask.read.is_empty())
            .map(|m| project(m, mask, Purpose::Disappearance));
        Ok(AlertView {
            alert,
            minor,
            at: self.kernel.now(),
        })
    }

    /// The alert, its child's record, and the caller's standing, if `op` is permitted there; a
    /// caller who neither follows nor reported the alert has no access to it at all.
    fn load_for(
        &self,
        rq: &Request,
        id: &str,
        op: Operation,
        purpose: Purpose,
    ) -> Result<(Alert, Option<Minor>, Facts), Failure> {
        let alert = self
            .alerts
            .find(id)?
            .ok_or_else(|| Failure::NotFound(format!("no alert `{id}`")))?;
        let minor = self.minors.find(&alert.minor_id)?;
        let facts = self.facts(&rq.caller, &alert, minor.as_ref());
        if !(facts.follows || facts.reporter) {
            return Err(Denied::NoAccessToChild(Purpose::Disappearance).into());
        }
        self.kernel
            .permitted(&rq.caller, op, Some(purpose), facts)?;
        Ok((alert, minor, facts))
    }

    /// Reports a child missing: assesses the risk from the rules, notifies the agencies that must
    /// act, and stores alert, status `missing`, event and audit entry at once.
    pub fn report(
        &self,
        rq: &Request,
        minor_id: &str,
        report: Report,
    ) -> Result<AlertView, Failure> {
        self.kernel
            .audited(rq, Action::ReportDisappearance, &[minor_id], |trail| {
                let purpose = self.kernel.purpose(rq, Operation::Report)?;
                let minor = self
                    .minors
                    .find(minor_id)?
                    .ok_or_else(|| Failure::NotFound(format!("no record `{minor_id}`")))?;
                if let Some(into) = &minor.merged_into {
                    return Err(Conflict::Merged {
                        id: minor_id.to_owned(),
                        into: into.clone(),
                    }
                    .into());
                }
                let relation = minor.relation_to(&rq.caller);
                if relation.restricted
                    && self.kernel.policy().permits(
                        rq.caller.role,
                        Operation::Report,
                        Some(purpose),
                        relation.into(),
                    )
                {
                    crate::usecase::records::erased(&minor)?;
                }
                if !self.kernel.policy().permits(
                    rq.caller.role,
                    Operation::Report,
                    Some(purpose),
                    relation.into(),
                ) {
                    return Err(Denied::NoAccessToChild(purpose).into());
                }
                self.raise(rq, trail, &minor, report, None)
            })
    }

    /// Child Focus reports a child the registry does not know yet: a minimal record (identity, and
    /// physical description and contacts if given) is created with the alert, in one transaction.
    pub fn report_unregistered(
        &self,
        rq: &Request,
        minor: &serde_json::Value,
        report: Report,
    ) -> Result<AlertView, Failure> {
        let id = self.ids.new_id();
        self.kernel.audited(rq, Action::ReportDisappearance, &[&id], |trail| {
            let purpose = self.kernel.purpose(rq, Operation::ReportUnregistered)?;
            self.kernel.permitted(
                &rq.caller,
                Operation::ReportUnregistered,
                Some(purpose),
                Facts::default(),
            )?;
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
                return Err(Failure::Invalid(errors));
            }
            let data = crate::minor::validate::validate(data, self.kernel.now().date_naive())
                .map_err(|e| prefixed(e, "minor"))?;
            let actor = Actor::new(&rq.caller, Purpose::Disappearance);
            let now = self.kernel.now();
            let minor = Minor {
                id: id.clone(),
                registry_number: String::new(),
                status: MinorStatus::Missing,
                version: 1,
                registered_at: now,
                updated_at: now,
                data: data.clone(),
                merged_into: None,
                lifecycle: Default::default(),
            };
            self.raise(
                rq,
                trail,
                &minor,
                report,
                Some(NewMinorRecord {
                    data: &data,
                    actor: &actor,
                }),
            )
        })
    }

    /// Raises and stores the alert for `minor` (a record about to be created with the alert when
    /// `new_minor` is given). The answer, the record as the reporter may now see it, is disclosed
    /// and audited with its categories.
    fn raise(
        &self,
        rq: &Request,
        trail: &mut Trail,
        minor: &Minor,
        report: Report,
        new_minor: Option<NewMinorRecord<'_>>,
    ) -> Result<AlertView, Failure> {
        let minor_id = minor.id.as_str();
        let data: &MinorData = &minor.data;
        let now = self.kernel.now();
        if report.last_seen_at > now {
            return Err(Failure::invalid("last_seen_at", "is in the future"));
        }
        let place = bounded("last_seen_place", &report.last_seen_place, 200)?;
        let circumstances = report
            .circumstances
            .as_deref()
            .map(|c| bounded("circumstances", c, 4000))
            .transpose()?;
        let police_zone = report
            .police_zone
            .as_deref()
            .map(|z| self.police_zone(z))
            .transpose()?;
        let municipality = report
            .last_seen_municipality
            .as_deref()
            .map(|m| bounded("last_seen_municipality", m, 200))
            .transpose()?;
        let previous = self.alerts.count_for_minor(minor_id)?;
        let assessed = self.risk.assess(data, previous, now.date_naive());
        let mut factors = assessed.factors;
        let level = match report.risk {
            Some(asked) if asked > assessed.level => {
                factors.push(crate::alert::PERSON_FACTORS[0].to_owned());
                asked
            }
            _ => assessed.level,
        };
        let mut notified: Vec<String> = self
            .agencies
            .of_kinds(&FOLLOWING_KINDS)?
            .into_iter()
            .map(|a| a.id.to_string())
            .collect();
        let ids_of = |kind: AgencyKind| -> anyhow::Result<Vec<String>> {
            Ok(self
                .agencies
                .of_kinds(&[kind])?
                .into_iter()
                .map(|a| a.id.to_string())
                .collect())
        };
        let zone = match police_zone {
            Some(zone) => Some(zone),
            // A police agency that reports is the zone, unless it names another.
            None if rq.caller.agency_kind == AgencyKind::Police => {
                Some(rq.caller.agency.to_string())
            }
            None => match self.zones.zone_of(municipality.as_deref(), &place) {
                Some(found) => {
                    let police = ids_of(AgencyKind::Police)?;
                    police.into_iter().find(|p| p == found)
                }
                None => None,
            },
        };
        let parties = ledger::Parties {
            police_zone: zone,
            guardian: data.guardian_agency().map(str::to_owned),
            guardianship_service: ids_of(AgencyKind::GuardianshipService)?,
            child_focus: ids_of(AgencyKind::ChildFocus)?,
            immigration_office: ids_of(AgencyKind::ImmigrationOffice)?,
            placement: data.placement_agency().map(str::to_owned),
        };
        let ledger = ledger::open(&parties, rq.caller.agency.as_str());
        notified.extend(data.placement_agency().map(str::to_owned));
        notified.extend(data.guardian_agency().map(str::to_owned));
        notified.extend(ledger::agencies(&ledger).map(str::to_owned));
        notified.retain(|a| a != rq.caller.agency.as_str());
        notified.sort();
        notified.dedup();
        // An absence a roll call found, still open: the report closes it, and the time from
        // absence to report starts at it.
        let absence = self.absences.open_for_minor(minor_id)?;
        let alert_id = self.ids.new_id();
        let closed = absence.map(|mut a| {
            let event = a
                .close(
                    AbsenceEnd::Reported,
                    &reporter(&rq.caller),
                    Some(alert_id.clone()),
                    now,
                )
                .map(|kind| AlertEvent::of_absence(kind, &a, self.ids.new_id(), now));
            (a, event)
        });
        let (alert, event) = Alert::raise(
            NewAlert {
                id: alert_id,
                minor_id: minor_id.to_owned(),
                risk: level,
                risk_factors: factors,
                last_seen_at: report.last_seen_at,
                last_seen_place: place,
                circumstances,
                reported_by: reporter(&rq.caller),
                reporter_unrelated: !minor.relation_to(&rq.caller).assigned,
                absent_since: closed.as_ref().map(|(a, _)| a.noted_at),
                previous_episodes: previous,
                notified,
                ledger,
                acknowledgement_within: self.risk.acknowledge_within(level),
            },
            now,
            self.ids.new_id(),
        );
        let missing = Minor {
            status: MinorStatus::Missing,
            ..minor.clone()
        };
        let view = self.view(&rq.caller, alert.clone(), Some(&missing), &mut Kinds::new())?;
        let created = new_minor.is_some();
        let mut audit = trail.for_change(
            new_minor
                .map(|n| n.data.present_categories())
                .unwrap_or_default(),
        );
        audit.categories = audit.categories.union(disclosed(&view));
        let more_events: Vec<AlertEvent> = closed.iter().filter_map(|(_, e)| e.clone()).collect();
        self.alerts.create(&AlertChange {
            alert: &alert,
            expected_version: 0,
            event: &event,
            minor_status: Some(MinorStatus::Missing),
            audit: Some(&audit),
            new_minor,
            absence: closed.as_ref().map(|(a, _)| a),
            tasks: &[],
            more_events: &more_events,
        })?;
        trail.committed();
        if created {
            // The record exists only now, with its registry number: show it as stored.
            let stored = self.minors.find(minor_id)?;
            return Ok(self.view(&rq.caller, alert, stored.as_ref(), &mut Kinds::new())?);
        }
        Ok(view)
    }

    /// One alert, if the caller follows it.
    pub fn get(&self, rq: &Request, id: &str) -> Result<AlertView, Failure> {
        self.kernel.audited(rq, Action::AlertRead, &[], |trail| {
            let purpose = self.kernel.purpose(rq, Operation::ReadAlert)?;
            let (alert, minor, _) = self.load_for(rq, id, Operation::ReadAlert, purpose)?;
            trail.concerns(vec![alert.minor_id.clone()]);
            let view = self.view(&rq.caller, alert, minor.as_ref(), &mut Kinds::new())?;
            trail.discloses(disclosed(&view));
            Ok(view)
        })
    }

    /// The public appeal of an alert the caller follows, with the alert and the time now: what
    /// Child Focus published, nothing of the record (audited without a category). Not found when
    /// the alert has no appeal.
    pub fn appeal(
        &self,
        rq: &Request,
        id: &str,
    ) -> Result<(Alert, crate::alert::Appeal, DateTime<Utc>), Failure> {
        self.kernel.audited(rq, Action::AlertRead, &[], |trail| {
            let purpose = self.kernel.purpose(rq, Operation::ReadAlert)?;
            let (alert, _, _) = self.load_for(rq, id, Operation::ReadAlert, purpose)?;
            trail.concerns(vec![alert.minor_id.clone()]);
            let appeal = alert
                .appeal
                .clone()
                .ok_or_else(|| Failure::NotFound(format!("alert `{id}` has no public appeal")))?;
            Ok((alert, appeal, self.kernel.now()))
        })
    }

    /// The police packet of an open alert (operation `packet`, purpose `disappearance`: police and
    /// Child Focus of the default policy): the fields a police report, a SIS alert on a missing
    /// minor and an INTERPOL Yellow Notice request need, read from the alert and the child's
    /// record through the caller's mask exactly as [`Alerts::get`] shows them, and every required
    /// field still missing, `not_recorded` or `withheld` (with its category, never its value); see
    /// [`crate::alert::packet`].
    ///
    /// Audited as [`Action::Packet`] with the categories whose values it shows. A refusal is
    /// audited too, naming the alert's child when the alert exists (the answer is the same
    /// whether it does or not). A resolved alert has no packet: [`Conflict::State`].
    pub fn packet(&self, rq: &Request, id: &str) -> Result<Packet, Failure> {
        self.kernel.audited(rq, Action::Packet, &[], |trail| {
            // The child is named in the entry before anything is checked, so that a refusal
            // shows in the child's access log; the answer does not depend on it.
            if let Some(alert) = self.alerts.find(id)? {
                trail.concerns(vec![alert.minor_id]);
            }
            let purpose = self.kernel.purpose(rq, Operation::Packet)?;
            let (alert, minor, _) = self.load_for(rq, id, Operation::Packet, purpose)?;
            if alert.status != AlertStatus::Open {
                return Err(Conflict::State(format!(
                    "alert `{id}` is resolved: a packet is made for an open alert"
                ))
                .into());
            }
            let read = minor
                .as_ref()
                .map(|m| {
                    self.kernel
                        .policy()
                        .mask(
                            rq.caller.role,
                            Purpose::Disappearance,
                            m.relation_to(&rq.caller),
                        )
                        .read
                })
                .unwrap_or_default();
            let view = self.view(&rq.caller, alert, minor.as_ref(), &mut Kinds::new())?;
            let read = if view.minor.is_some() {
                read
            } else {
                CategorySet::EMPTY
            };
            let packet =
                crate::alert::packet::assemble(&view.alert, view.minor.as_ref(), read, view.at);
            trail.discloses(packet.disclosed());
            Ok(packet)
        })
    }

    /// The alerts the caller follows (see [`crate::alert::following`]), with the filters; `agency`
    /// narrows them to the alerts that agency follows, for a caller that follows them all.
    pub fn list(
        &self,
        rq: &Request,
        filter: &AlertQuery,
        page: &PageRequest<i64>,
    ) -> Result<Page<AlertView, i64>, Failure> {
        self.kernel.audited(rq, Action::AlertList, &[], |trail| {
            let purpose = self.kernel.purpose(rq, Operation::ReadAlert)?;
            let mut kinds = Kinds::new();
            let mine = following(&rq.caller.agency, rq.caller.agency_kind);
            let scope = match (&mine, &filter.agency) {
                (_, None) => mine,
                (Following::Every, Some(other)) => match self.kind_of(&mut kinds, other)? {
                    Some(kind) => following(
                        &AgencyId::parse(other).map_err(|e| Failure::invalid("agency", e))?,
                        kind,
                    ),
                    None => {
                        return Ok(Page {
                            items: vec![],
                            next: None,
                        });
                    }
                },
                (Following::ChildrenOf(own), Some(other)) if own.as_str() == other => mine,
                (Following::ChildrenOf(_), Some(_)) => {
                    return Ok(Page {
                        items: vec![],
                        next: None,
                    });
                }
            };
            let page = self.alerts.list(
                &AlertFilter {
                    status: filter.status,
                    risk: filter.risk,
                    ledger_incomplete: filter.ledger_incomplete,
                    following: Some(scope),
                },
                page,
            )?;
            let mut items = Vec::with_capacity(page.items.len());
            for (_, alert) in page.items {
                let minor = self.minors.find(&alert.minor_id)?;
                let facts = self.facts(&rq.caller, &alert, minor.as_ref());
                if (facts.follows || facts.reporter)
                    && self.kernel.policy().permits(
                        rq.caller.role,
                        Operation::ReadAlert,
                        Some(purpose),
                        facts,
                    )
                {
                    items.push(self.view(&rq.caller, alert, minor.as_ref(), &mut kinds)?);
                }
            }
            // A gap the caller cannot see (an entry its mask withholds) does not list the alert.
            if filter.ledger_incomplete {
                items.retain(|v| ledger::has_gap(&v.alert.ledger));
            }
            trail.concerns(items.iter().map(|v| v.alert.minor_id.clone()).collect());
            trail.discloses(
                items
                    .iter()
                    .fold(CategorySet::EMPTY, |all, v| all.union(disclosed(v))),
            );
            Ok(Page {
                items,
                next: page.next,
            })
        })
    }

    /// Applies `change` to the alert if `op` is permitted to the caller (and, for a resolution,
    /// its outcome), retrying when another change came first; stores it with its event, the
    /// child's status when the change sets one, and the audit entry that names what the answer
    /// discloses.
    fn change(
        &self,
        rq: &Request,
        id: &str,
        action: Action,
        op: Operation,
        outcome: Option<ResolutionOutcome>,
        change: impl Fn(&mut Alert, &Reporter, DateTime<Utc>, String) -> Result<Changed, Failure>,
    ) -> Result<AlertView, Failure> {
        self.kernel.audited(rq, action, &[], |trail| {
            // The child is named before anything is checked, so that a refusal shows in the
            // child's access log; the answer does not depend on it.
            if let Some(alert) = self.alerts.find(id)? {
                trail.concerns(vec![alert.minor_id]);
            }
            let purpose = self.kernel.purpose(rq, op)?;
            for _ in 0..ATTEMPTS {
                let (mut alert, minor, facts) = self.load_for(rq, id, op, purpose)?;
                trail.concerns(vec![alert.minor_id.clone()]);
                if let Some(outcome) = outcome
                    && !self.kernel.policy().permits_outcome(
                        rq.caller.role,
                        purpose,
                        facts,
                        outcome,
                    )
                {
                    return Err(Denied::OutcomeNotPermitted {
                        role: rq.caller.role.to_string(),
                        outcome: outcome.as_str().to_owned(),
                    }
                    .into());
                }
                let expected = alert.version;
                let now = self.kernel.now();
                let Changed { event, status } =
                    change(&mut alert, &reporter(&rq.caller), now, self.ids.new_id())?;
                alert.version = expected + 1;
                let tasks = if event.kind == EventType::Resolved {
                    self.follow_up(&alert, minor.as_ref(), now)?
                } else {
                    vec![]
                };
                let more_events: Vec<AlertEvent> = tasks
                    .iter()
                    .map(|t| AlertEvent::of_task(EventType::TaskCreated, t, self.ids.new_id(), now))
                    .collect();
                let after = minor.as_ref().map(|m| Minor {
                    status: status.unwrap_or(m.status),
                    ..m.clone()
                });
                let view =
                    self.view(&rq.caller, alert.clone(), after.as_ref(), &mut Kinds::new())?;
                let audit = trail.for_change(disclosed(&view));
                let stored = self.alerts.update(&AlertChange {
                    alert: &alert,
                    expected_version: expected,
                    event: &event,
                    minor_status: status,
                    audit: Some(&audit),
                    new_minor: None,
                    absence: None,
                    tasks: &tasks,
                    more_events: &more_events,
                });
                match stored {
                    Ok(()) => {
                        trail.committed();
                        return Ok(view);
                    }
                    Err(UpdateAlertError::Stale) => continue,
                    Err(UpdateAlertError::Unknown(e)) => return Err(e.into()),
                }
            }
            Err(anyhow::anyhow!("the alert kept changing during {ATTEMPTS} attempts").into())
        })
    }

    /// The caller's agency acknowledges the alert (once per agency; agencies that follow it).
    pub fn acknowledge(&self, rq: &Request, id: &str) -> Result<AlertView, Failure> {
        self.change(
            rq,
            id,
            Action::Acknowledge,
            Operation::Acknowledge,
            None,
            |alert, by, now, event_id| {
                let police = rq.caller.agency_kind == AgencyKind::Police;
                Ok(alert.acknowledge(by, police, now, event_id)?.into())
            },
        )
    }

    pub fn add_sighting(
        &self,
        rq: &Request,
        id: &str,
        seen_at: DateTime<Utc>,
        place: &str,
        note: Option<&str>,
    ) -> Result<AlertView, Failure> {
        if seen_at > self.kernel.now() {
            return Err(Failure::invalid("seen_at", "is in the future"));
        }
        let place = bounded("place", place, 200)?;
        let note = note.map(|n| bounded("note", n, 4000)).transpose()?;
        self.change(
            rq,
            id,
            Action::Sighting,
            Operation::Sighting,
            None,
            |alert, by, now, event_id| {
                let sighting = Sighting {
                    id: self.ids.new_id(),
                    seen_at,
                    place: place.clone(),
                    note: note.clone(),
                    reported_by: by.clone(),
                    recorded_at: now,
                    grade: Credibility::Unverified,
                    graded: None,
                };
                Ok(alert.add_sighting(sighting, event_id)?.into())
            },
        )
    }

    /// New information (operation `update_alert`), or the protective-measures decision
    /// (operation `decide_measures`).
    pub fn update(
        &self,
        rq: &Request,
        id: &str,
        update: AlertUpdate,
    ) -> Result<AlertView, Failure> {
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
        let op = if measures.is_some() {
            Operation::DecideMeasures
        } else {
            Operation::UpdateAlert
        };
        self.change(
            rq,
            id,
            Action::AlertUpdate,
            op,
            None,
            |alert, by, now, event_id| {
                if let Some(decision) = &measures {
                    return Ok(alert
                        .decide_measures(decision.clone(), by, now, event_id)?
                        .into());
                }
                let event = alert.update(
                    place.clone(),
                    circumstances.clone(),
                    update.risk,
                    reason.clone(),
                    now,
                    event_id,
                )?;
                Ok(event.into())
            },
        )
    }

    /// Ends the alert with `outcome`, if a permit of the caller allows that outcome; the child's
    /// status returns to `active` (or `closed` if deceased).
    pub fn resolve(
        &self,
        rq: &Request,
        id: &str,
        outcome: ResolutionOutcome,
        note: Option<&str>,
    ) -> Result<AlertView, Failure> {
        let note = note.map(|n| bounded("note", n, 4000)).transpose()?;
        self.change(
            rq,
            id,
            Action::Resolve,
            Operation::Resolve,
            Some(outcome),
            |alert, by, now, event_id| {
                let event = alert.resolve(outcome, note.clone(), by, now, event_id)?;
                let status = if outcome == ResolutionOutcome::Deceased {
                    MinorStatus::Closed
                } else {
                    MinorStatus::Active
                };
                Ok(Changed {
                    event,
                    status: Some(status),
                })
            },
        )
    }

    /// Grades a sighting (operation `grade_sighting`: police and Child Focus).
    pub fn grade_sighting(
        &self,
        rq: &Request,
        id: &str,
        sighting_id: &str,
        grade: Credibility,
        note: Option<&str>,
    ) -> Result<AlertView, Failure> {
        let note = note.map(|n| bounded("note", n, 4000)).transpose()?;
        self.change(
            rq,
            id,
            Action::GradeSighting,
            Operation::GradeSighting,
            None,
            |alert, by, now, event_id| {
                let grading = Grading {
                    by: by.clone(),
                    at: now,
                    note: note.clone(),
                };
                Ok(alert
                    .grade_sighting(sighting_id, grade, grading, event_id)?
                    .into())
            },
        )
    }

    /// Publishes a public appeal (operation `appeal`: Child Focus). It expires at `expires_at`
    /// unless the alert ends first.
    pub fn publish_appeal(
        &self,
        rq: &Request,
        id: &str,
        appeal: AppealRequest,
    ) -> Result<AlertView, Failure> {
        let headline = bounded("headline", &appeal.headline, 200)?;
        let description = bounded("description", &appeal.description, 4000)?;
        let now = self.kernel.now();
        if appeal.expires_at <= now || appeal.expires_at > now + MAX_APPEAL {
            return Err(Failure::invalid(
                "expires_at",
                format!(
                    "must be in the future and at most {} days ahead",
                    MAX_APPEAL.num_days()
                ),
            ));
        }
        let area = bounded("area", &appeal.area, 200)?;
        self.change(
            rq,
            id,
            Action::Appeal,
            Operation::Appeal,
            None,
            |alert, by, now, event_id| {
                let appeal = Appeal {
                    id: self.ids.new_id(),
                    area: area.clone(),
                    headline: headline.clone(),
                    description: description.clone(),
                    published_at: now,
                    expires_at: appeal.expires_at,
                    by: by.clone(),
                    republications: vec![],
                    cancelled_at: None,
                };
                Ok(alert.publish_appeal(appeal, event_id)?.into())
            },
        )
    }

    /// Records where the appeal was republished (operation `appeal`), while it stands.
    pub fn republish_appeal(
        &self,
        rq: &Request,
        id: &str,
        url: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<AlertView, Failure> {
        let url = bounded("url", url, 2000)?;
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(' ') {
            return Err(Failure::invalid("url", "must be an http(s) URL"));
        }
        if at.is_some_and(|t| t > self.kernel.now()) {
            return Err(Failure::invalid("at", "is in the future"));
        }
        let published = self
            .alerts
            .find(id)?
            .and_then(|a| a.appeal.map(|p| p.published_at));
        if let (Some(t), Some(published)) = (at, published)
            && t < published
        {
            return Err(Failure::invalid("at", "is before the appeal was published"));
        }
        self.change(
            rq,
            id,
            Action::Appeal,
            Operation::Appeal,
            None,
            |alert, by, now, event_id| {
                let republication = Republication {
                    url: url.clone(),
                    at: at.unwrap_or(now),
                    by: by.clone(),
                };
                Ok(alert.republish_appeal(republication, now, event_id)?.into())
            },
        )
    }

    /// The police agency a reporter names as the zone: it must exist and be of kind police.
    fn police_zone(&self, zone: &str) -> Result<String, Failure> {
        let id = AgencyId::parse(zone).map_err(|e| Failure::invalid("police_zone", e))?;
        match self.agencies.find(&id)? {
            Some(a) if a.kind == AgencyKind::Police => Ok(id.to_string()),
            Some(_) => Err(Failure::invalid(
                "police_zone",
                format!("agency `{zone}` is not a police agency"),
            )),
            None => Err(Failure::invalid(
                "police_zone",
                format!("no agency `{zone}`"),
            )),
        }
    }

    /// The follow-up tasks due after `alert` was resolved, if the child was found: one per rule
    /// of the risk file whose assignee exists.
    fn follow_up(
        &self,
        alert: &Alert,
        minor: Option<&Minor>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Task>> {
        let located = alert
            .resolution
            .as_ref()
            .is_some_and(|r| r.outcome.located());
        let Some(minor) = minor.filter(|_| located) else {
            return Ok(vec![]);
        };
        let services: Vec<String> = self
            .agencies
            .of_kinds(&[AgencyKind::GuardianshipService])?
            .into_iter()
            .map(|a| a.id.to_string())
            .collect();
        Ok(self
            .risk
            .follow_ups()
            .iter()
            .filter_map(|rule| {
                let agency = rule.assign(&minor.data, &services)?;
                Some(Task {
                    id: self.ids.new_id(),
                    kind: rule.task,
                    minor_id: alert.minor_id.clone(),
                    alert_id: alert.id.clone(),
                    agency,
                    created_at: now,
                    due_at: now + rule.within(),
                    status: TaskStatus::Open,
                    overdue_at: None,
                    completion: None,
                    version: 1,
                })
            })
            .collect())
    }

    /// Per reporting agency, the alerts it opened, on unrelated children, and closed in error:
    /// for auditors (operation `oversight`). Audited without child or category.
    pub fn oversight(&self, rq: &Request) -> Result<Vec<ReporterRecord>, Failure> {
        self.kernel.audited(rq, Action::Oversight, &[], |_| {
            let purpose = self.kernel.purpose(rq, Operation::Oversight)?;
            self.kernel.permitted(
                &rq.caller,
                Operation::Oversight,
                Some(purpose),
                Facts::default(),
            )?;
            let mut by_agency: std::collections::BTreeMap<String, ReporterRecord> =
                std::collections::BTreeMap::new();
            let mut after = None;
            loop {
                let page = self.alerts.list(
                    &AlertFilter::default(),
                    &PageRequest {
                        after,
                        limit: crate::page::PageSize::new(200)
                            .map_err(|e| anyhow::anyhow!("{e}"))?,
                    },
                )?;
                for (_, alert) in &page.items {
                    let r = by_agency
                        .entry(alert.reported_by.agency.clone())
                        .or_insert_with(|| ReporterRecord {
                            agency: alert.reported_by.agency.clone(),
                            ..ReporterRecord::default()
                        });
                    let in_error = alert
                        .resolution
                        .as_ref()
                        .is_some_and(|x| x.outcome == ResolutionOutcome::ReportedInError);
                    r.reported += 1;
                    r.unrelated += u64::from(alert.reporter_unrelated);
                    r.closed_in_error += u64::from(in_error);
                    r.unrelated_closed_in_error += u64::from(in_error && alert.reporter_unrelated);
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            Ok(by_agency.into_values().collect())
        })
    }

    /// The outbox position a new stream starts after: now.
    pub fn stream_head(&self) -> Result<i64, Failure> {
        self.kernel.settled(self.outbox.head())
    }

    /// The first batch of a stream resumed after outbox position `after` (`Last-Event-ID`), as
    /// [`Alerts::stream`]; [`Conflict::Gone`] when events after it are no longer kept (they were
    /// older than the outbox's retention), audited as a refusal.
    pub fn resume(&self, rq: &Request, after: i64) -> Result<StreamBatch, Failure> {
        self.kernel.settled(self.resumed(rq, after))
    }

    fn resumed(&self, rq: &Request, after: i64) -> Result<StreamBatch, Failure> {
        let gone = |horizon: i64| -> Result<StreamBatch, Failure> {
            let oldest = self.outbox.after(horizon, 1)?.first().map(|e| e.seq);
            self.kernel.audited(rq, Action::AlertStream, &[], |_| {
                Err(Conflict::Gone {
                    horizon,
                    retention_days: self.retention_days,
                    oldest,
                }
                .into())
            })
        };
        let horizon = self.outbox.horizon()?;
        if after < horizon {
            return gone(horizon);
        }
        let batch = self.stream(rq, after)?;
        // Pruned while the batch was read: it may miss events, so it is not sent.
        let now = self.outbox.horizon()?;
        if after < now {
            return gone(now);
        }
        Ok(batch)
    }

    /// The next events of the alerts the caller follows after outbox position `after`, each
    /// rendered through the caller's own mask (the same rendering as the relay's). Each event
    /// disclosed is audited, with the children and categories it carries, before it is returned.
    pub fn stream(&self, rq: &Request, after: i64) -> Result<StreamBatch, Failure> {
        self.kernel.settled(self.batch(rq, after))
    }

    fn batch(&self, rq: &Request, after: i64) -> Result<StreamBatch, Failure> {
        let purpose = match self.kernel.purpose(rq, Operation::Stream) {
            Ok(purpose) => purpose,
            Err(denied) => {
                return self
                    .kernel
                    .audited(rq, Action::AlertStream, &[], |_| Err(denied.into()));
            }
        };
        let events = self.outbox.after(after, crate::usecase::relay::BATCH)?;
        let last_seq = events.last().map_or(after, |e| e.seq);
        let receiver = Receiver {
            agency: &rq.caller.agency,
            kind: rq.caller.agency_kind,
            role: Some(rq.caller.role),
        };
        let mut kinds = Kinds::new();
        let mut kind_of = |agency: &str| self.kind_of(&mut kinds, agency);
        // Each record is read once per batch, however many of its events the batch holds.
        let mut records: HashMap<String, Option<Minor>> = HashMap::new();
        let mut record = |id: &str| -> anyhow::Result<Option<Minor>> {
            if let Some(found) = records.get(id) {
                return Ok(found.clone());
            }
            let found = self.minors.find(id)?;
            records.insert(id.to_owned(), found.clone());
            Ok(found)
        };
        let mut rendered = Vec::new();
        for event in &events {
            let minor = record(&event.event.minor_id)?;
            if !receiver.receives(self.kernel.policy(), event, minor.as_ref()) {
                continue;
            }
            let candidate = match &event.event.possible_match {
                Some(m) => record(&m.minor_id)?,
                None => None,
            };
            rendered.push(render(
                event,
                minor.as_ref(),
                candidate.as_ref(),
                &receiver,
                &mut Rendering {
                    policy: self.kernel.policy(),
                    rules: &self.risk,
                    kind_of: &mut kind_of,
                },
            )?);
        }
        let at = self.kernel.now();
        let entries: Vec<AuditEntry> = rendered
            .iter()
            .map(|e| {
                let mut entry =
                    delivery_entry(e, &receiver, &rq.caller.subject, Action::AlertStream, at);
                entry.purpose = Some(purpose);
                entry
            })
            .collect();
        self.kernel.audit().append_all(entries)?;
        Ok(StreamBatch {
            events: rendered,
            last_seq,
        })
    }

    /// Escalates alerts whose acknowledgements are late and flags overdue protective-measures
    /// decisions, each once, with its event. Returns how many events were raised.
    pub fn sweep(&self) -> anyhow::Result<usize> {
        let now = self.kernel.now();
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
                absence: None,
                tasks: &[],
                more_events: &[],
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
