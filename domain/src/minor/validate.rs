//! The field rules of the child's record, and the normal form of its text.

use chrono::{DateTime, Months, NaiveDate, Utc};
use unicode_normalization::UnicodeNormalization;

use super::codes::{is_language_code, is_script_code};
use super::model::{
    AgeAssessment, ChildView, Contacts, Documents, FamilyMember, Guardianship, Health, Identity,
    Interception, MinorData, Photos, Physical, Placement, Procedure, References, Risk,
    Vulnerability,
};
use crate::agency::AgencyId;
use crate::country::CountryCode;
use crate::validation::FieldErrors;

use super::limits::{
    EARLIEST_DATE, HEIGHT_CM, MAX_AGE_YEARS, MAX_ESTIMATED_AGE, MAX_EXPIRY_YEARS, MAX_ITEMS,
    MAX_LONG_CHARS, MAX_SHORT_CHARS, PHOTO_CONTENT_TYPES,
};

const EMPTY_OPTIONAL: &str = "must not be empty; omit the field instead";
const EMPTY_ENTRY: &str = "must not be empty; omit the entry instead";
const EMPTY_REQUIRED: &str = "must not be empty";

/// The normal form of every stored string: Unicode NFC, without leading or trailing white space,
/// with line breaks as `\n`.
pub fn normalise(value: &str) -> String {
    let nfc: String = value.nfc().collect();
    let trimmed = nfc.trim();
    if trimmed.contains('\r') {
        trimmed.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        trimmed.to_owned()
    }
}

/// Normalises every string (see [`normalise`]), then checks every field; reports all offending
/// fields with their JSON paths (e.g. `identity.names_original_script[0].script`), never just the
/// first.
///
/// Rules:
/// - text: not empty once trimmed (omit the field instead); single-line fields at most
///   [`MAX_SHORT_CHARS`] characters and free of control characters; multi-line fields
///   (`circumstances`, `notes`, `wishes`, the health texts) at most [`MAX_LONG_CHARS`], and free of
///   control characters but line feed and tab; lists at most [`MAX_ITEMS`] entries.
/// - codes: countries ISO 3166-1 alpha-2 (`BE`), languages ISO 639-1 or 639-3 (`ps`, `prs`),
///   scripts ISO 15924 (`Arab`); spelt exactly, never corrected.
/// - dates and instants: not after `today` and not before [`EARLIEST_DATE`]; except
///   `date_of_birth`, which is not after `today` and at most [`MAX_AGE_YEARS`] years before it, and
///   a document's `expires_on`, which may lie up to [`MAX_EXPIRY_YEARS`] years after `today`.
/// - ranges: `estimated_age_min` ≤ `estimated_age_max` ≤ [`MAX_ESTIMATED_AGE`]; `height_cm` in
///   [`HEIGHT_CM`]; a placement period's `from` not after its `to`.
/// - agencies (`guardian_agency`, `current_agency`, a period's `agency`): valid [`AgencyId`] slugs;
///   whether they name existing agencies is for the caller to check.
/// - phone numbers: `+` then 6 to 15 digits; spaces are removed (`+32 471 23 45 67` is stored as
///   `+32471234567`).
/// - `references.national_number`: 11 digits with a valid Belgian check number; dots, hyphens and
///   spaces are removed.
/// - a name in original script needs a family name or given names; a family member a name or a
///   relationship; a photo a known content type and non-zero size.
///
/// A category, place of birth or appeal left with no field is removed.
pub fn validate(mut data: MinorData, today: NaiveDate) -> Result<MinorData, FieldErrors> {
    let mut c = Checker {
        errors: FieldErrors::default(),
        today,
    };
    c.member(&mut data.identity, identity);
    c.member(&mut data.age_assessment, age_assessment);
    c.member(&mut data.documents, documents);
    c.member(&mut data.references, references);
    c.member(&mut data.physical, physical);
    c.member(&mut data.photos, photos);
    c.member(&mut data.interception, interception);
    c.member(&mut data.vulnerability, vulnerability);
    c.member(&mut data.health, health);
    c.member(&mut data.contacts, contacts);
    c.member(&mut data.guardianship, guardianship);
    c.member(&mut data.placement, placement);
    c.member(&mut data.procedure, procedure);
    c.member(&mut data.child_view, child_view);
    c.member(&mut data.risk, risk);
    if c.errors.is_empty() {
        Ok(data)
    } else {
        Err(c.errors)
    }
}

