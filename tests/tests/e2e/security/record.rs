//! A child's record with every free-text field filled (`tests/data/security/record.json`), written
//! through the API by the roles that may write each part and read back by them: the vehicle of the
//! long-string and injection tests. The text fields are read from the OpenAPI schema of
//! `MinorData`, so that a field added to the record is covered, or the test says it is not.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{TestApp, assert_problem};

const RECORD: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/security/record.json"
));

/// A free-text field: its path as `invalid-params` names it, and its bound in the schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextField {
    pub path: String,
    pub max_chars: usize,
}

impl TextField {
    fn category(&self) -> &str {
        self.path.split('.').next().unwrap()
    }

    /// `identity.aliases[0].name` as a JSON pointer: `/identity/aliases/0/name`.
    fn pointer(&self) -> String {
        format!(
            "/{}",
            self.path
                .replace("[", ".")
                .replace("]", "")
                .replace('.', "/")
        )
    }
}

/// Every free-text field of `MinorData` in the OpenAPI document: strings bounded by `maxLength`,
/// without `pattern`, `enum` or `format`; except `photos` (written only by the photo endpoint) and
/// `references.national_number` (11 digits with a check number).
pub fn text_fields() -> Vec<TextField> {
    let doc = api::openapi::document();
    let schemas = &doc["components"]["schemas"];
    let mut fields = Vec::new();
    walk(schemas, &schemas["MinorData"], "", &mut fields);
    fields.retain(|f| f.category() != "photos" && f.path != "references.national_number");
    assert!(
        fields.len() > 30,
        "the schema walk found too few fields: {fields:?}"
    );
    fields
}

fn resolve<'a>(schemas: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(name) = schema["$ref"].as_str() {
        return resolve(schemas, &schemas[name.rsplit('/').next().unwrap()]);
    }
    if let Some(alternatives) = schema["anyOf"].as_array() {
        let present: Vec<&Value> = alternatives
            .iter()
            .filter(|a| a["type"] != "null")
            .collect();
        if let [only] = present.as_slice() {
            return resolve(schemas, only);
        }
    }
    schema
}

fn has_type(schema: &Value, name: &str) -> bool {
    match &schema["type"] {
        Value::String(t) => t == name,
        Value::Array(types) => types.iter().any(|t| t == name),
        _ => false,
    }
}

fn walk(schemas: &Value, schema: &Value, path: &str, out: &mut Vec<TextField>) {
    let schema = resolve(schemas, schema);
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            let inner = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            walk(schemas, property, &inner, out);
        }
    } else if has_type(schema, "array") {
        walk(schemas, &schema["items"], &format!("{path}[0]"), out);
    } else if has_type(schema, "string")
        && ["pattern", "enum", "format"]
            .iter()
            .all(|k| schema.get(k).is_none())
        && let Some(max) = schema["maxLength"].as_u64()
    {
        out.push(TextField {
            path: path.to_owned(),
            max_chars: usize::try_from(max).unwrap(),
        });
    }
}

/// What one role writes of the record, and how.
#[derive(Debug, Clone)]
pub struct Part {
    pub agency: String,
    pub role: String,
    pub purpose: String,
    /// `POST` (registration) or `PATCH` (merge patch on the registered record).
    pub method: String,
    pub data: Value,
}

impl Part {
    fn owns(&self, field: &TextField) -> bool {
        self.data.get(field.category()).is_some()
    }
}

/// The record, in the parts its writers send.
#[derive(Debug, Clone)]
pub struct Record {
    pub parts: Vec<Part>,
}

