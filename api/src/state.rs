//! What every handler may use: the use-case services, built by the composition root.

use domain::usecase::agencies::Agencies;
use domain::usecase::alerts::Alerts;
use domain::usecase::audit::AuditTrail;
use domain::usecase::authenticate::Authenticator;
use domain::usecase::deliveries::Deliveries;
use domain::usecase::health::Readiness;
use domain::usecase::merge::Merges;
use domain::usecase::policy::Rules;
use domain::usecase::records::Records;
use domain::usecase::relay::Relay;
use domain::usecase::search::Search;
use domain::usecase::statistics::Statistics;
use domain::usecase::subscriptions::Subscriptions;

/// Shared, immutable application state: one service per job.
#[derive(Clone)]
pub struct AppState {
    pub authenticator: Authenticator,
    pub readiness: Readiness,
    pub agencies: Agencies,
    pub rules: Rules,
    pub records: Records,
    pub search: Search,
    pub merges: Merges,
    pub audit_trail: AuditTrail,
    pub lifecycles: domain::usecase::lifecycle::Lifecycles,
    pub subject_access: domain::usecase::subject_access::SubjectAccesses,
    pub alerts: Alerts,
    pub episodes: domain::usecase::episodes::Episodes,
    pub subscriptions: Subscriptions,
    pub deliveries: Deliveries,
    pub relay: Relay,
    pub statistics: Statistics,
    /// How an open alert stream polls and keeps its connection alive.
    pub stream: crate::config::StreamTiming,
}
