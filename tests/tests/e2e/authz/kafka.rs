//! Property-level authorization (OWASP API3) of Kafka payloads: the records in the events a police
//! zone consumes from its topic, the missing child's and a possible match's candidate, hold exactly
//! what the zone's officers may read. One backend (SQLite): the broker makes it slow, and the
//! rendering it checks is the relay's, shared with the webhooks that `events` checks on both.

use reqwest::Method;
use serde_json::json;

use super::policy::{PolicyFile, assert_none, check_optional};
use super::world::{ELSEWHERE, World};
use crate::helpers::Backend;
use crate::kafka::{Broker, consume, consumer};

#[tokio::test]
async fn kafka_payloads_hold_only_what_the_agency_may_read() {
    let broker = Broker::start();
    let address = broker.address();
    let world = World::with(Backend::Sqlite, |s| s.kafka_brokers = address).await;
    let res = world
        .as_(
            Method::POST,
            "/v1/subscriptions",
            ("police_officer", "demo-police"),
            "",
        )
        .json(&json!({"kind": "kafka"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // A child placed elsewhere goes missing; a look-alike is registered by the guardianship
    // service (identity, age assessment, child's view: what the police may not all read).
    let missing = world.child(ELSEWHERE);
    world.add_photo(&missing);
    world.report(&missing).await;
    let res = world
        .as_(
            Method::POST,
            "/v1/minors",
            ("guardianship_officer", "demo-guardianship"),
            "identification",
        )
        .json(&json!({
            "identity": {"family_name": "Haile", "given_names": "Semhar", "sex": "female",
                "date_of_birth": "2011-03-14", "nationalities": ["ER"], "languages": ["ti", "ar"]},
            "age_assessment": {"status": "decided", "method": "multidisciplinary",
                "estimated_age_min": 14, "estimated_age_max": 16, "decision": "minor",
                "decided_on": "2025-06-01", "deciding_authority": "Guardianship Service"},
            "child_view": {"wishes": "to stay with her friend"}}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let answer: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{answer}");

    let broker_address = broker.address();
    let received =
        tokio::task::spawn_blocking(move || consume(&consumer(&broker_address, "demo-police"), 2))
            .await
            .unwrap();
    let policy = PolicyFile::load();
    let (mut wrong, mut checked) = (Vec::new(), 0);
    let mut kinds: Vec<String> = Vec::new();
    for (key, event) in &received {
        let at = format!("kafka demo-police {}", event["type"]);
        kinds.push(event["type"].as_str().unwrap().to_owned());
        let data = &event["data"];
        let child = world.stored(key);
        let readable = policy.readable("police_officer", "demo-police", "disappearance", &child);
        wrong.extend(check_optional(
            &data["minor"],
            &child,
            &readable,
            "disappearance",
            &format!("{at} minor"),
        ));
        if let Some(m) = data.get("possible_match") {
            let candidate = world.stored(m["minor_id"].as_str().unwrap());
            let readable =
                policy.readable("police_officer", "demo-police", "disappearance", &candidate);
            wrong.extend(check_optional(
                &m["candidate"],
                &candidate,
                &readable,
                "disappearance",
                &format!("{at} candidate"),
            ));
            // Identity only: the candidate is not missing.
            if m["candidate"].get("age_assessment").is_some()
                || m["candidate"].get("child_view").is_some()
            {
                wrong.push(format!(
                    "{at}: candidate beyond identity: {}",
                    m["candidate"]
                ));
            }
        }
        checked += 1;
    }
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        ["be.uam.alert.raised", "be.uam.minor.possible_match"],
        "{received:?}"
    );
    assert_none(&wrong, checked, "Kafka payloads");
}
