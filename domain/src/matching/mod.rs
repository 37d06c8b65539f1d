//! The identity matcher's core: how names written in different spellings and scripts are brought
//! to comparable keys, and how two identities are scored (see DESIGN.md, "Matching").
//!
//! The pipeline for a name: [`fold`] (case, compatibility forms, diacritics, Latin look-alikes),
//! [`to_latin`] (Arabic and Ge'ez script to a plain Latin key), [`skeleton`] (a consonant key that
//! survives different romanisations), then [`name_similarity`]; [`score`] combines the name with
//! date of birth, sex and nationality and gives the reasons for its result.

pub mod normalize;
pub mod phonetic;
pub mod score;
pub mod transliterate;

pub use normalize::fold;
pub use phonetic::{name_tokens, skeleton, token_skeleton};
pub use score::{
    DEFAULT_MATCHING_TOML, MatchingConfig, Probe, Reason, Thresholds, Weights, name_similarity,
    probe_of, score,
};
pub use transliterate::to_latin;

/// The index keys of a record's identity: the skeleton of every token of every name (family and
/// given names, names in the original script, aliases), at least two letters long, deduplicated.
pub fn index_keys(identity: Option<&crate::minor::Identity>) -> Vec<String> {
    let Some(identity) = identity else {
        return vec![];
    };
    query_keys(&probe_of(identity).names)
}

/// The index keys of names searched for.
pub fn query_keys(names: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = names
        .iter()
        .flat_map(|n| name_tokens(n))
        .map(|t| token_skeleton(&t))
        .filter(|k| k.chars().count() >= 2)
        .collect();
    keys.sort();
    keys.dedup();
    keys
}
