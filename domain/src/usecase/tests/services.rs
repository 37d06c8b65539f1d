//! The other services over the in-memory store: search, the audit trail, the agency directory,
//! statistics, and what an agency does with its dead letters.

use super::*;
use crate::agency::AgencyId;
use crate::page::{PageRequest, PageSize};
use crate::statistics::{Figure, Query};
use crate::usecase::agencies::AgencyDraft;
use crate::usecase::kernel::{Conflict, Denied, Failure};
use crate::usecase::search::SearchQuery;
use crate::usecase::subscriptions::Draft;

#[test]
fn a_search_finds_through_the_callers_mask_and_names_what_is_missing() {
    let w = world();
    let id = registered(&w, &child("Ahmadi", "Karim", "2010-05-01"));
    let rq = asking(&police(), Purpose::Identification);
    let query = SearchQuery {
        names: vec!["Karim Ahmady".into()],
        limit: 10,
        ..SearchQuery::default()
    };
    let hits = w.search.search(&rq, &query).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].record.id, id);
    assert!(
        hits[0].record.data.placement.is_none(),
        "police read identity only"
    );
    let nameless = SearchQuery {
        names: vec![" ".into()],
        limit: 10,
        ..SearchQuery::default()
    };
    match w.search.search(&rq, &nameless).unwrap_err() {
        Failure::Invalid(f) => assert_eq!(f.0[0].path, "names"),
        other => panic!("{other:?}"),
    }
    let searches = entries(&w, Action::Search);
    let last_two: Vec<Outcome> = searches.iter().rev().take(2).map(|e| e.outcome).collect();
    assert_eq!(last_two, [Outcome::Rejected, Outcome::Success]);
    assert_eq!(searches[searches.len() - 2].minors, [id]);
}

#[test]
fn the_access_log_is_for_the_guardianship_service_and_a_refused_check_is_audited() {
    let w = world();
    let id = registered(&w, &child("Ahmadi", "Karim", "2010-05-01"));
    let page = PageRequest {
        after: None,
        limit: PageSize::DEFAULT,
    };
    let log = w
        .audit_trail
        .access_log(&asking(&officer(), Purpose::Guardianship), &id, &page)
        .unwrap();
    assert!(
        log.items.iter().any(|e| e.entry.action == Action::Register),
        "the registration is in the child's log"
    );
    let refused = w
        .audit_trail
        .access_log(&asking(&police(), Purpose::Identification), &id, &page)
        .unwrap_err();
    assert!(matches!(refused, Failure::Denied(_)), "{refused:?}");
    let check = w
        .audit_trail
        .verify(&asking(&police(), Purpose::Audit))
        .unwrap_err();
    assert!(matches!(check, Failure::Denied(Denied::NotPermitted(_))));
    let auditor = member(AgencyKind::Registry, Role::Auditor);
    let intact = w
        .audit_trail
        .verify(&asking(&auditor, Purpose::Audit))
        .unwrap();
    assert_eq!(intact.first_broken, None);
    assert_eq!(
        outcomes(&w)[2..],
        [
            (Action::AccessLog, Outcome::Success),
            (Action::AccessLog, Outcome::Denied),
            (Action::VerifyAudit, Outcome::Denied),
        ],
        "a check that succeeds discloses no child data and is not recorded"
    );
    w.store.tamper(1, |e| e.outcome = Outcome::Denied);
    let broken = w
        .audit_trail
        .verify(&asking(&auditor, Purpose::Audit))
        .unwrap();
    assert_eq!(
        broken.first_broken.map(|b| b.seq),
        Some(1),
        "the altered entry"
    );
}

