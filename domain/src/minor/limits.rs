//! The bounds of the child's record: how long a text, how many entries, which dates and sizes
//! the field rules accept (`validate`) and the published schema states (`model`).

use chrono::NaiveDate;

/// Most characters in a single-line field (names, places, references, list entries).
pub const MAX_SHORT_CHARS: usize = 200;
/// Most characters in a multi-line field (circumstances, notes, wishes, health texts).
pub const MAX_LONG_CHARS: usize = 4000;
/// Most entries in any list.
pub const MAX_ITEMS: usize = 50;
/// Earliest date accepted in any date field but the date of birth.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1990, 1, 1) {
    Some(date) => date,
    None => panic!("1990-01-01 is a date"),
};
/// A date of birth lies at most this many years before the day of validation: the register holds
/// minors, and keeps a record for some years after the child comes of age.
pub const MAX_AGE_YEARS: u32 = 25;
/// An estimated age range ends at most at this many years.
pub const MAX_ESTIMATED_AGE: u8 = 30;
/// A document expires at most this many years after the day of validation.
pub const MAX_EXPIRY_YEARS: u32 = 20;
/// Body height bounds, in centimetres.
pub const HEIGHT_CM: std::ops::RangeInclusive<u16> = 40..=230;
/// Media types of stored photos.
pub const PHOTO_CONTENT_TYPES: [&str; 2] = ["image/jpeg", "image/png"];
