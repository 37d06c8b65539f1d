//! The facts statistics are computed from: per registration and per disappearance, an event time
//! and its dimension values, nothing else. Built from the stored records and alerts by
//! [`Facts::build`]; no name, number, date of birth or id leaves this module (the fields are
//! private to the domain, and the link between a child's alerts is only used to number its
//! episodes).
//!
//! A disappearance is an *episode*, counted once: one alert, however many agencies were told of
//! it, acknowledged it, reported sightings or acted on it (none of those is counted).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::dimension::{AGE_BANDS, Dimension, EPISODES};
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
    /// The value for `dimension`; `None` for month, outcome and episode, which the event holds
    /// itself.
    pub(crate) fn get(&self, dimension: Dimension) -> Option<&str> {
        match dimension {
            Dimension::AgeBand => Some(self.age_band),
            Dimension::Sex => Some(self.sex),
            Dimension::Nationality => Some(&self.nationality),
            Dimension::Placement => Some(self.placement),
            Dimension::RiskLevel => Some(self.risk_level),
            Dimension::Month | Dimension::Outcome | Dimension::Episode => None,
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

/// One disappearance (an episode): an alert not resolved as reported in error, and not raised
/// while an earlier alert of the same child was open (see [`Facts::build`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Disappearance {
    pub(crate) raised_at: DateTime<Utc>,
    pub(crate) values: Values,
    pub(crate) end: End,
    /// Which disappearance of the child this is: 1 for its first, 2 for its second, and so on
    /// (earlier episodes of any period count; records merged into one are one child).
    pub(crate) episode: u32,
    /// From the roll call that first found the child absent to the report (never negative);
    /// `None` when no absence was open at the report.
    pub(crate) absent_for: Option<Duration>,
}

impl Disappearance {
    /// The child had disappeared before: a second or later episode.
    pub(crate) fn repeat(&self) -> bool {
        self.episode > 1
    }

    /// The value of the episode dimension: `1`, `2` or `3+`.
    pub(crate) fn episode_band(&self) -> &'static str {
        match self.episode {
            0 | 1 => EPISODES[0],
            2 => EPISODES[1],
            _ => EPISODES[2],
        }
    }

    /// The value of `dimension` for this disappearance: the outcome and the episode are its
    /// own, the others the child's at the report; `None` for month.
    pub(crate) fn value(&self, dimension: Dimension) -> Option<&str> {
        match dimension {
            Dimension::Outcome => Some(self.outcome()),
            Dimension::Episode => Some(self.episode_band()),
            other => self.values.get(other),
        }
    }

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
    /// `alerts` (every stored alert). `kinds` gives the kind of each agency, for the placement
    /// dimension.
    ///
    /// Disappearances are counted by alert, one each: the agencies notified, their
    /// acknowledgements and the sightings of an alert add nothing. Not counted: an alert
    /// resolved as reported in error (nothing happened), and an alert raised while an earlier
    /// alert of the same child was open (the same disappearance reported again, e.g. by another
    /// agency or under a duplicate record merged since): that episode is the earlier alert's.
    /// A child's episodes are numbered in the order they were raised, over every period.
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
        kept.sort_by(|(c1, a1), (c2, a2)| {
            (c1, a1.raised_at, &a1.id).cmp(&(c2, a2.raised_at, &a2.id))
        });
        let mut disappearances = Vec::with_capacity(kept.len());
        // The child of the episode being read, its number, and until when it is open (`None`:
        // still open): the latest end of the alerts it is made of.
        let mut current: Option<(&str, u32, Option<DateTime<Utc>>)> = None;
        for (child, alert) in &kept {
            let closed = closed_at(alert);
            let episode = match &mut current {
                Some((c, _, until)) if c == child && until.is_none_or(|u| alert.raised_at < u) => {
                    // Raised while the episode was open: the same disappearance.
                    *until = until.zip(closed).map(|(u, c)| u.max(c));
                    continue;
                }
                Some((c, n, _)) if c == child => *n + 1,
                _ => 1,
            };
            current = Some((child.as_str(), episode, closed));
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
                episode,
                absent_for: alert
                    .absent_since
                    .map(|since| (alert.raised_at - since).max(Duration::zero())),
            });
        }
        disappearances.sort_by_key(|d| d.raised_at);
        Self {
            registrations,
            disappearances,
        }
    }
}

