//! Name similarity and the identity score, with the reasons for each score.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use strsim::jaro_winkler;

use super::normalize::fold;
use super::phonetic::name_keys;
use crate::minor::{Identity, Sex};

/// The default matching configuration, in the form a deployment overrides it.
pub const DEFAULT_MATCHING_TOML: &str = r#"# Identity matching: weights of the compared fields (relative; only fields known on both sides
# count) and the score thresholds, in [0, 1].
[weights]
name = 0.55
date_of_birth = 0.25
sex = 0.10
nationality = 0.10
languages = 0.05
distinguishing_marks = 0.15

[thresholds]
# At or above: listed as a candidate.
candidate = 0.65
# At or above: offered as a possible match before a registration.
possible_match = 0.85
"#;

/// Weights of the compared fields: relative, non-negative.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub name: f64,
    pub date_of_birth: f64,
    pub sex: f64,
    pub nationality: f64,
    #[serde(default = "default_languages")]
    pub languages: f64,
    #[serde(default = "default_marks")]
    pub distinguishing_marks: f64,
}

fn default_languages() -> f64 {
    Weights::default().languages
}

fn default_marks() -> f64 {
    Weights::default().distinguishing_marks
}

impl Default for Weights {
    /// The weights of [`DEFAULT_MATCHING_TOML`].
    fn default() -> Self {
        Weights {
            name: 0.55,
            date_of_birth: 0.25,
            sex: 0.10,
            nationality: 0.10,
            languages: 0.05,
            distinguishing_marks: 0.15,
        }
    }
}

/// Score thresholds, in [0, 1], `candidate <= possible_match`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Lowest score of a result listed as a candidate.
    pub candidate: f64,
    /// Lowest score of a result offered as a possible match before a registration.
    pub possible_match: f64,
}

impl Default for Thresholds {
    /// The thresholds of [`DEFAULT_MATCHING_TOML`].
    fn default() -> Self {
        Thresholds {
            candidate: 0.65,
            possible_match: 0.85,
        }
    }
}

/// The matching configuration: the document [`DEFAULT_MATCHING_TOML`] deserialises to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingConfig {
    #[serde(default)]
    pub weights: Weights,
    #[serde(default)]
    pub thresholds: Thresholds,
}

impl MatchingConfig {
    /// Why the configuration cannot be used, if it cannot: a weight negative or not finite, all
    /// weights zero, a threshold outside [0, 1], or `candidate` above `possible_match`.
    pub fn problem(&self) -> Option<String> {
        let w = &self.weights;
        let weights = [
            w.name,
            w.date_of_birth,
            w.sex,
            w.nationality,
            w.languages,
            w.distinguishing_marks,
        ];
        if weights.iter().any(|x| !x.is_finite() || *x < 0.0) {
            return Some("weights must be finite and non-negative".to_owned());
        }
        if weights.iter().sum::<f64>() <= 0.0 {
            return Some("at least one weight must be positive".to_owned());
        }
        let t = &self.thresholds;
        if ![t.candidate, t.possible_match]
            .iter()
            .all(|x| (0.0..=1.0).contains(x))
        {
            return Some("thresholds must lie in [0, 1]".to_owned());
        }
        if t.candidate > t.possible_match {
            return Some("the candidate threshold must not exceed possible_match".to_owned());
        }
        None
    }
}

/// Similarity of two names in any script, in [0, 1]; insensitive to word order.
///
/// Each name is split into words ([`super::name_tokens`]). Two words compare as the highest of:
/// Jaro-Winkler of their Latin keys; 1.0 if their skeletons ([`super::token_skeleton`]) are equal
/// and not empty; [`OTHER_READING`] if one of the keys of either ([`super::name_keys`]) is one of
/// the other's (another reading of the spelling: `Laraki` and al-`Iraqi`, `Ghasem` and `Qasim`);
/// Jaro-Winkler of the skeletons; below [`WORD_FLOOR`] the words count as unrelated (0), since
/// Jaro-Winkler gives unrelated short names 0.5–0.7. Pairs of words are then matched greedily,
/// best pair first, each word used once. The result is the mean similarity of the matched pairs
/// over the shorter name, times `0.9 + 0.1 × shorter / longer`, so that a name given in part
/// (`Semhar` for `Semhar Haile`) still scores high, a little below the full name. A name without words gives 0.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let keys_a = word_keys(a);
    let keys_b = word_keys(b);
    similarity_of_keys(&keys_a, &keys_b)
}

