//! Reading a record body and applying a JSON merge patch (RFC 7396) to a record, with errors that
//! name the JSON path of each offending member.

use serde_json::{Map, Value};

use super::model::MinorData;
use crate::category::{Category, CategorySet};
use crate::validation::FieldErrors;

const PHOTOS_REFUSED: &str = "is managed by the photo upload endpoint and cannot be written here";

/// Deserialises a full record body (POST) into [`MinorData`], not yet validated.
///
/// A body that is not an object, an unknown member (at any depth) and a type error are
/// [`FieldErrors`] naming the JSON path (`identity.date_of_birth`); every unknown top-level member
/// and the first error inside each category are reported. `photos` is refused: photos are added
/// only by the photo upload endpoint.
pub fn parse_data(body: &Value) -> Result<MinorData, FieldErrors> {
    let members = as_object(body, "the record must be a JSON object")?;
    let mut errors = FieldErrors::default();
    check_names(members, &mut errors);
    let data = deserialise(body, &mut errors);
    finish(data, errors)
}

/// Applies an RFC 7396 JSON merge patch to `current` and returns the result, not yet validated.
///
/// The patch must be a JSON object whose members are categories; `null` removes a category or a
/// field, an object is merged member by member, any other value (arrays included) replaces.
/// A patch that is not an object, unknown members, type errors (with their JSON path) and any
/// mention of `photos` (managed by the photo upload endpoint) are [`FieldErrors`].
pub fn apply_merge_patch(current: &MinorData, patch: &Value) -> Result<MinorData, FieldErrors> {
    let members = as_object(patch, "a merge patch must be a JSON object")?;
    let mut errors = FieldErrors::default();
    check_names(members, &mut errors);
    let applicable: Map<String, Value> = members
        .iter()
        .filter(|(name, _)| writable(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut doc = serde_json::to_value(current).map_err(|e| single_error("", e))?;
    json_patch::merge(&mut doc, &Value::Object(applicable));
    let data = deserialise(&doc, &mut errors);
    finish(data, errors)
}

/// The categories a patch names at its top level; unknown names are ignored here.
pub fn touched_categories(patch: &Value) -> CategorySet {
    patch
        .as_object()
        .into_iter()
        .flat_map(Map::keys)
        .filter_map(|name| name.parse::<Category>().ok())
        .collect()
}

fn as_object<'a>(value: &'a Value, message: &str) -> Result<&'a Map<String, Value>, FieldErrors> {
    value.as_object().ok_or_else(|| single_error("", message))
}

/// A category other than `photos`: the members a client may write.
fn writable(name: &str) -> bool {
    name.parse::<Category>()
        .is_ok_and(|category| category != Category::Photos)
}

/// Reports every top-level member that is not a writable category.
fn check_names(members: &Map<String, Value>, errors: &mut FieldErrors) {
    for name in members.keys() {
        match name.parse::<Category>() {
            Ok(Category::Photos) => errors.push(name.as_str(), PHOTOS_REFUSED),
            Ok(_) => {}
            Err(_) => errors.push(
                name.as_str(),
                "unknown member: the record's members are its field categories",
            ),
        }
    }
}

/// Deserialises `doc` (an object), ignoring members that `check_names` reported. On failure,
/// records the first error inside each writable category.
fn deserialise(doc: &Value, errors: &mut FieldErrors) -> Option<MinorData> {
    if errors.is_empty() {
        match serde_path_to_error::deserialize::<_, MinorData>(doc) {
            Ok(data) => return Some(data),
            Err(whole) => {
                let before = errors.0.len();
                for_each_member_error(doc, errors);
                if errors.0.len() == before {
                    push_path_error(errors, doc, &whole);
                }
                return None;
            }
        }
    }
    for_each_member_error(doc, errors);
    None
}

/// Deserialises each writable category of `doc` on its own, so that each reports its first error.
fn for_each_member_error(doc: &Value, errors: &mut FieldErrors) {
    let Some(members) = doc.as_object() else {
        return;
    };
    for (name, value) in members.iter().filter(|(name, _)| writable(name)) {
        let single = Value::Object(Map::from_iter([(name.clone(), value.clone())]));
        if let Err(e) = serde_path_to_error::deserialize::<_, MinorData>(&single) {
            push_path_error(errors, &single, &e);
        }
    }
}