fn identity(c: &mut Checker, v: &mut Identity) {
    const P: &str = "identity";
    c.opt_line(&format!("{P}.family_name"), &mut v.family_name);
    c.opt_line(&format!("{P}.given_names"), &mut v.given_names);
    c.list(
        &format!("{P}.names_original_script"),
        &mut v.names_original_script,
        |c, p, name| {
            c.opt_line(&format!("{p}.family_name"), &mut name.family_name);
            c.opt_line(&format!("{p}.given_names"), &mut name.given_names);
            c.script(&format!("{p}.script"), &mut name.script);
            if name.family_name.is_none() && name.given_names.is_none() {
                c.fail(p, "must have a family name or given names");
            }
        },
    );
    c.list(&format!("{P}.aliases"), &mut v.aliases, |c, p, alias| {
        c.text(
            &format!("{p}.name"),
            &mut alias.name,
            Text::Line,
            EMPTY_REQUIRED,
        );
        c.opt_line(&format!("{p}.source"), &mut alias.source);
    });
    if let Some(born) = v.date_of_birth {
        c.date_of_birth(&format!("{P}.date_of_birth"), born);
    }
    c.member(&mut v.place_of_birth, |c, place| {
        c.opt_line(&format!("{P}.place_of_birth.place"), &mut place.place);
        c.opt_country(&format!("{P}.place_of_birth.country"), &mut place.country);
    });
    c.list(
        &format!("{P}.nationalities"),
        &mut v.nationalities,
        |c, p, code| {
            c.country(p, code);
        },
    );
    c.list(&format!("{P}.languages"), &mut v.languages, |c, p, code| {
        c.language(p, code);
    });
}

fn age_assessment(c: &mut Checker, v: &mut AgeAssessment) {
    const P: &str = "age_assessment";
    for (field, age) in [
        ("estimated_age_min", v.estimated_age_min),
        ("estimated_age_max", v.estimated_age_max),
    ] {
        if age.is_some_and(|age| age > MAX_ESTIMATED_AGE) {
            c.fail(
                &format!("{P}.{field}"),
                format!("must be at most {MAX_ESTIMATED_AGE}"),
            );
        }
    }
    if let (Some(min), Some(max)) = (v.estimated_age_min, v.estimated_age_max)
        && min > max
    {
        c.fail(
            &format!("{P}.estimated_age_min"),
            "must not exceed estimated_age_max",
        );
    }
    c.opt_date(&format!("{P}.decided_on"), v.decided_on);
    c.opt_line(
        &format!("{P}.deciding_authority"),
        &mut v.deciding_authority,
    );
    c.member(&mut v.appeal, |c, appeal| {
        c.opt_date(&format!("{P}.appeal.lodged_on"), appeal.lodged_on);
    });
}

fn documents(c: &mut Checker, v: &mut Documents) {
    c.list("documents.items", &mut v.items, |c, p, doc| {
        c.opt_line(&format!("{p}.number"), &mut doc.number);
        c.opt_country(&format!("{p}.issuing_country"), &mut doc.issuing_country);
        if let Some(expires) = doc.expires_on {
            c.expiry(&format!("{p}.expires_on"), expires);
        }
    });
}

fn references(c: &mut Checker, v: &mut References) {
    const P: &str = "references";
    c.opt_line(&format!("{P}.eurodac_reference"), &mut v.eurodac_reference);
    if let Some(number) = &mut v.national_number {
        c.national_number(&format!("{P}.national_number"), number);
    }
    c.opt_line(
        &format!("{P}.immigration_file_number"),
        &mut v.immigration_file_number,
    );
    c.opt_line(&format!("{P}.reception_id"), &mut v.reception_id);
}

