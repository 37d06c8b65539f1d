//! The child's record: one optional member per field category, each a JSON object of optional
//! fields. The types accept any well-typed value; [`super::validate()`] enforces the field rules
//! (bounds, code lists, dates) and normalises text.
//!
//! Every member and field is optional so that partial objects are accepted and a merge patch can
//! remove any of them; list items keep the fields without which the item means nothing as required.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::limits::{MAX_ITEMS, MAX_LONG_CHARS, MAX_SHORT_CHARS};
use crate::category::{Category, CategorySet};

/// The record's content: one optional member per field category, named after the category
/// (`identity`, `physical`, `contacts`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MinorData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_assessment: Option<AgeAssessment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Documents>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<References>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical: Option<Physical>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photos: Option<Photos>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interception: Option<Interception>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<Vulnerability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Contacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardianship: Option<Guardianship>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure: Option<Procedure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_view: Option<ChildView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
}

impl MinorData {
    /// Agency named as the current placement, if any.
    pub fn placement_agency(&self) -> Option<&str> {
        self.placement.as_ref()?.current_agency.as_deref()
    }

    /// Agency of the appointed guardian, if any.
    pub fn guardian_agency(&self) -> Option<&str> {
        self.guardianship.as_ref()?.guardian_agency.as_deref()
    }

    /// Nationalities as stated in identity (empty if none).
    pub fn nationalities(&self) -> &[String] {
        self.identity
            .as_ref()
            .map_or(&[], |identity| identity.nationalities.as_slice())
    }

    /// Categories that hold a value.
    pub fn present_categories(&self) -> CategorySet {
        Category::ALL
            .into_iter()
            .filter(|&c| self.is_present(c))
            .collect()
    }

    /// The same data with every category not in `keep` removed.
    pub fn retain(&self, keep: CategorySet) -> MinorData {
        let mut kept = self.clone();
        for c in CategorySet::all().difference(keep).iter() {
            kept.clear(c);
        }
        kept
    }

    /// Categories whose value differs between `self` and `other` (added, removed or changed).
    pub fn changed_categories(&self, other: &MinorData) -> CategorySet {
        Category::ALL
            .into_iter()
            .filter(|&c| !self.same(other, c))
            .collect()
    }

    fn is_present(&self, c: Category) -> bool {
        match c {
            Category::Identity => self.identity.is_some(),
            Category::AgeAssessment => self.age_assessment.is_some(),
            Category::Documents => self.documents.is_some(),
            Category::References => self.references.is_some(),
            Category::Physical => self.physical.is_some(),
            Category::Photos => self.photos.is_some(),
            Category::Interception => self.interception.is_some(),
            Category::Vulnerability => self.vulnerability.is_some(),
            Category::Health => self.health.is_some(),
            Category::Contacts => self.contacts.is_some(),
            Category::Guardianship => self.guardianship.is_some(),
            Category::Placement => self.placement.is_some(),
            Category::Procedure => self.procedure.is_some(),
            Category::ChildView => self.child_view.is_some(),
            Category::Risk => self.risk.is_some(),
        }
    }

    fn same(&self, other: &MinorData, c: Category) -> bool {
        match c {
            Category::Identity => self.identity == other.identity,
            Category::AgeAssessment => self.age_assessment == other.age_assessment,
            Category::Documents => self.documents == other.documents,
            Category::References => self.references == other.references,
            Category::Physical => self.physical == other.physical,
            Category::Photos => self.photos == other.photos,
            Category::Interception => self.interception == other.interception,
            Category::Vulnerability => self.vulnerability == other.vulnerability,
            Category::Health => self.health == other.health,
            Category::Contacts => self.contacts == other.contacts,
            Category::Guardianship => self.guardianship == other.guardianship,
            Category::Placement => self.placement == other.placement,
            Category::Procedure => self.procedure == other.procedure,
            Category::ChildView => self.child_view == other.child_view,
            Category::Risk => self.risk == other.risk,
        }
    }

