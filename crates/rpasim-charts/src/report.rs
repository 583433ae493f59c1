//! `report.html`: one self-contained page (charts inlined as SVG, no
//! script, no network) that tells the story of a run.

use std::fmt::Write as _;

use rpasim_core::wait::WaitReason;
use rpasim_report::format::{human_duration, human_share};
use rpasim_report::goals::{Measured, human};
use rpasim_report::summary::{NEVER, reason_share_column};

use crate::data::{ChartData, CsvTable, EventRows, MOST_TARGETS, most_waited, parse_ms};

/// Most rows of a table the report lists (targets, flows, notable events):
/// the files have every one.
pub const MOST_ROWS: usize = 500;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

/// "day 3, 14:05:00" for a time in ms (time 0 is Monday 00:00 of day 1).
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!(
        "day {}, {:02}:{:02}:{:02}",
        s / 86_400 + 1,
        s / 3600 % 24,
        s / 60 % 60,
        s % 60
    )
}

pub(crate) const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1250px;color:#222}\
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}\
th{background:#f3f3f3}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.chart{margin:1.5em 0}\
.overrides{background:#fff4d6;border-left:4px solid #e0a800;padding:.4em .8em}\
.chart svg{max-width:100%;height:auto}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}\
.question{font-size:1.2em;font-style:italic}.wide{overflow-x:auto}\
.goals li{margin:.3em 0}.goals .met strong{color:#1a7f37}.goals .missed strong{color:#c62828}";

/// The page, with the charts' SVG text (name, title, svg).
pub fn html(d: &ChartData, charts: &[(&str, &str, String)]) -> String {
    let m = &d.manifest;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — rpasim</title><style>{STYLE}</style></head><body>\n",
        escape(&m.name)
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(&m.name));
    if let Some(q) = &m.question {
        let _ = writeln!(out, "<p class=\"question\">{}</p>", escape(q));
    }
    facts(&mut out, d);
    goals(&mut out, &d.goals);
    glance(&mut out, d);
    if let Some((_, title, svg)) = charts.iter().find(|(n, _, _)| *n == "wait-reasons") {
        chart(&mut out, "wait-reasons", title, svg);
    }
    out.push_str("<h2>Over time, and per target</h2>\n");
    for (name, title, svg) in charts.iter().filter(|(n, _, _)| *n != "wait-reasons") {
        chart(&mut out, name, title, svg);
    }
    out.push_str(
        "<h2>Summary</h2>\n<p>Every figure of <code>summary.csv</code>, in human units \
         (the file has seconds and fractions): <code>wait_*</code> over the runs that \
         started (blank when none did); <code>start_p50_s</code> to <code>start_p99_s</code>, \
         the service level, over every run that arrived (never: more than that share never \
         started); <code>wait_&lt;reason&gt;_share</code>, where the waiting went.</p>\n",
    );
    summary_table(&mut out, &d.summary);
    if !d.flows.rows.is_empty() {
        out.push_str(
            "<h2>Flows</h2>\n<p>From <code>summary-flows.csv</code>: the same figures for the \
             runs of each flow (a flow shares its target's bots and queue, so it has no \
             utilization, bot-hours or queue length of its own).</p>\n",
        );
        let listed = d.flows.rows.iter().take(MOST_ROWS);
        table(&mut out, &d.flows.header, listed, None);
        if d.flows.rows.len() > MOST_ROWS {
            let _ = writeln!(
                out,
                "<p>The first {MOST_ROWS} of {} flows; every one is in <code>summary-flows.csv</code>.</p>",
                d.flows.rows.len()
            );
        }
    }
    events(&mut out, &d.events);
    settings(&mut out, &d.scenario_toml);
    out.push_str("</body></html>\n");
    out
}

/// Most lines of the scenario the report shows (a scenario of 45,000
/// targets has 400,000): `scenario.toml` beside it has every one.
const MOST_SCENARIO_LINES: usize = 2_000;

/// The scenario as simulated, up to [`MOST_SCENARIO_LINES`] lines.
fn settings(out: &mut String, scenario: &str) {
    let lines = scenario.lines().count();
    let (shown, note) = if lines > MOST_SCENARIO_LINES {
        let end = scenario
            .match_indices('\n')
            .nth(MOST_SCENARIO_LINES - 1)
            .map_or(scenario.len(), |(i, _)| i + 1);
        let note = format!(
            "<p>The first {MOST_SCENARIO_LINES} of its {lines} lines; every one is in <code>scenario.toml</code>.</p>\n"
        );
        (&scenario[..end], note)
    } else {
        (scenario, String::new())
    };
    let _ = writeln!(
        out,
        "<h2>Settings</h2>\n<p>The scenario as simulated (with any <code>--set</code> overrides applied):</p>\n<pre>{}</pre>",
        escape(shown)
    );
    out.push_str(&note);
}

fn duration(ms: u64) -> String {
    let hours = ms as f64 / 3_600_000.0;
    if hours >= 48.0 {
        format!("{:.1} days", hours / 24.0)
    } else {
        format!("{hours:.1} hours")
    }
}

fn strip_xml_header(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

/// An HTML table of CSV cells in human units (durations, shares); text
/// left-aligned, numbers right-aligned; `time_column` shown as a clock.
/// The summary's rows: every target up to [`MOST_ROWS`], else the first
/// of them and `all` (the last row), saying so.
fn summary_table(out: &mut String, t: &CsvTable) {
    let targets = t.rows.len().saturating_sub(1);
    if targets <= MOST_ROWS {
        table(out, &t.header, &t.rows, None);
        return;
    }
    let rows = t.rows[..MOST_ROWS].iter().chain(t.rows.last());
    table(out, &t.header, rows, None);
    let _ = writeln!(
        out,
        "<p>The first {MOST_ROWS} of {targets} targets, and <code>all</code>; every one is in <code>summary.csv</code>.</p>"
    );
}

/// A table of `rows` under `header`.
fn table<'a>(
    out: &mut String,
    header: &[String],
    rows: impl IntoIterator<Item = &'a Vec<String>>,
    time_column: Option<usize>,
) {
    out.push_str("<div class=\"wide\"><table>\n<tr>");
    for (i, h) in header.iter().enumerate() {
        let class = if numeric_column(h) {
            " class=\"num\""
        } else {
            ""
        };
        let name = if time_column == Some(i) {
            "time (day, hh:mm:ss)"
        } else {
            h
        };
        let _ = write!(out, "<th{class}>{}</th>", escape(name));
    }
    out.push_str("</tr>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let column = header.get(i).map_or("", String::as_str);
            let text = match (time_column, parse_ms(cell)) {
                (Some(c), Some(ms)) if c == i => clock(ms),
                _ => human_cell(column, cell),
            };
            let class = if numeric_column(column) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(&text));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n");
}

/// Whether a summary or events column holds numbers.
fn numeric_column(name: &str) -> bool {
    !matches!(
        name,
        "target" | "flow" | "event" | "machine" | "detail" | "goal" | "metric" | "met" | "bound"
    ) && name != "time_s"
}

/// A cell in human units: `_s` columns as durations (`1h35m`, `never`),
/// shares and utilization as percentages; other cells as written.
fn human_cell(column: &str, cell: &str) -> String {
    if cell.is_empty() {
        return String::new();
    }
    if cell == NEVER {
        return "never".into();
    }
    let Ok(x) = cell.parse::<f64>() else {
        return cell.to_string();
    };
    if column.ends_with("_s") {
        human_duration(x)
    } else if rpasim_report::goals::is_fraction(column) {
        human_share(x)
    } else {
        cell.to_string()
    }
}

/// One chart, inlined.
pub(crate) fn chart(out: &mut String, name: &str, title: &str, svg: &str) {
    let _ = writeln!(
        out,
        "<div class=\"chart\" id=\"{name}\"><h3>{}</h3>{}</div>",
        escape(title),
        strip_xml_header(svg)
    );
}

/// The start of a page of plans or sweeps, up to its question: the
/// document's head (`STYLE` and `extra_style`), "`name`: `what`" as its
/// heading, and the scenario's question if it says one.
pub(crate) fn page_head(
    out: &mut String,
    name: &str,
    what: &str,
    question: Option<&str>,
    extra_style: &str,
) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} {what} — \
         rpasim</title><style>{STYLE}{extra_style}</style></head><body>\n",
        escape(name)
    );
    let _ = writeln!(out, "<h1>{}: {what}</h1>", escape(name));
    if let Some(q) = question {
        let _ = writeln!(out, "<p class=\"question\">{}</p>", escape(q));
    }
}

