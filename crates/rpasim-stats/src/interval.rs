//! Confidence intervals by Student's t.

use std::sync::OnceLock;

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The two-sided `confidence` quantile of Student's t with `df` degrees of
/// freedom, e.g. 2.262 for 95 % and 9 df. `None` for df = 0 or a confidence
/// outside (0, 1).
pub fn student_t_quantile(confidence: f64, df: u64) -> Option<f64> {
    if df == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    match usize::try_from(df) {
        Ok(i) if confidence == 0.95 && i < T95.len() => {
            *T95[i].get_or_init(|| searched_t_quantile(confidence, df))
        }
        _ => searched_t_quantile(confidence, df),
    }
}

/// The 95 % quantiles by degrees of freedom, each searched for once: a
/// summary asks for the same few (batch means keep 30 to 60 batches) for
/// every target and flow, and each search costs microseconds.
static T95: [OnceLock<Option<f64>>; 128] = [const { OnceLock::new() }; 128];

fn searched_t_quantile(confidence: f64, df: u64) -> Option<f64> {
    let t = StudentsT::new(0.0, 1.0, df as f64).ok()?;
    Some(t.inverse_cdf(0.5 + confidence / 2.0))
}

/// Two-sided p-value of Welch's t-test that two means differ, from each
/// sample's mean, standard deviation and size (n ≥ 2 each). With no spread
/// at all, different means are certain (p = 0) and equal ones p = 1.
/// `None` whenever the test does not apply: fewer than 2 observations, or
/// a mean or deviation that is not a finite number (a deviation must also
/// be at least 0) — never a panic.
pub fn welch_p_value(
    mean_a: f64,
    sd_a: f64,
    n_a: u64,
    mean_b: f64,
    sd_b: f64,
    n_b: u64,
) -> Option<f64> {
    let finite = [mean_a, sd_a, mean_b, sd_b].iter().all(|x| x.is_finite());
    if n_a < 2 || n_b < 2 || !finite || sd_a < 0.0 || sd_b < 0.0 {
        return None;
    }
    let (va, vb) = (sd_a * sd_a / n_a as f64, sd_b * sd_b / n_b as f64);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return Some(if mean_a == mean_b { 1.0 } else { 0.0 });
    }
    let t = (mean_a - mean_b) / se;
    let df = (va + vb).powi(2) / (va * va / (n_a - 1) as f64 + vb * vb / (n_b - 1) as f64);
    if !t.is_finite() || !df.is_finite() || df <= 0.0 {
        return None;
    }
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some((2.0 * (1.0 - dist.cdf(t.abs()))).clamp(0.0, 1.0))
}

/// A mean with the half-width of its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfidenceInterval {
    /// The estimate.
    pub mean: f64,
    /// Half the width of the interval.
    pub half_width: f64,
    /// Confidence level, e.g. 0.95.
    pub confidence: f64,
    /// Number of independent (or batch) observations behind it.
    pub n: u64,
}

impl ConfidenceInterval {
    /// The interval of the mean of independent observations `xs` (at least 2).
    pub fn of_independent(xs: &[f64], confidence: f64) -> Option<Self> {
        let n = xs.len() as u64;
        if n < 2 {
            return None;
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let t = student_t_quantile(confidence, n - 1)?;
        Some(ConfidenceInterval {
            mean,
            half_width: t * (var / n as f64).sqrt(),
            confidence,
            n,
        })
    }

    /// Lower bound.
    pub fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    /// Upper bound.
    pub fn high(&self) -> f64 {
        self.mean + self.half_width
    }

    /// Whether `x` lies within the interval.
    pub fn contains(&self, x: f64) -> bool {
        self.low() <= x && x <= self.high()
    }

    /// Half-width relative to the mean (infinite for a zero mean).
    pub fn relative_half_width(&self) -> f64 {
        self.half_width / self.mean.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        let t = |c, df| student_t_quantile(c, df).expect("valid");
        assert!((t(0.95, 9) - 2.262).abs() < 1e-3);
        assert!((t(0.999, 30) - 3.646).abs() < 1e-3);
        assert!((t(0.95, 1_000_000) - 1.960).abs() < 1e-3);
        assert_eq!(student_t_quantile(0.95, 0), None);
    }

    /// Remembered quantiles are the searched ones, bit for bit, asked for
    /// once or again.
    #[test]
    fn remembered_t_quantiles_are_the_searched_ones() {
        for df in [1, 2, 29, 59, 127, 128, 500] {
            let searched = searched_t_quantile(0.95, df);
            assert_eq!(student_t_quantile(0.95, df), searched);
            assert_eq!(student_t_quantile(0.95, df), searched);
        }
    }

    #[test]
    fn welch_matches_a_known_case() {
        // Means 10 and 12, sd 2 each, n 10 each: t = -2.236, df = 18, p = 0.038.
        let p = welch_p_value(10.0, 2.0, 10, 12.0, 2.0, 10).expect("n >= 2");
        assert!((p - 0.038).abs() < 0.001, "{p}");
        assert_eq!(welch_p_value(5.0, 0.0, 3, 5.0, 0.0, 3), Some(1.0));
        assert_eq!(welch_p_value(5.0, 0.0, 3, 6.0, 0.0, 3), Some(0.0));
        assert_eq!(welch_p_value(5.0, 1.0, 1, 6.0, 1.0, 3), None);
        // Degenerate inputs give no p-value, and no panic.
        for (m, sd) in [
            (f64::NAN, 1.0),
            (f64::INFINITY, 1.0),
            (5.0, f64::NAN),
            (5.0, -1.0),
        ] {
            assert_eq!(welch_p_value(m, sd, 3, 6.0, 1.0, 3), None, "{m} {sd}");
        }
        assert_eq!(welch_p_value(5.0, 1e-300, 3, 6.0, 1e-300, 3), Some(0.0));
    }

    #[test]
    fn interval_of_known_sample() {
        let ci =
            ConfidenceInterval::of_independent(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95).expect("n >= 2");
        // mean 3, s = sqrt(2.5), t(0.95, 4) = 2.776
        assert_eq!(ci.mean, 3.0);
        assert!((ci.half_width - 2.776 * (2.5f64 / 5.0).sqrt()).abs() < 1e-3);
        assert!(ci.contains(1.1) && !ci.contains(0.9));
    }
}
