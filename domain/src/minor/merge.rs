//! Merging a duplicate record into the record that survives: what the survivor holds afterwards.

use super::model::{Alias, Documents, Identity, MinorData, Photos, Physical};

/// The survivor's data after `duplicate` (registry number `duplicate_number`) is merged into it.
///
/// * Identity: the survivor's own fields stay; the duplicate's full name (family and given names)
///   and each of its aliases become aliases of the survivor unless it already carries that name
///   (source `merged from <number>`, or the alias's own source); its original-script names,
///   nationalities and languages are added; missing fields (sex, date of birth, place of birth,
///   certainty) are taken from the duplicate.
/// * Documents, photos and distinguishing marks: the union of both.
/// * Every other category: the survivor's, or the duplicate's where the survivor has none.
///
/// Nothing of either record is dropped except exact repeats; both revision histories stay
/// where they are.
pub fn merge_data(
    survivor: &MinorData,
    duplicate: &MinorData,
    duplicate_number: &str,
) -> MinorData {
    let mut out = survivor.clone();
    out.identity = merge_identity(
        survivor.identity.as_ref(),
        duplicate.identity.as_ref(),
        duplicate_number,
    );
    out.documents = match (&survivor.documents, &duplicate.documents) {
        (Some(a), Some(b)) => Some(Documents {
            items: union(&a.items, &b.items),
        }),
        (a, b) => a.clone().or_else(|| b.clone()),
    };
    out.photos = match (&survivor.photos, &duplicate.photos) {
        (Some(a), Some(b)) => Some(Photos {
            items: union(&a.items, &b.items),
        }),
        (a, b) => a.clone().or_else(|| b.clone()),
    };
    out.physical = match (&survivor.physical, &duplicate.physical) {
        (Some(a), Some(b)) => Some(Physical {
            distinguishing_marks: union(&a.distinguishing_marks, &b.distinguishing_marks),
            height_cm: a.height_cm.or(b.height_cm),
            build: a.build.or(b.build),
            eye_colour: a.eye_colour.clone().or_else(|| b.eye_colour.clone()),
            hair_colour: a.hair_colour.clone().or_else(|| b.hair_colour.clone()),
        }),
        (a, b) => a.clone().or_else(|| b.clone()),
    };
    macro_rules! fill {
        ($($field:ident),*) => {$(
            if out.$field.is_none() {
                out.$field = duplicate.$field.clone();
            }
        )*};
    }
    fill!(
        age_assessment,
        references,
        interception,
        vulnerability,
        health,
        contacts,
        guardianship,
        placement,
        procedure,
        child_view,
        risk
    );
    out
}

fn merge_identity(
    survivor: Option<&Identity>,
    duplicate: Option<&Identity>,
    duplicate_number: &str,
) -> Option<Identity> {
    let (mut out, dup) = match (survivor, duplicate) {
        (Some(a), Some(b)) => (a.clone(), b),
        (a, b) => return a.or(b).cloned(),
    };
    let mut known: Vec<String> = full_name(&out).into_iter().collect();
    known.extend(out.aliases.iter().map(|a| a.name.clone()));
    let source = format!("merged from {duplicate_number}");
    let mut add = |alias: Alias, known: &mut Vec<String>| {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(&alias.name)) {
            known.push(alias.name.clone());
            out.aliases.push(alias);
        }
    };
    if let Some(name) = full_name(dup) {
        add(
            Alias {
                name,
                source: Some(source.clone()),
            },
            &mut known,
        );
    }
    for alias in &dup.aliases {
        add(
            Alias {
                name: alias.name.clone(),
                source: alias.source.clone().or_else(|| Some(source.clone())),
            },
            &mut known,
        );
    }
    out.names_original_script = union(&out.names_original_script, &dup.names_original_script);
    out.nationalities = union(&out.nationalities, &dup.nationalities);
    out.languages = union(&out.languages, &dup.languages);
    out.sex = out.sex.or(dup.sex);
    if out.date_of_birth.is_none() {
        out.date_of_birth = dup.date_of_birth;
        out.date_of_birth_certainty = dup.date_of_birth_certainty;
    }
    out.place_of_birth = out.place_of_birth.or_else(|| dup.place_of_birth.clone());
    Some(out)
}

/// Given names then family name, as a person would say them; `None` without either.
fn full_name(identity: &Identity) -> Option<String> {
    let parts: Vec<&str> = [&identity.given_names, &identity.family_name]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// `a` followed by the items of `b` it does not hold.
fn union<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = a.to_vec();
    for item in b {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::minor::model::{OriginalScriptName, Placement, Sex};

    fn identity(given: &str, family: &str) -> Identity {
        Identity {
            given_names: Some(given.to_owned()),
            family_name: Some(family.to_owned()),
            ..Identity::default()
        }
    }

    #[test]
    fn both_identities_survive_and_gaps_are_filled() {
        let survivor = MinorData {
            identity: Some(Identity {
                sex: Some(Sex::Female),
                nationalities: vec!["ER".into()],
                ..identity("Semhar", "Haile")
            }),
            physical: Some(Physical {
                distinguishing_marks: vec!["scar above left eyebrow".into()],
                ..Physical::default()
            }),
            ..MinorData::default()
        };
        let duplicate = MinorData {
            identity: Some(Identity {
                date_of_birth: NaiveDate::from_ymd_opt(2011, 1, 1),
                names_original_script: vec![OriginalScriptName {
                    given_names: Some("ሰምሃር".into()),
                    family_name: Some("ሃይለ".into()),
                    script: "Ethi".into(),
                }],
                aliases: vec![Alias {
                    name: "Samira".into(),
                    source: Some("declared".into()),
                }],
                nationalities: vec!["ER".into(), "ET".into()],
                ..identity("Samhar", "Hayle")
            }),
            physical: Some(Physical {
                distinguishing_marks: vec!["burn on right hand".into()],
                height_cm: Some(150),
                ..Physical::default()
            }),
            placement: Some(Placement {
                current_agency: Some("centre".into()),
                ..Placement::default()
            }),
            ..MinorData::default()
        };
        let merged = merge_data(&survivor, &duplicate, "UAM-2026-000007");
        let id = merged.identity.as_ref().unwrap();
        assert_eq!(id.given_names.as_deref(), Some("Semhar"));
        let aliases: Vec<(&str, Option<&str>)> = id
            .aliases
            .iter()
            .map(|a| (a.name.as_str(), a.source.as_deref()))
            .collect();
        assert_eq!(
            aliases,
            [
                ("Samhar Hayle", Some("merged from UAM-2026-000007")),
                ("Samira", Some("declared"))
            ]
        );
        assert_eq!(id.names_original_script.len(), 1);
        assert_eq!(id.nationalities, ["ER", "ET"]);
        assert_eq!(id.date_of_birth, NaiveDate::from_ymd_opt(2011, 1, 1));
        assert_eq!(id.sex, Some(Sex::Female));
        let physical = merged.physical.as_ref().unwrap();
        assert_eq!(physical.distinguishing_marks.len(), 2);
        assert_eq!(physical.height_cm, Some(150));
        assert_eq!(merged.placement, duplicate.placement);

        // A duplicate under the same name adds no alias.
        let same = merge_data(&survivor, &survivor, "UAM-2026-000008");
        assert!(same.identity.unwrap().aliases.is_empty());
    }
}
