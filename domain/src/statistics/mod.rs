//! Aggregated, privacy-preserving statistics for policy makers: counts of registrations and
//! disappearances (episodes, one per alert), the time to location and the time from absence to
//! report, by month and by the child's age band, sex, nationality, placement, risk level,
//! outcome and episode (first, second, later disappearance), with small cells suppressed.
//!
//! * [`facts`]: what is counted, built from records and alerts, no child-level data kept;
//! * [`suppression`]: primary and complementary suppression over linked tables;
//! * [`universe`]: every publishable cell over all months, suppressed once;
//! * [`series`]: a period's series, derived from the universe only.
//!
//! Definitions are in `docs/statistics.md`.

pub mod dimension;
pub mod facts;
pub mod series;
pub mod suppression;
#[cfg(test)]
mod tests;
pub(crate) mod universe;

pub use dimension::{Dimension, Figure, Month};
pub use facts::Facts;
pub use series::{Cell, Quartiles, Query, Row, Series};

/// The default smallest count published.
pub const DEFAULT_THRESHOLD: u64 = 5;

/// The series of `query` from `facts`, with cells below `threshold` (and those that would give
/// them away) suppressed. `now` is the current month: the default end of the period and the last
/// month of the universe. The query must be valid ([`Query::validate`]).
pub fn compute(facts: &Facts, query: &Query, now: Month, threshold: u64) -> Series {
    let universe = universe::Universe::build(facts, query.figure, now, threshold);
    series_in(&universe, facts, query, now, threshold)
}

/// [`compute`] with the universe of the query's figure built already (by
/// `Universe::build(facts, query.figure, now, threshold)`).
pub(crate) fn series_in(
    universe: &universe::Universe,
    facts: &Facts,
    query: &Query,
    now: Month,
    threshold: u64,
) -> Series {
    let first = universe.months.map_or(now, |(lo, _)| lo);
    let from = query.from.unwrap_or(first);
    let to = query.to.unwrap_or(now).max(from);
    series::Builder {
        universe,
        facts,
        threshold,
    }
    .series(query, from, to)
}
