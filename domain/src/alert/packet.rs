//! The police packet: what a police report, a Schengen alert on a missing minor (SIS, with the
//! SIRENE form marked urgent and unaccompanied) and an INTERPOL Yellow Notice request need, filled
//! from the alert and from the child's record *as one caller may see it*, with every required
//! field that is still missing named, and why.
//!
//! Pure code: [`assemble`] takes the alert and the record already passed through the caller's mask
//! (the same view `GET /v1/alerts/{id}` answers) and the categories the caller reads; it reads
//! nothing else, so the packet can never hold more than that view. A field of a category the
//! caller may not read is listed as `withheld` with its category, whether the record holds a
//! value or not (the packet never tells whether a withheld field is filled).
//!
//! The required fields of each form, and where each comes from, are in [`FORMS`]; the sources are
//! cited in `docs/episodes.md` ("Police packet").

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::model::Alert;
use crate::category::{Category, CategorySet};
use crate::projection::MinorView;
use crate::purpose::Purpose;

/// The three documents of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    // The Belgian police's report of a missing person (local police, federal missing-persons
    // unit).
    PoliceReport,
    // A SIS alert on a missing minor (Regulation (EU) 2018/1862, Art. 32) and its SIRENE form,
    // marked urgent and unaccompanied.
    SireneMissingMinor,
    // A request to INTERPOL for a Yellow Notice (missing person).
    InterpolYellowNotice,
}

impl FormKind {
    pub const ALL: [FormKind; 3] = [
        Self::PoliceReport,
        Self::SireneMissingMinor,
        Self::InterpolYellowNotice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PoliceReport => "police_report",
            Self::SireneMissingMinor => "sirene_missing_minor",
            Self::InterpolYellowNotice => "interpol_yellow_notice",
        }
    }
}

/// Where a required field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The child's record: the field belongs to this category, and is shown only to callers who
    /// read it.
    Record(Category),
    /// The alert itself (`alert.last_seen_at`, ...): shown to every follower.
    Alert,
}

/// One field a form requires: its path (`identity.family_name`: the member of the record's JSON;
/// `alert.last_seen_place`: the member of the alert's), where it is read, and the clause of the
/// form's rule that asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub path: &'static str,
    pub source: Source,
    pub basis: &'static str,
}

/// What a form requires, and under which rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormSpec {
    pub kind: FormKind,
    pub title: &'static str,
    /// The rule or practice the list of fields rests on.
    pub basis: &'static str,
    pub urgent: Option<bool>,
    pub unaccompanied: Option<bool>,
    pub fields: &'static [Requirement],
    /// What the issuing authority adds itself: the registry holds none of it.
    pub by_authority: &'static [&'static str],
    /// The least the form's rule requires of what the registry can hold, if it names a least.
    pub minimum: Option<Minimum>,
}

/// The least set of identifiers a form's rule requires: every field of `all`, and at least one
/// field of `any_of` (when it is not empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minimum {
    pub all: &'static [&'static str],
    pub any_of: &'static [&'static str],
}

const fn record(path: &'static str, category: Category, basis: &'static str) -> Requirement {
    Requirement {
        path,
        source: Source::Record(category),
        basis,
    }
}

const fn alert(path: &'static str, basis: &'static str) -> Requirement {
    Requirement {
        path,
        source: Source::Alert,
        basis,
    }
}

use Category::{
    Contacts, Documents, Guardianship, Health, Identity, Interception, Photos, Physical, Placement,
    References, Risk, Vulnerability,
};

const BE: &str = "Belgian ministerial directive on the search for missing persons";

