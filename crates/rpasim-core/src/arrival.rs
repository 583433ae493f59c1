//! Arrival processes: when a flow's runs are triggered.

use std::sync::Arc;

use rand_distr::{Distribution as _, Exp1};

use crate::calendar::{CronSchedule, HOURS_PER_WEEK, RateProfile, hour_of_week};
use crate::random::SimRng;
use crate::time::{MS_PER_HOUR, SimDuration, SimTime};

/// When a flow triggers runs.
#[derive(Debug, Clone)]
pub enum ArrivalProcess {
    /// A Poisson process: `per_hour` runs per hour on average, modulated by
    /// an hour-of-week profile (flat when none is given).
    Poisson {
        /// Mean arrivals per hour where the profile's multiplier is 1.
        per_hour: f64,
        /// Weekly multiplier; `None` is a constant rate.
        profile: Option<Box<RateProfile>>,
    },
    /// Runs at explicit instants; an instant listed twice triggers two runs.
    At(Vec<SimTime>),
    /// A burst of `burst` runs at `start`, `start + every`, `start + 2 every`...
    Every {
        /// Time of the first burst.
        start: SimTime,
        /// Interval between bursts (positive).
        every: SimDuration,
        /// Runs per burst.
        burst: u32,
    },
    /// A burst of `burst` runs at every firing of a cron schedule.
    Cron {
        /// The schedule.
        schedule: CronSchedule,
        /// Runs per firing.
        burst: u32,
    },
    /// Replay of recorded arrival instants (a trace file, already loaded),
    /// shared: a trace of millions of runs is held once, however many
    /// simulations replay it (replications, a sweep's threads). A vector
    /// behind the `Arc`, so that the one read is shared without a copy.
    Trace(Arc<Vec<SimTime>>),
}

impl ArrivalProcess {
    /// The listed instants of an `At` or `Trace` process.
    pub fn instants(&self) -> Option<&[SimTime]> {
        match self {
            ArrivalProcess::At(times) => Some(times),
            ArrivalProcess::Trace(times) => Some(times),
            _ => None,
        }
    }
}

/// The state of one flow's arrival process during a simulation.
#[derive(Debug)]
pub struct ArrivalGenerator {
    process: ArrivalProcess,
    rng: SimRng,
    /// Index into a sorted `At`/`Trace` list.
    cursor: usize,
    /// Time of the last burst of `Every`/`Cron`, `None` before the first.
    last: Option<SimTime>,
    /// A Poisson process's rate per millisecond (where the profile's
    /// multiplier is 1), kept to spare a division per arrival.
    per_ms: f64,
}

impl ArrivalGenerator {
    /// A generator for `process` drawing from `rng` (the flow's own arrival stream).
    pub fn new(mut process: ArrivalProcess, rng: SimRng) -> Self {
        match &mut process {
            ArrivalProcess::At(times) => times.sort_unstable(),
            // Sorted when read from a file; a copy only for one that is not.
            ArrivalProcess::Trace(times) if !times.is_sorted() => {
                Arc::make_mut(times).sort_unstable();
            }
            _ => {}
        }
        let per_ms = poisson_per_ms(&process);
        ArrivalGenerator {
            process,
            rng,
            cursor: 0,
            last: None,
            per_ms,
        }
    }

    /// Changes the rate of a Poisson process (`false` for other processes).
    pub fn set_rate(&mut self, rate: f64) -> bool {
        match &mut self.process {
            ArrivalProcess::Poisson { per_hour, .. } => {
                *per_hour = rate;
                self.per_ms = poisson_per_ms(&self.process);
                true
            }
            _ => false,
        }
    }

    /// The next batch of arrivals strictly after `now` (or at `now` for the
    /// first call), as (time, number of runs); `None` when the process has no
    /// arrival before `horizon`.
    pub fn next(&mut self, now: SimTime, horizon: SimTime) -> Option<(SimTime, u32)> {
        let (time, count) = match &self.process {
            ArrivalProcess::Poisson { profile, .. } => {
                let (rng, per_ms) = (&mut self.rng, self.per_ms);
                let t = next_poisson(rng, now, per_ms, profile.as_deref(), horizon)?;
                (t, 1)
            }
            ArrivalProcess::At(times) => next_listed(times, &mut self.cursor)?,
            ArrivalProcess::Trace(times) => next_listed(times, &mut self.cursor)?,
            ArrivalProcess::Every {
                start,
                every,
                burst,
            } => {
                let t = match self.last {
                    None => *start,
                    Some(last) => last + *every,
                };
                (t, *burst)
            }
            ArrivalProcess::Cron { schedule, burst } => {
                let t = match self.last {
                    None => schedule.next_after(now, true)?,
                    Some(last) => schedule.next_after_firing(last)?,
                };
                (t, *burst)
            }
        };
        self.last = Some(time);
        (time < horizon).then_some((time, count))
    }
}

