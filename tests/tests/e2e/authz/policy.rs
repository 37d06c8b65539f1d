//! What a receiver may see, from a reading of `policy/default.toml` that shares nothing with the
//! service's parser, and the check of one disclosed record against it.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::records::fixtures::CATEGORIES;

/// Every role, with the demo agency its tokens name (as `records/matrix.rs`).
pub const ROLES: [(&str, &str); 10] = [
    ("reception_staff", "demo-reception"),
    ("guardianship_officer", "demo-guardianship"),
    ("guardian", "demo-guardian"),
    ("immigration_officer", "demo-immigration"),
    ("police_officer", "demo-police"),
    ("child_focus_case_manager", "demo-child-focus"),
    ("youth_care_worker", "demo-youth-care"),
    ("analyst", "demo-police"),
    ("auditor", "registry"),
    ("registry_admin", "registry"),
];

pub const PURPOSES: [&str; 7] = [
    "care",
    "guardianship",
    "identification",
    "procedure",
    "disappearance",
    "statistics",
    "audit",
];

/// The demo agencies and the role whose field policy renders what each receives on its event
/// streams (docs/events.md: "the agency's operational role").
pub const RECEIVERS: [(&str, &str); 7] = [
    ("demo-reception", "reception_staff"),
    ("demo-guardianship", "guardianship_officer"),
    ("demo-guardian", "guardian"),
    ("demo-immigration", "immigration_officer"),
    ("demo-police", "police_officer"),
    ("demo-child-focus", "child_focus_case_manager"),
    ("demo-youth-care", "youth_care_worker"),
];

/// Members of a record that are not categories: they go with any granted access.
const CORE: [&str; 7] = [
    "id",
    "registry_number",
    "status",
    "version",
    "registered_at",
    "updated_at",
    "_meta",
];

/// The grants of the policy file.
pub struct PolicyFile(Vec<Value>);

impl PolicyFile {
    pub fn load() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policy/default.toml");
        let doc: Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        Self(doc["grant"].as_array().unwrap().clone())
    }

    fn names(grant: &Value, key: &str, item: &str) -> bool {
        grant[key].as_array().unwrap().iter().any(|v| v == item)
    }

    /// Whether some grant of `role` names `purpose` (otherwise the purpose is refused).
    pub fn permits(&self, role: &str, purpose: &str) -> bool {
        self.0
            .iter()
            .any(|g| g["role"] == role && Self::names(g, "purposes", purpose))
    }

    /// The purposes among `purposes` for which `role` reads the identity of a child that is not
    /// its own (every child, or every missing child).
    pub fn reaching_beyond_care<'a>(&self, role: &str, purposes: &[&'a str]) -> Vec<&'a str> {
        purposes
            .iter()
            .copied()
            .filter(|p| {
                self.granted(role, p, "read", false, true)
                    .contains("identity")
            })
            .collect()
    }

    /// Categories `role` may `access` for `purpose` on a child it stands to as given.
    pub fn granted(
        &self,
        role: &str,
        purpose: &str,
        access: &str,
        assigned: bool,
        alert: bool,
    ) -> BTreeSet<String> {
        self.0
            .iter()
            .filter(|g| {
                g["role"] == role
                    && Self::names(g, "purposes", purpose)
                    && Self::names(g, "access", access)
            })
            .filter(|g| match g["condition"].as_str().unwrap() {
                "always" => true,
                "assigned" => assigned,
                "active_alert" => alert,
                other => panic!("unknown condition {other}"),
            })
            .flat_map(|g| g["categories"].as_array().unwrap().clone())
            .map(|c| c.as_str().unwrap().to_owned())
            .collect()
    }

    /// What a caller of `role` at `agency` may read of `child` for `purpose`.
    pub fn readable(&self, role: &str, agency: &str, purpose: &str, child: &Stored) -> Readable {
        let (assigned, alert) = child.relation(agency);
        Readable(self.granted(role, purpose, "read", assigned, alert))
    }
}

/// A record as stored, read from the database behind the API.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: String,
    pub data: Value,
    pub status: String,
}

