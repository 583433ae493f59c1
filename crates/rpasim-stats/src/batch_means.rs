//! The method of batch means: a confidence interval for the mean of an
//! autocorrelated sequence (such as successive waits in a queue) from one
//! long run.
//!
//! Waits of consecutive runs are strongly correlated, so `sd / sqrt(n)`
//! underestimates the error of their mean many times over. Grouping the
//! sequence into a few dozen long batches makes the batch means nearly
//! independent; their spread gives an honest interval. The number of
//! batches stays between `B` and `2B` whatever the length of the sequence
//! (batches are merged pairwise when full), so memory is constant.

use crate::interval::{ConfidenceInterval, student_t_quantile};

/// Streaming batch-means estimator.
#[derive(Debug, Clone)]
pub struct BatchMeans {
    min_batches: usize,
    batch_size: u64,
    /// Sums of the complete batches.
    batch_sums: Vec<f64>,
    current_sum: f64,
    current_len: u64,
}

impl Default for BatchMeans {
    fn default() -> Self {
        Self::new(30)
    }
}

impl BatchMeans {
    /// An estimator keeping between `min_batches` and `2 × min_batches`
    /// batches (30 is a common choice).
    pub fn new(min_batches: usize) -> Self {
        BatchMeans {
            min_batches: min_batches.max(2),
            batch_size: 1,
            batch_sums: Vec::with_capacity(2 * min_batches.max(2)),
            current_sum: 0.0,
            current_len: 0,
        }
    }

    /// Where the next batch sum will be kept (its predecessor's place),
    /// for prefetching.
    pub fn next_slot(&self) -> Option<&f64> {
        self.batch_sums.last()
    }

    /// Adds the next observation of the sequence.
    pub fn push(&mut self, x: f64) {
        self.current_sum += x;
        self.current_len += 1;
        if self.current_len == self.batch_size {
            self.batch_sums.push(self.current_sum);
            self.current_sum = 0.0;
            self.current_len = 0;
            if self.batch_sums.len() == 2 * self.min_batches {
                self.merge_pairs();
            }
        }
    }

    fn merge_pairs(&mut self) {
        let merged: Vec<f64> = self.batch_sums.chunks(2).map(|p| p.iter().sum()).collect();
        self.batch_sums = merged;
        self.batch_size *= 2;
    }

    /// Observations in complete batches (the tail of an incomplete batch is
    /// left out of the estimate).
    pub fn observations(&self) -> u64 {
        self.batch_sums.len() as u64 * self.batch_size
    }

    /// Number of complete batches.
    pub fn batches(&self) -> usize {
        self.batch_sums.len()
    }

    /// The means of the complete batches.
    pub fn batch_means(&self) -> Vec<f64> {
        let size = self.batch_size as f64;
        self.batch_sums.iter().map(|s| s / size).collect()
    }

    /// The mean with its `confidence` interval by Student's t on the batch
    /// means; `None` with fewer than `min_batches` complete batches.
    pub fn interval(&self, confidence: f64) -> Option<ConfidenceInterval> {
        if self.batch_sums.len() < self.min_batches {
            return None;
        }
        let means = self.batch_means();
        let k = means.len() as f64;
        let mean = means.iter().sum::<f64>() / k;
        let var = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (k - 1.0);
        let t = student_t_quantile(confidence, means.len() as u64 - 1)?;
        Some(ConfidenceInterval {
            mean,
            half_width: t * (var / k).sqrt(),
            confidence,
            n: means.len() as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_stay_between_b_and_2b() {
        let mut bm = BatchMeans::new(4);
        for i in 0..1_000 {
            bm.push(i as f64);
            assert!(bm.batches() < 8);
        }
        // 1000 observations: batches of 128 once 8 batches of 64 merged.
        assert_eq!(bm.batch_means().len(), bm.batches());
        assert!(bm.batches() >= 4);
    }

    #[test]
    fn interval_matches_a_hand_computation() {
        let mut bm = BatchMeans::new(3);
        // Batches of one until there are 2 × 3, then merged into 3 of two.
        for x in [1.0, 3.0, 2.0, 4.0, 6.0, 8.0] {
            bm.push(x);
        }
        assert_eq!(bm.batch_means(), vec![2.0, 3.0, 7.0]);
        let ci = bm.interval(0.95).expect("3 batches");
        // mean 4, sample variance of (2,3,7) = 7, t(0.95, 2) = 4.303
        assert_eq!(ci.mean, 4.0);
        assert!((ci.half_width - 4.303 * (7.0f64 / 3.0).sqrt()).abs() < 1e-3);
    }

    #[test]
    fn autocorrelated_sequence_gets_a_wider_interval_than_naive() {
        // An AR(1) sequence with strong correlation.
        let mut bm = BatchMeans::new(30);
        let (mut x, mut state) = (0.0f64, 12345u64);
        let mut naive = Vec::new();
        for _ in 0..200_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5;
            x = 0.99 * x + noise;
            bm.push(x);
            naive.push(x);
        }
        let batch = bm.interval(0.95).expect("enough batches");
        let plain = ConfidenceInterval::of_independent(&naive, 0.95).expect("n >= 2");
        assert!(batch.half_width > 5.0 * plain.half_width);
    }
}
