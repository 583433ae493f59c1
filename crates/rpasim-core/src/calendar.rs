//! The simulated calendar: time 0 is Monday 2024-01-01 00:00, with no time
//! zone and no daylight saving, so every day has 24 hours.
//!
//! Planners think in business hours, nightly batches and quiet weekends; this
//! module turns the clock into hours of the week and calendar dates.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use crate::time::{MS_PER_DAY, MS_PER_HOUR, MS_PER_SECOND, SimTime};

/// Hours in a week: the period of a rate profile.
pub const HOURS_PER_WEEK: usize = 24 * 7;

/// The calendar date and time of simulated time 0 (a Monday).
pub fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// The calendar date and time of a simulated instant.
pub fn to_datetime(t: SimTime) -> NaiveDateTime {
    // i64 milliseconds cover ±292 million years: no overflow for any horizon.
    epoch() + TimeDelta::milliseconds(t.as_millis().min(i64::MAX as u64) as i64)
}

/// The simulated instant of a calendar date and time (`None` before time 0).
pub fn from_datetime(dt: NaiveDateTime) -> Option<SimTime> {
    let ms = (dt - epoch()).num_milliseconds();
    u64::try_from(ms).ok().map(SimTime::from_millis)
}

/// Hour of the week of `t`: 0 is Monday 00:00–01:00, 167 is Sunday 23:00.
pub fn hour_of_week(t: SimTime) -> usize {
    ((t.as_millis() % (7 * MS_PER_DAY)) / MS_PER_HOUR) as usize
}

/// A weekly arrival-rate multiplier: one value per hour of the day times one
/// value per day of the week (Monday first).
#[derive(Debug, Clone, PartialEq)]
pub struct RateProfile {
    weekly: [f64; HOURS_PER_WEEK],
}

impl RateProfile {
    /// Combines 24 hourly and 7 daily multipliers; `None` when any is
    /// negative or not finite.
    pub fn new(hourly: &[f64; 24], daily: &[f64; 7]) -> Option<Self> {
        let valid = |x: &f64| x.is_finite() && *x >= 0.0;
        if !hourly.iter().all(valid) || !daily.iter().all(valid) {
            return None;
        }
        let mut weekly = [0.0; HOURS_PER_WEEK];
        for (i, w) in weekly.iter_mut().enumerate() {
            *w = daily[i / 24] * hourly[i % 24];
        }
        Some(RateProfile { weekly })
    }

    /// A profile equal to 1 at every hour.
    pub fn flat() -> Self {
        RateProfile {
            weekly: [1.0; HOURS_PER_WEEK],
        }
    }

    /// The multiplier in force during hour `h` of the week.
    pub fn multiplier(&self, hour_of_week: usize) -> f64 {
        self.weekly[hour_of_week % HOURS_PER_WEEK]
    }

    /// Whether the multiplier is zero at every hour (no arrival ever).
    pub fn is_zero(&self) -> bool {
        self.weekly.iter().all(|m| *m == 0.0)
    }

    /// The integral of the multiplier over the first `hours` hours from
    /// time 0 (Monday 00:00): the expected arrivals at a rate of 1 an hour.
    pub fn integral(&self, hours: f64) -> f64 {
        if hours.is_nan() || hours <= 0.0 {
            return 0.0;
        }
        let week = HOURS_PER_WEEK as f64;
        let weeks = (hours / week).floor();
        let rest = hours - weeks * week;
        let mut sum = weeks * self.weekly.iter().sum::<f64>();
        for (h, m) in self.weekly.iter().enumerate() {
            let covered = (rest - h as f64).clamp(0.0, 1.0);
            sum += covered * m;
        }
        sum
    }

    /// The sum of the multipliers over a week: the expected arrivals in a
    /// week at a rate of 1 an hour.
    pub fn week_total(&self) -> f64 {
        self.weekly.iter().sum()
    }

    /// Mean multiplier over a week.
    pub fn mean(&self) -> f64 {
        self.weekly.iter().sum::<f64>() / HOURS_PER_WEEK as f64
    }
}

/// A cron schedule evaluated on the simulated calendar: five fields (or six
/// with leading seconds), POSIX weekdays where 0 and 7 are Sunday and 1 is
/// Monday, plus croner's extensions (`L`, `#`, `W`, names such as `MON`).
///
/// Croner walks the calendar field by field, about 2 microseconds a
/// firing. A schedule firing every few minutes fires hundreds of times a
/// day, so firings within a day are found from the pattern's times of day
/// (its seconds, minutes and hours, the same on every day it fires), and
/// croner is asked only whether the day fires, and for the next day that
/// does.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    // Boxed, all of it: a parsed pattern is a few hundred bytes, and
    // arrival processes are moved around by value and sit in every flow's
    // state, whatever its process.
    parsed: Box<Parsed>,
}

