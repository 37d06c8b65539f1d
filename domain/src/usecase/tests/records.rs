//! The records service: registration, consultation, changes, photos, each audited.

use serde_json::json;

use super::*;
use crate::category::Category;
use crate::minor::MinorStatus;
use crate::usecase::kernel::{Conflict, Denied, Failure, Request};
use crate::usecase::records::Precondition;

#[test]
fn a_registration_is_stored_with_its_entry_and_answers_through_the_registrants_mask() {
    let w = world();
    let done = w
        .records
        .register(
            &asking(&reception(), Purpose::Care),
            &child("Ahmadi", "Karim", "2010-05-01"),
        )
        .unwrap();
    assert_eq!(done.record.version, 1);
    assert_eq!(done.record.status, MinorStatus::Active);
    assert!(done.record.data.identity.is_some());
    assert!(
        done.record.meta.withheld.contains(&Category::Documents),
        "reception staff do not read documents"
    );
    assert!(done.possible_matches.is_empty(), "the registry was empty");
    let written = entries(&w, Action::Register);
    assert_eq!(written.len(), 1, "committed with the record, not again");
    assert_eq!(written[0].outcome, Outcome::Success);
    assert_eq!(written[0].minors, std::slice::from_ref(&done.record.id));
    assert!(written[0].categories.contains(Category::Identity));
    assert!(written[0].categories.contains(Category::Placement));
    assert_eq!(written[0].purpose, Some(Purpose::Care));
}

#[test]
fn a_refused_registration_stores_nothing_and_is_audited_as_what_it_was() {
    let w = world();
    let mut procedure = child("Ahmadi", "Karim", "2010-05-01");
    procedure["procedure"] = json!({"residence_status": "pending"});
    let missing_purpose = Request {
        purpose: Err(String::new()),
        ..asking(&reception(), Purpose::Care)
    };
    let attempts = [
        (asking(&reception(), Purpose::Care), procedure),
        (missing_purpose, child("Ahmadi", "Karim", "2010-05-01")),
        (
            asking(&police(), Purpose::Identification),
            child("Ahmadi", "Karim", "2010-05-01"),
        ),
        (
            asking(&reception(), Purpose::Care),
            child("Ahmadi", "Karim", "2040-01-01"),
        ),
    ];
    let mut failures = Vec::new();
    for (rq, body) in &attempts {
        failures.push(w.records.register(rq, body).unwrap_err());
    }
    assert!(
        matches!(&failures[0], Failure::Denied(Denied::WriteNotPermitted(c)) if c == &["procedure"]),
        "{:?}",
        failures[0]
    );
    assert!(matches!(
        &failures[1],
        Failure::Denied(Denied::PurposeMissing(_))
    ));
    assert!(
        matches!(&failures[2], Failure::Denied(_)),
        "{:?}",
        failures[2]
    );
    match &failures[3] {
        Failure::Invalid(f) => assert_eq!(f.0[0].path, "identity.date_of_birth"),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.store.record_count(), 0, "nothing half stored");
    assert_eq!(
        outcomes(&w),
        [
            (Action::Register, Outcome::Denied),
            (Action::Register, Outcome::PurposeMissing),
            (Action::Register, Outcome::Denied),
            (Action::Register, Outcome::Rejected),
        ]
    );
    assert!(
        w.store
            .audit_entries()
            .iter()
            .all(|e| e.categories.is_empty()),
        "a refusal discloses no category"
    );
}

#[test]
fn a_consultation_shows_what_the_mask_reads_and_an_unrelated_caller_gets_nothing() {
    let w = world();
    let id = registered(&w, &child("Ahmadi", "Karim", "2010-05-01"));
    let view = w
        .records
        .consult(&asking(&police(), Purpose::Identification), &id)
        .unwrap();
    assert!(view.data.identity.is_some());
    assert!(view.data.placement.is_none(), "police read identity only");
    let read = entries(&w, Action::Read);
    assert_eq!(read.len(), 1);
    assert_eq!(
        read[0].categories.iter().collect::<Vec<_>>(),
        [Category::Identity]
    );
    let stranger = member(AgencyKind::YouthCare, Role::YouthCareWorker);
    let refused = w
        .records
        .consult(&asking(&stranger, Purpose::Care), &id)
        .unwrap_err();
    assert!(matches!(refused, Failure::Denied(_)), "{refused:?}");
    let missing = w
        .records
        .consult(&asking(&police(), Purpose::Identification), "nobody")
        .unwrap_err();
    assert!(matches!(missing, Failure::NotFound(_)));
    // The registration, and the search for its possible matches (none).
    assert_eq!(
        outcomes(&w)[2..],
        [
            (Action::Read, Outcome::Success),
            (Action::Read, Outcome::Denied),
            (Action::Read, Outcome::NotFound),
        ]
    );
}

