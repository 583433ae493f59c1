//! Time series reduced for drawing: at most [`MAX_POINTS`] points per line,
//! whatever the horizon, so a 30-day run draws as fast and as legibly as a
//! 1-day one. The CSV keeps every sample; only the drawing is reduced.
//!
//! Samples are grouped into equal time buckets. Per bucket and target the
//! reduction keeps the peak of the queue and of the demand (running +
//! queued), so short peaks stay visible, and one consistent snapshot of the
//! bots (busy, ready, provisioning): the sample where provisioning peaked,
//! or the last one, so provisioning lags stay visible and stacked bands
//! never exceed the bots that existed. The same samples give the
//! same points whether they come from the simulation or from
//! `timeseries.csv`.

/// Most points per line.
pub const MAX_POINTS: usize = 400;

/// The width of a bucket over `horizon_ms`: at most [`MAX_POINTS`] of
/// them from 0 to the horizon.
fn bucket_ms(horizon_ms: u64) -> u64 {
    horizon_ms.div_ceil(MAX_POINTS as u64 - 1).max(1)
}

/// One reduced point of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeriesPoint {
    /// End of the bucket (ms): the time of its last sample.
    pub time_ms: u64,
    /// Peak queue length in the bucket.
    pub queued_max: u32,
    /// Peak demand (running + queued) in the bucket.
    pub demand_max: u32,
    /// Bots running a run in the bucket's bot snapshot.
    pub busy: u32,
    /// Ready bots in the snapshot.
    pub ready: u32,
    /// Bots provisioning in the snapshot (their peak in the bucket).
    pub provisioning: u32,
}

impl SeriesPoint {
    /// The point of a bucket's first sample.
    fn first(time_ms: u64, v: SampleValues) -> Self {
        SeriesPoint {
            time_ms,
            queued_max: v.queued,
            demand_max: v.running + v.queued,
            busy: v.busy,
            ready: v.ready,
            provisioning: v.provisioning,
        }
    }

    /// Adds a later sample of the same bucket.
    fn add(&mut self, time_ms: u64, v: SampleValues) {
        self.time_ms = time_ms;
        self.queued_max = self.queued_max.max(v.queued);
        self.demand_max = self.demand_max.max(v.running + v.queued);
        if v.provisioning >= self.provisioning {
            (self.busy, self.ready, self.provisioning) = (v.busy, v.ready, v.provisioning);
        }
    }
}

/// The values of one sample of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleValues {
    /// Queued runs.
    pub queued: u32,
    /// Running runs.
    pub running: u32,
    /// Ready bots.
    pub ready: u32,
    /// Provisioning bots.
    pub provisioning: u32,
    /// Busy bots.
    pub busy: u32,
}

/// Reduces samples of several targets into drawable series.
#[derive(Debug, Clone)]
pub struct Downsampler {
    bucket_ms: u64,
    /// Per target, the points so far (the last one still filling).
    series: Vec<Vec<SeriesPoint>>,
}

impl Downsampler {
    /// A downsampler for `targets` targets over `horizon_ms`.
    pub fn new(targets: usize, horizon_ms: u64) -> Self {
        Downsampler {
            bucket_ms: bucket_ms(horizon_ms),
            series: vec![Vec::new(); targets],
        }
    }

    /// Adds one sample of target `target` at `time_ms` (samples in time order).
    pub fn push(&mut self, target: usize, time_ms: u64, v: SampleValues) {
        let bucket = time_ms / self.bucket_ms;
        let Some(series) = self.series.get_mut(target) else {
            return;
        };
        match series.last_mut() {
            Some(p) if p.time_ms / self.bucket_ms == bucket => p.add(time_ms, v),
            _ => series.push(SeriesPoint::first(time_ms, v)),
        }
    }

    /// The reduced series, by target.
    pub fn finish(self) -> Vec<Vec<SeriesPoint>> {
        self.series
    }
}

/// The samples of every target, reduced as a [`Downsampler`] reduces
/// them, for a simulation: the engine samples all its targets at once, in
/// order, so the points are kept by bucket (a row of a point per target),
/// and a sample's row is written front to back. A series per target
/// touched each target's own vector at every sample (a cache miss each
/// with thousands of targets), and each vector's growth copied it again.
#[derive(Debug, Clone)]
pub struct SampleRows {
    bucket_ms: u64,
    targets: usize,
    /// The bucket of the last row: samples come in time order, so only
    /// the last row can take another.
    last_bucket: Option<u64>,
    /// Row after row, a point per target; [`SampleRows::ABSENT`] where a
    /// target had no sample in the row's bucket.
    points: Vec<SeriesPoint>,
}

impl SampleRows {
    /// Where a target had no sample: no sample is that late.
    const ABSENT: SeriesPoint = SeriesPoint {
        time_ms: u64::MAX,
        queued_max: 0,
        demand_max: 0,
        busy: 0,
        ready: 0,
        provisioning: 0,
    };

