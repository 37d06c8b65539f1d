//! The access matrix: every role x purpose x relation (none, assigned, active alert), over records
//! holding every category. For each cell, GET, history, list and PATCH are checked against a table
//! written by hand from docs/policy.md (`tests/data/policy/readable.csv`): no response holds a
//! withheld category, every permitted category is present, and a refused write stores nothing.
//! The same table is checked against `policy/default.toml`, read here apart from the service's own
//! parser: a grant too broad in the file fails here, not only a service that departs from the file.

use std::collections::BTreeSet;

use api::startup::Options;
use domain::minor::MinorData;
use infra::db::{Database, DatabaseUrl, DieselMinorRepository, PoolSettings};
use rstest_reuse::apply;
use serde_json::{Value, json};

use super::fixtures::{CATEGORIES, change_to, full_record};
use crate::helpers::{Backend, TestApp, backends, spawn_app_with};

const PURPOSES: [&str; 7] = [
    "care",
    "guardianship",
    "identification",
    "procedure",
    "disappearance",
    "statistics",
    "audit",
];

/// Each role, with the demo agency its tokens name.
const ROLES: [(&str, &str); 10] = [
    ("reception_staff", "demo-reception"),
    ("guardianship_officer", "demo-guardianship"),
    ("guardian", "demo-guardian"),
    ("immigration_officer", "demo-immigration"),
    ("police_officer", "demo-police"),
    ("child_focus_case_manager", "demo-child-focus"),
    ("youth_care_worker", "demo-youth-care"),
    ("analyst", "demo-police"),
    ("auditor", "registry"),
    ("registry_admin", "registry"),
];

/// The policy file, read independently of the service's own parser.
struct PolicyFile(Vec<Value>);

impl PolicyFile {
    fn load() -> Self {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../policy/default.toml"
        ))
        .unwrap();
        let doc: Value = toml::from_str(&text).unwrap();
        Self(doc["grant"].as_array().unwrap().clone())
    }

    fn lists(grant: &Value, key: &str, item: &str) -> bool {
        grant[key].as_array().unwrap().iter().any(|v| v == item)
    }

    fn names_purpose(&self, role: &str, purpose: &str) -> bool {
        self.0
            .iter()
            .any(|g| g["role"] == role && Self::lists(g, "purposes", purpose))
    }

    /// Categories granted for `access` to `role` for `purpose` when the child stands as given.
    fn granted(
        &self,
        role: &str,
        purpose: &str,
        access: &str,
        assigned: bool,
        alert: bool,
    ) -> BTreeSet<String> {
        self.0
            .iter()
            .filter(|g| {
                g["role"] == role
                    && Self::lists(g, "purposes", purpose)
                    && Self::lists(g, "access", access)
            })
            .filter(|g| match g["condition"].as_str().unwrap() {
                "always" => true,
                "assigned" => assigned,
                "active_alert" => alert,
                other => panic!("unknown condition {other}"),
            })
            .flat_map(|g| {
                g["categories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_owned())
            })
            .collect()
    }
}

/// The grants docs/policy.md states, written out by hand in `tests/data/policy/readable.csv`.
struct Documented(Vec<DocumentedRow>);

struct DocumentedRow {
    role: String,
    purpose: String,
    condition: String,
    reads: BTreeSet<String>,
    writes: BTreeSet<String>,
}

