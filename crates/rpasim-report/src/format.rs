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
    format!("{:.3}", ms / 1000.0)
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
    use super::*;

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
    fn seconds_have_millisecond_precision() {
        assert_eq!(seconds(0), "0.000");
        assert_eq!(seconds(7), "0.007");
        assert_eq!(seconds(1_234), "1.234");
        assert_eq!(seconds(600_000), "600.000");
        assert_eq!(seconds_f64(1_234.5), "1.234");
    }
}
