//! The field-level access policy: which role may read or write which categories of a child's record,
//! for which purposes, under which condition. Written as data (TOML, see `policy/default.toml`),
//! validated and compiled once at start, evaluated per request with a table lookup.

mod compiled;
mod document;
mod error;
mod invariants;
#[cfg(test)]
mod known;
mod operation;

pub use compiled::{Mask, Policy, Reach, restriction_allows};
pub use document::{Access, Condition, Grant, PolicyDocument};
pub use error::PolicyError;
pub use operation::{Facts, Operation, Permit, Relation, Standing};

/// The shipped default policy (`policy/default.toml`), as text.
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../../policy/default.toml");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::{Category, CategorySet};
    use crate::purpose::Purpose;
    use crate::role::Role;

    fn default_policy() -> Policy {
        let doc: PolicyDocument = toml::from_str(DEFAULT_POLICY_TOML).unwrap();
        Policy::from_document(doc).unwrap()
    }

    const ANY: Relation = Relation {
        assigned: true,
        active_alert: true,
        restricted: false,
    };

    #[test]
    fn the_default_policy_loads_and_keeps_the_invariants() {
        let p = default_policy();
        for role in [Role::RegistryAdmin, Role::Analyst, Role::Auditor] {
            for purpose in Purpose::ALL {
                assert_eq!(
                    p.mask(role, purpose, ANY),
                    Mask::default(),
                    "{role} {purpose}"
                );
            }
        }
        for purpose in Purpose::ALL {
            assert!(
                !p.mask(Role::PoliceOfficer, purpose, ANY)
                    .read
                    .contains(Category::Health)
            );
            for role in [Role::PoliceOfficer, Role::ChildFocusCaseManager] {
                let outside_alert = p.mask(
                    role,
                    purpose,
                    Relation {
                        assigned: true,
                        active_alert: false,
                        restricted: false,
                    },
                );
                for c in [Category::Photos, Category::Physical, Category::Contacts] {
                    assert!(
                        !outside_alert.read.contains(c),
                        "{role} reads {c} without an alert"
                    );
                    if purpose != Purpose::Disappearance {
                        assert!(
                            !p.mask(role, purpose, ANY).read.contains(c),
                            "{role} {c} {purpose}"
                        );
                    }
                }
            }
            let not_ward = Relation {
                assigned: false,
                active_alert: true,
                restricted: false,
            };
            assert_eq!(p.mask(Role::Guardian, purpose, not_ward), Mask::default());
        }
        let ward = Relation {
            assigned: true,
            active_alert: false,
            restricted: false,
        };
        assert_eq!(
            p.mask(Role::Guardian, Purpose::Guardianship, ward).read,
            CategorySet::all()
        );
        let alert = Relation {
            assigned: false,
            active_alert: true,
            restricted: false,
        };
        assert!(
            p.mask(Role::PoliceOfficer, Purpose::Disappearance, alert)
                .read
                .contains(Category::Photos)
        );
    }

    #[test]
    fn unknown_names_are_refused_with_the_name() {
        for (bad, name) in [
            ("role = \"janitor\"", "janitor"),
            ("categories = [\"shoe_size\"]", "shoe_size"),
            ("purposes = [\"curiosity\"]", "curiosity"),
            ("condition = \"sometimes\"", "sometimes"),
        ] {
            let mut grant = vec![
                "role = \"guardian\"",
                "access = [\"read\"]",
                "categories = [\"identity\"]",
                "purposes = [\"care\"]",
                "condition = \"assigned\"",
            ];
            let key = bad.split(' ').next().unwrap();
            grant.retain(|l| !l.starts_with(key));
            grant.push(bad);
            let text = format!("[[grant]]\n{}\n", grant.join("\n"));
            let err = toml::from_str::<PolicyDocument>(&text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(name), "{err}");
        }
    }
}
