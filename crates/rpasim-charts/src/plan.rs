//! A plan's chart: one goal's metric for every evaluated candidate, against
//! the searched value (or the cost, when several dimensions are searched),
//! with the goal's threshold, the confidence bound of each estimate, and
//! each candidate's verdict marked.

use std::io;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::draw::{self, DrawResult, tick, y_unit};

/// One evaluated candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanPoint {
    /// The searched value, or the cost.
    pub x: f64,
    /// The mean of the goal's metric over the replications.
    pub mean: f64,
    /// The confidence bound that decides: for `<=` the upper bound when
    /// met or undecided, the lower when failed (the reverse for `>=`).
    pub bound: f64,
    /// `meets`, `fails` or `undecided`.
    pub verdict: String,
}

/// What a plan chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanChart {
    /// Caption.
    pub title: String,
    /// X axis description.
    pub x_desc: String,
    /// Y axis description (the goal's metric).
    pub y_desc: String,
    /// The goal's threshold.
    pub threshold: f64,
    /// The candidates, in any order.
    pub points: Vec<PlanPoint>,
}

const MEETS: RGBColor = RGBColor(26, 127, 55);
const FAILS: RGBColor = RGBColor(198, 40, 40);
const UNDECIDED: RGBColor = RGBColor(127, 127, 127);

fn color(verdict: &str) -> RGBColor {
    match verdict {
        "meets" => MEETS,
        "fails" => FAILS,
        _ => UNDECIDED,
    }
}

fn draw_plan<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &PlanChart) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (plot, side) = root.split_horizontally(draw::SIZE.0 - 230);
    // Infinite estimates (runs that never started) are drawn at the top.
    let finite: Vec<f64> = c
        .points
        .iter()
        .flat_map(|p| [p.mean, p.bound])
        .filter(|v| v.is_finite())
        .chain([c.threshold])
        .collect();
    let highest = finite.iter().copied().fold(0.0f64, f64::max);
    // Seconds read in minutes or hours when long, as in sweep charts.
    let (scale, y_desc) = y_unit(&c.y_desc, highest);
    let top = highest.max(1e-9) * 1.15 / scale;
    let clip = |v: f64| {
        if v.is_finite() {
            (v / scale).min(top)
        } else {
            top
        }
    };
    let (x0, x1) = c
        .points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.x), b.max(p.x)));
    let (x0, x1) = if x0 < x1 {
        (x0, x1)
    } else {
        (x0 - 1.0, x0 + 1.0)
    };
    let pad = (x1 - x0) * 0.05;
    let mut chart = ChartBuilder::on(&plot)
        .caption(c.title.as_str(), ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), 0.0..top)?;
    // Whole searched values and costs (bots, add-ons) get whole ticks only.
    let integers = c.points.iter().all(|p| p.x.fract() == 0.0);
    let x_label = |x: &f64| match integers && x.fract() != 0.0 {
        true => String::new(),
        false => tick(*x),
    };
    chart
        .configure_mesh()
        .x_desc(c.x_desc.as_str())
        .y_desc(y_desc)
        .label_style(("sans-serif", 15))
        .x_label_formatter(&x_label)
        .y_label_formatter(&|y: &f64| tick(*y))
        .draw()?;
    let threshold = c.threshold / scale;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x0 - pad, threshold), (x1 + pad, threshold)],
        BLACK.stroke_width(2),
    )))?;
    for p in &c.points {
        let col = color(&p.verdict);
        let (lo, hi) = (clip(p.mean.min(p.bound)), clip(p.mean.max(p.bound)));
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(p.x, lo), (p.x, hi)],
            col.stroke_width(2),
        )))?;
        chart.draw_series(std::iter::once(Circle::new(
            (p.x, clip(p.mean)),
            5,
            col.filled(),
        )))?;
    }
    let entries = [
        ("meets".to_string(), MEETS),
        ("fails".to_string(), FAILS),
        ("undecided".to_string(), UNDECIDED),
        ("threshold".to_string(), BLACK),
    ];
    draw::titled_legend(&side, &["verdict"], &entries, 24)
}

/// Draws `dir/stem.svg` and `dir/stem.png`.
pub fn plan_chart(dir: &Path, stem: &str, chart: &PlanChart) -> io::Result<()> {
    crate::write_svg_and_png(
        dir,
        stem,
        draw::SIZE,
        |root| draw_plan(root, chart),
        |root| draw_plan(root, chart),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_in_minutes_and_costs_in_whole_numbers() {
        let point = |x: f64, mean: f64, verdict: &str| PlanPoint {
            x,
            mean,
            bound: mean * 1.1,
            verdict: verdict.into(),
        };
        let chart = PlanChart {
            title: "urgent.start_p95_s <= 2m".into(),
            x_desc: "cost".into(),
            y_desc: "start_p95_s".into(),
            threshold: 120.0,
            points: vec![point(2.0, 201.0, "fails"), point(4.0, 96.0, "meets")],
        };
        crate::register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, draw::SIZE).into_drawing_area();
            draw_plan(&root, &chart).expect("drawn");
            root.present().expect("presented");
        }
        let labels: Vec<&str> = svg
            .split("</text>")
            .filter_map(|t| t.rsplit('>').next())
            .map(str::trim)
            .collect();
        assert!(labels.contains(&"start_p95_s (minutes)"), "{labels:?}");
        // The threshold of 2 minutes and whole costs, as they are written.
        assert!(labels.contains(&"2") && labels.contains(&"3"), "{labels:?}");
        assert!(
            labels
                .iter()
                .all(|l| !l.ends_with(".0") && !l.ends_with("00")),
            "{labels:?}"
        );
    }
}
