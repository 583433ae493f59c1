//! Run-duration distributions.

use rand_distr::{Distribution as _, Exp1, LogNormal};

use crate::random::SimRng;
use crate::time::SimDuration;

/// How long something takes: a constant or a random distribution.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Always the same span.
    Constant(SimDuration),
    /// Exponential with the given mean (memoryless service, as in M/M/c).
    Exponential {
        /// Mean of the distribution.
        mean: SimDuration,
    },
    /// Uniform between `min` and `max`, both included.
    Uniform {
        /// Shortest span.
        min: SimDuration,
        /// Longest span.
        max: SimDuration,
    },
    /// Log-normal with the given mean and standard deviation (of the span
    /// itself, not of its logarithm).
    LogNormal {
        /// Mean of the distribution.
        mean: SimDuration,
        /// Standard deviation of the distribution.
        sd: SimDuration,
    },
    /// The observed values themselves, each drawn with equal probability
    /// (durations measured in a run history).
    Empirical(Vec<SimDuration>),
}

/// Why a distribution's parameters are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistributionError {
    /// A mean that must be positive is zero.
    #[error("the mean must be positive")]
    ZeroMean,
    /// An empirical distribution without a value, or whose values are all 0.
    #[error("an empirical distribution needs at least one positive value")]
    NoValues,
    /// `min` is greater than `max`.
    #[error("min ({min}) is greater than max ({max})")]
    MinAboveMax {
        /// The given minimum.
        min: SimDuration,
        /// The given maximum.
        max: SimDuration,
    },
}

impl Distribution {
    /// Checks that the parameters define a distribution.
    pub fn validate(&self) -> Result<(), DistributionError> {
        match *self {
            Distribution::Constant(_) => Ok(()),
            Distribution::Exponential { mean } | Distribution::LogNormal { mean, .. }
                if mean == SimDuration::ZERO =>
            {
                Err(DistributionError::ZeroMean)
            }
            Distribution::Uniform { min, max } if min > max => {
                Err(DistributionError::MinAboveMax { min, max })
            }
            Distribution::Empirical(ref values)
                if values.iter().all(|v| *v == SimDuration::ZERO) =>
            {
                Err(DistributionError::NoValues)
            }
            _ => Ok(()),
        }
    }

    /// The mean of the distribution.
    pub fn mean(&self) -> SimDuration {
        match *self {
            Distribution::Constant(d) => d,
            Distribution::Exponential { mean } | Distribution::LogNormal { mean, .. } => mean,
            Distribution::Uniform { min, max } => {
                SimDuration::from_millis((min.as_millis() + max.as_millis()) / 2)
            }
            Distribution::Empirical(ref values) => {
                let sum: u128 = values.iter().map(|v| u128::from(v.as_millis())).sum();
                let n = values.len().max(1) as u128;
                SimDuration::from_millis(u64::try_from(sum / n).unwrap_or(u64::MAX))
            }
        }
    }

    /// Builds a sampler; parameters must have passed [`validate`](Self::validate).
    pub fn sampler(&self) -> Sampler {
        let ms = |d: SimDuration| d.as_millis() as f64;
        let kind = match *self {
            Distribution::Empirical(ref values) => SamplerKind::Empirical(values.as_slice().into()),
            Distribution::Constant(d) => SamplerKind::Constant(d),
            Distribution::Exponential { mean } => {
                // The scale `Exp::new(lambda)` keeps (its draws, bit for
                // bit); a positive rate, which it always accepts.
                let lambda = 1.0 / ms(mean).max(1e-9);
                SamplerKind::Exponential {
                    scale: 1.0 / lambda,
                }
            }
            Distribution::Uniform { min, max } => SamplerKind::Uniform {
                min: min.as_millis(),
                max: max.as_millis(),
            },
            Distribution::LogNormal { mean, sd } => {
                match LogNormal::from_mean_cv(ms(mean), ms(sd) / ms(mean).max(1e-9)) {
                    Ok(ln) => SamplerKind::LogNormal(ln),
                    Err(_) => SamplerKind::Constant(mean),
                }
            }
        };
        Sampler { kind }
    }
}

/// A distribution ready to draw from.
#[derive(Debug, Clone)]
pub struct Sampler {
    kind: SamplerKind,
}

#[derive(Debug, Clone)]
enum SamplerKind {
    Constant(SimDuration),
    /// An `Exp1` draw times `scale`, which is what `rand_distr`'s `Exp`
    /// draws. Through `Exp1`, whose draw is marked inline: `Exp`'s is not,
    /// and whether the build inlined it into each run's draw depended on
    /// how the release build split the code into units (unrelated changes
    /// made the engine 6 to 10 % slower by leaving it a call).
    Exponential {
        scale: f64,
    },
    Uniform {
        min: u64,
        max: u64,
    },
    LogNormal(LogNormal<f64>),
    /// Shared, so that cloning a sampler does not copy the values.
    Empirical(std::sync::Arc<[SimDuration]>),
}

