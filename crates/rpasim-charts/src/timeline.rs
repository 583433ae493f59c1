//! What happened on the timeline, for drawing over the time series: spans
//! (maintenance windows, outages) and instants (image updates, setting
//! changes, a group going cold or expiring), read from `events.csv`.

use plotters::prelude::*;

use std::collections::BTreeMap;

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

/// Most spans, and most marks, a target's timeline keeps one by one.
/// Beyond it they are drawn at the resolution of [`BUCKETS`] equal parts of
/// the horizon (a part of about a pixel), so that a chart's size is bounded
/// whatever the number of events: 780,000 outages of a pool made 70 MB
/// SVGs and a 141 MB report when each was a rectangle of its own.
pub const MOST_EXACT: usize = 1_000;

/// Equal parts of the horizon a crowded timeline is drawn at.
pub const BUCKETS: u64 = 1_000;

/// What is drawn of one target's timeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// Shaded spans: in the order they ended (those that never did last)
    /// up to [`MOST_EXACT`]; beyond it, the parts of the horizon some span
    /// covered, maintenance then outages, each in time order.
    pub spans: Vec<Span>,
    /// Instants, in time order; beyond [`MOST_EXACT`], the first of each
    /// colour in each part of the horizon.
    pub marks: Vec<Mark>,
    /// Whether a setting of the target changed during the run (then its
    /// limits drawn as at the start are labelled so).
    pub settings_changed: bool,
}

/// The timelines of some targets, built from `events.csv`'s rows in time
/// order: memory bounded by their machines and [`MOST_EXACT`], however
/// many events the run had.
#[derive(Debug, Clone)]
pub struct TimelineBuilder {
    horizon_ms: u64,
    bucket_ms: u64,
    targets: BTreeMap<String, Building>,
}

/// A target's timeline as it is read.
#[derive(Debug, Clone, Default)]
struct Building {
    /// Spans started and not yet ended, by (kind, machine).
    open: Vec<(SpanKind, String, u64)>,
    spans: Spans,
    marks: Marks,
    settings_changed: bool,
}

/// Spans one by one, or the parts of the horizon each kind covered.
#[derive(Debug, Clone)]
enum Spans {
    Exact(Vec<Span>),
    /// Per kind (maintenance, offline), per part of the horizon.
    Covered([Vec<bool>; 2]),
}

impl Default for Spans {
    fn default() -> Self {
        Spans::Exact(Vec::new())
    }
}

/// Marks one by one, or the first of each colour in each part.
#[derive(Debug, Clone)]
enum Marks {
    Exact(Vec<Mark>),
    /// The time of the first mark by (part, colour).
    Parts(BTreeMap<(u64, (u8, u8, u8)), u64>),
}

impl Default for Marks {
    fn default() -> Self {
        Marks::Exact(Vec::new())
    }
}

impl SpanKind {
    fn index(self) -> usize {
        match self {
            SpanKind::Maintenance => 0,
            SpanKind::Offline => 1,
        }
    }
}

impl TimelineBuilder {
    /// A builder of the timelines of `targets` over `horizon_ms`.
    pub fn new<'a>(targets: impl IntoIterator<Item = &'a str>, horizon_ms: u64) -> Self {
        TimelineBuilder {
            horizon_ms,
            bucket_ms: horizon_ms.div_ceil(BUCKETS).max(1),
            targets: targets
                .into_iter()
                .map(|t| (t.to_string(), Building::default()))
                .collect(),
        }
    }

    /// Takes in one event of `events.csv`: at `at_ms`, `event` of `target`
    /// (on `machine`, of `flow`, each empty when none). Events of other
    /// targets are left.
    pub fn push(&mut self, at_ms: u64, event: &str, target: &str, (machine, flow): (&str, &str)) {
        let bucket_ms = self.bucket_ms;
        let Some(b) = self.targets.get_mut(target) else {
            return;
        };
        let (kind, starts) = match event {
            "maintenance_started" => (SpanKind::Maintenance, true),
            "maintenance_ended" => (SpanKind::Maintenance, false),
            "machine_offline" => (SpanKind::Offline, true),
            "machine_online" => (SpanKind::Offline, false),
            other => {
                // A flow's rate or failures are no limit of the target.
                b.settings_changed |= other == "setting_changed" && flow.is_empty();
                if let Some(color) = mark_color(other) {
                    b.marks.push(Mark { at_ms, color }, bucket_ms);
                }
                return;
            }
        };
        if starts {
            b.open.push((kind, machine.to_string(), at_ms));
        } else if let Some(i) = b
            .open
            .iter()
            .position(|(k, w, _)| *k == kind && w == machine)
        {
            let (_, _, from_ms) = b.open.remove(i);
            let span = Span {
                from_ms,
                to_ms: at_ms,
                kind,
            };
            b.spans.push(span, bucket_ms);
        }
    }

    /// The timelines, by target: spans never ended end at the horizon.
    pub fn finish(self) -> BTreeMap<String, Timeline> {
        let (horizon_ms, bucket_ms) = (self.horizon_ms, self.bucket_ms);
        self.targets
            .into_iter()
            .map(|(name, mut b)| {
                for (kind, _, from_ms) in std::mem::take(&mut b.open) {
                    let span = Span {
                        from_ms,
                        to_ms: horizon_ms,
                        kind,
                    };
                    b.spans.push(span, bucket_ms);
                }
                let timeline = Timeline {
                    spans: b.spans.finish(bucket_ms, horizon_ms),
                    marks: b.marks.finish(),
                    settings_changed: b.settings_changed,
                };
                (name, timeline)
            })
            .collect()
    }
}

