//! The identity matcher's core: how names written in different spellings and scripts are brought
//! to comparable keys, and how two identities are scored (see DESIGN.md, "Matching").
//!
//! The pipeline for a name: [`fold`] (case, compatibility forms, diacritics, Latin look-alikes),
//! [`to_latin`] (Arabic and Ge'ez script to a plain Latin key), [`skeleton`] (a consonant key that
//! survives different romanisations) and [`name_keys`] (the skeleton of each word and of the
//! other readings its spelling allows: `Laraki` as al-Iraqi, `Ghasem` as Qasim), then
//! [`name_similarity`]; [`score`] combines the name with date of birth, sex and nationality and
//! gives the reasons for its result. [`index_keys`] and [`query_keys`] file and look up records
//! under the keys of their names.

pub mod keys;
pub mod normalize;
pub mod phonetic;
pub mod score;
pub mod transliterate;

pub use keys::{INDEX_VERSION, KeyQuery, index_keys, query_keys};
pub use normalize::fold;
pub use phonetic::{name_keys, name_tokens, skeleton, token_keys, token_skeleton};
pub use score::{
    DEFAULT_MATCHING_TOML, MatchingConfig, Probe, Reason, Scorer, Thresholds, Weights,
    name_similarity, probe_of, score,
};
pub use transliterate::to_latin;
