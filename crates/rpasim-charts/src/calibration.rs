//! `calibration.html` of an import: the history, its replay and the
//! fitted model side by side — a table per flow, the verdicts, the wait
//! distributions per target and the arrivals per hour of the week — and
//! its two charts in `charts/` (SVG and PNG).

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use rpasim_import::calibrate::{Calibration, Compared, HOURS_OF_WEEK, WaitStats};
use rpasim_report::format::{human_duration, human_share};

use crate::draw::{self, CDF_MIN_SECONDS, DrawResult, FONT, LEGEND_WIDTH, color, titled_legend};
use crate::report::{STYLE, chart, escape};

/// The page's file name.
pub const CALIBRATION_HTML: &str = "calibration.html";
/// Most targets whose wait distributions are drawn (those with most runs).
pub const MOST_TARGETS: usize = 8;
/// The charts' names.
const WAITS: &str = "calibration-waits";
const ARRIVALS: &str = "calibration-arrivals";

/// Writes `dir/calibration.html` and its charts in `dir/charts/`; `notes`
/// are what the import inferred and adapted, as the console says them.
pub fn write(dir: &Path, source: &str, c: &Calibration, notes: &[String]) -> io::Result<()> {
    let charts = dir.join(crate::CHARTS_DIR);
    crate::write_svg_and_png(&charts, WAITS, draw::SIZE, |r| waits(r, c), |r| waits(r, c))?;
    crate::write_svg_and_png(
        &charts,
        ARRIVALS,
        draw::SIZE,
        |r| arrivals(r, c),
        |r| arrivals(r, c),
    )?;
    let svg = |name: &str| std::fs::read_to_string(charts.join(format!("{name}.svg")));
    let page = html(source, c, notes, &svg(WAITS)?, &svg(ARRIVALS)?);
    std::fs::write(dir.join(CALIBRATION_HTML), page)
}

/// The targets drawn: those with most observed runs started, at most
/// [`MOST_TARGETS`], in the calibration's order.
fn shown(c: &Calibration) -> Vec<usize> {
    let mut order: Vec<usize> = (0..c.waits.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(c.waits[*i].1.observed.len()));
    order.truncate(MOST_TARGETS);
    order.sort_unstable();
    order
}

/// Points of an empirical CDF of waits (s), on the log axis.
fn cdf(waits: &[f64]) -> Vec<(f64, f64)> {
    let mut v = waits.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let step = (v.len() / 400).max(1);
    let mut points: Vec<(f64, f64)> = v
        .iter()
        .enumerate()
        .step_by(step)
        .map(|(i, w)| (w.max(CDF_MIN_SECONDS), (i + 1) as f64 / n))
        .collect();
    if let Some(last) = v.last() {
        points.push((last.max(CDF_MIN_SECONDS), 1.0));
    }
    points
}

/// Wait distributions per target: observed solid, replayed dashed, fitted
/// dotted, one colour per target.
fn waits<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Calibration) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (plot, side) = root.split_horizontally(draw::SIZE.0 - LEGEND_WIDTH);
    let shown = shown(c);
    let x_max = shown
        .iter()
        .flat_map(|i| {
            let w = &c.waits[*i].1;
            [&w.observed, &w.replayed, &w.fitted]
        })
        .flat_map(|v| v.iter().copied())
        .fold(10.0, f64::max)
        * 1.5;
    let mut chart = draw::cdf_chart(
        &plot,
        "Waits: observed, replayed and fitted, per target",
        x_max,
    )?;
    let mut entries = Vec::new();
    for (k, i) in shown.iter().enumerate() {
        let (name, w) = &c.waits[*i];
        let col = color(k);
        chart.draw_series(LineSeries::new(cdf(&w.observed), col.stroke_width(3)))?;
        chart.draw_series(DashedLineSeries::new(
            cdf(&w.replayed),
            10,
            6,
            col.stroke_width(2),
        ))?;
        chart.draw_series(DashedLineSeries::new(
            cdf(&w.fitted),
            2,
            5,
            col.stroke_width(2),
        ))?;
        entries.push((name.clone(), col));
    }
    titled_legend(
        &side,
        &["solid: observed", "dashed: replayed", "dotted: fitted"],
        &entries,
        24,
    )
}

/// Arrivals per hour of the week, observed and fitted.
fn arrivals<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Calibration) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (plot, side) = root.split_horizontally(draw::SIZE.0 - LEGEND_WIDTH);
    let (observed, fitted) = &c.arrivals;
    let y_max = observed.iter().chain(fitted).copied().fold(1.0, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&plot)
        .caption("Arrivals per hour of the week", (FONT, 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..HOURS_OF_WEEK as f64, 0.0..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_label_formatter(&|_| String::new())
        .x_desc("hour of the week (UTC; each day's label at its noon)")
        .y_desc("runs arriving per hour (mean over the weeks)")
        .label_style((FONT, 15))
        .draw()?;
    let tick = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (d, day) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        .iter()
        .enumerate()
    {
        let x = 24.0 * d as f64;
        chart.draw_series(LineSeries::new(
            vec![(x, 0.0), (x, y_max)],
            RGBColor(225, 225, 225),
        ))?;
        let (px, py) = chart.backend_coord(&(x + 12.0, 0.0));
        plot.draw(&Text::new(day.to_string(), (px, py + 6), tick.clone()))?;
    }
    // Steps: an hour's value held over the hour.
    let steps = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .flat_map(|(h, y)| [(h as f64, *y), (h as f64 + 1.0, *y)])
            .collect()
    };
    chart.draw_series(LineSeries::new(steps(observed), color(0).stroke_width(3)))?;
    chart.draw_series(DashedLineSeries::new(
        steps(fitted),
        10,
        6,
        color(1).stroke_width(2),
    ))?;
    titled_legend(
        &side,
        &[],
        &[
            ("observed".to_string(), color(0)),
            ("fitted (one simulation)".to_string(), color(1)),
        ],
        24,
    )
}

