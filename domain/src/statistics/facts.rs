//! The facts statistics are computed from: per registration and per disappearance, an event time
//! and its dimension values, nothing else. Built from the stored records and alerts by
//! [`Facts::build`]; no name, number, date of birth or id leaves this module (the fields are
//! private to the domain, and the link between a child's alerts is only used to find repeats).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::dimension::{AGE_BANDS, Dimension};
use crate::agency::AgencyKind;
use crate::alert::{Alert, AlertStatus, ResolutionOutcome};
use crate::minor::{MinorData, MinorStatus, RiskLevel, Sex};
use crate::record::Minor;

/// The dimension values of one event (every dimension but month and outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Values {
    pub(crate) age_band: &'static str,
    pub(crate) sex: &'static str,
    pub(crate) nationality: String,
    pub(crate) placement: &'static str,
    pub(crate) risk_level: &'static str,
}

impl Values {
    /// The value for `dimension`; `None` for month and outcome, which the event holds itself.
    pub(crate) fn get(&self, dimension: Dimension) -> Option<&str> {
        match dimension {
            Dimension::AgeBand => Some(self.age_band),
            Dimension::Sex => Some(self.sex),
            Dimension::Nationality => Some(&self.nationality),
            Dimension::Placement => Some(self.placement),
            Dimension::RiskLevel => Some(self.risk_level),
            Dimension::Month | Dimension::Outcome => None,
        }
    }
}

/// A child's registration.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub(crate) at: DateTime<Utc>,
    pub(crate) values: Values,
}

/// How a disappearance stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    StillMissing,
    Located {
        outcome: ResolutionOutcome,
        after: Duration,
    },
    Deceased,
}

/// One disappearance: an alert not resolved as reported in error.
#[derive(Debug, Clone, PartialEq)]
pub struct Disappearance {
    pub(crate) raised_at: DateTime<Utc>,
    pub(crate) values: Values,
    pub(crate) end: End,
    /// The child had disappeared before (an earlier alert, not reported in error).
    pub(crate) repeat: bool,
}

impl Disappearance {
    /// The value of the outcome dimension.
    pub(crate) fn outcome(&self) -> &'static str {
        match self.end {
            End::StillMissing => "still_missing",
            End::Deceased => "deceased",
            End::Located { outcome, .. } => match outcome {
                ResolutionOutcome::FoundSafe => "found_safe",
                ResolutionOutcome::FoundHarmed => "found_harmed",
                ResolutionOutcome::Returned => "returned",
                ResolutionOutcome::LocatedAbroad => "located_abroad",
                // Not located outcomes; never built as `Located`.
                ResolutionOutcome::Deceased | ResolutionOutcome::ReportedInError => "deceased",
            },
        }
    }
}

/// Everything the figures are computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub(crate) registrations: Vec<Registration>,
    pub(crate) disappearances: Vec<Disappearance>,
}

impl Facts {
    /// The facts of `minors` (every stored record; merged duplicates are not registrations) and
    /// `alerts` (every stored alert; those reported in error are not disappearances). `kinds`
    /// gives the kind of each agency, for the placement dimension.
    pub fn build(minors: &[Minor], alerts: &[Alert], kinds: &HashMap<String, AgencyKind>) -> Self {
        let by_id: HashMap<&str, &Minor> = minors.iter().map(|m| (m.id.as_str(), m)).collect();
        let registrations = minors
            .iter()
            .filter(|m| m.status != MinorStatus::Merged)
            .map(|m| Registration {
                at: m.registered_at,
                values: values(&m.data, m.registered_at.date_naive(), None, kinds),
            })
            .collect();
        // The child an alert is about, following merges to the surviving record.
        let child = |id: &str| -> String {
            let mut id = id;
            for _ in 0..8 {
                match by_id.get(id).and_then(|m| m.merged_into.as_deref()) {
                    Some(next) => id = next,
                    None => break,
                }
            }
            id.to_owned()
        };
        let mut kept: Vec<(String, &Alert)> = alerts
            .iter()
            .filter(|a| {
                a.resolution
                    .as_ref()
                    .is_none_or(|r| r.outcome != ResolutionOutcome::ReportedInError)
            })
            .map(|a| (child(&a.minor_id), a))
            .collect();
        kept.sort_by(|(c1, a1), (c2, a2)| (c1, a1.raised_at).cmp(&(c2, a2.raised_at)));
        let mut disappearances = Vec::with_capacity(kept.len());
        for (i, (child, alert)) in kept.iter().enumerate() {
            let repeat = i > 0 && kept[i - 1].0 == *child;
            let data = by_id.get(alert.minor_id.as_str()).map(|m| &m.data);
            let empty = MinorData::default();
            disappearances.push(Disappearance {
                raised_at: alert.raised_at,
                values: values(
                    data.unwrap_or(&empty),
                    alert.raised_at.date_naive(),
                    Some(alert.risk),
                    kinds,
                ),
                end: end(alert),
                repeat,
            });
        }
        disappearances.sort_by_key(|d| d.raised_at);
        Self {
            registrations,
            disappearances,
        }
    }
}

fn end(alert: &Alert) -> End {
    match (&alert.status, &alert.resolution) {
        (AlertStatus::Resolved, Some(r)) if r.outcome.located() => End::Located {
            outcome: r.outcome,
            after: r.at - alert.raised_at,
        },
        (AlertStatus::Resolved, Some(r)) if r.outcome == ResolutionOutcome::Deceased => {
            End::Deceased
        }
        _ => End::StillMissing,
    }
}

