//! Putting run records, which end in any order, back into arrival order
//! with memory bounded whatever one run does.
//!
//! A run that stays in the system for 500 days holds back every record
//! that arrived after it. Records close behind the oldest run in flight
//! wait in a window (a deque indexed by id: O(1)); records further behind
//! go to a sorted map, and when that holds [`FAR_IN_MEMORY`] records they
//! are written, sorted, as one chunk of a spill file (an anonymous
//! temporary file: the operating system removes it whatever happens to the
//! process). When the held-back run ends, records come out of the window,
//! the map and the chunks merged by id. Memory is the window, the map and a
//! small buffer per chunk.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use rpasim_core::run::{Host, Placement};
use rpasim_core::wait::{REASONS, WaitSplit};
use rpasim_core::{FlowId, MachineId, Outcome, RunRecord, SimDuration, SimTime, TargetId};

/// Ids held in the window beyond the oldest run in flight.
pub const WINDOW: u64 = 1 << 16;
/// Records held in memory beyond the window before a chunk is spilled.
pub const FAR_IN_MEMORY: usize = 1 << 16;
/// Records read from a chunk at a time.
const CHUNK_BUFFER: usize = 64;

/// Puts records that arrive in end order back into arrival (id) order.
#[derive(Debug, Default)]
pub struct ArrivalOrder {
    next_id: u64,
    window: VecDeque<Option<RunRecord>>,
    far: BTreeMap<u64, RunRecord>,
    spill: Option<Spill>,
    /// Where to create the spill file (the system's temporary directory
    /// when `None`).
    spill_dir: Option<PathBuf>,
}

impl ArrivalOrder {
    /// An order that spills, if it must, into a temporary file in `dir`
    /// (e.g. the output being staged, on the same file system as the
    /// outputs, rather than a small in-memory /tmp).
    pub fn spilling_into(dir: Option<PathBuf>) -> Self {
        ArrivalOrder {
            spill_dir: dir,
            ..ArrivalOrder::default()
        }
    }

