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
    let (at, margin) = spread(&c.points);
    let (x0, x1) = at
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    let (x0, x1) = if x0 < x1 {
        (x0, x1)
    } else {
        (x0 - 1.0, x0 + 1.0)
    };
    let pad = (x1 - x0) * 0.05 + margin;
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
    let x_desc = match margin > 0.0 {
        true => format!(
            "{} (candidates of the same {} side by side)",
            c.x_desc, c.x_desc
        ),
        false => c.x_desc.clone(),
    };
    chart
        .configure_mesh()
        .x_desc(x_desc)
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
    for (p, x) in c.points.iter().zip(at) {
        let col = color(&p.verdict);
        let (lo, hi) = (clip(p.mean.min(p.bound)), clip(p.mean.max(p.bound)));
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, lo), (x, hi)],
            col.stroke_width(2),
        )))?;
        chart.draw_series(std::iter::once(Circle::new(
            (x, clip(p.mean)),
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

/// Where each of `points` is drawn along the x axis: at its value, and
/// candidates of the same value (several searched keys, one cost) side by
/// side over half the gap between values, in the order of their means.
/// Drawn at one x, each hid the others, whatever their verdicts. Also
/// the room to leave beside the outermost points when any are spread
/// (none otherwise).
fn spread(points: &[PlanPoint]) -> (Vec<f64>, f64) {
    let mut values: Vec<f64> = points.iter().map(|p| p.x).collect();
    values.sort_by(f64::total_cmp);
    values.dedup();
    let gap = values
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    let width = if gap.is_finite() { gap / 2.0 } else { 0.5 };
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&points[a], &points[b]);
        a.x.total_cmp(&b.x).then(a.mean.total_cmp(&b.mean))
    });
    let mut at: Vec<f64> = points.iter().map(|p| p.x).collect();
    let mut margin = 0.0;
    for same in order.chunk_by(|&a, &b| points[a].x == points[b].x) {
        if let [_, .., _] = same {
            let last = (same.len() - 1) as f64;
            for (j, &i) in same.iter().enumerate() {
                at[i] += width * (j as f64 / last - 0.5);
            }
            margin = width / 2.0;
        }
    }
    (at, margin)
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

/// What a plan's `report.html` shows: the answer in words, the goals'
/// charts and every candidate evaluated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanPage {
    /// The scenario's name.
    pub name: String,
    /// The question the scenario answers, if it says.
    pub question: Option<String>,
    /// The scenario file, as given.
    pub scenario: String,
    /// The answer, as the console says it.
    pub answer: String,
    /// When a candidate meets the goals, the dearest cheaper one that
    /// did not, as the console says it.
    pub below: Option<String>,
    /// Whether a candidate meets the goals.
    pub found: bool,
    /// The work done, the bounds' confidence, any contradiction.
    pub details: String,
    /// The scenario with the answer applied, when there is one.
    pub answer_scenario: Option<String>,
    /// The candidates' table header: the searched keys first, then
    /// [`numbers_from`](Self::numbers_from) on the figures, the verdict
    /// last.
    pub header: Vec<String>,
    /// Where the figures start in [`header`](Self::header).
    pub numbers_from: usize,
    /// Each candidate evaluated, cheapest first: its cells (the verdict
    /// last: `meets`, `fails` or `undecided`).
    pub rows: Vec<Vec<String>>,
    /// The row of the answer, if there is one.
    pub answer_row: Option<usize>,
    /// What the table leaves out, if anything ("3 of 40 goals: ...").
    pub table_note: Option<String>,
    /// The goals' charts: (title, SVG text).
    pub charts: Vec<(String, String)>,
}

/// A plan's `report.html`: one self-contained page.
pub fn plan_html(page: &PlanPage) -> String {
    use crate::report::{chart, escape, page_head};
    use std::fmt::Write;
    let mut out = String::new();
    page_head(
        &mut out,
        &page.name,
        "plan",
        page.question.as_deref(),
        PLAN_STYLE,
    );
    let _ = writeln!(
        out,
        "<p>Scenario <code>{}</code>: the cheapest setting of the searched keys that meets \
         every goal, each candidate simulated with replications until its goals' confidence \
         bounds decide (README, \"How many bots do we need?\").</p>",
        escape(&page.scenario)
    );
    let class = if page.found { "found" } else { "none" };
    let _ = writeln!(
        out,
        "<h2>The answer</h2>\n<p class=\"answer {class}\">{}</p>",
        escape(&page.answer)
    );
    if let Some(below) = &page.below {
        let _ = writeln!(
            out,
            "<p>The dearest cheaper candidate evaluated: {}.</p>",
            escape(below)
        );
    }
    let _ = writeln!(out, "<p>{}.</p>", escape(&page.details));
    if let Some(scenario) = &page.answer_scenario {
        let _ = writeln!(
            out,
            "<p>The scenario with the answer applied is <code>scenario.toml</code> beside this \
             page: <code>rpasim run {}</code></p>",
            escape(&crate::report::shell_word(scenario))
        );
    }
    if !page.charts.is_empty() {
        out.push_str("<h2>Each goal, candidate by candidate</h2>\n");
        for (i, (title, svg)) in page.charts.iter().enumerate() {
            chart(&mut out, &format!("goal-{i}"), title, svg);
        }
    }
    out.push_str("<h2>Every candidate evaluated, cheapest first</h2>\n");
    if let Some(note) = &page.table_note {
        let _ = writeln!(out, "<p>{}</p>", escape(note));
    }
    candidates(&mut out, page);
    out.push_str("</body></html>\n");
    out
}