/// Word similarity below which two words count as unrelated.
pub const WORD_FLOOR: f64 = 0.75;

/// Similarity of two words that meet only through another reading of one of them (a key of
/// [`super::token_keys`] other than the skeleton): a little below the same skeleton, since the
/// other reading may be wrong for this name (`Camara` read the Somali way is `Amara`).
pub const OTHER_READING: f64 = 0.95;

/// One word of a name: its Latin key and its keys ([`super::name_keys`]: the skeleton first, or
/// none).
type WordKeys = (String, Vec<String>);

/// The Latin key and the keys of each word of a name ([`name_keys`]).
fn word_keys(name: &str) -> Vec<WordKeys> {
    name_keys(name)
}

fn word_similarity((latin_a, keys_a): &WordKeys, (latin_b, keys_b): &WordKeys) -> f64 {
    let mut best = jaro_winkler(latin_a, latin_b);
    if let (Some(skel_a), Some(skel_b)) = (keys_a.first(), keys_b.first()) {
        if skel_a == skel_b {
            return 1.0;
        }
        if keys_a.iter().any(|k| keys_b.contains(k)) {
            best = best.max(OTHER_READING);
        }
        best = best.max(jaro_winkler(skel_a, skel_b));
    }
    if best < WORD_FLOOR { 0.0 } else { best }
}

fn similarity_of_keys(a: &[WordKeys], b: &[WordKeys]) -> f64 {
    let (shorter, longer) = (a.len().min(b.len()), a.len().max(b.len()));
    if shorter == 0 {
        return 0.0;
    }
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(a.len() * b.len());
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            pairs.push((word_similarity(x, y), i, j));
        }
    }
    pairs.sort_by(|p, q| q.0.total_cmp(&p.0));
    let mut used_a = vec![false; a.len()];
    let mut used_b = vec![false; b.len()];
    let mut sum = 0.0;
    for (sim, i, j) in pairs {
        if used_a[i] || used_b[j] {
            continue;
        }
        used_a[i] = true;
        used_b[j] = true;
        sum += sim;
    }
    let coverage = 0.9 + 0.1 * shorter as f64 / longer as f64;
    (sum / shorter as f64 * coverage).clamp(0.0, 1.0)
}

/// What the matcher compares of one identity: the record's, or a search query's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    /// Every name the child is known by, in any script; compared pairwise, best pair counts.
    pub names: Vec<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// Estimated age in whole years, lowest and highest, when no date of birth is known.
    pub age_range: Option<(u8, u8)>,
    /// `None` when unknown; [`Sex::Unknown`] and [`Sex::X`] are not compared.
    pub sex: Option<Sex>,
    /// ISO 3166-1 alpha-2 codes.
    pub nationalities: Vec<String>,
    /// ISO 639 codes.
    pub languages: Vec<String>,
    /// Scars, tattoos, birthmarks, in free text (`scar above the left eye`).
    pub distinguishing_marks: Vec<String>,
}

/// The probe of a record's identity: the Latin names (family and given names joined, in both
/// orders), the original-script names likewise, and the aliases; date of birth, sex and
/// nationalities and languages. The identity holds no age range (an age assessment does) and no
/// distinguishing marks (the physical description does).
pub fn probe_of(identity: &Identity) -> Probe {
    let mut names = Vec::new();
    push_full_names(
        &mut names,
        identity.family_name.as_deref(),
        identity.given_names.as_deref(),
    );
    for original in &identity.names_original_script {
        push_full_names(
            &mut names,
            original.family_name.as_deref(),
            original.given_names.as_deref(),
        );
    }
    for alias in &identity.aliases {
        push_name(&mut names, &alias.name);
    }
    Probe {
        names,
        date_of_birth: identity.date_of_birth,
        age_range: None,
        sex: identity.sex,
        nationalities: identity.nationalities.clone(),
        languages: identity.languages.clone(),
        distinguishing_marks: vec![],
    }
}