impl Stored {
    /// (assigned, active alert) for a caller of `agency`: the child is placed with or a ward of
    /// the agency; the child is missing.
    pub fn relation(&self, agency: &str) -> (bool, bool) {
        let assigned = self.data["placement"]["current_agency"] == agency
            || self.data["guardianship"]["guardian_agency"] == agency;
        (assigned, self.status == "missing")
    }

    pub fn present(&self) -> BTreeSet<String> {
        categories_in(&self.data)
    }
}

/// The categories one receiver may read of one child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readable(pub BTreeSet<String>);

impl Readable {
    pub fn nothing(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, category: &str) -> bool {
        self.0.contains(category)
    }
}

pub fn categories_in(record: &Value) -> BTreeSet<String> {
    record
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| CATEGORIES.contains(&k.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn names(list: &Value) -> Option<BTreeSet<String>> {
    list.as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Checks a disclosed record (`view`) of `child` against what `readable` allows, for `purpose`:
/// exactly the readable categories the child has, with their stored values; `_meta.withheld`
/// exactly the others; nothing but the core fields besides. Returns what is wrong, each line
/// prefixed with `at`.
pub fn check_record(
    view: &Value,
    child: &Stored,
    readable: &Readable,
    purpose: &str,
    at: &str,
) -> Vec<String> {
    let mut wrong = Vec::new();
    let Some(object) = view.as_object() else {
        return vec![format!("{at}: not a record: {view}")];
    };
    if readable.nothing() {
        return vec![format!(
            "{at}: a record of {} is disclosed to a receiver who may read nothing of it",
            child.id
        )];
    }
    if view["id"] != child.id.as_str() {
        wrong.push(format!("{at}: id {} is not {}", view["id"], child.id));
    }
    let shown = categories_in(view);
    let want: BTreeSet<String> = readable.0.intersection(&child.present()).cloned().collect();
    let leaked: Vec<&String> = shown.difference(&readable.0).collect();
    if !leaked.is_empty() {
        wrong.push(format!(
            "{at}: LEAK of {leaked:?} (readable {:?})",
            readable.0
        ));
    }
    let missing: Vec<&String> = want.difference(&shown).collect();
    if !missing.is_empty() {
        wrong.push(format!("{at}: readable {missing:?} not shown"));
    }
    for c in shown.intersection(&want) {
        if view[c] != child.data[c] {
            wrong.push(format!("{at}: {c} differs from the stored value"));
        }
    }
    let strays: Vec<&String> = object
        .keys()
        .filter(|k| !CORE.contains(&k.as_str()) && !CATEGORIES.contains(&k.as_str()))
        .collect();
    if !strays.is_empty() {
        wrong.push(format!("{at}: members beyond the record: {strays:?}"));
    }
    let withheld: BTreeSet<String> = CATEGORIES
        .iter()
        .map(|c| c.to_string())
        .filter(|c| !readable.0.contains(c))
        .collect();
    match names(&view["_meta"]["withheld"]) {
        Some(named) if named == withheld => {}
        other => wrong.push(format!(
            "{at}: _meta.withheld {other:?}, expected {withheld:?}"
        )),
    }
    if view["_meta"]["purpose"] != purpose {
        wrong.push(format!(
            "{at}: _meta.purpose {} is not {purpose}",
            view["_meta"]["purpose"]
        ));
    }
    wrong
}

/// As [`check_record`] for an output that carries a record only when the receiver may read
/// something of it (`null` or absent otherwise).
pub fn check_optional(
    view: &Value,
    child: &Stored,
    readable: &Readable,
    purpose: &str,
    at: &str,
) -> Vec<String> {
    match (view.is_null(), readable.nothing()) {
        (true, true) => vec![],
        (true, false) => vec![format!(
            "{at}: null, but {:?} of {} is readable",
            readable.0, child.id
        )],
        (false, _) => check_record(view, child, readable, purpose, at),
    }
}

/// Fails listing every problem found, with how many outputs were checked.
pub fn assert_none(wrong: &[String], checked: usize, what: &str) {
    assert!(checked > 0, "{what}: nothing was checked");
    assert!(
        wrong.is_empty(),
        "{what}: {} problem(s) in {checked} outputs:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("{what}: {checked} outputs checked");
}
