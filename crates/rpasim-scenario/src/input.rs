//! Files the user names, read with care: regular files only (a FIFO would
//! block forever, `/dev/zero` never ends, a directory is a mistake), of
//! bounded size, read streaming; and messages never quote the content of
//! a file that turns out not to be what was expected (a credentials file
//! given by mistake stays private).

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

/// The largest scenario or sweep file read (10,000 machines with a flow
/// each take about 2 MB; parsing takes up to ~100 bytes of memory per byte
/// of a file of tiny tables).
pub const MAX_SCENARIO_BYTES: u64 = 8 << 20;

/// The largest trace file read (about 20 million arrival instants).
pub const MAX_TRACE_BYTES: u64 = 256 << 20;

/// The longest line of a CSV file read row by row (a history, a trace, an
/// output read back): a row holds a few names of a scenario of at most
/// 8 MB, or the text columns of a history export (at most about 4 MB
/// each), and a few numbers.
pub const LONGEST_LINE: u64 = 32 << 20;

/// Checks that `path` is a regular file (following symbolic links) of at
/// most `limit` bytes; returns its size. `what` names it in messages
/// ("the scenario", "the trace").
pub fn check_regular(path: &Path, what: &str, limit: u64) -> Result<u64, String> {
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        // `-` is standard input to many tools; rpasim reads files (a
        // scenario's path names its output and finds its traces; a history
        // is read again to locate a problem).
        io::ErrorKind::NotFound if path == Path::new("-") => from_standard_input(what),
        io::ErrorKind::NotFound => match nearby(path) {
            Some(file) => format!("cannot read {what}: {e} (did you mean {}?)", file.display()),
            None => format!("cannot read {what}: {e}"),
        },
        _ => format!("cannot read {what}: {e}"),
    })?;
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(format!("{what} is a directory, not a file"));
    }
    if !kind.is_file() {
        return Err(format!(
            "{what} is not a regular file (a FIFO, socket or device cannot be read as one)"
        ));
    }
    if meta.len() > limit {
        return Err(format!(
            "{what} has {} bytes, more than the {} MB rpasim reads",
            meta.len(),
            limit >> 20
        ));
    }
    Ok(meta.len())
}

/// Why `-`, standard input to many tools, is refused for `what` (`the
/// scenario`, `a summary`): rpasim reads files.
pub fn from_standard_input(what: &str) -> String {
    format!("cannot read {what} from standard input: give it as a file")
}

/// A file the user may have meant by a `path` that does not exist: the
/// same name with `.toml` or `.csv` added, or a bundled scenario of that
/// name when run from the repository (`rpasim run quickstart`).
fn nearby(path: &Path) -> Option<std::path::PathBuf> {
    nearby_from(Path::new("."), path)
}

/// [`nearby`], with relative paths taken from `base` (and named as given).
fn nearby_from(base: &Path, path: &Path) -> Option<std::path::PathBuf> {
    let name = path.file_name()?.to_str()?;
    let mut candidates = vec![
        path.with_file_name(format!("{name}.toml")),
        path.with_file_name(format!("{name}.csv")),
    ];
    if path.parent() == Some(Path::new("")) {
        candidates.push(Path::new("scenarios").join(name));
        candidates.push(Path::new("scenarios").join(format!("{name}.toml")));
    }
    candidates.into_iter().find(|c| base.join(c).is_file())
}

/// Opens a checked regular file for streaming, reading at most `limit`
/// bytes (a file that grows while read is cut there).
pub fn open(path: &Path, what: &str, limit: u64) -> Result<io::Take<File>, String> {
    check_regular(path, what, limit)?;
    let file = File::open(path).map_err(|e| format!("cannot read {what}: {e}"))?;
    Ok(file.take(limit))
}

/// Reads a checked regular file as UTF-8 text.
pub fn read_text(path: &Path, what: &str, limit: u64) -> Result<String, String> {
    let mut text = String::new();
    open(path, what, limit)?
        .read_to_string(&mut text)
        .map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData => format!("{what} is not UTF-8 text"),
            _ => format!("cannot read {what}: {e}"),
        })?;
    Ok(text)
}

/// What is wrong with a CSV file, without the content it was reading.
pub fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".into(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        csv::ErrorKind::Io(e) => e.to_string(),
        _ => "malformed CSV".into(),
    }
}

/// The delimiter of a CSV file told by its header (the first line, or as
/// much of it as `start` holds): a comma, or a semicolon or a tab when the
/// header has no comma. Excel saves "CSV" with semicolons where the comma
/// is the decimal separator; the column names rpasim reads have neither.
pub fn csv_delimiter(start: &[u8]) -> u8 {
    let header = start.split(|b| *b == b'\n').next().unwrap_or_default();
    let has = |d: u8| header.contains(&d);
    match (has(b','), has(b';'), has(b'\t')) {
        (false, true, _) => b';',
        (false, false, true) => b'\t',
        _ => b',',
    }
}

