//! The figures on a small synthetic dataset, checked against values computed by hand, and the
//! suppression guarantee over every series of random datasets.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::dimension::{Dimension, Figure, Month};
use super::facts::{Disappearance, End, Facts, Registration, Values};
use super::series::{Cell, Query, Series, quantile};
use super::universe::Universe;
use super::{DEFAULT_THRESHOLD, compute, series_in};
use crate::alert::ResolutionOutcome;

const THRESHOLD: u64 = 3;

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 12, 0, 0).unwrap()
}

fn values(sex: &'static str) -> Values {
    Values {
        age_band: "16-17",
        sex,
        nationality: "AF".into(),
        placement: "reception_centre",
        risk_level: "high",
    }
}

fn located(hours: i64) -> End {
    End::Located {
        outcome: ResolutionOutcome::FoundSafe,
        after: Duration::hours(hours),
    }
}

fn gone(month: u32, sex: &'static str, end: End) -> Disappearance {
    Disappearance {
        raised_at: at(month, 3),
        values: values(sex),
        end,
        episode: 1,
        absent_for: None,
    }
}

/// January: 6 disappearances (4 girls, 2 boys): 3 found safe after 2, 4 and 10 hours, 2 still
/// missing, 1 deceased. February: 4 (1 girl, 3 boys): found safe after 1 and 5 hours, returned
/// after 30 hours (a repeat), 1 still missing.
fn dataset() -> Facts {
    let mut returned = gone(
        2,
        "male",
        End::Located {
            outcome: ResolutionOutcome::Returned,
            after: Duration::hours(30),
        },
    );
    returned.episode = 2;
    Facts {
        registrations: (0..7)
            .map(|i| Registration {
                at: at(1 + i % 2, 1),
                values: values(if i < 4 { "female" } else { "male" }),
            })
            .collect(),
        disappearances: vec![
            gone(1, "female", located(2)),
            gone(1, "female", located(4)),
            gone(1, "female", End::StillMissing),
            gone(1, "female", End::Deceased),
            gone(1, "male", located(10)),
            gone(1, "male", End::StillMissing),
            gone(2, "female", located(1)),
            gone(2, "male", located(5)),
            returned,
            gone(2, "male", End::StillMissing),
        ],
    }
}

fn feb() -> Month {
    Month::new(2026, 2).unwrap()
}

fn series(figure: Figure, by: Option<Dimension>, split: Option<Dimension>) -> Series {
    let query = Query {
        figure,
        by,
        split,
        from: None,
        to: None,
    };
    query.validate().unwrap();
    compute(&dataset(), &query, feb(), THRESHOLD)
}

fn counts(s: &Series) -> Vec<(String, Option<u64>)> {
    s.rows
        .iter()
        .map(|r| (r.key.clone(), r.cell.count))
        .collect()
}

fn row<'a>(s: &'a Series, key: &str) -> &'a Cell {
    &s.rows.iter().find(|r| r.key == key).unwrap().cell
}

#[test]
fn counts_by_month_match_the_hand_computed_values() {
    let d = series(Figure::Disappearances, Some(Dimension::Month), None);
    assert_eq!(d.total.count, Some(10));
    assert_eq!(
        counts(&d),
        [("2026-01".into(), Some(6)), ("2026-02".into(), Some(4))]
    );
    // Located: 3 in each month, but February's 4 disappearances less its 3 located would
    // tell that one child was not located (deceased + still missing = 0 + 1): February's
    // located go, and January's with them (6 in all is published).
    let l = series(Figure::Located, Some(Dimension::Month), None);
    assert_eq!(l.total.count, Some(6));
    assert_eq!(
        counts(&l),
        [("2026-01".into(), None), ("2026-02".into(), None)]
    );
    let r = series(Figure::Registrations, Some(Dimension::Month), None);
    assert_eq!(r.total.count, Some(7));
    assert_eq!(
        counts(&r),
        [("2026-01".into(), Some(4)), ("2026-02".into(), Some(3))]
    );
}

