//! An agency's own system integrated through a client generated from the committed OpenAPI
//! document (openapi-python-client), running the example of docs/integrating.md against a live
//! service: search, register, consult, patch with If-Match, upload a photo, report.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{Backend, spawn_demo};
use crate::openapi::openapi_tool;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

#[tokio::test]
async fn a_generated_python_client_runs_a_reception_centres_day() {
    let app = spawn_demo(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let generated = Command::new(openapi_tool("openapi-python-client"))
        .args(["generate", "--meta", "none", "--path"])
        .arg(format!("{ROOT}/openapi/openapi.json"))
        .arg("--config")
        .arg(format!("{ROOT}/openapi/python-client.yaml"))
        .arg("--output-path")
        .arg(dir.path().join("uam_registry_client"))
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );

    let token = app.idp.token("demo-reception", "reception_staff");
    let url = app.url("");
    let example = format!("{ROOT}/docs/examples/reception_centre.py");
    let dir_path = dir.path().to_owned();
    let run = tokio::task::spawn_blocking(move || {
        Command::new(openapi_tool("python"))
            .arg(example)
            .env("PYTHONPATH", dir_path)
            .env("UAM_URL", url.trim_end_matches('/'))
            .env("UAM_TOKEN", token)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // What the script says it did, checked through the API, independently of the client.
    let done: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let child = done["child"].as_str().unwrap();
    let auth = app.auth("demo-reception", "reception_staff");
    let record = app
        .read(&format!("/v1/minors/{child}"), auth.clone(), Some("care"))
        .await;
    // registered (1), patched (2), photo (3), patched on the photo's version (4).
    assert_eq!(record["version"], 4, "{record}");
    assert_eq!(record["status"], "missing", "{record}");
    assert_eq!(record["physical"]["height_cm"], 149, "{record}");
    assert_eq!(
        record["health"]["medical_needs"], "needs glasses",
        "{record}"
    );
    assert_eq!(
        record["photos"]["items"][0]["id"], done["photo"],
        "{record}"
    );
    let alert = app
        .read(
            &format!("/v1/alerts/{}", done["alert"].as_str().unwrap()),
            auth,
            Some("disappearance"),
        )
        .await;
    assert_eq!(alert["status"], "open", "{alert}");
    assert_eq!(alert["minor_id"], child, "{alert}");
}