    /// Accepts a record and passes every record now in order to `emit`.
    pub fn push<E: From<io::Error>>(
        &mut self,
        record: &RunRecord,
        mut emit: impl FnMut(&RunRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        self.push_looking_ahead(record, |r, _| emit(r))
    }

    /// [`push`](Self::push), passing `emit` with each record the one to be
    /// emitted right after it, when it is already here (for `emit` to
    /// prefetch what the next call will touch).
    pub fn push_looking_ahead<E: From<io::Error>>(
        &mut self,
        record: &RunRecord,
        mut emit: impl FnMut(&RunRecord, Option<&RunRecord>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(offset) = record.id.checked_sub(self.next_id) else {
            return Ok(()); // already emitted: ids are unique, so never happens
        };
        if offset == 0 {
            // The record every other waits for: out at once, without a
            // copy into the window (its slot there, if any, is a hole).
            self.next_id += 1;
            self.window.pop_front();
            let next = self.window.front().and_then(Option::as_ref);
            emit(record, next)?;
        } else if offset < WINDOW {
            let offset = offset as usize;
            if self.window.len() <= offset {
                // `resize_with`, not `resize(.., None)`: a new slot gets
                // only its tag written, not a copy of a whole empty record.
                self.window.resize_with(offset + 1, || None);
            }
            self.window[offset] = Some(*record);
        } else {
            self.far.insert(record.id, *record);
            if self.far.len() >= FAR_IN_MEMORY {
                self.spill_far()?;
            }
        }
        self.emit_ready(&mut emit)
    }

    /// Emits every record whose predecessors are all out.
    fn emit_ready<E: From<io::Error>>(
        &mut self,
        emit: &mut impl FnMut(&RunRecord, Option<&RunRecord>) -> Result<(), E>,
    ) -> Result<(), E> {
        loop {
            if let Some(Some(r)) = self.window.front() {
                let next = self.window.get(1).and_then(Option::as_ref);
                // Emitted in place, then dropped: no copy out. Out of the
                // order even if `emit` fails, so that no record is emitted
                // twice.
                let emitted = emit(r, next);
                self.window.pop_front();
                self.next_id += 1;
                emitted?;
                continue;
            }
            // A hole in the window, or none: the record may be further.
            let Some(r) = self.take_far(self.next_id)? else {
                return Ok(());
            };
            self.window.pop_front();
            self.next_id += 1;
            emit(&r, None)?;
        }
    }

    /// The record `id` from the map or the spilled chunks, if it is there.
    fn take_far(&mut self, id: u64) -> io::Result<Option<RunRecord>> {
        if self.far.first_key_value().is_some_and(|(k, _)| *k == id) {
            return Ok(self.far.pop_first().map(|(_, r)| r));
        }
        match &mut self.spill {
            Some(spill) if spill.min() == Some(id) => spill.pop(),
            _ => Ok(None),
        }
    }

    fn spill_far(&mut self) -> io::Result<()> {
        let spill = match &mut self.spill {
            Some(s) => s,
            None => self.spill.insert(Spill::create(self.spill_dir.as_ref())?),
        };
        spill.write_chunk(std::mem::take(&mut self.far).into_values())
    }

    /// Records waiting for an earlier one.
    pub fn held(&self) -> usize {
        self.window.iter().filter(|r| r.is_some()).count()
            + self.far.len()
            + self.spill.as_ref().map_or(0, Spill::len)
    }

    /// Records written to the spill file so far (for tests and `--stats`).
    pub fn spilled(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.written)
    }
}

/// Sorted chunks of records in one anonymous temporary file.
#[derive(Debug)]
struct Spill {
    file: File,
    end: u64,
    written: u64,
    chunks: Vec<Chunk>,
    /// (next id, chunk) of every chunk with records left.
    heads: BinaryHeap<Reverse<(u64, usize)>>,
}

#[derive(Debug)]
struct Chunk {
    /// Where its unread records start, and how many are left on disk.
    offset: u64,
    on_disk: u64,
    buffer: VecDeque<RunRecord>,
}

impl Spill {
    fn create(dir: Option<&PathBuf>) -> io::Result<Self> {
        let file = match dir {
            Some(d) => tempfile::tempfile_in(d)?,
            None => tempfile::tempfile()?,
        };
        Ok(Spill {
            file,
            end: 0,
            written: 0,
            chunks: Vec::new(),
            heads: BinaryHeap::new(),
        })
    }

    fn len(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.on_disk as usize + c.buffer.len())
            .sum()
    }

    /// Appends records (in increasing id order) as a new chunk.
    fn write_chunk(&mut self, records: impl Iterator<Item = RunRecord>) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(self.end))?;
        let mut out = BufWriter::new(&mut self.file);
        let (mut n, mut first) = (0u64, None);
        for r in records {
            first.get_or_insert(r.id);
            out.write_all(&encode(&r))?;
            n += 1;
        }
        out.flush()?;
        drop(out);
        let Some(first) = first else {
            return Ok(());
        };
        let index = self.chunks.len();
        self.chunks.push(Chunk {
            offset: self.end,
            on_disk: n,
            buffer: VecDeque::new(),
        });
        self.heads.push(Reverse((first, index)));
        self.end += n * RECORD_BYTES as u64;
        self.written += n;
        Ok(())
    }

    /// The smallest id held.
    fn min(&self) -> Option<u64> {
        self.heads.peek().map(|Reverse((id, _))| *id)
    }

    /// Removes and returns the record with the smallest id.
    fn pop(&mut self) -> io::Result<Option<RunRecord>> {
        let Some(Reverse((_, index))) = self.heads.pop() else {
            return Ok(None);
        };
        self.refill(index)?;
        let chunk = &mut self.chunks[index];
        let record = chunk.buffer.pop_front();
        if chunk.buffer.is_empty() {
            self.refill(index)?;
        }
        if let Some(next) = self.chunks[index].buffer.front() {
            self.heads.push(Reverse((next.id, index)));
        }
        Ok(record)
    }

    /// Reads the next records of a chunk into its buffer, if it is empty.
    fn refill(&mut self, index: usize) -> io::Result<()> {
        let chunk = &mut self.chunks[index];
        if !chunk.buffer.is_empty() || chunk.on_disk == 0 {
            return Ok(());
        }
        let n = (chunk.on_disk as usize).min(CHUNK_BUFFER);
        let mut bytes = vec![0u8; n * RECORD_BYTES];
        self.file.seek(SeekFrom::Start(chunk.offset))?;
        self.file.read_exact(&mut bytes)?;
        for raw in bytes.chunks_exact(RECORD_BYTES) {
            chunk.buffer.push_back(decode(raw)?);
        }
        chunk.offset += bytes.len() as u64;
        chunk.on_disk -= n as u64;
        Ok(())
    }
}

