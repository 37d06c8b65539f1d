//! The police packet (issue 21, docs/episodes.md "Police packet"): `GET /v1/alerts/{id}/packet`
//! lists exactly the fields the caller may read, compared with what `GET /v1/minors/{id}` and
//! `GET /v1/alerts/{id}` show the same caller for the same purpose, and names the missing ones
//! (`not_recorded` or `withheld`, written out by hand below); other roles are refused and the
//! refusals audited; the guardian finds each packet, with its categories, in the child's access
//! log; the printable page holds the values and the missing list, escaped, and no script.

use std::collections::BTreeMap;

use reqwest::Method;
use rstest_reuse::apply;
use serde_json::{Value, json};

use super::world::{OTHER_CENTRE, Placement, World};
use crate::helpers::sql::audit_rows;
use crate::helpers::{Backend, assert_problem, backends};

const POLICE: (&str, &str) = ("police_officer", "demo-police");
const CHILD_FOCUS: (&str, &str) = ("child_focus_case_manager", "demo-child-focus");
const GUARDIAN: (&str, &str) = ("guardian", "demo-guardian");

/// What the record leaves out: no languages or aliases, no build or marks, no social media; the
/// alert is reported without circumstances. Everything else of `full_record` is there, the
/// withheld categories included (so that `withheld` is seen not to depend on a value).
fn tweak(record: &mut Value) {
    let identity = record["identity"].as_object_mut().unwrap();
    identity.remove("languages");
    identity.remove("aliases");
    identity.insert(
        "place_of_birth".into(),
        json!({"place": "Asmara <script>alert(1)</script>", "country": "ER"}),
    );
    let physical = record["physical"].as_object_mut().unwrap();
    physical.remove("build");
    physical.remove("distinguishing_marks");
    record["contacts"]
        .as_object_mut()
        .unwrap()
        .remove("social_media");
}

/// (field, reason, category) of each missing field, by form, for a role that reads `vulnerability`
/// (police) or not (Child Focus).
fn expected_missing(reads_vulnerability: bool) -> BTreeMap<&'static str, Vec<(String, String)>> {
    let nr = |f: &str, c: &str| (f.to_owned(), format!("not_recorded {c}"));
    let w = |f: &str, c: &str| (f.to_owned(), format!("withheld {c}"));
    let mut police_report = vec![
        nr("identity.aliases", "identity"),
        nr("identity.languages", "identity"),
        nr("physical.build", "physical"),
        nr("physical.distinguishing_marks", "physical"),
        nr("contacts.social_media", "contacts"),
    ];
    if !reads_vulnerability {
        police_report.push(w("vulnerability.trafficking_indicators", "vulnerability"));
    }
    police_report.extend([
        w("health.urgent_medical_need", "health"),
        w("interception.intended_destination", "interception"),
        w("placement.current_agency", "placement"),
        w("guardianship.guardian_name", "guardianship"),
        // Not in the record either: withheld says nothing of a value.
        w("guardianship.contact", "guardianship"),
        nr("alert.circumstances", "-"),
    ]);
    BTreeMap::from([
        ("police_report", police_report),
        (
            "sirene_missing_minor",
            vec![
                nr("identity.aliases", "identity"),
                nr("physical.distinguishing_marks", "physical"),
                w("references.national_number", "references"),
                w("documents.items", "documents"),
                nr("alert.circumstances", "-"),
            ],
        ),
        (
            "interpol_yellow_notice",
            vec![
                nr("physical.build", "physical"),
                nr("physical.distinguishing_marks", "physical"),
                nr("identity.aliases", "identity"),
                nr("identity.languages", "identity"),
                w("documents.items", "documents"),
                nr("alert.circumstances", "-"),
            ],
        ),
    ])
}

/// The value at a dotted path, if it holds one (null, "", [] and {} hold none).
fn at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = root;
    for part in path.split('.') {
        v = v.get(part)?;
    }
    let empty = v.is_null()
        || v.as_str().is_some_and(str::is_empty)
        || v.as_array().is_some_and(Vec::is_empty)
        || v.as_object().is_some_and(|o| o.is_empty());
    (!empty).then_some(v)
}

