//! The tables rpasim writes, read back as typed columns: what the Python
//! package builds its DataFrames from, instead of handing the bytes to
//! pandas' CSV reader (which took 1.5 s of the 2.7 s of `rpasim.run` for
//! 960,000 runs on 10,000 targets).
//!
//! The columns must be exactly what pandas would read (the package's
//! `read_csv` with typed columns, empty fields missing, nothing else
//! missing), so anything this reader cannot vouch for gives `None`, and
//! the caller falls back to pandas for the whole table:
//! - a number must be plain decimal text (`-`, digits, `.`, digits) of at
//!   most 15 significant digits, which both readers turn into the nearest
//!   double: the digits as an integer divided by an exact power of ten,
//!   rounded once (pandas' default parser does the same below 16 digits;
//!   its tests compare the two readers' frames);
//! - an integer column's field must be a plain integer, never empty;
//! - text must be UTF-8.
//!
//! Categories are the distinct texts sorted by code point, as pandas sorts
//! a category column it reads; an empty field is missing (code -1).

use std::collections::HashMap;

/// How a column is typed (the Python package's `_frame` decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 64-bit integers, never missing.
    Int,
    /// 64-bit integers, missing where empty (pandas' `Int64`).
    NullableInt,
    /// Doubles, NaN where empty.
    Float,
    /// Texts as a category, missing where empty.
    Category,
}

/// A column read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// [`Kind::Int`]'s values.
    Int(Vec<i64>),
    /// [`Kind::NullableInt`]'s values (0 where missing) and where they are
    /// missing.
    NullableInt {
        /// The values, 0 where missing.
        values: Vec<i64>,
        /// True where the field was empty.
        missing: Vec<bool>,
    },
    /// [`Kind::Float`]'s values, NaN where empty.
    Float(Vec<f64>),
    /// [`Kind::Category`]'s codes into `categories` (-1 where empty).
    Category {
        /// Each row's index into `categories`, or -1.
        codes: Vec<i32>,
        /// The distinct texts, sorted.
        categories: Vec<String>,
    },
}

impl Column {
    /// Its number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Int(values) | Column::NullableInt { values, .. } => values.len(),
            Column::Float(values) => values.len(),
            Column::Category { codes, .. } => codes.len(),
        }
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads `csv` (a header line, then rows) into one column per kind, or
/// `None` when a field is not what its kind allows in the form both
/// readers agree on (see the module's documentation), or the rows do not
/// have as many fields as `kinds`. A table of one column is left to
/// pandas too (there an empty field is a blank line, which pandas skips),
/// and so is a table without rows (whose index pandas makes a range or an
/// empty list of objects, by its version).
///
/// A large table without a quote or a carriage return (where each newline
/// ends a row) is read in parts on as many cores as there are, up to
/// [`MOST_PARTS`]; the columns are the same whatever the number of parts.
pub fn read(csv: &[u8], kinds: &[Kind]) -> Option<Vec<Column>> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let parts = (csv.len() / PART_BYTES).clamp(1, cores.min(MOST_PARTS));
    let columns = read_in_parts(csv, kinds, parts)?;
    (columns.first().map_or(0, Column::len) > 0).then_some(columns)
}

/// Bytes of a table read by one core, at least (fewer are not worth a
/// thread).
const PART_BYTES: usize = 4 << 20;

/// Most parts a table is read in.
const MOST_PARTS: usize = 4;

/// [`read`] in `parts` parts (one when the table holds a quote or a
/// carriage return).
fn read_in_parts(csv: &[u8], kinds: &[Kind], parts: usize) -> Option<Vec<Column>> {
    if kinds.len() < 2 {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv);
    if reader.byte_headers().ok()?.len() != kinds.len() {
        return None;
    }
    // A quote may hold a newline, and a carriage return may end a row: with
    // either, rows cannot be told apart by newlines alone.
    if parts < 2 || memchr::memchr2(b'"', b'\r', csv).is_some() {
        let columns = read_rows(reader, kinds)?;
        return Some(merge(vec![columns]));
    }
    // No quote and no carriage return: the header is the first line, and
    // each newline ends a row.
    let body = &csv[memchr::memchr(b'\n', csv).map_or(csv.len(), |nl| nl + 1)..];
    let read_part = |part: &[u8]| {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(part);
        read_rows(reader, kinds)
    };
    let read: Vec<Option<Vec<Builder>>> = std::thread::scope(|scope| {
        let started: Vec<_> = split_rows(body, parts)
            .into_iter()
            .map(|part| {
                let thread =
                    std::thread::Builder::new().spawn_scoped(scope, move || read_part(part));
                (part, thread)
            })
            .collect();
        started
            .into_iter()
            .map(|(part, thread)| match thread {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                // No thread to be had: read here.
                Err(_) => read_part(part),
            })
            .collect()
    });
    Some(merge(read.into_iter().collect::<Option<Vec<_>>>()?))
}