/// A table of texts already in human units, for the pages of plans and
/// sweeps: the `numbers` columns right-aligned, one row marked (bold on
/// green), and, with `last_is_class`, the last cell also the class of its
/// cell (a plan's verdict, coloured).
pub(crate) struct RowsTable<'a> {
    /// The columns' names.
    pub header: &'a [String],
    /// The rows' cells, in order.
    pub rows: &'a [Vec<String>],
    /// The columns of numbers.
    pub numbers: std::ops::Range<usize>,
    /// The row marked (a plan's answer), if any.
    pub marked: Option<usize>,
    /// Whether the last cell of a row is also its class.
    pub last_is_class: bool,
}

impl RowsTable<'_> {
    /// Appends the table to `out`, in a block that scrolls sideways when
    /// it is wider than the page.
    pub(crate) fn write(&self, out: &mut String) {
        out.push_str("<div class=\"wide\"><table><tr>");
        for (i, h) in self.header.iter().enumerate() {
            let class = if self.numbers.contains(&i) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(out, "<th{class}>{}</th>", escape(h));
        }
        out.push_str("</tr>\n");
        for (r, row) in self.rows.iter().enumerate() {
            match self.marked == Some(r) {
                true => out.push_str("<tr class=\"chosen\">"),
                false => out.push_str("<tr>"),
            }
            for (i, cell) in row.iter().enumerate() {
                let class = if self.numbers.contains(&i) {
                    " class=\"num\"".to_string()
                } else if self.last_is_class && i + 1 == row.len() {
                    format!(" class=\"{}\"", escape(cell))
                } else {
                    String::new()
                };
                let _ = write!(out, "<td{class}>{}</td>", escape(cell));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table></div>\n");
    }
}

/// What was simulated, exactly: the scenario, the seed, any overrides.
fn facts(out: &mut String, d: &ChartData) {
    let m = &d.manifest;
    let _ = writeln!(
        out,
        "<p>Scenario <code>{}</code>, seed {}, {} simulated{}, {} runs; rpasim {}.</p>",
        escape(&m.scenario),
        m.seed,
        escape(&duration(m.horizon_ms)),
        if m.warmup_ms > 0 {
            format!(" (statistics after a warm-up of {})", duration(m.warmup_ms))
        } else {
            String::new()
        },
        m.runs,
        escape(&m.rpasim_version)
    );
    if !m.overrides.is_empty() {
        let list: Vec<String> = m
            .overrides
            .iter()
            .map(|o| format!("<code>--set {}</code>", escape(&shell_word(o))))
            .collect();
        let _ = writeln!(
            out,
            "<p class=\"overrides\">Simulated with overrides of the scenario file: {}.</p>",
            list.join(", ")
        );
    }
}

/// `text` as one word of a shell command, so that the `--set` shown can
/// be pasted: as it is when it needs no quoting (`simulation.seed=2`),
/// else in single quotes (`'machines."vm.01".bots=3'`, `'x=a b'`).
pub(crate) fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.,=:/+@%".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// What a reason means, in words.
fn reason_words(r: WaitReason) -> &'static str {
    match r {
        WaitReason::Provisioning => "bots being provisioned",
        WaitReason::Capacity => "no free hosted add-on",
        WaitReason::Busy => "every bot busy",
        WaitReason::Maintenance => "machines in maintenance",
        WaitReason::Offline => "machines offline",
        WaitReason::Selection => "the selection delay",
        WaitReason::Blocked => "blocked behind the queue's head",
        WaitReason::Lost => "work lost to outages",
    }
}