/// The three forms, in the order of the packet.
pub const FORMS: [FormSpec; 3] = [
    FormSpec {
        kind: FormKind::PoliceReport,
        title: "Missing-person report (Belgian police)",
        basis: "Belgian ministerial directive on the search for missing persons (2002, updated \
                2022): the police collect the missing person's data and assess the criteria of a \
                worrying disappearance (under 13, lack of autonomy, medical treatment, danger to \
                life, in the company of third parties who may harm, absence out of character). The \
                field list is based on those criteria as the federal police and the Public \
                Prosecution Service publish them; the form itself is not public.",
        urgent: None,
        unaccompanied: None,
        fields: &[
            record("identity.family_name", Identity, BE),
            record("identity.given_names", Identity, BE),
            record("identity.names_original_script", Identity, BE),
            record("identity.aliases", Identity, BE),
            record("identity.sex", Identity, BE),
            record(
                "identity.date_of_birth",
                Identity,
                "BE directive, criterion: under 13",
            ),
            record("identity.nationalities", Identity, BE),
            record("identity.languages", Identity, BE),
            record("physical.height_cm", Physical, BE),
            record("physical.build", Physical, BE),
            record("physical.eye_colour", Physical, BE),
            record("physical.hair_colour", Physical, BE),
            record("physical.distinguishing_marks", Physical, BE),
            record("photos.items", Photos, BE),
            record("contacts.phone_numbers", Contacts, BE),
            record("contacts.social_media", Contacts, BE),
            record("contacts.family_members", Contacts, BE),
            record(
                "vulnerability.trafficking_indicators",
                Vulnerability,
                "BE directive, criterion: in the company of third parties who may harm",
            ),
            record(
                "health.urgent_medical_need",
                Health,
                "BE directive, criterion: medical treatment or medication",
            ),
            record("risk.level", Risk, BE),
            record("risk.factors", Risk, BE),
            record("interception.intended_destination", Interception, BE),
            record("placement.current_agency", Placement, BE),
            record("guardianship.guardian_name", Guardianship, BE),
            record("guardianship.contact", Guardianship, BE),
            alert("alert.last_seen_at", BE),
            alert("alert.last_seen_place", BE),
            alert(
                "alert.circumstances",
                "BE directive, criterion: absence out of character",
            ),
        ],
        by_authority: &[
            "the assessment of the disappearance as worrying, and the prosecutor informed",
            "the declarant and how to reach them",
        ],
        minimum: None,
    },
    FormSpec {
        kind: FormKind::SireneMissingMinor,
        title: "SIS alert on a missing minor and SIRENE form (urgent, unaccompanied)",
        basis: "Regulation (EU) 2018/1862: Art. 32 (alerts on missing persons, minors among them), \
                the data of Art. 20(3) and the minimum data set of Art. 22(1) (Art. 20(3)(a), (g), \
                (k) and (n)); SIRENE Manual (annex to Implementing Decision 2013/115/EU as replaced \
                by Implementing Decision (EU) 2017/1528): form M, field 311 starts with \"URGENT\" \
                and its justification, and says \"Unaccompanied minor\".",
        urgent: Some(true),
        unaccompanied: Some(true),
        fields: &[
            record(
                "identity.family_name",
                Identity,
                "2018/1862 Art. 20(3)(a) surnames; minimum data set",
            ),
            record(
                "identity.given_names",
                Identity,
                "2018/1862 Art. 20(3)(b) forenames",
            ),
            record(
                "identity.aliases",
                Identity,
                "2018/1862 Art. 20(3)(d) previously used names and aliases",
            ),
            record(
                "physical.distinguishing_marks",
                Physical,
                "2018/1862 Art. 20(3)(e) specific, objective physical characteristics not subject \
                 to change",
            ),
            record(
                "identity.place_of_birth",
                Identity,
                "2018/1862 Art. 20(3)(f) place of birth",
            ),
            record(
                "identity.date_of_birth",
                Identity,
                "2018/1862 Art. 20(3)(g) date of birth; minimum data set",
            ),
            record("identity.sex", Identity, "2018/1862 Art. 20(3)(h) gender"),
            record(
                "identity.nationalities",
                Identity,
                "2018/1862 Art. 20(3)(i) any nationalities held",
            ),
            record(
                "references.national_number",
                References,
                "2018/1862 Art. 20(3)(q) registration number in a national register",
            ),
            record(
                "documents.items",
                Documents,
                "2018/1862 Art. 20(3)(s)-(v) identification documents: category, country of \
                 issue, number, date of issue",
            ),
            record(
                "photos.items",
                Photos,
                "2018/1862 Art. 20(3)(w) photographs and facial images",
            ),
            alert(
                "alert.last_seen_at",
                "SIRENE form M, supplementary information on the disappearance",
            ),
            alert(
                "alert.last_seen_place",
                "SIRENE form M, supplementary information on the disappearance",
            ),
            alert(
                "alert.circumstances",
                "SIRENE form M, supplementary information on the disappearance",
            ),
            alert(
                "alert.risk",
                "SIRENE form M field 311: justification of URGENT",
            ),
            record(
                "risk.factors",
                Risk,
                "SIRENE form M field 311: justification of URGENT",
            ),
        ],
        by_authority: &[
            "the reason for the alert (Art. 20(3)(k); minimum data set)",
            "the authority which created the alert (Art. 20(3)(l))",
            "a reference to the decision giving rise to the alert (Art. 20(3)(m))",
            "the action to be taken on a hit, such as placing the child under protection \
             (Art. 20(3)(n); minimum data set)",
            "the categorisation of the type of case (Art. 20(3)(r))",
            "DNA profiles and dactyloscopic data (Art. 20(3)(x), (y)), which the registry does \
             not hold",
        ],
        minimum: Some(Minimum {
            all: &["identity.family_name", "identity.date_of_birth"],
            any_of: &[],
        }),
    },
    FormSpec {
        kind: FormKind::InterpolYellowNotice,
        title: "Request for an INTERPOL Yellow Notice (missing person)",
        basis: "INTERPOL Rules on the Processing of Data, Art. 90: a Yellow Notice on a missing \
                person needs the disappearance reported to and recorded by the police (90(2)(a)), \
                sufficient data on the person or the circumstances (90(2)(d)) and at least the \
                family name, forename, sex and date of birth (at least the year) with a physical \
                description, a photograph of good quality, a DNA profile or fingerprints \
                (90(3)(a)).",
        urgent: None,
        unaccompanied: None,
        fields: &[
            record(
                "identity.family_name",
                Identity,
                "ICPO RPD Art. 90(3)(a)(i) family name",
            ),
            record(
                "identity.given_names",
                Identity,
                "ICPO RPD Art. 90(3)(a)(i) forename",
            ),
            record("identity.sex", Identity, "ICPO RPD Art. 90(3)(a)(i) sex"),
            record(
                "identity.date_of_birth",
                Identity,
                "ICPO RPD Art. 90(3)(a)(i) date of birth (at least the year)",
            ),
            record(
                "physical.height_cm",
                Physical,
                "ICPO RPD Art. 90(3)(a)(ii) physical description",
            ),
            record(
                "physical.build",
                Physical,
                "ICPO RPD Art. 90(3)(a)(ii) physical description",
            ),
            record(
                "physical.eye_colour",
                Physical,
                "ICPO RPD Art. 90(3)(a)(ii) physical description",
            ),
            record(
                "physical.hair_colour",
                Physical,
                "ICPO RPD Art. 90(3)(a)(ii) physical description",
            ),
            record(
                "physical.distinguishing_marks",
                Physical,
                "ICPO RPD Art. 90(3)(a)(ii) physical description",
            ),
            record(
                "photos.items",
                Photos,
                "ICPO RPD Art. 90(3)(a)(ii) a photograph of good quality",
            ),
            record(
                "identity.names_original_script",
                Identity,
                "ICPO RPD Art. 90(2)(d) sufficient data on the person",
            ),
            record(
                "identity.aliases",
                Identity,
                "ICPO RPD Art. 90(2)(d) sufficient data on the person",
            ),
            record(
                "identity.nationalities",
                Identity,
                "ICPO RPD Art. 90(2)(d) sufficient data on the person",
            ),
            record(
                "identity.languages",
                Identity,
                "ICPO RPD Art. 90(2)(d) sufficient data on the person",
            ),
            record(
                "documents.items",
                Documents,
                "ICPO RPD Art. 90(2)(d) sufficient data on the person",
            ),
            alert(
                "alert.last_seen_at",
                "ICPO RPD Art. 90(2)(d) the circumstances of the disappearance",
            ),
            alert(
                "alert.last_seen_place",
                "ICPO RPD Art. 90(2)(d) the circumstances of the disappearance",
            ),
            alert(
                "alert.circumstances",
                "ICPO RPD Art. 90(2)(d) the circumstances of the disappearance",
            ),
        ],
        by_authority: &[
            "the police record of the disappearance (Art. 90(2)(a)), through the National Central \
             Bureau",
            "a DNA profile or fingerprints (Art. 90(3)(a)(ii)), which the registry does not hold",
        ],
        minimum: Some(Minimum {
            all: &[
                "identity.family_name",
                "identity.given_names",
                "identity.sex",
                "identity.date_of_birth",
            ],
            any_of: &[
                "physical.height_cm",
                "physical.build",
                "physical.eye_colour",
                "physical.hair_colour",
                "physical.distinguishing_marks",
                "photos.items",
            ],
        }),
    },
];