    fn clear(&mut self, c: Category) {
        match c {
            Category::Identity => self.identity = None,
            Category::AgeAssessment => self.age_assessment = None,
            Category::Documents => self.documents = None,
            Category::References => self.references = None,
            Category::Physical => self.physical = None,
            Category::Photos => self.photos = None,
            Category::Interception => self.interception = None,
            Category::Vulnerability => self.vulnerability = None,
            Category::Health => self.health = None,
            Category::Contacts => self.contacts = None,
            Category::Guardianship => self.guardianship = None,
            Category::Placement => self.placement = None,
            Category::Procedure => self.procedure = None,
            Category::ChildView => self.child_view = None,
            Category::Risk => self.risk = None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// identity

/// Who the child is, as far as known: names in Latin transliteration and in the original script,
/// sex, birth, nationalities and languages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Family name in Latin script, as transliterated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub family_name: Option<String>,
    /// Given names in Latin script, as transliterated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub given_names: Option<String>,
    /// The names as written in the child's own script.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS))]
    pub names_original_script: Vec<OriginalScriptName>,
    /// Other names the child is or was known by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS))]
    pub aliases: Vec<Alias>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// At most 25 years before, and not after, the day of validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth_certainty: Option<DateCertainty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_of_birth: Option<PlaceOfBirth>,
    /// ISO 3166-1 alpha-2 codes, upper case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS), inner(pattern(r"^[A-Z]{2}$")))]
    pub nationalities: Vec<String>,
    /// ISO 639-1 or ISO 639-3 codes, lower case (`ps`, `prs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS), inner(pattern(r"^[a-z]{2,3}$")))]
    pub languages: Vec<String>,
}

/// A name in its original script; at least one of the two names is present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OriginalScriptName {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub given_names: Option<String>,
    /// ISO 15924 code of the script, Title case (`Arab`, `Ethi`).
    #[schemars(pattern(r"^[A-Z][a-z]{3}$"))]
    pub script: String,
}

/// Another name of the child, with where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alias {
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub name: String,
    /// Where the name was found or who gave it (a document, the child, another agency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    X,
    Unknown,
}

/// How a date of birth is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateCertainty {
    /// Shown by an identity document.
    Documented,
    /// Stated by the child, not documented.
    Declared,
    /// Estimated, e.g. by an age assessment.
    Estimated,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOfBirth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub place: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Z]{2}$"))]
    pub country: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// age_assessment

/// The assessment of whether the child is a minor, and its outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeAssessment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AgeAssessmentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<AgeAssessmentMethod>,
    /// Lower bound of the estimated age, in years; at most `estimated_age_max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 30))]
    pub estimated_age_min: Option<u8>,
    /// Upper bound of the estimated age, in years; at most 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 30))]
    pub estimated_age_max: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<AgeDecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub deciding_authority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeal: Option<AgeAppeal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgeAssessmentStatus {
    NotStarted,
    Ongoing,
    Decided,
    Appealed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgeAssessmentMethod {
    Documentary,
    Interview,
    Medical,
    Multidisciplinary,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgeDecision {
    Minor,
    Adult,
    Undetermined,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeAppeal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lodged_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AppealStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppealStatus {
    Pending,
    Upheld,
    Overturned,
}

// ---------------------------------------------------------------------------------------------
// documents

/// Identity documents the child holds or has held.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Documents {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS))]
    pub items: Vec<IdentityDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityDocument {
    pub kind: DocumentKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub number: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Z]{2}$"))]
    pub issuing_country: Option<String>,
    /// May lie in the future (at most 20 years after the day of validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Passport,
    IdentityCard,
    BirthCertificate,
    ResidencePermit,
    Other,
}

// ---------------------------------------------------------------------------------------------
// references

/// The child's identifiers in other systems.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct References {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub eurodac_reference: Option<String>,
    /// Belgian national register or bis number: 11 digits with a valid check number; dots,
    /// hyphens and spaces are accepted and removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub national_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub immigration_file_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub reception_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// physical

/// Physical description.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Physical {
    /// 40 to 230.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 40, max = 230))]
    pub height_cm: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub eye_colour: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub hair_colour: Option<String>,
    /// Scars, tattoos, birthmarks; one per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS), inner(length(max = MAX_SHORT_CHARS)))]
    pub distinguishing_marks: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Build {
    Slim,
    Average,
    Heavy,
}

// ---------------------------------------------------------------------------------------------
// photos

/// Stored photographs. Written only by the photo upload endpoint: a body or merge patch that
/// names `photos` is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Photos {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS))]
    pub items: Vec<PhotoRef>,
}

/// A stored, content-checked photograph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhotoRef {
    /// The photo store's id.
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub id: String,
    /// Media type of the stored bytes (`image/jpeg`, `image/png`).
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub content_type: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Size of the stored file.
    pub bytes: u64,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub uploaded_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------------
// interception

/// When, where and by whom the child was intercepted, and the journey.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interception {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "crate::time::micros::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub intercepted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub place: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Z]{2}$"))]
    pub country: Option<String>,
    /// The authority that intercepted the child (free text: it need not share the registry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub authority: Option<String>,
    /// Multi-line text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_LONG_CHARS))]
    pub circumstances: Option<String>,
    /// Who was with the child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub accompanied_by: Option<String>,
    /// Countries crossed, in order; ISO 3166-1 alpha-2 codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS), inner(pattern(r"^[A-Z]{2}$")))]
    pub travel_route: Vec<String>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Z]{2}$"))]
    pub intended_destination: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// vulnerability

