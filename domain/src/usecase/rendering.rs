//! How an alert event looks to one receiver: the agencies that receive it, the CloudEvent it is
//! rendered to through the receiver's mask (the same projection as the REST API), and the audit
//! entry of its delivery. Shared by the relay, the alert stream and the dead letters.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::agency::{AgencyId, AgencyKind};
use crate::alert::{Alert, Payload, RiskRules, follows_alert, mask_alert};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::category::Category;
use crate::category::CategorySet;
use crate::policy::{Facts, Operation, Policy};
use crate::ports::{OutboxEvent, RenderedEvent};
use crate::projection::{MinorView, project};
use crate::purpose::Purpose;
use crate::record::Minor;
use crate::role::Role;

/// The CloudEvents `source` of every event.
pub const SOURCE: &str = "urn:uam-registry";

/// Who receives a rendered event: the agency, its kind, and the role whose field policy renders
/// what it receives (`None`: a role that reads no child data).
#[derive(Debug, Clone, Copy)]
pub struct Receiver<'a> {
    pub agency: &'a AgencyId,
    pub kind: AgencyKind,
    pub role: Option<Role>,
}

impl Receiver<'_> {
    /// Whether the receiver gets `event` about a child whose record is `minor` now. An alert's
    /// event: its agency follows the alert (see [`follows`]) and its role may follow it on a
    /// stream. A review notice: the receiver is the guardianship service, whose role may answer
    /// reviews.
    pub fn receives(&self, policy: &Policy, event: &OutboxEvent, minor: Option<&Minor>) -> bool {
        let Some(role) = self.role else {
            return false;
        };
        let mut relation = minor
            .map(|m| m.relation_of(self.agency))
            .unwrap_or_default();
        match event.event.kind.payload() {
            Payload::Absence => return self.receives_absence(policy, role, minor),
            Payload::Task => {
                return event.event.task.as_ref().is_some_and(|t| {
                    t.agency == self.agency.as_str()
                        && crate::purpose::Purpose::ALL.iter().any(|p| {
                            policy.permits(role, Operation::Tasks, Some(*p), relation.into())
                        })
                });
            }
            Payload::Alert | Payload::Notice => {}
        }
        let Some(alert) = &event.alert else {
            return self.kind == AgencyKind::GuardianshipService
                && policy.permits(
                    role,
                    Operation::Review,
                    Some(Purpose::Guardianship),
                    relation.into(),
                );
        };
        // An alert open when the restriction came keeps its followers and its events until it
        // ends, its resolution included.
        if minor.is_some_and(|m| {
            m.lifecycle.erased_at.is_none()
                && m.lifecycle
                    .restriction
                    .as_ref()
                    .is_some_and(|r| r.since >= alert.raised_at)
        }) {
            relation.restricted = false;
        }
        let facts = Facts {
            assigned: relation.assigned,
            active_alert: relation.active_alert,
            restricted: relation.restricted,
            follows: follows_alert(self.agency, self.kind, minor.map(|m| &m.data), alert),
            reporter: alert.reported_by.agency == self.agency.as_str(),
        };
        facts.follows
            && policy.permits(role, Operation::Stream, Some(Purpose::Disappearance), facts)
    }

    /// An absence's events go to the child's placement, its guardian agency and the guardianship
    /// service, each if its role reads the child's `placement` for the purpose `disappearance`
    /// and may follow events on a stream.
    fn receives_absence(&self, policy: &Policy, role: Role, minor: Option<&Minor>) -> bool {
        let Some(m) = minor else { return false };
        let party = self.kind == AgencyKind::GuardianshipService
            || m.data.placement_agency() == Some(self.agency.as_str())
            || m.data.guardian_agency() == Some(self.agency.as_str());
        let relation = m.relation_of(self.agency);
        let facts = Facts {
            follows: party,
            ..relation.into()
        };
        party
            && policy
                .mask(role, Purpose::Disappearance, relation)
                .read
                .contains(Category::Placement)
            && policy.permits(role, Operation::Stream, Some(Purpose::Disappearance), facts)
    }

    /// The categories the receiver reads of a record for the purpose `disappearance` (none that
    /// a retention rule erased).
    fn reads(&self, policy: &Policy, minor: &Minor) -> CategorySet {
        self.role
            .map(|role| {
                policy
                    .mask(role, Purpose::Disappearance, minor.relation_of(self.agency))
                    .read
                    .difference(minor.lifecycle.erased_categories())
            })
            .unwrap_or_default()
    }
}

