//! Every cell that can be published, over all months with data, suppressed once for all periods.
//!
//! The cells of a family of figures (registrations; or the disappearances and the figures that
//! split them) are counts for: a figure, optionally a month, optionally one value of one other
//! dimension. Tables share margins (disappearances by month × age band, by month, by age band) and
//! figures add up (disappearances = located + deceased + still missing = repeats + first
//! disappearances = with an absence + without; located = the sum of the located outcomes;
//! repeats = second + later episodes), so suppression runs over all of them at once with those
//! constraints: what one series withholds, no other series, margin or
//! figure gives away. A period's figures are then sums of these cells ([`Universe::over`]),
//! published only when every cell they add up is.

use std::collections::{BTreeSet, HashMap};

use super::dimension::{Dimension, EPISODES, Figure, LOCATED_OUTCOMES, Month};
use super::facts::{Disappearance, End, Facts};
use super::suppression::{Constraint, suppress};

/// A dimension other than month, with one of its values.
pub(crate) type Slice = Option<(Dimension, String)>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    figure: Figure,
    month: Option<Month>,
    slice: Slice,
}

/// The slice of disappearances of one episode value.
fn episode(value: &str) -> Slice {
    Some((Dimension::Episode, value.to_owned()))
}

/// The same count under two names is one cell: disappearances with outcome still missing (or
/// deceased) are the still missing (or deceased).
fn canonical(figure: Figure, month: Option<Month>, slice: &Slice) -> Key {
    match slice {
        Some((Dimension::Outcome, v)) if figure == Figure::Disappearances => match v.as_str() {
            "still_missing" => Key {
                figure: Figure::StillMissing,
                month,
                slice: None,
            },
            "deceased" => Key {
                figure: Figure::Deceased,
                month,
                slice: None,
            },
            _ => Key {
                figure,
                month,
                slice: slice.clone(),
            },
        },
        _ => Key {
            figure,
            month,
            slice: slice.clone(),
        },
    }
}

/// The figures computed and suppressed together with `figure`.
pub(crate) fn family(figure: Figure) -> &'static [Figure] {
    match figure.counted() {
        Figure::Registrations => &[Figure::Registrations],
        _ => &[
            Figure::Disappearances,
            Figure::Located,
            Figure::StillMissing,
            Figure::Deceased,
            Figure::RepeatDisappearances,
            Figure::AbsenceToReport,
        ],
    }
}

/// Whether a disappearance counts in `figure`.
pub(crate) fn counts_in(d: &Disappearance, figure: Figure) -> bool {
    match figure.counted() {
        Figure::Disappearances => true,
        Figure::Located => matches!(d.end, End::Located { .. }),
        Figure::StillMissing => d.end == End::StillMissing,
        Figure::Deceased => d.end == End::Deceased,
        Figure::RepeatDisappearances => d.repeat(),
        Figure::AbsenceToReport => d.absent_for.is_some(),
        Figure::Registrations | Figure::TimeToLocation => false,
    }
}

/// The suppressed cells of one family.
#[derive(Debug)]
pub(crate) struct Universe {
    /// First and last month of the family's data (up to the current month).
    pub(crate) months: Option<(Month, Month)>,
    /// The values of each dimension but month, in display order.
    pub(crate) values: HashMap<Dimension, Vec<String>>,
    index: HashMap<Key, usize>,
    counts: Vec<u64>,
    suppressed: Vec<bool>,
    pub(crate) constraints: Vec<Constraint>,
}

