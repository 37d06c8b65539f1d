//! The OpenAPI 3.1 document, generated from the handlers and DTOs.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use serde_json::{Value, json};

use crate::problem::{InvalidParam, Problem};
use crate::routes::{
    agencies, alerts, audit, health, merge, minors, policy, search, statistics, subscriptions,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "UAM Registry",
        description = "Shared identification records of unaccompanied minors, field-level access by role \
                       and purpose, and disappearance alerts across agencies.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    paths(
        health::live,
        health::ready,
        agencies::list,
        agencies::create,
        agencies::get,
        minors::register,
        search::search,
        minors::list,
        minors::get,
        minors::patch,
        minors::history,
        merge::merge,
        minors::add_photo,
        minors::photo,
        policy::effective,
        audit::access_log,
        audit::verify,
        audit::oversight,
        alerts::report,
        alerts::report_unregistered,
        alerts::list,
        alerts::get,
        alerts::acknowledge,
        alerts::sighting,
        alerts::update,
        alerts::resolve,
        alerts::stream,
        subscriptions::create,
        subscriptions::confirm,
        subscriptions::list,
        subscriptions::get,
        subscriptions::delete,
        subscriptions::change,
        subscriptions::ping,
        subscriptions::dead_letters,
        subscriptions::dead_letter_failing,
        subscriptions::replay_all,
        subscriptions::replay_one,
        subscriptions::discard,
        statistics::series,
        statistics::chart,
    ),
    components(schemas(Problem, InvalidParam, minors::RecordMeta, minors::RevisionActor, search::ReasonBody)),
    modifiers(&BearerAuth, &RateLimited),
    tags(
        (name = "health", description = "Probes for orchestrators"),
        (name = "agencies", description = "The administrations that share the registry"),
        (name = "minors", description = "Children's records, through the caller's field mask"),
        (name = "policy", description = "The access rules in force"),
        (name = "audit", description = "Who saw what of a child, and the integrity of the audit trail"),
        (name = "alerts", description = "Disappearance reports and the alerts that follow"),
        (name = "subscriptions", description = "Agencies receiving the alert stream by webhook or Kafka: made or confirmed by the receiving agency itself"),
        (name = "statistics", description = "Aggregated figures for analysts, small cells suppressed"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT signed with RS256, ES256 or EdDSA by a key of the configured JWKS, with \
                         claims sub, agency, role, iss, aud and exp.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every `/v1` operation may be refused by the rate limits (`crate::ratelimit`): 429 problem+json
/// with `Retry-After`. The health probes are never limited.
struct RateLimited;

impl Modify for RateLimited {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{
            ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, ResponseBuilder, Type,
        };
        let response = ResponseBuilder::new()
            .description(
                "Over the rate limit: the subject's budget, or the source address's budget of \
                 failed authentications",
            )
            .header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1)),
                    )
                    .description(Some(
                        "Seconds to wait before the next request may be allowed",
                    ))
                    .build(),
            )
            .content(
                crate::problem::PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .responses
            .insert("TooManyRequests".to_owned(), response.into());
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1") {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                operation.responses.responses.insert(
                    "429".to_owned(),
                    Ref::from_response_name("TooManyRequests").into(),
                );
            }
        }
    }
}

/// The document as served at `/openapi.json` and committed as `openapi/openapi.json`: utoipa's
/// paths, with the record's schemas generated from the domain types (schemars), so that the
/// published shape is the one the code parses and writes.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let schemas = &mut doc["components"]["schemas"];
    for (name, schema) in record_schemas() {
        schemas[name] = schema;
    }
    doc
}

/// The committed form: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

/// `MinorData` and every type it uses, plus the response shapes built on it.
fn record_schemas() -> serde_json::Map<String, Value> {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let _ = generator.subschema_for::<domain::minor::MinorData>();
    let _ = generator.subschema_for::<domain::alert::Alert>();
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
                "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/ReasonBody"}},
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
