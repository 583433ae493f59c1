//! Sweep charts: a metric against a varied key, one line per combination
//! of the other keys, with the 95 % confidence band of each point.

use std::io;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::draw::{self, DrawResult, color, tick, y_unit};

/// Width of the legend beside the plot: wider than the run charts', for
/// labels made of several values.
const LEGEND_WIDTH: u32 = 380;
/// Longest legend text, in characters, before it is shortened in the middle.
const LEGEND_CHARS: usize = 44;
/// Most points of a line drawn with a mark and whiskers each (the plot is
/// about 720 pixels wide).
const MOST_MARKED_POINTS: usize = 60;
/// Most category names on the x axis: about 8 characters each fit the
/// plot's width 11 times. Beyond, every few categories are named.
const MOST_CATEGORY_LABELS: usize = 12;

/// What a sweep chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepChart {
    /// Caption.
    pub title: String,
    /// X axis description (the varied key).
    pub x_desc: String,
    /// Y axis description (the metric).
    pub y_desc: String,
    /// What the lines' labels are (e.g. the other varied keys, separated
    /// by ", ": one line each).
    pub legend_title: String,
    /// The lines.
    pub series: Vec<SweepSeries>,
    /// For a key whose values are not numbers: its values in order, one
    /// category each on the x axis (points are at x = 0, 1, ...); empty for
    /// a numeric axis.
    pub categories: Vec<String>,
    /// Goals on the charted metric: a dashed line each at its bound, with
    /// its text (`finance.start_p95_s <= 30m`).
    pub thresholds: Vec<(String, f64)>,
}

/// Longest x-axis description before it is shortened (the full keys are
/// in the legend's title).
const X_DESC_CHARS: usize = 80;

/// A line of a sweep chart.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSeries {
    /// Legend text.
    pub label: String,
    /// (value of the varied key, or its category's index; mean; half-width
    /// of the interval).
    pub points: Vec<(f64, f64, f64)>,
}

fn draw_legend<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    chart: &SweepChart,
) -> DrawResult<DB> {
    // The title's parts (one per key) on lines of their own; a shortened
    // x-axis description is written out whole first.
    let mut title: Vec<&str> = Vec::new();
    if chart.x_desc.chars().count() > X_DESC_CHARS {
        title.push("x axis:");
        title.extend(chart.x_desc.split(" (with ").take(3));
    }
    title.extend(chart.legend_title.split(", ").take(4));
    let entries: Vec<(String, RGBColor)> = chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.label.clone(), color(i)))
        .collect();
    draw::titled_legend(side, &title, &entries, LEGEND_CHARS)
}

