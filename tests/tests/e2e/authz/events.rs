//! Property-level authorization (OWASP API3) of alerts and their events: the alert views (one
//! alert, the list, the answers to reports, sightings and resolutions), the CAP rendering, every
//! webhook payload of every demo agency, the SSE stream of every role that may hold one, and the
//! possible-match event's `candidate`, in four phases (alerts raised, a look-alike registered,
//! sightings, resolutions) so that each output is compared with the state it was rendered in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use futures_util::StreamExt;
use reqwest::Method;
use rstest_reuse::apply;
use serde_json::{Value, json};

use super::policy::{PolicyFile, RECEIVERS, ROLES, Readable, assert_none, check_optional};
use super::world::{ELSEWHERE, OTHER_POLICE, Placement, World, an_hour_ago, own_of};
use crate::helpers::{Backend, backends};

/// Members of an alert: anything else in it would be data of another kind.
const ALERT_MEMBERS: [&str; 26] = [
    "reporter_unrelated",
    "id",
    "minor_id",
    "status",
    "risk",
    "risk_factors",
    "last_seen_at",
    "last_seen_place",
    "circumstances",
    "reported_by",
    "raised_at",
    "notified",
    "acknowledgements",
    "acknowledgement_due_at",
    "escalated_at",
    "sightings",
    "resolution",
    "measures_due_at",
    "measures",
    "measures_overdue_at",
    "version",
    "minor",
    "ledger",
    "previous_episodes",
    "absent_since",
    "appeal",
];

/// Roles that may hold the stream (a grant names `disappearance` for them).
const STREAMERS: [&str; 5] = [
    "reception_staff",
    "guardianship_officer",
    "guardian",
    "police_officer",
    "child_focus_case_manager",
];

type Got = Arc<Mutex<Vec<Value>>>;

/// A webhook receiver on a random port that keeps every body.
async fn receiver() -> (String, Got) {
    let got: Got = Arc::default();
    let data = got.clone();
    let server = HttpServer::new(move || {
        let data = data.clone();
        App::new().default_service(web::to(move |body: web::Bytes| {
            let data = data.clone();
            async move {
                data.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                HttpResponse::NoContent().finish()
            }
        }))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    (format!("http://127.0.0.1:{port}/hook"), got)
}

/// Whether an event is a follow-up task's (issue 21): it goes to the assigned agency only and
/// carries no record, and is checked apart ([`check_task_event`]).
fn is_task(event: &Value) -> bool {
    event["type"]
        .as_str()
        .is_some_and(|t| t.starts_with("be.uam.task."))
}

/// A task event holds the task alone, and reaches the agency it is assigned to only.
fn check_task_event(event: &Value, agency: &str, at: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    let keys: Vec<&String> = event["data"]
        .as_object()
        .map(|d| d.keys().collect())
        .unwrap_or_default();
    if keys != ["task"] {
        wrong.push(format!("{at}: a task event holds {keys:?}"));
    }
    if event["data"]["task"]["agency"] != agency {
        wrong.push(format!(
            "{at}: LEAK task of {} delivered to {agency}",
            event["data"]["task"]["agency"]
        ));
    }
    wrong
}

/// The events of the stream after `last`, until `n` (task events not counted) have come or 15 s
/// have passed.
async fn stream(world: &World, who: (&str, &str), last: i64, n: usize) -> Vec<(i64, Value)> {
    let res = world
        .as_(Method::GET, "/v1/alerts/stream", who, "disappearance")
        .header("last-event-id", last.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "stream of {who:?}");
    let mut body = res.bytes_stream();
    let (mut text, mut events) = (String::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while events.iter().filter(|(_, e)| !is_task(e)).count() < n {
        let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, body.next()).await else {
            break;
        };
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            let id = frame.lines().find_map(|l| l.strip_prefix("id: "));
            let data = frame.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(id), Some(data)) = (id, data) {
                events.push((id.parse().unwrap(), serde_json::from_str(data).unwrap()));
            }
        }
    }
    events
}

/// The children of the scenario: `own` placed with the demo centre and ward of the demo guardian,
/// `elsewhere` related to no demo agency, `youth` placed with the demo youth-care service.
struct Scenario {
    children: BTreeMap<&'static str, (String, Placement)>,
}

