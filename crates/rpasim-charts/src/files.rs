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

use rpasim_scenario::input::{self, LineBounded};

use crate::data::CsvTable;

/// The most bytes of a file read whole: 45,000 targets' summary rows,
/// about the most a scenario can have, take about 15 MB.
pub const MOST_READ_WHOLE: u64 = 64 << 20;

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

#[cfg(test)]
mod tests {
    use super::*;

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