/// "mostly every bot busy (81.0 %), then bots being provisioned (19.0 %)",
/// or "every bot busy (100.0 %)" alone: the reasons of at least 1 % of a
/// row's waiting, largest first.
fn where_it_went(t: &CsvTable, row: &[String]) -> String {
    let mut parts: Vec<(f64, WaitReason)> = WaitReason::ALL
        .iter()
        .map(|r| (t.number(row, reason_share_column(*r)), *r))
        .filter(|(share, _)| *share >= 0.01)
        .collect();
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let words: Vec<String> = parts
        .iter()
        .map(|(share, r)| format!("{} ({})", reason_words(*r), human_share(*share)))
        .collect();
    match words.split_first() {
        None => "nobody waited".into(),
        Some((first, [])) => first.clone(),
        Some((first, rest)) => format!("mostly {first}, then {}", rest.join(", ")),
    }
}

/// The answer first: per target and flow, how soon runs started and where
/// the waiting went.
fn glance(out: &mut String, d: &ChartData) {
    out.push_str(
        "<h2>How soon runs started, and why they waited</h2>\n<p>Time from arrival to \
         start over every run that arrived (a run that never started counts as never), and \
         the time runs spent waiting split by reason (README, \"Why runs wait\").</p>\n",
    );
    out.push_str(
        "<div class=\"wide\"><table>\n<tr><th>target or flow</th><th class=\"num\">arrivals</th>\
         <th class=\"num\">started within (p50)</th><th class=\"num\">(p95)</th>\
         <th class=\"num\">(p99)</th><th class=\"num\">not started</th>\
         <th class=\"num\">hours waited</th><th>where the waiting went</th></tr>\n",
    );
    // The targets the charts draw (those whose runs waited most, when
    // there are too many to draw), and the flows on them.
    let shown = d.target_names();
    for row in d.shown.iter().filter_map(|i| d.summary.rows.get(*i)) {
        glance_row(out, &d.summary, row, &row[0]);
    }
    // Their flows (a sole flow says what its target says); beyond as many
    // as targets are drawn, those whose runs waited most.
    let flows = &d.flows.rows;
    let on_shown: Vec<usize> = (0..flows.len())
        .filter(|i| {
            flows.len() > 1
                && flows[*i]
                    .get(1)
                    .is_some_and(|t| shown.contains(&t.as_str()))
        })
        .collect();
    let of_flows = on_shown.len();
    let listed = if of_flows > MOST_TARGETS {
        most_waited(&d.flows, on_shown.into_iter(), MOST_TARGETS)
    } else {
        on_shown
    };
    for row in listed.iter().map(|i| &flows[*i]) {
        let name = format!("{} (flow, on {})", row[0], row.get(1).map_or("", |s| s));
        glance_row(out, &d.flows, row, &name);
    }
    out.push_str("</table></div>\n");
    let targets = d.manifest.targets.len();
    if shown.len() < targets {
        let _ = writeln!(
            out,
            "<p>The {} of {targets} targets whose runs waited most, as in the charts; the \
             summary below has the others and <code>all</code>.</p>",
            shown.len()
        );
    }
    if listed.len() < of_flows {
        let _ = writeln!(
            out,
            "<p>Of the {of_flows} flows on {}, the {} whose runs waited most; \
             <code>summary-flows.csv</code> has the others.</p>",
            if shown.len() < targets {
                "these targets"
            } else {
                "the targets"
            },
            listed.len(),
        );
    }
}