fn physical(c: &mut Checker, v: &mut Physical) {
    const P: &str = "physical";
    if let Some(height) = v.height_cm
        && !HEIGHT_CM.contains(&height)
    {
        c.fail(
            &format!("{P}.height_cm"),
            format!(
                "must be between {} and {}",
                HEIGHT_CM.start(),
                HEIGHT_CM.end()
            ),
        );
    }
    c.opt_line(&format!("{P}.eye_colour"), &mut v.eye_colour);
    c.opt_line(&format!("{P}.hair_colour"), &mut v.hair_colour);
    c.lines(
        &format!("{P}.distinguishing_marks"),
        &mut v.distinguishing_marks,
    );
}

fn photos(c: &mut Checker, v: &mut Photos) {
    c.list("photos.items", &mut v.items, |c, p, photo| {
        c.text(
            &format!("{p}.id"),
            &mut photo.id,
            Text::Line,
            EMPTY_REQUIRED,
        );
        photo.content_type = normalise(&photo.content_type);
        if !PHOTO_CONTENT_TYPES.contains(&photo.content_type.as_str()) {
            c.fail(
                &format!("{p}.content_type"),
                format!("must be one of {}", PHOTO_CONTENT_TYPES.join(", ")),
            );
        }
        for (field, size) in [
            ("width", u64::from(photo.width)),
            ("height", u64::from(photo.height)),
            ("bytes", photo.bytes),
        ] {
            if size == 0 {
                c.fail(&format!("{p}.{field}"), "must be greater than 0");
            }
        }
        c.instant(&format!("{p}.uploaded_at"), photo.uploaded_at);
    });
}

fn interception(c: &mut Checker, v: &mut Interception) {
    const P: &str = "interception";
    if let Some(at) = v.intercepted_at {
        c.instant(&format!("{P}.intercepted_at"), at);
    }
    c.opt_line(&format!("{P}.place"), &mut v.place);
    c.opt_country(&format!("{P}.country"), &mut v.country);
    c.opt_line(&format!("{P}.authority"), &mut v.authority);
    c.opt_long(&format!("{P}.circumstances"), &mut v.circumstances);
    c.opt_line(&format!("{P}.accompanied_by"), &mut v.accompanied_by);
    c.list(
        &format!("{P}.travel_route"),
        &mut v.travel_route,
        |c, p, code| {
            c.country(p, code);
        },
    );
    c.opt_country(
        &format!("{P}.intended_destination"),
        &mut v.intended_destination,
    );
}

fn vulnerability(c: &mut Checker, v: &mut Vulnerability) {
    const P: &str = "vulnerability";
    c.lines(
        &format!("{P}.trafficking_indicators"),
        &mut v.trafficking_indicators,
    );
    c.lines(
        &format!("{P}.smuggling_indicators"),
        &mut v.smuggling_indicators,
    );
    c.lines(
        &format!("{P}.exploitation_signs"),
        &mut v.exploitation_signs,
    );
    c.opt_long(&format!("{P}.notes"), &mut v.notes);
}

fn health(c: &mut Checker, v: &mut Health) {
    const P: &str = "health";
    c.opt_long(&format!("{P}.medical_needs"), &mut v.medical_needs);
    c.opt_long(&format!("{P}.medication"), &mut v.medication);
    c.opt_long(
        &format!("{P}.psychological_support"),
        &mut v.psychological_support,
    );
}

fn contacts(c: &mut Checker, v: &mut Contacts) {
    const P: &str = "contacts";
    c.list(
        &format!("{P}.phone_numbers"),
        &mut v.phone_numbers,
        |c, p, phone| {
            c.phone(p, phone);
        },
    );
    c.list(
        &format!("{P}.social_media"),
        &mut v.social_media,
        |c, p, account| {
            c.text(
                &format!("{p}.platform"),
                &mut account.platform,
                Text::Line,
                EMPTY_REQUIRED,
            );
            c.text(
                &format!("{p}.handle"),
                &mut account.handle,
                Text::Line,
                EMPTY_REQUIRED,
            );
        },
    );
    c.list(
        &format!("{P}.family_members"),
        &mut v.family_members,
        family_member,
    );
}