/// The verdicts' colours, as in the charts.
const PLAN_STYLE: &str = ".answer{font-size:1.1em;border-left:4px solid;padding:.4em .8em}\
.answer.found{border-color:#1a7f37;background:#eef8f0}.answer.none{border-color:#c62828;background:#fdeeee}\
td.meets{color:#1a7f37;font-weight:bold}td.fails{color:#c62828}td.undecided{color:#777}\
tr.chosen td{background:#eef8f0;font-weight:bold}";

/// The table of candidates, in the order of the page's rows (cheapest
/// first), the answer's row marked, the verdict coloured.
fn candidates(out: &mut String, page: &PlanPage) {
    let figures = page.numbers_from..page.header.len().saturating_sub(1);
    let table = crate::report::RowsTable {
        header: &page.header,
        rows: &page.rows,
        numbers: figures,
        marked: page.answer_row,
        last_is_class: true,
    };
    table.write(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_page_leads_with_the_answer_and_colours_the_verdicts() {
        let page = PlanPage {
            name: "sales <q>".into(),
            question: Some("How many bots?".into()),
            scenario: "q.toml".into(),
            answer: "machines.vm-03.bots = 3 meets all.start_p95_s <= 1h".into(),
            below: Some("machines.vm-03.bots = 2 fails".into()),
            found: true,
            details: "3 of 10 candidates evaluated, 15 simulations".into(),
            answer_scenario: Some("reports/q plan/scenario.toml".into()),
            header: vec![
                "machines.vm-03.bots".into(),
                "replications".into(),
                "cost".into(),
                "verdict".into(),
            ],
            numbers_from: 1,
            rows: vec![
                vec!["2".into(), "5".into(), "2".into(), "fails".into()],
                vec!["10".into(), "5".into(), "10".into(), "meets".into()],
            ],
            answer_row: Some(1),
            table_note: None,
            charts: vec![("all.start_p95_s <= 1h".into(), "<?xml?><svg>x</svg>".into())],
        };
        let html = plan_html(&page);
        let at = |text: &str| {
            html.find(text)
                .unwrap_or_else(|| panic!("{text} in {html}"))
        };
        // Escaped, in order: the name, the answer, the charts, the table.
        assert!(at("sales &lt;q&gt;: plan") < at("class=\"answer found\">machines.vm-03.bots = 3"));
        assert!(at("answer found") < at("cheaper candidate evaluated: machines.vm-03.bots = 2"));
        assert!(at("answer found") < at("<svg>x</svg>"));
        assert!(!html.contains("<?xml"));
        assert!(at("<svg>x</svg>") < at("<td class=\"meets\">meets</td>"));
        assert!(html.contains("<td class=\"fails\">fails</td>"));
        assert!(html.contains("<td class=\"num\">5</td>"));
        assert!(html.contains("<tr class=\"chosen\"><td>10</td><td class=\"num\">5</td>"));
        assert!(html.contains("<tr><td>2</td>"));
        // Quoted, so that the command can be pasted.
        assert!(html.contains("<code>rpasim run 'reports/q plan/scenario.toml'</code>"));
    }

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

    #[test]
    fn candidates_of_one_cost_stand_side_by_side() {
        let point = |x: f64, mean: f64| PlanPoint {
            x,
            mean,
            bound: mean,
            verdict: "meets".into(),
        };
        // Costs 2, 3 (three candidates, listed out of the order of their
        // means) and 5: the gap between costs is 1, the spread half of it.
        let points = [
            point(3.0, 20.0),
            point(2.0, 50.0),
            point(3.0, 10.0),
            point(5.0, 1.0),
            point(3.0, 30.0),
        ];
        assert_eq!(spread(&points), (vec![3.0, 2.0, 2.75, 5.0, 3.25], 0.25));
        // Values apart (one searched key) stay where they are.
        let apart = [point(12.0, 3.0), point(16.0, 2.0), point(14.0, 1.0)];
        assert_eq!(spread(&apart), (vec![12.0, 16.0, 14.0], 0.0));
        // One value alone: spread over half a unit.
        assert_eq!(
            spread(&[point(7.0, 2.0), point(7.0, 1.0)]),
            (vec![7.25, 6.75], 0.25)
        );
    }
}