fn push_path_error(
    errors: &mut FieldErrors,
    doc: &Value,
    e: &serde_path_to_error::Error<serde_json::Error>,
) {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let message = e.inner().to_string();
    match expected_form(doc, e.path(), &message) {
        Some(form) => errors.push(path, format!("{message}: expected {form}")),
        None => errors.push(path, message),
    }
}

/// What a date or an instant that chrono could not read should look like, when `message` is one
/// of chrono's parse errors about the text at `path` in `doc`.
fn expected_form(
    doc: &Value,
    path: &serde_path_to_error::Path,
    message: &str,
) -> Option<&'static str> {
    const CHRONO: [&str; 6] = [
        "input is out of range",
        "no possible date and time matching input",
        "input is not enough for unique date and time",
        "input contains invalid characters",
        "premature end of input",
        "trailing input",
    ];
    if !CHRONO.iter().any(|m| message.starts_with(m)) {
        return None;
    }
    let mut value = doc;
    for segment in path.iter() {
        value = match segment {
            serde_path_to_error::Segment::Map { key } => value.get(key)?,
            serde_path_to_error::Segment::Seq { index } => value.get(index)?,
            _ => return None,
        };
    }
    let text = value.as_str()?;
    Some(if text.contains('T') {
        "an instant in RFC 3339 with its offset, e.g. `2026-12-07T21:30:00+01:00`"
    } else {
        "a date `YYYY-MM-DD`, e.g. `2010-03-01`"
    })
}

fn finish(data: Option<MinorData>, errors: FieldErrors) -> Result<MinorData, FieldErrors> {
    match data {
        Some(data) if errors.is_empty() => Ok(data),
        _ => Err(errors),
    }
}

