//! The record's schemas, generated from the domain types (schemars) so that the published shape
//! is the one the code parses and writes, and the response shapes built on them.

use serde_json::{Value, json};

/// `MinorData` and every type it uses, plus the response shapes built on it.
pub(super) fn record_schemas() -> serde_json::Map<String, Value> {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let _ = generator.subschema_for::<domain::minor::MinorData>();
    let _ = generator.subschema_for::<domain::alert::Alert>();
    let _ = generator.subschema_for::<domain::lifecycle::Retention>();
    let _ = generator.subschema_for::<domain::usecase::lifecycle::LifecycleView>();
    let _ = generator.subschema_for::<domain::usecase::subject_access::SubjectAccess>();
    let _ = generator.subschema_for::<domain::episode::Absence>();
    let _ = generator.subschema_for::<domain::episode::Task>();
    let _ = generator.subschema_for::<domain::usecase::episodes::PresenceResult>();
    let _ = generator.subschema_for::<domain::alert::packet::Packet>();
    let status = generator
        .subschema_for::<domain::minor::MinorStatus>()
        .to_value();
    let category = generator
        .subschema_for::<domain::category::Category>()
        .to_value();
    let mut schemas = generator.take_definitions(true);
    let data = schemas
        .get("MinorData")
        .cloned()
        .unwrap_or_else(|| json!({}));

    let mut record_properties = data["properties"].as_object().cloned().unwrap_or_default();
    let core = json!({
        "id": {"type": "string"},
        "registry_number": {"type": "string", "examples": ["UAM-2026-000123"]},
        "status": status,
        "version": {"type": "integer", "format": "int64", "minimum": 1},
        "registered_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "_meta": {"$ref": "#/components/schemas/RecordMeta"},
    });
    let required: Vec<&String> = core
        .as_object()
        .map(|c| c.keys().collect())
        .unwrap_or_default();
    let required = json!(required);
    if let Some(core) = core.as_object() {
        record_properties.extend(core.clone());
    }
    schemas.insert(
        "MinorRecord".into(),
        json!({
            "description": "A child's record as the caller may see it: the core fields, one member per \
                            category the caller may read for the stated purpose, and `_meta.withheld` \
                            naming the others.",
            "type": "object",
            "properties": record_properties,
            "required": required,
            "additionalProperties": false,
        }),
    );
    let mut alert = schemas.get("Alert").cloned().unwrap_or_else(|| json!({}));
    alert["properties"]["minor"] = json!({
        "description": "The child's record as the caller may see it for the purpose `disappearance`.",
        "anyOf": [{"$ref": "#/components/schemas/MinorRecord"}, {"type": "null"}],
    });
    if let Some(required) = alert["required"].as_array_mut() {
        required.push(json!("minor"));
    }
    schemas.insert("AlertRecord".into(), alert);
    schemas.insert(
        "RollCallAnswer".into(),
        json!({
            "type": "object",
            "properties": {
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/PresenceResult"}},
            },
            "required": ["children"],
        }),
    );
    schemas.insert(
        "AbsenceList".into(),
        json!({
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Absence"}},
            },
            "required": ["items"],
        }),
    );
    if let Some(task) = schemas.get("Task").cloned() {
        schemas.insert("TaskRecord".into(), task);
    }
    schemas.insert(
        "TaskPage".into(),
        json!({
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}},
                "next": {"type": ["string", "null"], "description": "Cursor of the next page (pass as `after`)."},
            },
            "required": ["items", "next"],
        }),
    );
    schemas.insert(
        "AlertPage".into(),
        json!({
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/AlertRecord"}},
                "next": {"type": ["string", "null"], "description": "Cursor of the next page (pass as `after`)."},
            },
            "required": ["items", "next"],
        }),
    );
    let mut registered = schemas
        .get("MinorRecord")
        .cloned()
        .unwrap_or_else(|| json!({}));
    registered["properties"]["possible_matches"] = json!({
        "description": "Children already registered who may be this one, best first.",
        "type": "array",
        "items": {"$ref": "#/components/schemas/SearchHit"},
    });
    if let Some(required) = registered["required"].as_array_mut() {
        required.push(json!("possible_matches"));
    }
    schemas.insert("RegisteredRecord".into(), registered);
    let mut merged = schemas
        .get("MinorRecord")
        .cloned()
        .unwrap_or_else(|| json!({}));
    merged["properties"]["left_for_owners"] = json!({
        "description": "Categories of the duplicate the merging role may not write: the merge left \
                        them with the duplicate, for the agencies that keep them.",
        "type": "array",
        "items": category,
    });
    if let Some(required) = merged["required"].as_array_mut() {
        required.push(json!("left_for_owners"));
    }
    schemas.insert("MergedRecord".into(), merged);
    schemas.insert(
        "SearchHit".into(),
        json!({
            "type": "object",
            "properties": {
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/MatchReason"}},
                "record": {"$ref": "#/components/schemas/MinorRecord"},
            },
            "required": ["score", "reasons", "record"],
        }),
    );
    schemas.insert(
        "SearchResults".into(),
        json!({
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
            },
            "required": ["items"],
        }),
    );
    schemas.insert(
        "MinorPage".into(),
        json!({
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/MinorRecord"}},
                "next": {"type": ["string", "null"], "description": "Cursor of the next page (pass as `after`)."},
            },
            "required": ["items", "next"],
        }),
    );
    schemas.insert(
        "MinorHistory".into(),
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "revisions": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "version": {"type": "integer", "format": "int64"},
                        "at": {"type": "string", "format": "date-time"},
                        "by": {"$ref": "#/components/schemas/RevisionActor"},
                        "changed": {"type": "array", "items": category},
                        "data": {"$ref": "#/components/schemas/MinorData"},
                    },
                    "required": ["version", "at", "by", "changed", "data"],
                }},
                "_meta": {"$ref": "#/components/schemas/RecordMeta"},
            },
            "required": ["id", "revisions", "_meta"],
        }),
    );
    schemas
}
