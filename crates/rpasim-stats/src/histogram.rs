//! Durations in a histogram: memory stays flat whatever the number of runs,
//! and small for the many small populations of a scenario with thousands of
//! targets and flows.

use std::borrow::Cow;
use std::sync::OnceLock;

use hdrhistogram::Histogram;

/// Significant decimal digits kept by the histogram: quantiles are within
/// 10^-3 (0.1 %) relative error of the exact order statistic.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// Relative error bound of [`DurationHistogram::quantile_ms`].
pub const QUANTILE_RELATIVE_ERROR: f64 = 0.001;

/// A distribution of millisecond durations: exact count, mean and maximum;
/// quantiles within [`QUANTILE_RELATIVE_ERROR`].
///
/// A few durations are kept as they are (an HDR histogram of three
/// significant digits takes ~100 KB, which 20,000 targets and flows cannot
/// afford); beyond [`EXACT_UP_TO`] they go into the HDR histogram. Every
/// answer is computed from an HDR histogram of the same values either way,
/// so the results do not depend on the representation.
#[derive(Debug, Clone)]
pub struct DurationHistogram {
    store: Store,
    sum_ms: u128,
    max_ms: u64,
}

/// Most durations kept as they are before they go into an HDR histogram.
pub const EXACT_UP_TO: usize = 2_048;

#[derive(Debug, Clone)]
enum Store {
    Exact(Vec<u64>),
    Hdr(Histogram<u64>),
}

/// An empty HDR histogram of the precision this module promises.
fn empty_hdr() -> Histogram<u64> {
    let mut histogram =
        Histogram::new(SIGNIFICANT_DIGITS).expect("3 significant digits is a valid precision");
    histogram.auto(true);
    histogram
}

/// An empty histogram of that precision, for its bucket boundaries: which
/// values an HDR histogram counts together depends on the precision alone,
/// not on the values recorded or the range grown to.
fn buckets() -> &'static Histogram<u64> {
    static BUCKETS: OnceLock<Histogram<u64>> = OnceLock::new();
    BUCKETS.get_or_init(empty_hdr)
}

/// What an HDR histogram of `values` answers for the `rank`-th smallest
/// (from 1): the lowest or highest value of its bucket. Read where the
/// values are sorted ([`DurationHistogram::sort_kept`]), else selected in
/// a copy (linear time); either way without building the ~100 KB
/// histogram.
fn kept_at_rank(values: &[u64], rank: u64, lowest: bool) -> u64 {
    let index = (rank.max(1) as usize - 1).min(values.len() - 1);
    let mut copy;
    let value = if values.is_sorted() {
        &values[index]
    } else {
        copy = values.to_vec();
        copy.select_nth_unstable(index).1
    };
    if lowest {
        buckets().lowest_equivalent(*value)
    } else {
        buckets().highest_equivalent(*value)
    }
}

/// Records into an auto-resizing HDR histogram: only values beyond 2^63,
/// which no simulated duration reaches, could fail.
fn record_hdr(h: &mut Histogram<u64>, ms: u64) {
    if h.record(ms).is_err() {
        h.saturating_record(ms);
    }
}