impl Scenario {
    /// Whether `agency` follows the alert of child `name`: police, Child Focus and the
    /// guardianship service follow every alert; the child's centre and guardian theirs.
    fn follows(&self, agency: &str, name: &str) -> bool {
        let at = self.children[name].1;
        ["demo-police", "demo-child-focus", "demo-guardianship"].contains(&agency)
            || at.centre == agency
            || at.guardian == agency
    }

    fn expected(&self, agency: &str, events_on: &[&str]) -> usize {
        events_on
            .iter()
            .filter(|name| self.follows(agency, name))
            .count()
    }
}

/// The category each risk factor of `policy/risk.toml` derives from, read off that file's
/// conditions by hand: a young age from `identity`, trafficking and debt from `vulnerability`, an
/// urgent medical need from `health`, the recorded level and earlier disappearances from `risk`; a
/// level a person raised is `risk`.
fn factor_category(factor: &str) -> &'static str {
    match factor {
        "young_age" => "identity",
        "trafficking_indicators" | "debt_bondage" => "vulnerability",
        "urgent_medical_need" => "health",
        "recorded_high_risk" | "previous_disappearance" => "risk",
        f if f.starts_with("raised") || f.starts_with("lowered") => "risk",
        other => panic!("a factor this test does not know: {other}"),
    }
}

/// What naming a demo agency on a child's alert reveals: where the child lives (`placement`) or
/// who its guardian is (`guardianship`); police, Child Focus and the guardianship service follow
/// every alert and reveal nothing.
fn revealed_by(agency: &str) -> Option<&'static str> {
    match agency {
        "demo-reception" | "demo-youth-care" => Some("placement"),
        "demo-guardian" => Some("guardianship"),
        _ => None,
    }
}

/// What an alert derives from the child's categories, against what the receiver may read: risk
/// factors, the agencies it names, and the mark of an unrelated reporter (issue 15, leaks 2, 13).
fn check_derived(alert: &Value, readable: &Readable, agency: &str, at: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    for f in alert["risk_factors"].as_array().into_iter().flatten() {
        let c = factor_category(f.as_str().unwrap());
        if !readable.has(c) {
            wrong.push(format!("{at}: LEAK risk factor {f} from `{c}`"));
        }
    }
    let mut named: Vec<&str> = Vec::new();
    named.extend(
        alert["notified"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str),
    );
    named.extend(
        alert["acknowledgements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["agency"].as_str()),
    );
    named.extend(alert["reported_by"]["agency"].as_str());
    for s in alert["sightings"].as_array().into_iter().flatten() {
        named.extend(s["reported_by"]["agency"].as_str());
        named.extend(s["graded"]["by"]["agency"].as_str());
    }
    named.extend(alert["resolution"]["by"]["agency"].as_str());
    // The reporting ledger (issue 21): the agencies it names, and its guardian and placement
    // entries, which say who the guardian is and where the child lives (or that it has none).
    for e in alert["ledger"].as_array().into_iter().flatten() {
        named.extend(e["agency"].as_str());
        let category = match e["party"].as_str() {
            Some("guardian") => Some("guardianship"),
            Some("placement") => Some("placement"),
            _ => None,
        };
        if let Some(c) = category
            && e["agency"].as_str() != Some(agency)
            && !readable.has(c)
        {
            wrong.push(format!("{at}: LEAK ledger entry {e} without `{c}`"));
        }
    }
    if alert.get("previous_episodes").is_some() && !readable.has("risk") {
        wrong.push(format!("{at}: LEAK previous_episodes without `risk`"));
    }
    for a in named {
        if a != agency && revealed_by(a).is_some_and(|c| !readable.has(c)) {
            wrong.push(format!("{at}: LEAK agency {a} named"));
        }
    }
    if alert.get("reporter_unrelated").is_some() && !readable.has("guardianship") {
        wrong.push(format!(
            "{at}: LEAK reporter_unrelated without `guardianship`"
        ));
    }
    wrong
}

/// Checks one output that carries an alert: the alert holds nothing but its own members, the
/// child (`minor`) and a possible match's `candidate` through the mask of `role` at `agency` for
/// the purpose `disappearance`, with the state as it is now.
fn check_alert_output(
    world: &World,
    policy: &PolicyFile,
    data: &Value,
    alert: &Value,
    (role, agency): (&str, &str),
    at: &str,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for key in alert.as_object().unwrap().keys() {
        if !ALERT_MEMBERS.contains(&key.as_str()) {
            wrong.push(format!("{at}: the alert holds `{key}`"));
        }
    }
    let child = world.stored(alert["minor_id"].as_str().unwrap());
    let readable = policy.readable(role, agency, "disappearance", &child);
    wrong.extend(check_derived(alert, &readable, agency, at));
    wrong.extend(check_optional(
        &data["minor"],
        &child,
        &readable,
        "disappearance",
        &format!("{at} minor"),
    ));
    if let Some(m) = data.get("possible_match") {
        let candidate = world.stored(m["minor_id"].as_str().unwrap());
        let readable = policy.readable(role, agency, "disappearance", &candidate);
        wrong.extend(check_optional(
            &m["candidate"],
            &candidate,
            &readable,
            "disappearance",
            &format!("{at} candidate"),
        ));
    }
    wrong
}

/// Checks a CloudEvent received by `role` at `agency`.
fn check_event(
    world: &World,
    policy: &PolicyFile,
    event: &Value,
    who: (&str, &str),
    kind: &str,
    at: &str,
) -> Vec<String> {
    let at = format!("{at} {}", event["type"]);
    let mut wrong = Vec::new();
    if event["type"] != kind {
        wrong.push(format!("{at}: expected a {kind}"));
    }
    let data = &event["data"];
    wrong.extend(check_alert_output(
        world,
        policy,
        data,
        &data["alert"],
        who,
        &at,
    ));
    wrong
}

/// Checks an answer of the alerts API (`AlertBody`: the alert with `minor`).
fn check_answer(
    world: &World,
    policy: &PolicyFile,
    body: &Value,
    who: (&str, &str),
    at: &str,
) -> Vec<String> {
    check_alert_output(world, policy, body, body, who, at)
}

/// Text of the child's record that a CAP message must never hold.
const RECORD_TEXT: [&str; 8] = [
    "Semhar",
    "Haile",
    "ሰምሃር",
    "+32 471",
    "asthma",
    "eyebrow",
    "Yonas",
    "BE1-2025",
];

struct Run<'a> {
    world: &'a World,
    policy: PolicyFile,
    scenario: Scenario,
    hooks: Vec<(&'static str, &'static str, Got)>,
    /// Ids of the webhook events checked so far, per agency.
    seen: BTreeMap<&'static str, BTreeSet<String>>,
    last: BTreeMap<&'static str, i64>,
    wrong: Vec<String>,
    checked: usize,
}