/// What rendering needs besides the event: the policy, the risk rules (to mask risk factors), and
/// the kinds of the agencies an alert names.
pub struct Rendering<'a> {
    pub policy: &'a Policy,
    pub rules: &'a RiskRules,
    pub kind_of: &'a mut dyn FnMut(&str) -> anyhow::Result<Option<AgencyKind>>,
}

/// A record through the receiver's mask for the purpose `disappearance` (the same projection as
/// the REST API); `None` when it reads nothing.
fn projected(minor: Option<&Minor>, receiver: &Receiver<'_>, policy: &Policy) -> Option<MinorView> {
    let (m, role) = minor.zip(receiver.role)?;
    let mask = policy.mask(role, Purpose::Disappearance, m.relation_of(receiver.agency));
    (!mask.read.is_empty()).then(|| project(m, mask, Purpose::Disappearance))
}

/// A structured CloudEvent (version 1.0) of the registry.
#[derive(Debug, Serialize)]
struct CloudEvent<'a, D> {
    specversion: &'static str,
    id: &'a str,
    source: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    subject: &'a str,
    #[serde(with = "crate::time::micros")]
    time: DateTime<Utc>,
    datacontenttype: &'static str,
    data: D,
}

/// The `data` of an alert event as one receiver sees it.
#[derive(Debug, Serialize)]
struct EventData {
    alert: Alert,
    minor: Option<MinorView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    possible_match: Option<MatchData>,
}

/// A possible match as one receiver sees it: the candidate's record through its mask.
#[derive(Debug, Serialize)]
struct MatchData {
    minor_id: String,
    score: f64,
    candidate: Option<MinorView>,
}

impl EventData {
    /// The children the event names (the alert's child, and a candidate shown) and the categories
    /// of their records it carries.
    fn disclosure(&self, child: &str) -> (Vec<String>, CategorySet) {
        let shown = [
            self.minor.as_ref(),
            self.possible_match
                .as_ref()
                .and_then(|m| m.candidate.as_ref()),
        ];
        let mut children = vec![child.to_owned()];
        let mut categories = CategorySet::EMPTY;
        for view in shown.into_iter().flatten() {
            children.push(view.id.clone());
            categories = categories.union(view.data.present_categories());
        }
        children.sort();
        children.dedup();
        (children, categories)
    }
}

/// Renders an event as a structured CloudEvent for `receiver`: `data` holds the alert, with what it
/// derives from categories the receiver may not read taken out ([`mask_alert`]), and the missing
/// child's record (`minor`), through the receiver's mask for the purpose `disappearance`. A
/// possible-match event adds `possible_match`: the id of the record that may be this child, the
/// score, and that record (`candidate`) through the same mask. The rendered event names the
/// children and categories it discloses.
pub fn render(
    event: &OutboxEvent,
    minor: Option<&Minor>,
    candidate: Option<&Minor>,
    receiver: &Receiver<'_>,
    rendering: &mut Rendering<'_>,
) -> anyhow::Result<RenderedEvent> {
    match event.event.kind.payload() {
        Payload::Absence => return render_absence(event, minor, receiver, rendering.policy),
        Payload::Task => return render_task(event),
        Payload::Alert | Payload::Notice => {}
    }
    let Some(stored) = &event.alert else {
        return render_notice(event);
    };
    let reads = minor
        .map(|m| receiver.reads(rendering.policy, m))
        .unwrap_or_default();
    let alert = mask_alert(
        stored,
        reads,
        receiver.agency,
        rendering.rules,
        rendering.kind_of,
    )?;
    let e = &event.event;
    let data = EventData {
        alert,
        minor: projected(minor, receiver, rendering.policy),
        possible_match: e.possible_match.as_ref().map(|m| MatchData {
            minor_id: m.minor_id.clone(),
            score: m.score,
            candidate: projected(candidate, receiver, rendering.policy),
        }),
    };
    let (children, disclosed) = data.disclosure(&e.minor_id);
    rendered(
        event,
        &e.alert_id,
        data,
        Disclosure {
            children,
            categories: disclosed,
            purpose: Purpose::Disappearance,
        },
    )
}

