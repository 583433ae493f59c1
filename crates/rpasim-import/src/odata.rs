//! The Web API's answer, `{"value": [ {run}, {run}, ... ]}`, split into
//! the text of each run as it is read, so that serde_json parses every
//! run from memory (batches of runs on several cores) while only a batch's
//! text is held (about a megabyte, at most 4 MB), whatever the size of the
//! file.
//! (serde_json parses a reader byte by byte: 300,000 runs took 2.8 times
//! as long as their CSV.)
//!
//! Only an answer laid out plainly is split: an object whose keys have no
//! escapes, one `value` array of objects, no link to a next page, runs
//! nested at most [`MAX_DEPTH`] deep, nothing after the object. For any
//! other answer, and at the first problem of any kind, [`for_each_run`]
//! answers `Ok(false)`: the caller then reads the file as a stream with
//! serde_json, which accepts what is valid and tells what is not where
//! it always has. So the splitter never decides what a history is, only
//! how fast a plain one is read.

use std::borrow::Cow;
use std::io::BufRead;

use rpasim_scenario::cores;

use crate::ImportError;

/// A run of the answer as serde_json reads it from a stream: its columns
/// and their values.
pub(crate) type Row = serde_json::Map<String, serde_json::Value>;

/// What is done with each run (from 1) of the `value` array.
pub(crate) type EachRun<'a> = dyn FnMut(usize, &dyn Run) -> Result<(), ImportError> + 'a;

/// A run of the answer, whichever way it was read.
pub(crate) trait Run {
    /// Calls `each` with the run's columns in the order of their names,
    /// each once (as a map of them lists them).
    fn columns(&self, each: &mut dyn FnMut(&str));

    /// The cell of column `name`, trimmed: a text as written, a number or
    /// a boolean as JSON writes it, and nothing for `null`, an array, an
    /// object or a column the run does not have.
    fn cell(&self, name: &str) -> Cow<'_, str>;
}

impl Run for Row {
    fn columns(&self, each: &mut dyn FnMut(&str)) {
        self.keys().for_each(|k| each(k));
    }

    fn cell(&self, name: &str) -> Cow<'_, str> {
        match self.get(name) {
            Some(serde_json::Value::String(s)) => Cow::Borrowed(s.trim()),
            Some(serde_json::Value::Number(n)) => Cow::Owned(n.to_string()),
            Some(serde_json::Value::Bool(b)) => Cow::Owned(b.to_string()),
            _ => Cow::Borrowed(""),
        }
    }
}

/// The member of an OData answer that links to its next page.
pub(crate) const NEXT_LINK: &str = "@odata.nextLink";

/// Runs nested deeper than this are not split. serde_json refuses
/// nesting deeper than 128 levels counted from the start of the answer,
/// which a run parsed on its own would not see; two levels (the answer's
/// object and its array) plus this stay far below.
const MAX_DEPTH: usize = 64;

/// What a pass over the answer reads of each run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// Only its columns' names: the run's values are skipped, not checked
    /// (a pass reading the cells checks them).
    Columns,
    /// Its columns and cells.
    Cells,
}

/// Calls `each` with every run of the answer `input` holds, in order, one
/// at a time, read as `reading` says: `Ok(true)` when the whole answer
/// was read. `Ok(false)` when it is not laid out plainly (or does not
/// read: the caller reads it again to tell why), having called `each`
/// with none, some or all of the runs before the problem. An error of
/// `each` stops the reading and is returned.
pub(crate) fn for_each_run(
    input: impl BufRead,
    reading: Reading,
    each: &mut EachRun<'_>,
) -> Result<bool, ImportError> {
    let mut answer = Splitter {
        input,
        reading,
        text: Vec::new(),
    };
    Ok(answer.read(each)?.is_some())
}

/// The answer's bytes being split, and the text of the value split last.
struct Splitter<R> {
    input: R,
    reading: Reading,
    text: Vec<u8>,
}

/// `Some(())` to go on, `None` when the answer is not plain.
type Plain = Option<()>;

