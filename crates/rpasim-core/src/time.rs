//! Simulated time: integer milliseconds since the start of the simulation.
//!
//! Time is never a float: a 30-day horizon in `f64` seconds accumulates
//! rounding error, and two runs of the same scenario must agree to the bit.
//! Simulated time 0 is a Monday 00:00 (see [`calendar`](crate::calendar)).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Milliseconds in one second.
pub const MS_PER_SECOND: u64 = 1_000;
/// Milliseconds in one minute.
pub const MS_PER_MINUTE: u64 = 60 * MS_PER_SECOND;
/// Milliseconds in one hour.
pub const MS_PER_HOUR: u64 = 60 * MS_PER_MINUTE;
/// Milliseconds in one day.
pub const MS_PER_DAY: u64 = 24 * MS_PER_HOUR;

/// An instant of simulated time, in milliseconds since the simulation start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

/// A span of simulated time, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(u64);

impl SimTime {
    /// The start of the simulation.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any reachable one, used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `ms` milliseconds after the start.
    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms)
    }

    /// Milliseconds since the start.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Time elapsed since `earlier` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// Seconds since the start, as a float (for statistics, never for the clock).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MS_PER_SECOND as f64
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A span of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms)
    }

    /// A span of `s` whole seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * MS_PER_SECOND)
    }

    /// A span of `m` whole minutes.
    pub const fn from_mins(m: u64) -> Self {
        SimDuration(m * MS_PER_MINUTE)
    }

    /// A span of `h` whole hours.
    pub const fn from_hours(h: u64) -> Self {
        SimDuration(h * MS_PER_HOUR)
    }

    /// A span of `d` whole days.
    pub const fn from_days(d: u64) -> Self {
        SimDuration(d * MS_PER_DAY)
    }

    /// Rounds a non-negative number of milliseconds to the nearest
    /// millisecond; negative or NaN values become zero.
    pub fn from_millis_f64(ms: f64) -> Self {
        // Below 2^53 every float's fraction is exact, so rounding half away
        // from zero is a truncation and one comparison: the same result as
        // `f64::round`, which is a libm call on baseline x86-64 and is
        // taken for every sampled span.
        // Signed conversions are single instructions there; unsigned ones
        // are not.
        if (0.0..9_007_199_254_740_992.0).contains(&ms) {
            let whole = ms as i64;
            return SimDuration(whole as u64 + u64::from(ms - whole as f64 >= 0.5));
        }
        // `as` saturates for out-of-range floats and maps NaN to 0.
        SimDuration(ms.round().max(0.0) as u64)
    }

    /// The span in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The span in seconds, as a float (for statistics only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MS_PER_SECOND as f64
    }

    /// The span in hours, as a float (for statistics only).
    pub fn as_hours_f64(self) -> f64 {
        self.0 as f64 / MS_PER_HOUR as f64
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
}

impl fmt::Display for SimDuration {
    /// Renders the span the way scenarios write it: `1h30m`, `90s`, `250ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let units = [
            (MS_PER_DAY, "d"),
            (MS_PER_HOUR, "h"),
            (MS_PER_MINUTE, "m"),
            (MS_PER_SECOND, "s"),
            (1, "ms"),
        ];
        let mut rest = self.0;
        for (size, name) in units {
            if rest >= size {
                write!(f, "{}{}", rest / size, name)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        SimDuration(self.0).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
        assert_eq!(
            SimTime::from_millis(5) - SimTime::from_millis(9),
            SimDuration::ZERO
        );
    }

    #[test]
    fn display_uses_scenario_units() {
        assert_eq!(SimDuration::from_mins(90).to_string(), "1h30m");
        assert_eq!(SimDuration::from_millis(90_250).to_string(), "1m30s250ms");
        assert_eq!(SimDuration::from_days(28).to_string(), "28d");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
    }

    #[test]
    fn float_milliseconds_round_to_nearest() {
        assert_eq!(SimDuration::from_millis_f64(1.5).as_millis(), 2);
        assert_eq!(SimDuration::from_millis_f64(-3.0).as_millis(), 0);
        assert_eq!(SimDuration::from_millis_f64(f64::NAN).as_millis(), 0);
    }

    /// The fast path of `from_millis_f64` against the plain formula.
    fn rounded(ms: f64) -> u64 {
        ms.round().max(0.0) as u64
    }

    #[test]
    fn float_milliseconds_round_as_f64_round_at_the_edges() {
        let edges = [
            0.0,
            -0.0,
            0.49999999999999994,
            0.5,
            -0.5,
            -0.49999999999999994,
            2.5,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_991.0,
            9_007_199_254_740_992.0,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        for ms in edges {
            assert_eq!(
                SimDuration::from_millis_f64(ms).as_millis(),
                rounded(ms),
                "{ms}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn float_milliseconds_round_as_f64_round(bits in proptest::num::u64::ANY, small in -1e7..1e13f64) {
            // Any bit pattern (every exponent, NaNs included), and the
            // range sampled spans fall in.
            for ms in [f64::from_bits(bits), small, small.trunc() + 0.5] {
                proptest::prop_assert_eq!(SimDuration::from_millis_f64(ms).as_millis(), rounded(ms));
            }
        }
    }
}
