//! The figures on a small synthetic dataset, checked against values computed by hand, and the
//! suppression guarantee over every series of random datasets.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::dimension::{Dimension, Figure, Month};
use super::facts::{Disappearance, End, Facts, Registration, Values};
use super::series::{Cell, Query, Series, quantile};
use super::universe::Universe;
use super::{DEFAULT_THRESHOLD, compute};
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
        repeat: false,
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
    returned.repeat = true;
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
    let l = series(Figure::Located, Some(Dimension::Month), None);
    assert_eq!(l.total.count, Some(6));
    assert_eq!(
        counts(&l),
        [("2026-01".into(), Some(3)), ("2026-02".into(), Some(3))]
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
    // By outcome: found safe 5 is published, the rest (1 returned, 1 deceased, 3 still missing,
    // zeros) is not; the total stays.
    let out = series(Figure::Disappearances, Some(Dimension::Outcome), None);
    assert_eq!(out.total.count, Some(10));
    assert_eq!(row(&out, "found_safe").count, Some(5));
    for key in [
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
    // All: 1, 2, 4, 5, 10, 30 hours.
    let q = t.total.quartiles.unwrap();
    assert_eq!((q.q1_hours, q.median_hours, q.q3_hours), (2.5, 4.5, 8.8));
    assert_eq!(t.total.count, Some(6));
    let jan = t.rows[0].cell.quartiles.unwrap();
    assert_eq!(
        (jan.q1_hours, jan.median_hours, jan.q3_hours),
        (3.0, 4.0, 7.0)
    );
    let february = t.rows[1].cell.quartiles.unwrap();
    assert_eq!(
        (february.q1_hours, february.median_hours, february.q3_hours),
        (3.0, 5.0, 17.5)
    );
    // By sex: 3 girls and 3 boys located, but the per-month cells of each are small, so...
    let by_sex = series(Figure::TimeToLocation, Some(Dimension::Sex), None);
    for r in &by_sex.rows {
        assert_eq!(
            r.cell.quartiles.is_some(),
            r.cell.count.is_some(),
            "{}",
            r.key
        );
    }
    // ...and withheld whenever the group is below the threshold.
    let query = Query {
        figure: Figure::TimeToLocation,
        by: Some(Dimension::Month),
        split: None,
        from: None,
        to: None,
    };
    let strict = compute(&dataset(), &query, feb(), 4);
    assert!(
        strict
            .rows
            .iter()
            .all(|r| r.cell.quartiles.is_none() && r.cell.count.is_none())
    );
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

/// The guarantee, as an analyst sees one series: every published count is at least the
/// threshold, quartiles only beside a published count, and no published total beside exactly one
/// suppressed part (rows against the total, split cells against their month).
fn check(series: &Series, threshold: u64) {
    let cells = std::iter::once(&series.total)
        .chain(series.rows.iter().map(|r| &r.cell))
        .chain(
            series
                .rows
                .iter()
                .flat_map(|r| r.split.iter().map(|(_, c)| c)),
        );
    for c in cells {
        assert!(c.count.is_none_or(|n| n >= threshold), "{series:?}");
        assert!(c.quartiles.is_none() || c.count.is_some(), "{series:?}");
    }
    let lone = |total: &Cell, parts: Vec<&Cell>| {
        !parts.is_empty()
            && !total.suppressed()
            && parts.iter().filter(|c| c.suppressed()).count() == 1
    };
    // A period's rows are sums over its months; only the month table is a partition of the total
    // in every case (other dimensions' rows are checked through the universe).
    if series.by == Some(Dimension::Month) {
        assert!(
            !lone(&series.total, series.rows.iter().map(|r| &r.cell).collect()),
            "{series:?}"
        );
    }
    for r in &series.rows {
        assert!(
            !lone(&r.cell, r.split.iter().map(|(_, c)| c).collect()),
            "{series:?}"
        );
    }
}

/// A random dataset of `n` disappearances and registrations over six months.
fn random_facts(seed: u64, n: usize) -> Facts {
    let mut s = seed | 1;
    let mut next = move |k: u64| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        usize::try_from(s % k).unwrap()
    };
    let sexes = ["female", "male", "x", "unknown"];
    let bands = ["0-13", "14-15", "16-17", "18+", "unknown"];
    let nats = ["AF", "ER", "SY", "MA", "GN"];
    let risks = ["high", "medium", "low"];
    let mut pick = |k: u64| next(k);
    let v = |p: &mut dyn FnMut(u64) -> usize| Values {
        age_band: bands[p(5)],
        sex: sexes[p(4)],
        nationality: nats[p(5)].into(),
        placement: ["reception_centre", "youth_care", "none"][p(3)],
        risk_level: risks[p(3)],
    };
    let mut facts = Facts::default();
    for _ in 0..n {
        let month = 1 + u32::try_from(pick(6)).unwrap();
        facts.registrations.push(Registration {
            at: at(month, 1),
            values: v(&mut pick),
        });
        let end = match pick(4) {
            0 => End::StillMissing,
            1 => End::Deceased,
            _ => End::Located {
                outcome: [
                    ResolutionOutcome::FoundSafe,
                    ResolutionOutcome::Returned,
                    ResolutionOutcome::LocatedAbroad,
                ][pick(3)],
                after: Duration::hours(i64::try_from(pick(200)).unwrap()),
            },
        };
        let repeat = pick(5) == 0;
        facts.disappearances.push(Disappearance {
            raised_at: at(month, 2),
            values: v(&mut pick),
            end,
            repeat,
        });
    }
    facts
}

#[test]
fn suppression_holds_in_every_series_of_random_datasets() {
    let june = Month::new(2026, 6).unwrap();
    let periods = [
        (None, None),
        (Month::new(2026, 2), Month::new(2026, 4)),
        (Month::new(2026, 6), Month::new(2026, 6)),
    ];
    for (seed, n) in [(1, 0), (2, 3), (3, 40), (4, 150), (5, 250)] {
        let facts = random_facts(seed, n);
        for threshold in [THRESHOLD, DEFAULT_THRESHOLD, 10] {
            for figure in [Figure::Registrations, Figure::Disappearances] {
                let universe = Universe::build(&facts, figure, june, threshold);
                assert!(universe.holds(threshold), "seed {seed}, {figure}");
            }
            for mut query in every_query() {
                for (from, to) in periods {
                    query.from = from;
                    query.to = to;
                    let s = compute(&facts, &query, june, threshold);
                    check(&s, threshold);
                }
            }
        }
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
    assert_eq!(total(Figure::RepeatDisappearances), count(&|x| x.repeat));
}
