//! The results of a sweep's jobs: one append-only log per sweep directory.
//!
//! Each finished job appends one record, `@job <index> <length> <sum>\n`,
//! its summary's bytes and `\n`, in a single write; `<sum>` is a 64-bit
//! SipHash of the index and the bytes, in hex. Reading stops at the first
//! incomplete record, or one whose bytes do not match their sum: an
//! interruption in the middle of a write loses that job only (it is run
//! again on `--resume`, after the tail is cut off), and a damaged or
//! edited log loses the jobs from the damage on (run again likewise),
//! where its numbers went into the outputs or failed the assembly with a
//! CSV error. Records of logs written before the sum was added (without
//! it) are read as they were. One file instead of one per
//! job: creating thousands of files costs more than the simulations on some
//! file systems, and serializes parallel writers on the directory.
//!
//! The log is never loaded whole: [`Index`] records where each result is,
//! and [`Index::fetch`] reads one when it is needed, so assembling a sweep
//! holds one variant's results at a time, however many runs it has.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::hash::Hasher;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use siphasher::sip::SipHasher13;

/// The log's file name in a sweep directory.
pub const RESULTS_LOG: &str = "results.log";

/// Separates a job's `summary.csv` from its `summary-flows.csv` in its
/// result (a line no CSV of a summary can hold).
const FLOWS_MARKER: &[u8] = b"#flows\n";

/// One job's result: its `summary.csv` and `summary-flows.csv`, as bytes.
pub fn job_result(targets: &[u8], flows: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(targets.len() + flows.len() + FLOWS_MARKER.len());
    bytes.extend_from_slice(targets);
    bytes.extend_from_slice(FLOWS_MARKER);
    bytes.extend_from_slice(flows);
    bytes
}

/// A job's result split into its `summary.csv` and `summary-flows.csv`.
pub fn split_job_result(bytes: &[u8]) -> (&[u8], Option<&[u8]>) {
    match bytes
        .windows(FLOWS_MARKER.len())
        .position(|w| w == FLOWS_MARKER)
    {
        Some(i) => (&bytes[..i], Some(&bytes[i + FLOWS_MARKER.len()..])),
        None => (bytes, None),
    }
}

/// Where one record's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Location {
    /// Which log (index into [`Index::logs`]).
    log: usize,
    offset: u64,
    len: usize,
}

/// Job index to the (offset, length) of its result in one log.
type Records = BTreeMap<usize, (u64, usize)>;

/// What a scan of a log found.
struct Scanned {
    /// Its whole records.
    records: Records,
    /// The length of the log they span (where a torn or changed record
    /// starts, if any).
    whole: u64,
    /// The log's length.
    size: u64,
}

/// The whole records of a log: read up to the first record torn or not
/// matching its sum.
fn scan(path: &Path) -> io::Result<Scanned> {
    let none = Scanned {
        records: BTreeMap::new(),
        whole: 0,
        size: 0,
    };
    // The kind of file first: opening a FIFO for reading waits for a
    // writer (a shard's log replaced by one hung `merge`).
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: not a regular file (a FIFO, socket, device or directory cannot be a \
                     results log)",
                    path.display()
                ),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(none),
        _ => {}
    }
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(none),
        Err(e) => return Err(e),
    };
    let size = file.metadata()?.len();
    let mut reader = BufReader::new(file);
    let (mut records, mut at) = (BTreeMap::new(), 0u64);
    let mut header = Vec::new();
    loop {
        header.clear();
        // A header is short: more than 96 bytes without a newline is a torn record.
        let n = (&mut reader).take(96).read_until(b'\n', &mut header)?;
        let Some((index, len, sum)) = parse_header(&header) else {
            break;
        };
        let start = at + n as u64;
        let end = start + len as u64;
        if end + 1 > size {
            break; // an interrupted write
        }
        // Read through (never held whole), summed where the record has a sum.
        let mut summer = Sum::new(index);
        let copied = io::copy(&mut (&mut reader).take(len as u64), &mut summer)?;
        if copied != len as u64 || sum.is_some_and(|s| s != summer.finish()) {
            break;
        }
        let mut newline = [0u8];
        reader.read_exact(&mut newline)?;
        if newline[0] != b'\n' {
            break;
        }
        records.insert(index, (start, len));
        at = end + 1;
    }
    Ok(Scanned {
        records,
        whole: at,
        size,
    })
}

