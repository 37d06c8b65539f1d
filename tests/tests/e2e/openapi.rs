//! The OpenAPI document: committed, served, and the interactive docs with vendored assets.

use crate::helpers::{Backend, spawn_app};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");

/// Fails when the committed document differs from what the code generates. To accept a change:
/// `UPDATE_OPENAPI=1 cargo nextest run --workspace -E 'test(openapi)'`, then review the diff.
#[test]
fn committed_document_matches_the_code() {
    let generated = api::openapi::document_json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale; regenerate it with UPDATE_OPENAPI=1 (see this test's doc)"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
}

/// Every operation has an `operationId` of its own (the specification requires them unique, and
/// generated clients name their functions after them), named `<resource>_<action>`.
#[test]
fn every_operation_has_its_own_operation_id() {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(COMMITTED).unwrap()).unwrap();
    let shape = regex::Regex::new("^[a-z]+(_[a-z]+)+$").unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(
                shape.is_match(id),
                "{method} {path}: `{id}` is not <resource>_<action>"
            );
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("`{id}` names both {other} and {method} {path}");
            }
        }
    }
    assert!(seen.len() > 40, "{} operations read", seen.len());
}

#[tokio::test]
async fn serves_the_document_and_the_docs() {
    let app = spawn_app(Backend::Sqlite).await;
    let served: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(COMMITTED).unwrap()).unwrap();
    assert_eq!(served, committed);

    let res = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(res.status(), 308);
    let res = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    // The assets come from the binary, not from a CDN.
    for asset in [
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/docs/swagger-initializer.js",
    ] {
        let res = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        assert!(res.bytes().await.unwrap().len() > 100, "{asset}");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets: {html}"
    );
}

/// The AsyncAPI document names every event type the domain raises, and the topic pattern.
#[test]
fn asyncapi_lists_every_event_type_and_the_topic() {
    use domain::alert::EventType;
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/asyncapi.yaml"
    ))
    .unwrap();
    assert!(doc.starts_with("asyncapi: 3."));
    for t in [
        EventType::Raised,
        EventType::Updated,
        EventType::Acknowledged,
        EventType::Escalated,
        EventType::Sighting,
        EventType::Resolved,
        EventType::MeasuresOverdue,
        EventType::PossibleMatch,
        EventType::ReviewDue,
        EventType::SightingGraded,
        EventType::AppealPublished,
        EventType::AbsenceOverdue,
        EventType::AbsenceEscalated,
        EventType::AbsenceClosed,
        EventType::TaskCreated,
        EventType::TaskCompleted,
        EventType::TaskOverdue,
    ] {
        assert!(
            doc.contains(&format!("name: {}", t.as_str())),
            "{} has a message",
            t.as_str()
        );
        assert!(
            doc.contains(&format!("- {}", t.as_str())),
            "{} is in the type enum",
            t.as_str()
        );
    }
    assert!(doc.contains("address: 'uam.alerts.{agencyId}'"));
    assert_eq!(
        domain::usecase::subscriptions::topic_for(
            &domain::agency::AgencyId::parse("pz-gent").unwrap()
        ),
        "uam.alerts.pz-gent"
    );
}

fn committed() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(COMMITTED).unwrap()).unwrap()
}

/// Each operation of the committed document, as `(path, method, operation)`.
fn operations(doc: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    assert!(all.len() > 40, "{} operations read", all.len());
    all
}

/// What a generator and a reader need of every operation: a description on every answer, an
/// example of every JSON request body and success answer, the success media types the service
/// really answers with (the table its `Accept` check uses), an enum for `X-Purpose`, and no Rust
/// markup in the prose.
#[test]
fn every_answer_is_described_typed_and_exemplified() {
    let doc = committed();
    let mut faults = Vec::new();
    for (path, method, operation) in operations(&doc) {
        let at = format!("{} {path}", method.to_uppercase());
        for (status, response) in operation["responses"].as_object().unwrap() {
            let response = match response["$ref"].as_str() {
                Some(name) => &doc["components"]["responses"][name.rsplit('/').next().unwrap()],
                None => response,
            };
            if response["description"].as_str().unwrap_or_default().len() < 10 {
                faults.push(format!("{at} {status}: no description"));
            }
            if !status.starts_with('2') {
                continue;
            }
            let content = response["content"].as_object().cloned().unwrap_or_default();
            let mut declared: Vec<&str> = content.keys().map(String::as_str).collect();
            declared.sort_unstable();
            let method_ =
                actix_web::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut offered = api::http::offered(&path, &method_).to_vec();
            offered.sort_unstable();
            if status != "204" && declared != offered {
                faults.push(format!(
                    "{at} {status}: declares {declared:?}, answers {offered:?}"
                ));
            }
            for (media, body) in &content {
                if media.contains("json") && body.get("example").is_none() {
                    faults.push(format!("{at} {status} {media}: no example"));
                }
                if !media.contains("json") && body["schema"]["type"] != "string" {
                    faults.push(format!("{at} {status} {media}: not a string body"));
                }
            }
        }
        if let Some(content) = operation["requestBody"]["content"].as_object() {
            for (media, body) in content {
                if media.contains("json") && body.get("example").is_none() {
                    faults.push(format!("{at} request {media}: no example"));
                }
                if media.starts_with("image/") && body["schema"]["format"] != "binary" {
                    faults.push(format!("{at} request {media}: not binary"));
                }
            }
        }
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            if parameter["name"] == "X-Purpose" && !parameter["schema"]["enum"].is_array() {
                faults.push(format!("{at}: X-Purpose without its enum"));
            }
        }
    }
    let text = doc.to_string();
    for markup in ["[`", "`]"] {
        if text.contains(markup) {
            faults.push(format!("Rust doc markup `{markup}` in the document"));
        }
    }
    assert!(doc["servers"][0]["url"].is_string(), "no servers");
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// The enums the service enforces are enums in the document, with the values it accepts.
#[test]
fn enforced_values_are_enums() {
    let doc = committed();
    let schemas = &doc["components"]["schemas"];
    let values = |v: &serde_json::Value| -> Vec<String> {
        v["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("no enum in {v}"))
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        values(&schemas["ReportBody"]["properties"]["risk"]),
        ["low", "medium", "high"]
    );
    assert_eq!(
        values(&schemas["ResolutionBody"]["properties"]["outcome"]),
        [
            "found_safe",
            "found_harmed",
            "returned",
            "located_abroad",
            "deceased",
            "reported_in_error"
        ]
    );
    assert!(values(&schemas["SearchBody"]["properties"]["sex"]).contains(&"female".to_owned()));
    let series = &doc["paths"]["/v1/statistics/{figure}"]["get"]["parameters"];
    let by = series
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "by")
        .unwrap();
    assert!(
        values(&by["schema"]).contains(&"nationality".to_owned()),
        "{by}"
    );
}

/// A tool of the OpenAPI checks (openapi-spec-validator, openapi-python-client, their python):
/// in `OPENAPI_TOOLS` if set, else in the virtual environment `scripts/test` installs.
pub fn openapi_tool(name: &str) -> std::path::PathBuf {
    let dir = crate::helpers::installed_tool("OPENAPI_TOOLS", "openapi/bin");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is needed (scripts/test installs it)",
        path.display()
    );
    path
}

/// openapi-spec-validator takes the committed document as it is (it refused the one with shared
/// operationIds).
#[test]
fn the_document_passes_openapi_spec_validator() {
    let out = std::process::Command::new(openapi_tool("openapi-spec-validator"))
        .arg(COMMITTED)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(": OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