    /// Rows for `targets` targets over `horizon_ms`, sampled every
    /// `every_ms` from 0 (0: unknown).
    pub fn new(targets: usize, horizon_ms: u64, every_ms: u64) -> Self {
        let bucket_ms = bucket_ms(horizon_ms);
        // Every row at once: grown by doubling, the rows of thousands of
        // targets would be copied, and held twice at the last copy.
        let rows = match every_ms {
            0 => 0,
            every => (horizon_ms / every + 1).min(horizon_ms / bucket_ms + 1),
        };
        SampleRows {
            bucket_ms,
            targets,
            last_bucket: None,
            points: Vec::with_capacity((rows as usize).saturating_mul(targets)),
        }
    }

    /// Adds the samples of targets at `time_ms` (not earlier than any
    /// before), each a target's index and its values.
    pub fn push(&mut self, time_ms: u64, samples: impl IntoIterator<Item = (usize, SampleValues)>) {
        let bucket = time_ms / self.bucket_ms;
        if self.last_bucket != Some(bucket) {
            self.last_bucket = Some(bucket);
            let len = self.points.len() + self.targets;
            self.points.resize(len, Self::ABSENT);
        }
        let row_start = self.points.len() - self.targets;
        let row = &mut self.points[row_start..];
        for (target, v) in samples {
            match row.get_mut(target) {
                Some(p) if p.time_ms == Self::ABSENT.time_ms => *p = SeriesPoint::first(time_ms, v),
                Some(p) => p.add(time_ms, v),
                None => {}
            }
        }
    }

    /// Targets the rows are for.
    pub fn targets(&self) -> usize {
        self.targets
    }

    /// The reduced series of `target`, as a [`Downsampler`] gives it.
    pub fn series(&self, target: usize) -> Vec<SeriesPoint> {
        if target >= self.targets {
            return Vec::new();
        }
        self.points
            .iter()
            .skip(target)
            .step_by(self.targets)
            .filter(|p| p.time_ms != Self::ABSENT.time_ms)
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(queued: u32, busy: u32) -> SampleValues {
        SampleValues {
            queued,
            running: busy,
            ready: 0,
            provisioning: 0,
            busy,
        }
    }

    #[test]
    fn long_series_are_reduced_keeping_peaks() {
        // 30 days sampled every minute: 43,200 samples.
        let horizon = 30 * 24 * 3_600_000;
        let mut d = Downsampler::new(1, horizon);
        for i in 0..=43_200u64 {
            let queued = if i == 20_000 { 99 } else { 1 };
            d.push(0, i * 60_000, v(queued, 2));
        }
        let s = d.finish().remove(0);
        assert!(s.len() <= MAX_POINTS, "{}", s.len());
        assert!(s.len() > MAX_POINTS / 2);
        assert_eq!(
            s.iter().map(|p| p.queued_max).max(),
            Some(99),
            "the peak survives"
        );
        assert_eq!(s.last().map(|p| p.time_ms), Some(horizon));
    }

    proptest::proptest! {
        /// A run's rows give every target the series a downsampler gives
        /// it, whether every target is sampled at every time or only some,
        /// whether the samples are more than the points or fewer.
        #[test]
        fn rows_reduce_as_a_downsampler(
            targets in 1usize..6,
            horizon_ms in 1u64..5_000_000,
            steps in proptest::collection::vec(
                (0u64..40_000, proptest::collection::vec((0usize..6, 0u32..5, 0u32..5, 0u32..3), 0..8)),
                0..600,
            ),
        ) {
            let mut rows = SampleRows::new(targets, horizon_ms, 0);
            let mut each = Downsampler::new(targets, horizon_ms);
            let mut time_ms = 0;
            for (gap, samples) in steps {
                time_ms += gap;
                let samples: Vec<_> = samples
                    .into_iter()
                    .map(|(t, queued, busy, provisioning)| {
                        let mut values = v(queued, busy);
                        values.provisioning = provisioning;
                        (t, values)
                    })
                    .collect();
                for &(t, values) in &samples {
                    each.push(t, time_ms, values);
                }
                rows.push(time_ms, samples);
            }
            let each = each.finish();
            for (t, series) in each.iter().enumerate() {
                proptest::prop_assert_eq!(&rows.series(t), series, "target {}", t);
            }
            proptest::prop_assert!(rows.series(targets).is_empty());
        }
    }

    #[test]
    fn rows_hold_a_point_per_target_and_bucket_reserved_at_once() {
        // 5 days sampled hourly for 3 targets: 121 samples, each a bucket.
        let (horizon, every) = (5 * 24 * 3_600_000, 3_600_000);
        let mut rows = SampleRows::new(3, horizon, every);
        let reserved = rows.points.capacity();
        for i in 0..=120u64 {
            rows.push(i * every, (0..3).map(|t| (t, v(t as u32, 1))));
        }
        assert_eq!(rows.points.len(), 121 * 3);
        assert_eq!(rows.points.capacity(), reserved, "never grown");
        assert_eq!(rows.series(2).len(), 121);
        assert_eq!(rows.series(2)[7].queued_max, 2);
        assert_eq!(rows.series(2).last().map(|p| p.time_ms), Some(horizon));
    }

    #[test]
    fn short_series_are_kept_whole() {
        let mut d = Downsampler::new(2, 3_600_000);
        for i in 0..=12u64 {
            d.push(0, i * 300_000, v(i as u32, 1));
            d.push(1, i * 300_000, v(0, 0));
        }
        let s = d.finish();
        assert_eq!(s[0].len(), 13);
        assert_eq!(s[0][12].demand_max, 13);
    }
}