/// The dimension values of a child at `on`; `risk` is the alert's level for a disappearance,
/// the record's for a registration.
fn values(
    data: &MinorData,
    on: NaiveDate,
    risk: Option<RiskLevel>,
    kinds: &HashMap<String, AgencyKind>,
) -> Values {
    let identity = data.identity.as_ref();
    let risk = risk.or_else(|| data.risk.as_ref().and_then(|r| r.level));
    Values {
        age_band: age_band(age_at(data, on)),
        sex: match identity.and_then(|i| i.sex) {
            Some(Sex::Female) => "female",
            Some(Sex::Male) => "male",
            Some(Sex::X) => "x",
            Some(Sex::Unknown) | None => "unknown",
        },
        nationality: data
            .nationalities()
            .first()
            .cloned()
            .unwrap_or_else(|| "unknown".to_owned()),
        placement: placement(data, on, kinds),
        risk_level: match risk {
            Some(RiskLevel::High) => "high",
            Some(RiskLevel::Medium) => "medium",
            Some(RiskLevel::Low) => "low",
            None => "unknown",
        },
    }
}

/// Whole years from `from` to `to` (negative if `to` is earlier).
fn years(from: NaiveDate, to: NaiveDate) -> i32 {
    let mut y = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        y -= 1;
    }
    y
}

/// Age at `on`: from the date of birth; else the lower bound of the assessed range (the benefit
/// of the doubt), plus the years from the assessment to `on` when its date is known.
pub(crate) fn age_at(data: &MinorData, on: NaiveDate) -> Option<i32> {
    if let Some(born) = data.identity.as_ref().and_then(|i| i.date_of_birth) {
        return Some(years(born, on));
    }
    let assessment = data.age_assessment.as_ref()?;
    let min = i32::from(assessment.estimated_age_min?);
    Some(min + assessment.decided_on.map_or(0, |d| years(d, on)))
}

pub(crate) fn age_band(age: Option<i32>) -> &'static str {
    match age {
        Some(a) if (0..14).contains(&a) => AGE_BANDS[0],
        Some(14 | 15) => AGE_BANDS[1],
        Some(16 | 17) => AGE_BANDS[2],
        Some(a) if a >= 18 => AGE_BANDS[3],
        _ => AGE_BANDS[4],
    }
}

/// The kind of the agency the child was placed with on `on`: the placement period covering that
/// day, else the current placement if it had begun; `none` when no placement is known.
fn placement(data: &MinorData, on: NaiveDate, kinds: &HashMap<String, AgencyKind>) -> &'static str {
    let Some(p) = data.placement.as_ref() else {
        return "none";
    };
    let from_history = p
        .history
        .iter()
        .find(|h| h.from <= on && h.to.is_none_or(|to| on < to))
        .map(|h| h.agency.as_str());
    let current = p
        .current_agency
        .as_deref()
        .filter(|_| p.since.is_none_or(|since| since <= on));
    match from_history.or(current).map(|a| kinds.get(a)) {
        None => "none",
        Some(Some(AgencyKind::ReceptionCentre)) => "reception_centre",
        Some(Some(AgencyKind::YouthCare)) => "youth_care",
        Some(_) => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minor::{AgeAssessment, Identity, Placement, PlacementPeriod};

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn age_comes_from_the_date_of_birth_else_the_assessed_minimum() {
        let mut data = MinorData {
            identity: Some(Identity {
                date_of_birth: Some(date("2010-06-15")),
                ..Default::default()
            }),
            age_assessment: Some(AgeAssessment {
                estimated_age_min: Some(16),
                estimated_age_max: Some(18),
                decided_on: Some(date("2025-01-10")),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(age_at(&data, date("2026-06-14")), Some(15));
        assert_eq!(age_at(&data, date("2026-06-15")), Some(16));
        data.identity = None;
        assert_eq!(age_at(&data, date("2026-01-09")), Some(16));
        assert_eq!(age_at(&data, date("2026-01-10")), Some(17));
        data.age_assessment = None;
        assert_eq!(age_at(&data, date("2026-01-10")), None);
        assert_eq!(age_band(Some(13)), "0-13");
        assert_eq!(age_band(Some(15)), "14-15");
        assert_eq!(age_band(Some(17)), "16-17");
        assert_eq!(age_band(Some(18)), "18+");
        assert_eq!(age_band(Some(-1)), "unknown");
        assert_eq!(age_band(None), "unknown");
    }

    #[test]
    fn placement_is_the_one_in_force_on_the_day() {
        let kinds = HashMap::from([
            ("centre".to_owned(), AgencyKind::ReceptionCentre),
            ("care".to_owned(), AgencyKind::YouthCare),
        ]);
        let data = MinorData {
            placement: Some(Placement {
                current_agency: Some("care".into()),
                since: Some(date("2026-03-01")),
                history: vec![PlacementPeriod {
                    agency: "centre".into(),
                    from: date("2026-01-01"),
                    to: Some(date("2026-03-01")),
                }],
            }),
            ..Default::default()
        };
        assert_eq!(placement(&data, date("2025-12-31"), &kinds), "none");
        assert_eq!(
            placement(&data, date("2026-02-28"), &kinds),
            "reception_centre"
        );
        assert_eq!(placement(&data, date("2026-03-01"), &kinds), "youth_care");
        assert_eq!(
            placement(&MinorData::default(), date("2026-03-01"), &kinds),
            "none"
        );
    }
}