/// Bytes of an encoded record: 68 of fields, 8 per wait reason.
const RECORD_BYTES: usize = 68 + 8 * REASONS;
/// An absent time.
const NONE: u64 = u64::MAX;

fn encode(r: &RunRecord) -> [u8; RECORD_BYTES] {
    let mut b = [0u8; RECORD_BYTES];
    let time = |t: Option<SimTime>| t.map_or(NONE, SimTime::as_millis);
    let (host_kind, host, bot) = match r.placement {
        None => (0u8, 0u32, 0u16),
        Some(Placement {
            host: Host::Machine(m),
            bot,
        }) => (1, m.0, bot),
        Some(Placement {
            host: Host::HostedGroup(t),
            bot,
        }) => (2, t.0, bot),
    };
    b[0..8].copy_from_slice(&r.id.to_le_bytes());
    b[8..12].copy_from_slice(&r.flow.0.to_le_bytes());
    b[12..16].copy_from_slice(&r.target.0.to_le_bytes());
    b[16..24].copy_from_slice(&r.priority.to_le_bytes());
    b[24..32].copy_from_slice(&r.arrival.as_millis().to_le_bytes());
    b[32..40].copy_from_slice(&time(r.start).to_le_bytes());
    b[40..48].copy_from_slice(&time(r.end).to_le_bytes());
    b[48] = host_kind;
    b[49..53].copy_from_slice(&host.to_le_bytes());
    b[53..55].copy_from_slice(&bot.to_le_bytes());
    b[55] = r.outcome.index() as u8;
    let cold = r.cold_start.map_or(NONE, SimDuration::as_millis);
    b[56..64].copy_from_slice(&cold.to_le_bytes());
    b[64..68].copy_from_slice(&r.attempts.to_le_bytes());
    for (i, ms) in r.waits.millis().iter().enumerate() {
        b[68 + 8 * i..76 + 8 * i].copy_from_slice(&ms.to_le_bytes());
    }
    b
}

