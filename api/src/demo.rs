//! `serve --demo`: one agency of each kind, so that every role can be tried at once.

use domain::agency::{AgencyId, AgencyKind, AgencyName, CountryCode, NewAgency};
use domain::ports::{AgencyRepository, Clock, InsertAgencyError};

/// The demo agencies: id, kind, name. Listed in the README; tests rely on the ids.
pub const DEMO_AGENCIES: [(&str, AgencyKind, &str); 7] = [
    (
        "demo-reception",
        AgencyKind::ReceptionCentre,
        "Demo reception centre",
    ),
    (
        "demo-guardianship",
        AgencyKind::GuardianshipService,
        "Demo guardianship service",
    ),
    ("demo-guardian", AgencyKind::Guardian, "Demo guardian"),
    (
        "demo-immigration",
        AgencyKind::ImmigrationOffice,
        "Demo immigration office",
    ),
    ("demo-police", AgencyKind::Police, "Demo police zone"),
    (
        "demo-child-focus",
        AgencyKind::ChildFocus,
        "Demo Child Focus",
    ),
    (
        "demo-youth-care",
        AgencyKind::YouthCare,
        "Demo youth-care service",
    ),
];

/// Creates the demo agencies that do not exist yet; running it twice changes nothing.
pub fn seed(agencies: &dyn AgencyRepository, clock: &dyn Clock) -> anyhow::Result<()> {
    for (id, kind, name) in DEMO_AGENCIES {
        let agency = NewAgency {
            id: AgencyId::parse(id)?,
            kind,
            name: AgencyName::parse(name)?,
            country: CountryCode::parse("BE")?,
        };
        match agencies.insert(&agency, clock.now()) {
            Ok(_) | Err(InsertAgencyError::Duplicate(_)) => {}
            Err(InsertAgencyError::Unknown(e)) => return Err(e),
        }
    }
    Ok(())
}
