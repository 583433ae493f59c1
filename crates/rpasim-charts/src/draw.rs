//! The charts, each drawn on any plotters backend (SVG and PNG alike).
//!
//! Legends sit in a panel of their own beside the plot, so ten targets
//! never cover the lines; long names are shortened.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::{RangedCoordf64, RangedCoordu32};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use rpasim_core::wait::WaitReason;
use rpasim_report::manifest::ManifestEnvironment;
use rpasim_report::series::SeriesPoint;
use rpasim_report::summary;

use crate::data::ChartData;
use crate::timeline::{MARK_KEY, Mark, Span, SpanKind, Timeline};

/// A stacked band: its top for a point, and its colour.
type Band = (fn(&SeriesPoint) -> u32, RGBColor);

/// Result of drawing on backend `DB`.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Size of most charts, pixels.
pub const SIZE: (u32, u32) = (1200, 700);
/// Width of the legend panel, pixels.
pub(crate) const LEGEND_WIDTH: u32 = 230;
pub(crate) const FONT: &str = "sans-serif";
/// Longest name in a legend or on an axis before it is shortened.
const NAME_CHARS: usize = 24;
const MS_PER_HOUR: f64 = 3_600_000.0;

/// Ten colours that stay distinct (the "tab10" palette).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of series `i`.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Shortens a name to fit a legend or an axis, in the middle, so that
/// names differing only at the end ("...-group-1", "...-group-2") stay apart.
pub fn short(name: &str) -> String {
    shorten(name, NAME_CHARS)
}

/// `text` shortened in the middle to at most `max` characters (`max` ≥ 4).
pub fn shorten(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        return text.to_string();
    }
    let head = max / 2 - 1;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - (max - head - 1)..]);
    out
}

/// The unit of the y axis of `metric` whose values reach `top`: seconds
/// (`_s` metrics) read in minutes or hours when long, so that the ticks
/// are round durations.
pub(crate) fn y_unit(metric: &str, top: f64) -> (f64, String) {
    if !metric.ends_with("_s") {
        return (1.0, metric.to_string());
    }
    let (scale, unit) = if top >= 7_200.0 {
        (3_600.0, "hours")
    } else if top >= 120.0 {
        (60.0, "minutes")
    } else {
        (1.0, "seconds")
    };
    (scale, format!("{metric} ({unit})"))
}

/// An axis label: no decimals on large or whole numbers, a few on small
/// ones, without trailing zeros (`0.5`, not `0.500`).
pub(crate) fn tick(v: f64) -> String {
    if v.fract() == 0.0 || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        let text = format!("{v:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The segmented axis of `n` categories: `0..n-1` has one segment per
/// category, but a single category needs `0..1`, two segments (one has no
/// height to map onto); its bar takes both ([`slot`]).
fn categories(n: usize) -> std::ops::Range<u32> {
    if n <= 1 { 0..1 } else { 0..n as u32 - 1 }
}

/// Where bar `i` of `n` stands on a bar chart's axis: its bottom, its top
/// and its middle. A single bar takes the whole height, where it took the
/// lower of its axis's two segments under an empty one.
fn slot(i: usize, n: usize) -> [SegmentValue<u32>; 3] {
    let i = i as u32;
    match n {
        1 => [
            SegmentValue::Exact(0),
            SegmentValue::Last,
            SegmentValue::Exact(1),
        ],
        _ => [
            SegmentValue::Exact(i),
            SegmentValue::Exact(i + 1),
            SegmentValue::CenterOf(i),
        ],
    }
}

/// The time unit of a horizon: days beyond three days, hours from two
/// hours, minutes from two minutes, seconds below, so that a short
/// simulation's axis reads 0 to 90 minutes, not 0 to 1.5 hours in ticks
/// that round to the same label.
fn time_unit(horizon_ms: u64) -> (f64, &'static str) {
    let horizon = horizon_ms as f64;
    if horizon > 72.0 * MS_PER_HOUR {
        (24.0 * MS_PER_HOUR, "time (days)")
    } else if horizon >= 2.0 * MS_PER_HOUR {
        (MS_PER_HOUR, "time (hours)")
    } else if horizon >= 2.0 * 60_000.0 {
        (60_000.0, "time (minutes)")
    } else {
        (1_000.0, "time (seconds)")
    }
}

/// Draws a legend of coloured lines and names in its own panel.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor)],
) -> DrawResult<DB> {
    titled_legend(area, &[], entries, NAME_CHARS)
}

/// A legend under title lines (bold), names shortened to `max_chars`; the
/// entries that do not fit the panel are counted in a last line.
pub(crate) fn titled_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &[&str],
    entries: &[(String, RGBColor)],
    max_chars: usize,
) -> DrawResult<DB> {
    for (i, line) in title.iter().enumerate() {
        area.draw(&Text::new(
            shorten(line, max_chars),
            (8, 22 + 18 * i as i32),
            (FONT, 15).into_font().style(FontStyle::Bold),
        ))?;
    }
    let top = 50 + 18 * title.len() as i32;
    let (_, height) = area.dim_in_pixel();
    let fits = legend_fits(height, top);
    for (i, (name, c)) in entries.iter().take(fits).enumerate() {
        let y = top + 22 * i as i32;
        area.draw(&PathElement::new(vec![(8, y), (34, y)], c.stroke_width(4)))?;
        area.draw(&Text::new(
            shorten(name, max_chars),
            (42, y - 8),
            (FONT, 15),
        ))?;
    }
    if entries.len() > fits {
        let y = top + 22 * fits as i32;
        area.draw(&Text::new(
            format!("+{} more", entries.len() - fits),
            (42, y - 8),
            (FONT, 15),
        ))?;
    }
    Ok(())
}

/// How many entries a legend whose first entry is at `top` shows in a
/// panel `height` pixels high (at least one).
fn legend_fits(height: u32, top: i32) -> usize {
    ((height as usize).saturating_sub(10 + top as usize) / 22).max(1)
}

/// The lines a legend of `entries` below no title takes in a panel
/// `height` pixels high: the entries shown, and a line counting the rest.
fn legend_lines(height: u32, entries: usize) -> usize {
    let fits = legend_fits(height, 50);
    entries.min(fits) + usize::from(entries > fits)
}

/// One kind of what the timeline draws over a chart's series, for its key.
struct TimelineKind {
    /// Its name in the key.
    name: &'static str,
    /// Its colour, as drawn.
    color: RGBAColor,
    /// Whether it shades spans (else it draws instants as thin lines).
    shade: bool,
}

