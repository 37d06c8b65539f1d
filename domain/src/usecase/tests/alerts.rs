//! The alerts service: a report, the agencies it notifies, the changes and the deadline sweep.

use chrono::Duration;

use super::*;
use crate::alert::{AlertStatus, EventType, ResolutionOutcome};
use crate::fakes::OTHER_CENTRE;
use crate::minor::MinorStatus;
use crate::ports::MinorReader;
use crate::usecase::alerts::Report;
use crate::usecase::kernel::{Conflict, Denied, Failure};

fn report() -> Report {
    Report {
        last_seen_at: start() - Duration::hours(1),
        last_seen_place: "Gare du Midi".into(),
        circumstances: None,
        risk: None,
        police_zone: None,
        last_seen_municipality: None,
    }
}

/// A child placed with the reception centre, reported missing by it: (record id, alert id).
fn missing(w: &World) -> (String, String) {
    let id = registered(w, &child("Ahmadi", "Karim", "2010-05-01"));
    let view = w
        .alerts
        .report(&asking(&reception(), Purpose::Disappearance), &id, report())
        .unwrap();
    (id, view.alert.id)
}

#[test]
fn a_report_opens_the_alert_marks_the_child_missing_and_notifies_who_must_act() {
    let w = world();
    let (id, alert) = missing(&w);
    let stored = &w.store.alerts()[0];
    assert_eq!(stored.id, alert);
    assert_eq!(stored.status, AlertStatus::Open);
    let mut notified = stored.notified.clone();
    notified.sort();
    assert_eq!(
        notified,
        [
            "child-focus",
            "guardianship-service",
            "immigration-office",
            "police"
        ],
        "the agencies that follow every alert and the ledger's immigration office, not the reporter"
    );
    let child = w.store.find(&id).unwrap().unwrap();
    assert_eq!(child.status, MinorStatus::Missing);
    let events = w.store.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event.kind, EventType::Raised);
    let reported = entries(&w, Action::ReportDisappearance);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].outcome, Outcome::Success);
    assert_eq!(reported[0].minors, [id]);
    assert!(
        !reported[0].categories.is_empty(),
        "the answer shows the record: its categories are audited"
    );
}

#[test]
fn a_child_has_one_open_alert_and_a_refused_report_raises_nothing() {
    let w = world();
    let (id, _) = missing(&w);
    let again = w
        .alerts
        .report(&asking(&reception(), Purpose::Disappearance), &id, report())
        .unwrap_err();
    assert!(
        matches!(again, Failure::Conflict(Conflict::State(_))),
        "{again:?}"
    );
    let other = member(AgencyKind::ReceptionCentre, Role::ReceptionStaff);
    let other = crate::principal::Principal {
        agency: crate::agency::AgencyId::parse(OTHER_CENTRE).unwrap(),
        ..other
    };
    let unrelated = w
        .alerts
        .report(&asking(&other, Purpose::Disappearance), &id, report())
        .unwrap_err();
    assert!(
        matches!(unrelated, Failure::Denied(Denied::NoAccessToChild(_))),
        "{unrelated:?}"
    );
    assert_eq!(w.store.events().len(), 1, "no event for a refusal");
    assert_eq!(
        entries(&w, Action::ReportDisappearance)
            .iter()
            .map(|e| e.outcome)
            .collect::<Vec<_>>(),
        [Outcome::Success, Outcome::Rejected, Outcome::Denied]
    );
}

#[test]
fn a_report_in_the_future_or_with_an_empty_place_names_the_field() {
    let w = world();
    let id = registered(&w, &child("Ahmadi", "Karim", "2010-05-01"));
    let rq = asking(&reception(), Purpose::Disappearance);
    let late = Report {
        last_seen_at: start() + Duration::hours(1),
        ..report()
    };
    let empty = Report {
        last_seen_place: " ".into(),
        ..report()
    };
    for (bad, field) in [(late, "last_seen_at"), (empty, "last_seen_place")] {
        match w.alerts.report(&rq, &id, bad).unwrap_err() {
            Failure::Invalid(f) => assert_eq!(f.0[0].path, field),
            other => panic!("{other:?}"),
        }
    }
    assert!(w.store.alerts().is_empty());
}

