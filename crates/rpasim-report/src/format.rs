//! Number formatting for CSV outputs, without allocation on the hot path.

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
    format!("{:.3}", ms / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_have_millisecond_precision() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(7), "0.007");
        assert_eq!(seconds(1_234), "1.234");
        assert_eq!(seconds(600_000), "600.000");
        assert_eq!(seconds_f64(1_234.5), "1.234");
    }
}
