//! An alert and its lifecycle: raised, acknowledged by each notified agency, updated, sightings,
//! escalated when acknowledgements are late, resolved with an outcome, and after a child is located
//! a protective-measures decision due within 12 hours.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::appeal::{Appeal, Republication};
use super::event::AlertEvent;
use super::kind::EventType;
use super::ledger::{self, LedgerEntry};
use super::reporter::Reporter;
use crate::minor::RiskLevel;

/// Open until resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Open,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }
}

/// How an alert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionOutcome {
    FoundSafe,
    FoundHarmed,
    Returned,
    LocatedAbroad,
    Deceased,
    ReportedInError,
}

impl ResolutionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FoundSafe => "found_safe",
            Self::FoundHarmed => "found_harmed",
            Self::Returned => "returned",
            Self::LocatedAbroad => "located_abroad",
            Self::Deceased => "deceased",
            Self::ReportedInError => "reported_in_error",
        }
    }

    /// Outcomes after which the child is somewhere known and protective measures must be decided.
    pub fn located(self) -> bool {
        matches!(
            self,
            Self::FoundSafe | Self::FoundHarmed | Self::Returned | Self::LocatedAbroad
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Acknowledgement {
    pub agency: String,
    pub by: String,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub at: DateTime<Utc>,
}

/// How far a sighting or tip is to be believed, as graded by police or Child Focus.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Credibility {
    // Not assessed yet.
    #[default]
    Unverified,
    Credible,
    Confirmed,
    Discarded,
}

impl Credibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Credible => "credible",
            Self::Confirmed => "confirmed",
            Self::Discarded => "discarded",
        }
    }
}

/// Who graded a sighting, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Grading {
    pub by: Reporter,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sighting {
    /// Names the sighting within its alert (for grading).
    #[serde(default)]
    pub id: String,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub seen_at: DateTime<Utc>,
    pub place: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub reported_by: Reporter,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub recorded_at: DateTime<Utc>,
    #[serde(default)]
    pub grade: Credibility,
    /// The last grading; `None` while unverified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graded: Option<Grading>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Resolution {
    pub outcome: ResolutionOutcome,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub at: DateTime<Utc>,
    pub by: Reporter,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The protective-measures decision after a child is located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Measures {
    pub decision: String,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub decided_at: DateTime<Utc>,
    pub by: Reporter,
}

/// An alert. Changed only through its methods, each of which returns the event it raises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Alert {
    pub id: String,
    pub minor_id: String,
    pub status: AlertStatus,
    pub risk: RiskLevel,
    /// The rules (and people) behind the risk level.
    pub risk_factors: Vec<String>,
    /// How many earlier disappearances of the child the assessment counted (alerts resolved as
    /// reported in error not counted); derived from `risk`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub previous_episodes: u32,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub last_seen_at: DateTime<Utc>,
    pub last_seen_place: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circumstances: Option<String>,
    pub reported_by: Reporter,
    /// The reporter's agency was neither the child's placement nor its guardian when it reported.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reporter_unrelated: bool,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub raised_at: DateTime<Utc>,
    /// When a roll call first found the child absent without explanation, if an absence was
    /// open when the disappearance was reported (the time from absence to report starts here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub absent_since: Option<DateTime<Utc>>,
    /// Agencies that must act, each of which acknowledges.
    pub notified: Vec<String>,
    /// The parties that must be told, each with its state.
    #[serde(default)]
    pub ledger: Vec<LedgerEntry>,
    pub acknowledgements: Vec<Acknowledgement>,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub acknowledgement_due_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub escalated_at: Option<DateTime<Utc>>,
    pub sightings: Vec<Sighting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub measures_due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measures: Option<Measures>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub measures_overdue_at: Option<DateTime<Utc>>,
    /// The public appeal Child Focus published, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeal: Option<Appeal>,
    pub version: i64,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A change the alert's state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("the alert is resolved")]
    Resolved,
    #[error("agency `{0}` has already acknowledged this alert")]
    AlreadyAcknowledged(String),
    #[error("agency `{0}` reported this alert: it has nothing to acknowledge")]
    OwnReport(String),
    #[error("the risk level can be lowered only with a reason")]
    LoweringNeedsReason,
    #[error("protective measures are decided only after the child is located")]
    NotLocated,
    #[error("protective measures are already decided")]
    MeasuresDecided,
    #[error("no sighting `{0}` on this alert")]
    NoSuchSighting(String),
    #[error("the alert has a public appeal already")]
    AppealPublished,
    #[error("the alert has no public appeal")]
    NoAppeal,
    #[error("the appeal is no longer published")]
    AppealEnded,
    #[error("an appeal must expire after it is published")]
    AppealExpiry,
}

