//! Disappearance alerts: the alert and its lifecycle, the risk rules, and the events it raises.

mod event;
mod model;
mod risk;

pub use event::{AlertEvent, EventType, PossibleMatch};
pub use model::{
    Acknowledgement, Alert, AlertError, AlertStatus, MEASURES_WITHIN, Measures, NewAlert, Reporter,
    Resolution, ResolutionOutcome, Sighting,
};
pub use risk::{Assessment, DEFAULT_RISK_TOML, RiskRules, RiskRulesError};
