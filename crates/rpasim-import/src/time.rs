//! ISO 8601 timestamps as exported by Dataverse: `2026-03-02T08:15:00Z`,
//! with or without a zone (UTC when absent), `T` or a space, and 0 to 9
//! fractional digits (Dataverse writes 7; pandas and numpy 9, to the
//! nanosecond); read to the millisecond (UTC, since 1970).

use std::iter;

/// The number ASCII digits write (checked to be digits, at most 4).
fn decimal(digits: &[u8]) -> i64 {
    digits
        .iter()
        .fold(0, |n, d| n * 10 + i64::from(d.wrapping_sub(b'0')))
}

/// Milliseconds since 1970-01-01T00:00:00Z of a timestamp.
pub fn parse(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "not an ISO 8601 timestamp: {}{}",
            excerpt(text),
            rewritten_hint(text)
        )
    };
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return Err(bad());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let num = |from: usize, to: usize| -> Result<i64, String> {
        let digits = b.get(from..to).ok_or_else(bad)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(decimal(digits))
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let mut rest = &t[19..];
    let mut ms = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        // Nanoseconds at most: a history made or cleaned with pandas
        // writes 9 digits (datetime64[ns]), and was refused at 7.
        if digits == 0 || digits > 9 {
            return Err(bad());
        }
        // The first three digits, padded with zeros.
        let first3 = frac.bytes().take(digits.min(3)).chain(iter::repeat(b'0'));
        ms = first3
            .take(3)
            .fold(0, |ms, d| ms * 10 + i64::from(d - b'0'));
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "" | "Z" | "z" => 0,
        zone => zone_minutes(zone.as_bytes()).ok_or_else(bad)?,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_min * 60;
    Ok(seconds * 1_000 + ms)
}

/// Minutes east of UTC of a zone written `+hh:mm`, `+hhmm` or `+hh` (or
/// with `-`), as ISO 8601 allows (Python's `strftime("%z")` writes
/// `+0100`). Read as bytes: a zone of other text (`é0:00`) sliced as a
/// string panicked inside its character.
fn zone_minutes(zone: &[u8]) -> Option<i64> {
    let (sign, rest) = match zone.split_first()? {
        (b'+', rest) => (1, rest),
        (b'-', rest) => (-1, rest),
        _ => return None,
    };
    let digits = match *rest {
        [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => [h1, h2, m1, m2],
        [h1, h2] => [h1, h2, b'0', b'0'],
        _ => return None,
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (hours, minutes) = (decimal(&digits[..2]), decimal(&digits[2..]));
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 60 + minutes))
}

/// What to do about a timestamp another tool rewrote, if `text` looks
/// like one: a CSV history opened and saved again in Excel has its dates
/// in the machine's local format (`11/24/2026 2:05:07 PM`) or cut to the
/// minute (`2026-11-24 14:05`), which would make every run's duration a
/// guess; pandas' `to_json` wrote dates as milliseconds since 1970.
fn rewritten_hint(text: &str) -> &'static str {
    let t = text.trim();
    let no_seconds = t.len() == 16
        && t.as_bytes()[13] == b':'
        && t.bytes().filter(u8::is_ascii_digit).count() == 12;
    if t.contains('/') {
        "; that is a spreadsheet's local date format (as Excel saves a CSV it opened): import the \
         history as exported, or save the column as yyyy-mm-dd hh:mm:ss"
    } else if no_seconds {
        "; the seconds are missing (as Excel saves a CSV it opened), and runs' durations need \
         them: import the history as exported, or save the column as yyyy-mm-dd hh:mm:ss"
    } else if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        "; a number, as pandas' to_json writes dates with date_format=\"epoch\", its default \
         (milliseconds since 1970): write them as text, to_json(..., date_format=\"iso\")"
    } else {
        ""
    }
}

/// Milliseconds since 1970 of a bound of `--from` or `--to`: a timestamp
/// as [`parse`] reads it, or a date alone (`2026-03-01`), its 00:00 UTC.
pub fn parse_bound(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let full = if t.len() == 10 {
        parse(&format!("{t}T00:00:00Z"))
    } else {
        parse(t)
    };
    full.map_err(|_| {
        format!(
            "not an ISO 8601 date or timestamp: {}; expected e.g. 2026-03-01 (its 00:00 UTC) or \
             2026-03-01T08:30:00Z (UTC when no zone is given)",
            excerpt(text)
        )
    })
}

