//! When the rules fall due on a record: the day each event happened, the day each rule runs, the
//! record's review date, and what an erasure removes.

use chrono::{Days, Months, NaiveDate};
use serde::Serialize;

use super::retention::{Retention, RetentionAction, Rule, Target, Trigger};
use super::state::ClosureReason;
use crate::category::{Category, CategorySet};
use crate::minor::AgeDecision;
use crate::record::Minor;

/// The day `trigger` happened for `minor`, if it has (alerts and the outbox have their own clocks:
/// `None`).
pub fn happened(trigger: Trigger, minor: &Minor) -> Option<NaiveDate> {
    let closure = minor.lifecycle.closure.as_ref();
    let closed_for = |reason: ClosureReason| closure.filter(|c| c.reason == reason).map(|c| c.on);
    match trigger {
        Trigger::Majority => minor
            .data
            .identity
            .as_ref()?
            .date_of_birth?
            .checked_add_months(Months::new(18 * 12)),
        Trigger::AdultDecision => {
            let assessment = minor.data.age_assessment.as_ref()?;
            (assessment.decision == Some(AgeDecision::Adult))
                .then_some(assessment.decided_on.or(minor.lifecycle.adult_decision_on))
                .flatten()
        }
        Trigger::Departure => closed_for(ClosureReason::Departure),
        Trigger::TransferAbroad => closed_for(ClosureReason::TransferAbroad),
        Trigger::Closure => closure.map(|c| c.on),
        Trigger::AlertResolved | Trigger::Recorded => None,
    }
}

/// A rule that will run on a record, and the day it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Due<'r> {
    pub rule: &'r Rule,
    pub on: NaiveDate,
}

/// The record rules that have not run on `minor` and whose event has happened, each with the day
/// it runs (the event plus the rule's days, not before a review's hold ends), earliest first. A
/// restriction already in force makes a restricting rule moot; an erased record has none.
pub fn pending<'r>(retention: &'r Retention, minor: &Minor) -> Vec<Due<'r>> {
    let life = &minor.lifecycle;
    if life.erased_at.is_some() {
        return vec![];
    }
    let hold = life.hold.as_ref().map(|h| h.until);
    let mut out: Vec<Due<'r>> = retention
        .record_rules()
        .filter(|rule| !life.applied(&rule.id))
        .filter(|rule| !(rule.action == RetentionAction::Restrict && life.is_restricted()))
        .filter_map(|rule| {
            let from = happened(rule.after, minor)?;
            let on = from.checked_add_days(Days::new(u64::from(rule.days)))?;
            Some(Due {
                rule,
                on: hold.map_or(on, |until| on.max(until)),
            })
        })
        .collect();
    out.sort_by_key(|d| (d.on, d.rule.id.clone()));
    out
}

/// The day `minor` is next due for review: `every_days` after its registration or last review,
/// or `notice_days` before the first pending rule runs, whichever comes first. `None` for a
/// tombstone.
pub fn review_date(retention: &Retention, minor: &Minor) -> Option<NaiveDate> {
    let (periodic, before_rule) = review_dates(retention, minor)?;
    Some(before_rule.map_or(periodic, |b| b.min(periodic)))
}

/// The two review dates of `minor`: the periodic one, and `notice_days` before its first pending
/// rule (if any). `None` for a tombstone.
pub fn review_dates(
    retention: &Retention,
    minor: &Minor,
) -> Option<(NaiveDate, Option<NaiveDate>)> {
    if minor.lifecycle.erased_at.is_some() {
        return None;
    }
    let clock = retention.review;
    let since = minor
        .lifecycle
        .reviewed_on
        .unwrap_or(minor.registered_at.date_naive());
    let periodic = since.checked_add_days(Days::new(u64::from(clock.every_days)))?;
    let before_rule = pending(retention, minor).first().and_then(|d| {
        d.on.checked_sub_days(Days::new(u64::from(clock.notice_days)))
    });
    Some((periodic, before_rule))
}

/// What an erasure under one rule removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Erasure {
    /// Removed from the record and from every revision.
    pub categories: CategorySet,
    /// The stored images go.
    pub photos: bool,
    /// Every revision but the current one goes (all of them for a whole record).
    pub revisions: bool,
    /// The child's resolved alerts go.
    pub alerts: bool,
    /// The whole record: a tombstone stays.
    pub record: bool,
}

impl Erasure {
    /// What `rule` erases (nothing for a restricting rule, alerts or the outbox: those have their
    /// own sweeps).
    pub fn of(rule: &Rule) -> Self {
        if rule.action != RetentionAction::Erase {
            return Self::default();
        }
        match rule.applies_to {
            Target::Record => Self {
                categories: CategorySet::all(),
                photos: true,
                revisions: true,
                alerts: true,
                record: true,
            },
            Target::Categories => Self {
                categories: rule.categories.iter().copied().collect(),
                ..Self::default()
            },
            Target::Photos => Self {
                categories: [Category::Photos].into_iter().collect(),
                photos: true,
                ..Self::default()
            },
            Target::Revisions => Self {
                revisions: true,
                ..Self::default()
            },
            Target::Alerts | Target::Outbox | Target::Audit => Self::default(),
        }
    }