/// The kinds of spans and marks that some of the drawn targets, `names`,
/// have on their timelines, in the order of the bots chart's key.
fn timeline_kinds(d: &ChartData, names: &[&str]) -> Vec<TimelineKind> {
    let timelines: Vec<_> = names.iter().map(|n| d.timeline(n)).collect();
    let drawn = |has: &dyn Fn(&Timeline) -> bool| timelines.iter().any(|t| has(t));
    let spans = [
        ("maintenance", SpanKind::Maintenance),
        ("offline", SpanKind::Offline),
    ]
    .into_iter()
    .filter(|(_, kind)| drawn(&|t| t.spans.iter().any(|s| s.kind == *kind)))
    .map(|(name, kind)| TimelineKind {
        name,
        color: kind.color(),
        shade: true,
    });
    let marks = MARK_KEY
        .into_iter()
        .filter(|(_, c)| drawn(&|t| t.marks.iter().any(|m| m.color == *c)))
        .map(|(name, c)| TimelineKind {
            name,
            color: c.mix(0.5),
            shade: false,
        });
    spans.chain(marks).collect()
}

/// Height of the key [`timeline_key`] draws for `kinds`.
fn timeline_key_height(kinds: usize) -> u32 {
    40 + 22 * kinds as u32
}

/// The key of what is drawn over the series from the timeline, under a
/// bold title from `y` down: a span as the square it shades, a mark as its
/// thin line.
fn timeline_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y: i32,
    kinds: &[TimelineKind],
) -> DrawResult<DB> {
    let bold = (FONT, 15).into_font().style(FontStyle::Bold);
    area.draw(&Text::new("events", (8, y), bold))?;
    for (i, kind) in kinds.iter().enumerate() {
        let y = y + 30 + 22 * i as i32;
        if kind.shade {
            area.draw(&Rectangle::new(
                [(12, y - 7), (30, y + 7)],
                kind.color.filled(),
            ))?;
        } else {
            area.draw(&PathElement::new(
                vec![(21, y - 9), (21, y + 9)],
                kind.color.stroke_width(2),
            ))?;
        }
        area.draw(&Text::new(kind.name, (42, y - 8), (FONT, 15)))?;
    }
    Ok(())
}

/// Queue length over time, one line per target (the peak of each interval).
pub fn queue_length<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &ChartData,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (plot, side) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
    let (unit, unit_name) = time_unit(d.manifest.horizon_ms);
    let x_max = (d.manifest.horizon_ms as f64 / unit).max(1e-9);
    let shown = d.shown_series();
    let y_max = shown
        .iter()
        .copied()
        .flatten()
        .map(|p| p.queued_max)
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.05;
    let mut chart = ChartBuilder::on(&plot)
        .caption(
            format!("{}: queue length over time{}", d.manifest.name, d.scope()),
            (FONT, 24),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc(unit_name)
        .y_desc("queued runs (peak per interval)")
        .label_style((FONT, 15))
        .y_label_formatter(&integer_label)
        .draw()?;
    let names = d.target_names();
    // The timeline of the targets drawn: windows and outages shaded,
    // instants as thin lines (the bots chart has them per target).
    let x = |ms: u64| ms as f64 / unit;
    for name in &names {
        let timeline = d.timeline(name);
        chart.draw_series(timeline.spans.iter().map(|s| {
            Rectangle::new(
                [(x(s.from_ms), 0.0), (x(s.to_ms), y_max)],
                s.kind.color().filled(),
            )
        }))?;
        for m in &timeline.marks {
            let line = vec![(x(m.at_ms), 0.0), (x(m.at_ms), y_max)];
            chart.draw_series(LineSeries::new(line, m.color.mix(0.5).stroke_width(1)))?;
        }
    }
    for (i, series) in shown.iter().enumerate() {
        let points = series
            .iter()
            .map(|p| (p.time_ms as f64 / unit, f64::from(p.queued_max)));
        chart.draw_series(LineSeries::new(points, color(i).stroke_width(2)))?;
    }
    let entries: Vec<(String, RGBColor)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_string(), color(i)))
        .collect();
    // The lines and shades from the timeline get a key under the
    // targets', room kept for it: the bots chart's header has one, and
    // without it they were lines no key explained.
    let kinds = timeline_kinds(d, &names);
    if kinds.is_empty() {
        return legend(&side, &entries);
    }
    let (_, height) = side.dim_in_pixel();
    let room = height.saturating_sub(timeline_key_height(kinds.len()));
    let (names_area, _) = side.split_vertically(room);
    legend(&names_area, &entries)?;
    let below = 50 + 22 * legend_lines(room, entries.len()) as i32;
    timeline_key(&side, below, &kinds)
}

/// Where the bots chart's key starts: its title must end before.
const KEY_X: i32 = 430;

/// `name` then `suffix`, the name shortened in the middle until the
/// whole fits in `width` pixels as `area` measures text in `style`.
fn fitting<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (name, suffix): (&str, &str),
    style: &TextStyle,
    width: u32,
) -> String {
    let fits = |text: &str| {
        area.estimate_text_size(text, style)
            .is_ok_and(|(w, _)| w <= width)
    };
    (4..=name.chars().count())
        .rev()
        .map(|max| format!("{}{suffix}", shorten(name, max)))
        .find(|text| fits(text))
        .unwrap_or_else(|| format!("{}{suffix}", shorten(name, 4)))
}