fn push_full_names(names: &mut Vec<String>, family: Option<&str>, given: Option<&str>) {
    let family = family.map(str::trim).filter(|s| !s.is_empty());
    let given = given.map(str::trim).filter(|s| !s.is_empty());
    match (family, given) {
        (Some(f), Some(g)) => {
            push_name(names, &format!("{f} {g}"));
            push_name(names, &format!("{g} {f}"));
        }
        (Some(n), None) | (None, Some(n)) => push_name(names, n),
        (None, None) => {}
    }
}

fn push_name(names: &mut Vec<String>, name: &str) {
    let name = name.trim();
    if !name.is_empty() && !names.iter().any(|n| n == name) {
        names.push(name.to_owned());
    }
}

/// Why a field raised or lowered a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// `name`, `date_of_birth`, `sex`, `nationality`, `languages` or `distinguishing_marks`.
    pub field: &'static str,
    /// How well the field agrees, in [0, 1].
    pub agreement: f64,
    pub detail: String,
}

/// A sex mismatch multiplies the whole score by this factor (besides its zero agreement), so that
/// it keeps a record with a matching name and birth date at most a candidate, never a possible
/// match: sex is rarely misrecorded, but it happens.
pub const SEX_MISMATCH_FACTOR: f64 = 0.7;

/// Without names on both sides the score is at most this, below any sensible candidate threshold:
/// birth date, sex and nationality alone do not identify a child.
pub const NO_NAME_CAP: f64 = 0.5;

/// Scores how likely `candidate` is the child described by `query`, in [0, 1], with a reason for
/// each field compared.
///
/// The score is the weighted mean of the agreements of the fields known on both sides:
///
/// * name: the best [`name_similarity`] over all pairs of names;
/// * date of birth: see [`date_agreement`]; an estimated age range is compared with a date of
///   birth as the child's age `today`;
/// * sex: 1 if equal, 0 if not, and a mismatch also multiplies the score by
///   [`SEX_MISMATCH_FACTOR`]; unknown and X are not compared;
/// * nationality: 1 if the two share any nationality, else 0; languages likewise;
/// * distinguishing marks: see [`marks_agreement`].
///
/// No field in common gives 0; no name in common caps the score at [`NO_NAME_CAP`].
pub fn score(
    query: &Probe,
    candidate: &Probe,
    weights: &Weights,
    today: NaiveDate,
) -> (f64, Vec<Reason>) {
    Scorer::new(query, weights, today).score(candidate)
}

/// A query prepared to be [`score`]d against many candidates: the word keys of its names are
/// computed once, not once per candidate. Scores are those of [`score`].
pub struct Scorer<'a> {
    query: &'a Probe,
    names: Vec<(&'a str, Vec<WordKeys>)>,
    weights: &'a Weights,
    today: NaiveDate,
}

impl<'a> Scorer<'a> {
    pub fn new(query: &'a Probe, weights: &'a Weights, today: NaiveDate) -> Self {
        Self {
            query,
            names: named_keys(&query.names),
            weights,
            today,
        }
    }

