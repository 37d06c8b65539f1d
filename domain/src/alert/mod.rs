//! Disappearance alerts: the alert and its lifecycle, the risk rules, the events it raises, and
//! the police packet made from it.

mod event;
mod follow;
mod model;
pub mod packet;
mod risk;

pub use event::{AlertEvent, EventType, PossibleMatch};
pub use follow::{
    FOLLOWING_KINDS, Following, WITHHELD, following, follows, mask_alert, revealed_by,
};
pub use model::{
    Acknowledgement, Alert, AlertError, AlertStatus, MEASURES_WITHIN, Measures, NewAlert, Reporter,
    Resolution, ResolutionOutcome, Sighting,
};
pub use risk::{Assessment, DEFAULT_RISK_TOML, PERSON_FACTORS, RiskRules, RiskRulesError};
