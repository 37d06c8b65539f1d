//! Disappearance alerts: the alert and its lifecycle, the risk rules, the events it raises, and
//! the police packet made from it.

mod appeal;
mod event;
mod follow;
mod kind;
pub mod ledger;
mod model;
pub mod packet;
mod reporter;
mod risk;

pub use appeal::{Appeal, Republication};
pub use event::{AlertEvent, PossibleMatch};
pub use follow::{
    FOLLOWING_KINDS, Following, WITHHELD, following, follows, follows_alert, mask_alert,
    revealed_by,
};
pub use kind::{EventType, Payload};
pub use ledger::{LedgerEntry, LedgerState, Party};
pub use model::{
    Acknowledgement, Alert, AlertError, AlertStatus, Credibility, Grading, MEASURES_WITHIN,
    Measures, NewAlert, Resolution, ResolutionOutcome, Sighting,
};
pub use reporter::Reporter;
pub use risk::{Assessment, DEFAULT_RISK_TOML, PERSON_FACTORS, RiskRules, RiskRulesError};