/// The next instant of a sorted list at `cursor` and how many runs it
/// lists there, moving the cursor past them.
fn next_listed(times: &[SimTime], cursor: &mut usize) -> Option<(SimTime, u32)> {
    let t = *times.get(*cursor)?;
    let count = times[*cursor..].iter().take_while(|x| **x == t).count();
    *cursor += count;
    Some((t, u32::try_from(count).unwrap_or(u32::MAX)))
}

/// The rate per millisecond of a Poisson process (0 for other processes).
fn poisson_per_ms(process: &ArrivalProcess) -> f64 {
    match process {
        ArrivalProcess::Poisson { per_hour, .. } => per_hour / MS_PER_HOUR as f64,
        _ => 0.0,
    }
}

/// The next arrival of a (possibly non-homogeneous) Poisson process after
/// `now`, by inverting the cumulative rate: draw an Exp(1) amount of
/// "expected arrivals" and walk hour segments until it is used up. Exact for
/// piecewise-constant rates, and uses one random number per arrival whatever
/// the profile, which keeps streams aligned across what-if variants.
fn next_poisson(
    rng: &mut SimRng,
    now: SimTime,
    per_ms: f64,
    profile: Option<&RateProfile>,
    horizon: SimTime,
) -> Option<SimTime> {
    let budget: f64 = Exp1.sample(rng);
    let Some(profile) = profile else {
        return Some(now + SimDuration::from_millis_f64(budget / per_ms));
    };
    spend(budget, now, per_ms, profile, horizon, HOURS_PER_WEEK)
}

/// When `budget` expected arrivals from `now` are used up at `per_ms` runs
/// a millisecond times the profile's multipliers, hour by hour, skipping
/// whole weeks after every `skip_after` hours walked without an arrival;
/// `None` if not before `horizon`.
fn spend(
    mut budget: f64,
    now: SimTime,
    per_ms: f64,
    profile: &RateProfile,
    horizon: SimTime,
    skip_after: usize,
) -> Option<SimTime> {
    let mut t = now.as_millis();
    let mut hours_walked = 0;
    while t < horizon.as_millis() {
        if hours_walked == skip_after {
            // A week without an arrival: a gap this long (a low rate, or
            // none at all) is crossed a week at a time, not an hour.
            hours_walked = 0;
            let per_week = per_ms * MS_PER_HOUR as f64 * profile.week_total();
            (t, budget) = skip_weeks(t, budget, per_week, horizon)?;
        }
        hours_walked += 1;
        let segment_end = (t / MS_PER_HOUR + 1) * MS_PER_HOUR;
        let rate = per_ms * profile.multiplier(hour_of_week(SimTime::from_millis(t)));
        let span = (segment_end - t) as f64;
        if rate > 0.0 && rate * span >= budget {
            let offset = SimDuration::from_millis_f64(budget / rate);
            return Some(SimTime::from_millis(t) + offset);
        }
        budget -= rate * span;
        t = segment_end;
    }
    None
}

