//! The compiled policy: for each (role, purpose, condition) the categories readable and writable.

use std::collections::HashMap;

use super::document::{Access, Condition, Grant, PolicyDocument};
use super::error::PolicyError;
use super::invariants;
use super::operation::{Facts, Operation, Permit, Relation, Standing};
use crate::alert::ResolutionOutcome;
use crate::category::CategorySet;
use crate::purpose::Purpose;
use crate::role::Role;

/// What a caller may do with one child's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mask {
    pub read: CategorySet,
    pub write: CategorySet,
}

impl Mask {
    /// Categories the caller may not read: what `_meta.withheld` lists.
    pub fn withheld(&self) -> CategorySet {
        CategorySet::all().difference(self.read)
    }
}

/// Which conditions give a (role, purpose) read access to some category: what a listing must filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reach {
    pub always: bool,
    pub assigned: bool,
    pub active_alert: bool,
}

impl Reach {
    /// No child at all can be read.
    pub fn is_nothing(&self) -> bool {
        !(self.always || self.assigned || self.active_alert)
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    read: CategorySet,
    write: CategorySet,
}

/// A validated, compiled policy. Cheap to evaluate: one map lookup and three set unions.
#[derive(Debug, Clone)]
pub struct Policy {
    table: HashMap<(crate::role::Role, Purpose), [Cell; 3]>,
    grants: Vec<Grant>,
    permits: HashMap<(Role, Operation), Vec<Permit>>,
    written_permits: Vec<Permit>,
}

/// Who may still use a restricted record (GDPR Art. 18): the guardianship service and the child's
/// guardian (whose grants still need the child to be its ward), for the purpose `guardianship`;
/// while an alert for the child is open, whoever the policy lets act on it for the purpose
/// `disappearance`, until the alert ends. (Those two may also report the person missing, as
/// [`Policy::permits`] lets them: an age worked out from an estimated date of birth can be
/// wrong, and a missing child must not fall out of alerting; the alert then opens the record to
/// its readers.)
pub fn restriction_allows(role: Role, purpose: Option<Purpose>, active_alert: bool) -> bool {
    match purpose {
        Some(Purpose::Guardianship) => matches!(role, Role::GuardianshipOfficer | Role::Guardian),
        Some(Purpose::Disappearance) => active_alert,
        _ => false,
    }
}

fn slot(condition: Condition) -> usize {
    match condition {
        Condition::Always => 0,
        Condition::Assigned => 1,
        Condition::ActiveAlert => 2,
    }
}

impl Policy {
    /// Validates the document (no empty lists, and the invariants of the registry: see
    /// [`invariants`](super::invariants)) and compiles it.
    pub fn from_document(doc: PolicyDocument) -> Result<Self, PolicyError> {
        for (i, g) in doc.grants.iter().enumerate() {
            if g.access.is_empty() || g.categories.is_empty() || g.purposes.is_empty() {
                return Err(PolicyError(format!(
                    "grant #{} ({}) must list at least one access, category and purpose",
                    i + 1,
                    g.role
                )));
            }
        }
        for (i, p) in doc.permits.iter().enumerate() {
            if p.operations.is_empty() {
                return Err(PolicyError(format!(
                    "permit #{} ({}) must list at least one operation",
                    i + 1,
                    p.role
                )));
            }
        }
        invariants::check(&doc.grants)?;
        invariants::check_permits(&doc.permits, &doc.grants)?;
        let mut permits: HashMap<(Role, Operation), Vec<Permit>> = HashMap::new();
        for p in &doc.permits {
            for op in &p.operations {
                permits.entry((p.role, *op)).or_default().push(p.clone());
            }
        }
        let mut table: HashMap<(Role, Purpose), [Cell; 3]> = HashMap::new();
        for g in &doc.grants {
            let categories: CategorySet = g.categories.iter().copied().collect();
            for purpose in &g.purposes {
                let cell = &mut table.entry((g.role, *purpose)).or_default()[slot(g.condition)];
                for access in &g.access {
                    match access {
                        Access::Read => cell.read = cell.read.union(categories),
                        Access::Write => cell.write = cell.write.union(categories),
                    }
                }
            }
        }
        Ok(Self {
            table,
            grants: doc.grants,
            permits,
            written_permits: doc.permits,
        })
    }

    /// Whether `role` may do `op` for `purpose` (`None` for an operation that takes no purpose) in
    /// standing `facts`. For `resolve`, [`Policy::permits_outcome`] also decides the outcome.
    pub fn permits(
        &self,
        role: Role,
        op: Operation,
        purpose: Option<Purpose>,
        facts: Facts,
    ) -> bool {
        let reporter_of_restricted =
            op == Operation::Report && matches!(role, Role::GuardianshipOfficer | Role::Guardian);
        if facts.restricted
            && !reporter_of_restricted
            && !restriction_allows(role, purpose, facts.active_alert)
        {
            return false;
        }
        self.permits_of(role, op)
            .any(|p| p.allows(role, op, purpose, None, facts))
    }

    /// Whether `role` may resolve an alert with `outcome` for `purpose` in standing `facts`.
    pub fn permits_outcome(
        &self,
        role: Role,
        purpose: Purpose,
        facts: Facts,
        outcome: ResolutionOutcome,
    ) -> bool {
        if facts.restricted && !restriction_allows(role, Some(purpose), facts.active_alert) {
            return false;
        }
        self.permits_of(role, Operation::Resolve).any(|p| {
            p.allows(
                role,
                Operation::Resolve,
                Some(purpose),
                Some(outcome),
                facts,
            )
        })
    }