fn family_member(c: &mut Checker, p: &str, member: &mut FamilyMember) {
    c.opt_line(&format!("{p}.name"), &mut member.name);
    c.opt_line(&format!("{p}.relationship"), &mut member.relationship);
    c.opt_line(&format!("{p}.whereabouts"), &mut member.whereabouts);
    c.opt_country(&format!("{p}.country"), &mut member.country);
    if let Some(phone) = &mut member.phone {
        c.phone(&format!("{p}.phone"), phone);
    }
    if member.name.is_none() && member.relationship.is_none() {
        c.fail(p, "must have a name or a relationship");
    }
}

fn guardianship(c: &mut Checker, v: &mut Guardianship) {
    const P: &str = "guardianship";
    if let Some(agency) = &mut v.guardian_agency {
        c.agency(&format!("{P}.guardian_agency"), agency);
    }
    c.opt_line(&format!("{P}.guardian_name"), &mut v.guardian_name);
    c.opt_line(&format!("{P}.contact"), &mut v.contact);
    c.opt_date(&format!("{P}.appointed_on"), v.appointed_on);
}

fn placement(c: &mut Checker, v: &mut Placement) {
    const P: &str = "placement";
    if let Some(agency) = &mut v.current_agency {
        c.agency(&format!("{P}.current_agency"), agency);
    }
    c.opt_date(&format!("{P}.since"), v.since);
    c.list(&format!("{P}.history"), &mut v.history, |c, p, period| {
        c.agency(&format!("{p}.agency"), &mut period.agency);
        c.date(&format!("{p}.from"), period.from);
        if let Some(to) = period.to {
            c.date(&format!("{p}.to"), to);
            if to < period.from {
                c.fail(&format!("{p}.to"), "must not be before `from`");
            }
        }
    });
}

fn procedure(c: &mut Checker, v: &mut Procedure) {
    const P: &str = "procedure";
    c.opt_line(&format!("{P}.residence_status"), &mut v.residence_status);
    c.opt_line(&format!("{P}.file_reference"), &mut v.file_reference);
    c.opt_date(&format!("{P}.updated_on"), v.updated_on);
}

fn child_view(c: &mut Checker, v: &mut ChildView) {
    const P: &str = "child_view";
    c.opt_long(&format!("{P}.wishes"), &mut v.wishes);
    c.opt_date(&format!("{P}.heard_on"), v.heard_on);
    c.opt_line(&format!("{P}.heard_by"), &mut v.heard_by);
}

fn risk(c: &mut Checker, v: &mut Risk) {
    c.lines("risk.factors", &mut v.factors);
}

/// Which text rules a field follows.
#[derive(Clone, Copy)]
enum Text {
    /// At most [`MAX_SHORT_CHARS`], no control characters.
    Line,
    /// At most [`MAX_LONG_CHARS`], no control characters but `\n` and `\t`.
    Long,
}

/// Normalises fields in place and collects every error.
struct Checker {
    errors: FieldErrors,
    today: NaiveDate,
}

impl Checker {
    fn fail(&mut self, path: &str, message: impl ToString) {
        self.errors.push(path, message);
    }

    /// Checks a present member or nested object; removes it if no field is left.
    fn member<T: Default + PartialEq>(
        &mut self,
        value: &mut Option<T>,
        check: impl FnOnce(&mut Self, &mut T),
    ) {
        if let Some(inner) = value {
            check(self, inner);
            if *inner == T::default() {
                *value = None;
            }
        }
    }