#[test]
fn small_counts_and_what_would_reveal_them_are_suppressed() {
    // Deceased: 1 in January: suppressed everywhere.
    let dec = series(Figure::Deceased, Some(Dimension::Month), None);
    assert!(dec.total.suppressed() && dec.rows.iter().all(|r| r.cell.suppressed()));
    // Still missing: 2 and 1 by month, 3 in all; published beside 10 disappearances, 6 located
    // and a suppressed deceased count, it would reveal that count: suppressed too.
    let sm = series(Figure::StillMissing, Some(Dimension::Month), None);
    assert_eq!(sm.total.count, None);
    // By outcome: found safe 5 would be published beside 6 located, telling that one child was
    // located otherwise (returned): every outcome is suppressed (5, 0, 1, 0, 1, 3); the total
    // stays.
    let out = series(Figure::Disappearances, Some(Dimension::Outcome), None);
    assert_eq!(out.total.count, Some(10));
    for key in [
        "found_safe",
        "found_harmed",
        "returned",
        "located_abroad",
        "deceased",
        "still_missing",
    ] {
        assert!(row(&out, key).suppressed(), "{key}");
    }
    // By sex: 5 girls and 5 boys published; per month, the January boys (2) and February girl
    // (1) are small, and the January girls (4) and February boys (3) go with them, since the
    // yearly counts per sex are published.
    let sex = series(Figure::Disappearances, Some(Dimension::Sex), None);
    assert_eq!(row(&sex, "female").count, Some(5));
    assert_eq!(row(&sex, "male").count, Some(5));
    assert!(row(&sex, "x").suppressed() && row(&sex, "unknown").suppressed());
    let split = series(
        Figure::Disappearances,
        Some(Dimension::Month),
        Some(Dimension::Sex),
    );
    assert_eq!(
        counts(&split),
        [("2026-01".into(), Some(6)), ("2026-02".into(), Some(4))]
    );
    assert!(
        split
            .rows
            .iter()
            .all(|r| r.split.iter().all(|(_, c)| c.suppressed()))
    );
}

#[test]
fn repeats_are_counted_and_suppressed() {
    let rep = series(Figure::RepeatDisappearances, None, None);
    assert_eq!(rep.total.count, None, "one repeat is below the threshold");
    let query = Query {
        figure: Figure::RepeatDisappearances,
        by: None,
        split: None,
        from: None,
        to: None,
    };
    assert_eq!(compute(&dataset(), &query, feb(), 1).total.count, Some(1));
}

#[test]
fn time_to_location_gives_quartiles_of_groups_large_enough() {
    let t = series(Figure::TimeToLocation, Some(Dimension::Month), None);
    // All: 1, 2, 4, 5, 10, 30 hours: 6 located, twice the threshold.
    let q = t.total.quartiles.unwrap();
    assert_eq!((q.q1_hours, q.median_hours, q.q3_hours), (2.5, 4.5, 8.8));
    assert_eq!(t.total.count, Some(6));
    // 3 a month: the located of each month are suppressed (see above), and would be too few.
    for r in &t.rows {
        assert_eq!((r.cell.count, r.cell.quartiles), (None, None), "{}", r.key);
    }
    // By sex: 3 girls and 3 boys located beside 5 and 5 disappearances: suppressed.
    let by_sex = series(Figure::TimeToLocation, Some(Dimension::Sex), None);
    for r in &by_sex.rows {
        assert_eq!((r.cell.count, r.cell.quartiles), (None, None), "{}", r.key);
    }
    // Threshold 4: the 6 located are published (10 = 6 + 1 + 3, and 1 + 3 = 4), but their
    // quartiles need 8.
    let query = Query {
        figure: Figure::TimeToLocation,
        by: Some(Dimension::Month),
        split: None,
        from: None,
        to: None,
    };
    let strict = compute(&dataset(), &query, feb(), 4);
    assert_eq!(
        (strict.total.count, strict.total.quartiles),
        (Some(6), None)
    );
    assert!(
        strict
            .rows
            .iter()
            .all(|r| r.cell.quartiles.is_none() && r.cell.count.is_none())
    );
}

/// January, all still missing: one disappearance per item, `absent[i]` hours after a roll call
/// found the child absent (`None`: no absence open at the report), episode `episodes[i]`.
fn january_cases(absent: &[Option<i64>], episodes: &[u32]) -> Facts {
    assert_eq!(absent.len(), episodes.len());
    Facts {
        registrations: vec![],
        disappearances: absent
            .iter()
            .zip(episodes)
            .map(|(hours, &episode)| Disappearance {
                absent_for: hours.map(Duration::hours),
                episode,
                ..gone(1, "female", End::StillMissing)
            })
            .collect(),
    }
}