async fn get(world: &World, path: &str, who: (&str, &str), accept: &str) -> reqwest::Response {
    world
        .as_(Method::GET, path, who, "disappearance")
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// The packet of `who` holds exactly what its views show, and misses what the table says.
async fn check_packet(
    world: &World,
    child: &str,
    alert: &str,
    who: (&str, &str),
    reads_vulnerability: bool,
) {
    let packet = json_of(
        get(
            world,
            &format!("/v1/alerts/{alert}/packet"),
            who,
            "application/json",
        )
        .await,
    )
    .await;
    // The independent paths: the record and the alert as this caller reads them, same purpose.
    let record = json_of(
        get(
            world,
            &format!("/v1/minors/{child}"),
            who,
            "application/json",
        )
        .await,
    )
    .await;
    let alert_view = json_of(
        get(
            world,
            &format!("/v1/alerts/{alert}"),
            who,
            "application/json",
        )
        .await,
    )
    .await;
    assert_eq!(packet["alert_id"], alert);
    assert_eq!(packet["minor_id"], child);
    assert_eq!(packet["registry_number"], record["registry_number"]);
    assert_eq!(
        packet["_meta"]["withheld"], record["_meta"]["withheld"],
        "{who:?}"
    );
    assert_eq!(packet["_meta"]["purpose"], "disappearance");
    let withheld: Vec<&str> = record["_meta"]["withheld"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();

    let expected = expected_missing(reads_vulnerability);
    let forms = packet["forms"].as_array().unwrap();
    assert_eq!(
        forms
            .iter()
            .map(|f| f["form"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "police_report",
            "sirene_missing_minor",
            "interpol_yellow_notice"
        ]
    );
    for form in forms {
        let name = form["form"].as_str().unwrap();
        let missing: Vec<(String, String)> = form["missing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["field"].as_str().unwrap().to_owned(),
                    format!(
                        "{} {}",
                        m["reason"].as_str().unwrap(),
                        m["category"].as_str().unwrap_or("-")
                    ),
                )
            })
            .collect();
        assert_eq!(missing, expected[name], "{who:?} {name}");
        // Every field filled holds what the caller's own views hold, and nothing withheld.
        for field in form["fields"].as_array().unwrap() {
            let path = field["field"].as_str().unwrap();
            let shown = match path.strip_prefix("alert.") {
                Some(member) => at(&alert_view, member),
                None => {
                    let category = path.split('.').next().unwrap();
                    assert!(
                        !withheld.contains(&category),
                        "{who:?} {name}: {path} is withheld"
                    );
                    at(&record, path)
                }
            };
            assert_eq!(Some(&field["value"]), shown, "{who:?} {name}: {path}");
        }
        // ... and every field the views show a value for, of those the form requires, is filled:
        // a required field is filled, or missing, never both, never neither.
        for m in form["missing"].as_array().unwrap() {
            let path = m["field"].as_str().unwrap();
            if m["reason"] == "not_recorded" {
                let shown = match path.strip_prefix("alert.") {
                    Some(member) => at(&alert_view, member),
                    None => at(&record, path),
                };
                assert_eq!(
                    shown, None,
                    "{who:?} {name}: {path} is shown, yet not filled"
                );
            }
        }
    }
    let sirene = &forms[1];
    assert_eq!(
        (&sirene["urgent"], &sirene["unaccompanied"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(sirene["minimum_met"], true);
    assert_eq!(forms[2]["minimum_met"], true);
    // Values of the categories withheld from both appear nowhere.
    let text = packet.to_string();
    for secret in [
        "asthma",
        "An Peeters",
        "ER-123456",
        "OE-9876543",
        "CGRS-25-1234",
        "FED-2025-0042",
    ] {
        assert!(!text.contains(secret), "{who:?}: {secret}");
    }
    assert_eq!(
        text.contains("travel paid by unknown third party"),
        reads_vulnerability,
        "{who:?}: vulnerability"
    );
}

#[apply(backends)]
async fn the_packet_lists_what_the_caller_may_read_and_names_what_is_missing(
    #[case] backend: Backend,
) {
    let world = World::new(backend).await;
    // The demo guardian's ward, placed with another centre: police and Child Focus follow its
    // alert as they follow every alert; the guardian follows it too, but holds no packet permit.
    let child = world.child_with(
        Placement {
            centre: OTHER_CENTRE,
            guardian: "demo-guardian",
        },
        tweak,
    );
    world.add_photo(&child);
    let alert = world.report(&child).await;

    check_packet(&world, &child, &alert, POLICE, true).await;
    check_packet(&world, &child, &alert, CHILD_FOCUS, false).await;

    // The roles without the permit: 403 problem+json, audited with the child.
    let path = format!("/v1/alerts/{alert}/packet");
    for who in [
        GUARDIAN,
        ("reception_staff", "demo-reception"),
        ("guardianship_officer", "demo-guardianship"),
        ("analyst", "demo-police"),
    ] {
        let body = assert_problem(get(&world, &path, who, "application/json").await, 403).await;
        assert!(!body.to_string().contains("Haile"), "{body}");
    }
    // The police stating another purpose: 403 too.
    let res = world
        .as_(Method::GET, &path, POLICE, "identification")
        .send()
        .await
        .unwrap();
    assert_problem(res, 403).await;

    let rows: Vec<_> = audit_rows(&world.app)
        .into_iter()
        .filter(|r| r.action == "packet")
        .collect();
    let summary: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.role.clone().unwrap_or_default(),
                r.outcome.clone(),
                r.categories.clone(),
                r.purpose.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(summary.len(), 7, "{summary:?}");
    for r in &rows {
        assert!(r.minors.contains(&child), "{r:?}");
    }
    let outcomes: Vec<(&str, &str)> = summary
        .iter()
        .map(|(role, outcome, _, _)| (role.as_str(), outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("police_officer", "success"),
            ("child_focus_case_manager", "success"),
            ("guardian", "denied"),
            ("reception_staff", "denied"),
            ("guardianship_officer", "denied"),
            ("analyst", "denied"),
            ("police_officer", "denied"),
        ]
    );

    // The guardian reads who made a packet of the child, and with which categories.
    let log = world
        .as_(
            Method::GET,
            &format!("/v1/minors/{child}/access-log?limit=200"),
            GUARDIAN,
            "guardianship",
        )
        .send()
        .await
        .unwrap();
    let log = json_of(log).await;
    let packets: Vec<(String, String, Value)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "packet")
        .map(|e| {
            (
                e["role"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
                e["categories"].clone(),
            )
        })
        .collect();
    assert_eq!(
        packets[..2],
        [
            (
                "police_officer".to_owned(),
                "success".to_owned(),
                json!([
                    "identity",
                    "physical",
                    "photos",
                    "vulnerability",
                    "contacts",
                    "risk"
                ])
            ),
            (
                "child_focus_case_manager".to_owned(),
                "success".to_owned(),
                json!(["identity", "physical", "photos", "contacts", "risk"])
            ),
        ]
    );
    assert_eq!(packets.len(), 7);
    assert!(
        packets[2..]
            .iter()
            .all(|(_, outcome, categories)| outcome == "denied" && categories == &json!([]))
    );

    // The printable page: the values and the missing list, escaped, no script.
    let res = get(&world, &path, POLICE, "text/html").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    for shown in [
        "Haile",
        "Semhar",
        "ሃይለ",
        "+32 471 23 45 67",
        "Brussels-North station",
        "URGENT",
        "Unaccompanied minor",
        "identity.languages",
        "guardianship.contact",
        "not recorded",
        "withheld from you",
        "Asmara &lt;script&gt;alert(1)&lt;/script&gt;",
    ] {
        assert!(page.contains(shown), "the page lacks {shown}");
    }
    assert!(
        !page.to_lowercase().contains("<script"),
        "a script in the page"
    );
    for secret in ["asthma", "An Peeters", "ER-123456"] {
        assert!(!page.contains(secret), "{secret} in the page");
    }

    // Once the alert is resolved there is no packet to make.
    let res = world
        .as_(
            Method::POST,
            &format!("/v1/alerts/{alert}/resolution"),
            POLICE,
            "disappearance",
        )
        .json(&json!({"outcome": "found_safe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_problem(get(&world, &path, POLICE, "application/json").await, 409).await;
}