/// Why a required field is not in the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissingReason {
    // The caller reads the field's category, and the record (or the alert) holds no value.
    NotRecorded,
    // The caller's mask does not show the field's category: another agency may hold it. Says
    // nothing of whether a value is recorded.
    Withheld,
}

/// A required field and its value, as the caller may see it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "PacketField")]
pub struct Filled {
    /// The field's path: a member of the record (`identity.family_name`) or of the alert
    /// (`alert.last_seen_place`).
    pub field: String,
    /// The value, as the record or the alert holds it.
    pub value: Value,
    /// The clause of the form's rule that asks for the field.
    pub basis: String,
}

/// A required field the packet cannot fill, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "PacketMissingField")]
pub struct Missing {
    pub field: String,
    pub reason: MissingReason,
    /// The category the field belongs to (absent for a field of the alert): for `withheld`, the
    /// category the caller's mask does not show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    pub basis: String,
}

/// One form, filled as far as the caller may see.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "PacketForm")]
pub struct Form {
    pub form: FormKind,
    pub title: String,
    /// The rule the form's fields rest on.
    pub basis: String,
    /// SIRENE: the alert is marked URGENT (form M field 311).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urgent: Option<bool>,
    /// SIRENE: the missing minor is unaccompanied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unaccompanied: Option<bool>,
    /// Whether the fields filled here hold the least the form's rule requires of what the registry
    /// can hold (absent: the rule names no least). Judged on what this caller sees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_met: Option<bool>,
    /// The required fields that hold a value, in the form's order.
    pub fields: Vec<Filled>,
    /// The required fields that do not, in the form's order, each with its reason.
    pub missing: Vec<Missing>,
    /// What the issuing authority adds itself.
    pub completed_by_authority: Vec<String>,
}

