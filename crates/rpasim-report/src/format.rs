//! Number and name formatting for CSV outputs, without allocation on the
//! hot path.

use std::io::{self, Write};

/// Appends `ms` as seconds with exactly three decimals (`1234` → `1.234`).
pub fn push_seconds(out: &mut Vec<u8>, ms: u64) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(ms / 1000).as_bytes());
    let frac = ms % 1000;
    out.push(b'.');
    out.push(b'0' + (frac / 100) as u8);
    out.push(b'0' + (frac / 10 % 10) as u8);
    out.push(b'0' + (frac % 10) as u8);
}

/// `ms` as seconds with three decimals.
pub fn seconds(ms: u64) -> String {
    let mut v = Vec::with_capacity(16);
    push_seconds(&mut v, ms);
    String::from_utf8(v).unwrap_or_default()
}

/// A float number of milliseconds as seconds with three decimals.
pub fn seconds_f64(ms: f64) -> String {
    let mut out = String::new();
    push_seconds_f64(&mut out, ms);
    out
}

/// Appends [`seconds_f64`]`(ms)` to `out`.
pub fn push_seconds_f64(out: &mut String, ms: f64) {
    push_fixed(out, ms / 1000.0, 3);
}

/// A statistic of a sweep's or a plan's replications: six decimals, or
/// [`crate::summary::NEVER`] when infinite (a run that never started).
pub fn statistic(x: f64) -> String {
    let mut out = String::new();
    push_statistic(&mut out, x);
    out
}

/// Appends [`statistic`]`(x)` to `out`.
pub fn push_statistic(out: &mut String, x: f64) {
    if x.is_infinite() {
        out.push_str(crate::summary::NEVER);
    } else {
        push_fixed(out, x, 6);
    }
}

/// `v` with exactly `digits` decimals: the text of `format!("{v:.digits$}")`
/// (the exact binary value rounded half to even), made with integer
/// arithmetic where that is exact (every finite value below 2^93 with up
/// to 9 decimals), which is several times as fast as the standard
/// library's exact formatting; the summaries of 10,000 targets and flows
/// write 700,000 such numbers.
pub fn fixed(v: f64, digits: usize) -> String {
    let mut out = String::new();
    push_fixed(&mut out, v, digits);
    out
}

/// Appends [`fixed`]`(v, digits)` to `out`: a sweep's statistics of
/// thousands of targets are millions of such numbers, written without an
/// allocation each.
pub fn push_fixed(out: &mut String, v: f64, digits: usize) {
    let Some(units) = scaled_and_rounded(v, digits) else {
        use std::fmt::Write as _;
        // Writing to a `String` cannot fail.
        let _ = write!(out, "{v:.digits$}");
        return;
    };
    let mut b = itoa::Buffer::new();
    // Nearly always within 64 bits, whose formatting is quicker.
    let text = match u64::try_from(units) {
        Ok(units) => b.format(units),
        Err(_) => b.format(units),
    };
    if v.is_sign_negative() {
        out.push('-');
    }
    // At least one digit before the point.
    let whole = text.len().saturating_sub(digits);
    match whole {
        0 => out.push('0'),
        _ => out.push_str(&text[..whole]),
    }
    if digits > 0 {
        out.push('.');
        out.extend(std::iter::repeat_n('0', digits.saturating_sub(text.len())));
        out.push_str(&text[whole..]);
    }
}

/// |`v`| × 10^`digits`, rounded half to even on its exact binary value;
/// `None` when that does not fit the integer arithmetic (not finite, 2^93
/// or more, more than 9 decimals).
fn scaled_and_rounded(v: f64, digits: usize) -> Option<u128> {
    const MANTISSA_BITS: u32 = 52;
    if !v.is_finite() || digits > 9 {
        return None;
    }
    let bits = v.to_bits();
    let biased = ((bits >> MANTISSA_BITS) & 0x7ff) as i32;
    let fraction = bits & ((1 << MANTISSA_BITS) - 1);
    // v = ±mantissa × 2^exponent exactly.
    let (mantissa, exponent) = match biased {
        0 => (fraction, -1074),
        _ => (fraction | 1 << MANTISSA_BITS, biased - 1075),
    };
    // Below 2^53 × 10^9 < 2^83: room for 2^40 more.
    let scaled = u128::from(mantissa) * 10u128.pow(digits as u32);
    if exponent >= 0 {
        return (exponent <= 40).then(|| scaled << exponent);
    }
    let shift = exponent.unsigned_abs();
    if shift >= 128 {
        // Below 2^83 / 2^128: rounds to 0, never a tie.
        return Some(0);
    }
    let (units, rest) = (scaled >> shift, scaled & ((1u128 << shift) - 1));
    let half = 1u128 << (shift - 1);
    let up = rest > half || (rest == half && units & 1 == 1);
    Some(units + u128::from(up))
}