/// A duration cell, or a dash.
fn secs(v: Option<f64>) -> String {
    v.map_or("–".into(), human_duration)
}

/// "observed / replayed / fitted" of a quantity.
fn triple<T: Copy>(c: &Compared<T>, f: impl Fn(T) -> String) -> String {
    format!("{} / {} / {}", f(c.observed), f(c.replayed), f(c.fitted))
}

/// The page.
fn html(
    source: &str,
    c: &Calibration,
    notes: &[String],
    waits_svg: &str,
    arrivals_svg: &str,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Calibration of {0} — rpasim</title><style>{STYLE}</style></head><body>\n<h1>Calibration of {0}</h1>\n",
        escape(source)
    );
    out.push_str(
        "<p>The history, its replay (<code>replay.toml</code>: every run with its own arrival, \
         duration and outcome, scheduled by rpasim) and the fitted model \
         (<code>scenario.toml</code>, one simulation with its seed), side by side. When the \
         replay's waits are the observed ones, rpasim's model of the scheduler fits this \
         history; the fitted model then differs by what the fit changed.</p>\n",
    );
    if !c.selected.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"overrides\">Of the history, only the {} (<code>--from</code>, \
             <code>--to</code>, <code>--flows</code>).</p>",
            escape(&c.selected)
        );
    }
    out.push_str("<h2>Verdicts</h2>\n<ul class=\"goals\">\n");
    let _ = writeln!(
        out,
        "<li><b>{}</b> (the misfits first)</li>",
        escape(&rpasim_import::calibrate::tally(&c.verdicts))
    );
    for v in rpasim_import::calibrate::misfits_first(&c.verdicts) {
        let text = v.text.strip_prefix("calibration: ").unwrap_or(&v.text);
        let _ = writeln!(out, "<li>{}</li>", escape(text));
    }
    out.push_str("</ul>\n");
    if !notes.is_empty() {
        // What the scenarios made of the history: the fleet, and what the
        // service allows that a scenario cannot hold, adapted. A verdict
        // can hang on it (a year without runs, runs left out).
        out.push_str(
            "<h2>From the history</h2>\n<p>What the import inferred and adapted, as the console \
             said it.</p>\n<ul class=\"goals\">\n",
        );
        for note in notes {
            let _ = writeln!(out, "<li>{}</li>", escape(note));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(
        "<h2>Per flow</h2>\n<p>Each cell: observed / replayed / fitted. Start error: \
         |replayed start − observed start| per run, median and 95th percentile.</p>\n\
         <div class=\"wide\"><table><tr><th>flow</th><th>target</th><th class=\"num\">runs</th>\
         <th class=\"num\">mean wait</th><th class=\"num\">p50 wait</th><th class=\"num\">p95 wait</th>\
         <th class=\"num\">start error p50 / p95</th><th class=\"num\">target utilization</th></tr>\n",
    );
    let stat = |f: fn(WaitStats) -> f64| move |w: Option<WaitStats>| secs(w.map(f));
    for f in &c.flows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td></tr>",
            escape(&f.flow),
            escape(&f.target),
            triple(&f.runs, |n| n.to_string()),
            triple(&f.waits, stat(|w| w.mean)),
            triple(&f.waits, stat(|w| w.p50)),
            triple(&f.waits, stat(|w| w.p95)),
            f.start_error.map_or("–".into(), |(a, b)| format!(
                "{} / {}",
                human_duration(a),
                human_duration(b)
            )),
            triple(&f.utilization, |u| u.map_or("–".into(), human_share)),
        );
    }
    out.push_str(
        "</table></div>\n<h2>Charts</h2>\n<p>Where the replay's dashed line is not seen, it \
         lies under the observed one: they agree.</p>\n",
    );
    let more = c.waits.len().saturating_sub(MOST_TARGETS);
    let title = if more > 0 {
        format!("Waits per target ({MOST_TARGETS} with most runs; {more} more in calibration.csv)")
    } else {
        "Waits per target".to_string()
    };
    chart(&mut out, WAITS, &title, waits_svg);
    chart(
        &mut out,
        ARRIVALS,
        "Arrivals per hour of the week",
        arrivals_svg,
    );
    out.push_str("<p>The same figures: <code>calibration.csv</code>; the charts as PNG in <code>charts/</code>.</p>\n</body></html>\n");
    out
}