impl Documented {
    fn load() -> Self {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/policy/readable.csv"
        ))
        .unwrap();
        let set = |cell: &str| -> BTreeSet<String> {
            let all = CATEGORIES.iter().map(|c| c.to_string());
            match cell {
                "-" => BTreeSet::new(),
                "all" => all.collect(),
                "all-health" => all.filter(|c| c != "health").collect(),
                list => list
                    .split_whitespace()
                    .map(|c| {
                        assert!(CATEGORIES.contains(&c), "readable.csv: no category `{c}`");
                        c.to_owned()
                    })
                    .collect(),
            }
        };
        Self(
            text.lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .map(|l| {
                    let cells: Vec<&str> = l.split(',').map(str::trim).collect();
                    assert_eq!(cells.len(), 5, "readable.csv: {l}");
                    DocumentedRow {
                        role: cells[0].to_owned(),
                        purpose: cells[1].to_owned(),
                        condition: cells[2].to_owned(),
                        reads: set(cells[3]),
                        writes: set(cells[4]),
                    }
                })
                .collect(),
        )
    }

    fn names_purpose(&self, role: &str, purpose: &str) -> bool {
        self.0
            .iter()
            .any(|r| r.role == role && r.purpose == purpose)
    }

    /// Categories `role` may `access` (`read` or `write`) for `purpose` when the child stands as
    /// given.
    fn granted(
        &self,
        role: &str,
        purpose: &str,
        access: &str,
        assigned: bool,
        alert: bool,
    ) -> BTreeSet<String> {
        self.0
            .iter()
            .filter(|r| r.role == role && r.purpose == purpose)
            .filter(|r| match r.condition.as_str() {
                "always" => true,
                "assigned" => assigned,
                "active_alert" => alert,
                other => panic!("readable.csv: unknown condition {other}"),
            })
            .flat_map(|r| match access {
                "read" => r.reads.clone(),
                _ => r.writes.clone(),
            })
            .collect()
    }
}

