//! Synthetic registries and the searches made against them.
//!
//! [`person`] builds record `index` of a seed from that pair alone (see [`crate::rng`]), so a
//! registry of any size can be loaded in parallel and the true record of a query rebuilt later
//! without storing anything. Records look like those a reception centre registers: identity
//! (names drawn with Zipf's law from [`crate::names`], 60% boys, 10 to 16 years old on
//! [`ANCHOR`], names in the original script on a share of records, aliases on some), a physical
//! description and the placement with `demo-reception`. Every record passes the API's validation
//! (`domain::minor::validate`); the smoke run registers one through `POST /v1/minors` to prove it.

use chrono::{Datelike, Days, NaiveDate};
use domain::minor::{
    Alias, Build, DateCertainty, Identity, MinorData, OriginalScriptName, Physical, Placement, Sex,
};
use serde::Serialize;

use crate::names::{Name, POPULATIONS, Population};
use crate::rng::Rng;

/// Changes whenever the generator would build different records for the same seed and index;
/// stored registries of another version are reloaded. 2: ages 10 to 16 (minors a year on).
pub const GENERATOR_VERSION: i64 = 2;

/// The seed of every registry unless told otherwise.
pub const DEFAULT_SEED: u64 = 20_261_129;

/// Ages are counted on this day: every child is 10 to 16 years old on it (a minor for a year more).
pub const ANCHOR: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 1) {
    Some(d) => d,
    None => panic!("2026-11-01 is a date"),
};

/// The agency every synthetic child is placed with (one of the `--demo` agencies).
pub const PLACEMENT_AGENCY: &str = "demo-reception";

/// Zipf exponent of names within a population's list.
const NAME_EXPONENT: f64 = 1.0;
/// Zipf exponent of the spellings of one name (the first spelling dominates).
const SPELLING_EXPONENT: f64 = 1.5;

/// A name part as written in a record: which name, and which of its Latin spellings.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub name: &'static Name,
    pub spelling: usize,
}

impl Written {
    pub fn latin(&self) -> &'static str {
        self.name.latin[self.spelling]
    }
}

/// A generated child: the record as stored, and what the generator chose to build it.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub population: &'static Population,
    pub sex: Sex,
    pub given: Vec<Written>,
    pub family: Written,
    pub date_of_birth: NaiveDate,
    /// The alias recorded, if any.
    pub alias: Option<String>,
    pub data: MinorData,
}

fn pick(rng: &mut Rng, names: &'static [Name]) -> Written {
    let name = &names[rng.zipf(names.len(), NAME_EXPONENT)];
    Written {
        name,
        spelling: rng.zipf(name.latin.len(), SPELLING_EXPONENT),
    }
}

