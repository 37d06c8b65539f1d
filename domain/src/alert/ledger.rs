//! The reporting ledger of an alert: the parties that must be told of a disappearance, each with
//! its state, so that no agency assumes another has reported. Acknowledgements fill it; a party
//! still silent at the acknowledgement deadline is marked escalated with the alert.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who must be told of a disappearance, by the part it plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    // The police zone of the place last seen: chosen by the reporter, or found in the zones
    // table (`policy/zones.toml`); the first police agency to acknowledge takes it when neither
    // named one.
    PoliceZone,
    // The child's guardian (the guardian agency on the record).
    Guardian,
    // The guardianship service.
    GuardianshipService,
    // Child Focus, the 116000 hotline.
    ChildFocus,
    // The immigration office.
    ImmigrationOffice,
    // The reception centre or youth-care service where the child is placed.
    Placement,
}

impl Party {
    /// Every party, in the order the ledger lists them.
    pub const ALL: [Party; 6] = [
        Party::PoliceZone,
        Party::Guardian,
        Party::GuardianshipService,
        Party::ChildFocus,
        Party::ImmigrationOffice,
        Party::Placement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PoliceZone => "police_zone",
            Self::Guardian => "guardian",
            Self::GuardianshipService => "guardianship_service",
            Self::ChildFocus => "child_focus",
            Self::ImmigrationOffice => "immigration_office",
            Self::Placement => "placement",
        }
    }

    /// The category the party's entry derives from: who the guardian is and where the child is
    /// placed are facts of the child's record; the other parties are the same for every child.
    pub fn category(self) -> Option<crate::category::Category> {
        match self {
            Self::Guardian => Some(crate::category::Category::Guardianship),
            Self::Placement => Some(crate::category::Category::Placement),
            _ => None,
        }
    }

    /// Whether the party is named by the child's record (placement, guardian): such a party
    /// follows the alert only while the record still names it, as any placement or guardian.
    pub fn relational(self) -> bool {
        self.category().is_some()
    }
}

/// Where a party stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerState {
    // The party made the report: it knows.
    Reporter,
    // Told by the registry, not acknowledged yet.
    Pending,
    // Acknowledged.
    Acknowledged,
    // Not acknowledged by the deadline: the alert escalated.
    Escalated,
    // No agency could be found for the part (no guardian appointed, no zone for the place, no
    // such agency registered): a gap a person must fill.
    Unassigned,
}

impl LedgerState {
    /// Whether the party is known to have been told.
    pub fn filled(self) -> bool {
        matches!(self, Self::Reporter | Self::Acknowledged)
    }
}

/// One party on the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LedgerEntry {
    pub party: Party,
    /// The agency that plays the part; `None` while unassigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    pub state: LedgerState,
    /// When the state last changed (acknowledged, escalated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub at: Option<DateTime<Utc>>,
}

/// The ledger: one entry per party and agency (several agencies may share a part, e.g. two
/// immigration offices).
pub type Ledger = Vec<LedgerEntry>;

/// The agencies found for each part when a disappearance is reported.
#[derive(Debug, Clone, Default)]
pub struct Parties {
    pub police_zone: Option<String>,
    pub guardian: Option<String>,
    pub guardianship_service: Vec<String>,
    pub child_focus: Vec<String>,
    pub immigration_office: Vec<String>,
    pub placement: Option<String>,
}

/// The ledger of a new report by `reporter` (an agency id): each party found, pending unless it is
/// the reporter; each part no agency plays, unassigned.
pub fn open(parties: &Parties, reporter: &str) -> Ledger {
    let mut ledger = Vec::new();
    let mut add = |party: Party, agencies: Vec<String>| {
        if agencies.is_empty() {
            ledger.push(LedgerEntry {
                party,
                agency: None,
                state: LedgerState::Unassigned,
                at: None,
            });
        }
        for agency in agencies {
            let state = if agency == reporter {
                LedgerState::Reporter
            } else {
                LedgerState::Pending
            };
            ledger.push(LedgerEntry {
                party,
                agency: Some(agency),
                state,
                at: None,
            });
        }
    };
    add(
        Party::PoliceZone,
        parties.police_zone.iter().cloned().collect(),
    );
    add(Party::Guardian, parties.guardian.iter().cloned().collect());
    add(
        Party::GuardianshipService,
        parties.guardianship_service.clone(),
    );
    add(Party::ChildFocus, parties.child_focus.clone());
    add(Party::ImmigrationOffice, parties.immigration_office.clone());
    add(
        Party::Placement,
        parties.placement.iter().cloned().collect(),
    );
    ledger
}