impl Default for DurationHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl DurationHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        DurationHistogram {
            store: Store::Exact(Vec::new()),
            sum_ms: 0,
            max_ms: 0,
        }
    }

    /// Adds one duration.
    pub fn record(&mut self, ms: u64) {
        match &mut self.store {
            Store::Exact(values) if values.len() < EXACT_UP_TO => values.push(ms),
            Store::Exact(_) => {
                let mut h = self.hdr().into_owned();
                record_hdr(&mut h, ms);
                self.store = Store::Hdr(h);
            }
            Store::Hdr(h) => record_hdr(h, ms),
        }
        self.sum_ms += u128::from(ms);
        self.max_ms = self.max_ms.max(ms);
    }

    /// Sorts the durations kept as they are (their order changes no
    /// answer), so that each quantile asked for afterwards is read instead
    /// of selected in a copy of them: a summary row asks for several.
    pub fn sort_kept(&mut self) {
        if let Store::Exact(values) = &mut self.store {
            values.sort_unstable();
        }
    }

    /// The last value kept exactly, beside which the next is kept (for
    /// prefetching; `None` once values are counted in an HDR histogram).
    pub fn next_slot(&self) -> Option<&u64> {
        match &self.store {
            Store::Exact(values) => values.last(),
            Store::Hdr(_) => None,
        }
    }

    /// The HDR histogram of the values (built for the question when they
    /// are kept as they are).
    fn hdr(&self) -> Cow<'_, Histogram<u64>> {
        match &self.store {
            Store::Hdr(h) => Cow::Borrowed(h),
            Store::Exact(values) => {
                let mut h = empty_hdr();
                for v in values {
                    record_hdr(&mut h, *v);
                }
                Cow::Owned(h)
            }
        }
    }

    /// Number of durations recorded.
    pub fn count(&self) -> u64 {
        match &self.store {
            Store::Exact(values) => values.len() as u64,
            Store::Hdr(h) => h.len(),
        }
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
        let count = self.count();
        if count == 0 {
            return 0;
        }
        let value = match &self.store {
            // The rank and bucket end `Histogram::value_at_quantile` takes.
            Store::Exact(values) => {
                let q = q.min(1.0);
                kept_at_rank(values, (q * count as f64).ceil() as u64, q == 0.0)
            }
            Store::Hdr(h) => h.value_at_quantile(q),
        };
        value.min(self.max_ms)
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
        let histogram = match &self.store {
            Store::Exact(values) => {
                return Some(kept_at_rank(values, rank, false).min(self.max_ms));
            }
            Store::Hdr(h) => h,
        };
        let mut seen = 0;
        for v in histogram.iter_recorded() {
            seen += v.count_at_value();
            if seen >= rank {
                let value = histogram.highest_equivalent(v.value_iterated_to());
                return Some(value.min(self.max_ms));
            }
        }
        Some(self.max_ms)
    }

    /// Adds every duration of another histogram.
    pub fn merge(&mut self, other: &DurationHistogram) {
        match (&mut self.store, &other.store) {
            (Store::Exact(mine), Store::Exact(theirs))
                if mine.len() + theirs.len() <= EXACT_UP_TO =>
            {
                mine.extend_from_slice(theirs);
            }
            _ => {
                let mut h = self.hdr().into_owned();
                // Both auto-resize, so adding cannot fail for lack of range.
                let _ = h.add(&*other.hdr());
                self.store = Store::Hdr(h);
            }
        }
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
    fn kept_values_and_the_hdr_histogram_give_the_same_answers() {
        let values: Vec<u64> = (0..EXACT_UP_TO as u64 + 500)
            .map(|i| (i * 7_919) % 3_600_000)
            .collect();
        let mut few = DurationHistogram::new();
        let mut hdr = empty_hdr();
        for (i, v) in values.iter().enumerate() {
            few.record(*v);
            record_hdr(&mut hdr, *v);
            if i % 97 == 0 || i + 1 == values.len() {
                let as_hdr = DurationHistogram {
                    store: Store::Hdr(hdr.clone()),
                    ..few.clone()
                };
                // Sorted, the kept values are read instead of selected.
                let mut sorted = few.clone();
                sorted.sort_kept();
                for q in [0.0, 0.001, 0.5, 0.95, 0.99, 1.0] {
                    let expected = hdr.value_at_quantile(q).min(few.max_ms());
                    assert_eq!(few.quantile_ms(q), expected, "{i} values, q={q}");
                    assert_eq!(sorted.quantile_ms(q), expected, "{i} sorted values, q={q}");
                    for total in [few.count(), few.count() + 1, few.count() * 21 / 20 + 1] {
                        let of_hdr = as_hdr.quantile_of_ms(q, total);
                        assert_eq!(
                            few.quantile_of_ms(q, total),
                            of_hdr,
                            "{i} values of {total}, q={q}"
                        );
                        assert_eq!(sorted.quantile_of_ms(q, total), of_hdr, "{i} sorted, q={q}");
                    }
                }
                assert_eq!(few.count(), hdr.len());
            }
        }
        assert!(matches!(few.store, Store::Hdr(_)), "beyond the limit");
        // Merging small ones stays small; a large one makes it HDR.
        let mut a = DurationHistogram::new();
        let mut b = DurationHistogram::new();
        a.record(5);
        b.record(7);
        a.merge(&b);
        assert!(matches!(a.store, Store::Exact(ref v) if v.len() == 2));
        a.merge(&few);
        assert_eq!(a.count(), few.count() + 2);
        assert_eq!(a.max_ms(), few.max_ms());
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