#[test]
fn the_directory_takes_a_new_agency_from_an_administrator_only_and_once() {
    let w = world();
    let draft = AgencyDraft {
        id: "pz-gent".into(),
        kind: "police".into(),
        name: "PZ Gent".into(),
        country: "BE".into(),
    };
    let admin = member(AgencyKind::Registry, Role::RegistryAdmin);
    let refused = w.agencies.create(&police(), &draft).unwrap_err();
    assert!(matches!(refused, Failure::Denied(_)), "{refused:?}");
    let created = w.agencies.create(&admin, &draft).unwrap();
    assert_eq!(created.id, AgencyId::parse("pz-gent").unwrap());
    let twice = w.agencies.create(&admin, &draft).unwrap_err();
    assert!(matches!(twice, Failure::Conflict(Conflict::Duplicate(_))));
    assert!(matches!(
        w.agencies.get("pz-brugge").unwrap_err(),
        Failure::NotFound(_)
    ));
    match w
        .agencies
        .list(Some("Not An Id"), PageSize::DEFAULT)
        .unwrap_err()
    {
        Failure::Invalid(f) => assert_eq!(f.0[0].path, "after"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn statistics_answer_analysts_only_and_every_request_is_audited() {
    let w = world();
    registered(&w, &child("Ahmadi", "Karim", "2010-05-01"));
    let query = || {
        Ok(Query {
            figure: Figure::Registrations,
            by: None,
            split: None,
            from: None,
            to: None,
        })
    };
    let analyst = member(AgencyKind::Registry, Role::Analyst);
    w.statistics
        .series(&asking(&analyst, Purpose::Statistics), query())
        .unwrap();
    let refused = w
        .statistics
        .series(&asking(&police(), Purpose::Statistics), query())
        .unwrap_err();
    assert!(matches!(refused, Failure::Denied(Denied::NotPermitted(_))));
    let audited = entries(&w, Action::Statistics);
    assert_eq!(
        audited.iter().map(|e| e.outcome).collect::<Vec<_>>(),
        [Outcome::Success, Outcome::Denied]
    );
    assert!(
        audited
            .iter()
            .all(|e| e.minors.is_empty() && e.categories.is_empty()),
        "counts only: no child, no category"
    );
}

#[test]
fn an_agency_gives_up_on_an_event_reads_its_dead_letter_and_discards_it() {
    let w = world();
    let caller = member(AgencyKind::Police, Role::PoliceOfficer);
    let sub = w
        .subscriptions
        .create(
            &caller,
            "rq",
            Draft {
                agency: None,
                kind: "webhook".into(),
                url: Some("https://down.example/hook".into()),
                retry_hours: None,
            },
        )
        .unwrap();
    let id = registered(&w, &child("Ahmadi", "Karim", "2010-05-01"));
    w.alerts
        .report(
            &asking(&reception(), Purpose::Disappearance),
            &id,
            crate::usecase::alerts::Report {
                last_seen_at: start(),
                last_seen_place: "Gent".into(),
                circumstances: None,
                risk: None,
                police_zone: None,
                last_seen_municipality: None,
            },
        )
        .unwrap();
    w.relay.run_once().unwrap();
    let letter = w
        .deliveries
        .dead_letter_failing(&caller, "rq", &sub.id, "the receiver is retired")
        .unwrap();
    let read = w
        .deliveries
        .dead_letters(&asking(&caller, Purpose::Disappearance), &sub.id)
        .unwrap();
    assert_eq!(read.len(), 1);
    let event = read[0].event.as_ref().expect("rendered now for the agency");
    assert_eq!(event.children, [id]);
    let wrong = w
        .deliveries
        .dead_letters(&asking(&caller, Purpose::Identification), &sub.id)
        .unwrap_err();
    assert!(matches!(wrong, Failure::Denied(_)), "{wrong:?}");
    match w
        .deliveries
        .discard(&caller, "rq", &sub.id, &letter.event_id, " ")
        .unwrap_err()
    {
        Failure::Invalid(f) => assert_eq!(f.0[0].path, "reason"),
        other => panic!("{other:?}"),
    }
    w.deliveries
        .discard(&caller, "rq", &sub.id, &letter.event_id, "handled by phone")
        .unwrap();
    assert!(
        w.deliveries
            .dead_letters(&asking(&caller, Purpose::Disappearance), &sub.id)
            .unwrap()
            .is_empty()
    );
    let actions: Vec<(Action, Outcome)> = outcomes(&w)
        .into_iter()
        .filter(|(a, _)| {
            matches!(
                a,
                Action::DeadLetter | Action::DeadLetterRead | Action::DeadLetterDiscard
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            (Action::DeadLetter, Outcome::Success),
            (Action::DeadLetterRead, Outcome::Success),
            (Action::DeadLetterRead, Outcome::Denied),
            (Action::DeadLetterDiscard, Outcome::Rejected),
            (Action::DeadLetterDiscard, Outcome::Success),
            (Action::DeadLetterRead, Outcome::Success),
        ]
    );
}
