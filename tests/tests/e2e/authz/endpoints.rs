//! Object- and function-level authorization (OWASP API1, API5): every operation of the OpenAPI
//! document called by every role, on a child it has no relation to, a missing child, and (for the
//! agencies that hold children) its own, with the status written down in
//! `tests/data/authz/expected.csv`. The test fails listing every cell that answers otherwise; a
//! refusal must be problem+json without child data, and a refused write must change nothing.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use rstest_reuse::apply;
use serde_json::{Value, json};

use super::policy::{RECEIVERS, ROLES, categories_in};
use super::world::{ELSEWHERE, World, an_hour_ago, own_of};
use crate::helpers::sql::footprint;
use crate::helpers::{Backend, backends};
use crate::records::fixtures::change_to;

const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/authz/expected.csv");

/// One line of the table: an operation on a target, with a purpose, and the status per role.
#[derive(Debug)]
struct Row {
    line: usize,
    method: String,
    path: String,
    target: String,
    purpose: String,
    variant: String,
    expect: Vec<Option<u16>>,
}

struct Table {
    typical: Vec<String>,
    rows: Vec<Row>,
}

fn load_table() -> Table {
    let text = std::fs::read_to_string(TABLE).unwrap();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i, l.split(',').map(str::trim).collect::<Vec<_>>()));
    let (_, header) = lines.next().expect("a header");
    let roles: Vec<&str> = ROLES.iter().map(|(r, _)| *r).collect();
    assert_eq!(
        header[..5],
        ["method", "path", "target", "purpose", "variant"]
    );
    assert_eq!(
        header[5..],
        roles[..],
        "one column per role, in ROLES order"
    );
    let (_, typical) = lines.next().expect("the typical purposes");
    assert_eq!(typical[..5], ["*", "*", "*", "typical", "*"]);
    let typical: Vec<String> = typical[5..].iter().map(|p| p.to_string()).collect();
    let rows = lines
        .map(|(line, cells)| {
            assert_eq!(cells.len(), 5 + ROLES.len(), "line {line}: {cells:?}");
            Row {
                line,
                method: cells[0].to_owned(),
                path: cells[1].to_owned(),
                target: cells[2].to_owned(),
                purpose: cells[3].to_owned(),
                variant: cells[4].to_owned(),
                expect: cells[5..]
                    .iter()
                    .map(|c| match *c {
                        "-" => None,
                        n => Some(n.parse().unwrap_or_else(|_| panic!("line {line}: `{n}`"))),
                    })
                    .collect(),
            }
        })
        .collect();
    Table { typical, rows }
}

/// Every operation of the committed OpenAPI document but the health probes.
fn operations() -> BTreeSet<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/health") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// A child a cell acts on, with its open alert and a photo when it has them.
#[derive(Debug, Clone, Default)]
struct Child {
    id: String,
    alert: Option<String>,
    photo: Option<String>,
}

/// The children every reading cell shares; writing cells get fresh ones.
struct Shared {
    unrelated: Child,
    missing: Child,
    own: BTreeMap<&'static str, Child>,
    own_missing: BTreeMap<&'static str, Child>,
    /// One subscription of each demo agency but the registry, by agency.
    subscriptions: BTreeMap<&'static str, String>,
}

async fn fresh(world: &World, target: &str, role: &str) -> Option<Child> {
    let at = match target {
        "unrelated" | "missing" => ELSEWHERE,
        "own" | "own_missing" => own_of(role)?,
        _ => return None,
    };
    let id = world.child(at);
    let alert = if target.ends_with("missing") {
        Some(world.report(&id).await)
    } else {
        None
    };
    Some(Child {
        id,
        alert,
        photo: None,
    })
}