/// `body` cut into about `parts` pieces of whole lines.
fn split_rows(body: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 1..parts {
        let target = (body.len() * k / parts).max(start);
        let Some(nl) = memchr::memchr(b'\n', &body[target..]) else {
            break;
        };
        let end = target + nl + 1;
        pieces.push(&body[start..end]);
        start = end;
    }
    pieces.push(&body[start..]);
    pieces
}

/// The rows `reader` has left, as a column builder per kind.
fn read_rows(mut reader: csv::Reader<&[u8]>, kinds: &[Kind]) -> Option<Vec<Builder>> {
    let mut columns: Vec<Builder> = kinds.iter().map(|k| Builder::new(*k)).collect();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).ok()? {
        if record.len() != kinds.len() {
            return None;
        }
        for (column, field) in columns.iter_mut().zip(record.iter()) {
            column.push(field)?;
        }
    }
    Some(columns)
}

/// The columns of consecutive parts of a table, put end to end.
fn merge(parts: Vec<Vec<Builder>>) -> Vec<Column> {
    let width = parts.first().map_or(0, Vec::len);
    let mut by_column: Vec<Vec<Builder>> = (0..width).map(|_| Vec::new()).collect();
    for part in parts {
        for (column, builder) in by_column.iter_mut().zip(part) {
            column.push(builder);
        }
    }
    by_column.into_iter().map(Builder::finish).collect()
}

/// A column being read.
enum Builder {
    Int(Vec<i64>),
    NullableInt(Vec<i64>, Vec<bool>),
    Float(Vec<f64>),
    Category {
        codes: Vec<i32>,
        /// Distinct texts in order of first appearance, and their codes.
        seen: Vec<String>,
        index: HashMap<Vec<u8>, i32>,
    },
}

impl Builder {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Int => Builder::Int(Vec::new()),
            Kind::NullableInt => Builder::NullableInt(Vec::new(), Vec::new()),
            Kind::Float => Builder::Float(Vec::new()),
            Kind::Category => Builder::Category {
                codes: Vec::new(),
                seen: Vec::new(),
                index: HashMap::new(),
            },
        }
    }

    /// Adds a field; `None` if it is not of the column's kind.
    fn push(&mut self, field: &[u8]) -> Option<()> {
        match self {
            Builder::Int(values) => values.push(integer(field)?),
            Builder::NullableInt(values, missing) => {
                let empty = field.is_empty();
                values.push(if empty { 0 } else { integer(field)? });
                missing.push(empty);
            }
            Builder::Float(values) => values.push(if field.is_empty() {
                f64::NAN
            } else {
                decimal(field)?
            }),
            Builder::Category { codes, seen, index } => {
                let code = if field.is_empty() {
                    -1
                } else if let Some(code) = index.get(field) {
                    *code
                } else {
                    let code = i32::try_from(seen.len()).ok()?;
                    seen.push(std::str::from_utf8(field).ok()?.to_owned());
                    index.insert(field.to_vec(), code);
                    code
                };
                codes.push(code);
            }
        }
        Some(())
    }

    /// One column of the parts of a table, in order (all of one kind,
    /// from [`merge`]).
    fn finish(parts: Vec<Builder>) -> Column {
        let mut parts = parts.into_iter();
        let first = parts.next().unwrap_or(Builder::Int(Vec::new()));
        match first {
            Builder::Int(mut values) => {
                for part in parts {
                    if let Builder::Int(more) = part {
                        values.extend(more);
                    }
                }
                Column::Int(values)
            }
            Builder::NullableInt(mut values, mut missing) => {
                for part in parts {
                    if let Builder::NullableInt(more, more_missing) = part {
                        values.extend(more);
                        missing.extend(more_missing);
                    }
                }
                Column::NullableInt { values, missing }
            }
            Builder::Float(mut values) => {
                for part in parts {
                    if let Builder::Float(more) = part {
                        values.extend(more);
                    }
                }
                Column::Float(values)
            }
            category @ Builder::Category { .. } => {
                categories(std::iter::once(category).chain(parts))
            }
        }
    }
}