/// A cron pattern as parsed, with its times of day.
#[derive(Debug, Clone)]
struct Parsed {
    cron: croner::Cron,
    times_of_day: Option<TimesOfDay>,
    pattern: String,
}

/// The seconds of a day at which a schedule fires on the days it fires:
/// every combination of its hours, minutes and seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TimesOfDay {
    seconds: u64,
    minutes: u64,
    hours: u64,
}

/// Seconds in a day.
const SECONDS_PER_DAY: u64 = MS_PER_DAY / MS_PER_SECOND;

impl TimesOfDay {
    /// The times of day of a parsed pattern; `None` if a field allows no
    /// value (croner then finds nothing either).
    fn of(pattern: &croner::CronPattern) -> Option<Self> {
        let bits = |c: &croner::CronComponent, below: u16| {
            c.values()
                .into_iter()
                .filter(|v| *v < below)
                .fold(0u64, |b, v| b | 1 << v)
        };
        let t = TimesOfDay {
            seconds: bits(&pattern.seconds, 60),
            minutes: bits(&pattern.minutes, 60),
            hours: bits(&pattern.hours, 24),
        };
        (t.seconds != 0 && t.minutes != 0 && t.hours != 0).then_some(t)
    }

    /// The first second of the day at or after `second` (below 86,400)
    /// at which the schedule fires on a day it fires.
    fn first_from(&self, second: u64) -> Option<u64> {
        let (h, m, s) = (second / 3600, second / 60 % 60, second % 60);
        let at = |h: u64, m: u64, s: u64| h * 3600 + m * 60 + s;
        let (first_minute, first_second) = (
            u64::from(self.minutes.trailing_zeros()),
            u64::from(self.seconds.trailing_zeros()),
        );
        if self.hours >> h & 1 == 1 {
            if self.minutes >> m & 1 == 1
                && let Some(s) = next_bit(self.seconds, s)
            {
                return Some(at(h, m, s));
            }
            if let Some(m) = next_bit(self.minutes, m + 1) {
                return Some(at(h, m, first_second));
            }
        }
        next_bit(self.hours, h + 1).map(|h| at(h, first_minute, first_second))
    }

    /// Its `n`-th time of day, counting from 1.
    fn nth(&self, n: u64) -> Option<u64> {
        let per_minute = u64::from(self.seconds.count_ones());
        let per_hour = u64::from(self.minutes.count_ones()) * per_minute;
        let i = n.checked_sub(1)?;
        let hour = nth_bit(self.hours, i / per_hour)?;
        let minute = nth_bit(self.minutes, i % per_hour / per_minute)?;
        let second = nth_bit(self.seconds, i % per_minute)?;
        Some(hour * 3600 + minute * 60 + second)
    }

    /// How many of its times of day come before `second` (at most
    /// 86,400: the whole day).
    fn count_before(&self, second: u64) -> u64 {
        let ones = |bits: u64, below: u64| u64::from((bits & low_bits(below)).count_ones());
        let all = |bits: u64| u64::from(bits.count_ones());
        if second >= SECONDS_PER_DAY {
            return all(self.hours) * all(self.minutes) * all(self.seconds);
        }
        let (h, m, s) = (second / 3600, second / 60 % 60, second % 60);
        let mut count = ones(self.hours, h) * all(self.minutes) * all(self.seconds);
        if self.hours >> h & 1 == 1 {
            count += ones(self.minutes, m) * all(self.seconds);
            if self.minutes >> m & 1 == 1 {
                count += ones(self.seconds, s);
            }
        }
        count
    }
}

/// The lowest set bit of `bits` at or above `from`.
fn next_bit(bits: u64, from: u64) -> Option<u64> {
    let above = bits & !low_bits(from);
    (above != 0).then(|| u64::from(above.trailing_zeros()))
}

/// The position of the `i`-th set bit of `bits`, counting from 0.
fn nth_bit(mut bits: u64, i: u64) -> Option<u64> {
    for _ in 0..i {
        bits &= bits.checked_sub(1)?;
    }
    (bits != 0).then(|| u64::from(bits.trailing_zeros()))
}

/// A mask of the bits below `n` (all of them from 64 on).
fn low_bits(n: u64) -> u64 {
    if n >= 64 { u64::MAX } else { (1 << n) - 1 }
}

