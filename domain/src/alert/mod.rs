//! Disappearance alerts: the alert and its lifecycle, the risk rules, the events it raises, and
//! the police packet made from it.

mod appeal;
mod event;
mod follow;
pub mod ledger;
mod model;
pub mod packet;
mod risk;

pub use appeal::{Appeal, Republication};
pub use event::{AlertEvent, EventType, Payload, PossibleMatch};
pub use follow::{
    FOLLOWING_KINDS, Following, WITHHELD, following, follows, follows_alert, mask_alert,
    revealed_by,
};
pub use ledger::{LedgerEntry, LedgerState, Party};
pub use model::{
    Acknowledgement, Alert, AlertError, AlertStatus, Credibility, Grading, MEASURES_WITHIN,
    Measures, NewAlert, Reporter, Resolution, ResolutionOutcome, Sighting,
};
pub use risk::{Assessment, DEFAULT_RISK_TOML, PERSON_FACTORS, RiskRules, RiskRulesError};
