//! Unit tests of the use cases against the in-memory ports of `crate::fakes`: what each answers,
//! refuses, stores, audits and raises, without a database.

mod alerts;
mod merge;
mod records;
mod relay;
mod services;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::agency::AgencyKind;
use crate::audit::{Action, AuditEntry, Outcome};
use crate::fakes::{World, asking, member};
use crate::principal::Principal;
use crate::purpose::Purpose;
use crate::role::Role;

/// When every test world starts.
fn start() -> DateTime<Utc> {
    "2026-03-01T08:00:00Z".parse().unwrap()
}

fn world() -> World {
    World::at(start())
}

/// A child placed with the world's reception centre.
fn child(family: &str, given: &str, born: &str) -> Value {
    json!({
        "identity": {
            "family_name": family,
            "given_names": given,
            "date_of_birth": born,
            "sex": "male",
            "nationalities": ["AF"],
        },
        "placement": {"current_agency": World::agency(AgencyKind::ReceptionCentre)},
    })
}

fn reception() -> Principal {
    member(AgencyKind::ReceptionCentre, Role::ReceptionStaff)
}

fn police() -> Principal {
    member(AgencyKind::Police, Role::PoliceOfficer)
}

fn officer() -> Principal {
    member(AgencyKind::GuardianshipService, Role::GuardianshipOfficer)
}

/// Registers `body` as the reception centre, for care; the new record's id.
fn registered(w: &World, body: &Value) -> String {
    w.records
        .register(&asking(&reception(), Purpose::Care), body)
        .unwrap()
        .record
        .id
}

/// The audit entries of `action`, in order.
fn entries(w: &World, action: Action) -> Vec<AuditEntry> {
    w.store
        .audit_entries()
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

/// The outcome of every audit entry, in order.
fn outcomes(w: &World) -> Vec<(Action, Outcome)> {
    w.store
        .audit_entries()
        .iter()
        .map(|e| (e.action, e.outcome))
        .collect()
}