fn join_latin(parts: &[Written]) -> String {
    parts
        .iter()
        .map(Written::latin)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The names in the original script, when every part has one.
fn native(parts: &[Written]) -> Option<String> {
    let words: Option<Vec<&str>> = parts.iter().map(|w| w.name.native).collect();
    words.map(|w| w.join(" "))
}

/// The id of record `index`: a UUID v4 drawn from its own stream.
pub fn record_id(seed: u64, index: u64) -> String {
    let bytes = Rng::new(seed ^ 0x1D, index).bytes16();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

const MARKS: &[&str] = &[
    "scar above the left eyebrow",
    "burn scar on the right forearm",
    "mole above the upper lip",
    "small tattoo of a star on the left hand",
    "missing upper front tooth",
    "scar on the chin",
    "birthmark on the neck",
];

const ALIAS_SOURCES: &[&str] = &[
    "declared at interception",
    "Eurodac hit",
    "stated by another child",
    "earlier registration in another country",
];

/// Record `index` of registry `seed`.
pub fn person(seed: u64, index: u64) -> Person {
    let mut rng = Rng::new(seed, index);
    let weights: Vec<u32> = POPULATIONS.iter().map(|p| p.weight).collect();
    let population = &POPULATIONS[rng.weighted(&weights)];
    let sex = if rng.chance(0.6) {
        Sex::Male
    } else {
        Sex::Female
    };
    let given_list = if sex == Sex::Male {
        population.male
    } else {
        population.female
    };
    let mut given = vec![pick(&mut rng, given_list)];
    if rng.chance(0.15) {
        let second = pick(&mut rng, given_list);
        if !std::ptr::eq(second.name, given[0].name) {
            given.push(second);
        }
    }
    let family = pick(&mut rng, population.family);
    // 10 to 16 at the anchor: still minors for a year after it, so that the registry's
    // retention rules (restriction at 18, docs/lifecycle.md) leave every record readable.
    let age = 10 + rng.below(7) as u64;
    let date_of_birth = ANCHOR
        .checked_sub_days(Days::new(age * 365 + age / 4 + rng.below(365) as u64))
        .unwrap_or(ANCHOR);

    let mut names_original_script = Vec::new();
    if let Some(script) = population.script
        && rng.chance(population.original_script_share)
        && let (Some(given_native), Some(family_native)) =
            (native(&given), native(std::slice::from_ref(&family)))
    {
        names_original_script.push(OriginalScriptName {
            family_name: Some(family_native),
            given_names: Some(given_native),
            script: script.to_owned(),
        });
    }
    let alias = if rng.chance(0.15) {
        let text = if rng.chance(0.5) {
            // Another first name the child gave, with the family name.
            let other = pick(&mut rng, given_list);
            format!("{} {}", other.latin(), family.latin())
        } else {
            // The same names as another agency spelt them.
            let respell = |rng: &mut Rng, w: &Written| w.name.latin[rng.below(w.name.latin.len())];
            let first = respell(&mut rng, &given[0]);
            let last = respell(&mut rng, &family);
            format!("{first} {last}")
        };
        Some(text)
    } else {
        None
    };
    let aliases = alias
        .iter()
        .map(|name| Alias {
            name: name.clone(),
            source: Some(ALIAS_SOURCES[rng.below(ALIAS_SOURCES.len())].to_owned()),
        })
        .collect();
    let mut languages = vec![population.languages[0].to_owned()];
    if population.languages.len() > 1 && rng.chance(0.3) {
        languages.push(population.languages[1].to_owned());
    }
    let certainty = match rng.below(10) {
        0 | 1 => DateCertainty::Documented,
        2 | 3 => DateCertainty::Estimated,
        _ => DateCertainty::Declared,
    };
    let identity = Identity {
        family_name: Some(family.latin().to_owned()),
        given_names: Some(join_latin(&given)),
        names_original_script,
        aliases,
        sex: Some(sex),
        date_of_birth: Some(date_of_birth),
        date_of_birth_certainty: Some(certainty),
        nationalities: vec![population.country.to_owned()],
        languages,
        ..Identity::default()
    };
    let height = 128 + (age as u16 - 10) * 6 + rng.below(16) as u16;
    let physical = Physical {
        height_cm: Some(if sex == Sex::Female {
            height - 4
        } else {
            height
        }),
        build: Some(match rng.below(4) {
            0 => Build::Average,
            1 => Build::Heavy,
            _ => Build::Slim,
        }),
        eye_colour: Some(if rng.chance(0.85) { "brown" } else { "black" }.to_owned()),
        hair_colour: Some(
            if rng.chance(0.8) {
                "black"
            } else {
                "dark brown"
            }
            .to_owned(),
        ),
        distinguishing_marks: if rng.chance(0.15) {
            vec![MARKS[rng.below(MARKS.len())].to_owned()]
        } else {
            vec![]
        },
    };
    let placement = Placement {
        current_agency: Some(PLACEMENT_AGENCY.to_owned()),
        since: ANCHOR.checked_sub_days(Days::new(rng.below(700) as u64)),
        history: vec![],
    };
    let data = MinorData {
        identity: Some(identity),
        physical: Some(physical),
        placement: Some(placement),
        ..MinorData::default()
    };
    Person {
        id: record_id(seed, index),
        population,
        sex,
        given,
        family,
        date_of_birth,
        alias,
        data,
    }
}

/// How the name of a query differs from the name recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum NameVariant {
    /// Other Latin spellings of the same names (`Mohammad Ahmadi` → `Muhammad Ahmedi`).
    Spelling,
    /// The names in the original script (Arabic or Ge'ez), whether or not the record holds them.
    Script,
    /// The recorded alias, respelt.
    Alias,
    /// Another spelling with one slip of the pen (a letter doubled, dropped or swapped).
    Typo,
    /// Family name first, in capitals, as on many documents (`AHMADI Mohammad`).
    FamilyFirst,
}

/// How the date of birth of a query differs from the one recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum DateVariant {
    Exact,
    /// The same day a year earlier or later (an estimated age).
    YearOff,
    /// No date given; an estimated age, the child's age a year either side.
    Missing,
}

/// A search for a known child, as an agency would make it.
#[derive(Debug, Clone, Serialize)]
pub struct Query {
    /// The record sought (index and id).
    pub target: u64,
    pub target_id: String,
    pub variant: NameVariant,
    pub date_variant: DateVariant,
    pub name: String,
    pub date_of_birth: Option<NaiveDate>,
    /// The age estimated when no date is given (lowest, highest), on the day the query is made.
    pub age_range: Option<(u8, u8)>,
    pub sex: Option<Sex>,
}

impl Query {
    /// The body of `POST /v1/minors/search`.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({ "names": [self.name], "limit": 10 });
        if let Some(d) = self.date_of_birth {
            body["date_of_birth"] = serde_json::json!(d);
        }
        if let Some((lo, hi)) = self.age_range {
            body["age_min"] = serde_json::json!(lo);
            body["age_max"] = serde_json::json!(hi);
        }
        if let Some(s) = self.sex {
            body["sex"] = serde_json::json!(s);
        }
        body
    }
}

