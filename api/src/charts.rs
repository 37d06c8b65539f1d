//! SVG charts of statistics series, drawn with plotters (SVG backend only): bars for counts
//! (grouped per month with a split), boxes for time to location. A suppressed cell is drawn as a
//! grey stub marked `s`, a withheld quartile set as `withheld`, never as zero.

use domain::statistics::{Cell, Figure, Series};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 540;
const SUPPRESSED: RGBColor = RGBColor(190, 190, 190);

/// One bar or box: its label, the group it belongs to (x position) and the cell.
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

/// The title of a series, e.g. "disappearances by month and age_band, 2026-01 to 2026-06".
pub fn title(s: &Series) -> String {
    let mut t = s.figure.to_string();
    if let Some(by) = s.by {
        t.push_str(&format!(" by {by}"));
    }
    if let Some(split) = s.split {
        t.push_str(&format!(" and {split}"));
    }
    format!("{t}, {} to {}", s.from, s.to)
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
    let time = s.figure == Figure::TimeToLocation;
    let (groups, slots, labels, legend): (usize, usize, Vec<String>, Vec<String>) =
        if s.rows.is_empty() {
            (1, 1, vec!["total".to_owned()], vec![])
        } else if s.split.is_some() {
            let legend: Vec<String> = s
                .rows
                .first()
                .map(|r| r.split.iter().map(|(k, _)| k.clone()).collect())
                .unwrap_or_default();
            (
                s.rows.len(),
                legend.len().max(1),
                s.rows.iter().map(|r| r.key.clone()).collect(),
                legend,
            )
        } else {
            (
                s.rows.len(),
                1,
                s.rows.iter().map(|r| r.key.clone()).collect(),
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
    #[allow(clippy::cast_precision_loss)]
    let top = marks
        .iter()
        .filter_map(|m| {
            if time {
                m.cell.quartiles.map(|q| q.q3_hours)
            } else {
                m.cell.count.map(|c| c as f64)
            }
        })
        .fold(1.0_f64, f64::max)
        * 1.15;
    let y_desc = if time {
        "hours from report to location"
    } else {
        "count"
    };
    #[allow(clippy::cast_precision_loss)]
    let width = groups as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(title(s), ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(if groups > 12 { 70 } else { 40 })
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..width, 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_desc)
        .draw()?;
    #[allow(clippy::cast_precision_loss)]
    let slot_width = 0.8 / slots as f64;
    let stub = top * 0.04;
    for m in &marks {
        #[allow(clippy::cast_precision_loss)]
        let x0 = m.group as f64 + 0.1 + m.slot as f64 * slot_width;
        let x1 = x0 + slot_width * 0.9;
        let colour = palette(m.slot);
        let shown = if time {
            m.cell.quartiles.is_some()
        } else {
            m.cell.count.is_some()
        };
        if !shown {
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
    // Group labels under the axis, at the middle of each group.
    let rotate = groups > 12;
    for (g, label) in labels.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let (px, py) = chart.backend_coord(&(g as f64 + 0.5, 0.0));
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
    // Legend of the split, and the key to the suppressed mark.
    let mut y = 40;
    for (i, key) in legend.iter().enumerate() {
        let x = i32::try_from(WIDTH).unwrap_or(960) - 170;
        root.draw(&Rectangle::new(
            [(x, y), (x + 12, y + 12)],
            palette(i).filled(),
        ))?;
        root.draw(&Text::new(
            key.clone(),
            (x + 18, y),
            ("sans-serif", 13).into_font(),
        ))?;
        y += 18;
    }
    let note = if time {
        format!(
            "withheld: fewer than {} located, or suppressed",
            s.threshold
        )
    } else {
        format!(
            "s = suppressed (fewer than {}, or would reveal such a count)",
            s.threshold
        )
    };
    root.draw(&Text::new(
        note,
        (70, i32::try_from(HEIGHT).unwrap_or(540) - 16),
        ("sans-serif", 12).into_font(),
    ))?;
    Ok(())
}
