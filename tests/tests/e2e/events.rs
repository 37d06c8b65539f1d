//! Event delivery: the relay sends each alert event to every subscribing agency's webhook, signed,
//! in order per child, rendered through that agency's field policy; the SSE stream does the same
//! for the caller's own agency and resumes with Last-Event-ID.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use api::demo::DEMO_CHILDREN;
use api::startup::Options;
use futures_util::StreamExt;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, backends, spawn_app_with};

/// What a webhook receiver got: (webhook-id, timestamp, signature, body).
pub(crate) type Received = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A webhook receiver on a random port; it fails the first `failures` deliveries with 503.
pub(crate) async fn receiver(failures: usize) -> (String, Received) {
    let got: Received = Arc::default();
    let failed = Arc::new(Mutex::new(0usize));
    let (data, fails) = (got.clone(), failed.clone());
    let server = HttpServer::new(move || {
        let (data, fails) = (data.clone(), fails.clone());
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let (data, fails) = (data.clone(), fails.clone());
            async move {
                {
                    let mut f = fails.lock().unwrap();
                    if *f < failures {
                        *f += 1;
                        return HttpResponse::ServiceUnavailable().finish();
                    }
                }
                let h = |n: &str| {
                    req.headers()
                        .get(n)
                        .map(|v| v.to_str().unwrap().to_owned())
                        .unwrap_or_default()
                };
                data.lock().unwrap().push((
                    h("webhook-id"),
                    h("webhook-timestamp"),
                    h("webhook-signature"),
                    String::from_utf8(body.to_vec()).unwrap(),
                ));
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

/// Subscribes `agency` to a webhook at `url`, with a token of that agency's `role`.
pub(crate) async fn subscribe(app: &TestApp, (agency, role): (&str, &str), url: &str) -> Value {
    let res = app
        .client
        .post(app.url("/v1/subscriptions"))
        .headers(app.auth(agency, role))
        .json(&json!({"agency": agency, "kind": "webhook", "url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

pub(crate) async fn post(
    app: &TestApp,
    who: (&str, &str),
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .headers(app.auth(who.0, who.1))
        .header("x-purpose", "disappearance")
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn report(app: &TestApp, who: (&str, &str), child: &str) -> String {
    let body = json!({"last_seen_at": "2026-01-01T10:00:00Z", "last_seen_place": "Brussels-North"});
    let res = post(
        app,
        who,
        &format!("/v1/minors/{child}/disappearances"),
        body,
    )
    .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn wait_for(got: &Received, n: usize) -> Vec<(String, String, String, String)> {
    for _ in 0..100 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got.lock().unwrap().clone()
}

#[apply(backends)]
async fn every_subscriber_gets_each_event_once_in_order_and_only_its_fields(
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
    let (police_url, police_got) = receiver(2).await;
    let (cf_url, cf_got) = receiver(0).await;
    let police_sub = subscribe(&app, ("demo-police", "police_officer"), &police_url).await;
    let secret = police_sub["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    subscribe(
        &app,
        ("demo-child-focus", "child_focus_case_manager"),
        &cf_url,
    )
    .await;

    // A burst over two children: each alert raised, acknowledged, given a sighting, resolved.
    let a1 = report(
        &app,
        ("demo-reception", "reception_staff"),
        DEMO_CHILDREN[0],
    )
    .await;
    let a2 = report(
        &app,
        ("demo-guardianship", "guardianship_officer"),
        DEMO_CHILDREN[1],
    )
    .await;
    for alert in [&a1, &a2] {
        assert_eq!(
            post(
                &app,
                ("demo-police", "police_officer"),
                &format!("/v1/alerts/{alert}/acknowledgements"),
                json!({})
            )
            .await
            .status(),
            201
        );
        let sighting = json!({"seen_at": "2026-01-01T12:00:00Z", "place": "Ghent"});
        assert_eq!(
            post(
                &app,
                ("demo-child-focus", "child_focus_case_manager"),
                &format!("/v1/alerts/{alert}/sightings"),
                sighting
            )
            .await
            .status(),
            201
        );
    }
    // While the alerts are open, both agencies get description and contacts of the child.
    for (got, agency) in [(&police_got, "demo-police"), (&cf_got, "demo-child-focus")] {
        let received = wait_for(got, 6).await;
        let raised = received
            .iter()
            .map(|(_, _, _, b)| serde_json::from_str::<Value>(b).unwrap())
            .find(|e| {
                e["type"] == "be.uam.alert.raised" && e["data"]["minor"]["id"] == DEMO_CHILDREN[0]
            })
            .unwrap_or_else(|| panic!("{agency}: {received:?}"));
        let minor = &raised["data"]["minor"];
        assert!(
            minor["physical"].is_object() && minor["contacts"].is_object(),
            "{agency}: {minor}"
        );
    }
    assert_eq!(
        post(
            &app,
            ("demo-police", "police_officer"),
            &format!("/v1/alerts/{a1}/resolution"),
            json!({"outcome": "found_safe"})
        )
        .await
        .status(),
        201
    );
    let expected = 7;

    for (got, agency) in [(&police_got, "demo-police"), (&cf_got, "demo-child-focus")] {
        let received = wait_for(got, expected).await;
        // At least once; exactly once after de-duplication by event id.
        let mut by_id: BTreeMap<String, Value> = BTreeMap::new();
        for (id, timestamp, signature, body) in &received {
            let event: Value = serde_json::from_str(body).unwrap();
            assert_eq!(&event["id"], id.as_str());
            if agency == "demo-police" {
                let want =
                    infra::webhook::sign(&secret, id, timestamp.parse().unwrap(), body).unwrap();
                assert_eq!(signature, &want, "Standard Webhooks signature");
            }
            by_id.insert(id.clone(), event);
        }
        assert_eq!(by_id.len(), expected, "{agency}: {received:?}");
        // In order per child.
        for alert in [&a1, &a2] {
            let mut types: Vec<String> = received
                .iter()
                .map(|(_, _, _, b)| serde_json::from_str::<Value>(b).unwrap())
                .filter(|e| e["subject"] == alert.as_str())
                .map(|e| e["type"].as_str().unwrap().to_owned())
                .collect();
            types.dedup();
            let first: Vec<&str> = types.iter().take(3).map(String::as_str).collect();
            let order = [
                "be.uam.alert.raised",
                "be.uam.alert.acknowledged",
                "be.uam.alert.sighting",
            ];
            assert_eq!(first, order, "{agency}");
        }
        // Only the fields this agency may see: during the alert, description and contacts; never
        // health; after resolution, no more than identity.
        for event in by_id.values() {
            let minor = &event["data"]["minor"];
            let t = event["type"].as_str().unwrap();
            if agency == "demo-child-focus" && t == "be.uam.alert.resolved" {
                // Child Focus reads the child only while the alert is open.
                assert!(minor.is_null(), "{agency} after the resolution: {minor}");
                continue;
            }
            // A record is there (an absent one would pass the next check for nothing).
            assert!(minor["identity"].is_object(), "{agency} {t}: {minor}");
            assert!(
                minor.get("health").is_none(),
                "{agency} never receives health"
            );
            if t == "be.uam.alert.resolved" {
                assert!(
                    minor.get("physical").is_none(),
                    "{agency}: the grant ended: {minor}"
                );
            }
        }
    }

    // Every delivery a webhook acknowledged is a disclosure in the audit trail: one entry per
    // event and receiver, with the event id, the child and the categories it carried.
    // (The relay appends them once the receiver's answer is in: poll for the last ones.)
    let ids: Vec<String> = [&police_got, &cf_got]
        .iter()
        .flat_map(|got| {
            got.lock()
                .unwrap()
                .iter()
                .map(|(id, ..)| id.clone())
                .collect::<Vec<_>>()
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let rows = crate::helpers::sql::audit_rows(&app);
        let logged = |id: &String| {
            rows.iter()
                .any(|r| r.action == "deliver_webhook" && &r.request_id == id)
        };
        if ids.iter().all(logged) || std::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let delivered: Vec<_> = rows
        .iter()
        .filter(|r| r.action == "deliver_webhook")
        .collect();
    for id in &ids {
        assert!(
            delivered.iter().any(|r| &r.request_id == id),
            "event {id} delivered but not audited"
        );
    }
    assert!(
        delivered.len() >= 2 * expected,
        "{} delivery entries for {expected} events to two agencies",
        delivered.len()
    );
    for r in &delivered {
        let categories: Vec<String> = serde_json::from_str(&r.categories).unwrap();
        assert!(!categories.contains(&"health".to_owned()), "{r:?}");
        assert!(DEMO_CHILDREN.iter().any(|c| r.minors.contains(c)), "{r:?}");
    }

    // The subscriptions API: the registry administrator sees every subscription, an agency its
    // own, a role that neither subscribes nor manages them nothing; the secret is shown once.
    let list = |who| {
        app.client
            .get(app.url("/v1/subscriptions"))
            .headers(who)
            .send()
    };
    let all: Value = list(app.admin()).await.unwrap().json().await.unwrap();
    assert_eq!(all["next"], Value::Null, "{all}");
    let all = all["items"].clone();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(all[0].get("secret").is_none());
    let own: Value = list(app.auth("demo-police", "police_officer"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let own = own["items"].clone();
    assert_eq!(own.as_array().unwrap().len(), 1, "{own}");
    assert_eq!(own[0]["agency"], "demo-police");
    assert!(own[0].get("secret").is_none());
    let res = list(app.auth("demo-police", "analyst")).await.unwrap();
    assert_problem(res, 403).await;
    let police = app.auth("demo-police", "police_officer");
    for (who, bad, field) in [
        (&police, json!({"kind": "kafka"}), "kind"),
        (&police, json!({"kind": "webhook", "url": "ftp://x"}), "url"),
        (&police, json!({"kind": "webhook"}), "url"),
        (&police, json!({"kind": "pigeon"}), "kind"),
        (
            &app.admin(),
            json!({"agency": "nowhere", "kind": "webhook", "url": "http://127.0.0.1:9/"}),
            "agency",
        ),
    ] {
        let res = app
            .client
            .post(app.url("/v1/subscriptions"))
            .headers(who.clone())
            .json(&bad)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(res, 400).await;
        assert_eq!(problem["invalid-params"][0]["name"], field, "{problem}");
    }
}

/// Reads SSE frames until `n` events have come or the time is up.
async fn sse_events(res: reqwest::Response, n: usize) -> Vec<(i64, Value)> {
    let mut stream = res.bytes_stream();
    let mut text = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events.len() < n {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("events in time")
            .unwrap()
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            let id = frame
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .map(|v| v.parse::<i64>().unwrap());
            let data = frame
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .map(|d| serde_json::from_str::<Value>(d).unwrap());
            if let (Some(id), Some(data)) = (id, data) {
                events.push((id, data));
            }
        }
    }
    events
}

#[apply(backends)]
async fn the_stream_shows_the_agencys_events_through_its_mask_and_resumes(
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
    let open = |last: Option<i64>| {
        let app = &app;
        async move {
            let mut req = app
                .client
                .get(app.url("/v1/alerts/stream"))
                .headers(app.auth("demo-police", "police_officer"))
                .header("x-purpose", "disappearance");
            if let Some(id) = last {
                req = req.header("last-event-id", id.to_string());
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-type"], "text/event-stream");
            res
        }
    };
    let live = open(None).await;
    let alert = report(
        &app,
        ("demo-reception", "reception_staff"),
        DEMO_CHILDREN[0],
    )
    .await;
    post(
        &app,
        ("demo-child-focus", "child_focus_case_manager"),
        &format!("/v1/alerts/{alert}/sightings"),
        json!({"seen_at": "2026-01-01T12:00:00Z", "place": "Ghent"}),
    )
    .await;
    let events = sse_events(live, 2).await;
    assert_eq!(events[0].1["type"], "be.uam.alert.raised");
    assert_eq!(events[1].1["type"], "be.uam.alert.sighting");
    assert!(events[0].0 < events[1].0);
    // The same projection as the REST API gives this caller.
    let rest: Value = app
        .client
        .get(app.url(&format!("/v1/minors/{}", DEMO_CHILDREN[0])))
        .headers(app.auth("demo-police", "police_officer"))
        .header("x-purpose", "disappearance")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&events[1].1["data"]["minor"]), keys(&rest));
    assert!(rest.get("health").is_none());

    // Resuming after the first event gives the second, not the first again.
    let resumed = sse_events(open(Some(events[0].0)).await, 1).await;
    assert_eq!(resumed[0].0, events[1].0);

    // Refusals come before the stream: no purpose, another purpose, a role without alerts.
    let res = app
        .client
        .get(app.url("/v1/alerts/stream"))
        .headers(app.auth("demo-police", "police_officer"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 400).await;
    let res = app
        .client
        .get(app.url("/v1/alerts/stream"))
        .headers(app.auth("demo-police", "police_officer"))
        .header("x-purpose", "care")
        .send()
        .await
        .unwrap();
    assert_problem(res, 403).await;
    let res = app
        .client
        .get(app.url("/v1/alerts/stream"))
        .headers(app.auth("registry", "auditor"))
        .header("x-purpose", "disappearance")
        .send()
        .await
        .unwrap();
    assert_problem(res, 403).await;
}

/// Two instances on one PostgreSQL, each with its relay (woken by LISTEN/NOTIFY, taking
/// subscriptions with SKIP LOCKED): every event reaches the subscriber, in order per child.
#[tokio::test]
async fn two_relays_on_one_database_share_the_work_and_keep_the_order() {
    let app = spawn_app_with(
        Backend::Postgres,
        Options {
            demo: true,
            ..Default::default()
        },
        |_| {},
    )
    .await;
    let _second = crate::helpers::spawn_instance(&app).await;
    let mut receivers = Vec::new();
    for (agency, role) in [
        ("demo-police", "police_officer"),
        ("demo-child-focus", "child_focus_case_manager"),
        ("demo-guardianship", "guardianship_officer"),
    ] {
        let (url, got) = receiver(0).await;
        subscribe(&app, (agency, role), &url).await;
        receivers.push((agency, got));
    }
    for (child, who) in [
        (DEMO_CHILDREN[0], ("demo-reception", "reception_staff")),
        (DEMO_CHILDREN[1], ("demo-police", "police_officer")),
    ] {
        let alert = report(&app, who, child).await;
        let sighting = json!({"seen_at": "2026-01-01T12:00:00Z", "place": "Liège"});
        assert_eq!(
            post(
                &app,
                ("demo-child-focus", "child_focus_case_manager"),
                &format!("/v1/alerts/{alert}/sightings"),
                sighting
            )
            .await
            .status(),
            201
        );
    }
    for (agency, got) in receivers {
        let received = wait_for(&got, 4).await;
        let mut seen = std::collections::BTreeSet::new();
        let mut per_child: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, _, _, body) in &received {
            let event: Value = serde_json::from_str(body).unwrap();
            if seen.insert(id.clone()) {
                per_child
                    .entry(event["subject"].as_str().unwrap().to_owned())
                    .or_default()
                    .push(event["type"].as_str().unwrap().to_owned());
            }
        }
        assert_eq!(seen.len(), 4, "{agency}: {received:?}");
        for types in per_child.values() {
            assert_eq!(
                types,
                &["be.uam.alert.raised", "be.uam.alert.sighting"],
                "{agency}"
            );
        }
    }
}

#[apply(backends)]
async fn a_registration_that_may_be_a_missing_child_tells_the_agencies_handling_the_alert(
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
    let (police_url, police_got) = receiver(0).await;
    subscribe(&app, ("demo-police", "police_officer"), &police_url).await;
    // Semhar Haile (demo child 0) disappears from her reception centre.
    let alert = report(
        &app,
        ("demo-reception", "reception_staff"),
        DEMO_CHILDREN[0],
    )
    .await;
    wait_for(&police_got, 1).await;

    // Weeks later a girl is registered elsewhere under another spelling, in Tigrinya script.
    let register = |identity: Value| {
        app.client
            .post(app.url("/v1/minors"))
            .headers(app.auth("demo-guardianship", "guardianship_officer"))
            .header("x-purpose", "identification")
            .json(&json!({"identity": identity}))
            .send()
    };
    let res = register(json!({"given_names": "Samhar", "family_name": "Hayle", "sex": "female",
        "date_of_birth": "2011-01-01", "nationalities": ["ER"],
        "names_original_script": [{"given_names": "ሰምሃር", "family_name": "ሃይለ", "script": "Ethi"}]}))
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let new_id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        body["possible_matches"][0]["record"]["id"], DEMO_CHILDREN[0],
        "{body}"
    );
    // Someone else raises nothing.
    let res = register(json!({"given_names": "Yonas", "family_name": "Tesfay", "sex": "male"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let received = wait_for(&police_got, 2).await;
    let events: Vec<Value> = received
        .iter()
        .map(|(_, _, _, b)| serde_json::from_str(b).unwrap())
        .collect();
    let matches: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "be.uam.minor.possible_match")
        .collect();
    assert_eq!(matches.len(), 1, "{events:?}");
    let data = &matches[0]["data"];
    assert_eq!(data["alert"]["id"], alert.as_str());
    assert_eq!(data["minor"]["id"], DEMO_CHILDREN[0]);
    assert_eq!(data["possible_match"]["minor_id"], new_id.as_str());
    assert!(data["possible_match"]["score"].as_f64().unwrap() >= 0.85);
    // The candidate through the police's own mask: identity only, as the police may read of a
    // child who is not missing.
    let candidate = &data["possible_match"]["candidate"];
    assert_eq!(candidate["id"], new_id.as_str());
    assert_eq!(candidate["identity"]["family_name"], "Hayle");
    assert!(candidate.get("physical").is_none() && candidate.get("contacts").is_none());
    assert!(
        candidate["_meta"]["withheld"]
            .as_array()
            .unwrap()
            .contains(&json!("physical"))
    );
    assert_eq!(matches[0]["subject"], alert.as_str());

    // Once the child is found, a new look-alike raises nothing.
    assert_eq!(
        post(
            &app,
            ("demo-police", "police_officer"),
            &format!("/v1/alerts/{alert}/resolution"),
            json!({"outcome": "found_safe"})
        )
        .await
        .status(),
        201
    );
    let res = register(
        json!({"given_names": "Semhar", "family_name": "Haile", "sex": "female",
        "date_of_birth": "2011-03-14", "nationalities": ["ER"]}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    // Whatever the registration wrote, the relay has handled it for the police.
    crate::helpers::relay_passed(&app, "demo-police").await;
    let types: Vec<String> = police_got
        .lock()
        .unwrap()
        .iter()
        .map(|(_, _, _, b)| serde_json::from_str::<Value>(b).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| t.contains("possible_match"))
            .count(),
        1,
        "{types:?}"
    );
}