    /// Bounds the list's length, then checks each entry under `path[i]`.
    fn list<T>(
        &mut self,
        path: &str,
        items: &mut [T],
        mut check: impl FnMut(&mut Self, &str, &mut T),
    ) {
        if items.len() > MAX_ITEMS {
            self.fail(path, format!("must have at most {MAX_ITEMS} entries"));
        }
        for (i, item) in items.iter_mut().enumerate() {
            check(self, &format!("{path}[{i}]"), item);
        }
    }

    /// Normalises `value` and checks it as text of `kind`; returns whether it passed.
    fn text(&mut self, path: &str, value: &mut String, kind: Text, if_empty: &str) -> bool {
        *value = normalise(value);
        let (max, allowed): (usize, &[char]) = match kind {
            Text::Line => (MAX_SHORT_CHARS, &[]),
            Text::Long => (MAX_LONG_CHARS, &['\n', '\t']),
        };
        let problem = if value.is_empty() {
            Some(if_empty.to_owned())
        } else if value.chars().count() > max {
            Some(format!("must be at most {max} characters"))
        } else if value
            .chars()
            .any(|ch| ch.is_control() && !allowed.contains(&ch))
        {
            Some(match kind {
                Text::Line => "must be a single line without control characters".to_owned(),
                Text::Long => "must not contain control characters".to_owned(),
            })
        } else {
            None
        };
        match problem {
            Some(message) => {
                self.fail(path, message);
                false
            }
            None => true,
        }
    }

    fn opt_line(&mut self, path: &str, value: &mut Option<String>) {
        if let Some(value) = value {
            self.text(path, value, Text::Line, EMPTY_OPTIONAL);
        }
    }

    fn opt_long(&mut self, path: &str, value: &mut Option<String>) {
        if let Some(value) = value {
            self.text(path, value, Text::Long, EMPTY_OPTIONAL);
        }
    }

    /// A list of single-line entries.
    fn lines(&mut self, path: &str, values: &mut [String]) {
        self.list(path, values, |c, p, value| {
            c.text(p, value, Text::Line, EMPTY_ENTRY);
        });
    }

    fn country(&mut self, path: &str, code: &mut String) {
        if self.text(path, code, Text::Line, EMPTY_REQUIRED) {
            self.errors.check(path, CountryCode::parse(code));
        }
    }

    fn opt_country(&mut self, path: &str, code: &mut Option<String>) {
        if let Some(code) = code
            && self.text(path, code, Text::Line, EMPTY_OPTIONAL)
        {
            self.errors.check(path, CountryCode::parse(code));
        }
    }

    fn language(&mut self, path: &str, code: &mut String) {
        if self.text(path, code, Text::Line, EMPTY_ENTRY) && !is_language_code(code) {
            self.fail(
                path,
                format!("`{code}` is not an ISO 639-1 or ISO 639-3 language code in lower case"),
            );
        }
    }

    fn script(&mut self, path: &str, code: &mut String) {
        if self.text(path, code, Text::Line, EMPTY_REQUIRED) && !is_script_code(code) {
            self.fail(
                path,
                format!("`{code}` is not an ISO 15924 script code in Title case (`Arab`)"),
            );
        }
    }

    fn agency(&mut self, path: &str, slug: &mut String) {
        if self.text(path, slug, Text::Line, EMPTY_REQUIRED) {
            self.errors.check(path, AgencyId::parse(slug));
        }
    }

