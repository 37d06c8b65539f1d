//! The one projection of a record through a caller's mask, and the views it produces: what a
//! record, a revision or a history shows a caller, in the form every output serialises (REST
//! answers, search hits, alerts, events), by serde alone.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::category::Category;
use crate::minor::{MinorData, MinorStatus};
use crate::policy::Mask;
use crate::purpose::Purpose;
use crate::record::{Actor, Minor, Revision};

/// What a caller may see of a record: the core fields, the readable categories (one member each),
/// and `_meta` with the names of the withheld ones (never their values) and the purpose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MinorView {
    pub id: String,
    pub registry_number: String,
    pub status: MinorStatus,
    pub version: i64,
    #[serde(with = "crate::time::micros")]
    pub registered_at: DateTime<Utc>,
    #[serde(with = "crate::time::micros")]
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub data: MinorData,
    #[serde(rename = "_meta")]
    pub meta: ViewMeta,
}

/// `_meta` of a view: what was withheld from the caller, and the purpose it read for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViewMeta {
    /// Categories withheld from this caller for this purpose (names only, never values).
    pub withheld: Vec<Category>,
    /// The purpose the record was read for.
    pub purpose: Purpose,
}

impl ViewMeta {
    fn of(mask: Mask, purpose: Purpose) -> Self {
        Self {
            withheld: mask.withheld().iter().collect(),
            purpose,
        }
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
        meta: ViewMeta::of(mask, purpose),
    }
}

/// One revision as a caller may see it: the data through the caller's mask, and only the changed
/// categories the caller may read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionView {
    pub version: i64,
    #[serde(with = "crate::time::micros")]
    pub at: DateTime<Utc>,
    /// Who changed the record, and why.
    #[serde(rename = "by")]
    pub actor: Actor,
    /// Changed categories the caller may read.
    pub changed: Vec<Category>,
    /// The record's categories after this revision, through the caller's mask.
    pub data: MinorData,
    /// Categories the caller may read whose values were redacted from this revision
    /// (rectification): the marker that stands in for them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<Category>,
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
        redacted: revision.redacted.intersection(mask.read).iter().collect(),
    }
}

/// A record's revisions as the caller may see them, and what is withheld from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryView {
    pub id: String,
    pub revisions: Vec<RevisionView>,
    #[serde(rename = "_meta")]
    pub meta: ViewMeta,
}

impl HistoryView {
    /// The history of record `id` through `mask`: a revision that changed only withheld
    /// categories is not shown at all (its time and author would tell when, and by whom,
    /// something the caller may not read was edited); one that changed no category, such as a
    /// merge closing a duplicate, is shown.
    pub fn of(id: &str, revisions: &[Revision], mask: Mask, purpose: Purpose) -> Self {
        Self {
            id: id.to_owned(),
            revisions: revisions
                .iter()
                .filter(|r| r.changed.is_empty() || r.changed.iter().any(|c| mask.read.contains(c)))
                .map(|r| project_revision(r, mask))
                .collect(),
            meta: ViewMeta::of(mask, purpose),
        }
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
            lifecycle: Default::default(),
        };
        let mask = Mask {
            read: [Category::Identity, Category::Photos].into_iter().collect(),
            write: CategorySet::EMPTY,
        };
        let json = serde_json::to_value(project(&minor, mask, Purpose::Disappearance)).unwrap();
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