/// Skips the whole weeks from `t` (an hour boundary) that `budget`
/// expected arrivals outlast at `per_week` expected arrivals a week: the
/// time and budget after them, some budget always left; `None` when the
/// budget outlasts the horizon (or the rate is zero). The profile repeats
/// every week, so whole weeks keep the hour of the week, and the arrivals
/// found are those of the hour-by-hour walk but for the last bits of
/// rounding; a scenario's usual gaps, shorter than a week, never get here.
fn skip_weeks(t: u64, budget: f64, per_week: f64, horizon: SimTime) -> Option<(u64, f64)> {
    const MS_PER_WEEK: u64 = HOURS_PER_WEEK as u64 * MS_PER_HOUR;
    let left = horizon.as_millis().checked_sub(t)?;
    if per_week <= 0.0 || per_week.is_nan() {
        return None;
    }
    let mut weeks = (budget / per_week).floor();
    if budget - weeks * per_week <= 0.0 {
        weeks -= 1.0;
    }
    if weeks <= 0.0 {
        return Some((t, budget));
    }
    // Whole weeks up to the horizon or beyond: no arrival before it.
    if weeks >= left.div_ceil(MS_PER_WEEK) as f64 {
        return None;
    }
    Some((t + weeks as u64 * MS_PER_WEEK, budget - weeks * per_week))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Streams;
    use crate::time::{MS_PER_DAY, SimDuration};
    use proptest::prelude::Just;

    fn all(process: ArrivalProcess, horizon: SimTime) -> Vec<(SimTime, u32)> {
        let mut g = ArrivalGenerator::new(process, Streams::new(3).stream("t"));
        let mut out = Vec::new();
        let mut now = SimTime::ZERO;
        while let Some((t, n)) = g.next(now, horizon) {
            out.push((t, n));
            now = t;
        }
        out
    }

    fn at(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    #[test]
    fn explicit_times_are_sorted_and_grouped() {
        let got = all(ArrivalProcess::At(vec![at(50), at(10), at(50)]), at(100));
        assert_eq!(got, vec![(at(10), 1), (at(50), 2)]);
    }

    #[test]
    fn every_starts_at_start_and_stops_before_horizon() {
        let p = ArrivalProcess::Every {
            start: at(5),
            every: SimDuration::from_millis(10),
            burst: 3,
        };
        assert_eq!(all(p, at(35)), vec![(at(5), 3), (at(15), 3), (at(25), 3)]);
    }

    #[test]
    fn cron_bursts_on_weekday_nights() {
        let p = ArrivalProcess::Cron {
            schedule: CronSchedule::parse("0 2 * * 1-5").expect("valid"),
            burst: 20,
        };
        let got = all(p, SimTime::ZERO + SimDuration::from_days(14));
        assert_eq!(got.len(), 10);
        assert!(
            got.iter()
                .all(|(t, n)| *n == 20 && t.as_millis() % MS_PER_DAY == 2 * MS_PER_HOUR)
        );
    }

    #[test]
    fn poisson_rate_matches_per_hour() {
        let p = ArrivalProcess::Poisson {
            per_hour: 30.0,
            profile: None,
        };
        let n = all(p, SimTime::ZERO + SimDuration::from_days(100)).len() as f64;
        let expected = 30.0 * 24.0 * 100.0;
        // 5 standard deviations of a Poisson count.
        assert!((n - expected).abs() < 5.0 * expected.sqrt(), "{n}");
    }

    #[test]
    fn whole_weeks_are_skipped_leaving_some_budget() {
        const WEEK: u64 = 168 * MS_PER_HOUR;
        let far = at(1_000 * WEEK);
        assert_eq!(skip_weeks(0, 10.5, 1.0, far), Some((10 * WEEK, 0.5)));
        // An exact multiple leaves a whole week's budget, not none.
        assert_eq!(skip_weeks(WEEK, 3.0, 1.0, far), Some((3 * WEEK, 1.0)));
        assert_eq!(skip_weeks(0, 0.5, 1.0, far), Some((0, 0.5)));
        // Used up at or after the horizon, or never: no arrival.
        assert_eq!(skip_weeks(0, 10.5, 1.0, at(10 * WEEK)), None);
        assert_eq!(
            skip_weeks(0, 10.5, 1.0, at(10 * WEEK + 1)),
            Some((10 * WEEK, 0.5))
        );
        assert_eq!(skip_weeks(0, 10.5, 0.0, far), None);
    }

    proptest::proptest! {
        /// Skipping whole weeks finds the arrival of the hour-by-hour walk,
        /// but for rounding, for gaps from minutes to years.
        #[test]
        fn skipping_weeks_finds_the_hour_walk_s_arrival(
            hourly in proptest::array::uniform24(proptest::prop_oneof![Just(0.0), 0.0..3.0f64]),
            daily in proptest::array::uniform7(proptest::prop_oneof![Just(0.0), 0.0..2.0f64]),
            log_per_hour in -5.0..1.0f64,
            budget in 0.0..8.0f64,
            now in 0..(60 * MS_PER_DAY),
            horizon_days in 1..2_000u64,
        ) {
            let profile = RateProfile::new(&hourly, &daily).expect("valid");
            let per_ms = 10f64.powf(log_per_hour) / MS_PER_HOUR as f64;
            let (now, horizon) = (at(now), at(now + horizon_days * MS_PER_DAY));
            let got = spend(budget, now, per_ms, &profile, horizon, HOURS_PER_WEEK);
            // Hour by hour to the end, as before weeks were skipped.
            let want = spend(budget, now, per_ms, &profile, horizon, usize::MAX);
            // Rounding of sums over thousands of hours: a millisecond in
            // a billion of the gap, and the horizon may fall in between.
            let slack = |t: SimTime| 1 + (t.as_millis() - now.as_millis()) / 1_000_000_000;
            match (got, want) {
                (Some(g), Some(w)) => {
                    proptest::prop_assert!(g.as_millis().abs_diff(w.as_millis()) <= slack(w), "{g:?} {w:?}");
                }
                (Some(t), None) | (None, Some(t)) => {
                    proptest::prop_assert!(horizon.as_millis() - t.as_millis() <= slack(t), "{t:?} near {horizon:?}");
                }
                (None, None) => {}
            }
        }
    }

    #[test]
    fn profile_confines_arrivals_to_business_hours() {
        let mut hourly = [0.0; 24];
        hourly[9..17].fill(1.0);
        let daily = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        let profile = RateProfile::new(&hourly, &daily).expect("valid");
        let p = ArrivalProcess::Poisson {
            per_hour: 60.0,
            profile: Some(Box::new(profile)),
        };
        let got = all(p, SimTime::ZERO + SimDuration::from_days(28));
        for (t, _) in &got {
            let h = hour_of_week(*t);
            assert!(
                h / 24 < 5 && (9..17).contains(&(h % 24)),
                "arrival at hour {h}"
            );
        }
        let expected = 60.0 * 8.0 * 5.0 * 4.0;
        let n = got.len() as f64;
        assert!((n - expected).abs() < 5.0 * expected.sqrt(), "{n}");
    }
}