    /// `+` then 6 to 15 digits; spaces are removed.
    fn phone(&mut self, path: &str, phone: &mut String) {
        if !self.text(path, phone, Text::Line, EMPTY_REQUIRED) {
            return;
        }
        phone.retain(|ch| ch != ' ');
        let valid = phone.strip_prefix('+').is_some_and(|digits| {
            (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        });
        if !valid {
            self.fail(
                path,
                "must be an international number: `+` then 6 to 15 digits",
            );
        }
    }

    /// 11 digits whose last two are the check number of the first nine (prefixed with `2` for
    /// people born from 2000); dots, hyphens and spaces are removed.
    fn national_number(&mut self, path: &str, number: &mut String) {
        if !self.text(path, number, Text::Line, EMPTY_OPTIONAL) {
            return;
        }
        number.retain(|ch| !matches!(ch, '.' | '-' | ' '));
        let valid = number.len() == 11
            && number.bytes().all(|b| b.is_ascii_digit())
            && match (number[..9].parse::<u64>(), number[9..].parse::<u64>()) {
                (Ok(base), Ok(check)) => {
                    97 - base % 97 == check || 97 - (2_000_000_000 + base) % 97 == check
                }
                _ => false,
            };
        if !valid {
            self.fail(
                path,
                "must be a Belgian national register or bis number: 11 digits with a valid check number",
            );
        }
    }

    /// Not after today, not before [`EARLIEST_DATE`].
    fn date(&mut self, path: &str, date: NaiveDate) {
        if date > self.today {
            self.fail(path, "must not be in the future");
        } else if date < EARLIEST_DATE {
            self.fail(path, format!("must not be before {EARLIEST_DATE}"));
        }
    }

    fn opt_date(&mut self, path: &str, date: Option<NaiveDate>) {
        if let Some(date) = date {
            self.date(path, date);
        }
    }

    /// As [`Self::date`], on the instant's UTC date.
    fn instant(&mut self, path: &str, at: DateTime<Utc>) {
        self.date(path, at.date_naive());
    }

    fn date_of_birth(&mut self, path: &str, born: NaiveDate) {
        let earliest = self
            .today
            .checked_sub_months(Months::new(MAX_AGE_YEARS * 12))
            .unwrap_or(NaiveDate::MIN);
        if born > self.today {
            self.fail(path, "must not be in the future");
        } else if born < earliest {
            self.fail(
                path,
                format!("must be at most {MAX_AGE_YEARS} years ago (not before {earliest})"),
            );
        }
    }

    fn expiry(&mut self, path: &str, expires: NaiveDate) {
        let latest = self
            .today
            .checked_add_months(Months::new(MAX_EXPIRY_YEARS * 12))
            .unwrap_or(NaiveDate::MAX);
        if expires > latest {
            self.fail(path, format!("must not be after {latest}"));
        } else if expires < EARLIEST_DATE {
            self.fail(path, format!("must not be before {EARLIEST_DATE}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::minor::fixtures::{date, full, instant, today};
    use crate::minor::model::*;

    fn paths(errors: &FieldErrors) -> BTreeSet<&str> {
        errors.0.iter().map(|e| e.path.as_str()).collect()
    }

    fn message<'a>(errors: &'a FieldErrors, path: &str) -> &'a str {
        errors
            .0
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.message.as_str())
            .unwrap_or_else(|| panic!("no error at {path}: {errors:?}"))
    }

    fn identity(data: &mut MinorData) -> &mut Identity {
        data.identity.as_mut().unwrap()
    }

    #[test]
    fn a_valid_record_passes_unchanged() {
        assert_eq!(validate(full(), today()), Ok(full()));
    }

    #[test]
    fn text_is_normalised_to_nfc_and_trimmed() {
        let mut data = full();
        identity(&mut data).given_names = Some("  Mohame\u{301}d ".into());
        identity(&mut data).names_original_script[0].given_names =
            Some("\u{645}\u{62d}\u{645}\u{62f}\t".into());
        data.child_view.as_mut().unwrap().wishes = Some("Stay.\r\nLearn Dutch.\r".into());
        let valid = validate(data, today()).unwrap();
        let identity = valid.identity.unwrap();
        assert_eq!(identity.given_names.as_deref(), Some("Moham\u{e9}d"));
        assert_eq!(
            identity.names_original_script[0].given_names.as_deref(),
            Some("\u{645}\u{62d}\u{645}\u{62f}")
        );
        assert_eq!(
            valid.child_view.unwrap().wishes.as_deref(),
            Some("Stay.\nLearn Dutch.")
        );
        assert_eq!(normalise("A\u{30a}"), "\u{c5}");
    }

    #[test]
    fn phone_and_national_numbers_are_normalised() {
        let mut data = full();
        data.contacts.as_mut().unwrap().phone_numbers = vec![" +32 471 23 45 67".into()];
        data.references.as_mut().unwrap().national_number = Some("09.03.14-001.12".into());
        let valid = validate(data, today()).unwrap();
        assert_eq!(valid.contacts.unwrap().phone_numbers, ["+32471234567"]);
        assert_eq!(
            valid.references.unwrap().national_number.as_deref(),
            Some("09031400112")
        );
    }

    #[test]
    fn every_offending_field_is_reported() {
        let mut data = full();
        let id = identity(&mut data);
        id.family_name = Some("   ".into());
        id.names_original_script[0].script = "Xxxx".into();
        id.nationalities = vec!["ER".into(), "XX".into()];
        id.languages = vec!["zz".into()];
        id.place_of_birth.as_mut().unwrap().country = Some("er".into());
        let assessment = data.age_assessment.as_mut().unwrap();
        assessment.estimated_age_min = Some(18);
        assessment.estimated_age_max = Some(16);
        data.documents.as_mut().unwrap().items[0].issuing_country = Some("ZZ".into());
        data.references.as_mut().unwrap().national_number = Some("09031400113".into());
        data.physical.as_mut().unwrap().height_cm = Some(300);
        data.interception.as_mut().unwrap().place = Some("Brussels\nNorth".into());
        data.contacts.as_mut().unwrap().phone_numbers = vec!["0471 23 45 67".into()];
        data.contacts.as_mut().unwrap().family_members[0].phone = Some("+32 abc".into());
        data.guardianship.as_mut().unwrap().guardian_agency = Some("Guardian Janssens".into());
        data.placement.as_mut().unwrap().history[0].to = Some(date("2025-03-01"));
        data.risk.as_mut().unwrap().factors = vec![String::new()];

        let errors = validate(data, today()).unwrap_err();
        assert_eq!(
            paths(&errors),
            BTreeSet::from([
                "identity.family_name",
                "identity.names_original_script[0].script",
                "identity.nationalities[1]",
                "identity.languages[0]",
                "identity.place_of_birth.country",
                "age_assessment.estimated_age_min",
                "documents.items[0].issuing_country",
                "references.national_number",
                "physical.height_cm",
                "interception.place",
                "contacts.phone_numbers[0]",
                "contacts.family_members[0].phone",
                "guardianship.guardian_agency",
                "placement.history[0].to",
                "risk.factors[0]",
            ])
        );
        assert_eq!(errors.0.len(), 15);
        assert_eq!(
            message(&errors, "identity.family_name"),
            "must not be empty; omit the field instead"
        );
        assert!(message(&errors, "identity.names_original_script[0].script").contains("ISO 15924"));
        assert!(message(&errors, "identity.nationalities[1]").contains("ISO 3166-1"));
        assert!(message(&errors, "identity.languages[0]").contains("ISO 639"));
        assert!(message(&errors, "guardianship.guardian_agency").contains("agency id"));
    }

    #[test]
    fn future_dates_are_refused() {
        let tomorrow = date("2025-06-02");
        let mut data = full();
        identity(&mut data).date_of_birth = Some(tomorrow);
        data.age_assessment.as_mut().unwrap().decided_on = Some(tomorrow);
        data.interception.as_mut().unwrap().intercepted_at = Some(instant("2025-06-02T00:00:01Z"));
        data.child_view.as_mut().unwrap().heard_on = Some(tomorrow);
        let errors = validate(data, today()).unwrap_err();
        assert_eq!(
            paths(&errors),
            BTreeSet::from([
                "identity.date_of_birth",
                "age_assessment.decided_on",
                "interception.intercepted_at",
                "child_view.heard_on",
            ])
        );
        assert!(
            errors
                .0
                .iter()
                .all(|e| e.message == "must not be in the future")
        );

        let mut on_the_day = full();
        on_the_day.child_view.as_mut().unwrap().heard_on = Some(today());
        assert!(validate(on_the_day, today()).is_ok());
    }

    #[test]
    fn date_of_birth_at_most_25_years_ago() {
        let mut data = full();
        identity(&mut data).date_of_birth = Some(date("1999-06-01"));
        assert!(validate(data.clone(), today()).is_err());
        identity(&mut data).date_of_birth = Some(date("2000-05-31"));
        let errors = validate(data.clone(), today()).unwrap_err();
        assert_eq!(paths(&errors), BTreeSet::from(["identity.date_of_birth"]));
        identity(&mut data).date_of_birth = Some(date("2000-06-01"));
        assert!(validate(data, today()).is_ok());
    }

    #[test]
    fn dates_before_1990_are_refused_but_documents_may_expire_later() {
        let mut data = full();
        data.procedure.as_mut().unwrap().updated_on = Some(date("1989-12-31"));
        data.documents.as_mut().unwrap().items[0].expires_on = Some(date("2045-06-02"));
        let errors = validate(data.clone(), today()).unwrap_err();
        assert_eq!(
            paths(&errors),
            BTreeSet::from(["procedure.updated_on", "documents.items[0].expires_on"])
        );
        data.procedure.as_mut().unwrap().updated_on = Some(EARLIEST_DATE);
        data.documents.as_mut().unwrap().items[0].expires_on = Some(date("2045-06-01"));
        assert!(validate(data, today()).is_ok());
    }

    #[test]
    fn lengths_and_list_sizes_are_bounded() {
        let mut data = full();
        identity(&mut data).family_name = Some("a".repeat(MAX_SHORT_CHARS));
        data.health.as_mut().unwrap().medical_needs = Some("é\n".repeat(MAX_LONG_CHARS / 2));
        assert!(validate(data.clone(), today()).is_ok());

        identity(&mut data).family_name = Some("é".repeat(MAX_SHORT_CHARS + 1));
        data.health.as_mut().unwrap().medical_needs = Some("a".repeat(MAX_LONG_CHARS + 1));
        data.physical.as_mut().unwrap().distinguishing_marks = vec!["scar".into(); MAX_ITEMS + 1];
        data.vulnerability.as_mut().unwrap().notes = Some("debt\u{7}".into());
        let errors = validate(data, today()).unwrap_err();
        assert_eq!(
            paths(&errors),
            BTreeSet::from([
                "identity.family_name",
                "health.medical_needs",
                "physical.distinguishing_marks",
                "vulnerability.notes",
            ])
        );
    }

    #[test]
    fn items_need_their_identifying_fields() {
        let mut data = full();
        identity(&mut data).names_original_script[0].family_name = None;
        identity(&mut data).names_original_script[0].given_names = None;
        data.contacts.as_mut().unwrap().family_members[0] = FamilyMember {
            country: Some("GB".into()),
            ..FamilyMember::default()
        };
        data.photos.as_mut().unwrap().items[0].content_type = "image/gif".into();
        data.photos.as_mut().unwrap().items[0].bytes = 0;
        let errors = validate(data, today()).unwrap_err();
        assert_eq!(
            paths(&errors),
            BTreeSet::from([
                "identity.names_original_script[0]",
                "contacts.family_members[0]",
                "photos.items[0].content_type",
                "photos.items[0].bytes",
            ])
        );
    }

    #[test]
    fn categories_left_without_fields_are_removed() {
        let data = MinorData {
            identity: Some(Identity {
                place_of_birth: Some(PlaceOfBirth::default()),
                ..Identity::default()
            }),
            risk: Some(Risk::default()),
            health: Some(Health {
                urgent_medical_need: Some(true),
                ..Health::default()
            }),
            ..MinorData::default()
        };
        let valid = validate(data, today()).unwrap();
        assert_eq!(valid.identity, None);
        assert_eq!(valid.risk, None);
        assert_eq!(valid.health.unwrap().urgent_medical_need, Some(true));
    }
}