/// The level's name as written in the API (`high`, `medium`, `low`).
fn level_name(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::High => "high",
        RiskLevel::Medium => "medium",
        RiskLevel::Low => "low",
    }
}

/// Time allowed for a protective-measures decision after location (SIS Art. 33).
pub const MEASURES_WITHIN: Duration = Duration::hours(12);

/// What a new alert starts from.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub id: String,
    pub minor_id: String,
    pub risk: RiskLevel,
    pub risk_factors: Vec<String>,
    pub last_seen_at: DateTime<Utc>,
    pub last_seen_place: String,
    pub circumstances: Option<String>,
    pub reported_by: Reporter,
    /// See [`Alert::reporter_unrelated`].
    pub reporter_unrelated: bool,
    /// See [`Alert::absent_since`].
    pub absent_since: Option<DateTime<Utc>>,
    /// See [`Alert::previous_episodes`].
    pub previous_episodes: u32,
    pub notified: Vec<String>,
    pub ledger: Vec<LedgerEntry>,
    pub acknowledgement_within: Duration,
}

impl Alert {
    fn event(&self, kind: EventType, event_id: String, time: DateTime<Utc>) -> AlertEvent {
        AlertEvent {
            id: event_id,
            kind,
            alert_id: self.id.clone(),
            minor_id: self.minor_id.clone(),
            time,
            possible_match: None,
            notice: None,
            absence: None,
            task: None,
        }
    }

    fn open(&self) -> Result<(), AlertError> {
        match self.status {
            AlertStatus::Open => Ok(()),
            AlertStatus::Resolved => Err(AlertError::Resolved),
        }
    }

    /// Raises an alert at `now`.
    pub fn raise(new: NewAlert, now: DateTime<Utc>, event_id: String) -> (Alert, AlertEvent) {
        let alert = Alert {
            id: new.id,
            minor_id: new.minor_id,
            status: AlertStatus::Open,
            risk: new.risk,
            risk_factors: new.risk_factors,
            previous_episodes: new.previous_episodes,
            last_seen_at: new.last_seen_at,
            last_seen_place: new.last_seen_place,
            circumstances: new.circumstances,
            reported_by: new.reported_by,
            reporter_unrelated: new.reporter_unrelated,
            raised_at: now,
            absent_since: new.absent_since,
            notified: new.notified,
            ledger: new.ledger,
            acknowledgements: vec![],
            acknowledgement_due_at: now + new.acknowledgement_within,
            escalated_at: None,
            sightings: vec![],
            resolution: None,
            measures_due_at: None,
            measures: None,
            measures_overdue_at: None,
            appeal: None,
            version: 1,
        };
        let event = alert.event(EventType::Raised, event_id, now);
        (alert, event)
    }

    /// One acknowledgement per agency; whether the agency may acknowledge (it follows the alert)
    /// is the caller's decision.
    /// `police`: the acknowledging agency is of kind police (it may take an unassigned police
    /// zone on the ledger).
    pub fn acknowledge(
        &mut self,
        by: &Reporter,
        police: bool,
        now: DateTime<Utc>,
        event_id: String,
    ) -> Result<AlertEvent, AlertError> {
        self.open()?;
        if self.reported_by.agency == by.agency {
            return Err(AlertError::OwnReport(by.agency.clone()));
        }
        if self.acknowledgements.iter().any(|a| a.agency == by.agency) {
            return Err(AlertError::AlreadyAcknowledged(by.agency.clone()));
        }
        self.acknowledgements.push(Acknowledgement {
            agency: by.agency.clone(),
            by: by.subject.clone(),
            at: now,
        });
        ledger::acknowledge(&mut self.ledger, &by.agency, police, now);
        Ok(self.event(EventType::Acknowledged, event_id, now))
    }

