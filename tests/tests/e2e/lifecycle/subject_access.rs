//! The child's own access (GDPR Art. 15): everything held, every disclosure, the retention dates,
//! for the guardian or the guardianship service; as JSON and as a page in plain language, in the
//! child's language where a translation exists, rendered here by headless Chromium.

use std::process::Command;

use api::demo::DEMO_CHILDREN;
use rstest_reuse::apply;
use serde_json::Value;

use super::*;
use crate::helpers::sql::audit_rows;
use crate::helpers::{assert_problem, backends};

const SEMHAR: &str = DEMO_CHILDREN[0];
const FARID: &str = DEMO_CHILDREN[1];

/// The page as Chromium builds its DOM from it.
fn rendered(html: &str, dir: &std::path::Path) -> String {
    let file = dir.join("subject-access.html");
    std::fs::write(&file, html).unwrap();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let out = Command::new(&chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap_or_else(|e| panic!("{chromium} is needed (scripts/test installs it): {e}"));
    let dom = String::from_utf8(out.stdout).unwrap();
    assert!(
        dom.contains("<body"),
        "Chromium rendered nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

async fn page(
    app: &TestApp,
    who: (&str, &str),
    query: &str,
    language: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url(&format!("/v1/minors/{SEMHAR}/subject-access{query}")))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", "guardianship")
        .header("accept", "text/html");
    if let Some(language) = language {
        req = req.header("accept-language", language);
    }
    req.send().await.unwrap()
}

#[apply(backends)]
async fn the_guardian_gets_everything_held_and_every_disclosure_as_json_and_as_a_page(
    #[case] backend: Backend,
) {
    let (app, _clock) = on_clock(backend, at(2026, 12, 7, 9)).await;
    let path = format!("/v1/minors/{SEMHAR}/subject-access");
    // A disclosure to find in the export: the police read the record.
    let res = get(
        &app,
        POLICE,
        &format!("/v1/minors/{SEMHAR}"),
        "identification",
    )
    .await;
    assert_eq!(res.status(), 200);

    // Who may not ask: other roles, another purpose, a guardian for a child not a ward.
    for (who, purpose) in [
        (RECEPTION, "care"),
        (POLICE, "identification"),
        (OFFICER, "identification"),
        (GUARDIAN, "care"),
    ] {
        let res = get(&app, who, &path, purpose).await;
        assert_eq!(res.status(), 403, "{who:?} {purpose}");
    }
    let res = get(
        &app,
        GUARDIAN,
        &format!("/v1/minors/{FARID}/subject-access"),
        "guardianship",
    )
    .await;
    assert_problem(res, 403).await;

    let res = get(&app, GUARDIAN, &path, "guardianship").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let export: Value = res.json().await.unwrap();
    // Everything held, whatever the asker reads: the demo record's fifteen categories but
    // documents, references, age assessment, interception, vulnerability (not recorded).
    let mut held: Vec<&str> = export["data"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    held.sort_unstable();
    assert_eq!(
        held,
        vec![
            "child_view",
            "contacts",
            "guardianship",
            "health",
            "identity",
            "physical",
            "placement",
            "procedure",
            "risk"
        ]
    );
    assert_eq!(export["changes"][0]["version"], 1);
    let police_read = export["disclosures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["agency"] == "demo-police" && d["action"] == "read")
        .expect("the police's read is listed");
    assert_eq!(police_read["purpose"], "identification");
    assert!(
        police_read.get("subject").is_none(),
        "agency and role, not the person"
    );
    // Semhar, registered 2026-12-07, is reviewed a year later; she comes of age on 2029-03-14.
    assert_eq!(export["lifecycle"]["review_due"], "2027-12-07");
    assert!(
        export["lifecycle"]["pending"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["rule"] == "restrict-at-majority" && p["on"] == "2029-03-14")
    );
    let entry = audit_rows(&app)
        .into_iter()
        .find(|r| r.action == "subject_access" && r.outcome == "success")
        .expect("the export is audited");
    assert_eq!(entry.agency.as_deref(), Some("demo-guardian"));
    assert!(entry.categories.contains("health"), "{}", entry.categories);

    // The page: her languages (Tigrinya, Arabic) have no translation, so the asker's does;
    // `lang` chooses; an unknown one is refused naming the languages there are.
    let res = page(&app, GUARDIAN, "", Some("nl-BE,nl;q=0.9,en;q=0.5")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-language"], "nl");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let dutch = res.text().await.unwrap();
    let res = page(&app, OFFICER, "?lang=fr", Some("nl")).await;
    assert_eq!(res.headers()["content-language"], "fr");
    let french = res.text().await.unwrap();
    let res = page(&app, OFFICER, "", None).await;
    assert_eq!(res.headers()["content-language"], "en");
    let english = res.text().await.unwrap();
    let problem = assert_problem(page(&app, OFFICER, "?lang=xx", None).await, 400).await;
    assert_eq!(problem["invalid-params"][0]["name"], "lang");
    assert!(
        problem["invalid-params"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("en, fr, nl")
    );

    let dir = tempfile::tempdir().unwrap();
    for (html, lang, record, rights) in [
        (
            &dutch,
            "nl",
            "Wat er over jou geschreven staat",
            "Je rechten",
        ),
        (&french, "fr", "Ce qui est écrit sur toi", "Tes droits"),
        (&english, "en", "What is written about you", "Your rights"),
    ] {
        let dom = rendered(html, dir.path());
        assert!(dom.contains(&format!("<html lang=\"{lang}\"")), "{lang}");
        for section in api::subject_access::SECTIONS {
            assert!(
                dom.contains(&format!("<section id=\"{section}\"")),
                "{lang}: {section}"
            );
        }
        assert!(dom.contains(record) && dom.contains(rights), "{lang}");
        // The values are hers, as held: her name, her medical need, the police's read.
        assert!(dom.contains("Semhar") && dom.contains("asthma") && dom.contains("demo-police"));
        assert!(
            dom.contains("2029-03-14"),
            "{lang}: the date she comes of age"
        );
        assert!(!dom.contains("<script"), "no script");
    }
}
