//! Retention rules as data (`policy/retention.toml`): what is erased or restricted, how long after
//! which event, and the review clock. Checked at start like the access policy.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::category::Category;

/// The shipped default rules.
pub const DEFAULT_RETENTION_TOML: &str = include_str!("../../../policy/retention.toml");

/// Longest period a rule may name: a hundred years.
const MAX_DAYS: u32 = 36_525;

/// What a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The whole record; erasure leaves a tombstone.
    Record,
    /// The categories the rule lists, in the record and in every revision.
    Categories,
    /// The photographs: the `photos` category and the stored images.
    Photos,
    /// Every revision but the current one.
    Revisions,
    /// Resolved alerts of the child.
    Alerts,
    /// Alert events kept for delivery.
    Outbox,
    /// Audit entries, aged out behind a cut entry that keeps the chain verifiable.
    Audit,
}

/// The event a rule's period runs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The 18th birthday by the recorded date of birth.
    Majority,
    /// An age assessment decided that the person is an adult.
    AdultDecision,
    /// The record was closed because the child left.
    Departure,
    /// The record was closed because the child was transferred to another state.
    TransferAbroad,
    /// The record was closed, for any reason.
    Closure,
    /// An alert was resolved (alerts only).
    AlertResolved,
    /// The entry was written (outbox and audit only).
    Recorded,
}

/// What happens when a rule's period has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetentionAction {
    Erase,
    Restrict,
}

/// One rule: `days` after `after`, `action` applies to `applies_to` (and `categories`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A stable name, lower case with dashes: tombstones and audit entries name it.
    pub id: String,
    pub applies_to: Target,
    /// For `applies_to = "categories"`: which categories; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    pub after: Trigger,
    pub days: u32,
    pub action: RetentionAction,
    /// Why the data is kept this long and no longer, in plain language.
    pub reason: String,
}

/// The review clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewClock {
    /// A record is due for review this many days after its registration or last review.
    pub every_days: u32,
    /// And this many days before a rule would run on it.
    pub notice_days: u32,
    /// An open alert is due for review this many days after it was raised or last reviewed.
    pub open_alert_every_days: u32,
}

/// A whole retention file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub review: ReviewClock,
    #[serde(rename = "rule")]
    pub rules: Vec<Rule>,
}

/// The retention file breaks a check; the message names the rule and the check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("retention rules: {0}")]
pub struct RetentionError(pub String);

impl Retention {
    /// The rules, if they hold together: ids unique and well formed, a reason for each, periods
    /// at most a hundred years, `categories` listed exactly for `applies_to = "categories"` and
    /// never `photos` there (a `photos` rule erases the images too), only `record` restricted,
    /// `alert_resolved` exactly for alerts and `recorded` exactly for the outbox, one outbox rule
    /// of at least one day, review periods above zero.
    pub fn checked(self) -> Result<Self, RetentionError> {
        let fail = |msg: String| Err(RetentionError(msg));
        let r = self.review;
        if r.every_days == 0 || r.every_days > MAX_DAYS || r.open_alert_every_days == 0 {
            return fail("review periods must be between 1 and 36525 days".into());
        }
        if r.notice_days > r.every_days {
            return fail("review notice_days must not exceed every_days".into());
        }
        let mut ids = BTreeSet::new();
        for rule in &self.rules {
            let name = &rule.id;
            let well_formed = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !well_formed {
                return fail(format!(
                    "rule id `{name}` must be 1 to 64 lower-case letters, digits or dashes"
                ));
            }
            if !ids.insert(name.as_str()) {
                return fail(format!("rule id `{name}` is used twice"));
            }
            if rule.reason.trim().is_empty() {
                return fail(format!("rule `{name}` needs a reason"));
            }
            if rule.days > MAX_DAYS {
                return fail(format!("rule `{name}`: days must be at most {MAX_DAYS}"));
            }
            let categorised = rule.applies_to == Target::Categories;
            if categorised == rule.categories.is_empty() {
                return fail(format!(
                    "rule `{name}`: `categories` is listed exactly when applies_to = \"categories\""
                ));
            }
            if rule.categories.contains(&Category::Photos) {
                return fail(format!(
                    "rule `{name}`: photos are erased by a rule with applies_to = \"photos\""
                ));
            }
            if rule.action == RetentionAction::Restrict && rule.applies_to != Target::Record {
                return fail(format!(
                    "rule `{name}`: only a whole record can be restricted"
                ));
            }
            let alerts = rule.applies_to == Target::Alerts;
            if alerts != (rule.after == Trigger::AlertResolved) {
                return fail(format!(
                    "rule `{name}`: alerts, and only alerts, run from `alert_resolved`"
                ));
            }
            let outbox = rule.applies_to == Target::Outbox;
            let audit = rule.applies_to == Target::Audit;
            if (outbox || audit) != (rule.after == Trigger::Recorded) {
                return fail(format!(
                    "rule `{name}`: the outbox and the audit trail, and only they, run from \
                     `recorded`"
                ));
            }
            if outbox && rule.days == 0 {
                return fail(format!(
                    "rule `{name}`: the outbox keeps events at least a day"
                ));
            }
            if audit && (rule.days < 365 || rule.action != RetentionAction::Erase) {
                return fail(format!(
                    "rule `{name}`: audit entries are erased, and kept at least 365 days"
                ));
            }
        }
        let outboxes = self
            .rules
            .iter()
            .filter(|r| r.applies_to == Target::Outbox)
            .count();
        if outboxes != 1 {
            return fail(format!(
                "exactly one rule must apply to the outbox; there are {outboxes}"
            ));
        }
        if self
            .rules
            .iter()
            .filter(|r| r.applies_to == Target::Audit)
            .count()
            > 1
        {
            return fail("at most one rule may apply to the audit trail".into());
        }
        Ok(self)
    }