#[test]
fn each_notified_agency_acknowledges_once_and_an_agency_that_does_not_follow_is_refused() {
    let w = world();
    let (_, alert) = missing(&w);
    let rq = asking(&police(), Purpose::Disappearance);
    let view = w.alerts.acknowledge(&rq, &alert).unwrap();
    assert_eq!(view.alert.acknowledgements.len(), 1);
    let twice = w.alerts.acknowledge(&rq, &alert).unwrap_err();
    assert!(
        matches!(twice, Failure::Conflict(Conflict::State(_))),
        "{twice:?}"
    );
    let stranger = member(AgencyKind::YouthCare, Role::YouthCareWorker);
    let refused = w
        .alerts
        .get(&asking(&stranger, Purpose::Disappearance), &alert)
        .unwrap_err();
    assert!(matches!(refused, Failure::Denied(_)), "{refused:?}");
    let kinds: Vec<EventType> = w.store.events().iter().map(|e| e.event.kind).collect();
    assert_eq!(kinds, [EventType::Raised, EventType::Acknowledged]);
}

#[test]
fn a_resolution_ends_the_alert_and_the_child_is_no_longer_missing() {
    let w = world();
    let (id, alert) = missing(&w);
    let view = w
        .alerts
        .resolve(
            &asking(&officer(), Purpose::Disappearance),
            &alert,
            ResolutionOutcome::FoundSafe,
            Some("with an uncle"),
        )
        .unwrap();
    assert_eq!(view.alert.status, AlertStatus::Resolved);
    assert_eq!(
        w.store.find(&id).unwrap().unwrap().status,
        MinorStatus::Active
    );
    let refused = w
        .alerts
        .resolve(
            &asking(&officer(), Purpose::Disappearance),
            &alert,
            ResolutionOutcome::FoundSafe,
            None,
        )
        .unwrap_err();
    assert!(
        matches!(refused, Failure::Conflict(Conflict::State(_))),
        "resolved already: {refused:?}"
    );
}

#[test]
fn the_sweep_escalates_a_late_alert_once() {
    let w = world();
    missing(&w);
    assert_eq!(w.alerts.sweep().unwrap(), 0, "nothing is due yet");
    w.clock.advance(Duration::days(1));
    assert_eq!(w.alerts.sweep().unwrap(), 1);
    assert_eq!(w.alerts.sweep().unwrap(), 0, "escalated once");
    let kinds: Vec<EventType> = w.store.events().iter().map(|e| e.event.kind).collect();
    assert_eq!(kinds, [EventType::Raised, EventType::Escalated]);
}

#[test]
fn the_packet_is_for_police_and_child_focus_and_audits_what_it_shows_and_every_refusal() {
    let w = world();
    let (id, alert) = missing(&w);
    let packet = w
        .alerts
        .packet(&asking(&police(), Purpose::Disappearance), &alert)
        .unwrap();
    assert_eq!(packet.minor_id, id);
    assert_eq!(packet.forms.len(), 3);
    let made = entries(&w, Action::Packet);
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].outcome, Outcome::Success);
    assert_eq!(made[0].minors, std::slice::from_ref(&id));
    assert_eq!(made[0].categories, packet.disclosed());
    assert!(
        made[0]
            .categories
            .contains(crate::category::Category::Identity)
    );
    // The reporting centre follows the alert, but holds no packet permit; the police stating
    // another purpose neither.
    for (who, purpose) in [
        (reception(), Purpose::Disappearance),
        (police(), Purpose::Identification),
    ] {
        let refused = w.alerts.packet(&asking(&who, purpose), &alert).unwrap_err();
        assert!(matches!(refused, Failure::Denied(_)), "{refused:?}");
    }
    let refusals = entries(&w, Action::Packet);
    assert_eq!(refusals.len(), 3);
    for r in &refusals[1..] {
        assert_eq!(r.outcome, Outcome::Denied);
        assert_eq!(
            r.minors,
            std::slice::from_ref(&id),
            "the refusal names the child"
        );
        assert!(r.categories.is_empty());
    }
    w.alerts
        .resolve(
            &asking(&police(), Purpose::Disappearance),
            &alert,
            ResolutionOutcome::FoundSafe,
            None,
        )
        .unwrap();
    let resolved = w
        .alerts
        .packet(&asking(&police(), Purpose::Disappearance), &alert)
        .unwrap_err();
    assert!(
        matches!(resolved, Failure::Conflict(Conflict::State(_))),
        "{resolved:?}"
    );
}
