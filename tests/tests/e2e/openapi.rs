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