impl<R: BufRead> Splitter<R> {
    /// The answer's object, calling `each` with the runs of its `value`.
    fn read(&mut self, each: &mut EachRun<'_>) -> Result<Plain, ImportError> {
        match self.token() {
            Some(b'{') => {}
            // A bare array of runs, as the `value` array alone (pandas'
            // `to_json(orient="records")` and many other tools write it).
            Some(b'[') => {
                let read = self.elements(each)?;
                return Ok(read.and_then(|()| self.at_end().then_some(())));
            }
            _ => return Ok(None),
        }
        let mut runs_read = false;
        loop {
            if self.token() != Some(b'"') {
                return Ok(None);
            }
            let Some(key) = self.key() else {
                return Ok(None);
            };
            if self.token() != Some(b':') {
                return Ok(None);
            }
            let member = match key.as_str() {
                "value" if !runs_read => {
                    runs_read = true;
                    self.runs(each)?
                }
                "value" | NEXT_LINK => None,
                _ => self.ignored(),
            };
            if member.is_none() {
                return Ok(None);
            }
            match self.token() {
                Some(b',') => continue,
                Some(b'}') => break,
                _ => return Ok(None),
            }
        }
        Ok((runs_read && self.at_end()).then_some(()))
    }

    /// Whether only whitespace is left, read to the end without failing.
    fn at_end(&mut self) -> bool {
        self.token().is_none() && self.input.fill_buf().is_ok_and(|rest| rest.is_empty())
    }

    /// The `value` array, past its key: each run parsed and given to
    /// `each`.
    fn runs(&mut self, each: &mut EachRun<'_>) -> Result<Plain, ImportError> {
        if self.token() != Some(b'[') {
            return Ok(None);
        }
        self.elements(each)
    }

    /// The runs of an array whose `[` was just read.
    fn elements(&mut self, each: &mut EachRun<'_>) -> Result<Plain, ImportError> {
        let mut next = self.token();
        if next == Some(b']') {
            return Ok(Some(()));
        }
        let mut batch = Batch::new();
        loop {
            if next != Some(b'{') || self.value(b'{').is_none() {
                return Ok(None);
            }
            batch.push(&self.text);
            let last = match self.token() {
                Some(b',') => false,
                Some(b']') => true,
                _ => return Ok(None),
            };
            if (last || batch.is_full()) && batch.give(self.reading, each)?.is_none() {
                return Ok(None);
            }
            if last {
                return Ok(Some(()));
            }
            next = self.token();
        }
    }

    /// A member other than the runs, past its key: read and checked to be
    /// JSON, its value unused.
    fn ignored(&mut self) -> Plain {
        let first = self.token()?;
        self.value(first)?;
        serde_json::from_slice::<serde::de::IgnoredAny>(&self.text).ok()?;
        Some(())
    }

    /// The next byte that is not JSON whitespace, consumed; `None` at the
    /// end of the input or on a failure to read it.
    fn token(&mut self) -> Option<u8> {
        loop {
            let buf = self.input.fill_buf().ok()?;
            if buf.is_empty() {
                return None;
            }
            match buf
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                Some(i) => {
                    let b = buf[i];
                    self.input.consume(i + 1);
                    return Some(b);
                }
                None => {
                    let n = buf.len();
                    self.input.consume(n);
                }
            }
        }
    }

    /// A key, past its opening quote, up to its closing one: `None` for
    /// one with an escape or a control character (serde_json tells those
    /// apart), or not UTF-8.
    fn key(&mut self) -> Option<String> {
        let mut key = Vec::new();
        loop {
            let buf = self.input.fill_buf().ok()?;
            if buf.is_empty() {
                return None;
            }
            let end = buf
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            let taken = end.unwrap_or(buf.len());
            key.extend_from_slice(&buf[..taken]);
            let closed = end.map(|i| buf[i] == b'"');
            self.input
                .consume(taken + usize::from(closed == Some(true)));
            match closed {
                Some(true) => return String::from_utf8(key).ok(),
                Some(false) => return None,
                None => {}
            }
        }
    }

    /// The text of a value whose first byte, `first`, was just read, into
    /// `self.text`: an object or array up to its closing bracket, a
    /// string up to its closing quote, anything else up to the next
    /// delimiter (left unread). The text is not checked: serde_json
    /// parses it next.
    fn value(&mut self, first: u8) -> Plain {
        self.text.clear();
        self.text.push(first);
        let mut scan = Scan {
            depth: usize::from(matches!(first, b'{' | b'[')),
            in_string: first == b'"',
            escaped: false,
            scalar: !matches!(first, b'{' | b'[' | b'"'),
        };
        loop {
            let buf = self.input.fill_buf().ok()?;
            if buf.is_empty() {
                // Only a scalar may end with the input (and then the
                // answer's object is unclosed: not plain, below).
                return scan.scalar.then_some(());
            }
            let (taken, done) = scan.over(buf);
            self.text.extend_from_slice(&buf[..taken]);
            self.input.consume(taken);
            if scan.depth > MAX_DEPTH {
                return None;
            }
            if done {
                return Some(());
            }
        }
    }
}

