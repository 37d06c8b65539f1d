//! What the handlers' annotations leave out of the document, added in one place: `servers`, the
//! media types answered besides JSON (from the same table the `Accept` check uses), binary
//! bodies, the enums the service enforces, a description on every answer, and the examples of
//! `openapi/answers.json` (what each operation answers on success, with a realistic request and
//! answer taken from the demo data).

use serde_json::{Map, Value, json};

use domain::alert::{AlertStatus, ResolutionOutcome};
use domain::minor::{RiskLevel, Sex};
use domain::purpose::Purpose;
use domain::statistics::{Dimension, Figure};

/// Per `operationId`: `description` of the success answer, and the `request` and `response`
/// examples (absent for an operation without a body, or whose answer is not JSON).
const ANSWERS: &str = include_str!("../../../openapi/answers.json");

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

pub(super) fn apply(doc: &mut Value) {
    doc["servers"] = json!([{
        "url": "http://127.0.0.1:8080",
        "description": "The service on its default bind address (`bind`, README); an agency's \
                        deployment has its own base URL",
    }]);
    enums(doc);
    media_types(doc);
    not_acceptable(doc);
    problem_descriptions(doc);
    answers(doc);
}

/// The values a domain enum accepts, as its JSON schema (schemars) lists them.
fn variants<T: schemars::JsonSchema>() -> Vec<Value> {
    let schema = schemars::schema_for!(T).to_value();
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.clone();
    }
    schema
        .get("oneOf")
        .and_then(Value::as_array)
        .map(|alternatives| {
            alternatives
                .iter()
                .filter_map(|a| {
                    a.get("const")
                        .cloned()
                        .or_else(|| a.get("enum").and_then(|e| e.get(0)).cloned())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn strings(names: impl IntoIterator<Item = &'static str>) -> Vec<Value> {
    names.into_iter().map(Value::from).collect()
}

/// Sets `values` as the enum of `schema`, with `null` among them when the schema admits null.
fn restrict(schema: &mut Value, values: &[Value]) {
    let mut values = values.to_vec();
    let nullable = schema["type"]
        .as_array()
        .is_some_and(|types| types.iter().any(|t| t == "null"));
    if nullable {
        values.push(Value::Null);
    }
    schema["enum"] = Value::Array(values);
}

fn enums(doc: &mut Value) {
    let risk = variants::<RiskLevel>();
    let outcome = variants::<ResolutionOutcome>();
    let properties = [
        ("ReportBody", "risk", &risk),
        ("UnregisteredReportBody", "risk", &risk),
        ("AlertPatch", "risk", &risk),
        ("ResolutionBody", "outcome", &outcome),
        ("SearchBody", "sex", &variants::<Sex>()),
    ];
    for (schema, property, values) in properties {
        restrict(
            &mut doc["components"]["schemas"][schema]["properties"][property],
            values,
        );
    }
    let purposes = strings(Purpose::ALL.map(Purpose::as_str));
    let dimensions = strings(Dimension::ALL.map(Dimension::as_str));
    let figures = strings(Figure::ALL.map(Figure::as_str));
    let parameters: [(&str, &str, Vec<Value>); 8] = [
        ("X-Purpose", "", purposes),
        ("status", "alerts_list", variants::<AlertStatus>()),
        ("risk", "alerts_list", risk.clone()),
        ("by", "statistics_", dimensions.clone()),
        ("split", "statistics_", dimensions),
        ("figure", "statistics_", figures),
        (
            "format",
            "statistics_series",
            strings(["json", "csv", "svg"]),
        ),
        ("format", "statistics_chart", strings(["svg"])),
    ];
    for_each_operation(doc, |_, _, operation| {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let Some(params) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            return;
        };
        for param in params {
            let name = param["name"].as_str().unwrap_or_default();
            if let Some((_, _, values)) = parameters
                .iter()
                .find(|(n, prefix, _)| *n == name && id.starts_with(prefix))
            {
                restrict(&mut param["schema"], values);
            }
        }
    });
}

fn binary() -> Value {
    json!({"schema": {"type": "string", "format": "binary"}})
}

fn text() -> Value {
    json!({"schema": {"type": "string"}})
}

/// The success media types of each operation, as `http::offered` (the table the `Accept` check
/// uses) lists them: text types as strings, images as binary. Two places where annotations fall
/// short are filled by name: utoipa keeps one body per status, so the alert's JSON schema beside
/// its CAP form; and the photo upload's request types, which the answer table does not cover.
fn media_types(doc: &mut Value) {
    for_each_operation(doc, |path, method, operation| {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if id == "minors_add_photo" {
            operation["requestBody"]["content"] =
                json!({"image/jpeg": binary(), "image/png": binary()});
        }
        let Some(ok) = operation
            .get_mut("responses")
            .and_then(|r| r.get_mut("200"))
            .map(|r| &mut r["content"])
        else {
            return;
        };
        if id == "alerts_get" {
            ok["application/json"] =
                json!({"schema": {"$ref": "#/components/schemas/AlertRecord"}});
        }
        let Ok(method) = actix_web::http::Method::from_bytes(method.to_uppercase().as_bytes())
        else {
            return;
        };
        for media in crate::http::offered(path, &method) {
            if media.starts_with("image/") && *media != "image/svg+xml" {
                ok[*media] = binary();
            } else if ok.get(*media).is_none() {
                ok[*media] = text();
            }
        }
    });
}

/// Every operation may answer 406 when `Accept` admits none of its media types.
fn not_acceptable(doc: &mut Value) {
    doc["components"]["responses"]["NotAcceptable"] = json!({
        "description": "`Accept` admits none of the media types this operation answers with; the \
                        problem names them",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    });
    for_each_operation(doc, |_, _, operation| {
        operation["responses"]["406"] = json!({"$ref": "#/components/responses/NotAcceptable"});
    });
}

/// What a failure means, by status, for every problem answer the annotations leave undescribed.
fn problem_descriptions(doc: &mut Value) {
    for_each_operation(doc, |_, _, operation| {
        let Some(responses) = operation["responses"].as_object_mut() else {
            return;
        };
        for (status, response) in responses.iter_mut() {
            let described = response
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.is_empty());
            if described || response.get("$ref").is_some() {
                continue;
            }
            if let Some(text) = failure(status) {
                response["description"] = Value::from(text);
            }
        }
    });
}

fn failure(status: &str) -> Option<&'static str> {
    Some(match status {
        "400" => {
            "The request is malformed or a value is not accepted: `invalid-params` names each \
             field, parameter or header (`X-Purpose`, `If-Match`) and says what would be"
        }
        "401" => "No valid bearer token: missing, expired, or not signed by a key of the JWKS",
        "403" => {
            "Refused by the access policy for the caller's role, agency, purpose and relation to \
             the child, and audited; `accepted_purposes` lists the purposes that would be \
             accepted when the purpose was the reason"
        }
        "404" => "No such resource, or none the caller may know of",
        "409" => "The request does not fit the state of what it acts on; `detail` says why",
        "410" => {
            "The events after `Last-Event-ID` are no longer kept; `oldest_available_id` names \
             the oldest still available"
        }
        "412" => {
            "The record changed since the version named by `If-Match`: `current_version` and \
             the `ETag` header name the current one; fetch it, redo the change, send it again"
        }
        "413" => "The body is larger than this operation accepts",
        "415" => "The body's `Content-Type` is not one this operation reads",
        "422" => "The photo is not a JPEG or PNG image that can be decoded",
        "428" => "`If-Match` is required: send the ETag of the version the change is based on",
        "502" => "The subscription's receiver did not take the event; `detail` gives its answer",
        "503" => {
            "The database or the audit trail cannot be reached: nothing was done or disclosed; \
             retry later"
        }
        _ => return None,
    })
}

/// The success answers' descriptions and the examples of `openapi/answers.json`.
fn answers(doc: &mut Value) {
    let answers: Map<String, Value> = serde_json::from_str(ANSWERS).unwrap_or_default();
    for_each_operation(doc, |_, _, operation| {
        let id = operation["operationId"].as_str().unwrap_or_default();
        let Some(answer) = answers.get(id) else {
            return;
        };
        if let Some(request) = answer.get("request")
            && let Some(content) = operation["requestBody"]["content"].as_object_mut()
        {
            for (media, body) in content.iter_mut() {
                if media.contains("json") {
                    body["example"] = request.clone();
                }
            }
        }
        let Some(responses) = operation["responses"].as_object_mut() else {
            return;
        };
        for (status, response) in responses.iter_mut() {
            if !status.starts_with('2') {
                continue;
            }
            if let Some(description) = answer.get("description") {
                response["description"] = description.clone();
            }
            if let Some(example) = answer.get("response")
                && let Some(json) = response
                    .get_mut("content")
                    .and_then(|c| c.get_mut("application/json"))
            {
                json["example"] = example.clone();
            }
        }
    });
}

/// Calls `f(path, method, operation)` for every operation of the document.
fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Value)) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(operation) = item.get_mut(method) {
                f(path, method, operation);
            }
        }
    }
}