/// The part of the horizon `ms` falls in.
fn part(ms: u64, bucket_ms: u64) -> u64 {
    (ms / bucket_ms).min(BUCKETS - 1)
}

impl Spans {
    fn push(&mut self, span: Span, bucket_ms: u64) {
        match self {
            Spans::Exact(spans) if spans.len() < MOST_EXACT => spans.push(span),
            Spans::Exact(spans) => {
                let mut covered = [0, 1].map(|_| vec![false; BUCKETS as usize]);
                for s in spans.drain(..).chain([span]) {
                    cover(&mut covered, &s, bucket_ms);
                }
                *self = Spans::Covered(covered);
            }
            Spans::Covered(covered) => cover(covered, &span, bucket_ms),
        }
    }

    fn finish(self, bucket_ms: u64, horizon_ms: u64) -> Vec<Span> {
        let covered = match self {
            Spans::Exact(spans) => return spans,
            Spans::Covered(covered) => covered,
        };
        let mut spans = Vec::new();
        for kind in [SpanKind::Maintenance, SpanKind::Offline] {
            // Each run of covered parts is one span.
            let mut first = 0;
            for run in covered[kind.index()].chunk_by(|a, b| a == b) {
                let end = first + run.len() as u64;
                if run[0] {
                    spans.push(Span {
                        from_ms: first * bucket_ms,
                        to_ms: (end * bucket_ms).min(horizon_ms),
                        kind,
                    });
                }
                first = end;
            }
        }
        spans
    }
}

/// Marks the parts of the horizon `span` touches as covered by its kind.
fn cover(covered: &mut [Vec<bool>; 2], span: &Span, bucket_ms: u64) {
    let first = part(span.from_ms, bucket_ms);
    let last = part(span.to_ms.saturating_sub(1).max(span.from_ms), bucket_ms);
    covered[span.kind.index()][first as usize..=last as usize].fill(true);
}

impl Marks {
    fn push(&mut self, mark: Mark, bucket_ms: u64) {
        let key = |m: &Mark| (part(m.at_ms, bucket_ms), (m.color.0, m.color.1, m.color.2));
        match self {
            Marks::Exact(marks) if marks.len() < MOST_EXACT => marks.push(mark),
            Marks::Exact(marks) => {
                let mut parts = BTreeMap::new();
                for m in marks.drain(..).chain([mark]) {
                    parts.entry(key(&m)).or_insert(m.at_ms);
                }
                *self = Marks::Parts(parts);
            }
            Marks::Parts(parts) => {
                parts.entry(key(&mark)).or_insert(mark.at_ms);
            }
        }
    }

