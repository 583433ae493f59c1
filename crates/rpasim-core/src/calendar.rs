//! The simulated calendar: time 0 is Monday 2024-01-01 00:00, with no time
//! zone and no daylight saving, so every day has 24 hours.
//!
//! Planners think in business hours, nightly batches and quiet weekends; this
//! module turns the clock into hours of the week and calendar dates.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use crate::time::{MS_PER_DAY, MS_PER_HOUR, SimTime};

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
#[derive(Debug, Clone)]
pub struct CronSchedule {
    // Boxed: a parsed pattern is a few hundred bytes, and arrival processes
    // are moved around by value.
    cron: Box<croner::Cron>,
    pattern: String,
}

impl CronSchedule {
    /// Parses a cron pattern such as `0 2 * * 1-5`. A year field (a
    /// seventh) is refused: the simulated calendar's years are a
    /// convention (time 0 is in 2024), not the user's.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let parser = croner::parser::CronParser::builder()
            .year(croner::parser::Year::Disallowed)
            .build();
        let cron = Box::new(parser.parse(pattern).map_err(|e| e.to_string())?);
        Ok(CronSchedule {
            cron,
            pattern: pattern.to_string(),
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
        self.cron.find_next_occurrence(&start, true).is_ok()
    }

    /// The pattern as written.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The first firing at or after `t` (`inclusive`) or strictly after it.
    pub fn next_after(&self, t: SimTime, inclusive: bool) -> Option<SimTime> {
        let next = self
            .cron
            .find_next_occurrence(&to_datetime(t), inclusive)
            .ok()?;
        from_datetime(next)
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
