//! The one projection of a record through a caller's mask, used for every output: responses,
//! history, listings (and later search results and events).

use chrono::{DateTime, Utc};

use crate::category::Category;
use crate::minor::{MinorData, MinorStatus};
use crate::policy::Mask;
use crate::purpose::Purpose;
use crate::record::{Actor, Minor, Revision};

/// What a caller may see of a record: the core fields, the readable categories, and the names of
/// the withheld ones (never their values).
#[derive(Debug, Clone, PartialEq)]
pub struct MinorView {
    pub id: String,
    pub registry_number: String,
    pub status: MinorStatus,
    pub version: i64,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub data: MinorData,
    pub withheld: Vec<Category>,
    pub purpose: Purpose,
}

impl MinorView {
    /// The JSON form every output uses: core fields, one member per readable category, and
    /// `_meta` with the withheld categories and the purpose.
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = match serde_json::to_value(&self.data) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        object.insert("id".into(), self.id.clone().into());
        object.insert(
            "registry_number".into(),
            self.registry_number.clone().into(),
        );
        object.insert("status".into(), self.status.as_str().into());
        object.insert("version".into(), self.version.into());
        object.insert(
            "registered_at".into(),
            serde_json::json!(self.registered_at),
        );
        object.insert("updated_at".into(), serde_json::json!(self.updated_at));
        object.insert(
            "_meta".into(),
            serde_json::json!({
                "withheld": self.withheld.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "purpose": self.purpose.as_str(),
            }),
        );
        serde_json::Value::Object(object)
    }
}

/// Projects `minor` through `mask`. Callers MUST NOT call this with a mask that reads nothing:
/// such a caller has no access to the child at all.
pub fn project(minor: &Minor, mask: Mask, purpose: Purpose) -> MinorView {
    MinorView {
        id: minor.id.clone(),
        registry_number: minor.registry_number.clone(),
        status: minor.status,
        version: minor.version,
        registered_at: minor.registered_at,
        updated_at: minor.updated_at,
        data: minor.data.retain(mask.read),
        withheld: mask.withheld().iter().collect(),
        purpose,
    }
}

/// One revision as a caller may see it: the data through the caller's mask, and only the changed
/// categories the caller may read.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionView {
    pub version: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub changed: Vec<Category>,
    pub data: MinorData,
}

pub fn project_revision(revision: &Revision, mask: Mask) -> RevisionView {
    RevisionView {
        version: revision.version,
        at: revision.at,
        actor: revision.actor.clone(),
        changed: revision
            .changed
            .iter()
            .filter(|c| mask.read.contains(*c))
            .collect(),
        data: revision.data.retain(mask.read),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::CategorySet;

    /// The wire form, written out by hand: the core fields, the categories read (here identity and
    /// photos), nothing else, and `_meta` naming the other thirteen and the purpose.
    #[test]
    fn the_json_holds_the_core_the_categories_read_and_what_is_withheld() {
        let minor = Minor {
            id: "m1".into(),
            registry_number: "UAM-2026-000001".into(),
            status: MinorStatus::Active,
            version: 3,
            registered_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            data: crate::minor::fixtures::full(),
            merged_into: None,
        };
        let mask = Mask {
            read: [Category::Identity, Category::Photos].into_iter().collect(),
            write: CategorySet::EMPTY,
        };
        let json = project(&minor, mask, Purpose::Disappearance).to_json();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "_meta",
                "id",
                "identity",
                "photos",
                "registered_at",
                "registry_number",
                "status",
                "updated_at",
                "version"
            ]
        );
        assert_eq!(json["identity"]["family_name"], "Haile");
        assert_eq!(json["version"], 3);
        assert_eq!(json["status"], "active");
        assert_eq!(json["_meta"]["purpose"], "disappearance");
        assert_eq!(
            json["_meta"]["withheld"],
            serde_json::json!([
                "age_assessment",
                "documents",
                "references",
                "physical",
                "interception",
                "vulnerability",
                "health",
                "contacts",
                "guardianship",
                "placement",
                "procedure",
                "child_view",
                "risk"
            ])
        );
    }
}