/// Signs of trafficking, smuggling and exploitation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vulnerability {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS), inner(length(max = MAX_SHORT_CHARS)))]
    pub trafficking_indicators: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS), inner(length(max = MAX_SHORT_CHARS)))]
    pub smuggling_indicators: Vec<String>,
    /// The child owes a debt for the journey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debt_bondage: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS), inner(length(max = MAX_SHORT_CHARS)))]
    pub exploitation_signs: Vec<String>,
    /// Multi-line text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_LONG_CHARS))]
    pub notes: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// health

/// Health data: a special category of personal data (GDPR Art. 9).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// Multi-line text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_LONG_CHARS))]
    pub medical_needs: Option<String>,
    /// Multi-line text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_LONG_CHARS))]
    pub medication: Option<String>,
    /// Multi-line text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_LONG_CHARS))]
    pub psychological_support: Option<String>,
    /// A need that cannot wait: raises the disappearance risk and the alert's urgency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent_medical_need: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// contacts

/// How the child can be reached, and the family.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    /// E.164 (`+32471234567`); spaces are accepted and removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS))]
    pub phone_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS))]
    pub social_media: Vec<SocialMediaAccount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS))]
    pub family_members: Vec<FamilyMember>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialMediaAccount {
    /// The service (`facebook`, `tiktok`, `whatsapp`, ...).
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub platform: String,
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub handle: String,
}

/// A relative; at least `name` or `relationship` is present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyMember {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub name: Option<String>,
    /// To the child (`mother`, `uncle`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub relationship: Option<String>,
    /// Where the relative is believed to be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub whereabouts: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Z]{2}$"))]
    pub country: Option<String>,
    /// E.164, as for `phone_numbers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// guardianship

/// The appointed guardian.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guardianship {
    /// Id (slug) of the guardian's agency, an agency of kind `guardian`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian_agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub guardian_name: Option<String>,
    /// How to reach the guardian (phone or e-mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointed_on: Option<NaiveDate>,
}

// ---------------------------------------------------------------------------------------------
// placement

/// Where the child lives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// Id (slug) of the agency the child is placed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<NaiveDate>,
    /// Earlier placements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS))]
    pub history: Vec<PlacementPeriod>,
}

/// A placement with one agency; `from` is not after `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementPeriod {
    /// Id (slug) of the agency.
    pub agency: String,
    pub from: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
}

// ---------------------------------------------------------------------------------------------
// procedure

/// Asylum and residence procedures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asylum_status: Option<AsylumStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub residence_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub file_reference: Option<String>,
    /// When the status was last confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AsylumStatus {
    None,
    Applied,
    Pending,
    Granted,
    SubsidiaryProtection,
    Refused,
    Appeal,
}

// ---------------------------------------------------------------------------------------------
// child_view

/// The child's own wishes (the right to be heard, UNCRC Art. 12).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildView {
    /// Multi-line text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_LONG_CHARS))]
    pub wishes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heard_on: Option<NaiveDate>,
    /// Who heard the child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SHORT_CHARS))]
    pub heard_by: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// risk

/// The assessed risk that the child disappears.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<RiskLevel>,
    /// What the level rests on; one factor per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ITEMS), inner(length(max = MAX_SHORT_CHARS)))]
    pub factors: Vec<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

// ---------------------------------------------------------------------------------------------
// record status

/// Where the child's record stands: `missing` while the child is reported disappeared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MinorStatus {
    Active,
    Missing,
    Closed,
    /// Merged into another record (a duplicate): the record points to the survivor.
    Merged,
}

impl MinorStatus {
    pub const ALL: [MinorStatus; 4] = [Self::Active, Self::Missing, Self::Closed, Self::Merged];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Missing => "missing",
            Self::Closed => "closed",
            Self::Merged => "merged",
        }
    }
}

/// The text names no record status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a record status")]
pub struct UnknownMinorStatus(pub String);

impl FromStr for MinorStatus {
    type Err = UnknownMinorStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownMinorStatus(s.to_owned()))
    }
}

