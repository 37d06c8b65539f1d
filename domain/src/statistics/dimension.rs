//! What the statistics count (figures) and what they are broken down by (dimensions), with their
//! wire names, and the calendar month that periods are made of.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// `Display` and `FromStr` by the wire name (`as_str`) of each member of `ALL`, and the error
/// naming an unknown one.
macro_rules! wire_names {
    ($type:ident, $error:ident, $what:literal) => {
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[doc = concat!("The text names no ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("`{0}` is not a {what}", what = $what)]
        pub struct $error(pub String);

        impl FromStr for $type {
            type Err = $error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $error(s.to_owned()))
            }
        }
    };
}

/// A published figure. Every figure but `registrations` counts disappearances (episodes: alerts
/// not resolved as reported in error, see [`super::Facts::build`]), by the month the alert was
/// raised; see `docs/statistics.md`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Children registered (records other than merged duplicates), by registration month.
    Registrations,
    /// Disappearances reported.
    Disappearances,
    /// Disappearances that ended with the child located (found safe or harmed, returned, abroad).
    Located,
    /// Disappearances whose alert is still open.
    StillMissing,
    /// Disappearances that ended with the child found deceased.
    Deceased,
    /// Disappearances of a child who had disappeared before (its second or later episode).
    RepeatDisappearances,
    /// Hours from the report to the location, for located disappearances: quartiles and median.
    TimeToLocation,
    /// Hours from the roll call that first found the child absent to the report, for the
    /// disappearances reported while such an absence was open: quartiles and median.
    AbsenceToReport,
}

impl Figure {
    pub const ALL: [Figure; 8] = [
        Self::Registrations,
        Self::Disappearances,
        Self::Located,
        Self::StillMissing,
        Self::Deceased,
        Self::RepeatDisappearances,
        Self::TimeToLocation,
        Self::AbsenceToReport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registrations => "registrations",
            Self::Disappearances => "disappearances",
            Self::Located => "located",
            Self::StillMissing => "still_missing",
            Self::Deceased => "deceased",
            Self::RepeatDisappearances => "repeat_disappearances",
            Self::TimeToLocation => "time_to_location",
            Self::AbsenceToReport => "absence_to_report",
        }
    }

    /// The dimensions this figure can be broken down by.
    pub fn dimensions(self) -> &'static [Dimension] {
        use Dimension::*;
        match self {
            Self::Registrations => &[Month, AgeBand, Sex, Nationality, Placement, RiskLevel],
            Self::Disappearances => &[
                Month,
                AgeBand,
                Sex,
                Nationality,
                Placement,
                RiskLevel,
                Outcome,
                Episode,
            ],
            _ => &[Month, AgeBand, Sex, Nationality, Placement, RiskLevel],
        }
    }

    /// The figure whose counts this one publishes: time to location is given for the located.
    /// (Time from absence to report counts its own cases, the disappearances with an absence.)
    pub(crate) fn counted(self) -> Figure {
        match self {
            Self::TimeToLocation => Self::Located,
            other => other,
        }
    }

    /// Whether the figure is a time: quartiles of hours beside the count of its cases.
    pub fn timed(self) -> bool {
        matches!(self, Self::TimeToLocation | Self::AbsenceToReport)
    }
}

wire_names!(Figure, UnknownFigure, "figure");

/// What a figure is broken down by.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Calendar month (UTC) of the registration or of the report.
    Month,
    /// Age at the event, from the date of birth or else the assessed age.
    AgeBand,
    Sex,
    /// The first nationality recorded.
    Nationality,
    /// The kind of agency the child was placed with at the event.
    Placement,
    RiskLevel,
    /// How the disappearance ended, or `still_missing`.
    Outcome,
    /// Which disappearance of the child it is: `1` (its first), `2`, `3+`.
    Episode,
}

