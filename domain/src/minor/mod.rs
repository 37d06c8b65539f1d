//! The child's record: its content grouped by field category ([`MinorData`]), the field rules
//! that content must meet ([`validate()`]), and how a body or a JSON merge patch becomes content
//! ([`parse_data`], [`apply_merge_patch`]).
//!
//! The flow for a write: `parse_data` (POST) or `apply_merge_patch` (PATCH), then `validate`,
//! which also normalises text; only validated content is stored.

pub mod codes;
pub mod limits;
pub mod merge;
pub mod model;
pub mod patch;
pub mod validate;

#[cfg(test)]
pub(crate) mod fixtures;

pub use codes::{SCRIPT_CODES, is_language_code, is_script_code};
pub use limits::{
    EARLIEST_DATE, HEIGHT_CM, MAX_AGE_YEARS, MAX_ESTIMATED_AGE, MAX_EXPIRY_YEARS, MAX_ITEMS,
    MAX_LONG_CHARS, MAX_SHORT_CHARS, PHOTO_CONTENT_TYPES,
};
pub use merge::merge_data;
pub use model::*;
pub use patch::{apply_merge_patch, parse_data, touched_categories};
pub use validate::{normalise, validate};