#[test]
fn absence_to_report_gives_quartiles_of_the_cases_with_an_absence() {
    // Threshold 3. Nine disappearances: six reported 1, 2, 3, 4, 5 and 10 hours after a roll
    // call found the child absent, three without an open absence.
    let mut absent: Vec<Option<i64>> = [1, 2, 3, 4, 5, 10].map(Some).to_vec();
    absent.extend([None; 3]);
    let facts = january_cases(&absent, &[1; 9]);
    let t = january_series(&facts, Figure::AbsenceToReport, Some(Dimension::Month), 3);
    // Six cases, twice the threshold. Ranks (R type 7) 1 + 5/4, 1 + 5/2, 1 + 15/4 of the
    // sorted hours: 2 + 0.25 = 2.25, 3 + 0.5 = 3.5, 4 + 0.75 = 4.75; rounded to 0.1 h (half
    // away from zero): 2.3, 3.5, 4.8.
    assert_eq!(t.total.count, Some(6));
    let q = t.total.quartiles.unwrap();
    assert_eq!((q.q1_hours, q.median_hours, q.q3_hours), (2.3, 3.5, 4.8));
    assert_eq!(row(&t, "2026-01").quartiles, t.total.quartiles);
    // Disappearances are 9 whatever the absences; 9 - 6 = 3 reported without one.
    let d = january_series(&facts, Figure::Disappearances, None, 3);
    assert_eq!(d.total.count, Some(9));

    // Threshold 4: the 3 without an absence are withheld, so the 6 with one would reveal them
    // (9 - 6): the count goes, and its quartiles with it.
    let strict = january_series(&facts, Figure::AbsenceToReport, None, 4);
    assert_eq!((strict.total.count, strict.total.quartiles), (None, None));
    assert_eq!(
        january_series(&facts, Figure::Disappearances, None, 4)
            .total
            .count,
        Some(9)
    );

    // Five with an absence (1 to 5 hours), four without, threshold 3: 5 is published, but
    // quartiles need 6 (they would be the 2nd, 3rd and 4th children's own times).
    let mut absent: Vec<Option<i64>> = (1..=5).map(Some).collect();
    absent.extend([None; 4]);
    let five = january_series(
        &january_cases(&absent, &[1; 9]),
        Figure::AbsenceToReport,
        None,
        3,
    );
    assert_eq!((five.total.count, five.total.quartiles), (Some(5), None));

    // No absence at all: 0 cases, suppressed, no quartiles.
    let none = january_series(
        &january_cases(&[None; 9], &[1; 9]),
        Figure::AbsenceToReport,
        None,
        3,
    );
    assert_eq!((none.total.count, none.total.quartiles), (None, None));
}

#[test]
fn disappearances_by_episode_count_first_second_and_later_ones() {
    // Threshold 3, January: 4 first disappearances, 3 second, 1 third and 2 fourth.
    let episodes = [1, 1, 1, 1, 2, 2, 2, 3, 4, 4];
    let facts = january_cases(&[None; 10], &episodes);
    let by = january_series(&facts, Figure::Disappearances, Some(Dimension::Episode), 3);
    assert_eq!(by.total.count, Some(10));
    assert_eq!(
        counts(&by),
        [
            ("1".into(), Some(4)),
            ("2".into(), Some(3)),
            ("3+".into(), Some(3))
        ]
    );
    // Repeats: 3 + 3 = 6, and 10 - 4.
    let rep = january_series(&facts, Figure::RepeatDisappearances, None, 3);
    assert_eq!(rep.total.count, Some(6));
    // By month and episode: January's cells are the same.
    let jan = Month::new(2026, 1).unwrap();
    let query = Query {
        figure: Figure::Disappearances,
        by: Some(Dimension::Month),
        split: Some(Dimension::Episode),
        from: Some(jan),
        to: Some(jan),
    };
    query.validate().unwrap();
    let split = compute(&facts, &query, jan, 3);
    let cells: Vec<(&str, Option<u64>)> = split.rows[0]
        .split
        .iter()
        .map(|(k, c)| (k.as_str(), c.count))
        .collect();
    assert_eq!(cells, [("1", Some(4)), ("2", Some(3)), ("3+", Some(3))]);

    // 4 first, 3 second, 1 third: repeats 4 = 3 + 1 published; the third (1) is suppressed, and
    // the second (3) with it, else 4 - 3 would give it away; the first (4) stays.
    let facts = january_cases(&[None; 8], &[1, 1, 1, 1, 2, 2, 2, 3]);
    let by = january_series(&facts, Figure::Disappearances, Some(Dimension::Episode), 3);
    assert_eq!(by.total.count, Some(8));
    assert_eq!(
        counts(&by),
        [
            ("1".into(), Some(4)),
            ("2".into(), None),
            ("3+".into(), None)
        ]
    );
    let rep = january_series(&facts, Figure::RepeatDisappearances, None, 3);
    assert_eq!(rep.total.count, Some(4));
}

/// `n` disappearances raised on 3 January, in one group: `ends[i]` is how the i-th ended.
fn january(ends: Vec<End>) -> Facts {
    Facts {
        registrations: vec![],
        disappearances: ends.into_iter().map(|end| gone(1, "female", end)).collect(),
    }
}

fn january_series(facts: &Facts, figure: Figure, by: Option<Dimension>, threshold: u64) -> Series {
    let jan = Month::new(2026, 1).unwrap();
    let query = Query {
        figure,
        by,
        split: None,
        from: Some(jan),
        to: Some(jan),
    };
    compute(facts, &query, jan, threshold)
}