/// Bot states of one target: stacked busy, ready and provisioning, with the
/// demand (running + queued) over them.
pub fn bots<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, d: &ChartData) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(50);
    // The title stays left of the key; the scope of a chart of some
    // targets only goes on a line of its own below it.
    let scope = d.scope();
    let (at, size) = if scope.is_empty() { (12, 24) } else { (6, 22) };
    let style = TextStyle::from((FONT, size).into_font());
    let text = (d.manifest.name.as_str(), ": bots over time");
    let title = fitting(&header, text, &style, (KEY_X - 25) as u32);
    header.draw(&Text::new(title, (15, at), style))?;
    if !scope.is_empty() {
        header.draw(&Text::new(scope.trim().to_string(), (15, 33), (FONT, 13)))?;
    }
    let key = [
        ("busy", BOT_BUSY),
        ("ready (idle)", BOT_READY),
        ("provisioning", BOT_PROVISIONING),
        ("demand (running + queued)", BLACK),
    ];
    for (i, (name, c)) in key.iter().enumerate() {
        let x = KEY_X + 150 * i as i32;
        header.draw(&Rectangle::new([(x, 6), (x + 18, 20)], c.filled()))?;
        header.draw(&Text::new(name.to_string(), (x + 24, 5), (FONT, 14)))?;
    }
    // Second line: what is drawn over the bands.
    let spans = [
        ("maintenance", SpanKind::Maintenance.color()),
        ("offline", SpanKind::Offline.color()),
    ];
    let mut x = KEY_X;
    for (name, c) in spans {
        header.draw(&Rectangle::new([(x, 30), (x + 18, 44)], c.filled()))?;
        header.draw(&Text::new(name, (x + 24, 29), (FONT, 13)))?;
        x += 100;
    }
    for (name, c) in MARK_KEY {
        header.draw(&PathElement::new(
            vec![(x + 9, 28), (x + 9, 46)],
            c.stroke_width(2),
        ))?;
        header.draw(&Text::new(name, (x + 16, 29), (FONT, 13)))?;
        x += 124;
    }
    header.draw(&PathElement::new(
        vec![(x, 37), (x + 18, 37)],
        LIMIT.stroke_width(2),
    ))?;
    header.draw(&Text::new("limits", (x + 24, 29), (FONT, 13)))?;
    let shown = d.shown_series();
    let n = shown.len().max(1);
    let rows = n.div_ceil(2);
    let panels = body.split_evenly((rows, if n == 1 { 1 } else { 2 }));
    let (unit, unit_name) = time_unit(d.manifest.horizon_ms);
    let x_max = (d.manifest.horizon_ms as f64 / unit).max(1e-9);
    for ((panel, series), (i, name)) in panels
        .iter()
        .zip(shown)
        .zip(d.shown.iter().zip(d.target_names()))
    {
        let timeline = d.timeline(name);
        let axis = Axis {
            x_max,
            unit,
            unit_name,
        };
        let over = Over {
            spans: &timeline.spans,
            marks: &timeline.marks,
            limits: &limits(d, *i, series, timeline.settings_changed),
        };
        bot_panel(panel, series, &short(name), &axis, &over)?;
    }
    Ok(())
}

/// The time axis of a panel.
struct Axis<'a> {
    x_max: f64,
    unit: f64,
    unit_name: &'a str,
}

/// What is drawn over a panel's bands: timeline spans and marks, and the
/// limits that explain a plateau.
struct Over<'a> {
    spans: &'a [Span],
    marks: &'a [Mark],
    limits: &'a [(String, u32)],
}

/// Colour of limit lines.
const LIMIT: RGBColor = RGBColor(200, 30, 30);

/// The limits of target `i`'s bots: a hosted group's `max_bots` and its
/// environment's hosted capacity (as at the start: "at start" when a
/// setting of the target, or the capacity, changed later); a machine
/// target's bot count (the most it had available, "at most" when a setting
/// changed).
fn limits(d: &ChartData, i: usize, series: &[SeriesPoint], changed: bool) -> Vec<(String, u32)> {
    let Some(t) = d.manifest.targets.get(i) else {
        return Vec::new();
    };
    let when = if changed { " at start" } else { "" };
    let mut out = Vec::new();
    if let Some(max) = t.max_bots {
        out.push((format!("max_bots {max}{when}"), max));
        let env = d
            .manifest
            .environments
            .iter()
            .find(|e| Some(&e.name) == t.environment.as_ref());
        if let Some(e) = env.filter(|e| e.hosted_capacity != max) {
            // A change of the capacity is told on the environment's first
            // group only; the manifest lists it for every group.
            let when = if e.changes.is_empty() {
                when
            } else {
                " at start"
            };
            let name = format!("{} capacity {}{when}", e.name, e.hosted_capacity);
            out.push((name, e.hosted_capacity));
        }
    } else if t.kind == "machine_group" || t.kind == "machine" {
        let bots = series
            .iter()
            .map(|p| p.busy + p.ready + p.provisioning)
            .max()
            .unwrap_or(0);
        // The most the target had: after a `set` of its bots, not what it
        // had throughout (it read "3 bots" over a machine of 1 bot until
        // its purchase).
        let most = if changed { " at most" } else { "" };
        if bots > 0 {
            out.push((format!("{bots} bots{most}"), bots));
        }
    }
    out
}

const BOT_BUSY: RGBColor = RGBColor(31, 119, 180);
const BOT_READY: RGBColor = RGBColor(152, 223, 138);
const BOT_PROVISIONING: RGBColor = RGBColor(255, 187, 120);

fn bot_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    series: &[SeriesPoint],
    name: &str,
    axis: &Axis,
    over: &Over,
) -> DrawResult<DB> {
    let Axis {
        x_max,
        unit,
        unit_name,
    } = *axis;
    let total = |p: &SeriesPoint| p.busy + p.ready + p.provisioning;
    let highest_limit = over.limits.iter().map(|(_, v)| *v).max().unwrap_or(0);
    let y_max = series
        .iter()
        .map(|p| total(p).max(p.demand_max))
        .max()
        .unwrap_or(0)
        .max(highest_limit)
        .max(1) as f64
        * 1.1;
    let mut chart = ChartBuilder::on(panel)
        .caption(name, (FONT, 17))
        .margin(8)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc(unit_name)
        .y_desc("bots")
        .label_style((FONT, 12))
        .y_label_formatter(&integer_label)
        .x_labels(8)
        .y_labels(5)
        .draw()?;
    let at = |p: &SeriesPoint| p.time_ms as f64 / unit;
    let x = |ms: u64| ms as f64 / unit;
    chart.draw_series(over.spans.iter().map(|s| {
        Rectangle::new(
            [(x(s.from_ms), 0.0), (x(s.to_ms), y_max)],
            s.kind.color().filled(),
        )
    }))?;
    let layers: [Band; 3] = [
        (|p| p.busy + p.ready + p.provisioning, BOT_PROVISIONING),
        (|p| p.busy + p.ready, BOT_READY),
        (|p| p.busy, BOT_BUSY),
    ];
    for (value, c) in layers {
        let points: Vec<(f64, f64)> = series
            .iter()
            .map(|p| (at(p), f64::from(value(p))))
            .collect();
        chart.draw_series(AreaSeries::new(points, 0.0, c.filled()))?;
    }
    let demand = series.iter().map(|p| (at(p), f64::from(p.demand_max)));
    chart.draw_series(LineSeries::new(demand, BLACK.stroke_width(2)))?;
    for m in over.marks {
        let line = vec![(x(m.at_ms), 0.0), (x(m.at_ms), y_max)];
        chart.draw_series(LineSeries::new(line, m.color.mix(0.7).stroke_width(1)))?;
    }
    let label = TextStyle::from((FONT, 12).into_font())
        .color(&LIMIT)
        .pos(Pos::new(HPos::Right, VPos::Bottom));
    for (name, value) in over.limits {
        let y = f64::from(*value);
        chart.draw_series(DashedLineSeries::new(
            vec![(0.0, y), (x_max, y)],
            6,
            4,
            LIMIT.stroke_width(2),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            name.clone(),
            (x_max * 0.99, y),
            label.clone(),
        )))?;
    }
    Ok(())
}

