//! What happened on the timeline, for drawing over the time series: spans
//! (maintenance windows, outages) and instants (image updates, setting
//! changes, a group going cold or expiring), read from `events.csv`.

use plotters::prelude::*;

use crate::data::{ChartData, parse_ms};

/// A shaded span of a target's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Start and end, ms.
    pub from_ms: u64,
    /// End, ms (the horizon when it never ended).
    pub to_ms: u64,
    /// What it was.
    pub kind: SpanKind,
}

/// Kinds of [`Span`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// A maintenance window (of the target or one of its machines).
    Maintenance,
    /// A machine offline.
    Offline,
}

impl SpanKind {
    /// Its colour (light, drawn under the bands).
    pub fn color(self) -> RGBAColor {
        match self {
            SpanKind::Maintenance => RGBColor(148, 103, 189).mix(0.18),
            SpanKind::Offline => RGBColor(90, 90, 90).mix(0.18),
        }
    }
}

/// An instant of a target's timeline, drawn as a vertical line.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// When, ms.
    pub at_ms: u64,
    /// Its colour.
    pub color: RGBColor,
}

/// The colour of an instant event, or `None` for events that are spans or
/// not drawn.
fn mark_color(event: &str) -> Option<RGBColor> {
    Some(match event {
        "image_updated" | "machine_restarted" => RGBColor(230, 120, 0),
        "setting_changed" | "priority_changed" | "access_revoked" => RGBColor(0, 130, 130),
        "group_cold" | "group_expired" | "machine_deleted" => RGBColor(30, 30, 200),
        "certificate_renewed" | "certificate_expired" | "machine_dropped" => RGBColor(200, 0, 0),
        _ => return None,
    })
}

/// The key of the marks, for a chart's header.
pub const MARK_KEY: [(&str, RGBColor); 4] = [
    ("image or restart", RGBColor(230, 120, 0)),
    ("setting changed", RGBColor(0, 130, 130)),
    ("cold or expired", RGBColor(30, 30, 200)),
    ("certificate", RGBColor(200, 0, 0)),
];

/// The spans and marks of `target` (events naming it, or one of its
/// machines), in time order.
pub fn of_target(d: &ChartData, target: &str) -> (Vec<Span>, Vec<Mark>) {
    let t = &d.events;
    let col = |name: &str| t.column(name);
    let (Some(time), Some(event), Some(tgt)) = (col("time_s"), col("event"), col("target")) else {
        return (Vec::new(), Vec::new());
    };
    let machine = col("machine");
    let mut spans = Vec::new();
    let mut marks = Vec::new();
    // Open spans by (kind, machine).
    let mut open: Vec<(SpanKind, String, u64)> = Vec::new();
    for row in t.rows.iter().filter(|r| r[tgt] == target) {
        let Some(at) = parse_ms(&row[time]) else {
            continue;
        };
        let who = machine.map_or(String::new(), |m| row[m].clone());
        let (kind, starts) = match row[event].as_str() {
            "maintenance_started" => (SpanKind::Maintenance, true),
            "maintenance_ended" => (SpanKind::Maintenance, false),
            "machine_offline" => (SpanKind::Offline, true),
            "machine_online" => (SpanKind::Offline, false),
            other => {
                if let Some(color) = mark_color(other) {
                    marks.push(Mark { at_ms: at, color });
                }
                continue;
            }
        };
        if starts {
            open.push((kind, who, at));
        } else if let Some(i) = open.iter().position(|(k, w, _)| *k == kind && *w == who) {
            let (_, _, from) = open.remove(i);
            spans.push(Span {
                from_ms: from,
                to_ms: at,
                kind,
            });
        }
    }
    for (kind, _, from) in open {
        spans.push(Span {
            from_ms: from,
            to_ms: d.manifest.horizon_ms,
            kind,
        });
    }
    (spans, marks)
}

/// Whether a setting of `target` changed during the run (then limits
/// drawn as at the start are labelled so).
pub fn settings_changed(d: &ChartData, target: &str) -> bool {
    let t = &d.events;
    let (Some(event), Some(tgt)) = (t.column("event"), t.column("target")) else {
        return false;
    };
    t.rows
        .iter()
        .any(|r| r[tgt] == target && r[event] == "setting_changed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CsvTable;

    #[test]
    fn spans_pair_up_by_machine_and_marks_keep_their_kind() {
        let mut d = crate::data::tests::empty_data(10_000);
        d.events = CsvTable {
            header: ["time_s", "event", "target", "machine", "flow", "detail"]
                .map(String::from)
                .to_vec(),
            rows: [
                ["1.000", "maintenance_started", "g", "m1", "", "2h"],
                ["2.000", "machine_offline", "g", "m2", "", ""],
                ["3.000", "maintenance_ended", "g", "m1", "", ""],
                ["4.000", "image_updated", "g", "", "", ""],
                ["5.000", "maintenance_started", "other", "", "", ""],
            ]
            .map(|r| r.map(String::from).to_vec())
            .to_vec(),
        };
        let (spans, marks) = of_target(&d, "g");
        assert_eq!(
            spans,
            vec![
                Span {
                    from_ms: 1_000,
                    to_ms: 3_000,
                    kind: SpanKind::Maintenance
                },
                Span {
                    from_ms: 2_000,
                    to_ms: 10_000,
                    kind: SpanKind::Offline
                },
            ]
        );
        assert_eq!(marks.len(), 1);
        assert_eq!(marks[0].at_ms, 4_000);
    }
}