#[test]
fn suppressed_outcomes_never_add_up_to_fewer_children_than_the_threshold() {
    // The reported case, threshold 5: in January 7 disappearances, 6 still missing and 1 found
    // safe (after 3 hours). Publishing the total (7) and still missing (6) beside five suppressed
    // outcomes would tell that one child of that month was found or died. Still missing goes too;
    // the total alone stays (every outcome is suppressed: 1 + 0 + 0 + 0 + 0 + 6 = 7).
    let mut ends = vec![End::StillMissing; 6];
    ends.push(located(3));
    let facts = january(ends);
    let out = january_series(&facts, Figure::Disappearances, Some(Dimension::Outcome), 5);
    assert_eq!(out.total.count, Some(7));
    assert_eq!(
        counts(&out),
        [
            ("found_safe".into(), None),
            ("found_harmed".into(), None),
            ("returned".into(), None),
            ("located_abroad".into(), None),
            ("deceased".into(), None),
            ("still_missing".into(), None),
        ]
    );
    // The figures say the same: disappearances 7 = located 1 + deceased 0 + still missing 6,
    // so still missing is withheld as a figure as well.
    let sm = january_series(&facts, Figure::StillMissing, None, 5);
    assert_eq!(sm.total.count, None);
    let d = january_series(&facts, Figure::Disappearances, None, 5);
    assert_eq!(d.total.count, Some(7));
}

#[test]
fn quartiles_need_twice_the_threshold() {
    // Threshold 5. Located after 1, 2, ... n hours, all found safe, all in January.
    let hours = |n: i64| january((1..=n).map(located).collect());
    let t = |n| january_series(&hours(n), Figure::TimeToLocation, None, 5).total;
    // n = 5, the threshold: the count is published, but the quartiles (2, 3, 4 hours) would be
    // three of the five children's own times.
    assert_eq!(t(5).count, Some(5));
    assert_eq!(t(5).quartiles, None);
    assert_eq!(t(9).count, Some(9));
    assert_eq!(t(9).quartiles, None);
    // n = 10: ranks 2.25, 4.5 and 6.75 of 1..10: 3.25, 5.5 and 7.75 hours, rounded to 0.1.
    let q = t(10).quartiles.unwrap();
    assert_eq!((q.q1_hours, q.median_hours, q.q3_hours), (3.3, 5.5, 7.8));
}

#[test]
fn quantiles_interpolate_between_ranks() {
    assert_eq!(quantile(&[], 0.5), None);
    assert_eq!(quantile(&[7.0], 0.25), Some(7.0));
    assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
    assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.25), Some(1.75));
}

#[test]
fn a_period_publishes_only_what_follows_from_the_published_cells() {
    let feb_only = |figure, by| {
        let query = Query {
            figure,
            by,
            split: None,
            from: Some(feb()),
            to: Some(feb()),
        };
        compute(&dataset(), &query, feb(), THRESHOLD)
    };
    assert_eq!(feb_only(Figure::Disappearances, None).total.count, Some(4));
    // February's 3 boys are suppressed in the month table: the period cannot publish them.
    let sex = feb_only(Figure::Disappearances, Some(Dimension::Sex));
    assert!(row(&sex, "male").suppressed());
    assert!(row(&sex, "female").suppressed());
}

#[test]
fn invalid_queries_name_the_parameter() {
    let q = |by, split, from: Option<&str>, to: Option<&str>| Query {
        figure: Figure::Registrations,
        by,
        split,
        from: from.map(|m| m.parse().unwrap()),
        to: to.map(|m| m.parse().unwrap()),
    };
    let path = |q: Query| q.validate().unwrap_err().0[0].path.clone();
    assert_eq!(path(q(Some(Dimension::Outcome), None, None, None)), "by");
    assert_eq!(
        path(q(
            Some(Dimension::Sex),
            Some(Dimension::RiskLevel),
            None,
            None
        )),
        "split"
    );
    assert_eq!(
        path(q(
            Some(Dimension::Month),
            Some(Dimension::Month),
            None,
            None
        )),
        "split"
    );
    assert_eq!(
        path(q(None, None, Some("2026-03"), Some("2026-02"))),
        "from"
    );
    assert_eq!(path(q(None, None, Some("2000-01"), Some("2026-02"))), "to");
    assert!(
        q(Some(Dimension::Month), Some(Dimension::Sex), None, None)
            .validate()
            .is_ok()
    );
}

/// Every series that can be asked for.
fn every_query() -> Vec<Query> {
    let mut all = Vec::new();
    for figure in Figure::ALL {
        let mut shapes = vec![(None, None)];
        for &by in figure.dimensions() {
            shapes.push((Some(by), None));
        }
        for &split in figure
            .dimensions()
            .iter()
            .filter(|d| **d != Dimension::Month)
        {
            shapes.push((Some(Dimension::Month), Some(split)));
        }
        for (by, split) in shapes {
            all.push(Query {
                figure,
                by,
                split,
                from: None,
                to: None,
            });
        }
    }
    all
}