/// The policy file grants exactly what docs/policy.md says, cell by cell: every role, purpose,
/// relation and access.
#[test]
fn the_policy_file_grants_what_policy_md_says() {
    let file = PolicyFile::load();
    let documented = Documented::load();
    let mut differ = Vec::new();
    let mut cells = 0;
    for (role, _) in ROLES {
        for purpose in PURPOSES {
            if file.names_purpose(role, purpose) != documented.names_purpose(role, purpose) {
                differ.push(format!("{role} {purpose}: purpose named or not"));
            }
            for (assigned, alert) in [(false, false), (true, false), (false, true), (true, true)] {
                for access in ["read", "write"] {
                    cells += 1;
                    let f = file.granted(role, purpose, access, assigned, alert);
                    let d = documented.granted(role, purpose, access, assigned, alert);
                    if f != d {
                        differ.push(format!(
                            "{role} {purpose} {access} assigned={assigned} alert={alert}: \
                             file {f:?}, policy.md {d:?}"
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(cells, 10 * 7 * 4 * 2);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

struct Child {
    id: String,
    placement: &'static str,
    guardian: &'static str,
    missing: bool,
}

const CORE: [&str; 6] = [
    "id",
    "registry_number",
    "status",
    "version",
    "registered_at",
    "updated_at",
];

fn categories_in(body: &Value) -> BTreeSet<String> {
    body.as_object()
        .unwrap()
        .keys()
        .filter(|k| CATEGORIES.contains(&k.as_str()))
        .cloned()
        .collect()
}

async fn seed(app: &TestApp) -> (Vec<Child>, DieselMinorRepository) {
    for (id, kind) in [
        ("other-reception", "reception_centre"),
        ("other-guardian", "guardian"),
    ] {
        assert_eq!(app.create_agency(id, kind).await.status(), 201);
    }
    let db = Database::connect(
        &DatabaseUrl::parse(&app.db.url).unwrap(),
        PoolSettings {
            max_size: 2,
            acquire_timeout: std::time::Duration::from_secs(5),
        },
    )
    .unwrap();
    let repo = DieselMinorRepository::new(db.clone());
    let layout = [
        ("demo-reception", "demo-guardian", false),
        ("demo-youth-care", "other-guardian", false),
        ("other-reception", "other-guardian", true),
        ("other-reception", "other-guardian", false),
    ];
    let mut children = Vec::new();
    for (placement, guardian, missing) in layout {
        let mut record = full_record(placement, guardian);
        record["photos"] = json!({"items": [{"id": "p1", "content_type": "image/png", "width": 1, "height": 1,
                                             "bytes": 70, "uploaded_at": "2025-06-01T10:00:00Z"}]});
        let data: MinorData = serde_json::from_value(record).unwrap();
        let actor = domain::record::Actor {
            subject: "seed".into(),
            agency: "registry".into(),
            role: "registry_admin".into(),
            purpose: domain::purpose::Purpose::Care,
        };
        let id = uuid::Uuid::new_v4().to_string();
        domain::ports::MinorWriter::insert(
            &repo,
            &id,
            &data,
            &actor,
            chrono::Utc::now(),
            None,
            &[],
        )
        .unwrap();
        if missing {
            let mut conn = db.conn().unwrap();
            diesel::RunQueryDsl::execute(
                diesel::sql_query(format!(
                    "UPDATE minors SET status = 'missing' WHERE id = '{id}'"
                )),
                &mut *conn,
            )
            .unwrap();
        }
        children.push(Child {
            id,
            placement,
            guardian,
            missing,
        });
    }
    (children, repo)
}

/// Whether a listing may return a child the caller reads something of (docs/policy.md, "Listings
/// and filters"; issue 15, leak 8): under `identification` a role pages through its own children
/// only, and finds the others by search; police list missing children, not every child.
fn is_listed(role: &str, purpose: &str, assigned: bool, missing: bool) -> bool {
    match (role, purpose) {
        (_, "identification") => assigned,
        ("police_officer", "disappearance") => missing,
        _ => true,
    }
}

fn stored(repo: &DieselMinorRepository, id: &str) -> (i64, Value) {
    let minor = domain::ports::MinorReader::find(repo, id).unwrap().unwrap();
    (minor.version, serde_json::to_value(&minor.data).unwrap())
}

#[apply(backends)]
async fn every_role_purpose_and_relation_sees_and_writes_exactly_its_grants(
    #[case] backend: Backend,
) {
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let (children, repo) = seed(&app).await;
    let policy = Documented::load();
    let all: BTreeSet<String> = CATEGORIES.iter().map(|c| c.to_string()).collect();
    let mut checked = 0;

    for (role, agency) in ROLES {
        let auth = app.auth(agency, role);
        for purpose in PURPOSES {
            let permitted = policy.names_purpose(role, purpose);
            let listing = app
                .client
                .get(app.url("/v1/minors?limit=200"))
                .headers(auth.clone())
                .header("x-purpose", purpose)
                .send()
                .await
                .unwrap();
            let listing_status = listing.status().as_u16();
            let listed: Value = listing.json().await.unwrap();
            assert_eq!(
                listing_status,
                if permitted { 200 } else { 403 },
                "list {role} {purpose}: {listed}"
            );

            for child in &children {
                let assigned = child.placement == agency || child.guardian == agency;
                let read = policy.granted(role, purpose, "read", assigned, child.missing);
                let write = policy.granted(role, purpose, "write", assigned, child.missing);
                let cell = format!(
                    "{role}@{agency} {purpose} assigned={assigned} alert={}",
                    child.missing
                );
                let (version, data) = stored(&repo, &child.id);

                // GET
                let res = app
                    .client
                    .get(app.url(&format!("/v1/minors/{}", child.id)))
                    .headers(auth.clone())
                    .header("x-purpose", purpose)
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap();
                if !permitted || read.is_empty() {
                    assert_eq!(status, 403, "GET {cell}: {body}");
                    assert!(
                        categories_in(&body).is_empty(),
                        "a refusal holds no data: {cell}"
                    );
                } else {
                    assert_eq!(status, 200, "GET {cell}: {body}");
                    assert_eq!(categories_in(&body), read, "GET categories {cell}");
                    for c in &read {
                        assert_eq!(body[c], data[c], "GET {c} value {cell}");
                    }
                    for k in CORE {
                        assert!(!body[k].is_null(), "core field {k} {cell}");
                    }
                    let withheld: BTreeSet<String> = body["_meta"]["withheld"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_owned())
                        .collect();
                    assert_eq!(
                        withheld,
                        all.difference(&read).cloned().collect(),
                        "withheld {cell}"
                    );
                }

                // history
                let res = app
                    .client
                    .get(app.url(&format!("/v1/minors/{}/history", child.id)))
                    .headers(auth.clone())
                    .header("x-purpose", purpose)
                    .send()
                    .await
                    .unwrap();
                let hstatus = res.status().as_u16();
                let history: Value = res.json().await.unwrap();
                assert_eq!(hstatus, status, "history {cell}: {history}");
                if hstatus == 200 {
                    for revision in history["revisions"].as_array().unwrap() {
                        assert!(
                            categories_in(&revision["data"]).is_subset(&read),
                            "history data {cell}"
                        );
                        for c in revision["changed"].as_array().unwrap() {
                            assert!(read.contains(c.as_str().unwrap()), "history changed {cell}");
                        }
                    }
                }

                // list
                if permitted {
                    let item = listed["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|i| i["id"] == child.id.as_str());
                    let expected = is_listed(role, purpose, assigned, child.missing);
                    match item {
                        None => assert!(
                            read.is_empty() || !expected,
                            "list omits a readable child: {cell}"
                        ),
                        Some(_) if !expected => panic!("list holds a child it may not: {cell}"),
                        Some(item) => {
                            assert_eq!(categories_in(item), read, "list categories {cell}")
                        }
                    }
                }

                // PATCH every writable category at once: refused naming exactly the others.
                let mut patch = serde_json::Map::new();
                for c in CATEGORIES.iter().filter(|c| **c != "photos") {
                    patch.extend(change_to(c, checked).as_object().unwrap().clone());
                }
                let res = send_patch(
                    &app,
                    &auth,
                    purpose,
                    &child.id,
                    version,
                    &Value::Object(patch),
                )
                .await;
                let pstatus = res.status().as_u16();
                let problem: Value = res.json().await.unwrap();
                assert_eq!(pstatus, 403, "PATCH everything {cell}: {problem}");
                if permitted && !(read.is_empty() && write.is_empty()) {
                    let named: BTreeSet<String> = problem["invalid-params"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| p["name"].as_str().unwrap().to_owned())
                        .collect();
                    let touched: BTreeSet<String> = CATEGORIES
                        .iter()
                        .filter(|c| **c != "photos")
                        .map(|c| c.to_string())
                        .collect();
                    assert_eq!(
                        named,
                        touched.difference(&write).cloned().collect(),
                        "forbidden fields {cell}"
                    );
                }
                assert_eq!(
                    stored(&repo, &child.id).0,
                    version,
                    "a refused write stores nothing: {cell}"
                );

                // PATCH only the writable categories: accepted, the answer through the mask.
                if permitted && !write.is_empty() {
                    let mut patch = serde_json::Map::new();
                    for c in write.iter().filter(|c| *c != "photos") {
                        patch.extend(change_to(c, checked).as_object().unwrap().clone());
                    }
                    let res = send_patch(
                        &app,
                        &auth,
                        purpose,
                        &child.id,
                        version,
                        &Value::Object(patch),
                    )
                    .await;
                    let pstatus = res.status().as_u16();
                    let body: Value = res.json().await.unwrap();
                    assert_eq!(pstatus, 200, "PATCH writable {cell}: {body}");
                    assert_eq!(categories_in(&body), read, "PATCH result categories {cell}");
                    assert_eq!(stored(&repo, &child.id).0, version + 1, "{cell}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, ROLES.len() * PURPOSES.len() * children.len());
}

async fn send_patch(
    app: &TestApp,
    auth: &reqwest::header::HeaderMap,
    purpose: &str,
    id: &str,
    version: i64,
    patch: &Value,
) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/v1/minors/{id}")))
        .headers(auth.clone())
        .header("x-purpose", purpose)
        .header("if-match", format!("\"{version}\""))
        .header("content-type", "application/merge-patch+json")
        .body(patch.to_string())
        .send()
        .await
        .unwrap()
}