    /// Whether some permit of `role` names `op` for `purpose`, in whatever standing: when none
    /// does, the purpose itself is refused (403) before any child is looked at.
    pub fn names_purpose(&self, role: Role, op: Operation, purpose: Purpose) -> bool {
        self.permits_of(role, op)
            .any(|p| p.purposes.contains(&purpose))
    }

    /// The purposes `role` may state for `op`, in the order of [`Purpose::ALL`].
    pub fn purposes_for(&self, role: Role, op: Operation) -> Vec<Purpose> {
        Purpose::ALL
            .into_iter()
            .filter(|p| self.names_purpose(role, op, *p))
            .collect()
    }

    /// Under which standings `role` may do `op` for `purpose` (a listing's scope).
    pub fn standings(&self, role: Role, op: Operation, purpose: Purpose) -> Vec<Standing> {
        let mut out: Vec<Standing> = self
            .permits_of(role, op)
            .filter(|p| p.purposes.contains(&purpose))
            .map(|p| p.condition)
            .collect();
        out.sort_by_key(|s| s.as_str());
        out.dedup();
        out
    }

    fn permits_of(&self, role: Role, op: Operation) -> impl Iterator<Item = &Permit> {
        self.permits.get(&(role, op)).into_iter().flatten()
    }

    /// The permits of one role, as written.
    pub fn permits_for(&self, role: Role) -> impl Iterator<Item = &Permit> {
        self.written_permits.iter().filter(move |p| p.role == role)
    }

    /// The categories `role` may read and write for `purpose` on a child it stands to as `relation`.
    /// A restricted record (see [`restriction_allows`]) masks everything from everyone else.
    pub fn mask(&self, role: Role, purpose: Purpose, relation: Relation) -> Mask {
        if relation.restricted && !restriction_allows(role, Some(purpose), relation.active_alert) {
            return Mask::default();
        }
        let Some(cells) = self.table.get(&(role, purpose)) else {
            return Mask::default();
        };
        let holds = [true, relation.assigned, relation.active_alert];
        cells
            .iter()
            .zip(holds)
            .filter(|(_, holds)| *holds)
            .fold(Mask::default(), |m, (c, _)| Mask {
                read: m.read.union(c.read),
                write: m.write.union(c.write),
            })
    }

    /// Under which conditions `role` reads anything for `purpose`.
    pub fn reach(&self, role: Role, purpose: Purpose) -> Reach {
        let Some(cells) = self.table.get(&(role, purpose)) else {
            return Reach::default();
        };
        Reach {
            always: !cells[0].read.is_empty(),
            assigned: !cells[1].read.is_empty(),
            active_alert: !cells[2].read.is_empty(),
        }
    }

    /// The grants of one role, as written.
    pub fn grants_for(&self, role: Role) -> impl Iterator<Item = &Grant> {
        self.grants.iter().filter(move |g| g.role == role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::Category;

    fn grant(
        role: Role,
        access: &[Access],
        categories: &[Category],
        purposes: &[Purpose],
        condition: Condition,
    ) -> Grant {
        Grant {
            role,
            access: access.to_vec(),
            categories: categories.to_vec(),
            purposes: purposes.to_vec(),
            condition,
        }
    }

    fn sample() -> Policy {
        Policy::from_document(PolicyDocument {
            permits: vec![],
            grants: vec![
                grant(
                    Role::PoliceOfficer,
                    &[Access::Read],
                    &[Category::Identity],
                    &[Purpose::Identification, Purpose::Disappearance],
                    Condition::Always,
                ),
                grant(
                    Role::PoliceOfficer,
                    &[Access::Read],
                    &[Category::Photos, Category::Physical],
                    &[Purpose::Disappearance],
                    Condition::ActiveAlert,
                ),
                grant(
                    Role::ReceptionStaff,
                    &[Access::Read, Access::Write],
                    &[Category::Health],
                    &[Purpose::Care],
                    Condition::Assigned,
                ),
            ],
        })
        .unwrap()
    }

    #[test]
    fn conditions_add_categories_only_when_they_hold() {
        let p = sample();
        let none = Relation::default();
        let alert = Relation {
            active_alert: true,
            ..none
        };
        let m = p.mask(Role::PoliceOfficer, Purpose::Disappearance, none);
        assert_eq!(m.read.iter().collect::<Vec<_>>(), [Category::Identity]);
        let m = p.mask(Role::PoliceOfficer, Purpose::Disappearance, alert);
        assert_eq!(
            m.read.iter().collect::<Vec<_>>(),
            [Category::Identity, Category::Physical, Category::Photos]
        );
        assert!(m.write.is_empty());
        // The alert grant is for `disappearance` only.
        let m = p.mask(Role::PoliceOfficer, Purpose::Identification, alert);
        assert_eq!(m.read.iter().collect::<Vec<_>>(), [Category::Identity]);

        let assigned = Relation {
            assigned: true,
            ..none
        };
        assert!(
            p.mask(Role::ReceptionStaff, Purpose::Care, none)
                .read
                .is_empty()
        );
        let m = p.mask(Role::ReceptionStaff, Purpose::Care, assigned);
        assert!(m.read.contains(Category::Health) && m.write.contains(Category::Health));
    }

    #[test]
    fn reach_follows_the_conditions() {
        let p = sample();
        let r = p.reach(Role::PoliceOfficer, Purpose::Disappearance);
        assert!(r.always && r.active_alert && !r.assigned);
        assert!(p.reach(Role::Guardian, Purpose::Care).is_nothing());
    }

    #[test]
    fn empty_lists_are_refused() {
        let doc = PolicyDocument {
            permits: vec![],
            grants: vec![grant(
                Role::ReceptionStaff,
                &[],
                &[Category::Health],
                &[Purpose::Care],
                Condition::Assigned,
            )],
        };
        assert!(Policy::from_document(doc).is_err());
    }
}