/// What a number counts, to compute its true value from the facts: a figure, the first
/// disappearances (those not repeats), which `disappearances - repeat_disappearances` publishes,
/// or those reported without an absence (`disappearances - absence_to_report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Counted {
    Figure(Figure),
    First,
    NoAbsence,
}

/// The episode value of a disappearance, as `docs/statistics.md` names it.
fn episode_of(d: &Disappearance) -> &'static str {
    match d.episode {
        1 => "1",
        2 => "2",
        n if n >= 3 => "3+",
        n => panic!("episode {n}"),
    }
}

/// The outcome of a disappearance, as `docs/statistics.md` names it.
fn outcome_of(d: &Disappearance) -> &'static str {
    match d.end {
        End::StillMissing => "still_missing",
        End::Deceased => "deceased",
        End::Located { outcome, .. } => match outcome {
            ResolutionOutcome::FoundSafe => "found_safe",
            ResolutionOutcome::FoundHarmed => "found_harmed",
            ResolutionOutcome::Returned => "returned",
            ResolutionOutcome::LocatedAbroad => "located_abroad",
            other => panic!("{other:?} is no location"),
        },
    }
}

/// One number of a series: as published (`None` when suppressed) and as it truly is, counted
/// straight from the facts (not through the universe).
#[derive(Debug, Clone, Copy)]
struct Num {
    shown: Option<u64>,
    truth: u64,
}

/// What is counted, over which months, in which slice.
type Question = (Counted, Month, Month, Option<(Dimension, String)>);

/// The true counts of `facts`, remembered (the same number is in many series).
struct Truth<'a> {
    facts: &'a Facts,
    known: RefCell<HashMap<Question, u64>>,
}

impl<'a> Truth<'a> {
    fn new(facts: &'a Facts) -> Self {
        Self {
            facts,
            known: RefCell::default(),
        }
    }

    /// The true count of `counted` over the months `from..=to` in `slice`.
    fn of(
        &self,
        counted: Counted,
        (from, to): (Month, Month),
        slice: Option<(Dimension, &str)>,
    ) -> u64 {
        let key = (counted, from, to, slice.map(|(d, v)| (d, v.to_owned())));
        if let Some(&n) = self.known.borrow().get(&key) {
            return n;
        }
        let n = count(self.facts, counted, (from, to), slice);
        self.known.borrow_mut().insert(key, n);
        n
    }
}

/// The true count of `counted` over the months `from..=to` in `slice`, straight from the facts.
fn count(
    facts: &Facts,
    counted: Counted,
    (from, to): (Month, Month),
    slice: Option<(Dimension, &str)>,
) -> u64 {
    let months = from..=to;
    let n = match counted {
        Counted::Figure(Figure::Registrations) => facts
            .registrations
            .iter()
            .filter(|r| months.contains(&Month::of(r.at)))
            .filter(|r| slice.is_none_or(|(dim, v)| r.values.get(dim) == Some(v)))
            .count(),
        _ => facts
            .disappearances
            .iter()
            .filter(|d| months.contains(&Month::of(d.raised_at)))
            .filter(|d| match slice {
                None => true,
                Some((Dimension::Outcome, v)) => outcome_of(d) == v,
                Some((Dimension::Episode, v)) => episode_of(d) == v,
                Some((dim, v)) => d.values.get(dim) == Some(v),
            })
            .filter(|d| match counted {
                Counted::First => d.episode == 1,
                Counted::NoAbsence => d.absent_for.is_none(),
                Counted::Figure(f) => match f {
                    Figure::Disappearances => true,
                    Figure::Located | Figure::TimeToLocation => {
                        matches!(d.end, End::Located { .. })
                    }
                    Figure::StillMissing => d.end == End::StillMissing,
                    Figure::Deceased => d.end == End::Deceased,
                    Figure::RepeatDisappearances => d.episode > 1,
                    Figure::AbsenceToReport => d.absent_for.is_some(),
                    Figure::Registrations => unreachable!(),
                },
            })
            .count(),
    };
    u64::try_from(n).unwrap()
}

/// Every number of a series with its true count as `counted` (by default its own figure): the
/// total, then each row, then each split cell row by row. Series of one shape line up.
fn numbers(truth: &Truth, s: &Series, counted: Option<Counted>) -> Vec<Num> {
    let counted = counted.unwrap_or(Counted::Figure(s.figure));
    let num = |cell: &Cell, months, slice| Num {
        shown: cell.count,
        truth: truth.of(counted, months, slice),
    };
    let period = (s.from, s.to);
    let mut all = vec![num(&s.total, period, None)];
    let month = |key: &str| -> Month { key.parse().unwrap() };
    for r in &s.rows {
        all.push(match s.by {
            Some(Dimension::Month) => num(&r.cell, (month(&r.key), month(&r.key)), None),
            Some(dim) => num(&r.cell, period, Some((dim, r.key.as_str()))),
            None => unreachable!(),
        });
    }
    for r in &s.rows {
        for (key, cell) in &r.split {
            let m = month(&r.key);
            all.push(num(cell, (m, m), Some((s.split.unwrap(), key.as_str()))));
        }
    }
    all
}

