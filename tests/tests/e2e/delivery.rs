//! Deliveries that wait instead of skipping (issue 16): a receiver down for longer than the old
//! give-up (8 attempts, 127 s) receives every event in order once it returns, none dead-lettered,
//! while another subscription gets its events during the outage; a Kafka broker down as long, the
//! same; the failing state and its audit entries; pause, dead letters, replay and discard; the
//! explicit dead-lettering of the event a receiver refuses; the ping; and an SSE stream resumed
//! past the outbox's retention answering 410. Time is driven by a test clock where it matters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use api::demo::DEMO_CHILDREN;
use api::startup::Options;
use chrono::{DateTime, Utc};
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::events::{Received, post, report, subscribe};
use crate::helpers::sql::audit_rows;
use crate::helpers::{Backend, TestApp, TestClock, assert_problem, backends, spawn_app_with};
use domain::ports::Clock;

const POLICE: (&str, &str) = ("demo-police", "police_officer");
const CHILD_FOCUS: (&str, &str) = ("demo-child-focus", "child_focus_case_manager");
const RECEPTION: (&str, &str) = ("demo-reception", "reception_staff");
const GUARDIANSHIP: (&str, &str) = ("demo-guardianship", "guardianship_officer");

/// The old schedule: 8 attempts, then the event went to the dead letters.
const OLD_GIVE_UP_ATTEMPTS: u64 = 8;

/// The demo registry on a clock the test moves.
async fn on_clock(backend: Backend) -> (TestApp, Arc<TestClock>) {
    let clock = TestClock::starting_now();
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            clock: Some(clock.clone()),
        },
        |_| {},
    )
    .await;
    (app, clock)
}

/// A webhook receiver the test turns off and on: while `refuse` holds a status it answers that
/// status; at 0 it takes every event (204) and keeps it.
struct Receiver {
    url: String,
    got: Received,
    refuse: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Self {
        let got: Received = Arc::default();
        let refuse = Arc::new(AtomicU16::new(0));
        let (data, status) = (got.clone(), refuse.clone());
        let server = HttpServer::new(move || {
            let (data, status) = (data.clone(), status.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (data, status) = (data.clone(), status.clone());
                async move {
                    let refused = status.load(Ordering::SeqCst);
                    if refused != 0 {
                        return HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(refused).unwrap(),
                        )
                        .finish();
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
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            got,
            refuse,
        }
    }

    fn refuse(&self, status: u16) {
        self.refuse.store(status, Ordering::SeqCst);
    }

    /// The events taken so far, in arrival order.
    fn events(&self) -> Vec<Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, _, _, body)| serde_json::from_str(body).unwrap())
            .collect()
    }

    /// Waits up to `within` until `n` events came; returns them.
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        while self.events().len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.events()
    }
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A GET stating the purpose `disappearance` (dead letters show child data for it).
async fn get(app: &TestApp, who: reqwest::header::HeaderMap, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .headers(who)
        .header("x-purpose", "disappearance")
        .send()
        .await
        .unwrap()
}

/// The wait after the `n`-th failed attempt in a row, by the documented schedule: 1 s doubled
/// after each failure, at most 15 minutes.
fn documented_wait(n: u64) -> chrono::Duration {
    chrono::Duration::seconds((1_i64 << (n - 1).min(20)).min(900))
}

/// Whether the subscription's next attempt is due `documented_wait(attempts)` after `at`, to the
/// microsecond the database keeps.
fn next_attempt_follows_the_schedule(s: &Value, at: DateTime<Utc>) -> bool {
    let next: DateTime<Utc> =
        serde_json::from_value(s["delivery"]["next_attempt_at"].clone()).unwrap();
    let want = at + documented_wait(attempts(s));
    (next - want).num_microseconds().unwrap().abs() <= 1
}

