//! Durations in a histogram: memory stays flat whatever the number of runs.

use hdrhistogram::Histogram;

/// Significant decimal digits kept by the histogram: quantiles are within
/// 10^-3 (0.1 %) relative error of the exact order statistic.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// Relative error bound of [`DurationHistogram::quantile_ms`].
pub const QUANTILE_RELATIVE_ERROR: f64 = 0.001;

/// A distribution of millisecond durations: exact count, mean and maximum;
/// quantiles within [`QUANTILE_RELATIVE_ERROR`].
#[derive(Debug, Clone)]
pub struct DurationHistogram {
    histogram: Histogram<u64>,
    sum_ms: u128,
    max_ms: u64,
}

impl Default for DurationHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl DurationHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        let mut histogram =
            Histogram::new(SIGNIFICANT_DIGITS).expect("3 significant digits is a valid precision");
        histogram.auto(true);
        DurationHistogram {
            histogram,
            sum_ms: 0,
            max_ms: 0,
        }
    }

    /// Adds one duration.
    pub fn record(&mut self, ms: u64) {
        // With auto-resize on, recording grows the range and can only fail
        // for values beyond 2^63, which no simulated duration reaches.
        if self.histogram.record(ms).is_err() {
            self.histogram.saturating_record(ms);
        }
        self.sum_ms += u128::from(ms);
        self.max_ms = self.max_ms.max(ms);
    }

    /// Number of durations recorded.
    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// Exact mean in milliseconds (0 when empty).
    pub fn mean_ms(&self) -> f64 {
        match self.count() {
            0 => 0.0,
            n => self.sum_ms as f64 / n as f64,
        }
    }

    /// Exact sum in milliseconds.
    pub fn sum_ms(&self) -> u128 {
        self.sum_ms
    }

    /// Exact maximum in milliseconds (0 when empty).
    pub fn max_ms(&self) -> u64 {
        self.max_ms
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) in milliseconds, within 0.1 %; never
    /// above the exact maximum. 0 when empty.
    pub fn quantile_ms(&self, q: f64) -> u64 {
        if self.count() == 0 {
            return 0;
        }
        self.histogram.value_at_quantile(q).min(self.max_ms)
    }

    /// The `q`-quantile of a population of `total` durations of which this
    /// histogram holds the `count()` smallest, the others being infinite
    /// (runs that never started): `None` when the quantile's rank falls
    /// among the infinite ones. With `total == count()` it is
    /// [`quantile_ms`](Self::quantile_ms). `total` must be at least 1.
    pub fn quantile_of_ms(&self, q: f64, total: u64) -> Option<u64> {
        let finite = self.count();
        if finite >= total {
            return Some(self.quantile_ms(q));
        }
        // The rank (from 1) of the q-quantile among `total` values.
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        if rank > finite {
            return None;
        }
        let mut seen = 0;
        for v in self.histogram.iter_recorded() {
            seen += v.count_at_value();
            if seen >= rank {
                let value = self.histogram.highest_equivalent(v.value_iterated_to());
                return Some(value.min(self.max_ms));
            }
        }
        Some(self.max_ms)
    }

    /// Adds every duration of another histogram.
    pub fn merge(&mut self, other: &DurationHistogram) {
        // Both auto-resize, so adding cannot fail for lack of range.
        let _ = self.histogram.add(&other.histogram);
        self.sum_ms += other.sum_ms;
        self.max_ms = self.max_ms.max(other.max_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_the_error_bound() {
        let mut h = DurationHistogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 37);
        }
        for q in [0.5, 0.95, 0.99] {
            let exact = (q * 100_000.0_f64).ceil() * 37.0;
            let got = h.quantile_ms(q) as f64;
            assert!(
                (got / exact - 1.0).abs() <= QUANTILE_RELATIVE_ERROR,
                "q={q} {got} vs {exact}"
            );
        }
        assert_eq!(h.max_ms(), 3_700_000);
        assert_eq!(h.mean_ms(), 37.0 * 50_000.5);
    }

    #[test]
    fn quantiles_of_a_population_with_infinite_values() {
        let mut h = DurationHistogram::new();
        for v in 1..=90u64 {
            h.record(v * 1_000);
        }
        // 100 values: 90 finite, 10 infinite.
        let near = |got: Option<u64>, exact: f64| {
            got.is_some_and(|g| (g as f64 / exact - 1.0).abs() <= QUANTILE_RELATIVE_ERROR)
        };
        assert!(near(h.quantile_of_ms(0.5, 100), 50_000.0));
        assert!(near(h.quantile_of_ms(0.9, 100), 90_000.0));
        assert_eq!(h.quantile_of_ms(0.91, 100), None);
        assert_eq!(h.quantile_of_ms(0.95, 100), None);
        assert_eq!(h.quantile_of_ms(0.95, 90), Some(h.quantile_ms(0.95)));
        assert_eq!(DurationHistogram::new().quantile_of_ms(0.5, 3), None);
    }

    #[test]
    fn zeros_and_empty() {
        let mut h = DurationHistogram::new();
        assert_eq!((h.quantile_ms(0.5), h.mean_ms(), h.max_ms()), (0, 0.0, 0));
        h.record(0);
        h.record(0);
        h.record(1_000);
        assert_eq!(h.quantile_ms(0.5), 0);
        assert_eq!(h.quantile_ms(1.0), 1_000);
    }
}