/// One published table, or two published figures, imply `total = sum of parts`: the guarantee
/// is that, whenever the total is published, the suppressed parts add up to 0 or to at least the
/// threshold, and (unless a part is never published by itself, `derived`) that no line has
/// exactly one suppressed number (a line without parts, no data at all, says nothing).
fn line(what: &dyn Fn() -> String, total: Num, parts: &[Num], threshold: u64, derived: bool) {
    let sum: u64 = parts.iter().map(|p| p.truth).sum();
    assert_eq!(total.truth, sum, "not a line: {}", what());
    let hidden: u64 = parts
        .iter()
        .filter(|p| p.shown.is_none())
        .map(|p| p.truth)
        .sum();
    if total.shown.is_some() {
        assert!(
            hidden == 0 || hidden >= threshold,
            "{}: the suppressed parts add up to {hidden}, below {threshold}",
            what()
        );
    }
    if !derived && !parts.is_empty() {
        let lone = std::iter::once(&total)
            .chain(parts)
            .filter(|n| n.shown.is_none())
            .count();
        assert_ne!(lone, 1, "{}: one suppressed number", what());
    }
}

/// Every series of `facts` for one period and threshold, by figure, `by` and `split`.
type Published = HashMap<(Figure, Option<Dimension>, Option<Dimension>), Series>;

