//! Statistics for rpasim outputs: quantiles with a bounded error in flat
//! memory, confidence intervals that respect autocorrelation (batch means),
//! and the analytic results of queueing theory used to validate the engine.
//!
//! Invariant: pure computation on numbers; knows nothing of runs, files or
//! the simulation core.

pub mod batch_means;
pub mod histogram;
pub mod interval;
pub mod queueing;

pub use batch_means::BatchMeans;
pub use histogram::DurationHistogram;
pub use interval::{ConfidenceInterval, student_t_quantile, welch_p_value};
