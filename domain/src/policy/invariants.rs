//! Rules every policy must keep, whatever file is loaded; a policy that breaks one stops start-up.
//!
//! - `registry_admin`, `analyst` and `auditor` never read or write child data.
//! - `police_officer` never reads or writes `health`.
//! - `police_officer` and `child_focus_case_manager` read `photos`, `physical` and `contacts` only
//!   under `active_alert` and for the purpose `disappearance`.
//! - `child_focus_case_manager` reads nothing outside an active alert.
//! - every `guardian` grant is `assigned`: a guardian sees only their own wards.

use super::compiled::PolicyError;
use super::document::{Access, Condition, Grant};
use crate::category::Category;
use crate::purpose::Purpose;
use crate::role::Role;

pub fn check(grants: &[Grant]) -> Result<(), PolicyError> {
    for (i, g) in grants.iter().enumerate() {
        let at = |rule: &str| {
            Err(PolicyError(format!(
                "grant #{} for `{}` breaks the rule: {rule}",
                i + 1,
                g.role
            )))
        };
        let reads = g.access.contains(&Access::Read);
        if matches!(g.role, Role::RegistryAdmin | Role::Analyst | Role::Auditor) {
            return at("registry admins, analysts and auditors never access child data");
        }
        if g.role == Role::PoliceOfficer && g.categories.contains(&Category::Health) {
            return at("police never access `health`");
        }
        let alert_only = [Category::Photos, Category::Physical, Category::Contacts];
        if matches!(g.role, Role::PoliceOfficer | Role::ChildFocusCaseManager)
            && reads
            && g.categories.iter().any(|c| alert_only.contains(c))
            && (g.condition != Condition::ActiveAlert
                || g.purposes.iter().any(|p| *p != Purpose::Disappearance))
        {
            return at(
                "police and Child Focus read `photos`, `physical` and `contacts` only under `active_alert` \
                 with purpose `disappearance`",
            );
        }
        if g.role == Role::ChildFocusCaseManager && reads && g.condition != Condition::ActiveAlert {
            return at("Child Focus reads child data only while an alert is active");
        }
        if g.role == Role::Guardian && g.condition != Condition::Assigned {
            return at("a guardian's grants hold only for their own wards (`assigned`)");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(
        role: Role,
        categories: &[Category],
        purposes: &[Purpose],
        condition: Condition,
    ) -> Vec<Grant> {
        vec![Grant {
            role,
            access: vec![Access::Read],
            categories: categories.to_vec(),
            purposes: purposes.to_vec(),
            condition,
        }]
    }

    #[test]
    fn each_rule_refuses_its_breach() {
        let breaches = [
            one(
                Role::Auditor,
                &[Category::Identity],
                &[Purpose::Audit],
                Condition::Always,
            ),
            one(
                Role::Analyst,
                &[Category::Identity],
                &[Purpose::Statistics],
                Condition::Always,
            ),
            one(
                Role::RegistryAdmin,
                &[Category::Placement],
                &[Purpose::Care],
                Condition::Always,
            ),
            one(
                Role::PoliceOfficer,
                &[Category::Health],
                &[Purpose::Disappearance],
                Condition::ActiveAlert,
            ),
            one(
                Role::PoliceOfficer,
                &[Category::Photos],
                &[Purpose::Disappearance],
                Condition::Always,
            ),
            one(
                Role::PoliceOfficer,
                &[Category::Contacts],
                &[Purpose::Identification],
                Condition::ActiveAlert,
            ),
            one(
                Role::ChildFocusCaseManager,
                &[Category::Physical],
                &[Purpose::Disappearance],
                Condition::Always,
            ),
            one(
                Role::ChildFocusCaseManager,
                &[Category::Identity],
                &[Purpose::Disappearance],
                Condition::Always,
            ),
            one(
                Role::Guardian,
                &[Category::Identity],
                &[Purpose::Guardianship],
                Condition::Always,
            ),
        ];
        for grants in breaches {
            assert!(check(&grants).is_err(), "{grants:?}");
        }
    }

    #[test]
    fn lawful_grants_pass() {
        let ok = [
            one(
                Role::PoliceOfficer,
                &[Category::Photos, Category::Contacts],
                &[Purpose::Disappearance],
                Condition::ActiveAlert,
            ),
            one(
                Role::PoliceOfficer,
                &[Category::Identity],
                &[Purpose::Identification],
                Condition::Always,
            ),
            one(
                Role::Guardian,
                &[Category::Health],
                &[Purpose::Guardianship],
                Condition::Assigned,
            ),
        ];
        for grants in ok {
            assert!(check(&grants).is_ok(), "{grants:?}");
        }
    }
}