/// A category column from its parts' codes, each part's by first
/// appearance there: the texts of every part sorted, each code mapped to
/// its text's rank.
fn categories(parts: impl Iterator<Item = Builder>) -> Column {
    let parts: Vec<(Vec<i32>, Vec<String>)> = parts
        .filter_map(|p| match p {
            Builder::Category { codes, seen, .. } => Some((codes, seen)),
            _ => None,
        })
        .collect();
    let mut categories: Vec<String> = parts.iter().flat_map(|(_, seen)| seen.clone()).collect();
    categories.sort_unstable();
    categories.dedup();
    let mut codes = Vec::with_capacity(parts.iter().map(|(c, _)| c.len()).sum());
    for (part_codes, seen) in parts {
        let rank: Vec<i32> = seen
            .iter()
            // Every text of a part is among the categories, and there are
            // fewer than i32::MAX of them (each had a code).
            .map(|t| categories.binary_search(t).map_or(-1, |r| r as i32))
            .collect();
        codes.extend(
            part_codes
                .into_iter()
                .map(|c| if c < 0 { -1 } else { rank[c as usize] }),
        );
    }
    Column::Category { codes, categories }
}

/// A plain integer (an optional `-`, then digits).
fn integer(field: &[u8]) -> Option<i64> {
    let (negative, digits) = match field.strip_prefix(b"-") {
        Some(digits) => (true, digits),
        None => (false, field),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        // Digits are added negatively so that i64::MIN fits.
        value = value.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// Most significant digits of a decimal both readers round alike.
const MAX_DIGITS: u32 = 15;

/// Exact powers of ten as doubles, up to the most [`MAX_DIGITS`] allows.
const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A plain decimal (an optional `-`, digits, optionally `.` and digits) of
/// at most [`MAX_DIGITS`] significant digits, as the nearest double.
///
/// Its digits as an integer below 10^15 and the power of ten of its
/// decimals are both exact doubles, so their quotient, rounded once by the
/// division, is the nearest double to the decimal (Clinger's fast path,
/// what every correctly rounding parser does for such text).
fn decimal(field: &[u8]) -> Option<f64> {
    let (negative, unsigned) = match field.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, field),
    };
    let (whole, fraction) = match unsigned.iter().position(|b| *b == b'.') {
        Some(dot) if dot + 1 < unsigned.len() => (&unsigned[..dot], &unsigned[dot + 1..]),
        Some(_) => return None,
        None => (unsigned, &[][..]),
    };
    if whole.is_empty() {
        return None;
    }
    let (mut mantissa, mut significant) = (0u64, 0u32);
    for d in whole.iter().chain(fraction) {
        if !d.is_ascii_digit() {
            return None;
        }
        if mantissa > 0 || *d != b'0' {
            significant += 1;
            if significant > MAX_DIGITS {
                return None;
            }
        }
        mantissa = mantissa * 10 + u64::from(d - b'0');
    }
    // Up to 15 significant digits, but leading zeros of the decimals may
    // make the power larger than the table.
    let power = POWERS_OF_TEN.get(fraction.len())?;
    // Below 10^15: exact.
    let value = mantissa as f64 / power;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_read_by_kind() {
        let csv = b"id,name,x,bot\n3,b,0.620,1\n4,a,,\n5,b,12.5,2\n";
        let kinds = [Kind::Int, Kind::Category, Kind::Float, Kind::NullableInt];
        let columns = read(csv, &kinds).expect("a plain table");
        assert_eq!(columns[0], Column::Int(vec![3, 4, 5]));
        assert_eq!(
            columns[1],
            Column::Category {
                codes: vec![1, 0, 1],
                categories: vec!["a".into(), "b".into()],
            }
        );
        match &columns[2] {
            Column::Float(v) => {
                assert_eq!(v[0], 0.62);
                assert!(v[1].is_nan());
                assert_eq!(v[2], 12.5);
            }
            other => panic!("not floats: {other:?}"),
        }
        assert_eq!(
            columns[3],
            Column::NullableInt {
                values: vec![1, 0, 2],
                missing: vec![false, true, false],
            }
        );
    }

    #[test]
    fn quoted_and_empty_texts_are_categories_and_missing() {
        let csv = b"name,other\n\"x, \"\"y\"\"\",\n,z\n";
        let columns = read(csv, &[Kind::Category, Kind::Category]).expect("quoted text");
        assert_eq!(
            columns[0],
            Column::Category {
                codes: vec![0, -1],
                categories: vec!["x, \"y\"".into()],
            }
        );
        assert_eq!(
            columns[1],
            Column::Category {
                codes: vec![-1, 0],
                categories: vec!["z".into()],
            }
        );
    }

    #[test]
    fn a_header_alone_is_left_to_pandas() {
        assert_eq!(read(b"a,b\n", &[Kind::Int, Kind::Category]), None);
        assert_eq!(
            read(b"a,b\n1,x\n", &[Kind::Int, Kind::Category]).map(|c| c[0].len()),
            Some(1)
        );
    }

    #[test]
    fn what_pandas_might_read_otherwise_is_left_to_it() {
        let float = |text: &str| {
            read(
                format!("x,y\n{text},1\n").as_bytes(),
                &[Kind::Float, Kind::Int],
            )
        };
        for refused in [
            "inf",
            "nan",
            "NaN",
            "1e5",
            "+1",
            ".5",
            "5.",
            "1.2.3",
            " 1",
            "0.1234567890123456",
            "0.0000000000000001",
            "-",
            "--1",
        ] {
            assert_eq!(float(refused), None, "{refused}");
        }
        for kept in ["0", "-0.5", "1234567.890", "0.00012345678901", "007"] {
            assert!(float(kept).is_some(), "{kept}");
        }
        let int = |text: &str| {
            read(
                format!("x,y\n{text},1\n").as_bytes(),
                &[Kind::Int, Kind::Int],
            )
        };
        for refused in ["", "-", "1.0", "+1", "1e3", "99999999999999999999"] {
            assert_eq!(int(refused), None, "{refused:?}");
        }
        // Rows of another width, text that is not UTF-8, one column.
        assert_eq!(read(b"a,b\n1\n", &[Kind::Int, Kind::Int]), None);
        assert_eq!(read(b"a\n1\n", &[Kind::Int, Kind::Int]), None);
        assert_eq!(read(b"a,b\n\xff,1\n", &[Kind::Category, Kind::Int]), None);
        assert_eq!(read(b"a\n1\n", &[Kind::Int]), None);
    }

    #[test]
    fn decimals_are_the_nearest_double() {
        // Three decimals, as every time in seconds is written: the nearest
        // double to ms / 1000, as pandas reads it.
        for ms in [0u64, 1, 620, 999, 36_320, 431_999_999, 123_456_789_012] {
            let text = format!("x,y\n{}.{:03},1\n", ms / 1000, ms % 1000);
            let columns = read(text.as_bytes(), &[Kind::Float, Kind::Int]).expect("a decimal");
            assert_eq!(columns[0], Column::Float(vec![ms as f64 / 1000.0]), "{ms}");
        }
    }

    proptest::proptest! {
        /// Every decimal the reader takes is the double Rust's correctly
        /// rounding parser gives, and every integer too.
        #[test]
        fn decimals_are_read_as_rust_parses_them(
            mantissa in 0u64..1_000_000_000_000_000,
            decimals in 0usize..16,
            negative: bool,
            int: i64,
        ) {
            let digits = format!("{mantissa:0>width$}", width = decimals + 1);
            let (whole, fraction) = digits.split_at(digits.len() - decimals);
            let sign = if negative { "-" } else { "" };
            let text = if decimals == 0 {
                format!("{sign}{whole}")
            } else {
                format!("{sign}{whole}.{fraction}")
            };
            let expected: f64 = text.parse().expect("a decimal");
            let read = decimal(text.as_bytes());
            proptest::prop_assert_eq!(read.map(f64::to_bits), Some(expected.to_bits()), "{}", text);
            proptest::prop_assert_eq!(integer(int.to_string().as_bytes()), Some(int));
        }
    }

    #[test]
    fn a_table_read_in_parts_is_the_table_read_at_once() {
        // Texts that first appear in different orders in different parts,
        // missing values, and a part boundary in every row's neighbourhood.
        let mut csv = String::from("id,name,x,bot,other\n");
        let names = ["delta", "alpha", "charlie", "bravo", ""];
        for i in 0..1000u64 {
            let name = names[(i * i % 7 % 5) as usize];
            let other = names[((i / 3) % 5) as usize];
            let x = if i % 11 == 0 {
                String::new()
            } else {
                format!("{}.{:03}", i * 37, i % 1000)
            };
            let bot = if i % 13 == 0 {
                String::new()
            } else {
                (i % 4).to_string()
            };
            csv.push_str(&format!("{i},{name},{x},{bot},{other}\n"));
        }
        let kinds = [
            Kind::Int,
            Kind::Category,
            Kind::Float,
            Kind::NullableInt,
            Kind::Category,
        ];
        let at_once = read_in_parts(csv.as_bytes(), &kinds, 1).expect("a plain table");
        let same = |a: &[Column], b: &[Column]| format!("{a:?}") == format!("{b:?}");
        for parts in 2..=7 {
            let in_parts = read_in_parts(csv.as_bytes(), &kinds, parts).expect("a plain table");
            assert!(same(&at_once, &in_parts), "{parts} parts");
        }
        // The split is at whole lines, and covers the body.
        let body = &csv.as_bytes()[21..];
        let pieces = split_rows(body, 4);
        assert_eq!(pieces.len(), 4);
        assert!(pieces.iter().all(|p| p.ends_with(b"\n")));
        assert_eq!(pieces.concat(), body);
        // A quote anywhere: one part, still right.
        let quoted = csv.replace("charlie", "\"char,lie\"");
        let columns = read_in_parts(quoted.as_bytes(), &kinds, 4).expect("quoted text");
        assert!(
            matches!(&columns[1], Column::Category { categories, .. } if categories.contains(&"char,lie".to_string()))
        );
        // A bad field in a later part refuses the whole table.
        let bad = format!("{csv}1001,alpha,inf,1,alpha\n");
        assert_eq!(read_in_parts(bad.as_bytes(), &kinds, 4), None);
    }

    /// Fields a column of each kind may hold, by index: what it reads, and
    /// at index 5 (drawn rarely) one it refuses, or for texts one quoted
    /// around a comma and a newline.
    fn field(kind: Kind, index: usize) -> &'static str {
        let fields: [&str; 6] = match kind {
            Kind::Int => ["7", "0", "12", "-3", "40", "1.5"],
            Kind::NullableInt => ["", "7", "0", "-2", "5", "x"],
            Kind::Float => ["-0.5", "1.000", "", "3", "4.25", "1e3"],
            Kind::Category => ["a", "b", "", "x7", "b", "\"q,\nr\""],
        };
        fields[index]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Tables of fields of every kind (empty, quoted with a newline,
        /// refused; rows ended by LF, CRLF or CR): no panic, columns of
        /// one length when read, and the same columns in any number of
        /// parts.
        #[test]
        fn any_table_is_read_alike_in_parts_or_refused(
            kinds in proptest::collection::vec(
                proptest::sample::select(vec![Kind::Int, Kind::NullableInt, Kind::Float, Kind::Category]),
                2..4,
            ),
            // Field indices (5 is the refused field, drawn rarely).
            rows in proptest::collection::vec(proptest::collection::vec(
                proptest::prop_oneof![200 => 0usize..5, 1 => proptest::strategy::Just(5usize)], 3),
                0..60,
            ),
            ends in proptest::collection::vec(
                proptest::prop_oneof![
                    300 => proptest::strategy::Just("\n"),
                    1 => proptest::strategy::Just("\r\n"),
                    1 => proptest::strategy::Just("\r"),
                ],
                61,
            ),
            parts in 2usize..6,
        ) {
            let mut text = (0..kinds.len()).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
            text.push_str(ends[60]);
            for (row, end) in rows.iter().zip(&ends) {
                let fields: Vec<&str> = kinds.iter().zip(row).map(|(k, i)| field(*k, *i)).collect();
                text.push_str(&fields.join(","));
                text.push_str(end);
            }
            let at_once = read_in_parts(text.as_bytes(), &kinds, 1);
            if let Some(columns) = &at_once {
                proptest::prop_assert!(columns.iter().all(|c| c.len() == rows.len()));
            }
            let in_parts = read_in_parts(text.as_bytes(), &kinds, parts);
            proptest::prop_assert_eq!(format!("{at_once:?}"), format!("{in_parts:?}"), "{:?}", text);
        }
    }
}