/// The line a CSV record starts on, from the csv crate's count `line` at
/// the record's start and the bytes `following` its start offset. The
/// crate counts a line at each `\n` it consumes, and a record starts
/// before the `\n` of a `\r\n` line end and those of blank lines ahead of
/// it are consumed (BurntSushi/rust-csv issues 395 and 208): its count is
/// then short by one for each, every line of a file saved on Windows.
pub fn csv_line(line: u64, following: impl IntoIterator<Item = u8>) -> u64 {
    let pending = following
        .into_iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|b| *b == b'\n')
        .count();
    line + pending as u64
}

/// [`csv_line`] of a record at byte offset `byte` of the file at `path`,
/// read again there: for a message, once (reading a file of millions of
/// rows does not pay it at each row). The csv crate's count if the file
/// cannot be read again.
pub fn csv_line_in_file(path: &Path, line: u64, byte: u64) -> u64 {
    use std::io::{BufReader, Seek, SeekFrom};
    let Ok(mut file) = File::open(path) else {
        return line;
    };
    if file.seek(SeekFrom::Start(byte)).is_err() {
        return line;
    }
    csv_line(line, BufReader::new(file).bytes().map_while(Result::ok))
}

/// A short, printable excerpt of a value from a file known to be of the
/// expected kind: at most 24 characters, control characters replaced.
pub fn excerpt(value: &str) -> String {
    let mut s: String = value
        .chars()
        .take(24)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if value.chars().count() > 24 {
        s.push('…');
    }
    format!("{s:?}")
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
    fn csv_lines_count_the_line_ends_the_csv_crate_has_not_consumed() {
        // A malformed row on line 4 of the same file saved three ways.
        for text in [
            "arrival_s\n10\n20\nlater\n",
            "arrival_s\r\n10\r\n20\r\nlater\r\n",
            "arrival_s\r\n10\r\n\r\nlater\r\n",
        ] {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let records: Vec<csv::StringRecord> =
                reader.records().map(|r| r.expect("CSV")).collect();
            let later = records
                .last()
                .and_then(|r| r.position())
                .expect("a position");
            let byte = later.byte() as usize;
            let line = csv_line(later.line(), text.as_bytes()[byte..].iter().copied());
            assert_eq!(line, 4, "{text:?}");
        }
    }

    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(
            check_regular(dir.path(), "x", 10)
                .unwrap_err()
                .contains("directory")
        );
        let f = dir.path().join("f");
        fs::write(&f, "0123456789ab").expect("write");
        assert!(check_regular(&f, "x", 10).unwrap_err().contains("12 bytes"));
        assert_eq!(read_text(&f, "x", 100).expect("read"), "0123456789ab");
        #[cfg(unix)]
        assert!(
            check_regular(Path::new("/dev/zero"), "x", 10)
                .unwrap_err()
                .contains("not a regular file")
        );
        fs::write(&f, [0xff, 0xfe, 0x00]).expect("write");
        assert!(read_text(&f, "x", 100).unwrap_err().contains("not UTF-8"));
    }

    #[test]
    fn a_missing_file_names_the_one_probably_meant() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("office.toml"), "").expect("write");
        fs::write(dir.path().join("history.csv"), "").expect("write");
        let said = |name: &str| check_regular(&dir.path().join(name), "it", 10).unwrap_err();
        let office = dir.path().join("office.toml");
        assert!(
            said("office").ends_with(&format!("(did you mean {}?)", office.display())),
            "{}",
            said("office")
        );
        assert!(
            said("history").contains("history.csv?)"),
            "{}",
            said("history")
        );
        assert!(
            !said("nothing").contains("did you mean"),
            "{}",
            said("nothing")
        );
        // A bundled scenario by its name, from the repository's root (as
        // the README's commands are run).
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert!(root.join("scenarios/quickstart.toml").is_file());
        assert_eq!(
            nearby_from(&root, Path::new("quickstart")),
            Some(Path::new("scenarios").join("quickstart.toml"))
        );
        assert_eq!(
            nearby_from(&root, Path::new("quickstart.toml")),
            Some(Path::new("scenarios").join("quickstart.toml"))
        );
        assert_eq!(nearby_from(&root, Path::new("nothing")), None);
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        assert_eq!(excerpt("soon"), "\"soon\"");
        assert_eq!(excerpt("a\u{1b}[31mb"), "\"a?[31mb\"");
        assert_eq!(excerpt(&"x".repeat(40)).chars().count(), 27);
    }
}
