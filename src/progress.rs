//! The progress bar of long runs: simulated time on stderr, with an ETA.
//! Hidden with `--quiet` and when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rpasim_core::observer::EnvironmentSample;
use rpasim_core::{Observer, RunRecord, SimTime, TargetSample};

/// An observer that moves a progress bar at every sample.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    horizon_days: f64,
}

impl Progress {
    /// A bar over `horizon` of simulated time; hidden if `quiet`.
    pub fn new(horizon: SimTime, quiet: bool) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(Some(horizon.as_millis().max(1)), target);
        let style = ProgressStyle::with_template(
            "{spinner} simulated {msg} [{wide_bar}] {percent}% (ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        Progress {
            bar,
            horizon_days: horizon.as_millis() as f64 / 86_400_000.0,
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Progress {
    fn run_finished(&mut self, _record: &RunRecord) {}

    fn sample(
        &mut self,
        time: SimTime,
        _targets: &[TargetSample],
        _environments: &[EnvironmentSample],
    ) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.set_position(time.as_millis());
        let day = time.as_millis() as f64 / 86_400_000.0;
        self.bar
            .set_message(format!("day {day:.1} of {:.1}", self.horizon_days));
    }
}