impl Run<'_> {
    /// Waits for the events of a phase on every webhook and every stream, and checks them.
    async fn phase(&mut self, name: &str, kind: &str, events_on: &[&str]) {
        let hooks: Vec<_> = self
            .hooks
            .iter()
            .map(|(a, r, g)| (*a, *r, g.clone()))
            .collect();
        for (agency, role, got) in hooks {
            let want = self.scenario.expected(agency, events_on);
            // At least once: a redelivery keeps the event's id; each id is checked once, in the
            // phase it was first delivered in.
            let new = |seen: &BTreeSet<String>| {
                let mut ids = seen.clone();
                let all: Vec<Value> = got
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|e| ids.insert(e["id"].to_string()))
                    .cloned()
                    .collect();
                all
            };
            let alerts_only = |events: Vec<Value>| {
                events
                    .into_iter()
                    .filter(|e| !is_task(e))
                    .collect::<Vec<_>>()
            };
            for _ in 0..150 {
                if alerts_only(new(&self.seen[agency])).len() >= want {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if want == 0 {
                // Nothing may come: wait until the relay has looked at every event written so far
                // for this agency's subscription (none waits after its cursor), then look.
                crate::helpers::relay_passed(&self.world.app, agency).await;
            }
            let everything = new(&self.seen[agency]);
            let at = format!("{name}: webhook of {agency}");
            for event in &everything {
                if is_task(event) {
                    self.wrong.extend(check_task_event(event, agency, &at));
                }
                self.checked += 1;
                self.seen
                    .get_mut(agency)
                    .unwrap()
                    .insert(event["id"].to_string());
            }
            let received = alerts_only(everything);
            if received.len() != want {
                self.wrong.push(format!(
                    "{at}: {} events, expected {want}: {:?}",
                    received.len(),
                    received
                        .iter()
                        .map(|e| format!("{} {}", e["type"], e["subject"]))
                        .collect::<Vec<_>>()
                ));
            }
            for event in &received {
                self.wrong.extend(check_event(
                    self.world,
                    &self.policy,
                    event,
                    (role, agency),
                    kind,
                    &at,
                ));
            }
        }
        for role in STREAMERS {
            let agency = ROLES.iter().find(|(r, _)| *r == role).unwrap().1;
            let want = self.scenario.expected(agency, events_on);
            let everything = stream(self.world, (role, agency), self.last[role], want).await;
            let mut events = Vec::new();
            for (id, event) in everything {
                if is_task(&event) {
                    self.wrong.extend(check_task_event(
                        &event,
                        agency,
                        &format!("{name}: stream of {role}@{agency}"),
                    ));
                    self.checked += 1;
                    self.last.insert(role, id);
                } else {
                    events.push((id, event));
                }
            }
            if events.len() != want {
                self.wrong.push(format!(
                    "{name}: stream of {role}@{agency}: {} events, expected {want}",
                    events.len()
                ));
            }
            for (id, event) in &events {
                self.wrong.extend(check_event(
                    self.world,
                    &self.policy,
                    event,
                    (role, agency),
                    kind,
                    &format!("{name}: stream of {role}@{agency}"),
                ));
                self.checked += 1;
                self.last.insert(role, *id);
            }
        }
    }

    /// Every role reads every alert (JSON and CAP) and the list; each view that answers is checked.
    async fn views(&mut self, name: &str) {
        for (role, agency) in ROLES {
            let at = format!("{name}: {role}@{agency}");
            let list: Value = self
                .world
                .as_(
                    Method::GET,
                    "/v1/alerts?limit=200",
                    (role, agency),
                    "disappearance",
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for item in list["items"].as_array().into_iter().flatten() {
                let at = format!("{at} list item {}", item["id"]);
                self.wrong.extend(check_answer(
                    self.world,
                    &self.policy,
                    item,
                    (role, agency),
                    &at,
                ));
                self.checked += 1;
            }
            for (child, alert) in self.alerts() {
                let path = format!("/v1/alerts/{alert}");
                let res = self
                    .world
                    .as_(Method::GET, &path, (role, agency), "disappearance")
                    .send()
                    .await
                    .unwrap();
                if res.status() != 200 {
                    continue;
                }
                let body: Value = res.json().await.unwrap();
                let at = format!("{at} GET alert of {child}");
                self.wrong.extend(check_answer(
                    self.world,
                    &self.policy,
                    &body,
                    (role, agency),
                    &at,
                ));
                self.checked += 1;
                let cap = self
                    .world
                    .as_(Method::GET, &path, (role, agency), "disappearance")
                    .header("accept", "application/cap+xml")
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                for text in RECORD_TEXT {
                    if cap.contains(text) {
                        self.wrong
                            .push(format!("{at} (CAP): holds `{text}` of the record"));
                    }
                }
                self.checked += 1;
            }
        }
    }

    fn alerts(&self) -> Vec<(String, String)> {
        self.scenario
            .children
            .iter()
            .filter_map(|(name, (id, _))| {
                let alert = self.world.alerts_of(id)?;
                Some((name.to_string(), alert))
            })
            .collect()
    }

    /// Acts on an alert as `who`; checks the answer.
    async fn act(&mut self, who: (&str, &str), child: &str, what: &str, body: Value) {
        let id = &self.scenario.children[child].0;
        let alert = self.world.alerts_of(id).unwrap();
        let res = self
            .world
            .as_(
                Method::POST,
                &format!("/v1/alerts/{alert}/{what}"),
                who,
                "disappearance",
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let answer: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{what} by {who:?}: {answer}");
        self.wrong.extend(check_answer(
            self.world,
            &self.policy,
            &answer,
            who,
            &format!("{what} of {child} by {}@{}", who.0, who.1),
        ));
        self.checked += 1;
    }
}

impl World {
    /// The last alert raised for a child, if any.
    fn alerts_of(&self, id: &str) -> Option<String> {
        use domain::ports::AlertRepository;
        let page = self
            .alerts
            .list(
                &domain::ports::AlertFilter::default(),
                &domain::page::PageRequest {
                    after: None,
                    limit: domain::page::PageSize::new(200).unwrap(),
                },
            )
            .unwrap();
        page.items
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| a.minor_id == id)
            .map(|a| a.id)
            .next_back()
    }
}

#[apply(backends)]
async fn alert_views_streams_webhooks_and_candidates_hold_only_what_the_receiver_may_read(
    #[case] backend: Backend,
) {
    let world = World::new(backend).await;
    let own = Placement {
        centre: "demo-reception",
        guardian: "demo-guardian",
    };
    let mut children = BTreeMap::new();
    for (name, at) in [
        ("own", own),
        ("elsewhere", ELSEWHERE),
        ("youth", own_of("youth_care_worker").unwrap()),
    ] {
        let id = world.child(at);
        world.add_photo(&id);
        children.insert(name, (id, at));
    }
    // Each agency subscribes itself. The immigration office, whose role may not subscribe (it
    // follows no alert), gets one proposed by the registry administrator and left pending: it
    // must receive nothing.
    let mut hooks = Vec::new();
    for (agency, role) in RECEIVERS {
        let (url, got) = receiver().await;
        let (who, status) = if role == "immigration_officer" {
            (("registry_admin", "registry"), "pending")
        } else {
            ((role, agency), "active")
        };
        let res = world
            .as_(Method::POST, "/v1/subscriptions", who, "")
            .json(&json!({"agency": agency, "kind": "webhook", "url": url}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{agency}");
        assert_eq!(res.json::<Value>().await.unwrap()["status"], status);
        hooks.push((agency, role, got));
    }
    let mut run = Run {
        world: &world,
        policy: PolicyFile::load(),
        scenario: Scenario { children },
        seen: RECEIVERS
            .iter()
            .map(|(a, _)| (*a, BTreeSet::new()))
            .collect(),
        last: STREAMERS.iter().map(|r| (*r, 0)).collect(),
        hooks,
        wrong: Vec::new(),
        checked: 0,
    };
    let all = ["own", "elsewhere", "youth"];

    // 1. Another police zone reports the three children missing.
    for name in all {
        let id = run.scenario.children[name].0.clone();
        let res = world
            .as_(
                Method::POST,
                &format!("/v1/minors/{id}/disappearances"),
                ("police_officer", OTHER_POLICE),
                "disappearance",
            )
            .json(&json!({"last_seen_at": an_hour_ago(), "last_seen_place": "Brussels-North"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let answer: Value = res.json().await.unwrap();
        run.wrong.extend(check_answer(
            &world,
            &run.policy,
            &answer,
            ("police_officer", OTHER_POLICE),
            &format!("report of {name}"),
        ));
        run.checked += 1;
    }
    run.phase("raised", "be.uam.alert.raised", &all).await;
    run.views("while missing").await;

    // 2. The demo centre registers a girl who may be any of them: a possible match per alert,
    //    whose candidate (placed with the centre, not missing) each receiver sees through its mask.
    let res = world
        .as_(
            Method::POST,
            "/v1/minors",
            ("reception_staff", "demo-reception"),
            "care",
        )
        .json(&json!({
            "identity": {"family_name": "Haile", "given_names": "Semhar", "sex": "female",
                "date_of_birth": "2011-03-14", "nationalities": ["ER"], "languages": ["ti", "ar"],
                "names_original_script": [{"family_name": "ሃይለ", "given_names": "ሰምሃር", "script": "Ethi"}]},
            "physical": {"height_cm": 150, "distinguishing_marks": ["scar above left eyebrow"]},
            "contacts": {"phone_numbers": ["+32 470 00 00 00"]},
            "health": {"medical_needs": "asthma"},
            "placement": {"current_agency": "demo-reception", "since": "2026-01-02"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    run.phase("possible match", "be.uam.minor.possible_match", &all)
        .await;

    // 3. Every agency that follows the centre's child records a sighting.
    for who in [
        ("reception_staff", "demo-reception"),
        ("guardian", "demo-guardian"),
        ("police_officer", "demo-police"),
        ("child_focus_case_manager", "demo-child-focus"),
        ("guardianship_officer", "demo-guardianship"),
    ] {
        run.act(
            who,
            "own",
            "sightings",
            json!({"seen_at": an_hour_ago(), "place": "Ghent"}),
        )
        .await;
    }
    run.phase("sightings", "be.uam.alert.sighting", &["own"; 5])
        .await;

    // 4. Two alerts end; the grants that held during them end too.
    run.act(
        ("police_officer", "demo-police"),
        "own",
        "resolution",
        json!({"outcome": "found_safe"}),
    )
    .await;
    run.act(
        ("child_focus_case_manager", "demo-child-focus"),
        "youth",
        "resolution",
        json!({"outcome": "returned"}),
    )
    .await;
    run.phase("resolved", "be.uam.alert.resolved", &["own", "youth"])
        .await;
    run.views("after resolution").await;

    assert_none(&run.wrong, run.checked, "alerts, streams and webhooks");
}
