//! Known answers of the default policy, written by hand from docs/policy.md ("The default policy,
//! in short", "The default permits, in short"), not derived from the file or the code: each test
//! states what a role may do or see, so that a change to the evaluation (a condition ignored, a
//! purpose not checked, a mask widened) fails here, in the domain's own tests.

use super::*;
use crate::alert::ResolutionOutcome;
use crate::category::{Category, CategorySet};
use crate::purpose::Purpose;
use crate::role::Role;

fn policy() -> Policy {
    let doc: PolicyDocument = toml::from_str(DEFAULT_POLICY_TOML).unwrap();
    Policy::from_document(doc).unwrap()
}

fn set(categories: &[Category]) -> CategorySet {
    categories.iter().copied().collect()
}

const FOLLOWS: Facts = Facts {
    assigned: false,
    active_alert: true,
    follows: true,
    reporter: false,
    restricted: false,
};

#[test]
fn child_focus_reads_five_categories_during_an_alert_and_nothing_else() {
    use Category::*;
    let p = policy();
    let during = p.mask(
        Role::ChildFocusCaseManager,
        Purpose::Disappearance,
        Relation {
            assigned: false,
            active_alert: true,
            restricted: false,
        },
    );
    assert_eq!(
        during.read,
        set(&[Identity, Photos, Physical, Contacts, Risk])
    );
    assert_eq!(during.write, CategorySet::EMPTY);
    assert_eq!(
        during.withheld(),
        set(&[
            AgeAssessment,
            Documents,
            References,
            Interception,
            Vulnerability,
            Health,
            Guardianship,
            Placement,
            Procedure,
            ChildView
        ])
    );
    let after = p.mask(
        Role::ChildFocusCaseManager,
        Purpose::Disappearance,
        Relation::default(),
    );
    assert_eq!(after.read, CategorySet::EMPTY);
    assert_eq!(after.withheld(), CategorySet::all());
}

#[test]
fn reach_says_under_which_conditions_a_role_reads_anything() {
    let p = policy();
    // Police: identity always, more during an alert; reception: its own children only.
    let police = p.reach(Role::PoliceOfficer, Purpose::Disappearance);
    assert_eq!(
        (police.always, police.assigned, police.active_alert),
        (true, false, true)
    );
    assert!(!police.is_nothing());
    let reception = p.reach(Role::ReceptionStaff, Purpose::Care);
    assert_eq!(
        (reception.always, reception.assigned, reception.active_alert),
        (false, true, false)
    );
    assert!(!reception.is_nothing());
    let child_focus = p.reach(Role::ChildFocusCaseManager, Purpose::Disappearance);
    assert_eq!(
        (
            child_focus.always,
            child_focus.assigned,
            child_focus.active_alert
        ),
        (false, false, true)
    );
    assert!(!child_focus.is_nothing());
    assert!(p.reach(Role::Analyst, Purpose::Care).is_nothing());
    assert!(p.reach(Role::PoliceOfficer, Purpose::Care).is_nothing());
}

#[test]
fn only_police_and_the_guardianship_service_declare_a_death() {
    let p = policy();
    for (role, deceased) in [
        (Role::PoliceOfficer, true),
        (Role::GuardianshipOfficer, true),
        (Role::ChildFocusCaseManager, false),
        (Role::ReceptionStaff, false),
    ] {
        assert_eq!(
            p.permits_outcome(
                role,
                Purpose::Disappearance,
                FOLLOWS,
                ResolutionOutcome::Deceased
            ),
            deceased,
            "{role} deceased"
        );
        assert!(
            p.permits_outcome(
                role,
                Purpose::Disappearance,
                FOLLOWS,
                ResolutionOutcome::FoundSafe
            ),
            "{role} found safe"
        );
        assert!(
            !p.permits_outcome(
                role,
                Purpose::Disappearance,
                Facts::default(),
                ResolutionOutcome::FoundSafe
            ),
            "{role} resolves only an alert it follows"
        );
    }
}

