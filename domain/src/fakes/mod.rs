//! In-memory implementations of every port, for the unit tests of the use cases: one store
//! behind every storage port ([`Memory`]), a clock the tests move, counters for ids and secrets,
//! a photo check, a sink that records what it delivers, and a [`World`] that wires every service
//! to them as the composition root wires them to `infra`.

mod machinery;
mod memory;

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use machinery::{
    AcceptJpeg, HttpsOnly, NoOutages, RecordingSink, Secrets, Sequence, TestClock, Tokens, Topics,
};
pub use memory::Memory;

use crate::agency::{Agency, AgencyId, AgencyKind, AgencyName, CountryCode};
use crate::alert::{DEFAULT_RISK_TOML, RiskRules};
use crate::matching::MatchingConfig;
use crate::policy::{DEFAULT_POLICY_TOML, Policy, PolicyDocument};
use crate::principal::Principal;
use crate::purpose::Purpose;
use crate::role::Role;
use crate::usecase::agencies::Agencies;
use crate::usecase::alerts::{AlertPorts, Alerts};
use crate::usecase::audit::AuditTrail;
use crate::usecase::authenticate::{Authenticator, TokenLimits};
use crate::usecase::deliveries::{Deliveries, DeliveryPorts};
use crate::usecase::kernel::{Kernel, Request};
use crate::usecase::merge::Merges;
use crate::usecase::records::{RecordPorts, Records};
use crate::usecase::relay::{Relay, RelayPorts, RelayTiming};
use crate::usecase::search::Search;
use crate::usecase::statistics::Statistics;
use crate::usecase::subscriptions::{SubscriptionPorts, Subscriptions};

/// The shipped default access policy.
pub fn policy() -> Policy {
    let document: PolicyDocument = toml::from_str(DEFAULT_POLICY_TOML).unwrap();
    Policy::from_document(document).unwrap()
}

/// The shipped default risk rules.
pub fn risk() -> RiskRules {
    let rules: RiskRules = toml::from_str(DEFAULT_RISK_TOML).unwrap();
    rules.checked().unwrap()
}

/// The agencies of every world: one of each kind, its id the kind's name with dashes
/// (`reception-centre`, `guardianship-service`, ...), and a second reception centre.
pub const OTHER_CENTRE: &str = "other-centre";

fn agency_id(kind: AgencyKind) -> String {
    kind.to_string().replace('_', "-")
}

/// A member of the agency of `kind` (the world's one) in `role`.
pub fn member(kind: AgencyKind, role: Role) -> Principal {
    Principal {
        subject: format!("{role}-1"),
        agency: AgencyId::parse(&agency_id(kind)).unwrap(),
        agency_kind: kind,
        role,
    }
}

/// A request of `caller` for `purpose`.
pub fn asking(caller: &Principal, purpose: Purpose) -> Request {
    Request {
        caller: caller.clone(),
        purpose: Ok(purpose),
        request_id: "rq-1".into(),
    }
}

/// Every service over one [`Memory`], with the clock, ids and sink the tests look at.
pub struct World {
    pub store: Arc<Memory>,
    /// The business clock: deadlines, audit times.
    pub clock: Arc<TestClock>,
    /// The wall clock tokens are read against (the verifier's and the lifetime bound's).
    pub token_clock: Arc<TestClock>,
    pub sink: Arc<RecordingSink>,
    pub records: Records,
    pub search: Search,
    pub merges: Merges,
    pub audit_trail: AuditTrail,
    pub alerts: Alerts,
    pub subscriptions: Subscriptions,
    pub deliveries: Deliveries,
    pub relay: Relay,
    pub agencies: Agencies,
    pub authenticator: Authenticator,
    pub statistics: Statistics,
}

