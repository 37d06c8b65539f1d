//! Disappearance alerts: the alert and its lifecycle, the risk rules, and the events it raises.

mod appeal;
mod event;
mod follow;
pub mod ledger;
mod model;
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
