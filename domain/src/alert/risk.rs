//! Risk rules as data (`policy/risk.toml`): which facts of a child's record make a disappearance
//! high-risk, and how long agencies have to acknowledge an alert of each level.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

use crate::category::Category;
use crate::minor::{MinorData, RiskLevel};

/// How the factors a person adds begin: the level raised by the reporter, raised or lowered later.
pub const PERSON_FACTORS: [&str; 3] = ["raised by the reporter", "raised to ", "lowered to "];

/// The shipped default rules.
pub const DEFAULT_RISK_TOML: &str = include_str!("../../../policy/risk.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum When {
    YoungerThan(u32),
    TraffickingIndicators(bool),
    DebtBondage(bool),
    UrgentMedicalNeed(bool),
    RecordedRisk(RiskLevel),
    PreviousDisappearances(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    factor: String,
    when: When,
    level: RiskLevel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Deadlines {
    high: u32,
    medium: u32,
    low: u32,
}

/// The rules as written; parse with any TOML reader, then [`RiskRules::new`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskRules {
    base: RiskLevel,
    acknowledge_within_minutes: Deadlines,
    absence_overdue_after_minutes: Deadlines,
    absence_escalate_after_minutes: Deadlines,
    #[serde(rename = "rule", default)]
    rules: Vec<Rule>,
    #[serde(default)]
    follow_up: Vec<crate::episode::FollowUp>,
}

fn minutes(d: Deadlines, level: RiskLevel) -> Duration {
    Duration::minutes(i64::from(match level {
        RiskLevel::High => d.high,
        RiskLevel::Medium => d.medium,
        RiskLevel::Low => d.low,
    }))
}

fn check_deadlines(name: &str, d: Deadlines) -> Result<(), RiskRulesError> {
    if d.high == 0 || d.high > d.medium || d.medium > d.low {
        return Err(RiskRulesError(format!(
            "{name}: deadlines must be above zero and high <= medium <= low"
        )));
    }
    Ok(())
}

/// The rules are unusable; the message says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("risk rules: {0}")]
pub struct RiskRulesError(pub String);

/// The level a report starts from, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub level: RiskLevel,
    pub factors: Vec<String>,
}

impl RiskRules {
    /// Checks what types alone do not: deadlines above zero and not growing with the risk; each
    /// follow-up task once, with a deadline and an assignee.
    pub fn checked(self) -> Result<Self, RiskRulesError> {
        check_deadlines(
            "acknowledge_within_minutes",
            self.acknowledge_within_minutes,
        )?;
        check_deadlines(
            "absence_overdue_after_minutes",
            self.absence_overdue_after_minutes,
        )?;
        check_deadlines(
            "absence_escalate_after_minutes",
            self.absence_escalate_after_minutes,
        )?;
        crate::episode::rules::check(&self.follow_up).map_err(RiskRulesError)?;
        Ok(self)
    }

    /// How long agencies have to acknowledge an alert of `level`.
    pub fn acknowledge_within(&self, level: RiskLevel) -> Duration {
        minutes(self.acknowledge_within_minutes, level)
    }

    /// How long an unexplained absence of a child of `level` may last before it is overdue.
    pub fn absence_overdue_after(&self, level: RiskLevel) -> Duration {
        minutes(self.absence_overdue_after_minutes, level)
    }

    /// How long after falling overdue an absence still open escalates.
    pub fn absence_escalate_after(&self, level: RiskLevel) -> Duration {
        minutes(self.absence_escalate_after_minutes, level)
    }

    /// The tasks due after a child is found.
    pub fn follow_ups(&self) -> &[crate::episode::FollowUp] {
        &self.follow_up
    }

    /// The category a recorded risk factor derives from: that of its rule's condition (a young age
    /// from `identity`, trafficking and debt from `vulnerability`, a medical need from `health`, a
    /// recorded level and earlier disappearances from `risk`), and `risk` for a level a person
    /// raised or lowered. `None` for a factor no rule names any more.
    pub fn factor_category(&self, factor: &str) -> Option<Category> {
        if let Some(rule) = self.rules.iter().find(|r| r.factor == factor) {
            return Some(match rule.when {
                When::YoungerThan(_) => Category::Identity,
                When::TraffickingIndicators(_) | When::DebtBondage(_) => Category::Vulnerability,
                When::UrgentMedicalNeed(_) => Category::Health,
                When::RecordedRisk(_) | When::PreviousDisappearances(_) => Category::Risk,
            });
        }
        PERSON_FACTORS
            .iter()
            .any(|p| factor.starts_with(p))
            .then_some(Category::Risk)
    }

