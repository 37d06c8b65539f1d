//! The merge service: one child's two records become one, and the duplicate points to it.

use super::*;
use crate::minor::MinorStatus;
use crate::ports::MinorReader;
use crate::usecase::alerts::Report;
use crate::usecase::kernel::{Conflict, Failure};
use crate::usecase::records::Precondition;

fn pair(w: &World) -> (String, String) {
    let survivor = registered(w, &child("Ahmadi", "Karim", "2010-05-01"));
    let duplicate = registered(w, &child("Ahmady", "Kareem", "2010-05-01"));
    (survivor, duplicate)
}

#[test]
fn a_merge_keeps_the_survivor_and_the_duplicate_points_to_it() {
    let w = world();
    let (survivor, duplicate) = pair(&w);
    let rq = asking(&officer(), Purpose::Guardianship);
    let merged = w
        .merges
        .merge(&rq, &survivor, &duplicate, Some(Precondition::Version(1)))
        .unwrap();
    assert_eq!(merged.survivor.version, 2);
    let aliases: Vec<String> = merged
        .survivor
        .data
        .identity
        .as_ref()
        .unwrap()
        .aliases
        .iter()
        .map(|a| a.name.clone())
        .collect();
    assert!(
        aliases.iter().any(|a| a.contains("Ahmady")),
        "the duplicate's name is kept as an alias: {aliases:?}"
    );
    assert_eq!(
        merged.left_for_owners,
        [crate::category::Category::Placement],
        "the officer may not write placement: it stays with the duplicate"
    );
    let gone = w.store.find(&duplicate).unwrap().unwrap();
    assert_eq!(gone.status, MinorStatus::Merged);
    assert_eq!(gone.merged_into.as_deref(), Some(survivor.as_str()));
    let read = w.records.consult(&rq, &duplicate).unwrap_err();
    assert!(
        matches!(&read, Failure::Moved { into, .. } if into == &survivor),
        "{read:?}"
    );
    let changed = w
        .records
        .amend(
            &rq,
            &duplicate,
            Some(Precondition::Version(1)),
            &serde_json::json!({"risk": {"level": "high"}}),
        )
        .unwrap_err();
    assert!(
        matches!(changed, Failure::Conflict(Conflict::Merged { .. })),
        "{changed:?}"
    );
    let done = entries(&w, Action::Merge);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].outcome, Outcome::Success);
    let mut named = done[0].minors.clone();
    named.sort();
    let mut both = vec![survivor, duplicate];
    both.sort();
    assert_eq!(named, both);
}

#[test]
fn a_merge_is_refused_for_the_same_record_a_missing_duplicate_a_stale_version_or_a_role() {
    let w = world();
    let (survivor, duplicate) = pair(&w);
    let rq = asking(&officer(), Purpose::Guardianship);
    match w.merges.merge(&rq, &survivor, &survivor, None).unwrap_err() {
        Failure::Invalid(f) => assert_eq!(f.0[0].path, "duplicate"),
        other => panic!("{other:?}"),
    }
    let stale = w
        .merges
        .merge(&rq, &survivor, &duplicate, Some(Precondition::Version(5)))
        .unwrap_err();
    assert_eq!(
        stale.to_string(),
        "the record changed: it is at version 1; fetch it again and decide the merge anew"
    );
    let staff = w
        .merges
        .merge(
            &asking(&reception(), Purpose::Care),
            &survivor,
            &duplicate,
            None,
        )
        .unwrap_err();
    assert!(matches!(staff, Failure::Denied(_)), "{staff:?}");
    w.alerts
        .report(
            &asking(&reception(), Purpose::Disappearance),
            &duplicate,
            Report {
                last_seen_at: start(),
                last_seen_place: "Gent".into(),
                circumstances: None,
                risk: None,
                police_zone: None,
                last_seen_municipality: None,
            },
        )
        .unwrap();
    let missing = w
        .merges
        .merge(&rq, &survivor, &duplicate, None)
        .unwrap_err();
    assert!(
        matches!(missing, Failure::Conflict(Conflict::State(_))),
        "{missing:?}"
    );
    assert_eq!(
        w.store.find(&duplicate).unwrap().unwrap().status,
        MinorStatus::Missing,
        "nothing merged"
    );
    assert_eq!(
        entries(&w, Action::Merge)
            .iter()
            .map(|e| e.outcome)
            .collect::<Vec<_>>(),
        [
            Outcome::Rejected,
            Outcome::Rejected,
            Outcome::Denied,
            Outcome::Rejected
        ]
    );
}