/// The log-scale axis starts at one second: shorter waits (and zero) sit on it.
pub(crate) const CDF_MIN_SECONDS: f64 = 1.0;

/// Ticks of the wait axis, in human durations.
const CDF_TICKS: [(f64, &str); 9] = [
    (1.0, "1s"),
    (10.0, "10s"),
    (60.0, "1m"),
    (600.0, "10m"),
    (3_600.0, "1h"),
    (43_200.0, "12h"),
    (432_000.0, "5d"),
    (2_592_000.0, "30d"),
    (31_536_000.0, "1y"),
];

/// A label of an axis that counts things: integers only, so that a small
/// range never reads `0, 0, 1, 2, 2`.
fn integer_label(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// A chart of wait distributions: a log wait axis from one second to
/// `x_max` with human ticks (1s, 10s, 1m, ...), shares from 0 to 1.
pub(crate) type CdfChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<LogCoord<f64>, RangedCoordf64>>;

/// The caption, mesh and wait ticks of a [`CdfChart`] on `plot`.
pub(crate) fn cdf_chart<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    caption: &str,
    x_max: f64,
) -> Result<CdfChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(plot)
        .caption(caption, (FONT, 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((CDF_MIN_SECONDS..x_max).log_scale(), 0.0..1.02)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_label_formatter(&|_| String::new())
        .x_desc("wait (log scale; waits under 1 s drawn at 1 s)")
        .y_desc("share of started runs that waited at most this long")
        .label_style((FONT, 15))
        .draw()?;
    let tick_style = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (secs, label) in CDF_TICKS.iter().filter(|(s, _)| *s <= x_max) {
        let line = vec![(*secs, 0.0), (*secs, 1.02)];
        chart.draw_series(LineSeries::new(line, RGBColor(225, 225, 225)))?;
        let (x, y) = chart.backend_coord(&(*secs, 0.0));
        plot.draw(&Text::new(
            label.to_string(),
            (x, y + 6),
            tick_style.clone(),
        ))?;
    }
    Ok(chart)
}

/// Empirical CDF of waits per target (log time axis), p50/p95/p99 marked.
pub fn wait_cdf<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &ChartData,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (plot, side) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
    let waits = d.shown_waits();
    let x_max = waits
        .iter()
        .map(|h| h.max_ms() as f64 / 1000.0)
        .fold(10.0, f64::max)
        * 1.5;
    let caption = format!("{}: wait-time distribution{}", d.manifest.name, d.scope());
    let mut chart = cdf_chart(&plot, &caption, x_max)?;
    for (level, label) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
        let line = vec![(CDF_MIN_SECONDS, level), (x_max, level)];
        chart.draw_series(LineSeries::new(
            line,
            RGBColor(190, 190, 190).stroke_width(1),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            label,
            (CDF_MIN_SECONDS * 1.05, level + 0.012),
            (FONT, 13),
        )))?;
    }
    let mut entries = Vec::new();
    for (i, (h, name)) in waits.iter().zip(d.target_names()).enumerate() {
        if h.count() == 0 {
            continue;
        }
        let secs = |q: f64| (h.quantile_ms(q) as f64 / 1000.0).max(CDF_MIN_SECONDS);
        let points: Vec<(f64, f64)> = (0..=200)
            .map(|k| f64::from(k) / 200.0)
            .map(|q| (secs(q), q))
            .collect();
        chart.draw_series(LineSeries::new(points, color(i).stroke_width(2)))?;
        let marks = [0.5, 0.95, 0.99].map(|q| (secs(q), q));
        chart.draw_series(marks.iter().map(|p| Circle::new(*p, 5, color(i).filled())))?;
        entries.push((name.to_string(), color(i)));
    }
    legend(&side, &entries)
}

/// A chart with one horizontal bar slot per name (bottom first) and a
/// value axis from 0 to `x_max`: what the bar charts share.
type CategoryChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordu32>>>;

/// The caption, axes and name labels of a bar chart over `names`
/// (`x_label`: plotters' own labels when `None`).
fn category_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: (&str, u32),
    x_desc: &str,
    names: &[&str],
    x_max: f64,
    x_label: Option<&dyn Fn(&f64) -> String>,
) -> Result<CategoryChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    const MARGIN: u32 = 15;
    const NAME_AREA: u32 = 190;
    let mut chart = ChartBuilder::on(area)
        .caption(caption.0, (FONT, caption.1))
        .margin(MARGIN)
        .x_label_area_size(45)
        .y_label_area_size(NAME_AREA)
        .build_cartesian_2d(0.0..x_max, categories(names.len()).into_segmented())?;
    let plot_width = f64::from(area.dim_in_pixel().0.saturating_sub(2 * MARGIN + NAME_AREA));
    let format = |v: &f64| match x_label {
        Some(f) => f(v),
        None => <RangedCoordf64 as ValueFormatter<f64>>::format(v),
    };
    let fitted = fit_value_labels(area, x_max, (plot_width, MARGIN), &format);
    let within = |v: &f64| match fitted.as_ref().is_some_and(|f| f.cuts(*v, x_max)) {
        true => String::new(),
        false => format(v),
    };
    let mut mesh = chart.configure_mesh();
    match (&fitted, x_label) {
        (Some(f), _) => {
            mesh.x_labels(f.labels).x_label_formatter(&within);
        }
        (None, Some(f)) => {
            mesh.x_label_formatter(f);
        }
        (None, None) => {}
    }
    // A single name is labelled apart, at the middle of its bar: the
    // axis's labels and ticks stand at the middles of its two segments.
    // (Asking plotters for no labels at all never returns.)
    if let [_] = names {
        mesh.set_tick_mark_size(LabelAreaPosition::Left, 0);
    }
    mesh.disable_y_mesh()
        .x_desc(x_desc)
        .label_style((FONT, VALUE_LABEL_SIZE))
        .y_labels(names.len().max(1))
        .y_label_formatter(&|v| match (names, v) {
            ([_], _) | (_, SegmentValue::Last) => String::new(),
            (_, SegmentValue::CenterOf(i) | SegmentValue::Exact(i)) => {
                names.get(*i as usize).map(|s| short(s)).unwrap_or_default()
            }
        })
        .draw()?;
    if let [name] = names {
        label_single_bar(area, &chart, name)?;
    }
    Ok(chart)
}