/// Another spelling than the one recorded, most of the time.
fn respelt(rng: &mut Rng, w: &Written) -> &'static str {
    let spellings = w.name.latin;
    if spellings.len() > 1 && rng.chance(0.75) {
        let mut other = rng.below(spellings.len() - 1);
        if other >= w.spelling {
            other += 1;
        }
        spellings[other]
    } else {
        spellings[w.spelling]
    }
}

/// One slip of the pen in the longest word: a consonant doubled, a letter dropped or two swapped.
fn typo(rng: &mut Rng, name: &str) -> String {
    let mut words: Vec<Vec<char>> = name.split(' ').map(|w| w.chars().collect()).collect();
    let Some(word) = words.iter_mut().max_by_key(|w| w.len()) else {
        return name.to_owned();
    };
    if word.len() >= 4 {
        let at = 1 + rng.below(word.len() - 2);
        match rng.below(3) {
            0 => {
                let c = word[at];
                word.insert(at, c);
            }
            1 => {
                word.remove(at);
            }
            _ => word.swap(at, at + 1),
        }
    }
    words
        .iter()
        .map(|w| w.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A date one year off, the same day where it exists.
fn year_off(rng: &mut Rng, d: NaiveDate) -> NaiveDate {
    let year = if rng.chance(0.5) {
        d.year() - 1
    } else {
        d.year() + 1
    };
    d.with_year(year)
        .or_else(|| NaiveDate::from_ymd_opt(year, d.month(), 28))
        .unwrap_or(d)
}

/// The `number`-th query of stream `stream` against a registry of `records` records.
pub fn query(seed: u64, records: u64, stream: u64, number: u64) -> Query {
    let mut rng = Rng::new(seed ^ 0x5EA2C4 ^ stream.rotate_left(32), number);
    let target = rng.next_u64() % records.max(1);
    let p = person(seed, target);
    let spelling = |rng: &mut Rng| {
        let given: Vec<&str> = p.given.iter().map(|w| respelt(rng, w)).collect();
        (given.join(" "), respelt(rng, &p.family))
    };
    let roll = rng.below(100);
    let (variant, name) = match roll {
        0..=14 if p.population.script.is_some() => {
            let given: Vec<&str> = p.given.iter().filter_map(|w| w.name.native).collect();
            match p.family.name.native {
                Some(family) => (NameVariant::Script, format!("{} {family}", given.join(" "))),
                None => (NameVariant::Spelling, p.family.latin().to_owned()),
            }
        }
        15..=24 if p.alias.is_some() => {
            let alias = p.alias.clone().unwrap_or_default();
            (NameVariant::Alias, alias)
        }
        25..=34 => {
            let (given, family) = spelling(&mut rng);
            (
                NameVariant::Typo,
                typo(&mut rng, &format!("{given} {family}")),
            )
        }
        35..=44 => {
            let (given, family) = spelling(&mut rng);
            (
                NameVariant::FamilyFirst,
                format!("{} {given}", family.to_uppercase()),
            )
        }
        _ => {
            let (given, family) = spelling(&mut rng);
            (NameVariant::Spelling, format!("{given} {family}"))
        }
    };
    let (date_variant, date_of_birth) = match rng.below(100) {
        0..=64 => (DateVariant::Exact, Some(p.date_of_birth)),
        65..=89 => (
            DateVariant::YearOff,
            Some(year_off(&mut rng, p.date_of_birth)),
        ),
        _ => (DateVariant::Missing, None),
    };
    let sex = if rng.chance(0.95) { Some(p.sex) } else { None };
    let age_range = (date_of_birth.is_none())
        .then(|| chrono::Utc::now().date_naive().years_since(p.date_of_birth))
        .flatten()
        .and_then(|age| u8::try_from(age).ok())
        .map(|age| (age.saturating_sub(1), age.saturating_add(1)));
    Query {
        target,
        target_id: p.id,
        variant,
        date_variant,
        name,
        date_of_birth,
        age_range,
        sex,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_deterministic_and_valid() {
        let today = chrono::Utc::now().date_naive();
        for index in 0..2_000 {
            let a = person(DEFAULT_SEED, index);
            let b = person(DEFAULT_SEED, index);
            assert_eq!(a.data, b.data);
            assert_eq!(a.id, b.id);
            assert_eq!(uuid::Uuid::parse_str(&a.id).unwrap().get_version_num(), 4);
            domain::minor::validate::validate(a.data.clone(), today)
                .unwrap_or_else(|e| panic!("record {index}: {e:?} in {:?}", a.data));
        }
        assert_ne!(person(DEFAULT_SEED, 1).id, person(DEFAULT_SEED, 2).id);
    }

    #[test]
    fn queries_name_their_target() {
        let mut variants = std::collections::HashSet::new();
        for n in 0..500 {
            let q = query(DEFAULT_SEED, 1_000, 0, n);
            assert!(q.target < 1_000);
            assert_eq!(q.target_id, person(DEFAULT_SEED, q.target).id);
            assert!(!q.name.trim().is_empty());
            variants.insert(q.variant);
        }
        assert_eq!(variants.len(), 5, "{variants:?}");
    }
}