/// The `data` of an absence event: the absence, and the child's record through the receiver's
/// mask for the purpose `disappearance`.
#[derive(Debug, Serialize)]
struct AbsenceData<'a> {
    absence: &'a crate::episode::Absence,
    minor: Option<MinorView>,
}

/// An absence event as a CloudEvent; it discloses `placement` (where the child was found absent)
/// and the categories of the record shown.
fn render_absence(
    event: &OutboxEvent,
    minor: Option<&Minor>,
    receiver: &Receiver<'_>,
    policy: &Policy,
) -> anyhow::Result<RenderedEvent> {
    let e = &event.event;
    let absence = e
        .absence
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("outbox event {} has no absence", e.id))?;
    let data = AbsenceData {
        absence,
        minor: projected(minor, receiver, policy),
    };
    let mut disclosed = data
        .minor
        .as_ref()
        .map(|v| v.data.present_categories())
        .unwrap_or_default();
    disclosed.insert(Category::Placement);
    rendered(
        event,
        &absence.id,
        data,
        Disclosure {
            children: vec![e.minor_id.clone()],
            categories: disclosed,
            purpose: Purpose::Disappearance,
        },
    )
}

/// A task event as a CloudEvent: `data` is the task (kind, child and alert ids, assignee,
/// deadline, state), no field of the child's record.
fn render_task(event: &OutboxEvent) -> anyhow::Result<RenderedEvent> {
    let e = &event.event;
    let task = e
        .task
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("outbox event {} has no task", e.id))?;
    rendered(
        event,
        &task.id,
        serde_json::json!({ "task": task }),
        Disclosure {
            children: vec![e.minor_id.clone()],
            categories: CategorySet::EMPTY,
            purpose: Purpose::Disappearance,
        },
    )
}

/// Whom and what a rendered event discloses, for its audit entry.
struct Disclosure {
    children: Vec<String>,
    categories: CategorySet,
    purpose: Purpose,
}

/// `event` as a structured CloudEvent about `subject` carrying `data`, with what it discloses.
fn rendered<D: Serialize>(
    event: &OutboxEvent,
    subject: &str,
    data: D,
    disclosure: Disclosure,
) -> anyhow::Result<RenderedEvent> {
    let e = &event.event;
    let cloudevent = serde_json::to_value(CloudEvent {
        specversion: "1.0",
        id: &e.id,
        source: SOURCE,
        kind: e.kind.as_str(),
        subject,
        time: e.time,
        datacontenttype: "application/json",
        data,
    })?;
    Ok(RenderedEvent {
        seq: event.seq,
        id: e.id.clone(),
        key: e.minor_id.clone(),
        kind: e.kind.as_str(),
        time: e.time,
        cloudevent,
        children: disclosure.children,
        disclosed: disclosure.categories,
        purpose: disclosure.purpose,
    })
}

/// A review notice as a CloudEvent: `data` is the notice (the record's id and registry number,
/// why and by when, the rules that will run), no field of the child's data.
fn render_notice(event: &OutboxEvent) -> anyhow::Result<RenderedEvent> {
    let e = &event.event;
    let notice = e
        .notice
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("outbox event {} has neither alert nor notice", e.id))?;
    rendered(
        event,
        &e.minor_id,
        notice,
        Disclosure {
            children: vec![e.minor_id.clone()],
            categories: CategorySet::EMPTY,
            purpose: Purpose::Guardianship,
        },
    )
}

/// The audit entry of one event delivered to (or streamed to) a receiver: the receiving agency
/// and role, the event's purpose, the children named and the categories disclosed; the event id
/// stands in the request id. `subject` is the person streaming, or the subscription.
pub fn delivery_entry(
    event: &RenderedEvent,
    receiver: &Receiver<'_>,
    subject: &str,
    action: Action,
    at: chrono::DateTime<chrono::Utc>,
) -> AuditEntry {
    AuditEntry {
        at,
        subject: Some(subject.to_owned()),
        agency: Some(receiver.agency.to_string()),
        role: receiver.role.map(|r| r.to_string()),
        purpose: Some(event.purpose),
        action,
        minors: event.children.clone(),
        categories: event.disclosed,
        outcome: Outcome::Success,
        request_id: event.id.clone(),
    }
    .normalised()
}