impl Record {
    /// The record of the data file; every text field of the schema must have a value in it.
    pub fn load() -> Self {
        let doc: Value = serde_json::from_str(RECORD).unwrap();
        let parts: Vec<Part> = doc["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| Part {
                agency: p["agency"].as_str().unwrap().to_owned(),
                role: p["role"].as_str().unwrap().to_owned(),
                purpose: p["purpose"].as_str().unwrap().to_owned(),
                method: p["method"].as_str().unwrap().to_owned(),
                data: p["data"].clone(),
            })
            .collect();
        let record = Self { parts };
        for field in text_fields() {
            let owners: Vec<&Part> = record.parts.iter().filter(|p| p.owns(&field)).collect();
            assert_eq!(owners.len(), 1, "{} is written by one part", field.path);
            assert!(
                owners[0]
                    .data
                    .pointer(&field.pointer())
                    .is_some_and(Value::is_string),
                "record.json has no value for the text field {}",
                field.path
            );
        }
        record
    }

    /// The record with `value` in every text field.
    pub fn with_text(&self, value: &str) -> Self {
        let mut record = self.clone();
        for field in text_fields() {
            for part in &mut record.parts {
                if let Some(slot) = part.data.pointer_mut(&field.pointer()) {
                    *slot = Value::String(value.to_owned());
                }
            }
        }
        record
    }
}

async fn send(app: &TestApp, part: &Part, id: Option<&str>) -> reqwest::Response {
    let c = &app.client;
    let req = match (part.method.as_str(), id) {
        ("POST", _) => c
            .post(app.url("/v1/minors"))
            .header("content-type", "application/json"),
        (_, Some(id)) => c
            .patch(app.url(&format!("/v1/minors/{id}")))
            .header("content-type", "application/merge-patch+json")
            .header("if-match", crate::helpers::sql::etag(app, id)),
        (method, None) => panic!("{method} needs a record"),
    };
    req.headers(app.auth(&part.agency, &part.role))
        .header("x-purpose", &part.purpose)
        .body(part.data.to_string())
        .send()
        .await
        .unwrap()
}

/// Registers the record of the data file as it is; returns its id.
pub async fn register_clean(app: &TestApp) -> String {
    let record = Record::load();
    let res = send(app, &record.parts[0], None).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let body: Value = res.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// Writes the record with `value` in every text field: registration first, then each other part
/// as a merge patch on the new record (or on `base` when the registration was refused). A part is
/// accepted when `expected` gives a stored form for each of its fields, and then each field reads
/// back exactly so, by the role that wrote it; otherwise it is 400 problem+json whose
/// `invalid-params` name exactly the fields without one. Returns the number of records created.
pub async fn write_and_read(
    app: &TestApp,
    base: &str,
    value: &str,
    expected: impl Fn(&TextField) -> Option<String>,
) -> i64 {
    let fields = text_fields();
    let record = Record::load().with_text(value);
    let mut created: Option<String> = None;
    for part in &record.parts {
        let own: Vec<&TextField> = fields.iter().filter(|f| part.owns(f)).collect();
        let refused: BTreeSet<String> = own
            .iter()
            .filter(|f| expected(f).is_none())
            .map(|f| f.path.clone())
            .collect();
        let target = created.as_deref().unwrap_or(base);
        let res = send(app, part, Some(target)).await;
        let what = format!("{} by {} with {value:?}", part.method, part.role);
        if refused.is_empty() {
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            assert_eq!(
                status,
                if part.method == "POST" { 201 } else { 200 },
                "{what}: {body}"
            );
            if part.method == "POST" {
                created = Some(body["id"].as_str().unwrap().to_owned());
            }
            let id = created.as_deref().unwrap_or(base);
            let read = read(app, part, id).await;
            for field in own {
                assert_eq!(
                    read.pointer(&field.pointer()).and_then(Value::as_str),
                    expected(field).as_deref(),
                    "{what}: {} reads back as stored",
                    field.path
                );
            }
        } else {
            let body = assert_problem(res, 400).await;
            let named: BTreeSet<String> = body["invalid-params"]
                .as_array()
                .unwrap_or(&Vec::new())
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(named, refused, "{what}: the refused fields are named");
        }
    }
    i64::from(created.is_some())
}

async fn read(app: &TestApp, part: &Part, id: &str) -> Value {
    let res = app
        .client
        .get(app.url(&format!("/v1/minors/{id}")))
        .headers(app.auth(&part.agency, &part.role))
        .header("x-purpose", &part.purpose)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}