/// `_meta` of a packet: the categories withheld from the caller (names, never values) and the
/// purpose it was made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "PacketMeta")]
pub struct PacketMeta {
    pub withheld: Vec<Category>,
    pub purpose: Purpose,
}

/// The police packet of one alert, for one caller.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "PolicePacket")]
pub struct Packet {
    pub alert_id: String,
    pub minor_id: String,
    /// The child's registry number (a core field: shown with any access).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_number: Option<String>,
    #[serde(with = "crate::time::micros")]
    #[schemars(with = "DateTime<Utc>")]
    pub made_at: DateTime<Utc>,
    pub forms: Vec<Form>,
    #[serde(rename = "_meta")]
    pub meta: PacketMeta,
}

impl Packet {
    /// The categories whose values the packet shows: what its audit entry discloses.
    pub fn disclosed(&self) -> CategorySet {
        let mut set = CategorySet::EMPTY;
        for form in &self.forms {
            for f in &form.fields {
                if let Some(c) = record_category(&f.field) {
                    set.insert(c);
                }
            }
        }
        set
    }
}

/// The category of a record path (`identity.family_name` is `identity`); `None` for the alert's.
fn record_category(path: &str) -> Option<Category> {
    FORMS
        .iter()
        .flat_map(|f| f.fields.iter())
        .find(|r| r.path == path)
        .and_then(|r| match r.source {
            Source::Record(c) => Some(c),
            Source::Alert => None,
        })
}

/// The value at a dotted `path` of `root`, if it holds one: null, an empty string, list or
/// object hold none.
fn value_at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = root;
    for part in path.split('.') {
        at = at.get(part)?;
    }
    let empty = match at {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    (!empty).then_some(at)
}