impl Universe {
    /// The family of `figure` from `facts`, months running to `now` at least.
    pub(crate) fn build(facts: &Facts, figure: Figure, now: Month, threshold: u64) -> Self {
        let figures = family(figure);
        let registrations = figures.contains(&Figure::Registrations);
        let events: Vec<(Month, &super::facts::Values, Option<&Disappearance>)> = if registrations {
            facts
                .registrations
                .iter()
                .map(|r| (Month::of(r.at), &r.values, None))
                .collect()
        } else {
            facts
                .disappearances
                .iter()
                .map(|d| (Month::of(d.raised_at), &d.values, Some(d)))
                .collect()
        };
        let months = events
            .iter()
            .map(|e| e.0)
            .fold(None, |acc: Option<(Month, Month)>, m| match acc {
                None => Some((m, m.max(now))),
                Some((lo, hi)) => Some((lo.min(m), hi.max(m))),
            });
        let nationalities: BTreeSet<String> =
            events.iter().map(|e| e.1.nationality.clone()).collect();
        let values: HashMap<Dimension, Vec<String>> = Dimension::ALL
            .into_iter()
            .filter(|d| *d != Dimension::Month)
            .map(|d| {
                let vs = match d.fixed_values() {
                    Some(fixed) => fixed.iter().map(|v| (*v).to_owned()).collect(),
                    None => nationalities.iter().cloned().collect(),
                };
                (d, vs)
            })
            .collect();
        let month_list: Vec<Month> = months
            .map(|(lo, hi)| lo.through(hi).collect())
            .unwrap_or_default();
        let mut u = Self {
            months,
            values,
            index: HashMap::new(),
            counts: Vec::new(),
            suppressed: Vec::new(),
            constraints: Vec::new(),
        };
        // Every cell, zeros included.
        let month_options: Vec<Option<Month>> = std::iter::once(None)
            .chain(month_list.iter().copied().map(Some))
            .collect();
        for &f in figures {
            for &m in &month_options {
                for slice in u.slices(f) {
                    u.cell(f, m, &slice);
                }
            }
        }
        // Counts: each event once per cell it falls in (aliases are counted under their own figure).
        for (month, values, disappearance) in &events {
            for &f in figures {
                if let Some(d) = disappearance
                    && !counts_in(d, f)
                {
                    continue;
                }
                let mut slices: Vec<Slice> = vec![None];
                for &dim in f.dimensions() {
                    let value = match disappearance {
                        _ if dim == Dimension::Month => continue,
                        Some(d) => d.value(dim),
                        None => values.get(dim),
                    };
                    let Some(value) = value else { continue };
                    let value = value.to_owned();
                    slices.push(Some((dim, value)));
                }
                for m in [None, Some(*month)] {
                    for slice in &slices {
                        let key = canonical(f, m, slice);
                        if key.figure == f && key.slice == *slice {
                            let i = u.cell(f, m, slice);
                            u.counts[i] += 1;
                        }
                    }
                }
            }
        }
        u.link(figures, &month_list, &month_options);
        u.suppressed = suppress(&u.counts, &u.constraints, threshold);
        u
    }

    /// No slice, and each value of each dimension but month of `figure`.
    fn slices(&self, figure: Figure) -> Vec<Slice> {
        let mut slices = vec![None];
        for &dim in figure.dimensions() {
            if dim == Dimension::Month {
                continue;
            }
            for v in &self.values[&dim] {
                slices.push(Some((dim, v.clone())));
            }
        }
        slices
    }

    /// The index of a cell, created at zero if new.
    fn cell(&mut self, figure: Figure, month: Option<Month>, slice: &Slice) -> usize {
        let key = canonical(figure, month, slice);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.counts.push(0);
        self.index.insert(key, self.counts.len() - 1);
        self.counts.len() - 1
    }

