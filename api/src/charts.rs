//! SVG charts of statistics series, drawn with plotters (SVG backend only): bars for counts
//! (grouped per month with a split), boxes for the time figures. Written for people: every
//! title, axis, label and legend entry in words ("age band", "found safe", never a wire name
//! such as `age_band`), whole-number ticks on count axes, the legend beside the plotting area
//! (never over a bar), and, when a chart draws one, the key to the mark of a suppressed cell
//! (a grey stub marked `s`) or of withheld quartiles (`withheld`) under it. A suppressed cell is
//! never drawn as zero.

use domain::statistics::{Cell, Dimension, Figure, Series};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 540;
const SUPPRESSED: RGBColor = RGBColor(190, 190, 190);
/// Height of the strip under the chart that holds the key to the suppressed mark.
const FOOTER: u32 = 28;
/// Width of one column of the legend, and the line height of its entries.
const LEGEND_COLUMN: u32 = 150;
const LEGEND_LINE: i32 = 18;
/// At most this many intervals between ticks on a count axis.
const MAX_TICKS: u64 = 8;

/// One bar or box: the group it belongs to (x position), its slot in the group and the cell.
struct Mark<'a> {
    group: usize,
    slot: usize,
    cell: &'a Cell,
}

fn palette(i: usize) -> RGBColor {
    const COLOURS: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(23, 190, 207),
    ];
    COLOURS[i % COLOURS.len()]
}

/// A figure as a person names it ("still missing", "time from absence to report").
pub fn figure_label(figure: Figure) -> &'static str {
    match figure {
        Figure::Registrations => "registrations",
        Figure::Disappearances => "disappearances",
        Figure::Located => "located",
        Figure::StillMissing => "still missing",
        Figure::Deceased => "deceased",
        Figure::RepeatDisappearances => "repeat disappearances",
        Figure::TimeToLocation => "time from report to location",
        Figure::AbsenceToReport => "time from absence to report",
    }
}

/// A dimension as a person names it ("age band", "risk level").
pub fn dimension_label(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Month => "month",
        Dimension::AgeBand => "age band",
        Dimension::Sex => "sex",
        Dimension::Nationality => "nationality",
        Dimension::Placement => "placement",
        Dimension::RiskLevel => "risk level",
        Dimension::Outcome => "outcome",
        Dimension::Episode => "episode",
    }
}

/// The description of an axis along `dimension`: its label, spelt out where a bare word would
/// not say enough.
fn axis_label(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Episode => "episode: the child's 1st, 2nd, 3rd or later disappearance",
        other => dimension_label(other),
    }
}

/// A value of `dimension` as a person reads it: words for wire names ("found safe",
/// "reception centre"), ordinals for episodes; months, bands and country codes as they are.
pub fn value_label(dimension: Option<Dimension>, value: &str) -> String {
    match (dimension, value) {
        (Some(Dimension::Episode), "1") => "1st".to_owned(),
        (Some(Dimension::Episode), "2") => "2nd".to_owned(),
        (Some(Dimension::Episode), "3+") => "3rd or later".to_owned(),
        _ => value.replace('_', " "),
    }
}

/// The title of a series, e.g. "disappearances by month and age band, 2026-01 to 2026-06".
pub fn title(s: &Series) -> String {
    let mut t = figure_label(s.figure).to_owned();
    if let Some(by) = s.by {
        t.push_str(&format!(" by {}", dimension_label(by)));
    }
    if let Some(split) = s.split {
        t.push_str(&format!(" and {}", dimension_label(split)));
    }
    format!("{t}, {} to {}", s.from, s.to)
}

/// The top of an axis above `max` (a count, or whole hours) and its ticks: every multiple of a
/// step of 1, 2 or 5 times a power of ten up to the top, at most [`MAX_TICKS`] intervals, so
/// that every tick is a whole number (no 2.5 children).
fn count_axis(max: u64) -> (u64, Vec<u64>) {
    let mut power = 1_u64;
    let step = loop {
        if let Some(step) = [1, 2, 5]
            .into_iter()
            .map(|m| m * power)
            .find(|step| max / step < MAX_TICKS)
        {
            break step;
        }
        power = power.saturating_mul(10);
    };
    let top = (max / step + 1) * step;
    (top, (0..=top / step).map(|i| i * step).collect())
}