    /// The highest level among matching rules (at least `base`), with the matching factors.
    pub fn assess(
        &self,
        data: &MinorData,
        previous_disappearances: u32,
        today: NaiveDate,
    ) -> Assessment {
        let mut level = self.base;
        let mut factors = Vec::new();
        for rule in &self.rules {
            if matches(rule.when, data, previous_disappearances, today) {
                level = level.max(rule.level);
                factors.push(rule.factor.clone());
            }
        }
        Assessment { level, factors }
    }
}

fn age_on(born: NaiveDate, today: NaiveDate) -> u32 {
    let had_birthday = (today.month(), today.day()) >= (born.month(), born.day());
    let years = today.year() - born.year() - i32::from(!had_birthday);
    u32::try_from(years).unwrap_or(0)
}

fn matches(when: When, data: &MinorData, previous: u32, today: NaiveDate) -> bool {
    match when {
        When::YoungerThan(years) => data
            .identity
            .as_ref()
            .and_then(|i| i.date_of_birth)
            .is_some_and(|born| age_on(born, today) < years),
        When::TraffickingIndicators(yes) => {
            yes && data
                .vulnerability
                .as_ref()
                .is_some_and(|v| !v.trafficking_indicators.is_empty())
        }
        When::DebtBondage(yes) => {
            yes && data.vulnerability.as_ref().and_then(|v| v.debt_bondage) == Some(true)
        }
        When::UrgentMedicalNeed(yes) => {
            yes && data.health.as_ref().and_then(|h| h.urgent_medical_need) == Some(true)
        }
        When::RecordedRisk(at_least) => data
            .risk
            .as_ref()
            .and_then(|r| r.level)
            .is_some_and(|l| l >= at_least),
        When::PreviousDisappearances(n) => previous >= n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RiskRules {
        toml::from_str::<RiskRules>(DEFAULT_RISK_TOML)
            .unwrap()
            .checked()
            .unwrap()
    }

    fn child(json: serde_json::Value) -> MinorData {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_highest_matching_level_with_its_factors() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let r = rules();
        let plain = child(serde_json::json!({"identity": {"date_of_birth": "2010-01-01"}}));
        assert_eq!(
            r.assess(&plain, 0, today),
            Assessment {
                level: RiskLevel::Medium,
                factors: vec![]
            }
        );
        let young = child(serde_json::json!({"identity": {"date_of_birth": "2013-12-01"}}));
        assert_eq!(
            r.assess(&young, 0, today).factors,
            ["young_age"],
            "12 years old"
        );
        let turned_14 = child(serde_json::json!({"identity": {"date_of_birth": "2012-11-29"}}));
        assert!(
            r.assess(&turned_14, 0, today).factors.is_empty(),
            "14 today"
        );
        let trafficked = child(serde_json::json!({
            "vulnerability": {"trafficking_indicators": ["debt"], "debt_bondage": true},
            "health": {"urgent_medical_need": true}
        }));
        let a = r.assess(&trafficked, 2, today);
        assert_eq!(a.level, RiskLevel::High);
        assert_eq!(
            a.factors,
            [
                "trafficking_indicators",
                "debt_bondage",
                "urgent_medical_need",
                "previous_disappearance"
            ]
        );
    }

    #[test]
    fn each_factor_carries_the_category_it_derives_from() {
        let r = rules();
        for (factor, category) in [
            ("young_age", Some(Category::Identity)),
            ("trafficking_indicators", Some(Category::Vulnerability)),
            ("debt_bondage", Some(Category::Vulnerability)),
            ("urgent_medical_need", Some(Category::Health)),
            ("previous_disappearance", Some(Category::Risk)),
            ("raised by the reporter", Some(Category::Risk)),
            ("lowered to low: found a relative", Some(Category::Risk)),
            ("a rule since removed", None),
        ] {
            assert_eq!(r.factor_category(factor), category, "{factor}");
        }
    }

    #[test]
    fn deadlines_come_from_the_file_and_are_checked() {
        let r = rules();
        assert_eq!(r.acknowledge_within(RiskLevel::High), Duration::minutes(15));
        assert_eq!(r.acknowledge_within(RiskLevel::Low), Duration::minutes(240));
        let bad = DEFAULT_RISK_TOML.replace("high = 15", "high = 500");
        assert!(
            toml::from_str::<RiskRules>(&bad)
                .unwrap()
                .checked()
                .is_err()
        );
        let unknown = DEFAULT_RISK_TOML.replace("younger_than = 14", "shorter_than = 140");
        assert!(toml::from_str::<RiskRules>(&unknown).is_err());
    }
}
