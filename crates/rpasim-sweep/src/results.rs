//! The results of a sweep's jobs: one append-only log per sweep directory.
//!
//! Each finished job appends one record, `@job <index> <length>\n`, its
//! summary's bytes and `\n`, in a single write. Reading stops at the first
//! incomplete record: an interruption in the middle of a write loses that
//! job only (it is run again on `--resume`, after the tail is cut off), and
//! never puts a corrupt row into the outputs. One file instead of one per
//! job: creating thousands of files costs more than the simulations on some
//! file systems, and serializes parallel writers on the directory.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Mutex;

/// The log's file name in a sweep directory.
pub const RESULTS_LOG: &str = "results.log";

/// Job results by job index.
pub type Results = BTreeMap<usize, Vec<u8>>;

/// The complete records of a log, and the length they span.
pub fn parse(bytes: &[u8]) -> (Results, usize) {
    let mut results = Results::new();
    let mut at = 0;
    while let Some(line_end) = bytes[at..].iter().position(|b| *b == b'\n') {
        let header = std::str::from_utf8(&bytes[at..at + line_end]).unwrap_or("");
        let mut parts = header.split(' ');
        let (Some("@job"), Some(index), Some(len)) = (parts.next(), parts.next(), parts.next())
        else {
            break;
        };
        let (Ok(index), Ok(len)) = (index.parse::<usize>(), len.parse::<usize>()) else {
            break;
        };
        let start = at + line_end + 1;
        let end = start + len;
        if end + 1 > bytes.len() || bytes[end] != b'\n' {
            break; // an interrupted write
        }
        results.insert(index, bytes[start..end].to_vec());
        at = end + 1;
    }
    (results, at)
}

/// Reads the complete records of a sweep directory's log (none if absent).
pub fn read(dir: &Path) -> io::Result<Results> {
    match File::open(dir.join(RESULTS_LOG)) {
        Ok(mut f) => {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes)?;
            Ok(parse(&bytes).0)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Results::new()),
        Err(e) => Err(e),
    }
}

/// A log open for appending by parallel jobs.
#[derive(Debug)]
pub struct Log {
    file: Mutex<File>,
}

impl Log {
    /// Opens the log of `dir`: emptied, or, to resume, cut after its last
    /// complete record. Returns the results already there.
    pub fn open(dir: &Path, resume: bool) -> io::Result<(Log, Results)> {
        let path = dir.join(RESULTS_LOG);
        let done = if resume {
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(e),
            };
            let (existing, valid) = parse(&bytes);
            OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?
                .set_len(valid as u64)?;
            existing
        } else {
            File::create(&path)?;
            Results::new()
        };
        let file = OpenOptions::new().append(true).open(&path)?;
        Ok((
            Log {
                file: Mutex::new(file),
            },
            done,
        ))
    }

    /// Appends one job's result, whole.
    pub fn append(&self, index: usize, bytes: &[u8]) -> io::Result<()> {
        let mut record = format!("@job {index} {}\n", bytes.len()).into_bytes();
        record.extend_from_slice(bytes);
        record.push(b'\n');
        let mut file = self
            .file
            .lock()
            .map_err(|_| io::Error::other("results log lock poisoned"))?;
        file.write_all(&record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (log, done) = Log::open(dir.path(), false).expect("open");
        assert!(done.is_empty());
        log.append(3, b"a,b\n1,2\n").expect("append");
        log.append(0, b"x").expect("append");
        drop(log);
        // A write cut in the middle.
        let path = dir.path().join(RESULTS_LOG);
        let mut bytes = std::fs::read(&path).expect("read");
        bytes.extend_from_slice(b"@job 7 100\npartial");
        std::fs::write(&path, &bytes).expect("write");
        let results = read(dir.path()).expect("read");
        assert_eq!(results.keys().copied().collect::<Vec<_>>(), vec![0, 3]);
        assert_eq!(results[&3], b"a,b\n1,2\n");
        // Resuming cuts the torn tail and appends after the good records.
        let (log, done) = Log::open(dir.path(), true).expect("resume");
        assert_eq!(done.len(), 2);
        log.append(7, b"y").expect("append");
        assert_eq!(read(dir.path()).expect("read").len(), 3);
    }
}
