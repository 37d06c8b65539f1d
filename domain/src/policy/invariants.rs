//! Rules every policy must keep, whatever file is loaded; a policy that breaks one stops start-up.
//!
//! - `registry_admin`, `analyst` and `auditor` never read or write child data.
//! - `police_officer` never reads or writes `health`.
//! - `police_officer` and `child_focus_case_manager` read `photos`, `physical` and `contacts` only
//!   under `active_alert` and for the purpose `disappearance`.
//! - `child_focus_case_manager` reads nothing outside an active alert.
//! - every `guardian` grant is `assigned`: a guardian sees only their own wards.
//! - no blind write: a role writes a category only where it reads it, for the same purpose and
//!   under the same condition (or `always`).
//!
//! And for operation rights (`[[permit]]`):
//! - `registry_admin`, `analyst` and `auditor` are permitted only operations that disclose no
//!   child data;
//! - only police and the guardianship service may resolve an alert as `deceased`;
//! - under the purpose `identification` a child is listed only where it is assigned to the caller:
//!   other children are reached through search, bounded by its `limit`;
//! - an operation that reads records names only purposes the role reads something for;
//! - `follows` and `reporter` hold only for alert operations; `outcomes` only for `resolve`;
//!   an operation takes purposes exactly when it is asked for with one;
//! - the police packet (`packet`) is for `police_officer` and `child_focus_case_manager` only, for
//!   the purpose `disappearance`: it gathers a child's identifiers for police alerts.