/// The sum of a record: a SipHash (fixed keys) of its job's index and its
/// bytes, fed in any pieces.
struct Sum(SipHasher13);

impl Sum {
    fn new(index: usize) -> Self {
        let mut hasher = SipHasher13::new_with_keys(0, 0);
        hasher.write(&(index as u64).to_le_bytes());
        Sum(hasher)
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

impl Write for Sum {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.write(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `@job <index> <len> <sum>\n` -> (index, len, Some(sum)); a header of
/// a log written before sums were, `@job <index> <len>\n`, gives no sum.
fn parse_header(line: &[u8]) -> Option<(usize, usize, Option<u64>)> {
    let text = std::str::from_utf8(line.strip_suffix(b"\n")?).ok()?;
    let mut parts = text.split(' ');
    let (Some("@job"), Some(index), Some(len), sum, None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let sum = match sum {
        Some(hex) if hex.len() == 16 => Some(u64::from_str_radix(hex, 16).ok()?),
        Some(_) => return None,
        None => None,
    };
    Some((index.parse().ok()?, len.parse().ok()?, sum))
}

/// Where every finished job's result is, in the logs of one sweep
/// directory or of the shards being merged.
#[derive(Debug)]
pub struct Index {
    logs: Vec<PathBuf>,
    records: BTreeMap<usize, Location>,
    /// The logs open for reading, at most [`MOST_OPEN`]: a merge of
    /// thousands of shards would otherwise hold a file open for each, past
    /// the process's limit (often 1,024).
    open: BTreeMap<usize, BufReader<File>>,
    /// Per log with bytes after its last whole record (a record torn by
    /// an interruption, or damaged since): the log, where its whole
    /// records end, and its size.
    unread: Vec<(usize, u64, u64)>,
}

/// Most shards' logs held open at once while their results are read.
const MOST_OPEN: usize = 64;

impl Index {
    /// Scans the logs of `dirs` (a missing log has no results).
    pub fn scan(dirs: &[PathBuf]) -> io::Result<Self> {
        let (mut records, mut unread) = (BTreeMap::new(), Vec::new());
        let logs: Vec<PathBuf> = dirs.iter().map(|d| d.join(RESULTS_LOG)).collect();
        for (log, path) in logs.iter().enumerate() {
            let found = scan(path)?;
            if found.whole < found.size {
                unread.push((log, found.whole, found.size));
            }
            records.extend(
                found
                    .records
                    .into_iter()
                    .map(|(job, (offset, len))| (job, Location { log, offset, len })),
            );
        }
        Ok(Index {
            open: BTreeMap::new(),
            logs,
            records,
            unread,
        })
    }

    /// What the first log with bytes after its last whole record holds
    /// there, for a message about missing results.
    pub fn unread_tail(&self) -> Option<String> {
        let &(log, whole, size) = self.unread.first()?;
        Some(format!(
            "{} is whole up to byte {whole} of {size} (a record cut by an interruption, or \
             changed since it was written: its jobs and those after it are run again on \
             --resume)",
            self.logs[log].display()
        ))
    }

    /// Whether job `index` has a result.
    pub fn contains(&self, index: usize) -> bool {
        self.records.contains_key(&index)
    }

    /// Reads the result of job `index`, if there is one.
    pub fn fetch(&mut self, index: usize) -> io::Result<Option<Vec<u8>>> {
        let Some(at) = self.records.get(&index).copied() else {
            return Ok(None);
        };
        if !self.open.contains_key(&at.log) {
            if self.open.len() >= MOST_OPEN {
                self.open.pop_first();
            }
            let file = File::open(&self.logs[at.log])?;
            self.open.insert(at.log, BufReader::new(file));
        }
        let reader = self
            .open
            .get_mut(&at.log)
            .ok_or_else(|| io::Error::other("a results log not open"))?;
        reader.seek(SeekFrom::Start(at.offset))?;
        let mut bytes = vec![0; at.len];
        reader.read_exact(&mut bytes)?;
        Ok(Some(bytes))
    }
}

/// A log open for appending by parallel jobs.
#[derive(Debug)]
pub struct Log {
    file: Mutex<File>,
}

impl Log {
    /// Opens the log of `dir`: emptied, or, to resume, cut after its last
    /// complete record. Returns the jobs already done.
    pub fn open(dir: &Path, resume: bool) -> io::Result<(Log, BTreeSet<usize>)> {
        let path = dir.join(RESULTS_LOG);
        let done = if resume {
            let Scanned { records, whole, .. } = scan(&path)?;
            OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?
                .set_len(whole)?;
            records.into_keys().collect()
        } else {
            File::create(&path)?;
            BTreeSet::new()
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
        let mut sum = Sum::new(index);
        sum.0.write(bytes);
        let mut record =
            format!("@job {index} {} {:016x}\n", bytes.len(), sum.finish()).into_bytes();
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
        let good = bytes.len() as u64;
        bytes.extend_from_slice(b"@job 7 100\npartial");
        std::fs::write(&path, &bytes).expect("write");
        let dirs = [dir.path().to_path_buf()];
        let mut index = Index::scan(&dirs).expect("scan");
        assert!(index.contains(0) && index.contains(3) && !index.contains(7));
        assert_eq!(
            index.fetch(3).expect("read").as_deref(),
            Some(&b"a,b\n1,2\n"[..])
        );
        assert_eq!(index.fetch(0).expect("read").as_deref(), Some(&b"x"[..]));
        assert_eq!(index.fetch(7).expect("read"), None);
        // Resuming cuts the torn tail and appends after the good records.
        let (log, done) = Log::open(dir.path(), true).expect("resume");
        assert_eq!(done.into_iter().collect::<Vec<_>>(), vec![0, 3]);
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), good);
        log.append(7, b"y").expect("append");
        let mut index = Index::scan(&dirs).expect("scan");
        assert_eq!(index.fetch(7).expect("read").as_deref(), Some(&b"y"[..]));
    }

    #[test]
    fn many_shards_are_read_with_few_files_open() {
        // 200 shards, job j in shard j % 200, read in job order (every
        // shard in turn) twice: each result right, never more than
        // MOST_OPEN logs open.
        let root = tempfile::tempdir().expect("temp dir");
        let dirs: Vec<PathBuf> = (0..200)
            .map(|i| root.path().join(format!("s{i}")))
            .collect();
        for (i, dir) in dirs.iter().enumerate() {
            std::fs::create_dir(dir).expect("mkdir");
            let (log, _) = Log::open(dir, false).expect("open");
            for job in (i..1_000).step_by(dirs.len()) {
                log.append(job, job.to_string().as_bytes()).expect("append");
            }
        }
        let mut index = Index::scan(&dirs).expect("scan");
        for _ in 0..2 {
            for job in 0..1_000 {
                let bytes = index.fetch(job).expect("read").expect("a result");
                assert_eq!(bytes, job.to_string().into_bytes());
                assert!(index.open.len() <= MOST_OPEN);
            }
        }
    }

    #[test]
    fn a_result_holds_both_summaries() {
        let bytes = job_result(b"target,arrivals\nall,1\n", b"flow,target\nf,all\n");
        assert_eq!(
            split_job_result(&bytes),
            (
                &b"target,arrivals\nall,1\n"[..],
                Some(&b"flow,target\nf,all\n"[..])
            )
        );
        assert_eq!(split_job_result(b"a\n"), (&b"a\n"[..], None));
    }

    #[test]
    fn a_torn_header_or_garbage_ends_the_log() {
        for tail in [&b"@job 1"[..], b"@job x 3\nabc\n", b"@job 1 3\nabcd"] {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut bytes = b"@job 0 2\nok\n".to_vec();
            bytes.extend_from_slice(tail);
            std::fs::write(dir.path().join(RESULTS_LOG), &bytes).expect("write");
            let found = scan(&dir.path().join(RESULTS_LOG)).expect("scan");
            assert_eq!(found.records.keys().copied().collect::<Vec<_>>(), vec![0]);
            assert_eq!(found.whole, 12);
            assert_eq!(found.size, bytes.len() as u64);
        }
    }

    /// A log changed after it was written (a byte of a number, of a
    /// header, of a sum): reading stops at the changed record, so its job
    /// and those after it are run again on `--resume`, where the changed
    /// numbers went into the outputs. Found by changing bytes of a sweep's
    /// log: a resume gave other means than the sweep.
    #[test]
    fn a_record_whose_bytes_do_not_match_its_sum_ends_the_log() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (log, _) = Log::open(dir.path(), false).expect("open");
        for (job, text) in [(0, "all,10\n"), (1, "all,20\n"), (2, "all,30\n")] {
            log.append(job, text.as_bytes()).expect("append");
        }
        drop(log);
        let path = dir.path().join(RESULTS_LOG);
        let good = std::fs::read(&path).expect("read");
        let first = good.iter().position(|b| *b == b'\n').expect("a header") + 9;
        let second = first
            + good[first..]
                .windows(4)
                .position(|w| w == b"@job")
                .expect("2");
        let third = second
            + 1
            + good[second + 1..]
                .windows(4)
                .position(|w| w == b"@job")
                .expect("3");
        // Each byte of the second record changed in turn.
        for at in second..third {
            let mut bytes = good.clone();
            bytes[at] = if bytes[at] == b'7' { b'8' } else { b'7' };
            std::fs::write(&path, &bytes).expect("write");
            let found = scan(&path).expect("scan");
            let records: Vec<usize> = found.records.keys().copied().collect();
            assert_eq!(records, [0], "byte {at}");
            assert_eq!(found.whole, second as u64, "byte {at}");
            assert_eq!(found.size, good.len() as u64, "byte {at}");
        }
        // Untouched, all three; written before sums were, read as before.
        std::fs::write(&path, &good).expect("write");
        assert_eq!(scan(&path).expect("scan").records.len(), 3);
        std::fs::write(&path, b"@job 0 7\nall,10\n\n@job 1 7\nall,20\n\n").expect("write");
        assert_eq!(scan(&path).expect("scan").records.len(), 2);
    }

    #[test]
    fn a_sum_is_the_same_in_any_pieces() {
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut whole = Sum::new(5);
        whole.write_all(&bytes).expect("sum");
        for piece in [1, 3, 8, 1000, 8192] {
            let mut pieces = Sum::new(5);
            for chunk in bytes.chunks(piece) {
                pieces.write_all(chunk).expect("sum");
            }
            assert_eq!(pieces.finish(), whole.finish(), "pieces of {piece}");
        }
        assert_ne!(Sum::new(6).finish(), Sum::new(5).finish());
    }

    #[test]
    fn shards_are_read_from_their_own_logs() {
        let (a, b) = (
            tempfile::tempdir().expect("a"),
            tempfile::tempdir().expect("b"),
        );
        Log::open(a.path(), false)
            .expect("a")
            .0
            .append(0, b"zero")
            .expect("append");
        Log::open(b.path(), false)
            .expect("b")
            .0
            .append(1, b"one")
            .expect("append");
        let mut index =
            Index::scan(&[a.path().to_path_buf(), b.path().to_path_buf()]).expect("scan");
        assert_eq!(index.fetch(1).expect("read").as_deref(), Some(&b"one"[..]));
        assert_eq!(index.fetch(0).expect("read").as_deref(), Some(&b"zero"[..]));
    }
}