/// The guarantee, as an analyst sees every series of one period together:
/// * every published count is the true count and at least the threshold; quartiles only beside a
///   published count of at least twice the threshold;
/// * every table: its total against its rows, a month against its split cells, a split column
///   against the row of the same value in the series by that dimension, the total against every
///   split cell;
/// * the figures that partition one another: disappearances = located + deceased + still missing
///   = repeats + first disappearances (published only by episode) = with an absence + without
///   (never published: the difference) at every number of every shape; located = the four
///   located outcomes; the outcomes `deceased` and `still_missing` are the figures of that name;
///   repeats = episodes `2` + `3+`, and first disappearances are episode `1`; time to location
///   counts the located.
fn check(truth: &Truth, all: &Published, threshold: u64) {
    let num =
        |shape: &(Figure, Option<Dimension>, Option<Dimension>)| numbers(truth, &all[shape], None);
    for (shape, s) in all {
        let what = |detail: &str| format!("{shape:?} {}..{}: {detail}", s.from, s.to);
        let nums = numbers(truth, s, None);
        for (n, c) in nums.iter().zip(
            std::iter::once(&s.total)
                .chain(s.rows.iter().map(|r| &r.cell))
                .chain(s.rows.iter().flat_map(|r| r.split.iter().map(|(_, c)| c))),
        ) {
            assert!(
                n.shown.is_none_or(|c| c == n.truth && c >= threshold),
                "{}",
                what(&format!("{n:?}"))
            );
            assert!(
                c.quartiles.is_none() || c.count.is_some_and(|n| n >= 2 * threshold),
                "{}",
                what("quartiles of a group under twice the threshold")
            );
        }
        let rows = &nums[1..=s.rows.len()];
        if s.by.is_some() {
            line(&|| what("total and rows"), nums[0], rows, threshold, false);
        }
        let Some(split) = s.split else { continue };
        let width = s.rows.first().map_or(0, |r| r.split.len());
        let cells = &nums[1 + s.rows.len()..];
        line(
            &|| what("total and cells"),
            nums[0],
            cells,
            threshold,
            false,
        );
        for (i, row) in rows.iter().enumerate() {
            let part = &cells[i * width..(i + 1) * width];
            line(&|| what(&format!("row {i}")), *row, part, threshold, false);
        }
        let by_split = (s.figure, Some(split), None);
        let columns = &num(&by_split)[1..];
        assert_eq!(columns.len(), width);
        for (j, column) in columns.iter().enumerate() {
            let part: Vec<Num> = (0..s.rows.len()).map(|i| cells[i * width + j]).collect();
            line(
                &|| what(&format!("column {j}")),
                *column,
                &part,
                threshold,
                false,
            );
        }
    }
    use Figure::*;
    for (figure, by, split) in all.keys().copied().filter(|k| k.0 == Disappearances) {
        let what = |detail: &str| format!("{by:?} {split:?}: {detail}");
        let d = num(&(figure, by, split));
        let own = [Dimension::Outcome, Dimension::Episode];
        if !by.is_some_and(|b| own.contains(&b)) && !split.is_some_and(|s| own.contains(&s)) {
            let [l, dec, sm, rep, t, a] = [
                Located,
                Deceased,
                StillMissing,
                RepeatDisappearances,
                TimeToLocation,
                AbsenceToReport,
            ]
            .map(|f| num(&(f, by, split)));
            let series = &all[&(figure, by, split)];
            let first = numbers(truth, series, Some(Counted::First));
            let no_absence = numbers(truth, series, Some(Counted::NoAbsence));
            for k in 0..d.len() {
                let w = || what(&format!("number {k}"));
                line(&w, d[k], &[l[k], dec[k], sm[k]], threshold, false);
                let hidden = |n: Num| Num { shown: None, ..n };
                line(&w, d[k], &[rep[k], hidden(first[k])], threshold, true);
                line(&w, d[k], &[a[k], hidden(no_absence[k])], threshold, true);
                assert_eq!(t[k].shown, l[k].shown, "{}", w());
            }
            continue;
        }
        if by == Some(Dimension::Episode) || split == Some(Dimension::Episode) {
            // In each line (the total, or a month): episode `1` is the first disappearances,
            // published; repeats are episodes `2` and `3+`.
            let (lines, repeats): (Vec<usize>, Vec<Num>) = if by == Some(Dimension::Episode) {
                (vec![1], vec![num(&(RepeatDisappearances, None, None))[0]])
            } else {
                let months = all[&(figure, by, split)].rows.len();
                let first = 1 + months;
                (
                    (0..months).map(|i| first + 3 * i).collect(),
                    num(&(RepeatDisappearances, Some(Dimension::Month), None))[1..].to_vec(),
                )
            };
            let totals: Vec<Num> = if by == Some(Dimension::Episode) {
                vec![d[0]]
            } else {
                d[1..=lines.len()].to_vec()
            };
            for (i, &at) in lines.iter().enumerate() {
                let episodes = &d[at..at + 3];
                let w = || what(&format!("line {i}"));
                line(&w, repeats[i], &episodes[1..], threshold, false);
                line(&w, totals[i], &[episodes[0], repeats[i]], threshold, false);
            }
            continue;
        }
        // By outcome, or by month split by outcome: in each line (the total, or a month), the
        // four located outcomes are the located, the last two the figures of their name.
        let (lines, located, deceased, still): (Vec<usize>, Vec<Num>, Vec<Num>, Vec<Num>) =
            if by == Some(Dimension::Outcome) {
                let f = |f| vec![num(&(f, None, None))[0]];
                (vec![1], f(Located), f(Deceased), f(StillMissing))
            } else {
                let months = all[&(figure, by, split)].rows.len();
                let f = |f| num(&(f, Some(Dimension::Month), None))[1..].to_vec();
                let first = 1 + months;
                (
                    (0..months).map(|i| first + 6 * i).collect(),
                    f(Located),
                    f(Deceased),
                    f(StillMissing),
                )
            };
        for (i, &at) in lines.iter().enumerate() {
            let outcomes = &d[at..at + 6];
            let w = || what(&format!("line {i}"));
            line(&w, located[i], &outcomes[..4], threshold, false);
            assert_eq!(outcomes[4].shown, deceased[i].shown, "{}", w());
            assert_eq!(outcomes[5].shown, still[i].shown, "{}", w());
        }
    }
}

/// A random dataset of `n` disappearances and registrations over six months.
fn random_facts(seed: u64, n: usize) -> Facts {
    random_facts_in(seed, n, 6, 5)
}

/// A random dataset of `n` disappearances and registrations over the first `months` months of
/// 2026, each dimension taking one of its first `variety` values (or fewer, if it has fewer).
/// Few months and few values make small groups beside large ones: the shapes where one line's
/// suppression leaves another line's suppressed cells small.
fn random_facts_in(seed: u64, n: usize, months: u64, variety: u64) -> Facts {
    let mut s = seed | 1;
    // A draw below `k`, or below `variety` too for a dimension's value.
    let mut draw = move |k: u64, narrow: bool| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        usize::try_from(s % if narrow { k.min(variety) } else { k }).unwrap()
    };
    let sexes = ["female", "male", "x", "unknown"];
    let bands = ["0-13", "14-15", "16-17", "18+", "unknown"];
    let nats = ["AF", "ER", "SY", "MA", "GN"];
    let risks = ["high", "medium", "low"];
    let v = |draw: &mut dyn FnMut(u64, bool) -> usize| Values {
        age_band: bands[draw(5, true)],
        sex: sexes[draw(4, true)],
        nationality: nats[draw(5, true)].into(),
        placement: ["reception_centre", "youth_care", "none"][draw(3, true)],
        risk_level: risks[draw(3, true)],
    };
    let mut facts = Facts::default();
    for _ in 0..n {
        let month = 1 + u32::try_from(draw(months, false)).unwrap();
        facts.registrations.push(Registration {
            at: at(month, 1),
            values: v(&mut draw),
        });
        let end = match draw(4, false) {
            0 => End::StillMissing,
            1 => End::Deceased,
            _ => End::Located {
                outcome: [
                    ResolutionOutcome::FoundSafe,
                    ResolutionOutcome::Returned,
                    ResolutionOutcome::LocatedAbroad,
                ][draw(3, false)],
                after: Duration::hours(i64::try_from(draw(200, false)).unwrap()),
            },
        };
        // Mostly first episodes, some second, a few later ones.
        let episode = match draw(10, false) {
            0..=6 => 1,
            7 | 8 => 2,
            _ => 3 + u32::try_from(draw(3, false)).unwrap(),
        };
        let absent_for = (draw(2, false) == 0)
            .then(|| Duration::minutes(i64::try_from(draw(3000, false)).unwrap()));
        facts.disappearances.push(Disappearance {
            raised_at: at(month, 2),
            values: v(&mut draw),
            end,
            episode,
            absent_for,
        });
    }
    facts
}