impl Dimension {
    pub const ALL: [Dimension; 8] = [
        Self::Month,
        Self::AgeBand,
        Self::Sex,
        Self::Nationality,
        Self::Placement,
        Self::RiskLevel,
        Self::Outcome,
        Self::Episode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::AgeBand => "age_band",
            Self::Sex => "sex",
            Self::Nationality => "nationality",
            Self::Placement => "placement",
            Self::RiskLevel => "risk_level",
            Self::Outcome => "outcome",
            Self::Episode => "episode",
        }
    }

    /// Every value of a dimension with a fixed set of values, in display order; `None` for month
    /// and nationality, whose values come from the data.
    pub fn fixed_values(self) -> Option<&'static [&'static str]> {
        match self {
            Self::AgeBand => Some(&AGE_BANDS),
            Self::Sex => Some(&["female", "male", "x", "unknown"]),
            Self::Placement => Some(&["reception_centre", "youth_care", "other", "none"]),
            Self::RiskLevel => Some(&["high", "medium", "low", "unknown"]),
            Self::Outcome => Some(&OUTCOMES),
            Self::Episode => Some(&EPISODES),
            Self::Month | Self::Nationality => None,
        }
    }
}

wire_names!(Dimension, UnknownDimension, "dimension");

/// Age bands, youngest first.
pub const AGE_BANDS: [&str; 5] = ["0-13", "14-15", "16-17", "18+", "unknown"];

/// Episodes of a child: its first disappearance, its second, its third or later.
pub const EPISODES: [&str; 3] = ["1", "2", "3+"];

/// Outcomes of a disappearance; the first four are locations.
pub const OUTCOMES: [&str; 6] = [
    "found_safe",
    "found_harmed",
    "returned",
    "located_abroad",
    "deceased",
    "still_missing",
];

/// The outcomes that count as located.
pub const LOCATED_OUTCOMES: [&str; 4] =
    ["found_safe", "found_harmed", "returned", "located_abroad"];

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month(i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Self> {
        (1..=12)
            .contains(&month)
            .then(|| Self(year * 12 + i32::try_from(month).unwrap_or(1) - 1))
    }

    pub fn of(at: DateTime<Utc>) -> Self {
        Self::of_date(at.date_naive())
    }

    pub fn of_date(date: NaiveDate) -> Self {
        Self(date.year() * 12 + i32::try_from(date.month0()).unwrap_or(0))
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// 1 to 12.
    pub fn month(self) -> u32 {
        u32::try_from(self.0.rem_euclid(12)).unwrap_or(0) + 1
    }

    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }

    /// Months from `self` to `to`, both included (empty if `to` is earlier).
    pub fn through(self, to: Month) -> impl Iterator<Item = Month> {
        (self.0..=to.0).map(Month)
    }

    /// Number of months from `self` to `to`, both included (0 if `to` is earlier).
    pub fn span(self, to: Month) -> usize {
        usize::try_from(to.0 - self.0 + 1).unwrap_or(0)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// The text is not a month `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a month (YYYY-MM)")]
pub struct BadMonth(pub String);

impl FromStr for Month {
    type Err = BadMonth;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadMonth(s.to_owned());
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_print_and_count() {
        let m: Month = "2026-01".parse().unwrap();
        assert_eq!(m.to_string(), "2026-01");
        assert_eq!(m.next().to_string(), "2026-02");
        let dec: Month = "2025-12".parse().unwrap();
        assert_eq!(dec.next(), m);
        assert_eq!(dec.span(m), 2);
        assert_eq!(m.span(dec), 0);
        for bad in ["2026-13", "2026-1", "26-01", "2026/01", ""] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }

    #[test]
    fn names_round_trip() {
        for f in Figure::ALL {
            assert_eq!(f.as_str().parse::<Figure>().unwrap(), f);
        }
        for d in Dimension::ALL {
            assert_eq!(d.as_str().parse::<Dimension>().unwrap(), d);
        }
    }
}
