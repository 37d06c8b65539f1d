//! Subscriptions belong to the agency that receives them (issue 15, leak 1): a registry
//! administrator only proposes one, which delivers nothing until that agency confirms it; an agency
//! subscribes only itself; webhook URLs are `https` to public addresses (127.0.0.1 is allowed to
//! the tests by `webhook_allowed_hosts`); every change and every refusal is audited.

use api::demo::DEMO_CHILDREN;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::events::{post, receiver, report, wait_for};
use crate::helpers::sql::{AuditRow, audit_rows};
use crate::helpers::{Backend, TestApp, assert_problem, backends, spawn_demo};

const GUARDIAN: (&str, &str) = ("demo-guardian", "guardian");
const POLICE: (&str, &str) = ("demo-police", "police_officer");

/// `POST /v1/subscriptions` with `body` as `who` (agency, role).
async fn create(app: &TestApp, who: (&str, &str), body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/v1/subscriptions"))
        .headers(app.auth(who.0, who.1))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn confirm(app: &TestApp, who: (&str, &str), id: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/subscriptions/{id}/confirmation")))
        .headers(app.auth(who.0, who.1))
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, who: (&str, &str), id: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/v1/subscriptions/{id}")))
        .headers(app.auth(who.0, who.1))
        .send()
        .await
        .unwrap()
}

/// The audit entries of subscription changes and refusals, as (agency, role, outcome).
fn subscription_entries(app: &TestApp) -> Vec<(String, String, String)> {
    audit_rows(app)
        .into_iter()
        .filter(|r: &AuditRow| r.action == "subscription")
        .map(|r| {
            assert_eq!(r.purpose, None, "no purpose: no child's record is touched");
            assert_eq!(r.minors, "[]");
            assert_eq!(r.categories, "[]");
            (r.agency.unwrap(), r.role.unwrap(), r.outcome)
        })
        .collect()
}

fn entry(agency: &str, role: &str, outcome: &str) -> (String, String, String) {
    (agency.to_owned(), role.to_owned(), outcome.to_owned())
}

/// The leak: a registry administrator subscribed a guardian agency to a URL of its choice, and the
/// relay posted there every event of its wards rendered through the guardian's mask (health
/// included), unaudited. Now the proposal is pending and delivers nothing, and the secret is not
/// shown to the administrator; once the guardian confirms, the events written from then on go to
/// the guardian's URL, signed with a secret only the guardian was shown.
#[apply(backends)]
async fn an_admin_proposed_subscription_delivers_nothing_until_the_agency_confirms_it(
    #[case] backend: Backend,
) {
    let app = spawn_demo(backend).await;
    let (guardian_url, guardian_got) = receiver(0).await;
    let res = create(
        &app,
        ("registry", "registry_admin"),
        json!({"agency": "demo-guardian", "kind": "webhook", "url": guardian_url}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let proposed: Value = res.json().await.unwrap();
    assert_eq!(proposed["status"], "pending", "{proposed}");
    assert_eq!(proposed["proposed_by"], "tester", "{proposed}");
    assert!(proposed.get("secret").is_none(), "the admin never sees it");
    let id = proposed["id"].as_str().unwrap().to_owned();
    assert_eq!(
        subscription_entries(&app),
        [entry("registry", "registry_admin", "success")],
        "the proposal is audited"
    );

    // A police webhook, subscribed by the police themselves, shows when the relay has served the
    // report: the pending subscription was due as much as it, had it been active, and would have
    // been served in the same round.
    let (police_url, police_got) = receiver(0).await;
    let police = create(&app, POLICE, json!({"kind": "webhook", "url": police_url})).await;
    assert_eq!(police.status(), 201);
    let police: Value = police.json().await.unwrap();
    assert_eq!(police["status"], "active");
    let police_id = police["id"].as_str().unwrap().to_owned();
    // Semhar Haile, ward of demo-guardian, disappears from her centre.
    let alert = report(
        &app,
        ("demo-reception", "reception_staff"),
        DEMO_CHILDREN[0],
    )
    .await;
    assert_eq!(wait_for(&police_got, 1).await.len(), 1);
    // The round is over once the police subscription's cursor moved (progress is recorded after
    // every delivery of the round).
    let mut served = false;
    for _ in 0..100 {
        let now: Value = get(&app, POLICE, &police_id).await.json().await.unwrap();
        if now["cursor"] != police["cursor"] {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(served, "the relay served the police");
    assert!(
        guardian_got.lock().unwrap().is_empty(),
        "a pending subscription delivers nothing"
    );
    let pending: Value = get(&app, GUARDIAN, &id).await.json().await.unwrap();
    assert_eq!(pending["status"], "pending");
    assert_eq!(
        (&pending["cursor"], &pending["attempts"]),
        (&proposed["cursor"], &json!(0)),
        "never taken by the relay: {pending}"
    );
    assert!(pending.get("secret").is_none());

    // The guardian confirms: the answer shows the secret, once.
    let res = confirm(&app, GUARDIAN, &id).await;
    assert_eq!(res.status(), 200);
    let confirmed: Value = res.json().await.unwrap();
    assert_eq!(confirmed["status"], "active", "{confirmed}");
    let secret = confirmed["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        subscription_entries(&app),
        [
            entry("registry", "registry_admin", "success"),
            entry("demo-police", "police_officer", "success"),
            entry("demo-guardian", "guardian", "success"),
        ]
    );
    // From now on: the report, written before the confirmation, is not sent; the acknowledgement
    // after it is, through the guardian's mask.
    assert_eq!(
        post(
            &app,
            POLICE,
            &format!("/v1/alerts/{alert}/acknowledgements"),
            json!({})
        )
        .await
        .status(),
        201
    );
    let received = wait_for(&guardian_got, 1).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let (event_id, timestamp, signature, body) = &received[0];
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["type"], "be.uam.alert.acknowledged", "{event}");
    assert_eq!(event["data"]["minor"]["id"], DEMO_CHILDREN[0]);
    assert!(
        event["data"]["minor"]["health"].is_object(),
        "what was at stake: the guardian's mask holds health: {event}"
    );
    let want = infra::webhook::sign(&secret, event_id, timestamp.parse().unwrap(), body).unwrap();
    assert_eq!(
        signature, &want,
        "signed with the secret the guardian was shown"
    );

    // Confirmed once is confirmed: a second confirmation is a conflict, and audited.
    let res = confirm(&app, GUARDIAN, &id).await;
    assert_problem(res, 409).await;
    assert_eq!(
        subscription_entries(&app).last(),
        Some(&entry("demo-guardian", "guardian", "rejected"))
    );
}

/// An agency subscribes itself, never another: the police cannot have a guardian's events (or
/// anyone's) sent anywhere. Nor does an administrator subscribe its own agency: it only proposes.
#[apply(backends)]
async fn an_agency_cannot_subscribe_another_agency(#[case] backend: Backend) {
    let app = spawn_demo(backend).await;
    let (url, _) = receiver(0).await;
    for (who, agency) in [
        (POLICE, "demo-guardian"),
        (GUARDIAN, "demo-police"),
        (("demo-reception", "reception_staff"), "demo-guardianship"),
        (("registry", "registry_admin"), "registry"),
        (
            ("demo-immigration", "immigration_officer"),
            "demo-immigration",
        ),
    ] {
        let res = create(
            &app,
            who,
            json!({"agency": agency, "kind": "webhook", "url": url}),
        )
        .await;
        let problem = assert_problem(res, 403).await;
        assert!(
            problem.get("invalid-params").is_none(),
            "{who:?} for {agency}: {problem}"
        );
    }
    let list: Value = app
        .client
        .get(app.url("/v1/subscriptions"))
        .headers(app.admin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!({"items": [], "next": null}), "nothing stored");
    assert_eq!(
        subscription_entries(&app),
        [
            entry("demo-police", "police_officer", "denied"),
            entry("demo-guardian", "guardian", "denied"),
            entry("demo-reception", "reception_staff", "denied"),
            entry("registry", "registry_admin", "denied"),
            entry("demo-immigration", "immigration_officer", "denied"),
        ],
        "every refusal is audited"
    );
}

/// Server-side request forgery: a webhook is `https` to a host that resolves only to public
/// addresses, unless its host is in `webhook_allowed_hosts` (here 127.0.0.1 only). Refused with
/// 400 naming `url`, whoever asks; audited.
#[apply(backends)]
async fn a_plain_http_or_private_address_url_is_refused_naming_url(#[case] backend: Backend) {
    let app = spawn_demo(backend).await;
    let urls = [
        // Plain http to a public address (example.com's, RFC 2606): not https.
        "http://93.184.215.14/hook",
        // Private, link-local (the cloud metadata service), loopback other than the allowed
        // 127.0.0.1, IPv6 unique-local, and a name that resolves to loopback.
        "https://10.0.0.1/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.2/hook",
        "https://[fd00::1]/hook",
        "https://localhost/hook",
        // Not a URL; another scheme.
        "hook",
        "ftp://93.184.215.14/hook",
    ];
    for url in urls {
        for (who, body) in [
            (POLICE, json!({"kind": "webhook", "url": url})),
            (
                ("registry", "registry_admin"),
                json!({"agency": "demo-guardian", "kind": "webhook", "url": url}),
            ),
        ] {
            let res = create(&app, who, body).await;
            let problem = assert_problem(res, 400).await;
            assert_eq!(
                problem["invalid-params"][0]["name"], "url",
                "{who:?} {url}: {problem}"
            );
        }
    }
    let list: Value = app
        .client
        .get(app.url("/v1/subscriptions"))
        .headers(app.admin())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!({"items": [], "next": null}), "nothing stored");
    let entries = subscription_entries(&app);
    assert_eq!(entries.len(), 2 * urls.len());
    assert!(
        entries.iter().all(|(_, _, outcome)| outcome == "rejected"),
        "{entries:?}"
    );
}

/// Only the receiving agency confirms: another agency, the administrator who proposed it, and a
/// role of that agency that may not subscribe are refused (403, audited), and it stays pending.
/// Each agency sees and ends its own; the administrator sees and ends any.
#[apply(backends)]
async fn confirmation_by_the_wrong_agency_is_403(#[case] backend: Backend) {
    let app = spawn_demo(backend).await;
    let (url, _) = receiver(0).await;
    let res = create(
        &app,
        ("registry", "registry_admin"),
        json!({"agency": "demo-guardian", "kind": "webhook", "url": url}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for who in [
        POLICE,
        ("demo-guardianship", "guardianship_officer"),
        ("registry", "registry_admin"),
        ("demo-police", "analyst"),
    ] {
        assert_problem(confirm(&app, who, &id).await, 403).await;
    }
    let res = get(&app, ("registry", "registry_admin"), &id).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "pending");
    assert_problem(confirm(&app, GUARDIAN, "no-such-subscription").await, 404).await;
    assert_eq!(
        subscription_entries(&app),
        [
            entry("registry", "registry_admin", "success"),
            entry("demo-police", "police_officer", "denied"),
            entry("demo-guardianship", "guardianship_officer", "denied"),
            entry("registry", "registry_admin", "denied"),
            entry("demo-police", "analyst", "denied"),
            entry("demo-guardian", "guardian", "not_found"),
        ]
    );

    // Another agency neither reads nor ends it; the agency declines it by ending it.
    assert_problem(get(&app, POLICE, &id).await, 403).await;
    let delete = |who: (&str, &str)| {
        app.client
            .delete(app.url(&format!("/v1/subscriptions/{id}")))
            .headers(app.auth(who.0, who.1))
            .send()
    };
    assert_problem(delete(POLICE).await.unwrap(), 403).await;
    assert_eq!(delete(GUARDIAN).await.unwrap().status(), 204);
    assert_problem(get(&app, GUARDIAN, &id).await, 404).await;
    let tail: Vec<_> = subscription_entries(&app).into_iter().skip(6).collect();
    assert_eq!(
        tail,
        [
            entry("demo-police", "police_officer", "denied"),
            entry("demo-police", "police_officer", "denied"),
            entry("demo-guardian", "guardian", "success"),
        ],
        "refused reads and the deletion are audited"
    );
}
