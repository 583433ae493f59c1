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
            bucket_ms: horizon_ms.div_ceil(MAX_POINTS as u64 - 1).max(1),
            series: vec![Vec::new(); targets],
        }
    }

    /// Starts loading the point of `target` the next `push` updates (with
    /// thousands of targets, a miss each).
    pub fn prefetch(&self, target: usize) {
        if let Some(point) = self.series.get(target).and_then(|s| s.last()) {
            rpasim_core::prefetch::prefetch(point, 1);
        }
    }

    /// Adds one sample of target `target` at `time_ms` (samples in time order).
    pub fn push(&mut self, target: usize, time_ms: u64, v: SampleValues) {
        let bucket = time_ms / self.bucket_ms;
        let Some(series) = self.series.get_mut(target) else {
            return;
        };
        let same_bucket = series
            .last()
            .is_some_and(|p| p.time_ms / self.bucket_ms == bucket);
        let demand = v.running + v.queued;
        if same_bucket {
            if let Some(p) = series.last_mut() {
                p.time_ms = time_ms;
                p.queued_max = p.queued_max.max(v.queued);
                p.demand_max = p.demand_max.max(demand);
                if v.provisioning >= p.provisioning {
                    (p.busy, p.ready, p.provisioning) = (v.busy, v.ready, v.provisioning);
                }
            }
        } else {
            series.push(SeriesPoint {
                time_ms,
                queued_max: v.queued,
                demand_max: demand,
                busy: v.busy,
                ready: v.ready,
                provisioning: v.provisioning,
            });
        }
    }

    /// The reduced series, by target.
    pub fn finish(self) -> Vec<Vec<SeriesPoint>> {
        self.series
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