    fn finish(self) -> Vec<Mark> {
        match self {
            Marks::Exact(marks) => marks,
            Marks::Parts(parts) => parts
                .into_iter()
                .map(|((_, (r, g, b)), at_ms)| Mark {
                    at_ms,
                    color: RGBColor(r, g, b),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The timeline of `g` over 10 s from rows of (time ms, event, target,
    /// machine).
    fn timeline_of_g(rows: &[(u64, &str, &str, &str)]) -> Timeline {
        let mut b = TimelineBuilder::new(["g"], 10_000);
        for (at, event, target, machine) in rows {
            b.push(*at, event, target, (machine, ""));
        }
        b.finish().remove("g").expect("g was asked for")
    }

    #[test]
    fn spans_pair_up_by_machine_and_marks_keep_their_kind() {
        let t = timeline_of_g(&[
            (1_000, "maintenance_started", "g", "m1"),
            (2_000, "machine_offline", "g", "m2"),
            (3_000, "maintenance_ended", "g", "m1"),
            (4_000, "image_updated", "g", ""),
            (5_000, "maintenance_started", "other", ""),
        ]);
        assert_eq!(
            t.spans,
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
        assert_eq!(t.marks.len(), 1);
        assert_eq!(t.marks[0].at_ms, 4_000);
        assert!(!t.settings_changed);
        let changed = timeline_of_g(&[(1_000, "setting_changed", "g", "")]);
        assert!(changed.settings_changed);
        assert_eq!(changed.marks[0].color, RGBColor(0, 130, 130));
        // A flow's setting (its rate) is marked, but leaves the target's
        // limits as they were.
        let mut b = TimelineBuilder::new(["g"], 10_000);
        b.push(1_000, "setting_changed", "g", ("", "invoices"));
        let rate = b.finish().remove("g").expect("g");
        assert!(!rate.settings_changed);
        assert_eq!(rate.marks.len(), 1);
    }

    /// `n` outages of `g`'s machine `m`, the i-th from 10 i ms for 1 ms
    /// (parts of the horizon are 10 ms long).
    fn outages(n: u64) -> Vec<(u64, &'static str, &'static str, &'static str)> {
        (0..n)
            .flat_map(|i| {
                [
                    (10 * i, "machine_offline", "g", "m"),
                    (10 * i + 1, "machine_online", "g", "m"),
                ]
            })
            .collect()
    }

    #[test]
    fn up_to_the_most_exact_spans_each_is_drawn_as_it_was() {
        let t = timeline_of_g(&outages(MOST_EXACT as u64));
        assert_eq!(t.spans.len(), MOST_EXACT);
        assert_eq!((t.spans[7].from_ms, t.spans[7].to_ms), (70, 71));
    }

    #[test]
    fn beyond_the_most_exact_spans_the_parts_they_cover_are_drawn() {
        // One more outage than kept one by one, then a maintenance window
        // over parts 100 to 199 and one never ended from part 990 on.
        let mut rows = outages(MOST_EXACT as u64 / 2);
        rows.extend([
            (1_000, "maintenance_started", "g", "m"),
            (1_995, "maintenance_ended", "g", "m"),
        ]);
        rows.extend((500..MOST_EXACT as u64 + 1).flat_map(|i| {
            [
                (10 * i, "machine_offline", "g", "m"),
                (10 * i + 1, "machine_online", "g", "m"),
            ]
        }));
        rows.sort_by_key(|r| r.0);
        rows.push((9_905, "maintenance_started", "g", "m"));
        let t = timeline_of_g(&rows);
        let span = |from_ms, to_ms, kind| Span {
            from_ms,
            to_ms,
            kind,
        };
        assert_eq!(
            t.spans,
            vec![
                span(1_000, 2_000, SpanKind::Maintenance),
                span(9_900, 10_000, SpanKind::Maintenance),
                // Every part has an outage: one span over the horizon.
                span(0, 10_000, SpanKind::Offline),
            ]
        );
    }

    #[test]
    fn beyond_the_most_exact_marks_the_first_of_each_colour_in_a_part_is_drawn() {
        let mut rows: Vec<_> = (0..MOST_EXACT as u64)
            .map(|i| (i * 3, "image_updated", "g", ""))
            .collect();
        rows.push((3_001, "setting_changed", "g", ""));
        rows.push((3_002, "machine_restarted", "g", ""));
        let t = timeline_of_g(&rows);
        // Marks at 0, 3, 6, 9 ms fall in part 0: its first is kept.
        let image = RGBColor(230, 120, 0);
        let at = |color: RGBColor| {
            t.marks
                .iter()
                .filter(|m| m.color == color)
                .map(|m| m.at_ms)
                .collect::<Vec<_>>()
        };
        let images = at(image);
        assert_eq!(images.len(), 301, "parts 0 to 300 hold image marks");
        assert_eq!(&images[..3], &[0, 12, 21]);
        assert_eq!(images[299], 2_991);
        // A restart has an image update's colour.
        assert_eq!(images[300], 3_002);
        assert_eq!(at(RGBColor(0, 130, 130)), vec![3_001]);
        assert!(t.settings_changed);
    }
}