impl CronSchedule {
    /// Parses a cron pattern such as `0 2 * * 1-5`. A year field (a
    /// seventh) is refused: the simulated calendar's years are a
    /// convention (time 0 is in 2024), not the user's.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let parser = croner::parser::CronParser::builder()
            .year(croner::parser::Year::Disallowed)
            .build();
        let cron = parser.parse(pattern).map_err(|e| e.to_string())?;
        Ok(CronSchedule {
            parsed: Box::new(Parsed {
                times_of_day: TimesOfDay::of(&cron.pattern),
                cron,
                pattern: pattern.to_string(),
            }),
        })
    }

    /// Whether the schedule fires at all: a valid pattern may name a day
    /// its months never have (`0 0 30 2 *`).
    ///
    /// Without a year field, whether an instant fires depends only on the
    /// time of day, the date within its year and the year's type (which
    /// weekday its first day is, whether it is a leap year). Between two
    /// century years every type comes round within 28 years, so a
    /// schedule that fires at all fires within any 28 such years. The
    /// search starts 29 years before croner's last year (4971–4999, no
    /// century year among them): for a schedule that never fires, croner
    /// gives up there after 29 years instead of the 2,976 from time 0
    /// (20 ms for each such flow).
    pub fn fires_ever(&self) -> bool {
        let start = NaiveDate::from_ymd_opt(croner::YEAR_UPPER_LIMIT - 29, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        self.parsed.cron.find_next_occurrence(&start, true).is_ok()
    }

    /// The pattern as written.
    pub fn pattern(&self) -> &str {
        &self.parsed.pattern
    }

    /// The first firing at or after `t` (`inclusive`) or strictly after it.
    pub fn next_after(&self, t: SimTime, inclusive: bool) -> Option<SimTime> {
        self.later_today(t, inclusive, false)
            .or_else(|| self.croner_next(t, inclusive))
    }

    /// The firing after `firing`, itself a firing of this schedule (an
    /// arrival process walks from one to the next): its day fires, so a
    /// later firing that day is found without asking croner about the day.
    pub fn next_after_firing(&self, firing: SimTime) -> Option<SimTime> {
        debug_assert_eq!(self.next_after(firing, true), Some(firing), "not a firing");
        self.later_today(firing, false, true)
            .or_else(|| self.croner_next(firing, false))
    }

    /// The first firing at or after `t` (or after it) if it is on `t`'s
    /// day, found from the times of day; `None` when it is not, or when
    /// croner must decide (`t` within a second, whose handling is
    /// croner's). `day_fires`: `t`'s day is known to fire.
    fn later_today(&self, t: SimTime, inclusive: bool, day_fires: bool) -> Option<SimTime> {
        let times = self.parsed.times_of_day.as_ref()?;
        let ms = t.as_millis();
        if !ms.is_multiple_of(MS_PER_SECOND) {
            return None;
        }
        let (day, second) = (ms / MS_PER_DAY, ms % MS_PER_DAY / MS_PER_SECOND);
        let from = if inclusive { second } else { second + 1 };
        if from >= SECONDS_PER_DAY {
            return None;
        }
        let next = day * MS_PER_DAY + times.first_from(from)? * MS_PER_SECOND;
        let next = SimTime::from_millis(next);
        if day_fires {
            return Some(next);
        }
        // The day fires at all of its times of day or at none.
        self.parsed
            .cron
            .is_time_matching(&to_datetime(next))
            .unwrap_or(false)
            .then_some(next)
    }

    /// The first firing at or after `t` (or after it), as croner finds it.
    fn croner_next(&self, t: SimTime, inclusive: bool) -> Option<SimTime> {
        let next = self
            .parsed
            .cron
            .find_next_occurrence(&to_datetime(t), inclusive)
            .ok()?;
        from_datetime(next)
    }

    /// How many firings come before `end`, counting at most `most` of
    /// them, and the instant the count covers: `end`, or the `most`-th
    /// firing when there are that many. Counted day by day (a day that
    /// fires fires at each of the pattern's times of day), and firing by
    /// firing from a date croner cannot match on.
    pub fn count_before(&self, end: SimTime, most: u64) -> (u64, SimTime) {
        let (mut count, mut day) = (0u64, 0u64);
        if let Some(times) = self.parsed.times_of_day {
            let first = times.first_from(0).unwrap_or(0) * MS_PER_SECOND;
            while day * MS_PER_DAY < end.as_millis() {
                let start = day * MS_PER_DAY;
                // Seconds of this day whose instants come before `end`.
                let seconds = (end.as_millis() - start).div_ceil(MS_PER_SECOND);
                let fires = self
                    .parsed
                    .cron
                    .is_time_matching(&to_datetime(SimTime::from_millis(start + first)));
                let today = match fires {
                    Ok(true) => times.count_before(seconds),
                    Ok(false) => 0,
                    Err(_) => break,
                };
                if count + today >= most {
                    // The `most`-th firing is today, at its nth time of day.
                    let nth = times.nth(most - count).unwrap_or(0);
                    return (most, SimTime::from_millis(start + nth * MS_PER_SECOND));
                }
                count += today;
                day += 1;
            }
            if day * MS_PER_DAY >= end.as_millis() {
                return (count, end);
            }
        }
        let (mut at, mut inclusive) = (SimTime::from_millis(day * MS_PER_DAY), true);
        while let Some(next) = self.next_after(at, inclusive) {
            if next >= end || count == most {
                break;
            }
            count += 1;
            at = next;
            inclusive = false;
        }
        (count, if count == most { at } else { end })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;
    use chrono::{Datelike, Weekday};

    #[test]
    fn time_zero_is_a_monday() {
        assert_eq!(epoch().weekday(), Weekday::Mon);
        assert_eq!(hour_of_week(SimTime::ZERO), 0);
        let sunday_late = SimTime::ZERO + SimDuration::from_hours(6 * 24 + 23);
        assert_eq!(hour_of_week(sunday_late), 167);
        assert_eq!(hour_of_week(sunday_late + SimDuration::from_hours(1)), 0);
    }

    #[test]
    fn profile_multiplies_hour_by_day() {
        let mut hourly = [0.0; 24];
        hourly[9] = 0.5;
        let mut daily = [1.0; 7];
        daily[5] = 0.2;
        let p = RateProfile::new(&hourly, &daily).expect("valid");
        assert_eq!(p.multiplier(9), 0.5);
        assert_eq!(p.multiplier(5 * 24 + 9), 0.1);
        assert_eq!(p.multiplier(10), 0.0);
        assert!(RateProfile::new(&[-1.0; 24], &daily).is_none());
    }

    #[test]
    fn cron_fires_on_weekdays_at_two() {
        let c = CronSchedule::parse("0 2 * * 1-5").expect("valid");
        let first = c.next_after(SimTime::ZERO, true).expect("fires");
        assert_eq!(first, SimTime::ZERO + SimDuration::from_hours(2));
        // Friday 02:00 is followed by Monday 02:00.
        let friday = SimTime::ZERO + SimDuration::from_hours(4 * 24 + 2);
        let next = c.next_after(friday, false).expect("fires");
        assert_eq!(next, SimTime::ZERO + SimDuration::from_hours(7 * 24 + 2));
        assert!(CronSchedule::parse("61 * * * *").is_err());
    }

    /// Patterns of every kind of field: steps, ranges, lists, seconds,
    /// names, the last day, nth and last weekdays, nearest weekdays (across
    /// a month's ends too), a day of the month and of the week together
    /// (either fires), rare days.
    const PATTERNS: [&str; 20] = [
        "0 8 1W * *",
        "30 9 * * 5L",
        "0 0 31W * *",
        "15 10 L * 1",
        "*/5 * * * *",
        "0 2 * * 1-5",
        "15,45 9-17 * * MON-FRI",
        "*/7 */3 * * *",
        "30 */10 * * * *",
        "* * * * * *",
        "0 0 L * *",
        "0 12 * * 5#2",
        "0 8 15W * *",
        "10 4 1,15 * 3",
        "0 0 29 2 *",
        "59 23 31 12 *",
        "0 0 30 2 *",
        "*/20 8-18 * JAN,JUL SAT",
        "0-10/3 * 1-7 * 1",
        "5 4 * * 0,7",
    ];

    proptest::proptest! {
        /// The firings found from the times of day are croner's own:
        /// from whole seconds and from instants within a second, in the
        /// first years and later.
        #[test]
        fn next_firing_is_crons(
            pattern in proptest::sample::select(&PATTERNS[..]),
            days in 0u64..800,
            ms in 0u64..MS_PER_DAY,
            whole_second in proptest::bool::ANY,
            inclusive in proptest::bool::ANY,
            steps in 1usize..40,
        ) {
            let c = CronSchedule::parse(pattern).expect("valid");
            let ms = if whole_second { ms / 1000 * 1000 } else { ms };
            let (mut t, mut inclusive) = (SimTime::from_millis(days * MS_PER_DAY + ms), inclusive);
            for _ in 0..steps {
                let next = c.next_after(t, inclusive);
                proptest::prop_assert_eq!(next, c.croner_next(t, inclusive), "{} from {:?}", pattern, t);
                let Some(next) = next else { break };
                // From a firing, as an arrival process walks.
                let after = c.next_after_firing(next);
                proptest::prop_assert_eq!(after, c.croner_next(next, false), "{} after {:?}", pattern, next);
                (t, inclusive) = (next, false);
            }
        }

        /// Counting day by day finds what a walk firing by firing finds.
        #[test]
        fn counting_firings_day_by_day_is_walking_them(
            pattern in proptest::sample::select(&PATTERNS[..]),
            end in 0u64..40 * MS_PER_DAY,
            unit in proptest::sample::select(&[1u64, MS_PER_SECOND, 30 * MS_PER_SECOND, 60 * MS_PER_SECOND][..]),
            most in proptest::prop_oneof![1u64..100, 100u64..200_000],
        ) {
            let c = CronSchedule::parse(pattern).expect("valid");
            // Ends on whole seconds and minutes too, where a firing may be.
            let end = SimTime::from_millis(end / unit * unit);
            let (mut count, mut at, mut inclusive) = (0u64, SimTime::ZERO, true);
            while let Some(next) = c.croner_next(at, inclusive) {
                if next >= end || count == most {
                    break;
                }
                (count, at, inclusive) = (count + 1, next, false);
            }
            let walked = (count, if count == most { at } else { end });
            proptest::prop_assert_eq!(c.count_before(end, most), walked, "{}", pattern);
        }
    }

    /// Counting up to every half minute of two days, and a millisecond
    /// after each, against the firings croner walks to.
    #[test]
    fn firings_are_counted_up_to_any_end() {
        const DAYS: u64 = 2;
        let horizon = SimTime::from_millis(DAYS * MS_PER_DAY);
        for pattern in PATTERNS {
            let c = CronSchedule::parse(pattern).expect("valid");
            let mut firings = vec![];
            let (mut at, mut inclusive) = (SimTime::ZERO, true);
            while let Some(next) = c.croner_next(at, inclusive).filter(|t| *t < horizon) {
                firings.push(next);
                (at, inclusive) = (next, false);
            }
            for half_minute in 0..DAYS * 2880 {
                for offset in [0, 1] {
                    let end = SimTime::from_millis(half_minute * 30_000 + offset);
                    let expected = firings.partition_point(|f| *f < end) as u64;
                    assert_eq!(
                        c.count_before(end, u64::MAX),
                        (expected, end),
                        "{pattern} to {end:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn times_of_day_are_counted_and_found() {
        let c = CronSchedule::parse("15,45 9-17 * * *").expect("valid");
        let t = TimesOfDay::of(&c.parsed.cron.pattern).expect("fires");
        assert_eq!(t.first_from(0), Some(9 * 3600 + 15 * 60));
        assert_eq!(
            t.first_from(9 * 3600 + 15 * 60 + 1),
            Some(9 * 3600 + 45 * 60)
        );
        assert_eq!(t.first_from(17 * 3600 + 45 * 60 + 1), None);
        assert_eq!(t.count_before(SECONDS_PER_DAY), 18);
        assert_eq!(t.count_before(10 * 3600 + 45 * 60), 3);
        assert_eq!(t.count_before(10 * 3600 + 45 * 60 + 1), 4);
        assert_eq!(t.nth(1), Some(9 * 3600 + 15 * 60));
        assert_eq!(t.nth(4), Some(10 * 3600 + 45 * 60));
        assert_eq!(t.nth(18), Some(17 * 3600 + 45 * 60));
        assert_eq!((t.nth(0), t.nth(19)), (None, None));
    }

    #[test]
    fn a_schedule_fires_ever_unless_no_date_matches() {
        let fires = |p: &str| CronSchedule::parse(p).expect("valid").fires_ever();
        assert!(fires("0 2 * * 1-5"));
        assert!(fires("0 0 29 2 *"), "a leap day");
        assert!(fires("0 0 29 2 1"), "a leap day or a Monday");
        assert!(fires("0 12 L 2 *"), "the last day of February");
        assert!(
            fires("0 0 * 2 5#5"),
            "a fifth Friday in February: leap years whose February starts on a Friday"
        );
        assert!(!fires("0 0 30 2 *"));
        assert!(!fires("0 0 31 4,6,9,11 *"));
        // Seconds are allowed, a year is not.
        assert!(fires("30 0 2 * * *"));
        assert!(CronSchedule::parse("0 0 0 1 1 * 2030").is_err());
    }
}