async fn send(
    app: &TestApp,
    who: (&str, &str),
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .headers(app.auth(who.0, who.1));
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

async fn subscription(app: &TestApp, id: &str) -> Value {
    let res = get(app, app.admin(), &format!("/v1/subscriptions/{id}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Waits up to `within` until the subscription satisfies `done`; returns it as it stands then.
async fn until(app: &TestApp, id: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let s = subscription(app, id).await;
        if done(&s) || Instant::now() > deadline {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The id of `agency`'s only subscription.
async fn subscriptions_of(app: &TestApp, agency: &str) -> String {
    let all: Value = get(app, app.admin(), "/v1/subscriptions")
        .await
        .json()
        .await
        .unwrap();
    let own: Vec<&Value> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["agency"] == agency)
        .collect();
    assert_eq!(own.len(), 1, "{all}");
    own[0]["id"].as_str().unwrap().to_owned()
}

fn attempts(s: &Value) -> u64 {
    s["delivery"]["attempts"].as_u64().unwrap()
}

#[apply(backends)]
async fn a_receiver_down_past_the_old_give_up_gets_every_event_in_order_and_holds_up_nobody(
    #[case] backend: Backend,
) {
    let (app, clock) = on_clock(backend).await;
    let police = Receiver::start().await;
    let child_focus = Receiver::start().await;
    let police_sub = subscribe(&app, POLICE, &police.url).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    subscribe(&app, CHILD_FOCUS, &child_focus.url).await;

    // The police receiver goes down; a child is reported missing.
    police.refuse(503);
    let alert = report(&app, RECEPTION, DEMO_CHILDREN[0]).await;
    // Child Focus gets the alert during the outage.
    let cf = child_focus.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(cf.len(), 1, "another subscription is not held up");
    let raised = cf[0]["id"].as_str().unwrap().to_owned();
    let failing = until(&app, &police_sub, Duration::from_secs(10), |s| {
        attempts(s) >= 1
    })
    .await;
    assert_eq!(failing["delivery"]["state"], "failing", "{failing}");
    assert!(next_attempt_follows_the_schedule(&failing, clock.now()));
    assert_eq!(failing["delivery"]["failing_event"], raised.as_str());

    // Attempts go on, each after the backoff (at most 15 minutes), far past the old give-up; the
    // receiver refuses with 503, then 404: any failure counts alike.
    let mut seen = attempts(&failing);
    let mut switched = false;
    while seen <= OLD_GIVE_UP_ATTEMPTS + 2 {
        if seen >= 5 && !switched {
            switched = true;
            police.refuse(404);
            // More happens to the alert meanwhile.
            let ack = post(
                &app,
                CHILD_FOCUS,
                &format!("/v1/alerts/{alert}/acknowledgements"),
                json!({}),
            )
            .await;
            assert_eq!(ack.status(), 201);
        }
        clock.advance(chrono::Duration::minutes(16));
        let s = until(&app, &police_sub, Duration::from_secs(10), |s| {
            attempts(s) > seen
        })
        .await;
        assert_eq!(attempts(&s), seen + 1, "the relay tried once more: {s}");
        assert!(
            next_attempt_follows_the_schedule(&s, clock.now()),
            "attempt {}: {s}",
            attempts(&s)
        );
        seen = attempts(&s);
    }
    // Nothing is tried before the next attempt is due (15 minutes now). A sentinel shows the
    // retries ran meanwhile: Child Focus's receiver fails one event, so its next attempt is due
    // 1 s later; 14 minutes on, Child Focus is tried again and the police are not.
    child_focus.refuse(503);
    let sighting = post(
        &app,
        CHILD_FOCUS,
        &format!("/v1/alerts/{alert}/sightings"),
        json!({"seen_at": "2026-01-01T12:00:00Z", "place": "Ghent"}),
    )
    .await;
    assert_eq!(sighting.status(), 201);
    let cf_sub = subscriptions_of(&app, CHILD_FOCUS.0).await;
    let cf_failing = until(&app, &cf_sub, Duration::from_secs(10), |s| attempts(s) == 1).await;
    assert_eq!(attempts(&cf_failing), 1, "{cf_failing}");
    clock.advance(chrono::Duration::minutes(14));
    let cf_again = until(&app, &cf_sub, Duration::from_secs(10), |s| attempts(s) == 2).await;
    assert_eq!(attempts(&cf_again), 2, "the retries ran: {cf_again}");
    assert_eq!(
        attempts(&subscription(&app, &police_sub).await),
        seen,
        "not before its time"
    );
    child_focus.refuse(0);
    clock.advance(chrono::Duration::seconds(3));
    let cf_back = until(&app, &cf_sub, Duration::from_secs(10), |s| {
        s["delivery"]["state"] == "active"
    })
    .await;
    assert_eq!(cf_back["delivery"]["state"], "active", "{cf_back}");
    let during = subscription(&app, &police_sub).await;
    let d = &during["delivery"];
    assert_eq!(d["state"], "failing", "{during}");
    assert!(
        d["last_error"].as_str().unwrap().contains("404"),
        "{during}"
    );
    assert_eq!(d["failing_event"], raised.as_str(), "the cursor stays");
    assert_eq!(d["dead_letters"], 0, "nothing given up on");
    assert!(d["lag_events"].as_u64().unwrap() >= 2, "{during}");
    assert!(
        d["lag_seconds"].as_i64().unwrap() >= 16 * 60 * 10,
        "the oldest waiting event is as old as the outage: {during}"
    );
    let since: DateTime<Utc> = serde_json::from_value(d["since"].clone()).unwrap();
    let next: DateTime<Utc> = serde_json::from_value(d["next_attempt_at"].clone()).unwrap();
    assert!(next > since);
    // Child Focus has had the acknowledgement during the outage.
    let cf = child_focus.wait_for(2, Duration::from_secs(10)).await;
    assert!(cf.len() >= 2, "{cf:?}");
    let letters = get(
        &app,
        app.auth(POLICE.0, POLICE.1),
        &format!("/v1/subscriptions/{police_sub}/dead-letters"),
    )
    .await;
    assert_eq!(letters.status(), 200);
    assert_eq!(letters.json::<Value>().await.unwrap(), json!([]));

    // The alert is resolved while the receiver is still down; then it comes back.
    let resolved = post(
        &app,
        POLICE,
        &format!("/v1/alerts/{alert}/resolution"),
        json!({"outcome": "found_safe"}),
    )
    .await;
    assert_eq!(resolved.status(), 201);
    let expected = {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let cf = child_focus.events();
            if cf
                .last()
                .is_some_and(|e| e["type"] == "be.uam.alert.resolved")
                || Instant::now() > deadline
            {
                break ids(&cf);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    police.refuse(0);
    clock.advance(chrono::Duration::minutes(16));
    let got = police
        .wait_for(expected.len(), Duration::from_secs(20))
        .await;
    let mut got_ids = ids(&got);
    got_ids.dedup();
    assert_eq!(
        got_ids, expected,
        "every event Child Focus got, in the same order, none skipped"
    );
    assert_eq!(got[0]["type"], "be.uam.alert.raised");
    assert_eq!(got.last().unwrap()["type"], "be.uam.alert.resolved");
    let after = until(&app, &police_sub, Duration::from_secs(10), |s| {
        s["delivery"]["state"] == "active"
    })
    .await;
    assert_eq!(after["delivery"]["state"], "active", "{after}");
    assert_eq!(after["attempts"], 0);
    assert_eq!(after["delivery"]["dead_letters"], 0);

    // The change to failing and back is in the audit trail, once each.
    let subject = format!("subscription:{police_sub}");
    let changes: Vec<(String, String)> = audit_rows(&app)
        .into_iter()
        .filter(|r| r.subject.as_deref() == Some(subject.as_str()))
        .filter(|r| r.action.starts_with("delivery_") || r.action == "dead_letter")
        .map(|r| (r.action, r.outcome))
        .collect();
    assert_eq!(
        changes,
        [
            ("delivery_failing".to_owned(), "failed".to_owned()),
            ("delivery_recovered".to_owned(), "success".to_owned())
        ]
    );
}

#[apply(backends)]
async fn a_paused_subscription_holds_its_events_and_its_agency_replays_or_discards_dead_letters(
    #[case] backend: Backend,
) {
    let (app, clock) = on_clock(backend).await;
    let police = Receiver::start().await;
    let sub = subscribe(&app, POLICE, &police.url).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A sentinel: what reaches Child Focus shows the relay has run past an event.
    let child_focus = Receiver::start().await;
    subscribe(&app, CHILD_FOCUS, &child_focus.url).await;
    let path = format!("/v1/subscriptions/{sub}");
    let patch = reqwest::Method::PATCH;

    // Only the receiving agency pauses, and only with a period the outbox keeps.
    let res = app
        .client
        .patch(app.url(&path))
        .headers(app.admin())
        .json(&json!({"paused": true}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403).await;
    let res = send(
        &app,
        POLICE,
        patch.clone(),
        &path,
        Some(json!({"retry_hours": 721})),
    )
    .await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(
        problem["invalid-params"][0]["name"], "retry_hours",
        "{problem}"
    );
    let res = send(
        &app,
        POLICE,
        patch.clone(),
        &path,
        Some(json!({"paused": true})),
    )
    .await;
    assert_eq!(res.status(), 200);
    let paused: Value = res.json().await.unwrap();
    assert_eq!(paused["delivery"]["state"], "paused", "{paused}");
    assert_eq!(paused["retry_hours"], 168);

    // A child is reported missing while paused: nothing goes out, the event waits; once resumed
    // it goes, then what follows, in order.
    let alert = report(&app, GUARDIANSHIP, DEMO_CHILDREN[0]).await;
    assert_eq!(
        child_focus.wait_for(1, Duration::from_secs(10)).await.len(),
        1
    );
    assert!(police.events().is_empty(), "paused: nothing sent");
    let waiting = subscription(&app, &sub).await;
    assert!(waiting["delivery"]["lag_events"].as_u64().unwrap() >= 1);
    let res = send(
        &app,
        POLICE,
        patch.clone(),
        &path,
        Some(json!({"paused": false})),
    )
    .await;
    assert_eq!(res.status(), 200);
    let resumed: Value = res.json().await.unwrap();
    assert_eq!(resumed["delivery"]["state"], "active", "{resumed}");
    let got = police.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "what waited is sent once resumed");
    assert_eq!(got[0]["type"], "be.uam.alert.raised");
    let resolved = post(
        &app,
        POLICE,
        &format!("/v1/alerts/{alert}/resolution"),
        json!({"outcome": "found_safe"}),
    )
    .await;
    assert_eq!(resolved.status(), 201);
    let got = police.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1]["type"], "be.uam.alert.resolved", "in order");

    // Paused again, two children are reported missing; a week and an hour later both have
    // waited their retry period: they are dead-lettered, and nothing was sent.
    let res = send(
        &app,
        POLICE,
        patch.clone(),
        &path,
        Some(json!({"paused": true})),
    )
    .await;
    assert_eq!(res.status(), 200);
    report(&app, GUARDIANSHIP, DEMO_CHILDREN[0]).await;
    report(&app, GUARDIANSHIP, DEMO_CHILDREN[1]).await;
    clock.advance(chrono::Duration::days(7) + chrono::Duration::hours(1));
    let s = until(&app, &sub, Duration::from_secs(15), |s| {
        s["delivery"]["dead_letters"] == 2
    })
    .await;
    assert_eq!(s["delivery"]["dead_letters"], 2, "{s}");
    assert_eq!(police.events().len(), 2, "nothing more sent");

    // The agency reads them, each event as it would receive it now, stating its purpose; nobody
    // else does.
    let letters_path = format!("{path}/dead-letters");
    let res = get(&app, app.auth(POLICE.0, POLICE.1), &letters_path).await;
    assert_eq!(res.status(), 200);
    let letters: Vec<Value> = res.json().await.unwrap();
    assert_eq!(letters.len(), 2, "{letters:?}");
    for (letter, child) in letters.iter().zip(&DEMO_CHILDREN[..2]) {
        assert!(
            letter["reason"].as_str().unwrap().contains("paused"),
            "{letter}"
        );
        let event = &letter["event"];
        assert_eq!(event["type"], "be.uam.alert.raised");
        assert_eq!(event["data"]["minor"]["id"], *child);
        assert!(event["data"]["minor"]["identity"].is_object(), "{event}");
        assert!(event["data"]["minor"].get("health").is_none(), "{event}");
        assert_eq!(letter["event_id"], event["id"]);
    }
    for who in [app.admin(), app.auth(CHILD_FOCUS.0, CHILD_FOCUS.1)] {
        assert_problem(get(&app, who, &letters_path).await, 403).await;
    }
    let unstated = app
        .client
        .get(app.url(&letters_path))
        .headers(app.auth(POLICE.0, POLICE.1))
        .send()
        .await
        .unwrap();
    assert_problem(unstated, 400).await;

    // Resumed, it delivers what waits (the escalations raised meanwhile), not the dead letters.
    let res = send(&app, POLICE, patch, &path, Some(json!({"paused": false}))).await;
    assert_eq!(res.status(), 200);
    crate::helpers::relay_passed(&app, POLICE.0).await;
    assert!(
        police.events()[2..]
            .iter()
            .all(|e| e["type"] != "be.uam.alert.raised"),
        "dead letters are not sent by themselves"
    );

    // A replay to a receiver that refuses: 502 naming the event, and the letters stay.
    police.refuse(503);
    let res = send(
        &app,
        POLICE,
        reqwest::Method::POST,
        &format!("{letters_path}/replay"),
        None,
    )
    .await;
    let problem = assert_problem(res, 502).await;
    let first = letters[0]["event_id"].as_str().unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains(first),
        "{problem}"
    );
    assert_eq!(
        subscription(&app, &sub).await["delivery"]["dead_letters"],
        2
    );
    police.refuse(0);

    // One replayed, one discarded with a reason.
    let second = letters[1]["event_id"].as_str().unwrap();
    let res = send(
        &app,
        POLICE,
        reqwest::Method::POST,
        &format!("{letters_path}/{first}/replay"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let replay: Value = res.json().await.unwrap();
    assert_eq!(replay["replayed"], json!([first]));
    assert_eq!(replay["remaining"], 1);
    assert!(
        police.events().iter().any(|e| e["id"] == first),
        "the replayed event reached the receiver"
    );
    let discard = format!("{letters_path}/{second}/discard");
    for (body, named) in [
        (json!({"reason": "  "}), "reason"),
        (json!({}), "reason"),
        (json!({"reason": "handled by phone", "extra": 1}), "extra"),
    ] {
        let res = send(&app, POLICE, reqwest::Method::POST, &discard, Some(body)).await;
        let problem = assert_problem(res, 400).await;
        assert!(problem.to_string().contains(named), "{named}: {problem}");
    }
    let res = send(
        &app,
        POLICE,
        reqwest::Method::POST,
        &format!("{letters_path}/no-such-event/discard"),
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_problem(res, 404).await;
    let res = send(
        &app,
        POLICE,
        reqwest::Method::POST,
        &discard,
        Some(json!({"reason": "handled by phone"})),
    )
    .await;
    assert_eq!(res.status(), 204);
    let res = get(&app, app.auth(POLICE.0, POLICE.1), &letters_path).await;
    assert_eq!(res.json::<Value>().await.unwrap(), json!([]));
    let res = send(
        &app,
        POLICE,
        reqwest::Method::POST,
        &format!("{letters_path}/replay"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"replayed": [], "not_followed": [], "remaining": 0})
    );

    // Every action is in the trail: the relay's dead letters, the read with its disclosure, the
    // replay with its delivery, the discard, and the refusals.
    let rows = audit_rows(&app);
    let count = |action: &str, outcome: &str| {
        rows.iter()
            .filter(|r| r.action == action && r.outcome == outcome)
            .count()
    };
    assert_eq!(count("dead_letter", "failed"), 2);
    let read = rows
        .iter()
        .find(|r| r.action == "dead_letter_read" && r.outcome == "success")
        .expect("the read is audited");
    assert_eq!(read.purpose.as_deref(), Some("disappearance"));
    assert!(read.categories.contains("identity"), "{read:?}");
    assert!(read.minors.contains(DEMO_CHILDREN[0]) && read.minors.contains(DEMO_CHILDREN[1]));
    assert_eq!(count("dead_letter_read", "denied"), 2);
    assert_eq!(count("dead_letter_read", "purpose_missing"), 1);
    assert_eq!(count("dead_letter_replay", "failed"), 1);
    let replayed = rows
        .iter()
        .find(|r| r.action == "dead_letter_replay" && r.outcome == "success")
        .expect("the replay is audited");
    assert!(replayed.minors.contains(DEMO_CHILDREN[0]), "{replayed:?}");
    assert!(
        rows.iter()
            .any(|r| r.action == "deliver_webhook" && r.request_id == first),
        "the replayed delivery is a disclosure"
    );
    assert_eq!(count("dead_letter_discard", "success"), 1);
    assert!(count("dead_letter_discard", "rejected") >= 1);
}

#[apply(backends)]
async fn an_agency_pings_its_receiver_and_gives_up_on_an_event_its_receiver_refuses(
    #[case] backend: Backend,
) {
    let (app, _clock) = on_clock(backend).await;
    let police = Receiver::start().await;
    let created = subscribe(&app, POLICE, &police.url).await;
    let sub = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let ping = format!("/v1/subscriptions/{sub}/ping");

    // A receiver that refuses: 502, naming what it answered.
    police.refuse(400);
    let res = send(&app, POLICE, reqwest::Method::POST, &ping, None).await;
    let problem = assert_problem(res, 502).await;
    assert_eq!(problem["type"], "urn:uam-registry:problem:receiver-failed");
    assert!(
        problem["detail"].as_str().unwrap().contains("400"),
        "{problem}"
    );
    // One that takes it: a signed test event without child data.
    police.refuse(0);
    let res = send(&app, POLICE, reqwest::Method::POST, &ping, None).await;
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    let got = police.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (id, timestamp, signature, body) = &got[0];
    assert_eq!(answer["event_id"], id.as_str());
    let want = infra::webhook::sign(&secret, id, timestamp.parse().unwrap(), body).unwrap();
    assert_eq!(signature, &want, "signed like every event");
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["type"], "be.uam.subscription.ping");
    assert_eq!(event["data"]["subscription"], sub.as_str());
    // Only the receiving agency pings.
    for who in [app.admin(), app.auth(CHILD_FOCUS.0, CHILD_FOCUS.1)] {
        let res = app
            .client
            .post(app.url(&ping))
            .headers(who)
            .send()
            .await
            .unwrap();
        assert_problem(res, 403).await;
    }

    // Nothing to give up on while it delivers.
    let letters = format!("/v1/subscriptions/{sub}/dead-letters");
    let reason = json!({"reason": "our case system rejects this event; handled by phone"});
    let res = send(
        &app,
        POLICE,
        reqwest::Method::POST,
        &letters,
        Some(reason.clone()),
    )
    .await;
    assert_problem(res, 409).await;
    // The receiver refuses every event (a 4xx, retried like any failure): the agency decides to
    // give up on the one it is stuck on.
    police.refuse(422);
    let alert = report(&app, RECEPTION, DEMO_CHILDREN[0]).await;
    let stuck = until(&app, &sub, Duration::from_secs(10), |s| attempts(s) >= 1).await;
    // An event waits behind the stuck one.
    let ack = post(
        &app,
        CHILD_FOCUS,
        &format!("/v1/alerts/{alert}/acknowledgements"),
        json!({}),
    )
    .await;
    assert_eq!(ack.status(), 201);
    let event = stuck["delivery"]["failing_event"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = send(
        &app,
        CHILD_FOCUS,
        reqwest::Method::POST,
        &letters,
        Some(reason.clone()),
    )
    .await;
    assert_problem(res, 403).await;
    let res = send(&app, POLICE, reqwest::Method::POST, &letters, Some(reason)).await;
    assert_eq!(res.status(), 201);
    let letter: Value = res.json().await.unwrap();
    assert_eq!(letter["event_id"], event.as_str());
    assert!(
        letter["reason"]
            .as_str()
            .unwrap()
            .contains("handled by phone")
    );
    let after = subscription(&app, &sub).await;
    assert_eq!(after["delivery"]["dead_letters"], 1, "{after}");
    assert_eq!(
        after["delivery"]["state"], "failing",
        "only a delivery ends a failure: {after}"
    );
    assert!(after["cursor"].as_i64().unwrap() > stuck["cursor"].as_i64().unwrap());
    // The receiver takes events again: the one behind goes at once, the dead letter does not.
    police.refuse(0);
    let got = police.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2, "the ping and the acknowledgement: {got:?}");
    assert_eq!(got[1]["type"], "be.uam.alert.acknowledged");
    assert!(got.iter().all(|e| e["id"] != event.as_str()));
    let recovered = until(&app, &sub, Duration::from_secs(10), |s| {
        s["delivery"]["state"] == "active"
    })
    .await;
    assert_eq!(recovered["delivery"]["state"], "active", "{recovered}");
    let rows = audit_rows(&app);
    for action in ["subscription_ping", "dead_letter"] {
        assert!(
            rows.iter()
                .any(|r| r.action == action && r.agency.as_deref() == Some("demo-police")),
            "{action} audited"
        );
    }
}

#[apply(backends)]
async fn a_stream_resumed_past_the_outbox_retention_answers_410(#[case] backend: Backend) {
    let (app, clock) = on_clock(backend).await;
    // A subscription whose receiver is down: the pruning waits for its events to be
    // dead-lettered, and keeps those the dead letters name.
    let police = Receiver::start().await;
    police.refuse(503);
    let sub = subscribe(&app, POLICE, &police.url).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    report(&app, RECEPTION, DEMO_CHILDREN[0]).await;
    let open = |last: &str| {
        app.client
            .get(app.url("/v1/alerts/stream"))
            .headers(app.auth(POLICE.0, POLICE.1))
            .header("x-purpose", "disappearance")
            .header("last-event-id", last.to_owned())
            .send()
    };
    let res = open("0").await.unwrap();
    assert_eq!(res.status(), 200, "within the retention it resumes");
    drop(res);
    // A position no event can have is not "gone" but wrong.
    for bad in ["-5", "x"] {
        let problem = assert_problem(open(bad).await.unwrap(), 400).await;
        assert!(problem.to_string().contains("Last-Event-ID"), "{problem}");
    }

    // 31 days later the event is past the outbox's 30 days: removed (within a few seconds),
    // once dead-lettered. A new event is kept.
    clock.advance(chrono::Duration::days(31));
    report(&app, GUARDIANSHIP, DEMO_CHILDREN[1]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let problem = loop {
        let res = open("0").await.unwrap();
        if res.status() == 410 {
            break assert_problem(res, 410).await;
        }
        assert!(Instant::now() < deadline, "the outbox is pruned");
        drop(res);
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(problem["type"], "urn:uam-registry:problem:gone");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("30 days"), "{detail}");
    // Resuming at the position it names works.
    let horizon = detail
        .split("Last-Event-ID: ")
        .nth(1)
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .unwrap()
        .to_owned();
    let horizon: i64 = horizon.parse().unwrap();
    let oldest = problem["oldest_available_id"].as_i64().expect("named");
    assert!(oldest > horizon, "{problem}");
    let res = open(&horizon.to_string()).await.unwrap();
    assert_eq!(res.status(), 200, "resumed at {horizon}");
    assert!(
        audit_rows(&app)
            .iter()
            .any(|r| r.action == "alert_stream" && r.outcome == "rejected"),
        "the refusal is audited"
    );
    // The event the down receiver never got was dead-lettered, not pruned: its letter still
    // shows it.
    let res = get(
        &app,
        app.auth(POLICE.0, POLICE.1),
        &format!("/v1/subscriptions/{sub}/dead-letters"),
    )
    .await;
    let letters: Vec<Value> = res.json().await.unwrap();
    assert!(!letters.is_empty(), "dead-lettered");
    let first = &letters[0];
    assert!(first["seq"].as_i64().unwrap() <= horizon, "{first}");
    assert_eq!(first["event"]["type"], "be.uam.alert.raised", "{first}");
}

#[apply(backends)]
async fn a_kafka_broker_down_past_the_old_give_up_loses_nothing(#[case] backend: Backend) {
    let mut broker = crate::kafka::Broker::start();
    let address = broker.address();
    // Kafka's client timeouts run on real time: a 1 s producer timeout and a schedule of 100 ms
    // doubled up to 1 s let the outage outlast the old 8 attempts in seconds.
    let app = spawn_app_with(
        backend,
        Options {
            demo: true,
            ..Default::default()
        },
        |s| {
            s.kafka_brokers = address.clone();
            s.kafka_timeout_ms = 1000;
            s.delivery_backoff_initial_ms = 100;
            s.delivery_backoff_max_seconds = 1;
        },
    )
    .await;
    let res = app
        .client
        .post(app.url("/v1/subscriptions"))
        .headers(app.auth(POLICE.0, POLICE.1))
        .json(&json!({"kind": "kafka"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let sub = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let child_focus = Receiver::start().await;
    subscribe(&app, CHILD_FOCUS, &child_focus.url).await;

    // The broker freezes, the reports come, and the relay sends them to it: they are in flight,
    // unanswered, when the broker is killed.
    broker.freeze();
    for child in &DEMO_CHILDREN[..2] {
        report(&app, GUARDIANSHIP, child).await;
    }
    let cf = child_focus.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(cf.len(), 2, "the webhook subscription is not held up");
    assert_eq!(
        subscription(&app, &sub).await["delivery"]["lag_events"],
        2,
        "nothing acknowledged by the frozen broker"
    );
    broker.stop();
    let s = until(&app, &sub, Duration::from_secs(60), |s| {
        attempts(s) > OLD_GIVE_UP_ATTEMPTS + 1
    })
    .await;
    assert!(
        attempts(&s) > OLD_GIVE_UP_ATTEMPTS + 1,
        "attempts go on past the old give-up: {s}"
    );
    assert_eq!(s["delivery"]["state"], "failing");
    assert_eq!(s["delivery"]["dead_letters"], 0);

    broker.run();
    let consumer_address = broker.address();
    let got = tokio::task::spawn_blocking(move || {
        let consumer = crate::kafka::consumer(&consumer_address, "demo-police");
        crate::kafka::consume(&consumer, 2)
    })
    .await
    .unwrap();
    // Two children: each its own key, perhaps its own partition; compared as a set.
    let got_ids: std::collections::BTreeSet<String> = got
        .iter()
        .map(|(_, e)| e["id"].as_str().unwrap().to_owned())
        .collect();
    let want: std::collections::BTreeSet<String> = ids(&cf).into_iter().collect();
    assert_eq!(got_ids, want, "both reports, none skipped");
    let after = until(&app, &sub, Duration::from_secs(10), |s| {
        s["delivery"]["state"] == "active"
    })
    .await;
    assert_eq!(after["delivery"]["state"], "active", "{after}");
    assert_eq!(after["delivery"]["dead_letters"], 0);
}

/// Who asks, how, where, with what body; the status expected and a word the problem must hold.
type Refusal = (
    (&'static str, &'static str),
    reqwest::Method,
    String,
    Option<Value>,
    u16,
    &'static str,
);

#[apply(backends)]
async fn what_only_the_receiving_agency_decides_is_refused_to_others_with_a_clear_answer(
    #[case] backend: Backend,
) {
    let (app, _clock) = on_clock(backend).await;
    let police = Receiver::start().await;
    let own = subscribe(&app, POLICE, &police.url).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A subscription an administrator proposed: pending until the agency confirms it.
    let res = app
        .client
        .post(app.url("/v1/subscriptions"))
        .headers(app.admin())
        .json(&json!({"agency": "demo-child-focus", "kind": "webhook", "url": police.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let proposed = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let post = reqwest::Method::POST;
    let patch = reqwest::Method::PATCH;
    let cases: Vec<Refusal> = vec![
        // Another agency's subscription, whatever the action.
        (
            CHILD_FOCUS,
            patch.clone(),
            format!("/v1/subscriptions/{own}"),
            Some(json!({"paused": true})),
            403,
            "demo-police",
        ),
        (
            CHILD_FOCUS,
            post.clone(),
            format!("/v1/subscriptions/{own}/dead-letters/replay"),
            None,
            403,
            "demo-police",
        ),
        (
            CHILD_FOCUS,
            post.clone(),
            format!("/v1/subscriptions/{own}/dead-letters/x/discard"),
            Some(json!({"reason": "r"})),
            403,
            "demo-police",
        ),
        // A role of the agency that may not subscribe.
        (
            ("demo-police", "analyst"),
            patch.clone(),
            format!("/v1/subscriptions/{own}"),
            Some(json!({"paused": true})),
            403,
            "subscribe",
        ),
        // Bad input names what is wrong.
        (
            POLICE,
            patch.clone(),
            format!("/v1/subscriptions/{own}"),
            Some(json!({"paused": "yes"})),
            400,
            "boolean",
        ),
        (
            POLICE,
            patch.clone(),
            format!("/v1/subscriptions/{own}"),
            Some(json!({"pause": true})),
            400,
            "pause",
        ),
        (
            POLICE,
            patch.clone(),
            format!("/v1/subscriptions/{own}"),
            Some(json!({"retry_hours": 0})),
            400,
            "retry_hours",
        ),
        (
            POLICE,
            post.clone(),
            format!("/v1/subscriptions/{own}/dead-letters"),
            Some(json!({"reason": "x".repeat(501)})),
            400,
            "reason",
        ),
        (
            POLICE,
            post.clone(),
            format!("/v1/subscriptions/{own}/dead-letters/none/replay"),
            None,
            404,
            "none",
        ),
        (
            POLICE,
            patch.clone(),
            "/v1/subscriptions/no-such".to_owned(),
            Some(json!({"paused": true})),
            404,
            "no-such",
        ),
        // A pending subscription is confirmed before anything else.
        (
            CHILD_FOCUS,
            patch,
            format!("/v1/subscriptions/{proposed}"),
            Some(json!({"paused": true})),
            409,
            "confirm",
        ),
        (
            CHILD_FOCUS,
            post,
            format!("/v1/subscriptions/{proposed}/ping"),
            None,
            409,
            "confirm",
        ),
    ];
    let before = audit_rows(&app).len();
    for (who, method, path, body, status, names) in &cases {
        let res = send(&app, *who, method.clone(), path, body.clone()).await;
        let problem = assert_problem(res, *status).await;
        assert!(
            problem.to_string().contains(names),
            "{method} {path} by {who:?}: {problem}"
        );
    }
    // Nothing changed; each refusal the use case saw is in the trail (malformed bodies are
    // refused before it).
    let s = subscription(&app, &own).await;
    assert_eq!(s["delivery"]["state"], "active", "{s}");
    let refused = audit_rows(&app)[before..]
        .iter()
        .filter(|r| r.outcome != "success")
        .count();
    assert_eq!(
        refused, 10,
        "each refusal the use case saw is audited, once"
    );
}