#[test]
fn permits_check_role_operation_purpose_and_standing() {
    let p = policy();
    // Reception staff list for care only the children placed with them.
    let placed = Facts {
        assigned: true,
        ..Facts::default()
    };
    assert!(p.permits(
        Role::ReceptionStaff,
        Operation::List,
        Some(Purpose::Care),
        placed
    ));
    assert!(!p.permits(
        Role::ReceptionStaff,
        Operation::List,
        Some(Purpose::Care),
        Facts::default()
    ));
    // Another purpose, another operation, another role: refused.
    assert!(!p.permits(
        Role::ReceptionStaff,
        Operation::List,
        Some(Purpose::Procedure),
        placed
    ));
    assert!(!p.permits(
        Role::ReceptionStaff,
        Operation::Merge,
        Some(Purpose::Care),
        placed
    ));
    assert!(!p.permits(Role::Analyst, Operation::List, Some(Purpose::Care), placed));
    // An operation without a purpose is permitted without one only.
    assert!(p.permits(
        Role::RegistryAdmin,
        Operation::ManageAgencies,
        None,
        Facts::default()
    ));
    assert!(!p.permits(
        Role::RegistryAdmin,
        Operation::ManageAgencies,
        Some(Purpose::Care),
        Facts::default()
    ));
    assert!(p.names_purpose(Role::Analyst, Operation::Statistics, Purpose::Statistics));
    assert!(!p.names_purpose(Role::Analyst, Operation::Consult, Purpose::Care));
    assert_eq!(
        p.standings(Role::ReceptionStaff, Operation::List, Purpose::Care),
        [Standing::Assigned]
    );
    assert!(
        p.standings(Role::Analyst, Operation::List, Purpose::Care)
            .is_empty()
    );
    assert!(p.permits_for(Role::Analyst).count() > 0);
    assert!(
        p.permits_for(Role::Analyst)
            .all(|permit| permit.role == Role::Analyst)
    );
    assert!(p.grants_for(Role::PoliceOfficer).count() > 0);
    assert!(
        p.grants_for(Role::PoliceOfficer)
            .all(|g| g.role == Role::PoliceOfficer)
    );
}

#[test]
fn a_relation_gives_its_facts_and_no_more() {
    let facts = Facts::from(Relation {
        assigned: true,
        active_alert: true,
        restricted: false,
    });
    assert_eq!(
        (
            facts.assigned,
            facts.active_alert,
            facts.follows,
            facts.reporter
        ),
        (true, true, false, false)
    );
    assert!(!Facts::default().holds(Standing::Assigned));
    assert!(Facts::default().holds(Standing::Always));
}

#[test]
fn names_are_the_policy_file_s() {
    for op in Operation::ALL {
        assert_eq!(
            serde_json::to_value(op).unwrap(),
            serde_json::Value::from(op.as_str()),
            "{op:?}"
        );
        assert_eq!(op.to_string(), op.as_str());
    }
    for standing in Standing::ALL {
        assert_eq!(
            serde_json::to_value(standing).unwrap(),
            serde_json::Value::from(standing.as_str()),
            "{standing:?}"
        );
    }
}

#[test]
fn a_blind_write_is_refused_naming_its_condition() {
    let mut doc: PolicyDocument = toml::from_str(DEFAULT_POLICY_TOML).unwrap();
    // Reception staff write `documents` for care, for their own children, without reading it.
    let mut blind = doc
        .grants
        .iter()
        .find(|g| g.role == Role::ReceptionStaff && g.condition == Condition::Assigned)
        .unwrap()
        .clone();
    blind.access = vec![Access::Write];
    blind.categories = vec![Category::Documents];
    blind.purposes = vec![Purpose::Care];
    doc.grants.push(blind);
    let error = Policy::from_document(doc).unwrap_err().to_string();
    assert!(
        error.contains("no blind writes") && error.contains("under `assigned`"),
        "{error}"
    );
}

#[test]
fn a_grant_without_access_categories_or_purposes_is_refused() {
    let base: PolicyDocument = toml::from_str(DEFAULT_POLICY_TOML).unwrap();
    for empty in ["access", "categories", "purposes"] {
        let mut doc = base.clone();
        let g = &mut doc.grants[0];
        match empty {
            "access" => g.access.clear(),
            "categories" => g.categories.clear(),
            _ => g.purposes.clear(),
        }
        let error = Policy::from_document(doc).unwrap_err().to_string();
        assert!(
            error.contains("must list at least one access, category and purpose"),
            "{empty}: {error}"
        );
    }
}