/// Every series of `facts` (months up to `now`) for each period and threshold, checked together
/// ([`check`]), with the universes' own guarantee.
fn check_every_series(facts: &Facts, now: Month, periods: &[(Option<Month>, Option<Month>)]) {
    let truth = Truth::new(facts);
    for threshold in [THRESHOLD, DEFAULT_THRESHOLD, 10] {
        let [registrations, disappearances] = [Figure::Registrations, Figure::Disappearances]
            .map(|figure| Universe::build(facts, figure, now, threshold));
        assert!(registrations.holds(threshold), "{facts:?}");
        assert!(disappearances.holds(threshold), "{facts:?}");
        for &(from, to) in periods {
            let all: Published = every_query()
                .into_iter()
                .map(|mut query| {
                    query.from = from;
                    query.to = to;
                    let universe = match query.figure {
                        Figure::Registrations => &registrations,
                        _ => &disappearances,
                    };
                    let key = (query.figure, query.by, query.split);
                    (key, series_in(universe, facts, &query, now, threshold))
                })
                .collect();
            check(&truth, &all, threshold);
        }
    }
}

#[test]
fn suppression_holds_in_every_series_of_random_datasets() {
    let june = Month::new(2026, 6).unwrap();
    let month = |m| Month::new(2026, m);
    let periods = [
        (None, None),
        (month(2), month(4)),
        (month(6), month(6)),
        (month(1), month(5)),
        (month(4), month(9)),
    ];
    for (seed, n) in [(1, 0), (2, 3), (3, 40), (4, 150), (5, 250)] {
        check_every_series(&random_facts(seed, n), june, &periods);
    }
}

#[test]
fn suppression_holds_in_every_series_of_narrow_random_datasets() {
    // Three months, every period of them; two values per dimension (outcomes keep theirs).
    let march = Month::new(2026, 3).unwrap();
    let month = |m| Month::new(2026, m);
    let mut periods = vec![(None, None)];
    for from in 1..=3 {
        for to in from..=3 {
            periods.push((month(from), month(to)));
        }
    }
    for seed in 1..=40 {
        let n = 5 + usize::try_from(seed * 7 % 40).unwrap();
        check_every_series(&random_facts_in(seed, n, 3, 2), march, &periods);
    }
}

#[test]
fn published_counts_are_the_true_counts() {
    // With a threshold of 1 nothing but zeros is suppressed: the figures are plain counts.
    let facts = random_facts(9, 120);
    let june = Month::new(2026, 6).unwrap();
    let query = |figure| Query {
        figure,
        by: None,
        split: None,
        from: None,
        to: None,
    };
    let total = |figure| {
        compute(&facts, &query(figure), june, 1)
            .total
            .count
            .unwrap_or(0)
    };
    let d = &facts.disappearances;
    let count = |f: &dyn Fn(&Disappearance) -> bool| {
        u64::try_from(d.iter().filter(|x| f(x)).count()).unwrap()
    };
    assert_eq!(total(Figure::Registrations), 120);
    assert_eq!(total(Figure::Disappearances), 120);
    assert_eq!(
        total(Figure::Located),
        count(&|x| matches!(x.end, End::Located { .. }))
    );
    assert_eq!(
        total(Figure::StillMissing),
        count(&|x| x.end == End::StillMissing)
    );
    assert_eq!(total(Figure::Deceased), count(&|x| x.end == End::Deceased));
    assert_eq!(
        total(Figure::RepeatDisappearances),
        count(&|x| x.episode > 1)
    );
    assert_eq!(
        total(Figure::AbsenceToReport),
        count(&|x| x.absent_for.is_some())
    );
}