fn decode(b: &[u8]) -> io::Result<RunRecord> {
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
    let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or_default());
    let time = |v: u64| (v != NONE).then(|| SimTime::from_millis(v));
    let bot = u16::from_le_bytes([b[53], b[54]]);
    let placement = match b[48] {
        0 => None,
        1 => Some(Placement {
            host: Host::Machine(MachineId(u32_at(49))),
            bot,
        }),
        _ => Some(Placement {
            host: Host::HostedGroup(TargetId(u32_at(49))),
            bot,
        }),
    };
    let outcome = Outcome::ALL
        .get(usize::from(b[55]))
        .copied()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "spilled record corrupt"))?;
    let cold = u64_at(56);
    Ok(RunRecord {
        id: u64_at(0),
        flow: FlowId(u32_at(8)),
        target: TargetId(u32_at(12)),
        priority: i64::from_le_bytes(b[16..24].try_into().unwrap_or_default()),
        arrival: SimTime::from_millis(u64_at(24)),
        start: time(u64_at(32)),
        end: time(u64_at(40)),
        placement,
        outcome,
        cold_start: (cold != NONE).then(|| SimDuration::from_millis(cold)),
        attempts: u32_at(64),
        waits: WaitSplit::from_millis(std::array::from_fn(|i| u64_at(68 + 8 * i))),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rpasim_core::run::Priority;

    /// A rejected run, for tests of this crate.
    pub(crate) fn record(id: u64) -> RunRecord {
        RunRecord {
            id,
            flow: FlowId(0),
            target: TargetId(0),
            priority: Priority::HIGH,
            arrival: SimTime::from_millis(1_500),
            start: None,
            end: Some(SimTime::from_millis(1_500)),
            placement: None,
            outcome: Outcome::QueueFull,
            cold_start: None,
            attempts: 1,
            waits: WaitSplit::default(),
        }
    }

    fn collect(order: &mut ArrivalOrder, ids: impl IntoIterator<Item = u64>) -> Vec<u64> {
        let mut out = Vec::new();
        for id in ids {
            order
                .push(&record(id), |r| {
                    out.push(r.id);
                    Ok::<(), io::Error>(())
                })
                .expect("no error");
        }
        out
    }

    #[test]
    fn records_come_out_in_arrival_order() {
        let mut order = ArrivalOrder::default();
        assert_eq!(collect(&mut order, [2, 1]), Vec::<u64>::new());
        assert_eq!(order.held(), 2);
        assert_eq!(collect(&mut order, [3, 0, 4]), vec![0, 1, 2, 3, 4]);
        assert_eq!(order.held(), 0);
    }

    #[test]
    fn a_long_run_holds_back_others_on_disk_not_in_memory() {
        // Run 0 stays in flight while 300,000 later runs end, out of order
        // in small groups; then it ends.
        let n = 300_000u64;
        let mut later: Vec<u64> = (1..=n).collect();
        for pair in later.chunks_mut(3) {
            pair.reverse();
        }
        let mut order = ArrivalOrder::default();
        assert!(collect(&mut order, later).is_empty());
        assert!(order.spilled() > 0, "records were spilled");
        assert!(order.far.len() < FAR_IN_MEMORY && order.window.len() as u64 <= WINDOW);
        assert_eq!(order.held(), n as usize);
        let out = collect(&mut order, [0]);
        assert_eq!(out, (0..=n).collect::<Vec<_>>());
        assert_eq!(order.held(), 0);
        // And it goes on as usual.
        assert_eq!(collect(&mut order, [n + 2, n + 1]), vec![n + 1, n + 2]);
    }

    /// The record shown as next is the one emitted next, whenever one is
    /// shown; in a shuffled stream most are.
    #[test]
    fn the_record_shown_next_is_emitted_next() {
        // A deterministic shuffle: ids 0..5000 by an LCG permutation.
        let n = 5_000u64;
        let ids = (0..n).map(|i| (i * 2_654_435_761) % n);
        let mut order = ArrivalOrder::default();
        let mut emitted: Vec<(u64, Option<u64>)> = Vec::new();
        for id in ids {
            order
                .push_looking_ahead(&record(id), |r, next| {
                    emitted.push((r.id, next.map(|n| n.id)));
                    Ok::<(), io::Error>(())
                })
                .expect("no error");
        }
        let in_order: Vec<u64> = emitted.iter().map(|(id, _)| *id).collect();
        assert_eq!(in_order, (0..n).collect::<Vec<_>>());
        let shown = emitted.windows(2).filter(|w| w[0].1.is_some()).count();
        for w in emitted.windows(2) {
            if let Some(next) = w[0].1 {
                assert_eq!(next, w[1].0);
            }
        }
        assert!(shown > 1_000, "{shown} of {n} shown ahead");
    }

    #[test]
    fn every_field_survives_the_spill_file() {
        let r = RunRecord {
            id: 1 << 40,
            flow: FlowId(7),
            target: TargetId(3),
            priority: -5,
            arrival: SimTime::from_millis(123),
            start: Some(SimTime::from_millis(456)),
            end: None,
            placement: Some(Placement {
                host: Host::HostedGroup(TargetId(9)),
                bot: 50,
            }),
            outcome: Outcome::InFlight,
            cold_start: Some(SimDuration::from_millis(600_000)),
            attempts: 3,
            waits: WaitSplit::from_millis([1, 2, 3, 4, 5, 6, 7, u64::MAX]),
        };
        assert_eq!(decode(&encode(&r)).expect("decodes"), r);
        let m = RunRecord {
            placement: Some(Placement {
                host: Host::Machine(MachineId(4)),
                bot: 2,
            }),
            start: None,
            cold_start: None,
            end: Some(SimTime::from_millis(9)),
            ..r
        };
        assert_eq!(decode(&encode(&m)).expect("decodes"), m);
    }
}