/// The packet of `alert` for a caller who reads the categories `read` of the child, from the
/// alert and the record *as that caller sees them* (`alert` through
/// [`mask_alert`](super::mask_alert), `minor` projected through the caller's mask for the purpose
/// `disappearance`; `None` if the caller reads nothing of the child). A required field of a
/// category outside `read` is `withheld`; one the views hold no value for is `not_recorded`.
/// Callers MUST pass views made with the same mask as `read`: the packet shows what the views
/// hold, nothing else.
pub fn assemble(
    alert: &Alert,
    minor: Option<&MinorView>,
    read: CategorySet,
    made_at: DateTime<Utc>,
) -> Packet {
    let record = minor
        .and_then(|m| serde_json::to_value(&m.data).ok())
        .unwrap_or(Value::Null);
    let alert_json = serde_json::to_value(alert).unwrap_or(Value::Null);
    let forms = FORMS
        .iter()
        .map(|spec| {
            let mut fields = Vec::new();
            let mut missing = Vec::new();
            for r in spec.fields {
                let (value, category) = match r.source {
                    Source::Alert => (
                        value_at(&alert_json, r.path.trim_start_matches("alert.")),
                        None,
                    ),
                    Source::Record(c) if !read.contains(c) => {
                        missing.push(Missing {
                            field: r.path.to_owned(),
                            reason: MissingReason::Withheld,
                            category: Some(c),
                            basis: r.basis.to_owned(),
                        });
                        continue;
                    }
                    Source::Record(c) => (value_at(&record, r.path), Some(c)),
                };
                match value {
                    Some(v) => fields.push(Filled {
                        field: r.path.to_owned(),
                        value: v.clone(),
                        basis: r.basis.to_owned(),
                    }),
                    None => missing.push(Missing {
                        field: r.path.to_owned(),
                        reason: MissingReason::NotRecorded,
                        category,
                        basis: r.basis.to_owned(),
                    }),
                }
            }
            let filled = |path: &&str| fields.iter().any(|f: &Filled| f.field == *path);
            let minimum_met = spec.minimum.map(|m| {
                m.all.iter().all(filled) && (m.any_of.is_empty() || m.any_of.iter().any(filled))
            });
            Form {
                form: spec.kind,
                title: spec.title.to_owned(),
                basis: spec.basis.to_owned(),
                urgent: spec.urgent,
                unaccompanied: spec.unaccompanied,
                minimum_met,
                fields,
                missing,
                completed_by_authority: spec.by_authority.iter().map(|s| (*s).to_owned()).collect(),
            }
        })
        .collect();
    Packet {
        alert_id: alert.id.clone(),
        minor_id: alert.minor_id.clone(),
        registry_number: minor.map(|m| m.registry_number.clone()),
        made_at,
        forms,
        meta: PacketMeta {
            withheld: CategorySet::all().difference(read).iter().collect(),
            purpose: Purpose::Disappearance,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minor::MinorStatus;
    use crate::policy::Mask;
    use crate::projection::project;
    use crate::record::Minor;

    fn alert() -> Alert {
        serde_json::from_value(serde_json::json!({
            "id": "a1", "minor_id": "m1", "status": "open", "risk": "high",
            "risk_factors": [], "last_seen_at": "2026-12-06T20:40:00.000000Z",
            "last_seen_place": "Poelkapelle station",
            "reported_by": {"subject": "s", "agency": "demo-police", "role": "police_officer"},
            "raised_at": "2026-12-06T21:00:00.000000Z", "notified": [], "acknowledgements": [],
            "acknowledgement_due_at": "2026-12-06T21:15:00.000000Z", "sightings": [],
            "version": 1
        }))
        .unwrap()
    }

    fn child(data: serde_json::Value) -> Minor {
        Minor {
            id: "m1".into(),
            registry_number: "UAM-2026-000001".into(),
            status: MinorStatus::Missing,
            version: 1,
            registered_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            data: serde_json::from_value(data).unwrap(),
            merged_into: None,
            lifecycle: Default::default(),
        }
    }

    fn set(c: &[Category]) -> CategorySet {
        c.iter().copied().collect()
    }

    fn form(p: &Packet, kind: FormKind) -> &Form {
        p.forms.iter().find(|f| f.form == kind).unwrap()
    }

    #[test]
    fn every_required_field_is_filled_or_missing_exactly_once() {
        let minor = child(serde_json::to_value(crate::minor::fixtures::full()).unwrap());
        for read in [CategorySet::EMPTY, set(&[Identity]), CategorySet::all()] {
            let view = project(
                &minor,
                Mask {
                    read,
                    write: CategorySet::EMPTY,
                },
                Purpose::Disappearance,
            );
            let packet = assemble(&alert(), Some(&view), read, DateTime::UNIX_EPOCH);
            for (spec, form) in FORMS.iter().zip(&packet.forms) {
                let mut seen: Vec<&str> = form.fields.iter().map(|f| f.field.as_str()).collect();
                seen.extend(form.missing.iter().map(|m| m.field.as_str()));
                seen.sort_unstable();
                let mut required: Vec<&str> = spec.fields.iter().map(|r| r.path).collect();
                required.sort_unstable();
                assert_eq!(seen, required, "{:?}", spec.kind);
            }
            assert!(packet.disclosed().difference(read).is_empty());
        }
    }

    #[test]
    fn withheld_says_the_category_and_not_recorded_what_is_read_but_empty() {
        // Identity without languages; physical read but empty of marks; photos not recorded.
        let minor = child(serde_json::json!({
            "identity": {"family_name": "Haile", "given_names": "Semhar", "sex": "female",
                         "date_of_birth": "2011-03-14"},
            "physical": {"height_cm": 152},
            "documents": {"items": [{"kind": "passport", "number": "P1"}]},
        }));
        let read = set(&[Identity, Physical, Photos]);
        let view = project(
            &minor,
            Mask {
                read,
                write: CategorySet::EMPTY,
            },
            Purpose::Disappearance,
        );
        let packet = assemble(&alert(), Some(&view), read, DateTime::UNIX_EPOCH);
        let yellow = form(&packet, FormKind::InterpolYellowNotice);
        let why = |f: &Form, path: &str| {
            f.missing
                .iter()
                .find(|m| m.field == path)
                .map(|m| (m.reason, m.category))
        };
        assert_eq!(
            why(yellow, "identity.languages"),
            Some((MissingReason::NotRecorded, Some(Identity)))
        );
        assert_eq!(
            why(yellow, "photos.items"),
            Some((MissingReason::NotRecorded, Some(Photos)))
        );
        // Documents are recorded, but this caller does not read them: withheld, no value.
        assert_eq!(
            why(yellow, "documents.items"),
            Some((MissingReason::Withheld, Some(Documents)))
        );
        assert!(!serde_json::to_string(&packet).unwrap().contains("P1"));
        assert_eq!(
            why(yellow, "alert.circumstances"),
            Some((MissingReason::NotRecorded, None))
        );
        assert_eq!(
            yellow.minimum_met,
            Some(true),
            "names, sex, birth and a height"
        );
        let sirene = form(&packet, FormKind::SireneMissingMinor);
        assert_eq!(
            (sirene.urgent, sirene.unaccompanied),
            (Some(true), Some(true))
        );
        assert_eq!(sirene.minimum_met, Some(true));
        assert_eq!(packet.disclosed(), set(&[Identity, Physical]));
        assert_eq!(packet.meta.withheld.len(), 12);
    }

    #[test]
    fn without_the_names_the_minimum_is_not_met() {
        let minor = child(serde_json::json!({"physical": {"height_cm": 152}}));
        let read = set(&[Physical]);
        let view = project(
            &minor,
            Mask {
                read,
                write: CategorySet::EMPTY,
            },
            Purpose::Disappearance,
        );
        let packet = assemble(&alert(), Some(&view), read, DateTime::UNIX_EPOCH);
        assert_eq!(
            form(&packet, FormKind::InterpolYellowNotice).minimum_met,
            Some(false)
        );
        assert_eq!(
            form(&packet, FormKind::SireneMissingMinor).minimum_met,
            Some(false)
        );
        assert_eq!(form(&packet, FormKind::PoliceReport).minimum_met, None);
    }
}
