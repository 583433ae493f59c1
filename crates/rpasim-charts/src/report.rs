//! `report.html`: one self-contained page (charts inlined as SVG, no
//! script, no network) that tells the story of a run.

use std::fmt::Write as _;

use rpasim_report::goals::{Measured, human};

use crate::data::{ChartData, CsvTable, parse_ms};

/// Most notable events listed in the report (the rest are in events.csv).
pub const MAX_EVENTS: usize = 500;

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

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1250px;color:#222}\
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}\
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.chart{margin:1.5em 0}\
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
    goals(&mut out, &d.goals);
    out.push_str(
        "<h2>Summary</h2>\n<p>From <code>summary.csv</code>: <code>wait_*</code> in seconds over \
         the runs that started (blank when none did); <code>start_p50_s</code> to \
         <code>start_p99_s</code>, the service level, over every run that arrived \
         (<code>inf</code>: more than that share never started); utilization is busy over \
         available bot time.</p>\n",
    );
    table(&mut out, &d.summary, None);
    if !d.flows.rows.is_empty() {
        out.push_str(
            "<h2>Flows</h2>\n<p>From <code>summary-flows.csv</code>: the same figures for the \
             runs of each flow (a flow shares its target's bots and queue, so it has no \
             utilization, bot-hours or queue length of its own).</p>\n",
        );
        table(&mut out, &d.flows, None);
        if d.flows.rows.len() > MAX_EVENTS {
            let _ = writeln!(
                out,
                "<p>The first {MAX_EVENTS} of {} flows; every one is in <code>summary-flows.csv</code>.</p>",
                d.flows.rows.len()
            );
        }
    }
    out.push_str("<h2>Charts</h2>\n");
    for (name, title, svg) in charts {
        let _ = writeln!(
            out,
            "<div class=\"chart\" id=\"{name}\"><h3>{}</h3>{}</div>",
            escape(title),
            strip_xml_header(svg)
        );
    }
    events(&mut out, &d.events);
    let _ = writeln!(
        out,
        "<h2>Settings</h2>\n<p>The scenario as simulated (with <code>--set</code> overrides applied):</p>\n<pre>{}</pre>",
        escape(&d.scenario_toml)
    );
    out.push_str("</body></html>\n");
    out
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

/// An HTML table of CSV cells, exactly as written; `time_column` shown as a clock.
fn table(out: &mut String, t: &CsvTable, time_column: Option<usize>) {
    out.push_str("<div class=\"wide\"><table>\n<tr>");
    for h in &t.header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>\n");
    for row in t.rows.iter().take(MAX_EVENTS) {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let text = match (time_column, parse_ms(cell)) {
                (Some(c), Some(ms)) if c == i => clock(ms),
                _ => cell.clone(),
            };
            let _ = write!(out, "<td>{}</td>", escape(&text));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n");
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
    for r in &t.rows {
        let (class, verdict) = if r[met] == "yes" {
            ("met", "met")
        } else {
            ("missed", "MISSED")
        };
        let measured = match r[value].as_str() {
            "" => Measured::None,
            rpasim_report::summary::NEVER => Measured::Never,
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
}

fn events(out: &mut String, t: &CsvTable) {
    out.push_str("<h2>Notable events</h2>\n");
    if t.rows.is_empty() {
        out.push_str("<p>None: no maintenance, outage, expiry, image update or setting change happened.</p>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<p>{} events from <code>events.csv</code>{}.</p>",
        t.rows.len(),
        if t.rows.len() > MAX_EVENTS {
            format!(", the first {MAX_EVENTS} listed")
        } else {
            String::new()
        }
    );
    table(out, t, t.column("time_s"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_times_read_as_a_clock() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        assert_eq!(clock(0), "day 1, 00:00:00");
        assert_eq!(
            clock(((2 * 24 + 14) * 3600 + 5 * 60) * 1000),
            "day 3, 14:05:00"
        );
    }
}
