//! An output directory's files read back for the charts and the report
//! (`rpasim plot` reads nothing else): each a regular file; those read
//! whole (summaries, goals, the scenario copy) of bounded size; CSV files
//! read row by row (runs, time series, events) of bounded line length. A
//! file that is not what rpasim writes is refused as
//! [`io::ErrorKind::InvalidData`], naming it and what is wrong, never
//! quoting its content.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use rpasim_scenario::input;

use crate::data::CsvTable;

/// The most bytes of a file read whole: 45,000 targets' summary rows,
/// about the most a scenario can have, take about 15 MB.
pub const MOST_READ_WHOLE: u64 = 64 << 20;

/// The longest line of a CSV file read row by row: a row holds up to
/// three names of a scenario of at most 8 MB and a few numbers.
pub const LONGEST_LINE: u64 = 32 << 20;

/// `path`: what is wrong with it, as [`io::ErrorKind::InvalidData`].
pub fn invalid(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

/// Opens a regular file of at most `limit` bytes.
fn open(path: &Path, limit: u64) -> io::Result<io::Take<File>> {
    input::open(path, "the file", limit).map_err(|m| invalid(path, &m))
}

/// A text file read whole.
pub fn read_text(path: &Path) -> io::Result<String> {
    let mut text = String::new();
    open(path, MOST_READ_WHOLE)?
        .read_to_string(&mut text)
        .map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData => invalid(path, "not UTF-8 text"),
            _ => e,
        })?;
    Ok(text)
}

/// A CSV table read whole.
pub fn read_table(path: &Path) -> io::Result<CsvTable> {
    let reader = csv::Reader::from_reader(LineBounded::new(open(path, MOST_READ_WHOLE)?));
    CsvTable::from_csv(reader).map_err(|e| csv_error(path, e))
}

/// A CSV file to read row by row, however long; map its errors with
/// [`csv_error`].
pub fn csv_rows(path: &Path) -> io::Result<csv::Reader<LineBounded<io::Take<File>>>> {
    Ok(csv::Reader::from_reader(LineBounded::new(open(
        path,
        u64::MAX,
    )?)))
}

/// An error of the CSV file at `path`: its own I/O errors as they are
/// (a line too long is told by [`LineBounded`]), the rest as not what
/// rpasim writes, by line.
pub fn csv_error(path: &Path, e: csv::Error) -> io::Error {
    let problem = input::csv_problem(&e);
    let line = e.position().map(csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
            invalid(path, &e.to_string())
        }
        csv::ErrorKind::Io(e) => e,
        _ => match line {
            Some(line) => invalid(path, &format!("line {line}: {problem}")),
            None => invalid(path, &problem),
        },
    }
}

/// A reader that fails with [`io::ErrorKind::InvalidData`] once more than
/// [`LONGEST_LINE`] bytes pass without a line end: the csv crate holds a
/// whole record in memory, so a file of one endless line would take as
/// much memory as it has bytes.
#[derive(Debug)]
pub struct LineBounded<R> {
    inner: R,
    since_line_end: u64,
    longest: u64,
}

impl<R> LineBounded<R> {
    /// `inner`, its lines bounded by [`LONGEST_LINE`].
    pub fn new(inner: R) -> Self {
        Self::with_longest(inner, LONGEST_LINE)
    }

    fn with_longest(inner: R, longest: u64) -> Self {
        LineBounded {
            inner,
            since_line_end: 0,
            longest,
        }
    }
}

/// The most bytes [`LineBounded`] reads at once.
const CHUNK: usize = 64 << 10;

impl<R: Read> Read for LineBounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Reads of at most `CHUNK` bytes: a line longer than the bound then
        // spans many reads, and only the bytes after the last line end of
        // each read need counting (the csv crate asks for a few kilobytes
        // at a time anyway).
        let most = buf.len().min(CHUNK);
        let n = self.inner.read(&mut buf[..most])?;
        self.since_line_end = match buf[..n].iter().rposition(|b| *b == b'\n') {
            Some(end) => (n - end - 1) as u64,
            None => self.since_line_end + n as u64,
        };
        if self.since_line_end > self.longest {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a line longer than {} MB", self.longest >> 20),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_longer_than_the_bound_are_refused() {
        let text = format!("a,b\n1,2\n{}\n3,4\n", "x".repeat(3 << 20));
        let read = |longest: u64| {
            let mut out = Vec::new();
            LineBounded::with_longest(text.as_bytes(), longest)
                .read_to_end(&mut out)
                .map(|_| out.len())
        };
        assert_eq!(read(4 << 20).expect("within"), text.len());
        let e = read(2 << 20).expect_err("too long");
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(e.to_string(), "a line longer than 2 MB");
    }

    #[test]
    fn files_not_as_rpasim_writes_them_are_named_without_their_content() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("summary.csv");
        std::fs::write(&path, "target,arrivals\nhunter2,1,2\n").expect("write");
        let e = read_table(&path).expect_err("refused");
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let message = e.to_string();
        assert!(
            message.ends_with("summary.csv: line 2: 3 fields where the header has 2"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
        std::fs::write(&path, b"target\n\xff\xfe\n").expect("write");
        let e = read_table(&path).expect_err("refused");
        assert!(e.to_string().ends_with("not UTF-8 text"), "{e}");
        std::fs::write(&path, b"\xff\xfe").expect("write");
        let e = read_text(&path).expect_err("refused");
        assert!(
            e.to_string().ends_with("summary.csv: not UTF-8 text"),
            "{e}"
        );
        let e = read_text(dir.path()).expect_err("a directory");
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("is a directory"), "{e}");
    }
}