/// Runs split before they are parsed, together, on several cores.
const BATCH: usize = if cfg!(test) { 4 } else { 4096 };

/// Bytes of runs' text split before they are parsed, however few the
/// runs: a history of big runs holds no more than this at once.
const BATCH_BYTES: usize = 4 << 20;

/// Runs a thread parses at least (fewer do not pay for starting it).
const RUNS_PER_THREAD: usize = if cfg!(test) { 2 } else { 1024 };

/// The texts of runs split and not yet given, end to end.
struct Batch {
    texts: Vec<u8>,
    /// Where each run's text ends in `texts`.
    ends: Vec<usize>,
    /// Runs given so far.
    given: usize,
    /// Threads to parse a full batch on (asked once: asking for the
    /// cores reads files of the system's).
    threads: usize,
}

impl Batch {
    fn new() -> Self {
        Batch {
            texts: Vec::new(),
            ends: Vec::new(),
            given: 0,
            threads: cores::threads_for(BATCH, RUNS_PER_THREAD),
        }
    }

    fn push(&mut self, text: &[u8]) {
        self.texts.extend_from_slice(text);
        self.ends.push(self.texts.len());
    }

    fn is_full(&self) -> bool {
        self.ends.len() >= BATCH || self.texts.len() >= BATCH_BYTES
    }

    /// Parses the runs held, on several cores when there are enough, and
    /// gives them to `each` in order, then empties. `None` if one does
    /// not read (none of the batch is given then).
    fn give(&mut self, reading: Reading, each: &mut EachRun<'_>) -> Result<Plain, ImportError> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        let runs: Vec<&[u8]> = (starts.zip(&self.ends))
            .map(|(start, end)| &self.texts[start..*end])
            .collect();
        // A thread for every `RUNS_PER_THREAD` runs, up to those of a full
        // batch: the last batch may be short.
        let threads = (runs.len() / RUNS_PER_THREAD).clamp(1, self.threads);
        let given = match reading {
            Reading::Columns => give_all::<SplitColumns<'_>>(&runs, threads, self.given, each)?,
            Reading::Cells => give_all::<SplitRun<'_>>(&runs, threads, self.given, each)?,
        };
        self.given += runs.len();
        self.texts.clear();
        self.ends.clear();
        Ok(given)
    }
}

/// Reads the texts of `runs` as `T`s on `threads` threads, then calls
/// `each` with them in order, numbered after `before`. `None`, and no run
/// given, if one does not read.
fn give_all<'t, T: serde::Deserialize<'t> + Run + Send>(
    runs: &[&'t [u8]],
    threads: usize,
    before: usize,
    each: &mut EachRun<'_>,
) -> Result<Plain, ImportError> {
    let parse = |part: &[&'t [u8]]| -> Option<Vec<T>> {
        part.iter()
            .map(|text| serde_json::from_slice(text).ok())
            .collect()
    };
    let parts: Option<Vec<Vec<T>>> = cores::by_runs(runs, threads, parse).into_iter().collect();
    let Some(parts) = parts else {
        return Ok(None);
    };
    for (k, run) in parts.iter().flatten().enumerate() {
        each(before + k + 1, run)?;
    }
    Ok(Some(()))
}

/// Where the scan of a value's text stands between two buffers of input.
struct Scan {
    /// Open brackets and braces.
    depth: usize,
    /// Inside a string.
    in_string: bool,
    /// Just after a backslash inside a string.
    escaped: bool,
    /// A number, `true`, `false` or `null` (or anything not JSON), which
    /// ends at a delimiter.
    scalar: bool,
}

impl Scan {
    /// How many bytes of `buf` belong to the value, and whether it ends
    /// there.
    fn over(&mut self, buf: &[u8]) -> (usize, bool) {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            if self.scalar {
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    return (i, true);
                }
            } else if self.escaped {
                self.escaped = false;
            } else if self.in_string {
                // Most of a run's text is in its strings: skip to where
                // one may end.
                match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                    None => return (buf.len(), false),
                    Some(skip) if buf[i + skip] == b'"' => {
                        i += skip;
                        self.in_string = false;
                        if self.depth == 0 {
                            return (i + 1, true);
                        }
                    }
                    Some(skip) => {
                        i += skip;
                        self.escaped = true;
                    }
                }
            } else {
                match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => {
                        self.depth += 1;
                        if self.depth > MAX_DEPTH {
                            return (i + 1, false);
                        }
                    }
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return (i + 1, true);
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        (buf.len(), false)
    }
}