fn draw_sweep<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &SweepChart) -> DrawResult<DB> {
    let top = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|(_, m, h)| m + h))
        .chain(c.thresholds.iter().map(|(_, b)| *b))
        .fold(0.0, f64::max);
    let (scale, y_desc) = y_unit(&c.y_desc, top);
    let scaled: Vec<SweepSeries> = c
        .series
        .iter()
        .map(|s| SweepSeries {
            label: s.label.clone(),
            points: s
                .points
                .iter()
                .map(|(x, m, h)| (*x, m / scale, h / scale))
                .collect(),
        })
        .collect();
    let thresholds: Vec<(String, f64)> = c
        .thresholds
        .iter()
        .map(|(t, b)| (t.clone(), b / scale))
        .collect();
    let (title, x_desc, y_desc, series) = (&c.title, &c.x_desc, &y_desc, &scaled);
    root.fill(&WHITE)?;
    let (plot, side) = root.split_horizontally(draw::SIZE.0 - LEGEND_WIDTH);
    let points = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y1) = (f64::MAX, f64::MIN, 0.0f64);
    let mut integers = true;
    for (x, m, h) in points {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y1 = y1.max(m + h);
        integers &= x.fract() == 0.0;
    }
    for (_, bound) in &thresholds {
        y1 = y1.max(*bound);
    }
    let categorical = !c.categories.is_empty();
    let (x0, x1) = if categorical {
        // Half a category of room on each side.
        (-0.45, c.categories.len() as f64 - 0.55)
    } else {
        if x0 >= x1 {
            (x0, x1) = (x0 - 1.0, x0 + 1.0);
        }
        let pad = (x1 - x0) * 0.05;
        (x0 - pad, x1 + pad)
    };
    let mut chart = ChartBuilder::on(&plot)
        .caption(title.as_str(), ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, 0.0..(y1.max(1e-9) * 1.1))?;
    // About 8 pixels a character over a plot ~720 pixels wide.
    let labels = c.categories.len().clamp(1, MOST_CATEGORY_LABELS);
    let label_chars = (90 / labels).clamp(8, 40);
    let category = |x: &f64| {
        let i = x.round();
        let name = (i >= 0.0 && (x - i).abs() < 1e-6)
            .then(|| c.categories.get(i as usize))
            .flatten();
        name.map_or_else(String::new, |n| draw::shorten(n, label_chars))
    };
    let x_desc = draw::shorten(x_desc, X_DESC_CHARS);
    let y_label = |y: &f64| tick(*y);
    // Integer dimensions (bots, add-ons) get integer ticks only.
    let x_label = |x: &f64| {
        if integers && x.fract() != 0.0 {
            String::new()
        } else {
            tick(*x)
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", 15))
        .y_label_formatter(&y_label);
    if categorical {
        mesh.x_labels(labels)
            .x_label_formatter(&category)
            .disable_x_mesh();
    } else {
        mesh.x_label_formatter(&x_label);
    }
    mesh.draw()?;
    let goal = RGBColor(200, 30, 30);
    let style = TextStyle::from(("sans-serif", 14).into_font())
        .color(&goal)
        .pos(Pos::new(HPos::Right, VPos::Bottom));
    for (text, bound) in &thresholds {
        chart.draw_series(DashedLineSeries::new(
            vec![(x0, *bound), (x1, *bound)],
            8,
            5,
            goal.stroke_width(2),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("goal: {text}"),
            (x1 - (x1 - x0) * 0.01, *bound),
            style.clone(),
        )))?;
    }
    for (i, s) in series.iter().enumerate() {
        let c = color(i);
        // Beyond a point every 12 pixels or so, marks and whiskers merge
        // into a band that hides the line: the line and the interval's band
        // say it alone.
        let marked = s.points.len() <= MOST_MARKED_POINTS;
        if marked {
            chart.draw_series(s.points.iter().map(|(x, m, h)| {
                ErrorBar::new_vertical(*x, (m - h).max(0.0), *m, m + h, c.stroke_width(2), 10)
            }))?;
        }
        if s.points.len() < 2 || categorical {
            // Categories have no order to draw a line or band along: dots
            // alone, small where there are many.
            let radius = if marked { 4 } else { 2 };
            chart.draw_series(
                s.points
                    .iter()
                    .map(|(x, m, _)| Circle::new((*x, *m), radius, c.filled())),
            )?;
            continue;
        }
        let upper = s.points.iter().map(|(x, m, h)| (*x, m + h));
        let lower = s
            .points
            .iter()
            .rev()
            .map(|(x, m, h)| (*x, (m - h).max(0.0)));
        chart.draw_series(std::iter::once(Polygon::new(
            upper.chain(lower).collect::<Vec<_>>(),
            c.mix(0.2).filled(),
        )))?;
        chart.draw_series(LineSeries::new(
            s.points.iter().map(|(x, m, _)| (*x, *m)),
            c.stroke_width(2),
        ))?;
        if marked {
            chart.draw_series(
                s.points
                    .iter()
                    .map(|(x, m, _)| Circle::new((*x, *m), 4, c.filled())),
            )?;
        }
    }
    draw_legend(&side, c)
}

/// Draws `dir/stem.svg` and `dir/stem.png`.
pub fn sweep_chart(dir: &Path, stem: &str, chart: &SweepChart) -> io::Result<()> {
    crate::write_svg_and_png(
        dir,
        stem,
        draw::SIZE,
        |root| draw_sweep(root, chart),
        |root| draw_sweep(root, chart),
    )
}

/// What a sweep's `report.html` shows: what varied, its charts, and the
/// figures over all targets per variant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SweepPage {
    /// The scenario's name.
    pub name: String,
    /// The question the scenario answers, if it says.
    pub question: Option<String>,
    /// The scenario file, as given.
    pub scenario: String,
    /// What varied, a line each ("`a` over 5 values", linked keys
    /// together), and how many replications each variant had.
    pub varied: Vec<String>,
    /// Replications of each variant.
    pub replications: u32,
    /// The charts: (title, SVG text).
    pub charts: Vec<(String, String)>,
    /// The table's header: the varied keys first, then the figures.
    pub header: Vec<String>,
    /// Where the figures start in [`header`](Self::header).
    pub numbers_from: usize,
    /// A row per variant: its values, then each figure's mean and
    /// interval in human units.
    pub rows: Vec<Vec<String>>,
    /// What the table leaves out, if anything.
    pub table_note: Option<String>,
}