fn glance_row(out: &mut String, t: &CsvTable, row: &[String], name: &str) {
    let cell = |c: &str| t.column(c).and_then(|i| row.get(i)).map_or("", |s| s);
    let arrivals = t.number(row, "arrivals");
    let not_started = t.number(row, "not_started");
    let not_started = if arrivals > 0.0 && not_started > 0.0 {
        format!("{not_started} ({})", human_share(not_started / arrivals))
    } else {
        format!("{not_started}")
    };
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{:.1}</td><td>{}</td></tr>",
        escape(name),
        escape(cell("arrivals")),
        escape(&human_cell("start_p50_s", cell("start_p50_s"))),
        escape(&human_cell("start_p95_s", cell("start_p95_s"))),
        escape(&human_cell("start_p99_s", cell("start_p99_s"))),
        escape(&not_started),
        t.number(row, "wait_hours"),
        escape(&where_it_went(t, row)),
    );
}

/// The goals first: met or missed, with what the run measured.
fn goals(out: &mut String, t: &CsvTable) {
    if t.rows.is_empty() {
        return;
    }
    let at = |name: &str| t.column(name);
    let (Some(goal), Some(metric), Some(value), Some(met)) =
        (at("goal"), at("metric"), at("value"), at("met"))
    else {
        return;
    };
    let missed = t.rows.iter().filter(|r| r[met] != "yes").count();
    let _ = writeln!(
        out,
        "<h2>Goals</h2>\n<p>{} of {} goals met (from <code>goals.csv</code>; a goal is met \
         only by a value on the right side of its bound: <code>inf</code> or no value never \
         meets it).</p>\n<ul class=\"goals\">",
        t.rows.len() - missed,
        t.rows.len()
    );
    // Beyond what a page can list, the missed goals come first.
    let listed: Vec<&Vec<String>> = if t.rows.len() <= MOST_ROWS {
        t.rows.iter().collect()
    } else {
        let (met_ones, missed_ones): (Vec<_>, Vec<_>) =
            t.rows.iter().partition(|r| r[met] == "yes");
        missed_ones
            .into_iter()
            .chain(met_ones)
            .take(MOST_ROWS)
            .collect()
    };
    for r in listed {
        let (class, verdict) = if r[met] == "yes" {
            ("met", "met")
        } else {
            ("missed", "MISSED")
        };
        let measured = match r[value].as_str() {
            "" => Measured::None,
            NEVER => Measured::Never,
            v => v.parse().map_or(Measured::None, Measured::Value),
        };
        let shown = human(&r[metric], measured);
        let _ = writeln!(
            out,
            "<li class=\"{class}\"><strong>{verdict}</strong> <code>{}</code>: measured {}</li>",
            escape(&r[goal]),
            escape(&shown)
        );
    }
    out.push_str("</ul>\n");
    if t.rows.len() > MOST_ROWS {
        let _ = writeln!(
            out,
            "<p>The first {MOST_ROWS} goals, the missed ones first; every one is in <code>goals.csv</code>.</p>"
        );
    }
}