/// A y axis of real values (bars, stubs and quartiles need them) whose ticks are given: the
/// whole numbers of [`count_axis`]. (plotters' own choice of ticks for a real axis can fall on
/// halves.)
struct WholeTicks {
    axis: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for WholeTicks {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.axis.map(value, limit)
    }

    /// The ticks for the labels and the mesh; no lighter lines between them.
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            vec![]
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.axis.range()
    }
}

/// The series as an SVG document.
pub fn svg(s: &Series) -> anyhow::Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root, s).map_err(|e| anyhow::anyhow!("drawing the chart: {e}"))?;
        root.present()
            .map_err(|e| anyhow::anyhow!("drawing the chart: {e}"))?;
    }
    Ok(out)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn draw(root: &Area<'_>, s: &Series) -> Result<(), Box<dyn std::error::Error>> {
    let time = s.figure.timed();
    let (groups, slots, labels, legend): (usize, usize, Vec<String>, Vec<String>) =
        if s.rows.is_empty() {
            (1, 1, vec!["total".to_owned()], vec![])
        } else if s.split.is_some() {
            let legend: Vec<String> = s
                .rows
                .first()
                .map(|r| {
                    r.split
                        .iter()
                        .map(|(k, _)| value_label(s.split, k))
                        .collect()
                })
                .unwrap_or_default();
            (
                s.rows.len(),
                legend.len().max(1),
                s.rows.iter().map(|r| value_label(s.by, &r.key)).collect(),
                legend,
            )
        } else {
            (
                s.rows.len(),
                1,
                s.rows.iter().map(|r| value_label(s.by, &r.key)).collect(),
                vec![],
            )
        };
    let marks: Vec<Mark<'_>> = if s.rows.is_empty() {
        vec![Mark {
            group: 0,
            slot: 0,
            cell: &s.total,
        }]
    } else if s.split.is_some() {
        s.rows
            .iter()
            .enumerate()
            .flat_map(|(g, r)| {
                r.split.iter().enumerate().map(move |(i, (_, cell))| Mark {
                    group: g,
                    slot: i,
                    cell,
                })
            })
            .collect()
    } else {
        s.rows
            .iter()
            .enumerate()
            .map(|(g, r)| Mark {
                group: g,
                slot: 0,
                cell: &r.cell,
            })
            .collect()
    };
    let shown = |m: &Mark<'_>| {
        if time {
            m.cell.quartiles.is_some()
        } else {
            m.cell.count.is_some()
        }
    };
    let withheld = marks.iter().any(|m| !shown(m));

    // The page: the key to the suppressed mark at the bottom (when one is drawn), the legend to
    // the right of the chart (with a split), the chart in the rest.
    let (body, footer) = if withheld {
        let (body, footer) = root.split_vertically(HEIGHT - FOOTER);
        (body, Some(footer))
    } else {
        (root.clone(), None)
    };
    let rows_per_column = usize::try_from((HEIGHT - FOOTER - 80) / 18)
        .unwrap_or(20)
        .max(1);
    let columns = legend.len().div_ceil(rows_per_column);
    let legend_width = u32::try_from(columns).unwrap_or(1) * LEGEND_COLUMN + 16;
    let (plot_side, legend_side) = if legend.is_empty() {
        (body, None)
    } else {
        let (plot_side, legend_side) = body.split_horizontally(WIDTH - legend_width);
        (plot_side, Some(legend_side))
    };

    let rotate = groups > 12;
    #[allow(clippy::cast_precision_loss)]
    let width = groups as f64;
    let mut builder = ChartBuilder::on(&plot_side);
    builder
        .caption(title(s), ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(if rotate { 96 } else { 52 })
        .y_label_area_size(64);
    let x_desc = s.by.map_or("", axis_label);
    // The y axis: whole-number ticks up to a whole number of steps above the largest count, or
    // above the largest third quartile (in whole hours).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let max = if time {
        marks
            .iter()
            .filter_map(|m| m.cell.quartiles.map(|q| q.q3_hours.max(0.0).ceil() as u64))
            .max()
    } else {
        marks.iter().filter_map(|m| m.cell.count).max()
    };
    let (top, ticks) = count_axis(max.unwrap_or(0));
    #[allow(clippy::cast_precision_loss)]
    let (top, ticks): (f64, Vec<f64>) = (top as f64, ticks.into_iter().map(|t| t as f64).collect());
    let y_desc = if time {
        format!("{} (hours)", figure_label(s.figure))
    } else {
        format!("{} (count)", figure_label(s.figure))
    };
    let y = WholeTicks {
        axis: (0.0..top).into(),
        ticks,
    };
    let mut chart = builder.build_cartesian_2d(0.0..width, y)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .y_label_formatter(&|v: &f64| format!("{v:.0}"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;
    #[allow(clippy::cast_precision_loss)]
    let slot_width = 0.8 / slots as f64;
    let stub = top * 0.04;
    for m in &marks {
        #[allow(clippy::cast_precision_loss)]
        let x0 = m.group as f64 + 0.1 + m.slot as f64 * slot_width;
        let x1 = x0 + slot_width * 0.9;
        let colour = palette(m.slot);
        if !shown(m) {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, 0.0), (x1, stub)],
                SUPPRESSED.filled(),
            )))?;
            let label = if time { "withheld" } else { "s" };
            let style = ("sans-serif", 12)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            chart.draw_series(std::iter::once(Text::new(
                label,
                ((x0 + x1) / 2.0, stub * 1.3),
                style,
            )))?;
            continue;
        }
        match (time, m.cell.quartiles, m.cell.count) {
            (true, Some(q), _) => {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, q.q1_hours), (x1, q.q3_hours)],
                    colour.mix(0.5).filled(),
                )))?;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, q.q1_hours), (x1, q.q3_hours)],
                    colour.stroke_width(2),
                )))?;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x0, q.median_hours), (x1, q.median_hours)],
                    BLACK.stroke_width(3),
                )))?;
            }
            #[allow(clippy::cast_precision_loss)]
            (false, _, Some(count)) => {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, 0.0), (x1, count as f64)],
                    colour.filled(),
                )))?;
            }
            _ => {}
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let positions: Vec<(i32, i32)> = (0..groups)
        .map(|g| chart.backend_coord(&(g as f64 + 0.5, 0.0)))
        .collect();

    // Group labels under the axis, at the middle of each group.
    for (label, (px, py)) in labels.iter().zip(positions) {
        let font = ("sans-serif", 13).into_font();
        let style = if rotate {
            font.transform(FontTransform::Rotate270)
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            font.color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top))
        };
        root.draw(&Text::new(label.clone(), (px, py + 8), style))?;
    }
    // The legend of the split, beside the chart: its dimension, then one entry per value,
    // column after column.
    if let (Some(area), Some(split)) = (legend_side, s.split) {
        area.draw(&Text::new(
            dimension_label(split),
            (8, 48),
            ("sans-serif", 14).into_font(),
        ))?;
        for (i, key) in legend.iter().enumerate() {
            let column = i32::try_from(i / rows_per_column).unwrap_or(0);
            let row = i32::try_from(i % rows_per_column).unwrap_or(0);
            let x = 8 + column * i32::try_from(LEGEND_COLUMN).unwrap_or(150);
            let y = 72 + row * LEGEND_LINE;
            area.draw(&Rectangle::new(
                [(x, y), (x + 12, y + 12)],
                palette(i).filled(),
            ))?;
            area.draw(&Text::new(
                key.clone(),
                (x + 18, y),
                ("sans-serif", 13).into_font(),
            ))?;
        }
    }
    // The key to the mark of a suppressed cell, under the chart.
    if let Some(area) = footer {
        let note = if time {
            format!(
                "withheld = quartiles not shown: fewer than {} cases (twice the threshold of {}), \
                 or the count is suppressed",
                2 * s.threshold,
                s.threshold
            )
        } else {
            format!(
                "s = suppressed: fewer than {} cases, or a count that would reveal such a number",
                s.threshold
            )
        };
        area.draw(&Text::new(note, (16, 6), ("sans-serif", 13).into_font()))?;
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    //! The charts as a person reads them, checked on the SVG's own elements: text nodes (with
    //! their position), rectangles and lines. Series are built by hand, threshold 3.

    use super::*;
    use domain::statistics::{Dimension, Month, Quartiles, Row};
    use quick_xml::Reader;
    use quick_xml::events::Event;

    const T: u64 = 3;

    #[derive(Debug, Clone)]
    struct Label {
        x: f64,
        y: f64,
        text: String,
    }

    /// What a chart is made of: its text nodes, and its lines and the segments of its polylines
    /// as (x1, y1, x2, y2).
    #[derive(Debug, Default)]
    struct Drawn {
        labels: Vec<Label>,
        lines: Vec<(f64, f64, f64, f64)>,
    }

    fn parse(svg: &str) -> Drawn {
        let mut reader = Reader::from_str(svg);
        let mut drawn = Drawn::default();
        let mut open: Option<(f64, f64)> = None;
        let num = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> f64 {
            e.attributes()
                .flatten()
                .find(|a| a.key.as_ref() == name)
                .map(|a| a.value.trim().parse().unwrap())
                .unwrap_or(f64::NAN)
        };
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) if e.name().as_ref() == "text" => {
                    open = Some((num(&e, "x"), num(&e, "y")));
                }
                Event::Text(t) => {
                    if let Some((x, y)) = open {
                        let text = t.xml10_content().trim().to_owned();
                        if !text.is_empty() {
                            drawn.labels.push(Label { x, y, text });
                        }
                    }
                }
                Event::End(e) if e.name().as_ref() == "text" => open = None,
                Event::Empty(e) | Event::Start(e) if e.name().as_ref() == "line" => {
                    drawn
                        .lines
                        .push((num(&e, "x1"), num(&e, "y1"), num(&e, "x2"), num(&e, "y2")));
                }
                Event::Empty(e) | Event::Start(e) if e.name().as_ref() == "polyline" => {
                    let points: Vec<(f64, f64)> = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == "points")
                        .map(|a| {
                            a.value
                                .split_whitespace()
                                .map(|p| {
                                    let (x, y) = p.split_once(',').unwrap();
                                    (x.parse().unwrap(), y.parse().unwrap())
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    for w in points.windows(2) {
                        drawn.lines.push((w[0].0, w[0].1, w[1].0, w[1].1));
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        drawn
    }

    /// The plotting area: left and right from the longest horizontal line (grid lines and the
    /// x axis span it), top and bottom from the longest vertical one (the y axis).
    fn plot_area(d: &Drawn) -> (f64, f64, f64, f64) {
        let horizontal = d
            .lines
            .iter()
            .filter(|l| l.1 == l.3)
            .max_by(|a, b| (a.2 - a.0).abs().total_cmp(&(b.2 - b.0).abs()))
            .expect("a horizontal line");
        let vertical = d
            .lines
            .iter()
            .filter(|l| l.0 == l.2)
            .max_by(|a, b| (a.3 - a.1).abs().total_cmp(&(b.3 - b.1).abs()))
            .expect("a vertical line");
        (
            horizontal.0.min(horizontal.2),
            horizontal.0.max(horizontal.2),
            vertical.1.min(vertical.3),
            vertical.1.max(vertical.3),
        )
    }

    fn month(m: u32) -> Month {
        Month::new(2026, m).unwrap()
    }

    fn count(n: u64) -> Cell {
        Cell {
            count: (n >= T).then_some(n),
            quartiles: None,
        }
    }

    fn series(figure: Figure, by: Option<Dimension>, split: Option<Dimension>) -> Series {
        Series {
            figure,
            by,
            split,
            from: month(1),
            to: month(6),
            threshold: T,
            total: count(17),
            rows: vec![],
        }
    }

    /// Disappearances per month (January to June) by age band: in each month 3 or 4 children of
    /// 16-17, 0 to 2 of other bands (suppressed).
    fn by_month_and_age_band() -> Series {
        let mut s = series(
            Figure::Disappearances,
            Some(Dimension::Month),
            Some(Dimension::AgeBand),
        );
        s.rows = (1..=6)
            .map(|m| Row {
                key: month(m).to_string(),
                cell: count(3 + u64::from(m % 2) + 2),
                split: ["0-13", "14-15", "16-17", "18+", "unknown"]
                    .iter()
                    .map(|band| {
                        let n = if *band == "16-17" {
                            3 + u64::from(m % 2)
                        } else {
                            1
                        };
                        ((*band).to_owned(), count(n))
                    })
                    .collect(),
            })
            .collect();
        s
    }

    /// Registrations per month by placement: 4 in reception centres and 3 in youth care each
    /// month, none otherwise.
    fn by_month_and_placement() -> Series {
        let mut s = series(
            Figure::Registrations,
            Some(Dimension::Month),
            Some(Dimension::Placement),
        );
        s.rows = (1..=3)
            .map(|m| Row {
                key: month(m).to_string(),
                cell: count(7),
                split: [
                    ("reception_centre", 4),
                    ("youth_care", 3),
                    ("other", 0),
                    ("none", 0),
                ]
                .iter()
                .map(|(k, n)| ((*k).to_owned(), count(*n)))
                .collect(),
            })
            .collect();
        s
    }

    /// Disappearances by outcome: 4 found safe, 3 still missing, the others suppressed.
    fn by_outcome() -> Series {
        let mut s = series(Figure::Disappearances, Some(Dimension::Outcome), None);
        s.rows = [
            ("found_safe", 4),
            ("found_harmed", 0),
            ("returned", 1),
            ("located_abroad", 0),
            ("deceased", 0),
            ("still_missing", 3),
        ]
        .iter()
        .map(|(k, n)| Row {
            key: (*k).to_owned(),
            cell: count(*n),
            split: vec![],
        })
        .collect();
        s
    }

    /// Time to location by month: January's quartiles published (6 located), February's
    /// withheld (4 located: fewer than twice the threshold).
    fn time_by_month() -> Series {
        let mut s = series(Figure::TimeToLocation, Some(Dimension::Month), None);
        s.to = month(2);
        s.rows = vec![
            Row {
                key: "2026-01".into(),
                cell: Cell {
                    count: Some(6),
                    quartiles: Some(Quartiles {
                        q1_hours: 2.5,
                        median_hours: 4.5,
                        q3_hours: 8.8,
                    }),
                },
                split: vec![],
            },
            Row {
                key: "2026-02".into(),
                cell: Cell {
                    count: Some(4),
                    quartiles: None,
                },
                split: vec![],
            },
        ];
        s
    }

    /// The total alone, 17, nothing suppressed.
    fn total_only() -> Series {
        series(Figure::Disappearances, None, None)
    }

    fn drawn(s: &Series) -> Drawn {
        parse(&svg(s).unwrap())
    }

    #[test]
    fn count_axes_have_whole_number_ticks() {
        for s in [
            by_month_and_age_band(),
            by_month_and_placement(),
            by_outcome(),
            total_only(),
        ] {
            let d = drawn(&s);
            let (left, ..) = plot_area(&d);
            // Tick labels: the numbers left of the plotting area.
            let ticks: Vec<&str> = d
                .labels
                .iter()
                .filter(|l| l.x < left && l.text.parse::<f64>().is_ok())
                .map(|l| l.text.as_str())
                .collect();
            assert!(ticks.len() >= 2, "{}: ticks {ticks:?}", title(&s));
            for t in &ticks {
                assert!(
                    t.parse::<u64>().is_ok(),
                    "{}: tick {t} is not a whole number",
                    title(&s)
                );
            }
        }
    }

    #[test]
    fn every_label_is_written_for_people() {
        for s in [
            by_month_and_age_band(),
            by_month_and_placement(),
            by_outcome(),
            time_by_month(),
            total_only(),
        ] {
            let d = drawn(&s);
            for l in &d.labels {
                assert!(!l.text.contains('_'), "{}: label {:?}", title(&s), l.text);
            }
        }
        // What each chart says, by hand.
        let texts =
            |s: &Series| -> Vec<String> { drawn(s).labels.into_iter().map(|l| l.text).collect() };
        let split = texts(&by_month_and_age_band());
        assert!(
            split
                .iter()
                .any(|t| t.starts_with("disappearances by month and age band")),
            "{split:?}"
        );
        let placement = texts(&by_month_and_placement());
        for want in ["reception centre", "youth care"] {
            assert!(placement.iter().any(|t| t == want), "{want}: {placement:?}");
        }
        let outcome = texts(&by_outcome());
        for want in ["found safe", "still missing", "located abroad"] {
            assert!(outcome.iter().any(|t| t == want), "{want}: {outcome:?}");
        }
        let time = texts(&time_by_month());
        assert!(
            time.iter()
                .any(|t| t == "time from report to location (hours)"),
            "{time:?}"
        );
    }

    #[test]
    fn the_legend_is_outside_the_plotting_area() {
        for (s, legend) in [
            (
                by_month_and_age_band(),
                vec!["0-13", "14-15", "16-17", "18+", "unknown"],
            ),
            (
                by_month_and_placement(),
                vec!["reception centre", "youth care", "other", "none"],
            ),
        ] {
            let d = drawn(&s);
            let (left, right, top, bottom) = plot_area(&d);
            for key in legend {
                let l = d
                    .labels
                    .iter()
                    .find(|l| l.text == key)
                    .unwrap_or_else(|| panic!("{}: no legend entry {key}", title(&s)));
                // The entry's box: its swatch (18 px left of the text) to the end of the text
                // (at most 7 px a character), one line high.
                #[allow(clippy::cast_precision_loss)]
                let end = l.x + 7.0 * key.len() as f64;
                let (x0, y0, y1) = (l.x - 18.0, l.y, l.y + 13.0);
                let overlaps = x0 <= right && end >= left && y0 <= bottom && y1 >= top;
                assert!(
                    !overlaps,
                    "{}: legend entry {key} ({x0}..{end}, {y0}..{y1}) overlaps the plot ({left}..{right}, {top}..{bottom})",
                    title(&s),
                );
                assert!(
                    end <= f64::from(WIDTH),
                    "{}: {key} runs off the chart",
                    title(&s)
                );
            }
        }
    }

    #[test]
    fn a_suppressed_mark_is_explained_in_the_chart() {
        // Count charts: `s` marks a suppressed cell; the key gives the threshold in cases.
        for s in [by_month_and_age_band(), by_outcome()] {
            let d = drawn(&s);
            assert!(d.labels.iter().any(|l| l.text == "s"), "{}", title(&s));
            let note = d
                .labels
                .iter()
                .find(|l| l.text.starts_with("s = "))
                .unwrap_or_else(|| panic!("{}: no key to the mark", title(&s)));
            assert!(note.text.contains("fewer than 3 cases"), "{}", note.text);
            assert!(note.text.contains("suppressed"), "{}", note.text);
            let (_, _, _, bottom) = plot_area(&d);
            assert!(
                note.y > bottom,
                "{}: the key is drawn over the plot",
                title(&s)
            );
        }
        // Time: quartiles are withheld under twice the threshold, 6.
        let d = drawn(&time_by_month());
        assert!(d.labels.iter().any(|l| l.text == "withheld"));
        let note = d
            .labels
            .iter()
            .find(|l| l.text.starts_with("withheld ="))
            .expect("a key to `withheld`");
        assert!(note.text.contains("fewer than 6 cases"), "{}", note.text);
        // Nothing suppressed, nothing to explain.
        let d = drawn(&total_only());
        assert!(
            d.labels
                .iter()
                .all(|l| l.text != "s" && !l.text.contains("suppressed")),
            "{:?}",
            d.labels
        );
    }
}