/// A duration for a person to read, in at most two units: `0.4s`, `42s`,
/// `12m30s`, `1h35m`, `2d3h` (rounded to the smaller unit).
pub fn human_duration(secs: f64) -> String {
    let secs = secs.max(0.0);
    if secs < 10.0 {
        let text = format!("{secs:.1}");
        return format!("{}s", text.trim_end_matches(".0"));
    }
    let s = secs.round() as u64;
    let (big, small, names) = if s < 60 {
        return format!("{s}s");
    } else if s < 3_600 {
        (60, 1, ("m", "s"))
    } else if s < 86_400 {
        (3_600, 60, ("h", "m"))
    } else {
        (86_400, 3_600, ("d", "h"))
    };
    let units = (s + small / 2) / small;
    let per = big / small;
    let (a, b) = (units / per, units % per);
    if b == 0 {
        format!("{a}{}", names.0)
    } else {
        format!("{a}{}{b}{}", names.0, names.1)
    }
}

/// A share for a person to read: `31.2 %`.
pub fn human_share(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// A share as a percentage without its sign, to two decimals without
/// trailing zeros: "99", "97.5", "98.33"; with more where two would round
/// a share below 1 up to "100" ("99.999"). For confidences.
pub fn percent(share: f64) -> String {
    let mut decimals = 2;
    let mut text = format!("{:.decimals$}", share * 100.0);
    while share < 1.0 && text.starts_with("100") && decimals < 12 {
        decimals += 1;
        text = format!("{:.decimals$}", share * 100.0);
    }
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A number at most to the millionth, as the summaries write it, without
/// trailing zeros: a mean over replications (`0.18899499999999997`) reads
/// `0.188995`, a count `1008`.
pub fn plain(x: f64) -> String {
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" => "0".into(),
        _ => text.into(),
    }
}

/// Bytes of rows handed to the underlying writer at a time.
pub const CHUNK: usize = 64 * 1024;

/// Rows formatted straight into one buffer that goes to `out` when it
/// holds [`CHUNK`] bytes: one copy of each row, not one into a line and
/// another into a `BufWriter`. [`Chunked::into_inner`] writes the rest, so
/// it must be called.
#[derive(Debug)]
pub struct Chunked<W: Write> {
    out: W,
    rows: Vec<u8>,
}

impl<W: Write> Chunked<W> {
    /// An empty buffer in front of `out`.
    pub fn new(out: W) -> Self {
        Chunked {
            out,
            rows: Vec::with_capacity(CHUNK + 1024),
        }
    }

    /// The rows not yet written, to append whole rows to.
    pub fn rows(&mut self) -> &mut Vec<u8> {
        &mut self.rows
    }

    /// Hands the rows to `out` once they fill a chunk (call after each
    /// batch of whole rows).
    pub fn rows_done(&mut self) -> io::Result<()> {
        if self.rows.len() >= CHUNK {
            self.out.write_all(&self.rows)?;
            self.rows.clear();
        }
        Ok(())
    }

    /// The underlying writer, as far as rows have reached it.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Writes the rows still held, flushes and returns the underlying
    /// writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.write_all(&self.rows)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Appends `,` and a CSV field: a name made one by [`csv_field`], or text
/// of ours that never needs quoting (numbers, priority and outcome names).
pub fn push_field(line: &mut Vec<u8>, field: &[u8]) {
    line.push(b',');
    line.extend_from_slice(field);
}

/// A name as a CSV field: quoted, its quotes doubled, when it holds a
/// comma, a quote or a line break.
pub fn csv_field(text: &str) -> Box<[u8]> {
    if !text
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        return text.as_bytes().into();
    }
    let mut field = Vec::with_capacity(text.len() + 2);
    field.push(b'"');
    for b in text.bytes() {
        if b == b'"' {
            field.push(b'"');
        }
        field.push(b);
    }
    field.push(b'"');
    field.into_boxed_slice()
}

/// A list of names made CSV fields, end to end in one buffer: with
/// thousands of targets a row's names are then read from one small block
/// rather than from as many scattered allocations (a cache miss each).
#[derive(Debug)]
pub struct FieldList {
    bytes: Vec<u8>,
    /// Where each field ends in `bytes` (it starts where the previous ends).
    ends: Vec<usize>,
}

impl FieldList {
    /// The fields of these names, in order.
    pub fn new(names: &[String]) -> Self {
        let mut list = FieldList {
            bytes: Vec::new(),
            ends: Vec::with_capacity(names.len()),
        };
        for name in names {
            list.bytes.extend_from_slice(&csv_field(name));
            list.ends.push(list.bytes.len());
        }
        list
    }

    /// Field `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p]);
        &self.bytes[start..self.ends[i]]
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What the standard library writes.
    fn std_fixed(v: f64, digits: usize) -> String {
        format!("{v:.digits$}")
    }

    #[test]
    fn pushing_appends_what_the_functions_return() {
        let mut out = String::from("a,");
        push_fixed(&mut out, -1.0005, 3);
        push_statistic(&mut out, f64::INFINITY);
        push_statistic(&mut out, 2.0 / 3.0);
        push_fixed(&mut out, 1e300, 2);
        assert_eq!(
            out,
            format!("a,-1.000inf0.666667{}", fixed(1e300, 2)),
            "appended, nothing cleared"
        );
        assert_eq!(fixed(1e300, 2), format!("{:.2}", 1e300));
    }

    #[test]
    fn fixed_decimals_are_the_standard_library_s() {
        let cases = [
            // Ties on the exact binary value: to even.
            (0.25, 1, "0.2"),
            (0.75, 1, "0.8"),
            (0.125, 2, "0.12"),
            (0.375, 2, "0.38"),
            (2.5, 0, "2"),
            (1.5, 0, "2"),
            (0.5, 0, "0"),
            // Not a tie: 0.0005 is a little above it in binary.
            (0.0005, 3, "0.001"),
            (-0.0, 3, "-0.000"),
            (-0.0001, 3, "-0.000"),
            (-1.0005, 3, "-1.000"),
            (1234.5678, 6, "1234.567800"),
            (3.999_999_999_9, 3, "4.000"),
            (5e-324, 9, "0.000000000"),
            (9.5, 0, "10"),
            (0.000_123, 6, "0.000123"),
        ];
        for (v, digits, text) in cases {
            assert_eq!(fixed(v, digits), text, "{v} to {digits}");
            assert_eq!(std_fixed(v, digits), text, "{v} to {digits}");
        }
        // Beyond the integer arithmetic: left to the standard library.
        for v in [
            1e30,
            -1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            2f64.powi(93),
        ] {
            assert_eq!(scaled_and_rounded(v, 3), None, "{v}");
            assert_eq!(fixed(v, 3), std_fixed(v, 3));
        }
        assert_eq!(fixed(0.1, 12), "0.100000000000");
        let below = 2f64.powi(93) - 2f64.powi(40);
        assert!(scaled_and_rounded(below, 9).is_some());
        assert_eq!(fixed(below, 9), std_fixed(below, 9));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Any f64 at all, to any number of decimals the summaries write
        /// and more.
        #[test]
        fn fixed_matches_the_standard_library(bits in any::<u64>(), digits in 0usize..=10) {
            let v = f64::from_bits(bits);
            prop_assert_eq!(fixed(v, digits), std_fixed(v, digits));
        }

        /// Dyadic fractions, where the ties are: n / 2^s.
        #[test]
        fn fixed_rounds_ties_as_the_standard_library(
            n in 0u64..(1 << 53),
            s in 0i32..80,
            digits in 0usize..=9,
            negative in any::<bool>(),
        ) {
            let v = n as f64 / 2f64.powi(s) * if negative { -1.0 } else { 1.0 };
            prop_assert_eq!(fixed(v, digits), std_fixed(v, digits));
        }

        /// Numbers the summaries hold: milliseconds over a year as seconds,
        /// shares, means.
        #[test]
        fn fixed_matches_on_summary_values(ms in 0u64..31_536_000_000, d in 1u64..1_000_000) {
            let mean = ms as f64 / d as f64;
            prop_assert_eq!(seconds_f64(mean), std_fixed(mean / 1000.0, 3));
            prop_assert_eq!(fixed(mean / ms.max(1) as f64, 6), std_fixed(mean / ms.max(1) as f64, 6));
        }
    }

    #[test]
    fn durations_read_in_two_units() {
        assert_eq!(human_duration(0.0), "0s");
        assert_eq!(human_duration(0.4), "0.4s");
        assert_eq!(human_duration(42.0), "42s");
        assert_eq!(human_duration(750.0), "12m30s");
        assert_eq!(human_duration(5_700.0), "1h35m");
        assert_eq!(human_duration(5_729.0), "1h35m");
        assert_eq!(human_duration(3_600.0), "1h");
        assert_eq!(human_duration(183_600.0), "2d3h");
        assert_eq!(human_share(0.3123), "31.2 %");
    }

    #[test]
    fn percentages_say_what_they_are() {
        assert_eq!(percent(0.95), "95");
        assert_eq!(percent(0.975), "97.5");
        assert_eq!(percent(1.0 - 0.05 / 3.0), "98.33");
        assert_eq!(percent(0.99999), "99.999");
        assert_eq!(percent(0.9999999), "99.99999");
    }

    #[test]
    fn seconds_have_millisecond_precision() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(7), "0.007");
        assert_eq!(seconds(1_234), "1.234");
        assert_eq!(seconds(600_000), "600.000");
        assert_eq!(seconds_f64(1_234.5), "1.234");
    }
}