impl fmt::Display for MinorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::minor::fixtures::full;

    fn set(categories: &[Category]) -> CategorySet {
        categories.iter().copied().collect()
    }

    #[test]
    fn members_are_named_as_the_categories() {
        let json = serde_json::to_value(full()).unwrap();
        let keys: BTreeSet<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let categories: BTreeSet<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(keys, categories);
    }

    #[test]
    fn json_round_trip_and_absent_members_are_omitted() {
        let data = full();
        let json = serde_json::to_value(&data).unwrap();
        assert_eq!(serde_json::from_value::<MinorData>(json).unwrap(), data);
        assert_eq!(
            serde_json::to_value(MinorData::default()).unwrap(),
            serde_json::json!({})
        );
        let partial = serde_json::json!({"identity": {"family_name": "Haile"}, "risk": {}});
        let data: MinorData = serde_json::from_value(partial.clone()).unwrap();
        assert_eq!(serde_json::to_value(&data).unwrap(), partial);
    }

    #[test]
    fn enums_use_snake_case() {
        let json = serde_json::to_value(full()).unwrap();
        assert_eq!(json["documents"]["items"][0]["kind"], "birth_certificate");
        assert_eq!(json["age_assessment"]["method"], "multidisciplinary");
        assert_eq!(json["identity"]["date_of_birth"], "2009-03-14");
        assert_eq!(serde_json::to_value(Sex::X).unwrap(), "x");
        assert_eq!(
            serde_json::to_value(AsylumStatus::SubsidiaryProtection).unwrap(),
            "subsidiary_protection"
        );
    }

    #[test]
    fn present_categories() {
        assert_eq!(full().present_categories(), CategorySet::all());
        assert!(MinorData::default().present_categories().is_empty());
        let data = MinorData {
            health: Some(Health::default()),
            ..MinorData::default()
        };
        assert_eq!(data.present_categories(), set(&[Category::Health]));
    }

    #[test]
    fn retain_keeps_only_the_given_categories() {
        let data = full();
        let kept = data.retain(set(&[Category::Identity, Category::Placement]));
        assert_eq!(kept.identity, data.identity);
        assert_eq!(kept.placement, data.placement);
        assert_eq!(
            kept.present_categories(),
            set(&[Category::Identity, Category::Placement])
        );
        assert_eq!(data.retain(CategorySet::all()), data);
        assert_eq!(data.retain(CategorySet::EMPTY), MinorData::default());
    }

    #[test]
    fn changed_categories_lists_added_removed_and_changed() {
        let before = full();
        let mut after = before.clone();
        assert!(before.changed_categories(&after).is_empty());
        after.identity.as_mut().unwrap().sex = Some(Sex::Unknown);
        after.risk = None;
        let mut without_health = before.clone();
        without_health.health = None;
        assert_eq!(
            before.changed_categories(&after),
            set(&[Category::Identity, Category::Risk])
        );
        assert_eq!(
            without_health.changed_categories(&before),
            set(&[Category::Health])
        );
    }

    #[test]
    fn accessors() {
        let data = full();
        assert_eq!(data.placement_agency(), Some("fedasil-poelkapelle"));
        assert_eq!(data.guardian_agency(), Some("guardian-janssens"));
        assert_eq!(data.nationalities(), ["ER"]);
        let empty = MinorData::default();
        assert_eq!(empty.placement_agency(), None);
        assert_eq!(empty.guardian_agency(), None);
        assert!(empty.nationalities().is_empty());
    }

    #[test]
    fn status_names_round_trip_and_serde_agrees() {
        for status in MinorStatus::ALL {
            assert_eq!(status.as_str().parse::<MinorStatus>(), Ok(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert!("deleted".parse::<MinorStatus>().is_err());
    }

    #[test]
    fn schema_publishes_members_and_limits() {
        let schema = serde_json::to_value(schemars::schema_for!(MinorData)).unwrap();
        let members: BTreeSet<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let categories: BTreeSet<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(members, categories);
        assert_eq!(schema["additionalProperties"], false);
        let identity = &schema["$defs"]["Identity"]["properties"];
        assert_eq!(identity["family_name"]["maxLength"], MAX_SHORT_CHARS);
        assert_eq!(identity["nationalities"]["maxItems"], MAX_ITEMS);
        assert_eq!(identity["nationalities"]["items"]["pattern"], "^[A-Z]{2}$");
        assert_eq!(identity["date_of_birth"]["format"], "date");
    }
}