#[test]
fn a_change_needs_the_version_it_is_based_on_and_each_version_is_kept() {
    let w = world();
    let id = registered(&w, &child("Ahmadi", "Karim", "2010-05-01"));
    let rq = asking(&reception(), Purpose::Care);
    let patch = json!({"health": {"medical_needs": "asthma"}});
    let required = w.records.amend(&rq, &id, None, &patch).unwrap_err();
    assert!(matches!(
        required,
        Failure::Conflict(Conflict::PreconditionRequired)
    ));
    let stale = w
        .records
        .amend(&rq, &id, Some(Precondition::Version(7)), &patch)
        .unwrap_err();
    assert!(
        matches!(stale, Failure::Conflict(Conflict::Stale { current: 1, .. })),
        "{stale:?}"
    );
    let changed = w
        .records
        .amend(&rq, &id, Some(Precondition::Version(1)), &patch)
        .unwrap();
    assert_eq!(changed.version, 2);
    let again = w
        .records
        .amend(&rq, &id, Some(Precondition::Version(1)), &patch)
        .unwrap_err();
    assert!(matches!(
        again,
        Failure::Conflict(Conflict::Stale { current: 2, .. })
    ));
    let history = w.records.history(&rq, &id).unwrap();
    assert_eq!(
        history
            .revisions
            .iter()
            .map(|r| r.version)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(history.revisions[1].changed, [Category::Health]);
    assert_eq!(
        entries(&w, Action::Amend)
            .iter()
            .map(|e| e.outcome)
            .collect::<Vec<_>>(),
        [
            Outcome::Rejected,
            Outcome::Rejected,
            Outcome::Success,
            Outcome::Rejected
        ]
    );
}

#[test]
fn nothing_is_disclosed_when_the_trail_cannot_record_it() {
    let w = world();
    let id = registered(&w, &child("Ahmadi", "Karim", "2010-05-01"));
    w.store.set_audit_down(true);
    let e = w
        .records
        .consult(&asking(&police(), Purpose::Identification), &id)
        .unwrap_err();
    assert!(matches!(e, Failure::Unavailable(_)), "{e:?}");
}

#[test]
fn a_registration_answers_with_the_children_it_may_be_from_one_look_up() {
    let w = world();
    let first = registered(&w, &child("Ahmadi", "Karim", "2010-05-01"));
    let second = w
        .records
        .register(
            &asking(&reception(), Purpose::Care),
            &child("Ahmady", "Kareem", "2010-05-01"),
        )
        .unwrap();
    let ids: Vec<&str> = second
        .possible_matches
        .iter()
        .map(|h| h.record.id.as_str())
        .collect();
    assert_eq!(ids, [first.as_str()]);
    let searches = entries(&w, Action::Search);
    assert_eq!(
        searches.len(),
        2,
        "each registration's look for matches is audited"
    );
    assert!(searches[0].minors.is_empty(), "the first found none");
    assert_eq!(
        searches[1].minors,
        [first],
        "the second disclosed the first"
    );
    assert!(searches[1].categories.contains(Category::Identity));
}

#[test]
fn a_photo_is_checked_then_stored_with_a_revision() {
    let w = world();
    let id = registered(&w, &child("Ahmadi", "Karim", "2010-05-01"));
    let rq = asking(&reception(), Purpose::Care);
    let refused = w.records.add_photo(&rq, &id, b"GIF89a").unwrap_err();
    assert!(matches!(refused, Failure::Refused(_)), "{refused:?}");
    let added = w
        .records
        .add_photo(&rq, &id, &[0xFF, 0xD8, 0xFF, 0xE0])
        .unwrap();
    assert_eq!(added.version, 2, "the version the next change is based on");
    let stored = w.records.photo(&rq, &id, &added.photo.id).unwrap();
    assert_eq!(stored.bytes, [0xFF, 0xD8, 0xFF, 0xE0]);
    let record = w.records.consult(&rq, &id).unwrap();
    assert_eq!(record.version, 2);
    assert_eq!(
        record.data.photos.map(|p| p.items.len()),
        Some(1),
        "listed in the record"
    );
    assert_eq!(
        entries(&w, Action::PhotoUpload)
            .iter()
            .map(|e| e.outcome)
            .collect::<Vec<_>>(),
        [Outcome::Rejected, Outcome::Success]
    );
}