    pub fn add_sighting(
        &mut self,
        sighting: Sighting,
        event_id: String,
    ) -> Result<AlertEvent, AlertError> {
        self.open()?;
        let at = sighting.recorded_at;
        self.sightings.push(sighting);
        Ok(self.event(EventType::Sighting, event_id, at))
    }

    /// Grades the sighting `sighting_id` (a new grade replaces the last one, which the earlier
    /// event kept).
    pub fn grade_sighting(
        &mut self,
        sighting_id: &str,
        grade: Credibility,
        grading: Grading,
        event_id: String,
    ) -> Result<AlertEvent, AlertError> {
        self.open()?;
        let at = grading.at;
        let sighting = self
            .sightings
            .iter_mut()
            .find(|s| !s.id.is_empty() && s.id == sighting_id)
            .ok_or_else(|| AlertError::NoSuchSighting(sighting_id.to_owned()))?;
        sighting.grade = grade;
        sighting.graded = Some(grading);
        Ok(self.event(EventType::SightingGraded, event_id, at))
    }

    /// Publishes a public appeal; one per alert, while it is open.
    pub fn publish_appeal(
        &mut self,
        appeal: Appeal,
        event_id: String,
    ) -> Result<AlertEvent, AlertError> {
        self.open()?;
        if self.appeal.is_some() {
            return Err(AlertError::AppealPublished);
        }
        if appeal.expires_at <= appeal.published_at {
            return Err(AlertError::AppealExpiry);
        }
        let at = appeal.published_at;
        self.appeal = Some(appeal);
        Ok(self.event(EventType::AppealPublished, event_id, at))
    }

    /// Records where the appeal was republished, while it stands.
    pub fn republish_appeal(
        &mut self,
        republication: Republication,
        now: DateTime<Utc>,
        event_id: String,
    ) -> Result<AlertEvent, AlertError> {
        self.open()?;
        let appeal = self.appeal.as_mut().ok_or(AlertError::NoAppeal)?;
        if !appeal.active(now) {
            return Err(AlertError::AppealEnded);
        }
        appeal.republications.push(republication);
        Ok(self.event(EventType::Updated, event_id, now))
    }

    /// New information. The risk level may be raised freely; lowering it needs a reason, which is
    /// kept with the factors. (Who changed it is in the event's audit entry, not in the factors,
    /// which every follower reading `risk` sees.)
    pub fn update(
        &mut self,
        last_seen_place: Option<String>,
        circumstances: Option<String>,
        risk: Option<RiskLevel>,
        reason: Option<String>,
        now: DateTime<Utc>,
        event_id: String,
    ) -> Result<AlertEvent, AlertError> {
        self.open()?;
        if let Some(level) = risk {
            if level < self.risk {
                let reason = reason.clone().ok_or(AlertError::LoweringNeedsReason)?;
                self.risk_factors
                    .push(format!("lowered to {}: {reason}", level_name(level)));
            } else if level > self.risk {
                self.risk_factors
                    .push(format!("raised to {}", level_name(level)));
            }
            self.risk = level;
        }
        if let Some(place) = last_seen_place {
            self.last_seen_place = place;
        }
        if circumstances.is_some() {
            self.circumstances = circumstances;
        }
        Ok(self.event(EventType::Updated, event_id, now))
    }