fn events(out: &mut String, events: &EventRows) {
    out.push_str("<h2>Notable events</h2>\n");
    let (t, total) = (&events.listed, events.total);
    if total == 0 {
        out.push_str("<p>None: no maintenance, outage, expiry, image update or setting change happened.</p>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<p>{total} events from <code>events.csv</code>{}.</p>",
        if total > MOST_ROWS as u64 {
            format!(", the first {MOST_ROWS} listed")
        } else {
            String::new()
        }
    );
    table(out, &t.header, &t.rows, t.column("time_s"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The overrides the report shows can be pasted into a shell.
    #[test]
    fn overrides_are_shown_as_shell_words() {
        assert_eq!(shell_word("simulation.seed=2"), "simulation.seed=2");
        assert_eq!(
            shell_word("machines.\"vm.01\".bots=3"),
            "'machines.\"vm.01\".bots=3'"
        );
        assert_eq!(
            shell_word("flows.a b.priority=high"),
            "'flows.a b.priority=high'"
        );
        assert_eq!(
            shell_word("flows.it's.priority=1"),
            "'flows.it'\\''s.priority=1'"
        );
        assert_eq!(shell_word("x=$(rm -rf ~)"), "'x=$(rm -rf ~)'");
    }

    #[test]
    fn many_goals_list_the_missed_ones_first() {
        let table = |goals: usize| CsvTable {
            header: ["goal", "metric", "value", "met"]
                .map(String::from)
                .to_vec(),
            rows: (0..goals)
                .map(|i| {
                    let met = if i % 100 == 99 { "no" } else { "yes" };
                    [
                        format!("g{i}.arrivals>=1"),
                        "arrivals".into(),
                        "1".into(),
                        met.into(),
                    ]
                    .to_vec()
                })
                .collect(),
        };
        let mut out = String::new();
        goals(&mut out, &table(MOST_ROWS));
        assert_eq!(out.matches("<li").count(), MOST_ROWS);
        assert!(out.contains("495 of 500 goals met") && !out.contains("The first"));
        // In order while they fit: g98 met before g99 missed.
        assert!(out.find("g98.").expect("g98") < out.find("g99.").expect("g99"));
        let mut out = String::new();
        goals(&mut out, &table(10_000));
        assert_eq!(out.matches("<li").count(), MOST_ROWS);
        assert_eq!(out.matches("MISSED").count(), 100);
        assert!(out.find("g9999.").expect("the last missed") < out.find("g0.").expect("g0"));
        assert!(out.contains("9900 of 10000 goals met"));
        assert!(out.contains("The first 500 goals, the missed ones first"));
    }

    #[test]
    fn the_glance_lists_the_flows_that_waited_most_beyond_fifteen() {
        let header = |first: &str| {
            [first, "target", "arrivals", "wait_hours"]
                .map(String::from)
                .to_vec()
        };
        let summary = CsvTable {
            header: header("target"),
            rows: vec![["g", "g", "40", "210"].map(String::from).to_vec()],
        };
        let mut d = crate::data::tests::chart_data(&["g"], summary);
        d.shown = vec![0];
        // Flow i waited i hours; f20 is on no drawn target.
        d.flows = CsvTable {
            header: header("flow"),
            rows: (0..21)
                .map(|i| {
                    let target = if i == 20 { "other" } else { "g" };
                    [format!("f{i}"), target.into(), "2".into(), i.to_string()].to_vec()
                })
                .collect(),
        };
        let mut out = String::new();
        glance(&mut out, &d);
        let listed: Vec<usize> = (0..21)
            .filter(|i| out.contains(&format!("<td>f{i} (flow, on g)</td>")))
            .collect();
        assert_eq!(listed, (5..20).collect::<Vec<_>>());
        assert!(
            out.contains("Of the 20 flows on the targets, the 15 whose runs waited most; <code>summary-flows.csv</code> has the others"),
            "{out}"
        );
        assert!(!out.contains("f20"));
    }

    #[test]
    fn a_long_scenario_shows_its_first_lines() {
        let text: String = (0..2_500).map(|i| format!("# line {i}\n")).collect();
        let mut out = String::new();
        settings(&mut out, &text);
        assert!(
            out.contains("# line 1999\n</pre>"),
            "{}",
            &out[out.len() - 300..]
        );
        assert!(!out.contains("# line 2000"));
        assert!(out.contains("The first 2000 of its 2500 lines"));
        let mut out = String::new();
        settings(&mut out, "a = 1\n");
        assert!(out.contains("<pre>a = 1\n</pre>") && !out.contains("The first"));
    }

    #[test]
    fn a_long_summary_lists_its_first_targets_and_all() {
        let table = |targets: usize| CsvTable {
            header: vec!["target".into(), "arrivals".into()],
            rows: (0..targets)
                .map(|i| vec![format!("vm{i}"), "1".into()])
                .chain([vec!["all".into(), targets.to_string()]])
                .collect(),
        };
        let rows = |html: &str| html.matches("<tr>").count() - 1;
        let mut out = String::new();
        summary_table(&mut out, &table(MOST_ROWS));
        assert_eq!(rows(&out), MOST_ROWS + 1);
        assert!(!out.contains("The first"), "{out}");
        let mut out = String::new();
        summary_table(&mut out, &table(MOST_ROWS + 100));
        assert_eq!(rows(&out), MOST_ROWS + 1);
        assert!(out.contains("<td>vm499</td>") && !out.contains("<td>vm500</td>"));
        assert!(
            out.contains("<tr><td>all</td><td class=\"num\">600</td></tr>"),
            "{out}"
        );
        assert!(out.contains("The first 500 of 600 targets, and <code>all</code>"));
    }

    #[test]
    fn text_is_escaped_and_times_read_as_a_clock() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        assert_eq!(clock(0), "day 1, 00:00:00");
        assert_eq!(human_cell("start_p95_s", "5972.000"), "1h40m");
        assert_eq!(human_cell("start_p95_s", "inf"), "never");
        assert_eq!(human_cell("waited_share", "0.25"), "25.0 %");
        assert_eq!(human_cell("arrivals", "12"), "12");
        assert_eq!(
            clock(((2 * 24 + 14) * 3600 + 5 * 60) * 1000),
            "day 3, 14:05:00"
        );
    }

    #[test]
    fn where_the_waiting_went_reads_as_a_sentence() {
        let shares = |busy: &str, provisioning: &str| {
            let text = format!(
                "target,wait_busy_share,wait_provisioning_share\nt,{busy},{provisioning}\n"
            );
            let t = CsvTable::parse(text.as_bytes()).expect("csv");
            where_it_went(&t, &t.rows[0])
        };
        assert_eq!(shares("1", "0"), "every bot busy (100.0 %)");
        assert_eq!(
            shares("0.81", "0.19"),
            "mostly every bot busy (81.0 %), then bots being provisioned (19.0 %)"
        );
        assert_eq!(shares("0", "0"), "nobody waited");
        assert_eq!(shares("", ""), "nobody waited");
    }
}
