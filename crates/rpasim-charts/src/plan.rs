//! A plan's chart: one goal's metric for every evaluated candidate, against
//! the searched value (or the cost, when several dimensions are searched),
//! with the goal's threshold, the confidence bound of each estimate, and
//! each candidate's verdict marked.

use std::io;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::draw::{self, DrawResult};

/// One evaluated candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanPoint {
    /// The searched value, or the cost.
    pub x: f64,
    /// The mean of the goal's metric over the replications.
    pub mean: f64,
    /// The confidence bound that decides (upper for `<=`, lower for `>=`).
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
    let top = finite.iter().copied().fold(0.0f64, f64::max).max(1e-9) * 1.15;
    let clip = |v: f64| if v.is_finite() { v.min(top) } else { top };
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
    chart
        .configure_mesh()
        .x_desc(c.x_desc.as_str())
        .y_desc(c.y_desc.as_str())
        .label_style(("sans-serif", 15))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x0 - pad, c.threshold), (x1 + pad, c.threshold)],
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
