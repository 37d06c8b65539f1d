//! Records to test with: a full record (every category), and direct set-up of states the API does
//! not yet change (an open alert).

use serde_json::{Value, json};

/// A valid record with every category but `photos` (which only the photo endpoint writes).
pub fn full_record(placement: &str, guardian: &str) -> Value {
    json!({
        "identity": {
            "family_name": "Haile",
            "given_names": "Semhar",
            "names_original_script": [{"family_name": "ሃይለ", "given_names": "ሰምሃር", "script": "Ethi"}],
            "aliases": [{"name": "Samira Hailu", "source": "declared at interception"}],
            "sex": "female",
            "date_of_birth": "2011-03-14",
            "date_of_birth_certainty": "declared",
            "place_of_birth": {"place": "Asmara", "country": "ER"},
            "nationalities": ["ER"],
            "languages": ["ti", "ar"]
        },
        "age_assessment": {"status": "decided", "method": "multidisciplinary", "estimated_age_min": 14,
                           "estimated_age_max": 16, "decision": "minor", "decided_on": "2025-06-01",
                           "deciding_authority": "Guardianship Service"},
        "documents": {"items": [{"kind": "birth_certificate", "number": "ER-123456", "issuing_country": "ER"}]},
        "references": {"eurodac_reference": "BE1-2025-000123", "immigration_file_number": "OE-9876543",
                       "reception_id": "FED-2025-0042"},
        "physical": {"height_cm": 152, "build": "slim", "eye_colour": "brown", "hair_colour": "black",
                     "distinguishing_marks": ["scar above left eyebrow"]},
        "interception": {"intercepted_at": "2025-05-20T06:30:00Z", "place": "Brussels-North station",
                         "country": "BE", "authority": "Federal police", "travel_route": ["ER", "SD", "LY", "IT", "FR"],
                         "intended_destination": "GB"},
        "vulnerability": {"trafficking_indicators": ["travel paid by unknown third party"],
                          "debt_bondage": true, "notes": "says she owes money for the journey"},
        "health": {"medical_needs": "asthma", "medication": "salbutamol inhaler", "urgent_medical_need": false},
        "contacts": {"phone_numbers": ["+32 471 23 45 67"], "social_media": [{"platform": "TikTok", "handle": "@semhar11"}],
                     "family_members": [{"name": "Yonas Haile", "relationship": "brother", "whereabouts": "London", "country": "GB"}]},
        "guardianship": {"guardian_agency": guardian, "guardian_name": "An Peeters", "appointed_on": "2025-06-10"},
        "placement": {"current_agency": placement, "since": "2025-05-21"},
        "procedure": {"asylum_status": "pending", "file_reference": "CGRS-25-1234"},
        "child_view": {"wishes": "wants to join her brother in London", "heard_on": "2025-06-15", "heard_by": "An Peeters"},
        "risk": {"level": "high", "factors": ["intends to travel on", "trafficking indicators"]}
    })
}

/// Every category name, in the policy's order.
pub const CATEGORIES: [&str; 15] = [
    "identity",
    "age_assessment",
    "documents",
    "references",
    "physical",
    "photos",
    "interception",
    "vulnerability",
    "health",
    "contacts",
    "guardianship",
    "placement",
    "procedure",
    "child_view",
    "risk",
];

/// A small valid change to one category, as a merge patch; `n` makes each change differ from the
/// previous ones, so that every accepted change makes a new version.
pub fn change_to(category: &str, n: usize) -> Value {
    let value = match category {
        "identity" => json!({"given_names": format!("Semhar {n}")}),
        "age_assessment" => {
            json!({"deciding_authority": format!("Guardianship Service, review {n}")})
        }
        "documents" => {
            json!({"items": [{"kind": "passport", "number": format!("P{n:05}"), "issuing_country": "ER"}]})
        }
        "references" => json!({"reception_id": format!("FED-2025-{n:04}")}),
        "physical" => json!({"height_cm": 120 + n % 100}),
        "interception" => {
            json!({"accompanied_by": format!("an adult claiming to be her uncle ({n})")})
        }
        "vulnerability" => json!({"notes": format!("debt confirmed ({n})")}),
        "health" => json!({"medication": format!("salbutamol, as needed ({n})")}),
        "contacts" => json!({"phone_numbers": [format!("+32 471 {:06}", n)]}),
        "guardianship" => json!({"guardian_name": format!("An Peeters {n}")}),
        "placement" => json!({"since": (chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
            + chrono::Days::new(n as u64 % 300)).to_string()}),
        "procedure" => json!({"residence_status": format!("application pending ({n})")}),
        "child_view" => json!({"wishes": format!("wants to stay in Belgium for now ({n})")}),
        "risk" => json!({"factors": [format!("intends to travel on ({n})")]}),
        other => panic!("no change for {other}"),
    };
    json!({ category: value })
}
