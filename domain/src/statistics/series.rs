//! One published series: a figure over a period, in total and broken down by a dimension (and, per
//! month, by a second one), with every suppressed cell marked. Built from the [`Universe`] of its
//! family, so that every number it carries follows from the universe's published cells.

use super::dimension::{Dimension, Figure, Month};
use super::facts::{End, Facts};
use super::universe::{Slice, Universe, counts_in};
use crate::validation::FieldErrors;

/// The longest period one series may cover, in months.
pub const MAX_MONTHS: usize = 240;

/// What a caller asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub figure: Figure,
    /// Rows: one per value of this dimension; `None` for the total alone.
    pub by: Option<Dimension>,
    /// Columns within each month: only with `by` = month.
    pub split: Option<Dimension>,
    /// First month of the period (default: the first month with data).
    pub from: Option<Month>,
    /// Last month of the period (default: the current month).
    pub to: Option<Month>,
}

impl Query {
    /// Checks the combination: `by` and `split` must be dimensions of the figure, `split` only
    /// with `by` = month and never month itself, `from` not after `to`, at most [`MAX_MONTHS`].
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        let dims = self.figure.dimensions();
        if let Some(by) = self.by
            && !dims.contains(&by)
        {
            errors.push("by", format!("{} is not broken down by {by}", self.figure));
        }
        if let Some(split) = self.split {
            if self.by != Some(Dimension::Month) {
                errors.push("split", "a split needs by=month");
            } else if split == Dimension::Month || !dims.contains(&split) {
                errors.push("split", format!("{} is not split by {split}", self.figure));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                errors.push("from", "must not be after `to`");
            } else if from.span(to) > MAX_MONTHS {
                errors.push("to", format!("a period covers at most {MAX_MONTHS} months"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Hours of a time figure (from report to location, or from absence to report): first quartile,
/// median, third quartile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quartiles {
    pub q1_hours: f64,
    pub median_hours: f64,
    pub q3_hours: f64,
}

/// One published number: `count` is `None` when suppressed. For a time figure
/// ([`Figure::timed`]), `count` is the number of its cases (the located disappearances, or those
/// reported with an absence) and `quartiles` is `None` when withheld: whenever the count is
/// suppressed or below twice the threshold (in a smaller group, the quartiles are close to, or
/// are, single children's times). Other figures never have quartiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub count: Option<u64>,
    pub quartiles: Option<Quartiles>,
}

impl Cell {
    pub fn suppressed(&self) -> bool {
        self.count.is_none()
    }
}

/// One value of `by`, with its cell and, with a split, one cell per value of the split.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: String,
    pub cell: Cell,
    pub split: Vec<(String, Cell)>,
}

/// A series as published.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub figure: Figure,
    pub by: Option<Dimension>,
    pub split: Option<Dimension>,
    pub from: Month,
    pub to: Month,
    pub threshold: u64,
    pub total: Cell,
    pub rows: Vec<Row>,
}

/// Quantile by linear interpolation between closest ranks (R type 7) of sorted `values`.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    #[allow(clippy::cast_precision_loss)]
    let h = last as f64 * q;
    let lo = h.floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = lo as usize;
    let below = sorted[i];
    let above = sorted.get(i + 1).copied().unwrap_or(below);
    Some(below + (h - lo) * (above - below))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The quartiles of `hours`, rounded to a tenth of an hour.
pub fn quartiles(mut hours: Vec<f64>) -> Option<Quartiles> {
    hours.sort_by(f64::total_cmp);
    Some(Quartiles {
        q1_hours: round1(quantile(&hours, 0.25)?),
        median_hours: round1(quantile(&hours, 0.5)?),
        q3_hours: round1(quantile(&hours, 0.75)?),
    })
}

/// Builds series from one universe and the facts behind it.
pub(crate) struct Builder<'a> {
    pub(crate) universe: &'a Universe,
    pub(crate) facts: &'a Facts,
    pub(crate) threshold: u64,
}

impl Builder<'_> {
    /// The series of `query` over `from..=to` (already defaulted and validated).
    pub(crate) fn series(&self, query: &Query, from: Month, to: Month) -> Series {
        let figure = query.figure;
        let whole = |slice: &Slice| self.cell(figure, from, to, None, slice);
        let rows = match query.by {
            None => vec![],
            Some(Dimension::Month) => from
                .through(to)
                .map(|m| Row {
                    key: m.to_string(),
                    cell: self.cell(figure, from, to, Some(m), &None),
                    split: query.split.map_or_else(Vec::new, |dim| {
                        self.values(dim)
                            .into_iter()
                            .map(|v| {
                                let slice = Some((dim, v.clone()));
                                (v, self.cell(figure, from, to, Some(m), &slice))
                            })
                            .collect()
                    }),
                })
                .collect(),
            Some(dim) => self
                .values(dim)
                .into_iter()
                .map(|v| Row {
                    cell: whole(&Some((dim, v.clone()))),
                    key: v,
                    split: vec![],
                })
                .collect(),
        };
        Series {
            figure,
            by: query.by,
            split: query.split,
            from,
            to,
            threshold: self.threshold,
            total: whole(&None),
            rows,
        }
    }

    fn values(&self, dim: Dimension) -> Vec<String> {
        self.universe.values.get(&dim).cloned().unwrap_or_default()
    }

    /// One cell: of month `month`, or of the whole period.
    fn cell(
        &self,
        figure: Figure,
        from: Month,
        to: Month,
        month: Option<Month>,
        slice: &Slice,
    ) -> Cell {
        let (count, published) = match month {
            Some(m) => {
                let (count, published) = self.universe.get(figure, Some(m), slice);
                (count, published && count >= self.threshold)
            }
            None => self.universe.over(figure, from, to, slice, self.threshold),
        };
        let count = published.then_some(count);
        let quartiles = match count {
            Some(n) if figure.timed() && n >= 2 * self.threshold => {
                let (lo, hi) = month.map_or((from, to), |m| (m, m));
                quartiles(self.hours(figure, lo, hi, slice))
            }
            _ => None,
        };
        Cell { count, quartiles }
    }

    /// The hours of the time figure `figure` for its cases of `from..=to` in `slice`: from report
    /// to location of the located disappearances, or from absence to report of those reported
    /// with an absence. Empty for any other figure.
    fn hours(&self, figure: Figure, from: Month, to: Month, slice: &Slice) -> Vec<f64> {
        self.facts
            .disappearances
            .iter()
            .filter(|d| counts_in(d, figure.counted()))
            .filter(|d| (from..=to).contains(&Month::of(d.raised_at)))
            .filter(|d| match slice {
                None => true,
                Some((dim, v)) => d.value(*dim) == Some(v.as_str()),
            })
            .filter_map(|d| match (figure, d.end, d.absent_for) {
                (Figure::TimeToLocation, End::Located { after, .. }, _)
                | (Figure::AbsenceToReport, _, Some(after)) =>
                {
                    #[allow(clippy::cast_precision_loss)]
                    Some(after.num_seconds() as f64 / 3600.0)
                }
                _ => None,
            })
            .collect()
    }
}