/// The name of a bar chart's only bar, left of the axis at the bar's
/// middle, with its tick, as the axis labels the bars of several.
fn label_single_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &CategoryChart<'_, DB>,
    name: &str,
) -> DrawResult<DB> {
    let [_, _, middle] = slot(0, 1);
    let (x, y) = chart.backend_coord(&(0.0, middle));
    let (base_x, base_y) = area.get_base_pixel();
    let (x, y) = (x - base_x, y - base_y);
    area.draw(&PathElement::new(vec![(x - 5, y), (x, y)], BLACK))?;
    let style = TextStyle::from((FONT, VALUE_LABEL_SIZE).into_font())
        .pos(Pos::new(HPos::Right, VPos::Center));
    area.draw(&Text::new(short(name), (x - 10, y), style))?;
    Ok(())
}

/// The font size of a bar chart's labels.
const VALUE_LABEL_SIZE: u32 = 14;

/// Plotters' default number of value labels on an axis.
const DEFAULT_VALUE_LABELS: usize = 11;

/// A bar chart's value axis where plotters' own labels would overlap:
/// how many labels to ask for, and the values whose label would pass the
/// picture's right edge (left blank rather than cut).
struct FittedLabels {
    labels: usize,
    cut: Vec<f64>,
}

impl FittedLabels {
    /// Whether the label of `v` (on an axis to `x_max`) is left blank.
    fn cuts(&self, v: f64, x_max: f64) -> bool {
        self.cut.iter().any(|c| (c - v).abs() <= 1e-9 * x_max)
    }
}

/// [`fitting_value_labels`] for a bar chart on `area`, its plot `width`
/// pixels wide with `margin` pixels right of it; `None` when plotters'
/// own labels fit. The text is measured now: the backend cannot measure
/// it while the mesh draws.
fn fit_value_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x_max: f64,
    (width, margin): (f64, u32),
    format: &dyn Fn(&f64) -> String,
) -> Option<FittedLabels> {
    let measure = |text: &str| {
        area.estimate_text_size(text, &(FONT, VALUE_LABEL_SIZE).into_text_style(area))
            .map_or(0, |(w, _)| w)
    };
    let labels = fitting_value_labels(x_max, width, format, &measure)?;
    let cut = RangedCoordf64::from(0.0..x_max)
        .key_points(labels)
        .into_iter()
        .filter(|v| {
            let right = width * v / x_max + f64::from(measure(&format(v))) / 2.0;
            right > width + f64::from(margin)
        })
        .collect();
    Some(FittedLabels { labels, cut })
}

/// How many labels to ask plotters for on a value axis from 0 to `x_max`,
/// `plot_width` pixels long, so that neighbouring labels (as `format`
/// writes them, `width` measures them) do not overlap; `None` when its
/// default number does not overlap. Half a chart's width held 11 labels
/// of "200000.0" for 175,000 bot-hours, one smear of digits; charts whose
/// labels fitted are drawn as before.
fn fitting_value_labels(
    x_max: f64,
    plot_width: f64,
    format: &dyn Fn(&f64) -> String,
    width: &dyn Fn(&str) -> u32,
) -> Option<usize> {
    const GAP: f64 = 6.0;
    let fits = |n: usize| {
        let points = RangedCoordf64::from(0.0..x_max).key_points(n);
        points.windows(2).all(|pair| {
            let spacing = plot_width * (pair[1] - pair[0]) / x_max;
            let half = |v: &f64| f64::from(width(&format(v))) / 2.0;
            half(&pair[0]) + half(&pair[1]) + GAP <= spacing
        })
    };
    if fits(DEFAULT_VALUE_LABELS) {
        return None;
    }
    Some(
        (2..DEFAULT_VALUE_LABELS)
            .rev()
            .find(|&n| fits(n))
            .unwrap_or(2),
    )
}

/// Draws bar `i` of `n` as segments laid end to end from 0 (empty ones
/// skipped).
fn stacked_bar<DB: DrawingBackend>(
    chart: &mut CategoryChart<'_, DB>,
    (i, n): (usize, usize),
    segments: impl IntoIterator<Item = (f64, RGBColor)>,
) -> DrawResult<DB> {
    let [bottom, top, _] = slot(i, n);
    let mut left = 0.0;
    for (v, c) in segments.into_iter().filter(|(v, _)| *v > 0.0) {
        let corners = [(left, bottom.clone()), (left + v, top.clone())];
        let mut bar = Rectangle::new(corners, c.filled());
        bar.set_margin(6, 6, 0, 0);
        chart.draw_series(std::iter::once(bar))?;
        left += v;
    }
    Ok(())
}

/// Horizontal bars of one value per target.
fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    names: &[&str],
    values: &[f64],
) -> DrawResult<DB> {
    let x_max = values.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.15;
    let mut chart = category_chart(area, (title, 20), x_desc, names, x_max, None)?;
    for (i, v) in values.iter().enumerate() {
        stacked_bar(&mut chart, (i, values.len()), [(*v, color(i))])?;
    }
    Ok(())
}

/// Utilization and cost (bot-hours) per target, as bars.
pub fn utilization_cost<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &ChartData,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(50);
    header.draw(&Text::new(
        format!(
            "{}: utilization and cost per target{}",
            d.manifest.name,
            d.scope()
        ),
        (15, 12),
        (FONT, 24),
    ))?;
    let (left, right) = body.split_horizontally(SIZE.0 / 2);
    let names = d.target_names();
    let rows = d.shown_rows();
    let utilization: Vec<f64> = rows
        .iter()
        .map(|r| 100.0 * d.summary.number(r, "utilization"))
        .collect();
    let bot_hours: Vec<f64> = rows
        .iter()
        .map(|r| d.summary.number(r, "bot_hours"))
        .collect();
    bars(
        &left,
        "utilization (busy / available bot time)",
        "utilization (%)",
        &names,
        &utilization,
    )?;
    bars(
        &right,
        "cost: bot-hours held",
        "bot-hours",
        &names,
        &bot_hours,
    )
}