/// An instant (ms since 1970) in ISO 8601, UTC: `2026-03-02T08:15:00Z`,
/// with milliseconds when it has some (`...08:15:00.250Z`).
pub fn format(ms: i64) -> String {
    let (days, in_day) = (ms.div_euclid(MS_PER_DAY), ms.rem_euclid(MS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    let seconds = in_day / 1_000;
    let mut text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60
    );
    if in_day % 1_000 != 0 {
        text.push_str(&format!(".{:03}", in_day % 1_000));
    }
    text.push('Z');
    text
}

/// Milliseconds in an hour.
pub const MS_PER_HOUR: i64 = 3_600_000;

/// Milliseconds in a day (UTC has no daylight saving).
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm, the inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The 1-based weekday of a day count since 1970-01-01 (a Thursday):
/// 0 Monday ... 6 Sunday.
pub fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// At most 40 characters of a value, for messages.
pub fn excerpt(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        format!("{short:?}...")
    } else {
        format!("{short:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_and_without_zone_and_fractions() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse("1970-01-02 00:00:01"), Ok(86_401_000));
        assert_eq!(
            parse("2026-03-02T08:15:00.1234567"),
            parse("2026-03-02T08:15:00.123Z")
        );
        assert_eq!(
            parse("2026-03-02T10:15:00+02:00"),
            parse("2026-03-02T08:15:00Z")
        );
        // The other zones ISO 8601 allows: +hhmm (Python's %z) and +hh.
        for zone in ["+0200", "+02"] {
            assert_eq!(
                parse(&format!("2026-03-02T10:15:00{zone}")),
                parse("2026-03-02T08:15:00Z")
            );
        }
        assert_eq!(
            parse("2026-03-02T06:45:00-01:30"),
            parse("2026-03-02T08:15:00Z")
        );
        // Not zones, refused (other text panicked when sliced as a string).
        for zone in [
            "\u{e9}0:00",
            "+24:00",
            "+02:60",
            "+2:00",
            "+02:0",
            "02:00",
            "+0\u{e9}0",
        ] {
            assert!(
                parse(&format!("2026-03-02T10:15:00{zone}")).is_err(),
                "{zone}"
            );
        }
        // 2024-02-29 exists, 2026-02-29 does not.
        assert!(parse("2024-02-29T00:00:00").is_ok());
        assert!(parse("2026-02-29T00:00:00").is_err());
        assert!(parse("yesterday").is_err());
        assert_eq!(
            parse("2026-03-02 08:15:00.123456789+00:00"),
            parse("2026-03-02T08:15:00.123Z"),
            "nanoseconds, as pandas writes them"
        );
        assert!(
            parse("2026-03-02T08:15:00.1234567891").is_err(),
            "10 digits"
        );
        // 2026-03-02 is a Monday.
        let days = parse("2026-03-02T00:00:00").expect("valid") / 86_400_000;
        assert_eq!(weekday(days), 0);
    }

    #[test]
    fn timestamps_a_spreadsheet_rewrote_are_refused_saying_so() {
        for local in [
            "11/24/2026 2:05:07 PM",
            "24/11/2026 14:05",
            "2026/11/24 14:05:07",
        ] {
            let message = parse(local).expect_err(local);
            assert!(
                message.contains("spreadsheet's local date format"),
                "{message}"
            );
        }
        let message = parse("2026-11-24 14:05").expect_err("no seconds");
        assert!(message.contains("the seconds are missing"), "{message}");
        let message = parse("1772416800000").expect_err("a number");
        assert!(message.contains("date_format=\"iso\""), "{message}");
        // Other mistakes get no such hint.
        for other in ["yesterday", "2026-11-24", "2026-11-24T14:05:07+01:0"] {
            let message = parse(other).expect_err(other);
            assert!(!message.contains("Excel"), "{message}");
        }
    }

    #[test]
    fn a_bound_is_a_date_or_a_timestamp() {
        assert_eq!(parse_bound("2026-03-02"), parse("2026-03-02T00:00:00Z"));
        assert_eq!(
            parse_bound(" 2026-03-02T08:15:00+01:00 "),
            parse("2026-03-02T07:15:00Z")
        );
        for bad in ["2026-02-30", "2026-3-02", "yesterday", "2026-03-02T08"] {
            let message = parse_bound(bad).expect_err(bad);
            assert!(message.contains("expected e.g. 2026-03-01"), "{message}");
        }
    }

    #[test]
    fn instants_are_written_back_as_read() {
        for text in [
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
            "2000-02-29T12:00:00Z",
            "2026-03-02T08:15:00.250Z",
            "2100-03-01T00:00:01Z",
            "9999-12-31T23:59:59Z",
        ] {
            let ms = parse(text).expect(text);
            assert_eq!(format(ms), text);
        }
        // Every day of 1600 to 2400 round-trips through its day count.
        for days in days_from_civil(1600, 1, 1)..days_from_civil(2400, 1, 1) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn fractions_are_read_to_the_millisecond_and_cut_there() {
        let at = |fraction: &str| parse(&format!("1970-01-01T00:00:00{fraction}Z"));
        for (fraction, ms) in [
            (".5", 500),
            (".05", 50),
            (".005", 5),
            (".0009", 0),
            (".999", 999),
            (".9999999", 999),
            (".1234567", 123),
            (".12345678", 123),
            (".999999999", 999),
            (".000", 0),
        ] {
            assert_eq!(at(fraction), Ok(ms), "{fraction}");
        }
        for bad in [".", ".1234567890", ".x", ".1x", "1", " 1"] {
            assert!(at(bad).is_err(), "{bad}");
        }
        for bad in [
            "197O-01-01T00:00:00Z",
            "1970-01-01T0\u{e9}:00:00",
            "1970-01-01T00:00:0-Z",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // Every millisecond of a leap day and the day after, a second
        // apart, round-trips.
        let leap = parse("2024-02-29T00:00:00Z").expect("a leap day");
        for ms in (leap..leap + 2 * MS_PER_DAY).step_by(1_001) {
            assert_eq!(parse(&format(ms)), Ok(ms));
        }
    }

    proptest::proptest! {
        /// Any text is a timestamp or refused, never a panic: a zone of
        /// other characters (`é0:00`) was sliced inside one, and the
        /// import stopped with an internal error.
        #[test]
        fn any_text_is_read_or_refused(
            tail in "[0-9:+\\-.Zz é€\\u{10000}]{0,12}",
            text in "\\PC{0,40}",
        ) {
            let _ = parse(&format!("2026-03-02T10:15:00{tail}"));
            let _ = parse(&text);
            let _ = parse_bound(&text);
        }
    }
}
