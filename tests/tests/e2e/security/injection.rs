//! Injection (OWASP API8, security misconfiguration; API10 for what other systems receive): SQL
//! metacharacters, NUL bytes, Unicode confusables, bidi overrides and zero-width characters in
//! every text field of a record, in agency names, in search names, in query parameters, in ids in
//! paths and in `X-Purpose` are stored and returned verbatim (NFC, trimmed, as the validation
//! documents) or refused with 400 problem+json; never executed, never a 5xx, and the database is
//! whole afterwards.

use rstest_reuse::apply;
use serde_json::{Value, json};

use super::record::{register_clean, write_and_read};
use super::{count_rows, demo};
use api::demo::DEMO_CHILDREN;

use crate::helpers::{Backend, TestApp, assert_problem, backends};

/// A hostile value and the form it is stored in: `None` when it must be refused.
struct Payload {
    name: &'static str,
    value: &'static str,
    stored: Option<&'static str>,
}

const fn kept(name: &'static str, value: &'static str) -> Payload {
    Payload {
        name,
        value,
        stored: Some(value),
    }
}

const PAYLOADS: [Payload; 11] = [
    kept("SQL comment", "'; DROP TABLE minors; --"),
    kept("SQL tautology", "\" OR 1=1 --"),
    kept(
        "SQL union",
        "x' UNION SELECT subject, purpose FROM audit_log WHERE '1'='1",
    ),
    kept("LIKE wildcards and escapes", "100% _ \\' \\\\ $1 ?"),
    Payload {
        name: "NUL byte",
        value: "Semhar\u{0}Haile",
        stored: None,
    },
    Payload {
        name: "escape sequence",
        value: "Semhar\u{1b}[2J",
        stored: None,
    },
    kept("bidi override", "Semhar \u{202E}eliaH\u{202C}"),
    kept(
        "zero-width characters",
        "Sem\u{200B}har\u{200C}Ha\u{200D}ile\u{2060}\u{FEFF}",
    ),
    kept(
        "Cyrillic confusables",
        "\u{405}\u{435}m\u{4BB}\u{430}r \u{41D}\u{430}\u{456}l\u{435}",
    ),
    Payload {
        name: "decomposed accents",
        value: "  Ame\u{301}lie Do\u{308}rr  ",
        stored: Some("Amélie Dörr"),
    },
    kept(
        "markup and templates",
        "<script>alert(1)</script>{{7*7}}${7*7}",
    ),
];

/// Statuses that prove a hostile value was handled: read (200), nothing there (404), or refused
/// (400); anything else, a 5xx above all, fails.
async fn handled(res: reqwest::Response, what: &str) -> u16 {
    let status = res.status().as_u16();
    if status == 200 {
        return status;
    }
    assert!(
        matches!(status, 400 | 404),
        "{what}: status {status}: {}",
        res.text().await.unwrap()
    );
    assert_problem(res, status).await;
    status
}

fn tables_intact(app: &TestApp, minors: i64) {
    assert_eq!(count_rows(app, "minors"), minors, "no record lost or added");
    assert_eq!(count_rows(app, "agencies"), 8, "the agencies are all there");
    assert!(count_rows(app, "audit_log") > 0);
}

async fn audit_chain_intact(app: &TestApp) {
    let res = app
        .client
        .get(app.url("/v1/audit/verify"))
        .headers(app.auth("registry", "auditor"))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["intact"], true, "{body}");
}

/// API8: each payload in every text field of a record at once (registration and both merge
/// patches), then read back by each writer: verbatim, NFC-normalised and trimmed, or 400 naming
/// every field; the row counts and the audit chain show nothing was executed.
#[apply(backends)]
async fn hostile_text_in_every_record_field_is_stored_verbatim_or_refused(
    #[case] backend: Backend,
) {
    let app = demo(backend).await;
    let base = register_clean(&app).await;
    let mut minors = 3;
    for p in &PAYLOADS {
        let stored = p.stored.map(str::to_owned);
        minors += write_and_read(&app, &base, p.value, |_| stored.clone()).await;
        tables_intact(&app, minors);
    }
    audit_chain_intact(&app).await;
}