/// Outcome columns of `summary.csv` and their colours.
pub const OUTCOMES: [(&str, RGBColor); 13] = [
    ("succeeded", RGBColor(44, 160, 44)),
    ("failed", RGBColor(214, 39, 40)),
    ("queue_full", RGBColor(255, 127, 14)),
    ("queue_timeout", RGBColor(148, 103, 189)),
    ("run_timeout", RGBColor(140, 86, 75)),
    ("in_flight", RGBColor(199, 199, 199)),
    ("machine_lost", RGBColor(227, 119, 194)),
    ("group_empty", RGBColor(127, 127, 127)),
    ("group_expired", RGBColor(188, 189, 34)),
    ("certificate_expired", RGBColor(23, 190, 207)),
    ("access_denied", RGBColor(0, 0, 0)),
    ("cancelled", RGBColor(255, 152, 150)),
    ("machine_expired", RGBColor(197, 176, 213)),
];

/// Outcomes per target, as stacked bars.
pub fn outcomes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &ChartData,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (plot, side) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
    let names = d.target_names();
    let rows = d.shown_rows();
    let present: Vec<(&str, RGBColor)> = OUTCOMES
        .iter()
        .copied()
        .filter(|(o, _)| rows.iter().any(|r| d.summary.number(r, o) > 0.0))
        .collect();
    let total = |r: &Vec<String>| {
        present
            .iter()
            .map(|(o, _)| d.summary.number(r, o))
            .sum::<f64>()
    };
    // Room on the right for each bar's note of its rarer outcomes.
    let x_max = rows.iter().map(|r| total(r)).fold(0.0, f64::max).max(1.0) * 1.45;
    let caption = format!("{}: outcomes per target{}", d.manifest.name, d.scope());
    let x_desc = "runs arrived in the measured window";
    let mut chart = category_chart(
        &plot,
        (&caption, 24),
        x_desc,
        &names,
        x_max,
        Some(&integer_label),
    )?;
    for (i, r) in rows.iter().enumerate() {
        let segments = present.iter().map(|(o, c)| (d.summary.number(r, o), *c));
        stacked_bar(&mut chart, (i, rows.len()), segments)?;
    }
    // Outcomes too rare to see as a band (0.3 % failures) are written out.
    let note_style =
        TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, r) in rows.iter().enumerate() {
        let arrivals = total(r);
        let note = outcome_note(&present, |o| d.summary.number(r, o), arrivals);
        let [_, _, middle] = slot(i, rows.len());
        let at = (arrivals + x_max * 0.01, middle);
        chart.draw_series(std::iter::once(Text::new(note, at, note_style.clone())))?;
    }
    let entries: Vec<(String, RGBColor)> =
        present.iter().map(|(o, c)| (o.to_string(), *c)).collect();
    legend(&side, &entries)
}

/// "8 failed (0.3 %)": the outcomes of a bar other than success, with
/// their shares; "all succeeded" when there are none.
fn outcome_note(
    present: &[(&str, RGBColor)],
    count: impl Fn(&str) -> f64,
    arrivals: f64,
) -> String {
    let parts: Vec<String> = present
        .iter()
        .filter(|(o, _)| *o != "succeeded" && count(o) > 0.0)
        .map(|(o, _)| {
            let n = count(o);
            format!("{n:.0} {o} ({:.1} %)", 100.0 * n / arrivals.max(1.0))
        })
        .collect();
    if parts.is_empty() {
        "all succeeded".into()
    } else {
        parts.join(", ")
    }
}

/// Per environment with hosted capacity: the add-ons each of its hosted
/// groups holds over time (provisioning, idle-warm and busy bots), with the
/// capacity as at the start.
pub fn hosted_capacity<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &ChartData,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (plot, side) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
    let envs = &d.manifest.environments;
    if envs.is_empty() {
        plot.draw(&Text::new(
            format!(
                "{}: no hosted capacity in this scenario (no hosted group or hosted machine)",
                d.manifest.name
            ),
            (15, 30),
            (FONT, 18),
        ))?;
        return Ok(());
    }
    let drawn: Vec<_> = d.shown_environments.iter().map(|e| &envs[*e]).collect();
    let panels = plot.split_evenly((drawn.len().max(1), 1));
    let mut entries: Vec<(String, RGBColor)> = Vec::new();
    for (panel, env) in panels.iter().zip(drawn.iter().copied()) {
        let groups: Vec<(usize, &str)> = d
            .manifest
            .targets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.environment.as_deref() == Some(env.name.as_str()))
            .map(|(i, t)| (i, t.name.as_str()))
            .collect();
        capacity_panel(panel, d, env, &groups)?;
        for (i, name) in &groups {
            entries.push((name.to_string(), color(*i)));
        }
    }
    if drawn.len() < envs.len() {
        let of = format!("the {} of {} environments", drawn.len(), envs.len());
        let title = [of.as_str(), "whose groups waited", "most for capacity"];
        return titled_legend(&side, &title, &entries, NAME_CHARS);
    }
    legend(&side, &entries)
}