/// A sweep's `report.html`: one self-contained page.
pub fn sweep_html(page: &SweepPage) -> String {
    use crate::report::{RowsTable, chart, escape, page_head};
    use std::fmt::Write;
    let mut out = String::new();
    page_head(&mut out, &page.name, "sweep", page.question.as_deref(), "");
    let _ = writeln!(
        out,
        "<p>Scenario <code>{}</code>, {} replications of each variant, with common random \
         numbers (replication r has the same seed in every variant). Varied:</p>\n<ul>",
        escape(&page.scenario),
        page.replications
    );
    for line in &page.varied {
        let _ = writeln!(out, "<li>{}</li>", escape(line));
    }
    out.push_str("</ul>\n");
    if !page.charts.is_empty() {
        out.push_str("<h2>Charts</h2>\n");
        for (i, (title, svg)) in page.charts.iter().enumerate() {
            chart(&mut out, &format!("chart-{i}"), title, svg);
        }
    }
    out.push_str(
        "<h2>Over all targets, variant by variant</h2>\n<p>Each figure's mean over the \
         replications and its 95 % interval (<code>sweep-summary.csv</code> has every target \
         and flow, with the standard deviation).</p>\n",
    );
    if let Some(note) = &page.table_note {
        let _ = writeln!(out, "<p>{}</p>", escape(note));
    }
    let table = RowsTable {
        header: &page.header,
        rows: &page.rows,
        numbers: page.numbers_from..page.header.len(),
        marked: None,
        last_is_class: false,
    };
    table.write(&mut out);
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SVG of a chart of one line of `points` points.
    fn svg_of(points: usize) -> String {
        svg_of_chart(points, Vec::new())
    }

    /// The same, the points at `categories` if there are any.
    fn svg_of_chart(points: usize, categories: Vec<String>) -> String {
        let chart = SweepChart {
            title: "wait_p95_s by pool.max_bots".into(),
            x_desc: "pool.max_bots".into(),
            y_desc: "wait_p95_s".into(),
            legend_title: "target".into(),
            series: vec![SweepSeries {
                label: "pool".into(),
                points: (0..points)
                    .map(|i| (i as f64, 100.0 + (i % 7) as f64, 5.0))
                    .collect(),
            }],
            categories,
            thresholds: Vec::new(),
        };
        crate::register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, draw::SIZE).into_drawing_area();
            draw_sweep(&root, &chart).expect("drawn");
            root.present().expect("presented");
        }
        svg
    }

    #[test]
    fn a_mark_a_point_until_marks_would_merge_into_a_band() {
        // A mark each: the whiskers' ring around the mean and a dot.
        assert_eq!(svg_of(5).matches("<circle").count(), 2 * 5);
        let most = svg_of(MOST_MARKED_POINTS);
        assert_eq!(most.matches("<circle").count(), 2 * MOST_MARKED_POINTS);
        // Beyond, the line and its interval's band alone.
        let dense = svg_of(MOST_MARKED_POINTS + 1);
        assert_eq!(dense.matches("<circle").count(), 0);
        assert!(dense.contains("<polyline") && dense.contains("<polygon"));
    }

    #[test]
    fn many_categories_are_small_dots_under_a_few_names() {
        let names = |n: usize| (0..n).map(|i| format!("{}s", 10 + i)).collect::<Vec<_>>();
        let named = |svg: &str, n: usize| {
            names(n)
                .iter()
                .filter(|name| svg.contains(&format!("\n{name}\n</text>")))
                .count()
        };
        // A few: each named, each with its mark.
        let few = svg_of_chart(5, names(5));
        assert_eq!(named(&few, 5), 5);
        assert_eq!(few.matches("r=\"4\"").count(), 5);
        // Hundreds: a dozen names at most (they overlapped into a smear),
        // and a dot each without whiskers.
        let many = svg_of_chart(300, names(300));
        assert!((2..=12).contains(&named(&many, 300)));
        assert_eq!(many.matches("<circle").count(), 300);
        assert_eq!(many.matches("r=\"2\"").count(), 300);
    }
}