async fn shared(world: &World) -> Shared {
    let with_photo = |child: Child| {
        let photo = world.add_photo(&child.id);
        Child {
            photo: Some(photo),
            ..child
        }
    };
    let unrelated = with_photo(fresh(world, "unrelated", "").await.unwrap());
    let missing = with_photo(fresh(world, "missing", "").await.unwrap());
    let mut own = BTreeMap::new();
    let mut own_missing = BTreeMap::new();
    for role in ["reception_staff", "guardian", "youth_care_worker"] {
        own.insert(role, with_photo(fresh(world, "own", role).await.unwrap()));
        own_missing.insert(role, fresh(world, "own_missing", role).await.unwrap());
    }
    let mut subscriptions = BTreeMap::new();
    for (agency, _) in RECEIVERS {
        subscriptions.insert(agency, subscription_of(world, agency).await);
    }
    Shared {
        unrelated,
        missing,
        own,
        own_missing,
        subscriptions,
    }
}

/// The agency a cell of target `other_agency` names: another than the caller's.
fn other_agency(agency: &str) -> &'static str {
    if agency == "demo-child-focus" {
        "demo-police"
    } else {
        "demo-child-focus"
    }
}

/// Where the subscriptions of the table post: nothing listens there, so a delivery fails at once.
const NOWHERE: &str = "http://127.0.0.1:9/authz";