    /// Ends the alert. If the child is located, a protective-measures decision becomes due.
    pub fn resolve(
        &mut self,
        outcome: ResolutionOutcome,
        note: Option<String>,
        by: &Reporter,
        now: DateTime<Utc>,
        event_id: String,
    ) -> Result<AlertEvent, AlertError> {
        self.open()?;
        self.status = AlertStatus::Resolved;
        if let Some(appeal) = &mut self.appeal
            && appeal.cancelled_at.is_none()
        {
            appeal.cancelled_at = Some(now);
        }
        self.resolution = Some(Resolution {
            outcome,
            at: now,
            by: by.clone(),
            note,
        });
        if outcome.located() {
            self.measures_due_at = Some(now + MEASURES_WITHIN);
        }
        Ok(self.event(EventType::Resolved, event_id, now))
    }

    pub fn decide_measures(
        &mut self,
        decision: String,
        by: &Reporter,
        now: DateTime<Utc>,
        event_id: String,
    ) -> Result<AlertEvent, AlertError> {
        if self.measures_due_at.is_none() {
            return Err(AlertError::NotLocated);
        }
        if self.measures.is_some() {
            return Err(AlertError::MeasuresDecided);
        }
        self.measures = Some(Measures {
            decision,
            decided_at: now,
            by: by.clone(),
        });
        Ok(self.event(EventType::Updated, event_id, now))
    }

    /// Agencies notified that have not acknowledged yet.
    pub fn unacknowledged(&self) -> Vec<&str> {
        self.notified
            .iter()
            .filter(|n| !self.acknowledgements.iter().any(|a| &a.agency == *n))
            .map(String::as_str)
            .collect()
    }

