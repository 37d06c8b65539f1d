//! Follow-up rules as written in `policy/risk.toml` (`[[follow_up]]`): which task falls due how
//! long after a child is found, and who does it.

use chrono::Duration;
use serde::Deserialize;

use super::task::TaskKind;
use crate::minor::MinorData;

/// Who a follow-up task goes to, as the record names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignee {
    /// The child's current placement (reception centre or youth care).
    Placement,
    /// The child's guardian agency.
    Guardian,
    /// The guardianship service.
    GuardianshipService,
}

/// One follow-up rule: `task` is due `within_hours` after the resolution, assigned to the first of
/// `assignee` the record names (the guardianship service is always found if one is registered).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    pub task: TaskKind,
    pub within_hours: u32,
    pub assignee: Vec<Assignee>,
}

impl FollowUp {
    pub fn within(&self) -> Duration {
        Duration::hours(i64::from(self.within_hours))
    }

    /// The agency the task goes to for a child whose record is `data`, with `services` the
    /// guardianship services registered (the first is taken); `None` when none of the assignees
    /// exists.
    pub fn assign(&self, data: &MinorData, services: &[String]) -> Option<String> {
        self.assignee.iter().find_map(|a| match a {
            Assignee::Placement => data.placement_agency().map(str::to_owned),
            Assignee::Guardian => data.guardian_agency().map(str::to_owned),
            Assignee::GuardianshipService => services.first().cloned(),
        })
    }
}

/// Checks a list of follow-up rules: each task at most once, a deadline above zero, an assignee.
pub fn check(rules: &[FollowUp]) -> Result<(), String> {
    for (i, r) in rules.iter().enumerate() {
        if r.within_hours == 0 {
            return Err(format!(
                "follow_up `{}`: within_hours must be above zero",
                r.task.as_str()
            ));
        }
        if r.assignee.is_empty() {
            return Err(format!(
                "follow_up `{}`: names no assignee",
                r.task.as_str()
            ));
        }
        if rules[..i].iter().any(|o| o.task == r.task) {
            return Err(format!("follow_up `{}`: listed twice", r.task.as_str()));
        }
    }
    Ok(())
}