/// API8: payloads in codes, slugs, dates and enumerations of a record, in agency ids and names,
/// in a disappearance report and its resolution, in the duplicate named by a merge, and in search
/// names: codes and slugs are refused with 400 naming the field, texts kept as the record's are
/// (normalised) or refused with 400, unknown ids are 404.
#[apply(backends)]
async fn hostile_values_in_codes_agencies_alerts_and_searches_are_refused_or_kept(
    #[case] backend: Backend,
) {
    let app = demo(backend).await;
    let c = &app.client;
    let registration = super::record::Record::load().parts[0].data.clone();
    let coded: [(&str, &str, Value); 10] = [
        (
            "/identity/nationalities/0",
            "reception_staff",
            registration.clone(),
        ),
        (
            "/identity/languages/0",
            "reception_staff",
            registration.clone(),
        ),
        (
            "/identity/names_original_script/0/script",
            "reception_staff",
            registration.clone(),
        ),
        (
            "/identity/place_of_birth/country",
            "reception_staff",
            registration.clone(),
        ),
        (
            "/identity/date_of_birth",
            "reception_staff",
            registration.clone(),
        ),
        ("/identity/sex", "reception_staff", registration.clone()),
        (
            "/contacts/phone_numbers/0",
            "reception_staff",
            registration.clone(),
        ),
        (
            "/contacts/family_members/0/country",
            "reception_staff",
            registration.clone(),
        ),
        ("/risk/level", "reception_staff", registration.clone()),
        (
            "/guardianship/guardian_agency",
            "guardianship_officer",
            json!({"identity": registration["identity"], "guardianship": {"guardian_agency": "x"}}),
        ),
    ];
    for (i, p) in PAYLOADS.iter().enumerate() {
        for (pointer, role, data) in &coded {
            let mut data = data.clone();
            *data.pointer_mut(pointer).unwrap() = json!(p.value);
            let (agency, purpose) = match *role {
                "reception_staff" => ("demo-reception", "care"),
                _ => ("demo-guardianship", "guardianship"),
            };
            let res = c
                .post(app.url("/v1/minors"))
                .headers(app.auth(agency, role))
                .header("x-purpose", purpose)
                .json(&data)
                .send()
                .await
                .unwrap();
            let body = assert_problem(res, 400).await;
            let field = pointer[1..].replace('/', ".").replace(".0", "[0]");
            let named = body["invalid-params"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|x| field.starts_with(x["name"].as_str().unwrap_or("-")))
            });
            assert!(named, "{}: {field} is named: {body}", p.name);
        }

        // Agencies: an id is a slug (400); a name is kept as sent, trimmed, or refused.
        let res = app.create_agency(p.value, "police").await;
        let body = assert_problem(res, 400).await;
        assert_eq!(body["invalid-params"][0]["name"], "id", "{body}");
        let id = format!("hostile-{i}");
        let res = c
            .post(app.url("/v1/agencies"))
            .headers(app.admin())
            .json(&json!({"id": id, "kind": "police", "name": p.value, "country": "BE"}))
            .send()
            .await
            .unwrap();
        if p.value.contains(['\u{0}', '\u{1b}']) {
            let body = assert_problem(res, 400).await;
            assert_eq!(body["invalid-params"][0]["name"], "name", "{body}");
        } else {
            assert_eq!(res.status(), 201, "{}", p.name);
            let got: Value = c
                .get(app.url(&format!("/v1/agencies/{id}")))
                .headers(app.admin())
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(got["name"], p.value.trim(), "{}", p.name);
            exec_delete_agency(&app, &id);
        }

        // A disappearance report and its resolution: the texts are kept, normalised, or refused.
        let res = c
            .post(app.url(&format!("/v1/minors/{}/disappearances", DEMO_CHILDREN[1])))
            .headers(app.auth("demo-police", "police_officer"))
            .header("x-purpose", "disappearance")
            .json(
                &json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": p.value,
                          "circumstances": p.value}),
            )
            .send()
            .await
            .unwrap();
        match p.stored {
            None => {
                assert_problem(res, 400).await;
            }
            Some(stored) => {
                assert_eq!(res.status(), 201, "{}", p.name);
                let alert: Value = res.json().await.unwrap();
                assert_eq!(alert["last_seen_place"], stored, "{}", p.name);
                assert_eq!(alert["circumstances"], stored, "{}", p.name);
                let res = c
                    .post(app.url(&format!(
                        "/v1/alerts/{}/resolution",
                        alert["id"].as_str().unwrap()
                    )))
                    .headers(app.auth("demo-police", "police_officer"))
                    .header("x-purpose", "disappearance")
                    .json(&json!({"outcome": "reported_in_error", "note": p.value}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201, "{}", p.name);
                let alert: Value = res.json().await.unwrap();
                assert_eq!(alert["resolution"]["note"], stored, "{}", p.name);
            }
        }

        // A merge naming a hostile duplicate: no such record.
        let res = c
            .post(app.url(&format!("/v1/minors/{}/merge", DEMO_CHILDREN[0])))
            .headers(app.auth("demo-guardianship", "guardianship_officer"))
            .header("x-purpose", "identification")
            .json(&json!({"duplicate": p.value}))
            .send()
            .await
            .unwrap();
        assert_eq!(handled(res, p.name).await, 404, "{}", p.name);

        // Search: names in any form are compared, never executed.
        let res = c
            .post(app.url("/v1/minors/search"))
            .headers(app.auth("demo-guardianship", "guardianship_officer"))
            .header("x-purpose", "identification")
            .json(&json!({"names": [p.value], "distinguishing_marks": [p.value]}))
            .send()
            .await
            .unwrap();
        handled(res, p.name).await;
    }
    tables_intact(&app, 2);
    audit_chain_intact(&app).await;
}

fn exec_delete_agency(app: &TestApp, id: &str) {
    crate::helpers::sql::exec(app, &format!("DELETE FROM agencies WHERE id = '{id}'"));
}