    /// The next moment a deadline falls due that has not been dealt with, if any: what the
    /// deadline sweeper looks at.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        if self.status == AlertStatus::Open
            && self.escalated_at.is_none()
            && !self.unacknowledged().is_empty()
        {
            return Some(self.acknowledgement_due_at);
        }
        match (
            self.measures_due_at,
            &self.measures,
            self.measures_overdue_at,
        ) {
            (Some(due), None, None) => Some(due),
            _ => None,
        }
    }

    /// Escalates, once, an open alert whose acknowledgement deadline has passed with an agency
    /// still silent. `None` when nothing is due.
    pub fn escalate_if_due(&mut self, now: DateTime<Utc>, event_id: String) -> Option<AlertEvent> {
        let due = self.status == AlertStatus::Open
            && self.escalated_at.is_none()
            && now >= self.acknowledgement_due_at
            && !self.unacknowledged().is_empty();
        if !due {
            return None;
        }
        self.escalated_at = Some(now);
        ledger::escalate(&mut self.ledger, now);
        Some(self.event(EventType::Escalated, event_id, now))
    }

    /// Marks, once, a protective-measures decision that is overdue. `None` when nothing is due.
    pub fn measures_overdue_if_due(
        &mut self,
        now: DateTime<Utc>,
        event_id: String,
    ) -> Option<AlertEvent> {
        let due = self.measures_due_at.is_some_and(|d| now >= d)
            && self.measures.is_none()
            && self.measures_overdue_at.is_none();
        if !due {
            return None;
        }
        self.measures_overdue_at = Some(now);
        Some(self.event(EventType::MeasuresOverdue, event_id, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(agency: &str) -> Reporter {
        Reporter {
            subject: "u".into(),
            agency: agency.into(),
            role: "police_officer".into(),
        }
    }

    fn alert(now: DateTime<Utc>) -> Alert {
        Alert::raise(
            NewAlert {
                id: "a1".into(),
                minor_id: "m1".into(),
                risk: RiskLevel::High,
                risk_factors: vec!["young_age".into()],
                last_seen_at: now - Duration::hours(1),
                last_seen_place: "Brussels-North".into(),
                circumstances: None,
                reported_by: who("centre"),
                reporter_unrelated: false,
                absent_since: None,
                previous_episodes: 0,
                notified: vec!["police".into(), "child-focus".into()],
                ledger: vec![],
                acknowledgement_within: Duration::minutes(15),
            },
            now,
            "e1".into(),
        )
        .0
    }

    #[test]
    fn acknowledgements_once_per_agency() {
        let now = DateTime::UNIX_EPOCH;
        let mut a = alert(now);
        assert!(
            a.acknowledge(&who("police"), false, now, "e2".into())
                .is_ok()
        );
        assert_eq!(
            a.acknowledge(&who("police"), false, now, "e3".into()),
            Err(AlertError::AlreadyAcknowledged("police".into()))
        );
        assert_eq!(
            a.acknowledge(&who("centre"), false, now, "e4".into()),
            Err(AlertError::OwnReport("centre".into())),
            "the reporter"
        );
        assert_eq!(a.unacknowledged(), ["child-focus"]);
    }

    #[test]
    fn escalates_once_when_the_deadline_passes_unacknowledged() {
        let now = DateTime::UNIX_EPOCH;
        let mut a = alert(now);
        assert!(
            a.escalate_if_due(now + Duration::minutes(14), "e".into())
                .is_none()
        );
        let e = a
            .escalate_if_due(now + Duration::minutes(15), "e".into())
            .unwrap();
        assert_eq!(e.kind, EventType::Escalated);
        assert!(
            a.escalate_if_due(now + Duration::minutes(30), "e".into())
                .is_none(),
            "once"
        );

        let mut b = alert(now);
        b.acknowledge(&who("police"), false, now, "x".into())
            .unwrap();
        b.acknowledge(&who("child-focus"), false, now, "y".into())
            .unwrap();
        assert!(
            b.escalate_if_due(now + Duration::hours(1), "e".into())
                .is_none(),
            "all acknowledged"
        );
    }

    #[test]
    fn risk_is_raised_freely_and_lowered_only_with_a_reason() {
        let now = DateTime::UNIX_EPOCH;
        let mut a = alert(now);
        assert_eq!(
            a.update(None, None, Some(RiskLevel::Low), None, now, "e".into()),
            Err(AlertError::LoweringNeedsReason)
        );
        assert_eq!(a.risk, RiskLevel::High);
        a.update(
            None,
            None,
            Some(RiskLevel::Low),
            Some("seen with family".into()),
            now,
            "e".into(),
        )
        .unwrap();
        assert_eq!(a.risk, RiskLevel::Low);
        assert!(
            a.risk_factors
                .iter()
                .any(|f| f.contains("seen with family"))
        );
    }

    #[test]
    fn resolution_ends_the_alert_and_starts_the_measures_clock() {
        let now = DateTime::UNIX_EPOCH;
        let mut a = alert(now);
        a.resolve(
            ResolutionOutcome::FoundSafe,
            None,
            &who("police"),
            now,
            "r".into(),
        )
        .unwrap();
        assert_eq!(a.status, AlertStatus::Resolved);
        assert_eq!(
            a.acknowledge(&who("child-focus"), false, now, "x".into()),
            Err(AlertError::Resolved)
        );
        assert!(
            a.escalate_if_due(now + Duration::hours(2), "e".into())
                .is_none(),
            "no escalation after resolution"
        );
        assert!(
            a.measures_overdue_if_due(now + Duration::hours(11), "m".into())
                .is_none()
        );
        assert_eq!(
            a.measures_overdue_if_due(now + Duration::hours(12), "m".into())
                .map(|e| e.kind),
            Some(EventType::MeasuresOverdue)
        );
        assert!(
            a.measures_overdue_if_due(now + Duration::hours(13), "m".into())
                .is_none(),
            "once"
        );

        let mut b = alert(now);
        b.resolve(
            ResolutionOutcome::ReportedInError,
            None,
            &who("police"),
            now,
            "r".into(),
        )
        .unwrap();
        assert_eq!(
            b.decide_measures("none".into(), &who("g"), now, "d".into()),
            Err(AlertError::NotLocated)
        );
        let mut c = alert(now);
        c.resolve(
            ResolutionOutcome::Returned,
            None,
            &who("police"),
            now,
            "r".into(),
        )
        .unwrap();
        c.decide_measures(
            "placed in a secure centre".into(),
            &who("g"),
            now,
            "d".into(),
        )
        .unwrap();
        assert!(
            c.measures_overdue_if_due(now + Duration::hours(13), "m".into())
                .is_none(),
            "decided in time"
        );
    }
}