fn capacity_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    d: &ChartData,
    env: &ManifestEnvironment,
    groups: &[(usize, &str)],
) -> DrawResult<DB> {
    let (unit, unit_name) = time_unit(d.manifest.horizon_ms);
    let x_max = (d.manifest.horizon_ms as f64 / unit).max(1e-9);
    let held = |p: &SeriesPoint| p.busy + p.ready + p.provisioning;
    // A panel of a third of the chart has room for the short label only.
    let (_, height) = panel.dim_in_pixel();
    let y_desc = if height >= 300 {
        "add-ons held (bots provisioning, idle or busy)"
    } else {
        "add-ons held"
    };
    let series: Vec<&[SeriesPoint]> = groups
        .iter()
        .map(|(i, _)| d.series.get(*i).map_or(&[][..], Vec::as_slice))
        .collect();
    // One line per group: the series are reduced per group (each bucket's
    // snapshot is the group's own), so they are not stacked.
    let capacity = capacity_steps(env, x_max, unit);
    let highest = env.changes.iter().map(|c| c.hosted_capacity);
    let top = series
        .iter()
        .flat_map(|s| s.iter().map(held))
        .chain(highest)
        .max()
        .unwrap_or(0)
        .max(env.hosted_capacity)
        .max(1);
    let mut chart = ChartBuilder::on(panel)
        .caption(
            format!(
                "{}: hosted capacity of {}, add-ons held per group",
                d.manifest.name, env.name
            ),
            (FONT, 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..x_max, 0.0..f64::from(top) * 1.1)?;
    chart
        .configure_mesh()
        .x_desc(unit_name)
        .y_desc(y_desc)
        .label_style((FONT, 14))
        .y_label_formatter(&integer_label)
        .draw()?;
    for ((i, _), s) in groups.iter().zip(&series) {
        let line = s
            .iter()
            .map(|p| (p.time_ms as f64 / unit, f64::from(held(p))));
        chart.draw_series(LineSeries::new(line, color(*i).stroke_width(2)))?;
    }
    let y = capacity.last().map_or(0.0, |(_, y)| *y);
    chart.draw_series(DashedLineSeries::new(capacity, 6, 4, LIMIT.stroke_width(2)))?;
    let label = TextStyle::from((FONT, 12).into_font())
        .color(&LIMIT)
        .pos(Pos::new(HPos::Right, VPos::Bottom));
    chart.draw_series(std::iter::once(Text::new(
        capacity_label(d, env, groups),
        (x_max * 0.99, y),
        label,
    )))?;
    Ok(())
}

/// The corners of an environment's capacity over the horizon, `x_max` in
/// the time axis's `unit`: a step at each change its `set` events made
/// (the line stayed at the starting capacity, under the add-ons held
/// after a purchase).
fn capacity_steps(env: &ManifestEnvironment, x_max: f64, unit: f64) -> Vec<(f64, f64)> {
    let mut y = f64::from(env.hosted_capacity);
    let mut corners = vec![(0.0, y)];
    for c in &env.changes {
        let x = (c.at_ms as f64 / unit).min(x_max);
        corners.push((x, y));
        y = f64::from(c.hosted_capacity);
        corners.push((x, y));
    }
    corners.push((x_max, y));
    corners
}

/// The label of the capacity line, at its end: the capacity then, and
/// where it changed, what it started at. An earlier version's output does
/// not list the changes: "at start" when a setting of the environment's
/// groups may have moved it (one drawn had a setting changed, or one is
/// not drawn, its timeline not read).
fn capacity_label(d: &ChartData, env: &ManifestEnvironment, groups: &[(usize, &str)]) -> String {
    if let Some(last) = env.changes.last() {
        return format!(
            "hosted capacity {} ({} at start)",
            last.hosted_capacity, env.hosted_capacity
        );
    }
    let changed = groups
        .iter()
        .any(|(i, name)| !d.shown.contains(i) || d.timeline(name).settings_changed);
    let when = if changed { " (at start)" } else { "" };
    format!("hosted capacity {}{when}", env.hosted_capacity)
}

/// Wait reasons, in the order of their `summary.csv` share columns, with
/// their colours.
pub fn reason_colors() -> [(WaitReason, RGBColor); 8] {
    WaitReason::ALL.map(|r| {
        let c = match r {
            WaitReason::Provisioning => RGBColor(255, 127, 14),
            WaitReason::Capacity => RGBColor(214, 39, 40),
            WaitReason::Busy => RGBColor(31, 119, 180),
            WaitReason::Maintenance => RGBColor(148, 103, 189),
            WaitReason::Offline => RGBColor(60, 60, 60),
            WaitReason::Selection => RGBColor(44, 160, 44),
            WaitReason::Blocked => RGBColor(140, 86, 75),
            WaitReason::Lost => RGBColor(227, 119, 194),
        };
        (r, c)
    })
}

use crate::data::MOST_TARGETS;

/// Hours waited per reason of one bar.
struct ReasonBar {
    name: String,
    hours: [f64; 8],
}

/// The bars of the wait-reasons chart: the targets that waited most (at
/// most [`MOST_TARGETS`]), then one bar for all the others.
fn reason_bars(d: &ChartData) -> Vec<ReasonBar> {
    let names: Vec<&str> = d.manifest.targets.iter().map(|t| t.name.as_str()).collect();
    let rows = &d.summary.rows[..names.len().min(d.summary.rows.len())];
    let mut bars: Vec<ReasonBar> = rows
        .iter()
        .zip(&names)
        .map(|(r, name)| {
            let total = d.summary.number(r, "wait_hours");
            ReasonBar {
                name: name.to_string(),
                hours: WaitReason::ALL
                    .map(|w| total * d.summary.number(r, summary::reason_share_column(w))),
            }
        })
        .filter(|b| b.hours.iter().sum::<f64>() > 0.0)
        .collect();
    // Most waiting first; the sort is stable, so ties keep target order.
    bars.sort_by(|a, b| {
        let sum = |x: &ReasonBar| x.hours.iter().sum::<f64>();
        sum(b).total_cmp(&sum(a))
    });
    if bars.len() > MOST_TARGETS + 1 {
        // The others' mean, not their sum: the sum of thousands of targets
        // would set the axis and flatten every bar drawn beside it.
        let rest = bars.split_off(MOST_TARGETS);
        let mut others = ReasonBar {
            name: format!("mean of {} others", rest.len()),
            hours: [0.0; 8],
        };
        for b in &rest {
            for (o, h) in others.hours.iter_mut().zip(b.hours) {
                *o += h;
            }
        }
        for o in &mut others.hours {
            *o /= rest.len() as f64;
        }
        bars.push(others);
    }
    bars
}

/// How many bars the wait-reasons chart has (for its height).
pub fn reason_bar_count(d: &ChartData) -> usize {
    reason_bars(d).len()
}

/// Where the waiting went: per target, hours waited stacked by reason.
pub fn wait_reasons<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &ChartData,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (plot, side) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
    let mut bars = reason_bars(d);
    // The first category is drawn at the bottom: most waiting on top.
    bars.reverse();
    let names: Vec<&str> = bars.iter().map(|b| b.name.as_str()).collect();
    let x_max = bars
        .iter()
        .map(|b| b.hours.iter().sum::<f64>())
        .fold(0.0, f64::max)
        .max(1e-3)
        * 1.05;
    let caption = format!("{}: where the waiting went", d.manifest.name);
    let x_desc = "hours runs spent waiting, by reason (every run that arrived)";
    let mut chart = category_chart(&plot, (&caption, 24), x_desc, &names, x_max, None)?;
    if bars.is_empty() {
        let (w, h) = plot.dim_in_pixel();
        plot.draw(&Text::new(
            "no run waited",
            (w as i32 / 3, h as i32 / 2),
            (FONT, 20),
        ))?;
    }
    let colors = reason_colors();
    for (i, b) in bars.iter().enumerate() {
        let segments = colors.iter().zip(b.hours).map(|((_, c), h)| (h, *c));
        stacked_bar(&mut chart, (i, names.len()), segments)?;
    }
    let entries: Vec<(String, RGBColor)> = colors
        .iter()
        .enumerate()
        .filter(|(k, _)| bars.iter().any(|b| b.hours[*k] > 0.0))
        .map(|(_, (r, c))| (r.as_str().to_string(), *c))
        .collect();
    legend(&side, &entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(
            [120.0, 2.0, 2.5, 0.5, 0.125, 0.0004].map(tick),
            ["120", "2", "2.5", "0.5", "0.125", "0"]
        );
    }

    /// The texts of a queue-length chart of one target over `horizon_ms`.
    fn queue_chart_texts(horizon_ms: u64) -> Vec<String> {
        let mut d = crate::data::tests::chart_data(&["m"], Default::default());
        d.manifest.horizon_ms = horizon_ms;
        crate::register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            queue_length(&root, &d).expect("drawn");
            root.present().expect("presented");
        }
        svg.split("<text ")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split("</text>").next()?.trim().into()))
            .collect()
    }

    /// A short simulation's time axis is in minutes or seconds, with
    /// labels that differ: in hours, a 10-minute run's ticks read 0.02 to
    /// 0.16, and a 1-second one's all read 0.0.
    #[test]
    fn the_time_axis_unit_follows_the_horizon() {
        for (horizon_ms, unit, last_tick) in [
            (1_000, "time (seconds)", "1.0"),
            (10 * 60_000, "time (minutes)", "10.0"),
            (90 * 60_000, "time (minutes)", "90.0"),
            (2 * 3_600_000, "time (hours)", "2.0"),
            (72 * 3_600_000, "time (hours)", "70.0"),
            (7 * 86_400_000, "time (days)", "7.0"),
        ] {
            let texts = queue_chart_texts(horizon_ms);
            assert!(
                texts.iter().any(|t| t == unit),
                "{horizon_ms} ms: {texts:?}"
            );
            let ticks: Vec<&String> = texts.iter().filter(|t| t.parse::<f64>().is_ok()).collect();
            assert!(
                ticks.iter().any(|t| *t == last_tick),
                "{horizon_ms} ms: {ticks:?}"
            );
            let mut distinct = ticks.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), ticks.len(), "{horizon_ms} ms: {ticks:?}");
        }
    }

    #[test]
    fn beyond_the_targets_drawn_one_bar_is_the_others_mean() {
        // 20 targets: target i waited i + 1 hours, every one for busy bots.
        let names: Vec<String> = (0..20).map(|i| format!("vm{i:02}")).collect();
        let busy = summary::reason_share_column(WaitReason::Busy);
        let summary = crate::data::CsvTable {
            header: vec!["target".into(), "wait_hours".into(), busy.into()],
            rows: (0..20)
                .map(|i| vec![names[i].clone(), (i + 1).to_string(), "1".into()])
                .collect(),
        };
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let d = crate::data::tests::chart_data(&names, summary);
        let bars = reason_bars(&d);
        assert_eq!(bars.len(), MOST_TARGETS + 1);
        assert_eq!(bars[0].name, "vm19");
        assert_eq!(bars[MOST_TARGETS - 1].name, "vm05");
        let others = &bars[MOST_TARGETS];
        assert_eq!(others.name, "mean of 5 others");
        let busy_at = WaitReason::ALL.iter().position(|r| *r == WaitReason::Busy);
        // Targets vm00 to vm04 waited 1 to 5 hours: 3 on average.
        assert_eq!(others.hours[busy_at.expect("busy")], 3.0);
        assert_eq!(others.hours.iter().sum::<f64>(), 3.0);
    }

    /// The value labels of the bot-hours panel of a utilization-and-cost
    /// chart of one target with `bot_hours`: (x of the middle, text).
    fn cost_labels(bot_hours: f64) -> Vec<(f64, String)> {
        let summary = crate::data::CsvTable {
            header: vec!["target".into(), "utilization".into(), "bot_hours".into()],
            rows: vec![vec!["m".into(), "0.73".into(), bot_hours.to_string()]],
        };
        let mut d = crate::data::tests::chart_data(&["m"], summary);
        d.shown = vec![0];
        crate::register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            utilization_cost(&root, &d).expect("drawn");
            root.present().expect("presented");
        }
        let attribute = |tag: &str, name: &str| -> Option<String> {
            let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
            Some(tag[start..].split('"').next()?.to_string())
        };
        svg.split("<text ")
            .skip(1)
            .filter_map(|t| {
                let (tag, rest) = t.split_once('>')?;
                let tag = format!(" {tag}");
                let tag = tag.as_str();
                let text = rest.split("</text>").next()?.trim().to_string();
                let x: f64 = attribute(tag, "x")?.parse().ok()?;
                let middle = attribute(tag, "text-anchor").as_deref() == Some("middle");
                (middle && x > f64::from(SIZE.0 / 2) && text.parse::<f64>().is_ok())
                    .then_some((x, text))
            })
            .collect()
    }

    #[test]
    fn value_labels_do_not_overlap_or_pass_the_edge() {
        // About 6 px a character at the labels' size: neighbours apart by
        // at least their half widths, the last within the picture.
        let px = |text: &str| 6.0 * text.len() as f64;
        for bot_hours in [175_200.0, 8_600.0, 4_446.0, 2_193.0, 21_120.0, 3.0e7] {
            let labels = cost_labels(bot_hours);
            assert!(labels.len() >= 3, "{bot_hours}: {labels:?}");
            for pair in labels.windows(2) {
                let ((a, ta), (b, tb)) = (&pair[0], &pair[1]);
                assert!(b - a >= (px(ta) + px(tb)) / 2.0, "{bot_hours}: {labels:?}");
            }
            let (x, text) = labels.last().expect("labels");
            assert!(
                x + px(text) / 2.0 <= f64::from(SIZE.0),
                "{bot_hours}: {labels:?}"
            );
        }
    }

    #[test]
    fn long_names_are_shortened_in_the_middle() {
        assert_eq!(short("sales"), "sales");
        let a = short("a-rather-long-group-name-1");
        let b = short("a-rather-long-group-name-2");
        assert_eq!(a.chars().count(), 24);
        assert_ne!(a, b);
        assert!(
            a.starts_with("a-rather-lo") && a.ends_with("group-name-1"),
            "{a}"
        );
    }
}