    /// The score of `candidate` for the query, as [`score`] defines it.
    pub fn score(&self, candidate: &Probe) -> (f64, Vec<Reason>) {
        let (query, weights, today) = (self.query, self.weights, self.today);
        let mut reasons = Vec::new();
        let mut weighted = Vec::new();

        if let Some((agreement, a, b)) = best_name_pair(&self.names, &named_keys(&candidate.names))
        {
            reasons.push(Reason {
                field: "name",
                agreement,
                detail: format!("best pair: \"{a}\" ~ \"{b}\""),
            });
            weighted.push((weights.name, agreement));
        }
        let names_compared = !weighted.is_empty();

        if let Some((agreement, detail)) = birth_agreement(query, candidate, today) {
            reasons.push(Reason {
                field: "date_of_birth",
                agreement,
                detail,
            });
            weighted.push((weights.date_of_birth, agreement));
        }

        let mut sex_mismatch = false;
        if let (Some(a), Some(b)) = (comparable_sex(query.sex), comparable_sex(candidate.sex)) {
            let agreement = if a == b { 1.0 } else { 0.0 };
            sex_mismatch = a != b;
            reasons.push(Reason {
                field: "sex",
                agreement,
                detail: if sex_mismatch {
                    format!("{a:?} vs {b:?}: score × {SEX_MISMATCH_FACTOR}")
                } else {
                    format!("both {a:?}")
                },
            });
            weighted.push((weights.sex, agreement));
        }

        for (field, weight, a, b) in [
            (
                "nationality",
                weights.nationality,
                &query.nationalities,
                &candidate.nationalities,
            ),
            (
                "languages",
                weights.languages,
                &query.languages,
                &candidate.languages,
            ),
        ] {
            if let Some((agreement, detail)) = codes_agreement(a, b) {
                reasons.push(Reason {
                    field,
                    agreement,
                    detail,
                });
                weighted.push((weight, agreement));
            }
        }

        if let Some((agreement, detail)) =
            marks_agreement(&query.distinguishing_marks, &candidate.distinguishing_marks)
        {
            reasons.push(Reason {
                field: "distinguishing_marks",
                agreement,
                detail,
            });
            weighted.push((weights.distinguishing_marks, agreement));
        }

        let total_weight: f64 = weighted.iter().map(|(w, _)| w).sum();
        if total_weight <= 0.0 {
            return (0.0, reasons);
        }
        let mut total = weighted.iter().map(|(w, a)| w * a).sum::<f64>() / total_weight;
        if sex_mismatch {
            total *= SEX_MISMATCH_FACTOR;
        }
        if !names_compared {
            total = total.min(NO_NAME_CAP);
        }
        (total.clamp(0.0, 1.0), reasons)
    }
}

/// Each name that has words, with the word keys of its words.
fn named_keys(names: &[String]) -> Vec<(&str, Vec<WordKeys>)> {
    names
        .iter()
        .map(|n| (n.as_str(), word_keys(n)))
        .filter(|(_, k)| !k.is_empty())
        .collect()
}