/// When `alert` was resolved; `None` while it is open.
fn closed_at(alert: &Alert) -> Option<DateTime<Utc>> {
    match (&alert.status, &alert.resolution) {
        (AlertStatus::Resolved, Some(r)) => Some(r.at),
        _ => None,
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
    use crate::alert::{NewAlert, Reporter, Sighting};
    use crate::minor::{AgeAssessment, Identity, Placement, PlacementPeriod};
    use crate::statistics::{Figure, Month, Query, compute};
    use chrono::TimeZone;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).unwrap()
    }

    fn who(agency: &str) -> Reporter {
        Reporter {
            subject: format!("someone at {agency}"),
            agency: agency.into(),
            role: "police_officer".into(),
        }
    }

    /// An alert for record `minor`, raised by `centre` at `raised`, every agency of `notified`
    /// told of it.
    fn alert(id: &str, minor: &str, raised: DateTime<Utc>, notified: &[&str]) -> Alert {
        Alert::raise(
            NewAlert {
                id: id.into(),
                minor_id: minor.into(),
                risk: RiskLevel::High,
                risk_factors: vec![],
                last_seen_at: raised - Duration::hours(1),
                last_seen_place: "Brussels-North".into(),
                circumstances: None,
                reported_by: who("centre"),
                reporter_unrelated: false,
                absent_since: None,
                previous_episodes: 0,
                notified: notified.iter().map(|a| (*a).to_owned()).collect(),
                ledger: vec![],
                acknowledgement_within: Duration::minutes(15),
            },
            raised,
            format!("{id}-raised"),
        )
        .0
    }

    fn resolved(mut a: Alert, outcome: ResolutionOutcome, on: DateTime<Utc>) -> Alert {
        a.resolve(
            outcome,
            None,
            &who("police"),
            on,
            format!("{}-resolved", a.id),
        )
        .unwrap();
        a
    }

    /// The total of `figure` over every month, threshold 1 (only zeros are suppressed).
    fn total(facts: &Facts, figure: Figure) -> Option<u64> {
        let query = Query {
            figure,
            by: None,
            split: None,
            from: None,
            to: None,
        };
        compute(facts, &query, Month::new(2026, 6).unwrap(), 1)
            .total
            .count
    }

    #[test]
    fn one_alert_is_one_disappearance_however_many_agencies_act_on_it() {
        // One child reported once; five agencies told, all five acknowledge, three sightings
        // by three of them, then found safe. One disappearance, a first one.
        let agencies = [
            "police",
            "child-focus",
            "guardian",
            "immigration",
            "placement",
        ];
        let mut a = alert("a1", "m1", at(1, 10, 0), &agencies);
        for (i, agency) in agencies.iter().enumerate() {
            a.acknowledge(&who(agency), false, at(1, 10, 1), format!("ack{i}"))
                .unwrap();
        }
        for (i, agency) in agencies[..3].iter().enumerate() {
            let sighting = Sighting {
                id: format!("s{i}"),
                seen_at: at(1, 10, 2),
                place: "Antwerp".into(),
                note: None,
                reported_by: who(agency),
                recorded_at: at(1, 10, 3),
                grade: crate::alert::Credibility::Unverified,
                graded: None,
            };
            a.add_sighting(sighting, format!("sighting{i}")).unwrap();
        }
        let a = resolved(a, ResolutionOutcome::FoundSafe, at(1, 10, 6));
        let facts = Facts::build(&[], &[a], &HashMap::new());
        assert_eq!(facts.disappearances.len(), 1);
        assert_eq!(facts.disappearances[0].episode, 1);
        assert_eq!(total(&facts, Figure::Disappearances), Some(1));
        assert_eq!(total(&facts, Figure::Located), Some(1));
        assert_eq!(
            total(&facts, Figure::RepeatDisappearances),
            None,
            "0 repeats"
        );
    }

    #[test]
    fn an_episode_is_counted_once_and_numbered_per_child() {
        // Child `a`, also registered as `a2` (merged into `a` since), and child `b`:
        // 1. a, 1 January 00:00, found safe at 10:00: episode 1 of a;
        // 2. a2, 1 January 05:00 (1 still open), returned on 2 January: the same episode;
        // 3. a, 1 January 20:00 (1 is closed, but 2 is open): the same episode;
        // 4. a, 1 February, reported in error: nothing happened, no episode;
        // 5. a, 1 March 12:00, a roll call found it absent 6 hours earlier, open: episode 2;
        // 6. a, 2 March (5 open): the same episode;
        // 7. b, 1 March 12:00, absent "since" an hour after the report (clocks apart): episode 1,
        //    0 hours from absence to report.
        let a2 = Minor {
            id: "a2".into(),
            registry_number: String::new(),
            status: MinorStatus::Merged,
            version: 1,
            registered_at: at(1, 1, 0),
            updated_at: at(1, 1, 0),
            data: MinorData::default(),
            merged_into: Some("a".into()),
            lifecycle: Default::default(),
        };
        let a = Minor {
            id: "a".into(),
            status: MinorStatus::Active,
            merged_into: None,
            ..a2.clone()
        };
        let found = ResolutionOutcome::FoundSafe;
        let mut fifth = alert("5", "a", at(3, 1, 12), &["police"]);
        fifth.absent_since = Some(at(3, 1, 6));
        let mut seventh = alert("7", "b", at(3, 1, 12), &["police"]);
        seventh.absent_since = Some(at(3, 1, 13));
        let alerts = [
            resolved(
                alert("1", "a", at(1, 1, 0), &["police"]),
                found,
                at(1, 1, 10),
            ),
            resolved(
                alert("2", "a2", at(1, 1, 5), &["police"]),
                ResolutionOutcome::Returned,
                at(1, 2, 0),
            ),
            resolved(
                alert("3", "a", at(1, 1, 20), &["police"]),
                found,
                at(1, 1, 22),
            ),
            resolved(
                alert("4", "a", at(2, 1, 0), &["police"]),
                ResolutionOutcome::ReportedInError,
                at(2, 1, 1),
            ),
            fifth,
            alert("6", "a", at(3, 2, 0), &["police"]),
            seventh,
        ];
        let facts = Facts::build(&[a, a2], &alerts, &HashMap::new());
        let got: Vec<(DateTime<Utc>, u32, Option<Duration>, End)> = facts
            .disappearances
            .iter()
            .map(|d| (d.raised_at, d.episode, d.absent_for, d.end))
            .collect();
        let located = End::Located {
            outcome: found,
            after: Duration::hours(10),
        };
        assert_eq!(
            got,
            [
                (at(1, 1, 0), 1, None, located),
                (at(3, 1, 12), 2, Some(Duration::hours(6)), End::StillMissing),
                (at(3, 1, 12), 1, Some(Duration::zero()), End::StillMissing),
            ]
        );
        assert_eq!(total(&facts, Figure::Disappearances), Some(3));
        assert_eq!(total(&facts, Figure::RepeatDisappearances), Some(1));
        assert_eq!(total(&facts, Figure::AbsenceToReport), Some(2));
        // One registration: the merged duplicate is not one.
        assert_eq!(total(&facts, Figure::Registrations), Some(1));
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
