//! Test data: a record with every category and field filled, valid on [`today`].

use chrono::{DateTime, NaiveDate, Utc};

use super::model::*;

pub fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

pub fn instant(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// The day the fixture is validated on.
pub fn today() -> NaiveDate {
    date("2025-06-01")
}

/// Every category present, every field set, all valid on [`today`] and already normalised.
pub fn full() -> MinorData {
    MinorData {
        identity: Some(Identity {
            family_name: Some("Haile".into()),
            given_names: Some("Mehret".into()),
            names_original_script: vec![OriginalScriptName {
                family_name: Some("ሃይለ".into()),
                given_names: Some("መሕረት".into()),
                script: "Ethi".into(),
            }],
            aliases: vec![Alias {
                name: "Meri".into(),
                source: Some("declared by the child".into()),
            }],
            sex: Some(Sex::Female),
            date_of_birth: Some(date("2009-03-14")),
            date_of_birth_certainty: Some(DateCertainty::Declared),
            place_of_birth: Some(PlaceOfBirth {
                place: Some("Asmara".into()),
                country: Some("ER".into()),
            }),
            nationalities: vec!["ER".into()],
            languages: vec!["ti".into(), "ara".into()],
        }),
        age_assessment: Some(AgeAssessment {
            status: Some(AgeAssessmentStatus::Decided),
            method: Some(AgeAssessmentMethod::Multidisciplinary),
            estimated_age_min: Some(15),
            estimated_age_max: Some(17),
            decision: Some(AgeDecision::Minor),
            decided_on: Some(date("2025-04-02")),
            deciding_authority: Some("Guardianship Service".into()),
            appeal: Some(AgeAppeal {
                lodged_on: Some(date("2025-04-20")),
                status: Some(AppealStatus::Pending),
            }),
        }),
        documents: Some(Documents {
            items: vec![IdentityDocument {
                kind: DocumentKind::BirthCertificate,
                number: Some("ER-2009-11873".into()),
                issuing_country: Some("ER".into()),
                expires_on: Some(date("2030-01-01")),
            }],
        }),
        references: Some(References {
            eurodac_reference: Some("IT1-2025-004711".into()),
            national_number: Some("09031400112".into()),
            immigration_file_number: Some("9.876.543".into()),
            reception_id: Some("PKL-2025-0193".into()),
        }),
        physical: Some(Physical {
            height_cm: Some(158),
            build: Some(Build::Slim),
            eye_colour: Some("brown".into()),
            hair_colour: Some("black".into()),
            distinguishing_marks: vec!["scar above the left eyebrow".into()],
        }),
        photos: Some(Photos {
            items: vec![PhotoRef {
                id: "ph-01".into(),
                content_type: "image/jpeg".into(),
                width: 600,
                height: 800,
                bytes: 48_213,
                uploaded_at: instant("2025-03-21T10:00:00Z"),
            }],
        }),
        interception: Some(Interception {
            intercepted_at: Some(instant("2025-03-20T06:45:00Z")),
            place: Some("Brussels-North station".into()),
            country: Some("BE".into()),
            authority: Some("Federal Railway Police".into()),
            circumstances: Some("Found alone on a train.\nCarried no luggage.".into()),
            accompanied_by: Some("an adult cousin".into()),
            travel_route: vec![
                "ER".into(),
                "SD".into(),
                "LY".into(),
                "IT".into(),
                "FR".into(),
            ],
            intended_destination: Some("GB".into()),
        }),
        vulnerability: Some(Vulnerability {
            trafficking_indicators: vec!["travel paid by a third party".into()],
            smuggling_indicators: vec!["crossed the sea by boat".into()],
            debt_bondage: Some(true),
            exploitation_signs: vec!["worked without pay in Libya".into()],
            notes: Some("Fears the people who paid the journey.".into()),
        }),
        health: Some(Health {
            medical_needs: Some("Scabies, treated.".into()),
            medication: Some("None.".into()),
            psychological_support: Some("Weekly sessions.".into()),
            urgent_medical_need: Some(false),
        }),
        contacts: Some(Contacts {
            phone_numbers: vec!["+32471234567".into()],
            social_media: vec![SocialMediaAccount {
                platform: "facebook".into(),
                handle: "mehret.h".into(),
            }],
            family_members: vec![FamilyMember {
                name: Some("Tesfay Haile".into()),
                relationship: Some("uncle".into()),
                whereabouts: Some("London".into()),
                country: Some("GB".into()),
                phone: Some("+447700900123".into()),
            }],
        }),
        guardianship: Some(Guardianship {
            guardian_agency: Some("guardian-janssens".into()),
            guardian_name: Some("An Janssens".into()),
            contact: Some("+32 2 555 01 23".into()),
            appointed_on: Some(date("2025-03-25")),
        }),
        placement: Some(Placement {
            current_agency: Some("fedasil-poelkapelle".into()),
            since: Some(date("2025-03-28")),
            history: vec![PlacementPeriod {
                agency: "fedasil-neder-over-heembeek".into(),
                from: date("2025-03-20"),
                to: Some(date("2025-03-28")),
            }],
        }),
        procedure: Some(Procedure {
            asylum_status: Some(AsylumStatus::Applied),
            residence_status: Some("orange card".into()),
            file_reference: Some("CG-25-01234".into()),
            updated_on: Some(date("2025-05-10")),
        }),
        child_view: Some(ChildView {
            wishes: Some("Wants to join her uncle in London.\nWants to go to school.".into()),
            heard_on: Some(date("2025-04-15")),
            heard_by: Some("her guardian".into()),
        }),
        risk: Some(Risk {
            level: Some(RiskLevel::High),
            factors: vec![
                "intended destination elsewhere".into(),
                "debt bondage".into(),
            ],
        }),
    }
}
