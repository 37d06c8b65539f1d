//! What every handler may use: the ports, as trait objects chosen by the composition root.

use std::sync::Arc;

use domain::ports::{AgencyRepository, AuditLog, Clock, HealthCheck, TokenVerifier};
use domain::usecase::alerts::Alerts;
use domain::usecase::deliveries::Deliveries;
use domain::usecase::minors::Minors;
use domain::usecase::relay::Relay;
use domain::usecase::statistics::Statistics;
use domain::usecase::subscriptions::Subscriptions;

/// Shared, immutable application state.
#[derive(Clone)]
pub struct AppState {
    pub agencies: Arc<dyn AgencyRepository>,
    pub verifier: Arc<dyn TokenVerifier>,
    /// The lifetime bound and leeway every token is held to.
    pub token_limits: domain::usecase::authenticate::TokenLimits,
    /// The wall clock that tokens' `exp` is read against (never the business `clock`, which
    /// tests may move).
    pub token_clock: Arc<dyn Clock>,
    pub clock: Arc<dyn Clock>,
    pub health: Arc<dyn HealthCheck>,
    pub minors: Minors,
    pub alerts: Alerts,
    pub subscriptions: Subscriptions,
    pub deliveries: Deliveries,
    pub relay: Relay,
    /// How long the outbox keeps events, in days (how far back a stream resumes).
    pub outbox_retention_days: i64,
    pub statistics: Statistics,
    pub audit: Arc<dyn AuditLog>,
    /// The access policy: field grants and operation rights.
    pub policy: Arc<domain::policy::Policy>,
    /// Weights and thresholds of identity matching.
    pub matching: domain::matching::MatchingConfig,
}