impl Sampler {
    /// Draws one span, rounded to the millisecond. A constant consumes no
    /// random number, so switching a flow between constant and random
    /// durations does not shift other streams (they are separate anyway).
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        use rand::RngExt;
        match &self.kind {
            SamplerKind::Constant(d) => *d,
            SamplerKind::Exponential { scale } => {
                let draw: f64 = Exp1.sample(rng);
                SimDuration::from_millis_f64(draw * scale)
            }
            SamplerKind::Uniform { min, max } => {
                SimDuration::from_millis(rng.random_range(*min..=*max))
            }
            SamplerKind::LogNormal(ln) => SimDuration::from_millis_f64(ln.sample(rng)),
            SamplerKind::Empirical(values) => values
                .get(rng.random_range(0..values.len().max(1)))
                .copied()
                .unwrap_or(SimDuration::ZERO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Streams;
    use rand_distr::Exp;

    fn sample_mean(d: &Distribution, n: usize) -> f64 {
        let s = d.sampler();
        let mut rng = Streams::new(1).stream("test");
        (0..n)
            .map(|_| s.sample(&mut rng).as_millis() as f64)
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn exponential_draws_are_rand_distrs() {
        for mean_ms in [1, 7, 60_000, 3_600_000, 123_456_789] {
            let mean = SimDuration::from_millis(mean_ms);
            let sampler = Distribution::Exponential { mean }.sampler();
            let exp = Exp::new(1.0 / mean_ms as f64).expect("valid");
            let (mut a, mut b) = (Streams::new(9).stream("x"), Streams::new(9).stream("x"));
            for _ in 0..10_000 {
                let expected = SimDuration::from_millis_f64(exp.sample(&mut b));
                assert_eq!(sampler.sample(&mut a), expected, "mean {mean_ms} ms");
            }
        }
    }

    #[test]
    fn sample_means_match_parameters() {
        let m = SimDuration::from_mins(6);
        let exp = sample_mean(&Distribution::Exponential { mean: m }, 200_000);
        assert!((exp / 360_000.0 - 1.0).abs() < 0.01, "{exp}");
        let ln = sample_mean(
            &Distribution::LogNormal {
                mean: m,
                sd: SimDuration::from_mins(3),
            },
            200_000,
        );
        assert!((ln / 360_000.0 - 1.0).abs() < 0.01, "{ln}");
        let uni = sample_mean(
            &Distribution::Uniform {
                min: SimDuration::from_mins(10),
                max: SimDuration::from_mins(15),
            },
            200_000,
        );
        assert!((uni / 750_000.0 - 1.0).abs() < 0.005, "{uni}");
    }

    #[test]
    fn empirical_draws_the_observed_values_equally() {
        // 1, 2, ..., 10 minutes: mean 5.5 min, every value about 10 %.
        let values: Vec<SimDuration> = (1..=10).map(SimDuration::from_mins).collect();
        let d = Distribution::Empirical(values.clone());
        assert_eq!(d.mean(), SimDuration::from_millis(330_000));
        let s = d.sampler();
        let mut rng = Streams::new(1).stream("test");
        let n = 100_000;
        let mut counts = [0u32; 10];
        let mut sum = 0u64;
        for _ in 0..n {
            let v = s.sample(&mut rng);
            let i = values
                .iter()
                .position(|x| *x == v)
                .expect("an observed value");
            counts[i] += 1;
            sum += v.as_millis();
        }
        let mean = sum as f64 / f64::from(n);
        assert!((mean / 330_000.0 - 1.0).abs() < 0.01, "{mean}");
        // Each value's share within 5 sd of 10 % (sd = sqrt(0.09 / n)).
        for c in counts {
            let share = f64::from(c) / f64::from(n);
            assert!(
                (share - 0.1).abs() < 5.0 * (0.09 / f64::from(n)).sqrt(),
                "{share}"
            );
        }
        // The same stream gives the same draws.
        let mut a = Streams::new(7).stream("x");
        let mut b = Streams::new(7).stream("x");
        let draws = |r: &mut SimRng| (0..50).map(|_| s.sample(r)).collect::<Vec<_>>();
        assert_eq!(draws(&mut a), draws(&mut b));
        assert_eq!(
            Distribution::Empirical(vec![SimDuration::ZERO]).validate(),
            Err(DistributionError::NoValues)
        );
    }

    #[test]
    fn invalid_parameters_are_reported() {
        assert_eq!(
            Distribution::Exponential {
                mean: SimDuration::ZERO
            }
            .validate(),
            Err(DistributionError::ZeroMean)
        );
        assert!(
            Distribution::Uniform {
                min: SimDuration::from_secs(2),
                max: SimDuration::from_secs(1)
            }
            .validate()
            .is_err()
        );
    }
}