    /// How long alert events are kept, in days (the outbox rule).
    pub fn outbox_days(&self) -> u32 {
        self.rules
            .iter()
            .find(|r| r.applies_to == Target::Outbox)
            .map_or(30, |r| r.days)
    }

    /// The rules that act on a child's record (every target but alerts, the outbox and the
    /// audit trail).
    pub fn record_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| {
            !matches!(
                r.applies_to,
                Target::Alerts | Target::Outbox | Target::Audit
            )
        })
    }

    /// The rule that ages audit entries out, if any.
    pub fn audit_rule(&self) -> Option<&Rule> {
        self.rules.iter().find(|r| r.applies_to == Target::Audit)
    }

    /// The rules that erase resolved alerts.
    pub fn alert_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.applies_to == Target::Alerts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> Retention {
        toml::from_str(DEFAULT_RETENTION_TOML).unwrap()
    }

    #[test]
    fn the_shipped_rules_hold_together() {
        let rules = default().checked().unwrap();
        assert_eq!(rules.outbox_days(), 30);
        assert!(rules.record_rules().count() >= 5);
    }

    #[test]
    fn broken_rules_are_refused_naming_the_rule() {
        type Break = Box<dyn Fn(&mut Retention)>;
        let cases: Vec<(&str, Break)> = vec![
            (
                "used twice",
                Box::new(|r| r.rules[1].id = r.rules[0].id.clone()),
            ),
            (
                "needs a reason",
                Box::new(|r| r.rules[0].reason = " ".into()),
            ),
            (
                "lower-case",
                Box::new(|r| r.rules[0].id = "Majority".into()),
            ),
            ("at most", Box::new(|r| r.rules[0].days = 40_000)),
            (
                "only a whole record",
                Box::new(|r| {
                    let rule = r.rules.iter_mut().find(|x| x.applies_to == Target::Photos);
                    rule.unwrap().action = RetentionAction::Restrict;
                }),
            ),
            (
                "`categories` is listed",
                Box::new(|r| r.rules[0].categories = vec![Category::Health]),
            ),
            (
                "only alerts",
                Box::new(|r| r.rules[0].after = Trigger::AlertResolved),
            ),
            (
                "exactly one rule",
                Box::new(|r| r.rules.retain(|x| x.applies_to != Target::Outbox)),
            ),
            (
                "kept at least 365 days",
                Box::new(|r| {
                    let rule = r.rules.iter_mut().find(|x| x.applies_to == Target::Audit);
                    rule.unwrap().days = 30;
                }),
            ),
            ("notice_days", Box::new(|r| r.review.notice_days = 400)),
        ];
        for (expected, break_it) in cases {
            let mut rules = default();
            break_it(&mut rules);
            let err = rules.checked().unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn unknown_names_are_refused_when_parsed() {
        let text = DEFAULT_RETENTION_TOML.replace("after = \"majority\"", "after = \"birthday\"");
        assert!(toml::from_str::<Retention>(&text).is_err());
        let text = DEFAULT_RETENTION_TOML.replace("days = 365", "days = 365\nweeks = 2");
        assert!(toml::from_str::<Retention>(&text).is_err());
    }
}