/// API8: payloads in every list filter, cursor and page size, in ids in paths and in
/// `X-Purpose`: 400 (or an empty or 404 answer for a value that is only compared), never a 5xx;
/// the tables are whole afterwards.
#[apply(backends)]
async fn hostile_query_parameters_path_ids_and_purpose_are_refused(#[case] backend: Backend) {
    let app = demo(backend).await;
    let c = &app.client;
    let officer = || app.auth("demo-guardianship", "guardianship_officer");
    let police = || app.auth("demo-police", "police_officer");
    let child = DEMO_CHILDREN[0];
    let access_log = format!("/v1/minors/{child}/access-log");
    let listings: [(&str, &str, &[&str]); 4] = [
        (
            "/v1/minors",
            "identification",
            &[
                "status",
                "placement_agency",
                "nationality",
                "registered_since",
                "after",
                "limit",
            ],
        ),
        (
            "/v1/alerts",
            "disappearance",
            &["status", "risk", "agency", "after", "limit"],
        ),
        ("/v1/agencies", "identification", &["after", "limit"]),
        (&access_log, "guardianship", &["after", "limit"]),
    ];
    // RFC 9110, 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, in a list.
    let tags = regex::Regex::new(
        r#"^[ \t]*(W/)?"[\x21\x23-\x7e\x80-\xff]*"([ \t]*,[ \t]*(W/)?"[\x21\x23-\x7e\x80-\xff]*")*[ \t]*$"#,
    )
    .unwrap();
    for p in &PAYLOADS {
        for (path, purpose, params) in &listings {
            for param in *params {
                let headers = if path.contains("alerts") {
                    police()
                } else if path.contains("access-log") {
                    app.auth("demo-guardian", "guardian")
                } else {
                    officer()
                };
                let res = c
                    .get(app.url(path))
                    .query(&[(*param, p.value)])
                    .headers(headers)
                    .header("x-purpose", *purpose)
                    .send()
                    .await
                    .unwrap();
                let what = format!("{path}?{param}= {}", p.name);
                let status = handled(res, &what).await;
                // Only the alert listing's agency is compared as given (no match, empty page).
                assert!(
                    status == 400 || (*param == "agency" && status == 200),
                    "{what}: {status}"
                );
            }
        }

        // Ids in paths, percent-encoded: nothing there.
        for path in [
            "/v1/minors/{}",
            "/v1/minors/{}/history",
            "/v1/agencies/{}",
            "/v1/alerts/{}",
        ] {
            let url = app.url(&path.replace("{}", &encode(p.value)));
            let (headers, purpose) = if path.starts_with("/v1/alerts") {
                (police(), "disappearance")
            } else {
                (officer(), "identification")
            };
            let res = c
                .get(url)
                .headers(headers)
                .header("x-purpose", purpose)
                .send()
                .await
                .unwrap();
            let what = format!("{path} with {}", p.name);
            let status = handled(res, &what).await;
            assert_ne!(status, 200, "{what}");
        }

        // X-Purpose: a header value may not hold NUL or escape bytes at all (HTTP refuses them
        // before the service); any other value is an unknown purpose. If-Match: a value that is
        // no entity-tag list is 400 naming it, whatever the purpose; one that parses but names no
        // version of this API is judged after the purpose (400 without one), then 412, audited.
        if let Ok(value) = reqwest::header::HeaderValue::from_bytes(p.value.as_bytes()) {
            let patch = |purpose: Option<&str>| {
                let mut req = c
                    .patch(app.url(&format!("/v1/minors/{child}")))
                    .headers(app.auth("demo-guardian", "guardian"))
                    .header("if-match", value.clone())
                    .header("content-type", "application/merge-patch+json")
                    .body(r#"{"child_view": {"heard_by": "An Peeters"}}"#);
                if let Some(purpose) = purpose {
                    req = req.header("x-purpose", purpose);
                }
                req.send()
            };
            let malformed = !tags.is_match(p.value);
            let body = assert_problem(patch(None).await.unwrap(), 400).await;
            let named = if malformed { "If-Match" } else { "X-Purpose" };
            assert_eq!(body["invalid-params"][0]["name"], named, "{body}");
            let res = patch(Some("guardianship")).await.unwrap();
            let id = super::request_id(&res);
            if malformed {
                let body = assert_problem(res, 400).await;
                assert_eq!(body["invalid-params"][0]["name"], "If-Match", "{body}");
            } else {
                assert_problem(res, 412).await;
                let rows = crate::helpers::sql::audit_rows(&app);
                let entry = rows.iter().find(|r| r.request_id == id).expect("audited");
                assert_eq!(
                    (entry.action.as_str(), entry.outcome.as_str()),
                    ("amend", "rejected")
                );
            }

            let res = c
                .get(app.url(&format!("/v1/minors/{child}")))
                .headers(officer())
                .header("x-purpose", value)
                .send()
                .await
                .unwrap();
            let body = assert_problem(res, 400).await;
            assert_eq!(body["invalid-params"][0]["name"], "X-Purpose", "{body}");
        }
    }
    tables_intact(&app, 2);
    audit_chain_intact(&app).await;
}

/// Percent-encodes every byte but unreserved ASCII, so that the value arrives as one path segment.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