impl World {
    /// A world on the default policy and risk rules, its clock at `now`, with the agencies of
    /// every kind.
    pub fn at(now: DateTime<Utc>) -> Self {
        let store = Arc::new(Memory::default());
        for kind in AgencyKind::ALL {
            store.add_agency(Agency {
                id: AgencyId::parse(&agency_id(kind)).unwrap(),
                kind,
                name: AgencyName::parse("An agency").unwrap(),
                country: CountryCode::parse("BE").unwrap(),
                created_at: DateTime::UNIX_EPOCH,
            });
        }
        store.add_agency(Agency {
            id: AgencyId::parse(OTHER_CENTRE).unwrap(),
            kind: AgencyKind::ReceptionCentre,
            name: AgencyName::parse("Another centre").unwrap(),
            country: CountryCode::parse("BE").unwrap(),
            created_at: DateTime::UNIX_EPOCH,
        });
        let clock = Arc::new(TestClock::at(now));
        let token_clock = Arc::new(TestClock::at(now));
        let kernel = Kernel::new(Arc::new(policy()), clock.clone(), store.clone())
            .with_outages(Arc::new(NoOutages));
        let ids = Arc::new(Sequence::default());
        let sink = Arc::new(RecordingSink::default());
        let risk = Arc::new(risk());
        let matching = Arc::new(MatchingConfig::default());
        let subscriptions = Subscriptions::new(
            kernel.clone(),
            SubscriptionPorts {
                subscriptions: store.clone(),
                outbox: store.clone(),
                agencies: store.clone(),
                targets: Arc::new(HttpsOnly),
                ids: ids.clone(),
                secrets: Arc::new(Secrets::default()),
                topics: Some(Arc::new(Topics::default())),
            },
            crate::usecase::relay::DEFAULT_OUTBOX_RETENTION,
        );
        let relay = Relay::new(
            kernel.clone(),
            RelayPorts {
                outbox: store.clone(),
                subscriptions: store.clone(),
                minors: store.clone(),
                agencies: store.clone(),
                webhooks: sink.clone(),
                kafka: Some(sink.clone()),
            },
            risk.clone(),
            RelayTiming::default(),
        );
        Self {
            records: Records::new(
                kernel.clone(),
                RecordPorts {
                    minors: store.clone(),
                    writer: store.clone(),
                    agencies: store.clone(),
                    alerts: store.clone(),
                    ids: ids.clone(),
                    photos: Arc::new(AcceptJpeg),
                },
                matching.clone(),
            ),
            search: Search::new(kernel.clone(), store.clone(), matching),
            merges: Merges::new(kernel.clone(), store.clone(), store.clone(), store.clone()),
            audit_trail: AuditTrail::new(kernel.clone(), store.clone()),
            alerts: Alerts::new(
                kernel.clone(),
                AlertPorts {
                    alerts: store.clone(),
                    minors: store.clone(),
                    agencies: store.clone(),
                    ids: ids.clone(),
                    outbox: store.clone(),
                    absences: store.clone(),
                },
                risk,
                std::sync::Arc::new(crate::episode::Zones::default()),
                30,
            ),
            deliveries: Deliveries::new(
                kernel.clone(),
                subscriptions.clone(),
                DeliveryPorts {
                    subscriptions: store.clone(),
                    outbox: store.clone(),
                    ids: ids.clone(),
                },
                relay.clone(),
            ),
            subscriptions,
            relay,
            agencies: Agencies::new(kernel.clone(), store.clone()),
            authenticator: Authenticator::new(
                kernel.clone(),
                Arc::new(Tokens(token_clock.clone())),
                store.clone(),
                TokenLimits {
                    max_lifetime: chrono::Duration::hours(12),
                    leeway: chrono::Duration::seconds(30),
                },
                token_clock.clone(),
            ),
            statistics: Statistics::new(kernel, store.clone(), 5),
            store,
            clock,
            token_clock,
            sink,
        }
    }

    /// The id of the world's agency of `kind`.
    pub fn agency(kind: AgencyKind) -> String {
        agency_id(kind)
    }
}