    /// The sums the published tables imply.
    fn link(&mut self, figures: &[Figure], months: &[Month], month_options: &[Option<Month>]) {
        let mut constraints = Vec::new();
        for &f in figures {
            for &dim in f.dimensions() {
                if dim == Dimension::Month {
                    let parts = months
                        .iter()
                        .map(|&m| self.cell(f, Some(m), &None))
                        .collect();
                    constraints.push(Constraint {
                        total: self.cell(f, None, &None),
                        parts,
                    });
                    continue;
                }
                let values = self.values[&dim].clone();
                for &m in month_options {
                    let parts = values
                        .iter()
                        .map(|v| self.cell(f, m, &Some((dim, v.clone()))))
                        .collect();
                    constraints.push(Constraint {
                        total: self.cell(f, m, &None),
                        parts,
                    });
                }
                for v in &values {
                    let slice = Some((dim, v.clone()));
                    let parts = months
                        .iter()
                        .map(|&m| self.cell(f, Some(m), &slice))
                        .collect();
                    constraints.push(Constraint {
                        total: self.cell(f, None, &slice),
                        parts,
                    });
                }
                // The whole table by month and this dimension: its total is every cell's sum.
                let mut parts = Vec::new();
                for &m in months {
                    for v in &values {
                        parts.push(self.cell(f, Some(m), &Some((dim, v.clone()))));
                    }
                }
                constraints.push(Constraint {
                    total: self.cell(f, None, &None),
                    parts,
                });
            }
        }
        // Figures that count a part of the disappearances: repeats (the rest are first
        // episodes) and those reported with an absence (the rest without one). The rest is
        // published only as the disappearances of episode `1` (first episodes, month by month
        // and in all); elsewhere it is never published, but disappearances less the part give
        // it: a cell of its own, suppressed like any other, that no series shows.
        for part in [Figure::RepeatDisappearances, Figure::AbsenceToReport] {
            if !figures.contains(&part) {
                continue;
            }
            for &m in month_options {
                for slice in self.slices(part) {
                    let total = self.cell(Figure::Disappearances, m, &slice);
                    let counted = self.cell(part, m, &slice);
                    let rest = if part == Figure::RepeatDisappearances && slice.is_none() {
                        self.cell(Figure::Disappearances, m, &episode(EPISODES[0]))
                    } else {
                        let rest = self.counts[total].saturating_sub(self.counts[counted]);
                        self.counts.push(rest);
                        self.counts.len() - 1
                    };
                    constraints.push(Constraint {
                        total,
                        parts: vec![counted, rest],
                    });
                }
                if part == Figure::RepeatDisappearances {
                    // Repeats are the second episodes and the later ones.
                    let parts = EPISODES[1..]
                        .iter()
                        .map(|e| self.cell(Figure::Disappearances, m, &episode(e)))
                        .collect();
                    let total = self.cell(part, m, &None);
                    constraints.push(Constraint { total, parts });
                }
            }
        }
        if figures.contains(&Figure::Disappearances) {
            let mut slices = self.slices(Figure::Located);
            slices.retain(|s| !matches!(s, Some((Dimension::Outcome, _))));
            for &m in month_options {
                for slice in &slices {
                    let parts = [Figure::Located, Figure::Deceased, Figure::StillMissing]
                        .map(|f| self.cell(f, m, slice))
                        .to_vec();
                    let total = self.cell(Figure::Disappearances, m, slice);
                    constraints.push(Constraint { total, parts });
                }
                let parts = LOCATED_OUTCOMES
                    .iter()
                    .map(|o| {
                        self.cell(
                            Figure::Disappearances,
                            m,
                            &Some((Dimension::Outcome, (*o).to_owned())),
                        )
                    })
                    .collect();
                let total = self.cell(Figure::Located, m, &None);
                constraints.push(Constraint { total, parts });
            }
        }
        constraints.retain(|c| !c.parts.is_empty());
        self.constraints = constraints;
    }

    /// The cell of one month (or all months), its count and whether it is published.
    pub(crate) fn get(&self, figure: Figure, month: Option<Month>, slice: &Slice) -> (u64, bool) {
        match self.index.get(&canonical(figure.counted(), month, slice)) {
            Some(&i) => (self.counts[i], !self.suppressed[i]),
            None => (0, false),
        }
    }

    /// The count over the months `from..=to`, published only if every cell it adds up is: each
    /// month of the period in the universe, or the all-time cell when the period covers every
    /// month of the universe; and never below `threshold`. It then tells nothing the universe
    /// does not, and a period's table keeps the universe's guarantee: a published total beside
    /// a suppressed part has a suppressed part in some month, hence (in that month) another
    /// suppressed part, and suppressed parts adding up to 0 or at least `threshold`, since every
    /// published cell is at least `threshold`. (Publishing also what follows from the all-time
    /// cell and the months outside the period would break that.)
    pub(crate) fn over(
        &self,
        figure: Figure,
        from: Month,
        to: Month,
        slice: &Slice,
        threshold: u64,
    ) -> (u64, bool) {
        let Some((lo, hi)) = self.months else {
            return (0, false);
        };
        let inside: Vec<Month> = lo.through(hi).filter(|m| (from..=to).contains(m)).collect();
        let (count, published) = if inside.len() == lo.span(hi) {
            self.get(figure, None, slice)
        } else {
            inside
                .iter()
                .map(|&m| self.get(figure, Some(m), slice))
                .fold((0, true), |(n, all), (c, p)| (n + c, all && p))
        };
        (count, published && count >= threshold)
    }

    /// Whether the suppression pattern holds the guarantee of [`super::suppression::holds`].
    #[cfg(test)]
    pub(crate) fn holds(&self, threshold: u64) -> bool {
        super::suppression::holds(&self.counts, &self.constraints, threshold, &self.suppressed)
    }
}