    /// The names of what went besides categories, for the tombstone.
    pub fn parts(&self) -> Vec<String> {
        [
            (self.photos, "photos"),
            (self.revisions, "revisions"),
            (self.alerts, "alerts"),
            (self.record, "record"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| name.to_owned())
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::lifecycle::{Closure, DEFAULT_RETENTION_TOML, Hold};
    use crate::minor::{AgeAssessment, Identity, MinorData};

    fn rules() -> Retention {
        toml::from_str::<Retention>(DEFAULT_RETENTION_TOML)
            .unwrap()
            .checked()
            .unwrap()
    }

    fn record(born: Option<NaiveDate>) -> Minor {
        Minor {
            id: "m1".into(),
            registry_number: "UAM-2026-000001".into(),
            status: crate::minor::MinorStatus::Active,
            version: 1,
            registered_at: Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap(),
            updated_at: Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap(),
            data: MinorData {
                identity: Some(Identity {
                    date_of_birth: born,
                    ..Identity::default()
                }),
                ..MinorData::default()
            },
            merged_into: None,
            lifecycle: Default::default(),
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn majority_restricts_on_the_18th_birthday_and_erases_five_years_later() {
        let rules = rules();
        let minor = record(Some(day(2010, 2, 28)));
        let due: Vec<(&str, NaiveDate)> = pending(&rules, &minor)
            .iter()
            .map(|d| (d.rule.id.as_str(), d.on))
            .collect();
        assert_eq!(
            due,
            vec![
                ("restrict-at-majority", day(2028, 2, 28)),
                // 1826 days: five years but a day, for the 29 February of 2028 and 2032
                ("erase-after-majority", day(2033, 2, 27)),
            ]
        );
        // Reviewed thirty days before the restriction, before the yearly review.
        assert_eq!(review_date(&rules, &minor), Some(day(2027, 3, 1)));
    }

    #[test]
    fn a_birthday_on_29_february_falls_on_28_february() {
        let minor = record(Some(day(2008, 2, 29)));
        assert_eq!(happened(Trigger::Majority, &minor), Some(day(2026, 2, 28)));
    }

    #[test]
    fn departure_runs_the_category_and_photo_rules_and_a_hold_defers_them() {
        let rules = rules();
        let mut minor = record(Some(day(2012, 6, 1)));
        minor.lifecycle.closure = Some(Closure {
            on: day(2026, 5, 1),
            reason: ClosureReason::Departure,
        });
        let ids = |m: &Minor| -> Vec<(String, NaiveDate)> {
            pending(&rules, m)
                .iter()
                .map(|d| (d.rule.id.clone(), d.on))
                .collect()
        };
        let due = ids(&minor);
        assert!(due.contains(&("sensitive-after-departure".into(), day(2027, 5, 1))));
        assert!(due.contains(&("photos-after-departure".into(), day(2028, 4, 30))));
        assert!(due.contains(&("erase-after-closure".into(), day(2031, 5, 1))));
        assert!(due.contains(&("history-after-closure".into(), day(2027, 5, 1))));
        assert!(
            !due.iter()
                .any(|(id, _)| id == "erase-after-transfer-abroad")
        );
        minor.lifecycle.hold = Some(Hold {
            until: day(2028, 1, 1),
        });
        let held = ids(&minor);
        assert!(held.contains(&("sensitive-after-departure".into(), day(2028, 1, 1))));
        assert!(held.contains(&("photos-after-departure".into(), day(2028, 4, 30))));
    }

    #[test]
    fn an_adult_decision_counts_from_its_date_and_a_minor_decision_never() {
        let mut minor = record(None);
        minor.data.age_assessment = Some(AgeAssessment {
            decision: Some(AgeDecision::Adult),
            decided_on: Some(day(2026, 4, 2)),
            ..AgeAssessment::default()
        });
        assert_eq!(
            happened(Trigger::AdultDecision, &minor),
            Some(day(2026, 4, 2))
        );
        minor.data.age_assessment.as_mut().unwrap().decision = Some(AgeDecision::Minor);
        assert_eq!(happened(Trigger::AdultDecision, &minor), None);
        assert!(pending(&rules(), &minor).is_empty());
    }

    #[test]
    fn a_restricted_or_erased_record_has_nothing_more_to_restrict() {
        let rules = rules();
        let mut minor = record(Some(day(2005, 1, 1)));
        minor.lifecycle.restriction = Some(crate::lifecycle::Restriction {
            since: minor.registered_at,
            rule: None,
        });
        assert!(
            pending(&rules, &minor)
                .iter()
                .all(|d| d.rule.action == RetentionAction::Erase)
        );
        minor.lifecycle.erased_at = Some(minor.registered_at);
        assert!(pending(&rules, &minor).is_empty());
        assert_eq!(review_date(&rules, &minor), None);
    }

    #[test]
    fn what_each_target_erases() {
        let rules = rules();
        let by_id = |id: &str| Erasure::of(rules.rules.iter().find(|r| r.id == id).unwrap());
        let whole = by_id("erase-after-closure");
        assert!(whole.record && whole.photos && whole.revisions && whole.alerts);
        assert_eq!(whole.categories, CategorySet::all());
        let sensitive = by_id("sensitive-after-departure");
        assert_eq!(
            sensitive.categories,
            [
                Category::Health,
                Category::Vulnerability,
                Category::ChildView
            ]
            .into_iter()
            .collect()
        );
        assert!(!sensitive.photos && !sensitive.record);
        assert_eq!(by_id("photos-after-departure").parts(), vec!["photos"]);
        assert_eq!(by_id("restrict-at-majority"), Erasure::default());
    }
}