fn single_error(path: &str, message: impl ToString) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.push(path, message);
    errors
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::minor::fixtures::{date, full};
    use crate::minor::model::*;

    fn paths(errors: &FieldErrors) -> BTreeSet<&str> {
        errors.0.iter().map(|e| e.path.as_str()).collect()
    }

    /// The fixture as a client may send it: without photos.
    fn body() -> Value {
        let mut body = serde_json::to_value(full()).unwrap();
        body.as_object_mut().unwrap().remove("photos");
        body
    }

    #[test]
    fn parse_data_reads_a_full_body() {
        let data = parse_data(&body()).unwrap();
        assert_eq!(
            data,
            MinorData {
                photos: None,
                ..full()
            }
        );
        assert_eq!(parse_data(&json!({})).unwrap(), MinorData::default());
    }

    #[test]
    fn parse_data_refuses_photos_and_non_objects() {
        let mut with_photos = body();
        with_photos["photos"] = json!({"items": []});
        let errors = parse_data(&with_photos).unwrap_err();
        assert_eq!(paths(&errors), BTreeSet::from(["photos"]));
        assert!(errors.0[0].message.contains("photo upload endpoint"));

        let errors = parse_data(&json!([1, 2])).unwrap_err();
        assert_eq!(paths(&errors), BTreeSet::from([""]));
    }

    #[test]
    fn parse_data_reports_unknown_members_and_type_errors_with_paths() {
        let errors = parse_data(&json!({
            "identty": {},
            "notes": "x",
            "identity": {"names_original_script": [{"family_name": "ሃይለ", "script": 7}]},
            "physical": {"height_cm": "tall"},
            "risk": {"level": "extreme"},
            "health": {"urgent": true},
        }))
        .unwrap_err();
        assert_eq!(
            paths(&errors),
            BTreeSet::from([
                "identty",
                "notes",
                "identity.names_original_script[0].script",
                "physical.height_cm",
                "risk.level",
                "health.urgent",
            ])
        );
        let message = |path: &str| {
            errors
                .0
                .iter()
                .find(|e| e.path == path)
                .unwrap()
                .message
                .clone()
        };
        assert!(message("physical.height_cm").contains("invalid type"));
        assert!(message("risk.level").contains("unknown variant `extreme`"));
        assert!(message("health.urgent").contains("unknown field `urgent`"));
    }

    #[test]
    fn a_date_or_instant_chrono_cannot_read_says_the_form_expected() {
        let errors = parse_data(&json!({
            "identity": {"date_of_birth": "2011-13-01"},
            "interception": {"intercepted_at": "2026-12-01T10:00:00"},
        }))
        .unwrap_err();
        let reason = |name: &str| {
            errors
                .0
                .iter()
                .find(|e| e.path == name)
                .map(|e| e.message.clone())
                .unwrap_or_else(|| panic!("{name} not named in {errors:?}"))
        };
        assert!(reason("identity.date_of_birth").contains("YYYY-MM-DD"));
        assert!(reason("interception.intercepted_at").contains("RFC 3339 with its offset"));
        // Other type errors keep serde's own words.
        let errors = parse_data(&json!({"physical": {"height_cm": "tall"}})).unwrap_err();
        assert!(
            !errors.0[0].message.contains("expected a date"),
            "{errors:?}"
        );
    }

    #[test]
    fn merge_patch_adds_replaces_and_removes() {
        let current = MinorData {
            identity: Some(Identity {
                family_name: Some("Haile".into()),
                given_names: Some("Mehret".into()),
                nationalities: vec!["ER".into()],
                ..Identity::default()
            }),
            risk: Some(Risk {
                level: Some(RiskLevel::Low),
                factors: vec!["none known".into()],
            }),
            ..MinorData::default()
        };
        let patch = json!({
            "identity": {
                "given_names": "Meron",
                "family_name": null,
                "nationalities": ["ER", "ET"],
                "date_of_birth": "2009-03-14",
            },
            "risk": null,
            "placement": {"current_agency": "fedasil-poelkapelle"},
        });
        let data = apply_merge_patch(&current, &patch).unwrap();
        let identity = data.identity.as_ref().unwrap();
        assert_eq!(identity.family_name, None);
        assert_eq!(identity.given_names.as_deref(), Some("Meron"));
        assert_eq!(identity.nationalities, ["ER", "ET"]);
        assert_eq!(identity.date_of_birth, Some(date("2009-03-14")));
        assert_eq!(data.risk, None);
        assert_eq!(data.placement_agency(), Some("fedasil-poelkapelle"));
        assert_eq!(
            data.present_categories(),
            [Category::Identity, Category::Placement]
                .into_iter()
                .collect()
        );
        assert_eq!(apply_merge_patch(&current, &json!({})).unwrap(), current);
    }

    #[test]
    fn merge_patch_reports_unknown_members_and_type_errors_with_paths() {
        let errors = apply_merge_patch(
            &full(),
            &json!({
                "nickname": "M",
                "identity": {"date_of_birth": "14/03/2009"},
                "contacts": {"family_members": [{"name": "Tesfay", "age": 40}]},
            }),
        )
        .unwrap_err();
        assert_eq!(
            paths(&errors),
            BTreeSet::from([
                "nickname",
                "identity.date_of_birth",
                "contacts.family_members[0].age",
            ])
        );
    }

    #[test]
    fn merge_patch_may_not_touch_photos_and_keeps_them() {
        for patch in [json!({"photos": null}), json!({"photos": {"items": []}})] {
            let errors = apply_merge_patch(&full(), &patch).unwrap_err();
            assert_eq!(paths(&errors), BTreeSet::from(["photos"]));
        }
        let data = apply_merge_patch(&full(), &json!({"health": null})).unwrap();
        assert_eq!(data.photos, full().photos);
        assert_eq!(data.health, None);
    }

    #[test]
    fn merge_patch_must_be_an_object() {
        let errors = apply_merge_patch(&full(), &json!(null)).unwrap_err();
        assert_eq!(paths(&errors), BTreeSet::from([""]));
    }

    #[test]
    fn touched_categories_are_the_known_top_level_members() {
        let patch = json!({"identity": {}, "risk": null, "unknown": 1});
        assert_eq!(
            touched_categories(&patch),
            [Category::Identity, Category::Risk].into_iter().collect()
        );
        assert!(touched_categories(&json!("identity")).is_empty());
    }
}