/// A run as the splitter reads it: its columns in the order written, each
/// with its value read as a `V`, the names (and [`Cell`]s' texts) borrowed
/// from the run's text unless they have escapes. (A map of new strings and
/// values, as `Row` is, was 40 % of the time of reading a history.)
struct Split<'a, V>(Vec<(Cow<'a, str>, V)>);

/// A run with its cells.
type SplitRun<'a> = Split<'a, Cell<'a>>;

/// A run's columns alone, its values skipped unchecked.
type SplitColumns<'a> = Split<'a, serde::de::IgnoredAny>;

impl<V> Split<'_, V> {
    /// Calls `each` with the run's columns in the order of their names,
    /// each once.
    fn each_column(&self, each: &mut dyn FnMut(&str)) {
        let mut names: Vec<&str> = self.0.iter().map(|(name, _)| name.as_ref()).collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().for_each(each);
    }
}

impl Run for SplitColumns<'_> {
    fn columns(&self, each: &mut dyn FnMut(&str)) {
        self.each_column(each);
    }

    /// Nothing: only the run's columns were read.
    fn cell(&self, _name: &str) -> Cow<'_, str> {
        Cow::Borrowed("")
    }
}

/// The value of a column of a [`SplitRun`].
enum Cell<'a> {
    /// A string.
    Text(Cow<'a, str>),
    /// A number, as `serde_json::Value` holds it.
    Number(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`, an array or an object.
    Nothing,
}

impl Run for SplitRun<'_> {
    fn columns(&self, each: &mut dyn FnMut(&str)) {
        self.each_column(each);
    }

    fn cell(&self, name: &str) -> Cow<'_, str> {
        // The last of a column written twice, as in a map.
        match self.0.iter().rev().find(|(k, _)| k == name) {
            Some((_, Cell::Text(s))) => Cow::Borrowed(s.trim()),
            Some((_, Cell::Number(n))) => Cow::Owned(n.to_string()),
            Some((_, Cell::Bool(b))) => Cow::Owned(b.to_string()),
            _ => Cow::Borrowed(""),
        }
    }
}

// The visitors below take only what `serde_json::Value` takes the same
// way; anything else is an error, so that the answer is read again as a
// stream (the module's comment).

impl<'de, V: serde::Deserialize<'de>> serde::Deserialize<'de> for Split<'de, V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SplitVisitor(std::marker::PhantomData))
    }
}

/// Reads a [`Split`] with values of type `V`.
struct SplitVisitor<V>(std::marker::PhantomData<V>);

impl<'de, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for SplitVisitor<V> {
    type Value = Split<'de, V>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a run")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut cells = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(Text(name)) = map.next_key()? {
            cells.push((name, map.next_value()?));
        }
        Ok(Split(cells))
    }
}

/// A column's name, borrowed when it has no escapes: read as a [`Cell`],
/// which JSON makes a text (a key is always a string).
struct Text<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Cell::deserialize(d)? {
            Cell::Text(name) => Ok(Text(name)),
            _ => Err(serde::de::Error::custom(
                "a column's name that is not a string",
            )),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Cell<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CellVisitor)
    }
}

/// Reads a [`Cell`]: numbers become what `serde_json::Value` makes of
/// them, and arrays and objects are read whole as values (checked as
/// `Value` checks them), then dropped.
struct CellVisitor;

impl<'de> serde::de::Visitor<'de> for CellVisitor {
    type Value = Cell<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cell::Text(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cell::Text(Cow::Owned(s.to_owned())))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Cell::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Cell::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(n).map_or(Cell::Nothing, Cell::Number))
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Cell::Bool(b))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Cell::Nothing)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde_json::Value>()?.is_some() {}
        Ok(Cell::Nothing)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<String, serde_json::Value>()?.is_some() {}
        Ok(Cell::Nothing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch of a few big runs is parsed before it has its count, so
    /// that a history of big runs is not held whole (600 MB of 200 KB
    /// runs: 18 MB read this way, 1.4 GB by the count alone).
    #[test]
    fn a_batch_of_big_runs_is_full_before_its_count() {
        let mut batch = Batch::new();
        batch.push(&vec![b' '; BATCH_BYTES - 1]);
        assert!(!batch.is_full());
        batch.push(b"{}");
        assert!(batch.ends.len() < BATCH && batch.is_full());
    }
}