/// Creates a webhook subscription as `who`, expecting 201 with `status`; its id.
async fn subscription_as(world: &World, who: (&str, &str), agency: &str, status: &str) -> String {
    let res = world
        .as_(Method::POST, "/v1/subscriptions", who, "")
        .json(&json!({"agency": agency, "kind": "webhook", "url": NOWHERE}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{who:?} subscribing {agency}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// A subscription of `agency`, made by a member of it (the role its events are rendered for);
/// the immigration office's role may not subscribe, so the registry administrator proposes one
/// for it, which stays pending.
async fn subscription_of(world: &World, agency: &str) -> String {
    let (_, role) = RECEIVERS.iter().find(|(a, _)| *a == agency).unwrap();
    if *role == "immigration_officer" {
        propose(world, agency).await
    } else {
        subscription_as(world, (role, agency), agency, "active").await
    }
}

/// A subscription proposed for `agency` by the registry administrator, pending.
async fn propose(world: &World, agency: &str) -> String {
    subscription_as(world, ("registry_admin", "registry"), agency, "pending").await
}

/// A small valid PNG.
fn png() -> Vec<u8> {
    let image = image::RgbImage::from_fn(4, 3, |x, y| image::Rgb([x as u8 * 60, y as u8 * 80, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A change each role makes in its daily work: a category its grants let it write for its own
/// purpose (roles without write grants try `risk`).
fn typical_write(role: &str) -> &'static str {
    match role {
        "guardianship_officer" | "guardian" => "child_view",
        "immigration_officer" => "procedure",
        "police_officer" => "interception",
        _ => "risk",
    }
}

/// A registration as each role would send it: identity, and for the agencies that hold children
/// the link to the caller's own agency.
fn registration(role: &str) -> Value {
    let mut body =
        json!({"identity": {"family_name": "Tesfay", "given_names": "Yonas", "sex": "male"}});
    match role {
        "reception_staff" => {
            body["placement"] = json!({"current_agency": "demo-reception", "since": "2025-05-21"})
        }
        "youth_care_worker" => {
            body["placement"] = json!({"current_agency": "demo-youth-care", "since": "2025-05-21"})
        }
        "guardian" => body["guardianship"] = json!({"guardian_agency": "demo-guardian"}),
        _ => {}
    }
    body
}

/// What one cell does and finds.
struct Outcome {
    status: u16,
    problem: Option<String>,
    /// What a refused write stored anyway, outside the audit trail (see `footprint`).
    stored: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn call(
    world: &World,
    row: &Row,
    role: &str,
    agency: &str,
    purpose: &str,
    child: Option<&Child>,
    photo: Option<&str>,
    subscription: &str,
) -> Outcome {
    let n = world.next();
    let mut path = row.path.clone();
    if let Some(photo) = photo {
        path = path.replace("{photo_id}", photo);
    }
    let id = if path.starts_with("/v1/minors/") {
        child.map(|c| c.id.clone())
    } else if path.starts_with("/v1/alerts/") {
        child.and_then(|c| c.alert.clone())
    } else if path.starts_with("/v1/agencies/") {
        Some("demo-police".to_owned())
    } else if path.starts_with("/v1/subscriptions/") {
        Some(subscription.to_owned())
    } else if path.starts_with("/v1/tasks/") {
        // No task of any agency has this id: the cells show who gets as far as looking.
        Some("no-such-task".to_owned())
    } else {
        None
    };
    if path.contains("{id}") {
        path = path.replace("{id}", &id.expect("the target names an id"));
    }
    path = path.replace("{figure}", "disappearances");
    // A fresh child is at version 1, the current one: its redaction is refused (400).
    path = path.replace("{version}", "1");
    // No dead letter has this event: the cells show who gets as far as looking.
    path = path.replace("{event}", "no-such-event");
    path = path.replace("{sighting_id}", "no-such-sighting");
    let method = Method::from_bytes(row.method.as_bytes()).unwrap();
    let mut rq = world.as_(method, &path, (role, agency), purpose);
    if row.variant == "cap" {
        rq = rq.header("accept", "application/cap+xml");
    }
    if row.variant == "html" {
        rq = rq.header("accept", "text/html");
    }
    if row.variant == "placement_filter" {
        rq = rq.query(&[("placement_agency", "demo-reception")]);
    }
    rq = match (row.method.as_str(), row.path.as_str()) {
        ("POST", "/v1/agencies") => rq.json(&json!({"id": format!("authz-zone-{n}"),
            "kind": "police", "name": "Authz zone", "country": "BE"})),
        ("POST", "/v1/subscriptions") => rq.json(&json!({
            "agency": if row.target == "own_agency" { agency } else { other_agency(agency) },
            "kind": "webhook", "url": NOWHERE})),
        ("POST", "/v1/minors") => rq.json(&registration(role)),
        ("POST", "/v1/minors/search") => rq.json(&json!({"names": ["Semhar Haile"]})),
        ("PATCH", "/v1/minors/{id}") => rq
            .header(
                "if-match",
                crate::helpers::sql::etag(&world.app, path.trim_start_matches("/v1/minors/")),
            )
            .header("content-type", "application/merge-patch+json")
            .body(change_to(typical_write(role), n).to_string()),
        ("POST", "/v1/minors/{id}/photos") => rq.header("content-type", "image/png").body(png()),
        ("POST", "/v1/minors/{id}/merge") => rq.json(&json!({"duplicate": world.child(ELSEWHERE)})),
        ("POST", "/v1/minors/{id}/disappearances") => {
            rq.json(&json!({"last_seen_at": an_hour_ago(), "last_seen_place": "Brussels-North"}))
        }
        ("POST", "/v1/disappearances") => rq.json(&json!({
            "minor": {"identity": {"family_name": "Tesfay", "given_names": "Yonas"}},
            "last_seen_at": an_hour_ago(), "last_seen_place": "Ghent-Sint-Pieters"})),
        ("PATCH", "/v1/alerts/{id}") => rq.json(&json!({"last_seen_place": "Antwerp-Central"})),
        ("DELETE", "/v1/minors/{id}/photos/{photo_id}") => rq
            .header(
                "if-match",
                crate::helpers::sql::etag(&world.app, path.split('/').nth(3).unwrap_or_default()),
            )
            .json(&json!({"reason": "authorization table"})),
        ("POST", "/v1/minors/{id}/restriction") | ("POST", "/v1/minors/{id}/restriction/lift") => {
            rq.json(&json!({"reason": "authorization table"}))
        }
        ("POST", "/v1/minors/{id}/closure") => rq.json(&json!({"cause": "departure",
            "on": chrono::Utc::now().date_naive().to_string(), "reason": "authorization table"})),
        ("POST", "/v1/minors/{id}/review") => {
            rq.json(&json!({"decision": "confirm", "reason": "authorization table"}))
        }
        ("POST", "/v1/minors/{id}/history/{version}/redaction") => {
            rq.json(&json!({"categories": ["identity"], "reason": "authorization table"}))
        }
        ("PATCH", "/v1/subscriptions/{id}") => rq.json(&json!({"retry_hours": 24})),
        ("POST", "/v1/subscriptions/{id}/dead-letters")
        | ("POST", "/v1/subscriptions/{id}/dead-letters/{event}/discard") => {
            rq.json(&json!({"reason": "authorization table"}))
        }
        ("POST", "/v1/alerts/{id}/sightings") => {
            rq.json(&json!({"seen_at": an_hour_ago(), "place": "Ghent"}))
        }
        ("POST", "/v1/presence") => {
            rq.json(&json!({"children": [
            {"minor_id": child.map(|c| c.id.clone()).unwrap_or_default(), "presence": "unknown"}]}))
        }
        ("POST", "/v1/tasks/{id}/completion") => rq.json(&json!({"note": "authorization table"})),
        ("POST", "/v1/alerts/{id}/sightings/{sighting_id}/grade") => {
            rq.json(&json!({"grade": "credible"}))
        }
        ("POST", "/v1/alerts/{id}/appeal") => {
            rq.json(&json!({"area": "Brussels", "headline": "Missing child",
            "description": "Call 116000.",
            "expires_at": (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339()}))
        }
        ("POST", "/v1/alerts/{id}/appeal/republications") => {
            rq.json(&json!({"url": "https://example.org/appeal"}))
        }
        ("POST", "/v1/alerts/{id}/resolution") => {
            rq.json(&json!({"outcome": match row.variant.as_str() {
                "deceased" => "deceased",
                "in_error" => "reported_in_error",
                _ => "found_safe",
            }}))
        }
        _ => rq,
    };
    // Taken once the cell's fixtures (a fresh child to merge, a subscription) exist.
    let before = (row.method != "GET").then(|| footprint(&world.app));
    let res = rq.send().await.unwrap();
    let status = res.status().as_u16();
    if status < 400 {
        // The stream stays open: its status is all this cell needs.
        return Outcome {
            status,
            problem: None,
            stored: None,
        };
    }
    // A refused write stores nothing: no agency, subscription, record, alert, event or dead
    // letter, nor a change to a subscription, whether it targets a child or not.
    let stored = before.and_then(|before| {
        let after = footprint(&world.app);
        (after != before).then(|| format!("{before} -> {after}"))
    });
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    let mut problem = Vec::new();
    if content_type != "application/problem+json" || body["status"] != status {
        problem.push(format!(
            "not a problem+json {status}: {content_type} {body}"
        ));
    }
    if !categories_in(&body).is_empty() {
        problem.push(format!("a refusal holds child data: {body}"));
    }
    problem.push(format!("detail: {}", body["detail"]));
    Outcome {
        status,
        problem: Some(problem.join("; ")),
        stored,
    }
}

#[apply(backends)]
async fn every_operation_answers_every_role_as_the_table_says(#[case] backend: Backend) {
    let started = std::time::Instant::now();
    let table = load_table();
    let mut wrong = Vec::new();

    // The table names every operation of the API, and nothing else.
    let ops = operations();
    let covered: BTreeSet<(String, String)> = table
        .rows
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    for op in ops.difference(&covered) {
        wrong.push(format!("{} {}: not in the table", op.0, op.1));
    }
    for op in covered.difference(&ops) {
        wrong.push(format!(
            "{} {}: not an operation of openapi.json",
            op.0, op.1
        ));
    }

    let world = World::new(backend).await;
    let shared = shared(&world).await;
    let mut cells = 0;
    for row in &table.rows {
        for (i, (role, agency)) in ROLES.iter().copied().enumerate() {
            let Some(expected) = row.expect[i] else {
                continue;
            };
            cells += 1;
            let purpose = match row.purpose.as_str() {
                "typical" => table.typical[i].as_str(),
                "-" => "",
                p => p,
            };
            let cell = format!(
                "line {}: {} {}{} [{}, {}] {role}@{agency}",
                row.line,
                row.method,
                row.path,
                if row.variant == "-" {
                    String::new()
                } else {
                    format!(" ({})", row.variant)
                },
                row.target,
                if purpose.is_empty() {
                    "no purpose"
                } else {
                    purpose
                },
            );
            let reads = row.method == "GET";
            let (child, photo) = match row.target.as_str() {
                "-" | "own_agency" | "other_agency" => (None, None),
                "mismatched" => (Some(shared.missing.clone()), shared.unrelated.photo.clone()),
                target if !reads => match fresh(&world, target, role).await {
                    Some(c) => {
                        // A photo to delete, on the fresh child.
                        let photo = row
                            .path
                            .contains("{photo_id}")
                            .then(|| world.add_photo(&c.id));
                        (Some(c), photo)
                    }
                    None => {
                        wrong.push(format!("{cell}: the role has no such child"));
                        continue;
                    }
                },
                target => {
                    let child = match target {
                        "unrelated" => Some(shared.unrelated.clone()),
                        "missing" => Some(shared.missing.clone()),
                        "own" => shared.own.get(role).cloned(),
                        "own_missing" => shared.own_missing.get(role).cloned(),
                        other => panic!("line {}: unknown target {other}", row.line),
                    };
                    let Some(child) = child else {
                        wrong.push(format!("{cell}: the role has no such child"));
                        continue;
                    };
                    let photo = child.photo.clone();
                    (Some(child), photo)
                }
            };
            // A subscription of the caller's agency or of another: a fresh proposal to confirm, a
            // fresh one to delete, the shared one to read.
            let subscription = if row.path.starts_with("/v1/subscriptions/") {
                let of = match row.target.as_str() {
                    "own_agency" => agency,
                    "other_agency" => other_agency(agency),
                    other => panic!("line {}: a subscription of {other}?", row.line),
                };
                if row.path.ends_with("/confirmation") {
                    propose(&world, of).await
                } else if row.method != "GET" {
                    // A fresh one for every change: no failure, no dead letter, whatever the
                    // cells before did.
                    subscription_of(&world, of).await
                } else {
                    shared.subscriptions[of].clone()
                }
            } else {
                String::new()
            };
            let before = child.as_ref().map(|c| {
                (
                    world.state_of_child(&c.id),
                    c.alert.as_ref().map(|a| world.alert_version(a)),
                )
            });
            let outcome = call(
                &world,
                row,
                role,
                agency,
                purpose,
                child.as_ref(),
                photo.as_deref(),
                &subscription,
            )
            .await;
            if outcome.status != expected {
                wrong.push(format!(
                    "{cell}: expected {expected}, got {} {}",
                    outcome.status,
                    outcome.problem.as_deref().unwrap_or_default()
                ));
                continue;
            }
            if let Some(problem) = &outcome.problem
                && (problem.contains("not a problem") || problem.contains("holds child data"))
            {
                wrong.push(format!("{cell}: {problem}"));
            }
            if let Some(stored) = &outcome.stored {
                wrong.push(format!("{cell}: refused, yet stored: {stored}"));
            }
            // A refused write changes neither the child nor its alert.
            if !reads
                && outcome.status >= 400
                && let (Some(c), Some(before)) = (&child, before)
            {
                let after = (
                    world.state_of_child(&c.id),
                    c.alert.as_ref().map(|a| world.alert_version(a)),
                );
                if after != before {
                    wrong.push(format!(
                        "{cell}: refused, yet stored: {before:?} -> {after:?}"
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells differ from {TABLE}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!(
        "{cells} cells of {} operations as the table says, in {:?}",
        ops.len(),
        started.elapsed()
    );
}