/// Whether a party has not been told: an entry neither acknowledged nor the reporter's.
pub fn has_gap(ledger: &[LedgerEntry]) -> bool {
    ledger.iter().any(|e| !e.state.filled())
}

/// Records the acknowledgement of `agency` of kind police (`police`) at `now`: its entries become
/// acknowledged; an unassigned police zone is taken by the first police agency to acknowledge.
pub fn acknowledge(ledger: &mut [LedgerEntry], agency: &str, police: bool, now: DateTime<Utc>) {
    let mut found = false;
    for e in ledger.iter_mut() {
        if e.agency.as_deref() == Some(agency) && !e.state.filled() {
            e.state = LedgerState::Acknowledged;
            e.at = Some(now);
            found = true;
        }
    }
    if !found
        && police
        && let Some(e) = ledger
            .iter_mut()
            .find(|e| e.party == Party::PoliceZone && e.agency.is_none())
    {
        e.agency = Some(agency.to_owned());
        e.state = LedgerState::Acknowledged;
        e.at = Some(now);
    }
}

/// Marks every party still pending (or unassigned) as escalated at `now`.
pub fn escalate(ledger: &mut [LedgerEntry], now: DateTime<Utc>) {
    for e in ledger.iter_mut() {
        if matches!(e.state, LedgerState::Pending | LedgerState::Unassigned) {
            if e.state == LedgerState::Pending {
                e.state = LedgerState::Escalated;
            }
            e.at = Some(now);
        }
    }
}

/// The agencies named on the ledger.
pub fn agencies(ledger: &[LedgerEntry]) -> impl Iterator<Item = &str> {
    ledger.iter().filter_map(|e| e.agency.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parties() -> Parties {
        Parties {
            police_zone: None,
            guardian: Some("voogd".into()),
            guardianship_service: vec!["gs".into()],
            child_focus: vec!["cf".into()],
            immigration_office: vec![],
            placement: Some("centre".into()),
        }
    }

    #[test]
    fn the_reporter_is_told_the_others_pending_and_missing_parts_unassigned() {
        let l = open(&parties(), "centre");
        let states: Vec<(Party, Option<&str>, LedgerState)> = l
            .iter()
            .map(|e| (e.party, e.agency.as_deref(), e.state))
            .collect();
        assert_eq!(
            states,
            [
                (Party::PoliceZone, None, LedgerState::Unassigned),
                (Party::Guardian, Some("voogd"), LedgerState::Pending),
                (Party::GuardianshipService, Some("gs"), LedgerState::Pending),
                (Party::ChildFocus, Some("cf"), LedgerState::Pending),
                (Party::ImmigrationOffice, None, LedgerState::Unassigned),
                (Party::Placement, Some("centre"), LedgerState::Reporter),
            ]
        );
        assert!(has_gap(&l));
    }

    #[test]
    fn acknowledgements_fill_it_and_the_first_police_takes_an_open_zone() {
        let now = DateTime::UNIX_EPOCH;
        let mut p = parties();
        p.immigration_office = vec!["imm".into()];
        let mut l = open(&p, "centre");
        for a in ["voogd", "gs", "cf", "imm"] {
            acknowledge(&mut l, a, false, now);
        }
        assert!(has_gap(&l), "the zone is still open");
        acknowledge(&mut l, "pz-a", true, now);
        acknowledge(&mut l, "pz-b", true, now);
        assert_eq!(l[0].agency.as_deref(), Some("pz-a"));
        assert!(!has_gap(&l));
    }

    #[test]
    fn escalation_marks_the_silent() {
        let now = DateTime::UNIX_EPOCH;
        let mut l = open(&parties(), "centre");
        acknowledge(&mut l, "cf", false, now);
        escalate(&mut l, now);
        let escalated: Vec<&str> = l
            .iter()
            .filter(|e| e.state == LedgerState::Escalated)
            .filter_map(|e| e.agency.as_deref())
            .collect();
        assert_eq!(escalated, ["voogd", "gs"]);
        assert_eq!(l[0].state, LedgerState::Unassigned);
    }
}