use super::document::{Access, Condition, Grant};
use super::error::PolicyError;
use super::operation::{Operation, Permit, Standing};
use crate::alert::ResolutionOutcome;
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
        if g.access.contains(&Access::Write) {
            for purpose in &g.purposes {
                for category in &g.categories {
                    let read = grants.iter().any(|r| {
                        r.role == g.role
                            && r.access.contains(&Access::Read)
                            && r.purposes.contains(purpose)
                            && r.categories.contains(category)
                            && (r.condition == g.condition || r.condition == Condition::Always)
                    });
                    if !read {
                        return at(&format!(
                            "no blind writes: `{category}` is written for `{purpose}` under `{}` \
                             without being read there",
                            condition_name(g.condition)
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn condition_name(c: Condition) -> &'static str {
    match c {
        Condition::Always => "always",
        Condition::Assigned => "assigned",
        Condition::ActiveAlert => "active_alert",
    }
}

/// The rules on operation rights; `grants` are the field grants of the same file.
pub fn check_permits(permits: &[Permit], grants: &[Grant]) -> Result<(), PolicyError> {
    for (i, p) in permits.iter().enumerate() {
        let at = |rule: &str| {
            Err(PolicyError(format!(
                "permit #{} for `{}` breaks the rule: {rule}",
                i + 1,
                p.role
            )))
        };
        for op in &p.operations {
            if matches!(p.role, Role::RegistryAdmin | Role::Analyst | Role::Auditor)
                && !op.discloses_no_child_data()
            {
                return at(&format!(
                    "registry admins, analysts and auditors never read child data (`{op}`)"
                ));
            }
            if op.takes_purpose() == p.purposes.is_empty() {
                return at(&format!(
                    "`{op}` {} purposes",
                    if op.takes_purpose() {
                        "needs"
                    } else {
                        "takes no"
                    }
                ));
            }
            if matches!(p.condition, Standing::Follows | Standing::Reporter) && !op.on_alert() {
                return at(&format!(
                    "`{}` holds only for alert operations, not `{op}`",
                    p.condition.as_str()
                ));
            }
            if op.guardianship_only()
                && (p.role != Role::GuardianshipOfficer
                    || p.purposes.iter().any(|x| *x != Purpose::Guardianship))
            {
                return at(&format!(
                    "`{op}` belongs to the guardianship service, for `guardianship`"
                ));
            }
            if *op == Operation::SubjectAccess
                && (!matches!(p.role, Role::GuardianshipOfficer | Role::Guardian)
                    || p.purposes.iter().any(|x| *x != Purpose::Guardianship))
            {
                return at(
                    "the child's access is asked by the guardian or the guardianship service, for \
                     `guardianship`",
                );
            }
            if *op == Operation::GradeSighting
                && !matches!(p.role, Role::PoliceOfficer | Role::ChildFocusCaseManager)
            {
                return at("sightings are graded by police and Child Focus");
            }
            if *op == Operation::Appeal && p.role != Role::ChildFocusCaseManager {
                return at("public appeals are published by Child Focus");
            }
            if *op == Operation::Presence
                && (!matches!(p.role, Role::ReceptionStaff | Role::YouthCareWorker)
                    || p.condition != Standing::Assigned)
            {
                return at(
                    "a roll call is taken by a reception centre or youth-care service, of the \
                     children assigned to it",
                );
            }
            if *op == Operation::Packet
                && (!matches!(p.role, Role::PoliceOfficer | Role::ChildFocusCaseManager)
                    || p.purposes.iter().any(|x| *x != Purpose::Disappearance))
            {
                return at("the police packet is for police and Child Focus, for `disappearance`");
            }
            if *op == Operation::List
                && p.purposes.contains(&Purpose::Identification)
                && p.condition != Standing::Assigned
            {
                return at(
                    "under `identification` only assigned children are listed; others are found \
                     through search",
                );
            }
            if op.reads_records() {
                for purpose in &p.purposes {
                    let reads = grants.iter().any(|g| {
                        g.role == p.role
                            && g.access.contains(&Access::Read)
                            && g.purposes.contains(purpose)
                    });
                    if !reads {
                        return at(&format!(
                            "`{op}` for `{purpose}`, for which the role reads nothing"
                        ));
                    }
                }
            }
        }
        if p.outcomes.is_some() && p.operations.iter().any(|o| *o != Operation::Resolve) {
            return at("`outcomes` belongs to a permit of `resolve` alone");
        }
        let may_declare_death = p.operations.contains(&Operation::Resolve)
            && p.outcomes
                .as_ref()
                .is_none_or(|o| o.contains(&ResolutionOutcome::Deceased));
        if may_declare_death && !matches!(p.role, Role::PoliceOfficer | Role::GuardianshipOfficer) {
            return at("only police and the guardianship service resolve an alert as `deceased`");
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

    fn permit(
        role: Role,
        operations: &[Operation],
        purposes: &[Purpose],
        condition: Standing,
        outcomes: Option<&[ResolutionOutcome]>,
    ) -> Permit {
        Permit {
            role,
            operations: operations.to_vec(),
            purposes: purposes.to_vec(),
            condition,
            outcomes: outcomes.map(<[ResolutionOutcome]>::to_vec),
        }
    }

    /// Read grants for the roles the permit tests name.
    fn reads() -> Vec<Grant> {
        [
            Role::ChildFocusCaseManager,
            Role::ReceptionStaff,
            Role::PoliceOfficer,
        ]
        .into_iter()
        .map(|role| Grant {
            role,
            access: vec![Access::Read],
            categories: vec![Category::Identity],
            purposes: vec![Purpose::Disappearance, Purpose::Identification],
            condition: if role == Role::ChildFocusCaseManager {
                Condition::ActiveAlert
            } else {
                Condition::Always
            },
        })
        .collect()
    }

    #[test]
    fn a_write_without_a_read_is_refused() {
        let blind = vec![Grant {
            role: Role::PoliceOfficer,
            access: vec![Access::Write],
            categories: vec![Category::Interception],
            purposes: vec![Purpose::Identification],
            condition: Condition::Always,
        }];
        let err = check(&blind).unwrap_err().0;
        assert!(err.contains("no blind writes"), "{err}");
        let mut seen = blind.clone();
        seen[0].access.push(Access::Read);
        assert!(check(&seen).is_ok());
        // A read under `assigned` does not cover a write under `always`.
        let mut narrower = seen.clone();
        narrower.push(Grant {
            access: vec![Access::Write],
            categories: vec![Category::References],
            ..seen[0].clone()
        });
        narrower.push(Grant {
            access: vec![Access::Read],
            categories: vec![Category::References],
            condition: Condition::Assigned,
            ..seen[0].clone()
        });
        assert!(check(&narrower).is_err());
    }

    #[test]
    fn each_permit_rule_refuses_its_breach() {
        let d = Purpose::Disappearance;
        let breaches = [
            (
                permit(
                    Role::ChildFocusCaseManager,
                    &[Operation::Resolve],
                    &[d],
                    Standing::Follows,
                    None,
                ),
                "deceased",
            ),
            (
                permit(
                    Role::ReceptionStaff,
                    &[Operation::Resolve],
                    &[d],
                    Standing::Follows,
                    Some(&[ResolutionOutcome::FoundSafe, ResolutionOutcome::Deceased]),
                ),
                "deceased",
            ),
            (
                permit(
                    Role::Auditor,
                    &[Operation::Consult],
                    &[Purpose::Audit],
                    Standing::Always,
                    None,
                ),
                "never read child data",
            ),
            (
                permit(
                    Role::RegistryAdmin,
                    &[Operation::Subscribe],
                    &[],
                    Standing::Always,
                    None,
                ),
                "never read child data",
            ),
            (
                permit(
                    Role::ReceptionStaff,
                    &[Operation::List],
                    &[Purpose::Identification],
                    Standing::Always,
                    None,
                ),
                "found through search",
            ),
            (
                permit(
                    Role::PoliceOfficer,
                    &[Operation::Consult],
                    &[Purpose::Care],
                    Standing::Always,
                    None,
                ),
                "reads nothing",
            ),
            (
                permit(
                    Role::PoliceOfficer,
                    &[Operation::Consult],
                    &[d],
                    Standing::Follows,
                    None,
                ),
                "alert operations",
            ),
            (
                permit(
                    Role::PoliceOfficer,
                    &[Operation::Report],
                    &[],
                    Standing::Always,
                    None,
                ),
                "needs purposes",
            ),
            (
                permit(
                    Role::PoliceOfficer,
                    &[Operation::Subscribe],
                    &[d],
                    Standing::Always,
                    None,
                ),
                "takes no purposes",
            ),
            (
                permit(
                    Role::ReceptionStaff,
                    &[Operation::Packet],
                    &[d],
                    Standing::Follows,
                    None,
                ),
                "police packet",
            ),
            (
                permit(
                    Role::PoliceOfficer,
                    &[Operation::Packet],
                    &[d, Purpose::Identification],
                    Standing::Follows,
                    None,
                ),
                "police packet",
            ),
            (
                permit(
                    Role::PoliceOfficer,
                    &[Operation::Sighting],
                    &[d],
                    Standing::Follows,
                    Some(&[ResolutionOutcome::FoundSafe]),
                ),
                "`outcomes` belongs",
            ),
        ];
        for (p, rule) in breaches {
            let err = check_permits(std::slice::from_ref(&p), &reads())
                .expect_err(&format!("{p:?}"))
                .0;
            assert!(err.contains(rule), "{p:?}: {err}");
        }
        let lawful = [
            permit(
                Role::PoliceOfficer,
                &[Operation::Resolve],
                &[d],
                Standing::Follows,
                None,
            ),
            permit(
                Role::ChildFocusCaseManager,
                &[Operation::Resolve],
                &[d],
                Standing::Reporter,
                Some(&[ResolutionOutcome::ReportedInError]),
            ),
            permit(
                Role::ReceptionStaff,
                &[Operation::List],
                &[Purpose::Identification],
                Standing::Assigned,
                None,
            ),
            permit(
                Role::ChildFocusCaseManager,
                &[Operation::Packet],
                &[d],
                Standing::Follows,
                None,
            ),
            permit(
                Role::Auditor,
                &[Operation::AuditVerify],
                &[],
                Standing::Always,
                None,
            ),
        ];
        assert!(check_permits(&lawful, &reads()).is_ok());
    }
}
