//! The relay over the in-memory store: each subscribing agency receives the events of the alerts
//! it follows, each through its own mask; a failing receiver holds up no other; each delivery is
//! audited.

use chrono::Duration;

use super::*;
use crate::category::Category;
use crate::usecase::alerts::Report;
use crate::usecase::subscriptions::Draft;

fn subscribe(w: &World, kind: AgencyKind, role: Role, url: Option<&str>) -> String {
    let caller = member(kind, role);
    w.subscriptions
        .create(
            &caller,
            "rq-sub",
            Draft {
                agency: None,
                kind: if url.is_some() { "webhook" } else { "kafka" }.into(),
                url: url.map(str::to_owned),
                retry_hours: None,
            },
        )
        .unwrap()
        .id
}

fn report_missing(w: &World) -> String {
    let id = registered(w, &child("Ahmadi", "Karim", "2010-05-01"));
    w.alerts
        .report(
            &asking(&reception(), Purpose::Disappearance),
            &id,
            Report {
                last_seen_at: start() - Duration::hours(1),
                last_seen_place: "Gare du Midi".into(),
                circumstances: None,
                risk: None,
                police_zone: None,
                last_seen_municipality: None,
            },
        )
        .unwrap();
    id
}

#[test]
fn each_agency_receives_the_alert_through_its_own_mask_and_each_delivery_is_audited() {
    let w = world();
    let police = subscribe(
        &w,
        AgencyKind::Police,
        Role::PoliceOfficer,
        Some("https://police.example/hook"),
    );
    let focus = subscribe(
        &w,
        AgencyKind::ChildFocus,
        Role::ChildFocusCaseManager,
        None,
    );
    let child = report_missing(&w);
    assert_eq!(w.relay.run_once().unwrap(), 2);
    let delivered = w.sink.delivered();
    assert_eq!(delivered.len(), 2, "one event to each: {delivered:?}");
    for (subscription, event) in &delivered {
        assert!(subscription == &police || subscription == &focus);
        assert_eq!(event.cloudevent["type"], "be.uam.alert.raised");
        assert_eq!(event.children, std::slice::from_ref(&child));
        let minor = &event.cloudevent["data"]["minor"];
        assert_eq!(minor["identity"]["family_name"], "Ahmadi");
        assert!(
            minor.get("placement").is_none(),
            "neither reads placement for the purpose disappearance"
        );
        assert!(event.disclosed.contains(Category::Identity));
        assert!(!event.disclosed.contains(Category::Placement));
    }
    let audited = entries(&w, Action::DeliverWebhook)
        .into_iter()
        .chain(entries(&w, Action::DeliverKafka))
        .collect::<Vec<_>>();
    assert_eq!(audited.len(), 2);
    assert!(audited.iter().all(|e| e.minors == [child.clone()]
        && e.purpose == Some(Purpose::Disappearance)
        && e.categories.contains(Category::Identity)));
    assert_eq!(w.relay.run_once().unwrap(), 0, "nothing left to deliver");
}

#[test]
fn a_failing_receiver_waits_with_its_events_and_holds_up_no_other() {
    let w = world();
    let down = subscribe(
        &w,
        AgencyKind::Police,
        Role::PoliceOfficer,
        Some("https://down.example/hook"),
    );
    let up = subscribe(
        &w,
        AgencyKind::ChildFocus,
        Role::ChildFocusCaseManager,
        None,
    );
    report_missing(&w);
    w.relay.run_once().unwrap();
    let delivered: Vec<String> = w.sink.delivered().into_iter().map(|(s, _)| s).collect();
    assert_eq!(delivered, [up]);
    let failing = w
        .store
        .subscriptions()
        .into_iter()
        .find(|s| s.id == down)
        .unwrap();
    let failure = failing.failing.expect("the subscription is failing");
    assert_eq!(failure.seq, Some(1), "on the event it could not deliver");
    assert_eq!(failing.cursor, 0, "which waits: nothing is skipped");
    assert_eq!(entries(&w, Action::DeliveryFailing).len(), 1);
}