fn best_name_pair<'a, 'b>(
    a: &[(&'a str, Vec<WordKeys>)],
    b: &[(&'b str, Vec<WordKeys>)],
) -> Option<(f64, &'a str, &'b str)> {
    let mut best: Option<(f64, &'a str, &'b str)> = None;
    for (name_a, ka) in a {
        for (name_b, kb) in b {
            let sim = similarity_of_keys(ka, kb);
            if best.is_none_or(|(s, _, _)| sim > s) {
                best = Some((sim, *name_a, *name_b));
            }
        }
    }
    best
}

/// 1 if the two lists of codes share one (case-insensitive), else 0; `None` if either is empty.
fn codes_agreement(a: &[String], b: &[String]) -> Option<(f64, String)> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let shared: Vec<&str> = a
        .iter()
        .filter(|x| b.iter().any(|y| y.eq_ignore_ascii_case(x)))
        .map(String::as_str)
        .collect();
    Some(if shared.is_empty() {
        (
            0.0,
            format!("none shared: {} vs {}", a.join(", "), b.join(", ")),
        )
    } else {
        (1.0, format!("shared: {}", shared.join(", ")))
    })
}

/// Words of a mark that carry meaning: folded, at least three letters, not a filler word.
fn mark_words(mark: &str) -> Vec<String> {
    const FILLER: [&str; 12] = [
        "the", "and", "with", "from", "near", "one", "des", "les", "une", "sur", "van", "het",
    ];
    let mut words: Vec<String> = fold(mark)
        .split(' ')
        .filter(|w| w.chars().count() >= 3 && !FILLER.contains(w))
        .map(str::to_owned)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// How well two descriptions of distinguishing marks agree, in [0, 1]; `None` if either side has
/// none. Each mark sought is paired with the most similar mark of the candidate (Dice coefficient
/// of their words, a word matching another at Jaro-Winkler 0.9 or more); the agreement is the mean
/// over the marks sought. Marks are compared only when the caller may read the physical
/// description of both.
pub fn marks_agreement(query: &[String], candidate: &[String]) -> Option<(f64, String)> {
    let q: Vec<(&String, Vec<String>)> = query
        .iter()
        .map(|m| (m, mark_words(m)))
        .filter(|(_, w)| !w.is_empty())
        .collect();
    let c: Vec<(&String, Vec<String>)> = candidate
        .iter()
        .map(|m| (m, mark_words(m)))
        .filter(|(_, w)| !w.is_empty())
        .collect();
    if q.is_empty() || c.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut details = Vec::new();
    for (mark, words) in &q {
        let best = c
            .iter()
            .map(|(other, ow)| (dice(words, ow), *other))
            .max_by(|x, y| x.0.total_cmp(&y.0));
        if let Some((sim, other)) = best {
            total += sim;
            if sim > 0.0 {
                details.push(format!("\"{mark}\" ~ \"{other}\" ({sim:.2})"));
            }
        }
    }
    let agreement = total / q.len() as f64;
    let detail = if details.is_empty() {
        "no mark in common".to_owned()
    } else {
        details.join("; ")
    };
    Some((agreement, detail))
}

/// Dice coefficient of two word sets, words counted equal at Jaro-Winkler 0.9 or more.
fn dice(a: &[String], b: &[String]) -> f64 {
    let shared = a
        .iter()
        .filter(|x| b.iter().any(|y| jaro_winkler(x, y) >= 0.9))
        .count();
    2.0 * shared as f64 / (a.len() + b.len()) as f64
}

fn comparable_sex(sex: Option<Sex>) -> Option<Sex> {
    sex.filter(|s| matches!(s, Sex::Female | Sex::Male))
}

fn birth_agreement(query: &Probe, candidate: &Probe, today: NaiveDate) -> Option<(f64, String)> {
    match (query.date_of_birth, candidate.date_of_birth) {
        (Some(a), Some(b)) => return Some(date_agreement(a, b)),
        (Some(date), None) => {
            return candidate
                .age_range
                .map(|range| age_in_range_agreement(date, range, today));
        }
        (None, Some(date)) => {
            return query
                .age_range
                .map(|range| age_in_range_agreement(date, range, today));
        }
        (None, None) => {}
    }
    let ((lo_a, hi_a), (lo_b, hi_b)) = (query.age_range?, candidate.age_range?);
    let gap = f64::from(lo_a.max(lo_b)) - f64::from(hi_a.min(hi_b));
    if gap <= 0.0 {
        Some((
            0.6,
            format!("age ranges {lo_a}–{hi_a} and {lo_b}–{hi_b} overlap"),
        ))
    } else {
        Some((
            (0.6 * (1.0 - gap / 3.0)).max(0.0),
            format!("age ranges {lo_a}–{hi_a} and {lo_b}–{hi_b} {gap} years apart"),
        ))
    }
}

/// Agreement of two dates of birth, with the tolerance that estimated and declared dates need:
///
/// * the same date: 1;
/// * the same year, one of them 1 January (the usual placeholder for an unknown day): 0.9;
/// * day and month swapped (5 March / 3 May of one year): 0.8;
/// * the same day and month a year apart: 0.85. An age estimated again (an age assessment, a
///   second agency's reading of the child's age) usually moves the year and keeps the day and
///   month the child declared, so such a pair is likelier the same child than two dates days
///   apart;
/// * otherwise by the distance: from 0.8 for a day apart down to 0.6 at a year, then down to 0 at
///   three years and beyond.
pub fn date_agreement(a: NaiveDate, b: NaiveDate) -> (f64, String) {
    if a == b {
        return (1.0, format!("same date {a}"));
    }
    let placeholder = |d: NaiveDate| d.month() == 1 && d.day() == 1;
    if a.year() == b.year() && (placeholder(a) || placeholder(b)) {
        return (
            0.9,
            format!("{a} and {b}: same year, one a 1 January placeholder"),
        );
    }
    if a.year() == b.year() && a.month() == b.day() && a.day() == b.month() {
        return (0.8, format!("{a} and {b}: day and month swapped"));
    }
    if a.month() == b.month() && a.day() == b.day() && (a.year() - b.year()).abs() == 1 {
        return (
            0.85,
            format!("{a} and {b}: same day and month, a year apart"),
        );
    }
    let years = (a - b).num_days().abs() as f64 / 365.25;
    let agreement = if years <= 1.0 {
        0.8 - 0.2 * years
    } else {
        (0.6 * (3.0 - years) / 2.0).max(0.0)
    };
    (agreement, format!("{a} and {b}: {years:.1} years apart"))
}

fn age_in_range_agreement(date: NaiveDate, (lo, hi): (u8, u8), today: NaiveDate) -> (f64, String) {
    let age = today.years_since(date).map_or(0.0, f64::from);
    let (lo, hi) = (f64::from(lo.min(hi)), f64::from(lo.max(hi)));
    let distance = if age < lo {
        lo - age
    } else if age > hi {
        age - hi
    } else {
        0.0
    };
    if distance == 0.0 {
        (0.7, format!("age {age} within estimated {lo}–{hi}"))
    } else {
        (
            (0.7 * (1.0 - distance / 3.0)).max(0.0),
            format!("age {age} is {distance} years outside estimated {lo}–{hi}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minor::{Alias, OriginalScriptName};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn today() -> NaiveDate {
        date(2025, 6, 1)
    }

    fn thresholds() -> Thresholds {
        Thresholds::default()
    }

    fn identity(
        family: &str,
        given: &str,
        dob: NaiveDate,
        sex: Sex,
        nationality: &str,
    ) -> Identity {
        Identity {
            family_name: Some(family.to_owned()),
            given_names: Some(given.to_owned()),
            date_of_birth: Some(dob),
            sex: Some(sex),
            nationalities: vec![nationality.to_owned()],
            ..Identity::default()
        }
    }

    #[test]
    fn default_toml_is_the_default_config() {
        let parsed: MatchingConfig = toml::from_str(DEFAULT_MATCHING_TOML).unwrap();
        assert_eq!(parsed, MatchingConfig::default());
        assert_eq!(parsed.problem(), None);
        let partial: MatchingConfig =
            toml::from_str("[thresholds]\ncandidate = 0.5\npossible_match = 0.9").unwrap();
        assert_eq!(partial.weights, Weights::default());
        assert_eq!(partial.thresholds.candidate, 0.5);
        assert!(toml::from_str::<MatchingConfig>("[weights]\nname = 1.0").is_err());
        let inverted = MatchingConfig {
            thresholds: Thresholds {
                candidate: 0.9,
                possible_match: 0.5,
            },
            ..MatchingConfig::default()
        };
        assert!(inverted.problem().is_some());
    }

    #[test]
    fn name_similarity_across_spellings_and_scripts() {
        assert_eq!(name_similarity("Mohammed Yousef", "Muhammad Jusuf"), 1.0);
        assert_eq!(name_similarity("محمد يوسف", "Mohamad Yusuf"), 1.0);
        assert_eq!(name_similarity("ሰምሃር ሃይለ", "Semhar Haile"), 1.0);
        assert_eq!(name_similarity("Abd al-Rahman", "Abdulrahman"), 1.0);
        // Order-insensitive.
        assert_eq!(name_similarity("Haile Semhar", "Semhar Haile"), 1.0);
        // A name given in part scores high, but below the whole name.
        let part = name_similarity("Semhar", "Semhar Haile");
        assert!(part > 0.9 && part < 1.0, "{part}");
        // Different names.
        assert!(name_similarity("Semhar Haile", "Yonas Tesfay") < 0.6);
        assert!(name_similarity("Mohammed Ahmadi", "Mohammed Karimi") < 0.9);
        // Another reading of a spelling: a little below the same skeleton.
        let laraki = name_similarity("Ahmed Laraki", "Aḥmad al-ʻIrāqī");
        assert!((0.97..1.0).contains(&laraki), "{laraki}");
        assert_eq!(
            name_similarity("Ghasem Ghorbani", "قاسم قربانی"),
            OTHER_READING
        );
        assert_eq!(name_similarity("Ramezan", "رمضان"), 1.0);
        assert_eq!(name_similarity("Ramadan", "رمضان"), OTHER_READING);
        assert!(name_similarity("Reza", "Rida") < 0.75);
        assert_eq!(name_similarity("", "Semhar"), 0.0);
        assert_eq!(name_similarity("...", "..."), 0.0);
    }

    #[test]
    fn probe_of_collects_all_names() {
        let mut id = identity("Haile", "Semhar", date(2009, 3, 1), Sex::Female, "ER");
        id.names_original_script = vec![OriginalScriptName {
            family_name: Some("ሃይለ".to_owned()),
            given_names: Some("ሰምሃር".to_owned()),
            script: "Ethi".to_owned(),
        }];
        id.aliases = vec![Alias {
            name: "Samhar".to_owned(),
            source: None,
        }];
        let probe = probe_of(&id);
        assert_eq!(
            probe.names,
            [
                "Haile Semhar",
                "Semhar Haile",
                "ሃይለ ሰምሃር",
                "ሰምሃር ሃይለ",
                "Samhar"
            ]
        );
        assert_eq!(probe.date_of_birth, Some(date(2009, 3, 1)));
        assert_eq!(probe.sex, Some(Sex::Female));
        assert_eq!(probe.nationalities, ["ER"]);
        assert_eq!(probe_of(&Identity::default()), Probe::default());
    }

    #[test]
    fn date_of_birth_tolerance() {
        let d = date(2010, 3, 5);
        assert_eq!(date_agreement(d, d).0, 1.0);
        assert_eq!(date_agreement(d, date(2010, 1, 1)).0, 0.9);
        assert_eq!(date_agreement(d, date(2010, 5, 3)).0, 0.8);
        let near = date_agreement(d, date(2010, 9, 5)).0;
        let year = date_agreement(d, date(2011, 3, 6)).0;
        let two = date_agreement(d, date(2012, 3, 5)).0;
        assert!(
            near > year && year > two && two > 0.0,
            "{near} {year} {two}"
        );
        // The same day and month a year apart (an age estimated again) is closer than any two
        // dates days apart, in either direction; two years apart it is not.
        assert_eq!(date_agreement(d, date(2011, 3, 5)).0, 0.85);
        assert_eq!(date_agreement(d, date(2009, 3, 5)).0, 0.85);
        assert!(date_agreement(d, date(2010, 3, 6)).0 < 0.85);
        assert!(date_agreement(d, date(2012, 3, 5)).0 < 0.6);
        assert_eq!(date_agreement(d, date(2013, 6, 1)).0, 0.0);
    }

    #[test]
    fn age_range_against_date_of_birth() {
        let query = Probe {
            names: vec!["Yonas".to_owned()],
            age_range: Some((14, 16)),
            ..Probe::default()
        };
        let within = Probe {
            names: vec!["ዮናስ".to_owned()],
            date_of_birth: Some(date(2010, 1, 1)),
            ..Probe::default()
        };
        let (_, reasons) = score(&query, &within, &Weights::default(), today());
        let dob = reasons.iter().find(|r| r.field == "date_of_birth").unwrap();
        assert_eq!(dob.agreement, 0.7);
        let far = Probe {
            date_of_birth: Some(date(2020, 1, 1)),
            ..within.clone()
        };
        let (_, reasons) = score(&query, &far, &Weights::default(), today());
        let dob = reasons.iter().find(|r| r.field == "date_of_birth").unwrap();
        assert_eq!(dob.agreement, 0.0);
    }

    #[test]
    fn same_child_in_two_spellings_and_scripts_is_a_possible_match() {
        // Registered in Italy from an Eritrean document, searched in Germany from what she said.
        let mut registered = identity("Hayle", "Samhar", date(2009, 1, 1), Sex::Female, "ER");
        registered.names_original_script = vec![OriginalScriptName {
            family_name: Some("ሃይለ".to_owned()),
            given_names: Some("ሰምሃር".to_owned()),
            script: "Ethi".to_owned(),
        }];
        let searched = identity("Haile", "Semhar", date(2009, 3, 1), Sex::Female, "ER");
        let (s, reasons) = score(
            &probe_of(&searched),
            &probe_of(&registered),
            &Weights::default(),
            today(),
        );
        assert!(s >= thresholds().possible_match, "{s} {reasons:?}");
        assert_eq!(reasons.len(), 4);

        // Arabic script on one side only.
        let mut arabic = identity("", "", date(2008, 5, 10), Sex::Male, "AF");
        arabic.family_name = None;
        arabic.given_names = None;
        arabic.names_original_script = vec![OriginalScriptName {
            family_name: Some("احمدی".to_owned()),
            given_names: Some("محمد يوسف".to_owned()),
            script: "Arab".to_owned(),
        }];
        let latin = identity(
            "Ahmadi",
            "Mohammed Yousef",
            date(2008, 5, 10),
            Sex::Male,
            "AF",
        );
        let (s, reasons) = score(
            &probe_of(&latin),
            &probe_of(&arabic),
            &Weights::default(),
            today(),
        );
        assert!(s >= thresholds().possible_match, "{s} {reasons:?}");
    }

    #[test]
    fn different_children_with_a_common_first_name_are_not_candidates() {
        let a = identity("Ahmadi", "Mohammed", date(2008, 2, 1), Sex::Male, "AF");
        let b = identity("Haidari", "Mohammed", date(2012, 9, 15), Sex::Female, "AF");
        let (s, reasons) = score(&probe_of(&a), &probe_of(&b), &Weights::default(), today());
        assert!(s < thresholds().candidate, "{s} {reasons:?}");
        let sex = reasons.iter().find(|r| r.field == "sex").unwrap();
        assert_eq!(sex.agreement, 0.0);

        // The same sex does not make them candidates either.
        let c = identity("Karimi", "Mohammed", date(2011, 11, 20), Sex::Male, "AF");
        let (s, reasons) = score(&probe_of(&a), &probe_of(&c), &Weights::default(), today());
        assert!(s < thresholds().candidate, "{s} {reasons:?}");
    }

    #[test]
    fn sex_mismatch_strongly_lowers_and_missing_names_cap() {
        let a = identity("Haile", "Semhar", date(2009, 3, 1), Sex::Female, "ER");
        let mut b = a.clone();
        b.sex = Some(Sex::Male);
        let (same, _) = score(&probe_of(&a), &probe_of(&a), &Weights::default(), today());
        let (mismatch, _) = score(&probe_of(&a), &probe_of(&b), &Weights::default(), today());
        assert_eq!(same, 1.0);
        assert!(mismatch < thresholds().possible_match, "{mismatch}");

        let mut nameless = a.clone();
        nameless.family_name = None;
        nameless.given_names = None;
        let (s, reasons) = score(
            &probe_of(&a),
            &probe_of(&nameless),
            &Weights::default(),
            today(),
        );
        assert!(s <= NO_NAME_CAP);
        assert!(reasons.iter().all(|r| r.field != "name"));
        let (s, reasons) = score(
            &Probe::default(),
            &Probe::default(),
            &Weights::default(),
            today(),
        );
        assert_eq!((s, reasons.len()), (0.0, 0));
    }

    #[test]
    fn distinguishing_marks_and_languages() {
        let (same, detail) = marks_agreement(
            &["Scar above the left eyebrow".to_owned()],
            &[
                "tattoo of a star on the right hand".to_owned(),
                "scar above left eyebrow".to_owned(),
            ],
        )
        .unwrap();
        assert_eq!(same, 1.0, "{detail}");
        let (none, _) = marks_agreement(
            &["burn mark on the neck".to_owned()],
            &["tattoo of a star on the right hand".to_owned()],
        )
        .unwrap();
        assert_eq!(none, 0.0);
        assert!(marks_agreement(&[], &["scar".to_owned()]).is_none());

        let base = identity("Haile", "Semhar", date(2009, 3, 1), Sex::Female, "ER");
        let mut query = probe_of(&base);
        query.distinguishing_marks = vec!["scar left eyebrow".to_owned()];
        query.languages = vec!["ti".to_owned()];
        let mut other = probe_of(&base);
        other.distinguishing_marks = vec!["birthmark on the right cheek".to_owned()];
        other.languages = vec!["ar".to_owned()];
        let mut same = other.clone();
        same.distinguishing_marks = vec!["small scar above the left eyebrow".to_owned()];
        same.languages = vec!["ti".to_owned(), "am".to_owned()];
        let (s_other, reasons) = score(&query, &other, &Weights::default(), today());
        let (s_same, _) = score(&query, &same, &Weights::default(), today());
        assert!(s_same > s_other, "{s_same} {s_other}");
        assert!(reasons.iter().any(|r| r.field == "distinguishing_marks"));
        assert!(reasons.iter().any(|r| r.field == "languages"));
    }
}
