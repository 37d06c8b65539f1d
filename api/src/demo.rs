//! `serve --demo`: one agency of each kind and a few synthetic children, so that every role can be
//! tried at once. The children are invented; any likeness to a real child is accidental.

use domain::agency::{AgencyId, AgencyKind, AgencyName, CountryCode, NewAgency};
use domain::minor::MinorData;
use domain::minor::validate::validate;
use domain::ports::{AgencyRepository, Clock, InsertAgencyError, MinorReader, MinorWriter};
use domain::purpose::Purpose;
use domain::record::Actor;
use serde_json::json;

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

/// Ids of the demo children, listed in the README.
pub const DEMO_CHILDREN: [&str; 2] = [
    "00000000-0000-4000-8000-000000000001",
    "00000000-0000-4000-8000-000000000002",
];

fn demo_child(n: usize) -> serde_json::Value {
    match n {
        0 => json!({
            "identity": {"family_name": "Haile", "given_names": "Semhar",
                "names_original_script": [{"family_name": "ሃይለ", "given_names": "ሰምሃር", "script": "Ethi"}],
                "aliases": [{"name": "Samira Hailu", "source": "declared at interception"}],
                "sex": "female", "date_of_birth": "2011-03-14", "date_of_birth_certainty": "declared",
                "nationalities": ["ER"], "languages": ["ti", "ar"]},
            "physical": {"height_cm": 152, "build": "slim", "eye_colour": "brown", "hair_colour": "black",
                "distinguishing_marks": ["scar above left eyebrow"]},
            "health": {"medical_needs": "asthma", "medication": "salbutamol inhaler"},
            "contacts": {"phone_numbers": ["+32471234567"],
                "family_members": [{"name": "Yonas Haile", "relationship": "brother", "whereabouts": "London", "country": "GB"}]},
            "guardianship": {"guardian_agency": "demo-guardian", "guardian_name": "An Peeters", "appointed_on": "2026-06-10"},
            "placement": {"current_agency": "demo-reception", "since": "2026-05-21"},
            "procedure": {"asylum_status": "pending"},
            "child_view": {"wishes": "wants to join her brother", "heard_on": "2026-06-15"},
            "risk": {"level": "high", "factors": ["intends to travel on"]}
        }),
        _ => json!({
            "identity": {"family_name": "Ahmadi", "given_names": "Farid",
                "names_original_script": [{"family_name": "احمدی", "given_names": "فرید", "script": "Arab"}],
                "sex": "male", "date_of_birth": "2010-01-01", "date_of_birth_certainty": "estimated",
                "nationalities": ["AF"], "languages": ["fa", "ps"]},
            "age_assessment": {"status": "ongoing", "method": "multidisciplinary"},
            "placement": {"current_agency": "demo-youth-care", "since": "2026-04-02"},
            "risk": {"level": "medium"}
        }),
    }
}

/// Registers the demo children that do not exist yet.
pub fn seed_children(
    minors: &dyn MinorReader,
    writer: &dyn MinorWriter,
    clock: &dyn Clock,
) -> anyhow::Result<()> {
    let actor = Actor {
        subject: "demo-seed".into(),
        agency: "registry".into(),
        role: "registry_admin".into(),
        purpose: Purpose::Care,
    };
    for (n, id) in DEMO_CHILDREN.iter().enumerate() {
        if minors.find(id)?.is_some() {
            continue;
        }
        let data: MinorData = serde_json::from_value(demo_child(n))?;
        let data = validate(data, clock.now().date_naive())
            .map_err(|e| anyhow::anyhow!("demo child {n}: {e}"))?;
        // Seeding is not a request: it writes no audit entry.
        writer.insert(id, &data, &actor, clock.now(), None, &[])?;
    }
    Ok(())
}
