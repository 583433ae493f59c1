//! A run queue: one per machine and per machine group.
//!
//! Runs are ordered by a [`QueueDiscipline`] (the service's is priority, then
//! enqueue time), with the enqueue sequence number as the final tie-break.
//! Queue timeouts are tracked lazily: the queue remembers deadlines in
//! enqueue order and the engine keeps a single timer per queue armed for the
//! earliest one, instead of one event per queued run.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Debug;
use std::ops::Bound;

use crate::ids::FlowId;
use crate::time::{SimDuration, SimTime};

/// Sort key computed by a discipline: smaller runs first.
pub type Rank = (i64, i64);

/// What a [`QueueDiscipline`] may look at when ranking a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedRun {
    /// Arrival order across all flows.
    pub run_id: u64,
    /// The flow that triggered it.
    pub flow: FlowId,
    /// Its priority (higher is more urgent).
    pub priority: i64,
    /// When it was triggered.
    pub arrival: SimTime,
    /// When it entered this queue.
    pub enqueued: SimTime,
    /// Its sampled run time: known to the simulator, not to the real service,
    /// so a discipline using it is an oracle (useful as a bound in research).
    pub duration: SimDuration,
}

/// The order in which queued runs are offered to the machines.
///
/// A discipline ranks each run once, when it is enqueued; runs with equal
/// rank leave in enqueue order. Implement it to try a new policy:
///
/// ```
/// use rpasim_core::queue::{QueueDiscipline, QueuedRun, Rank};
///
/// /// Shortest (sampled) job first, ignoring priorities.
/// #[derive(Debug)]
/// struct ShortestJobFirst;
///
/// impl QueueDiscipline for ShortestJobFirst {
///     fn rank(&self, run: &QueuedRun) -> Rank {
///         (run.duration.as_millis() as i64, 0)
///     }
/// }
/// ```
pub trait QueueDiscipline: Debug + Send {
    /// The run's sort key; smaller runs first.
    fn rank(&self, run: &QueuedRun) -> Rank;
}

/// The service's order: higher priority first, then oldest enqueue first.
#[derive(Debug, Clone, Copy, Default)]
pub struct PriorityThenFifo;

impl QueueDiscipline for PriorityThenFifo {
    fn rank(&self, run: &QueuedRun) -> Rank {
        (-run.priority, run.enqueued.as_millis() as i64)
    }
}

/// Position of a run in a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct QueueKey {
    /// 0 for runs moved to the top (most recently moved first), 1 otherwise.
    band: u8,
    rank: Rank,
    seq: u64,
}

/// Why a run could not be enqueued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull;

/// A priority queue of runs (identified by a handle `H`) with capacity and
/// timeout bookkeeping.
#[derive(Debug)]
pub struct RunQueue<H> {
    order: BTreeMap<QueueKey, H>,
    /// (deadline, key) in enqueue order; entries whose key has left `order`
    /// are stale and skipped.
    deadlines: VecDeque<(SimTime, QueueKey)>,
    next_seq: u64,
    /// Runs moved to the top so far (the last moved runs first).
    moves: u64,
    capacity: u32,
    timeout: Option<SimDuration>,
}

impl<H: Copy + Eq> RunQueue<H> {
    /// An empty queue holding at most `capacity` runs, each for at most `timeout`.
    pub fn new(capacity: u32, timeout: Option<SimDuration>) -> Self {
        RunQueue {
            order: BTreeMap::new(),
            deadlines: VecDeque::new(),
            next_seq: 0,
            moves: 0,
            capacity,
            timeout,
        }
    }

    /// Number of queued runs.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no run is queued.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Whether an arriving run would be rejected.
    pub fn is_full(&self) -> bool {
        self.order.len() >= self.capacity as usize
    }

    /// Adds a run with the given rank at time `now`.
    pub fn push(&mut self, handle: H, rank: Rank, now: SimTime) -> Result<QueueKey, QueueFull> {
        if self.is_full() {
            return Err(QueueFull);
        }
        let key = QueueKey {
            band: 1,
            rank,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        self.order.insert(key, handle);
        if let Some(timeout) = self.timeout {
            self.deadlines.push_back((now + timeout, key));
        }
        Ok(key)
    }

    /// The first run in queue order.
    pub fn first(&self) -> Option<(QueueKey, H)> {
        self.order.first_key_value().map(|(k, h)| (*k, *h))
    }

    /// The first run, in queue order, that `can_place` accepts. With
    /// `extended` false (strict head-of-line) only the first run is tried.
    pub fn first_placeable(
        &self,
        extended: bool,
        mut can_place: impl FnMut(H) -> bool,
    ) -> Option<(QueueKey, H)> {
        let limit = if extended { usize::MAX } else { 1 };
        self.order
            .iter()
            .take(limit)
            .find(|(_, h)| can_place(**h))
            .map(|(k, h)| (*k, *h))
    }

    /// Removes a run by its key; returns its handle if it was queued.
    pub fn remove(&mut self, key: QueueKey) -> Option<H> {
        let handle = self.order.remove(&key)?;
        self.drop_stale_deadlines();
        Some(handle)
    }

    /// The earliest deadline among queued runs.
    pub fn next_deadline(&mut self) -> Option<SimTime> {
        self.drop_stale_deadlines();
        self.deadlines.front().map(|(t, _)| *t)
    }

    /// Removes and returns one run whose deadline is at or before `now`.
    pub fn pop_expired(&mut self, now: SimTime) -> Option<H> {
        self.drop_stale_deadlines();
        let (deadline, key) = *self.deadlines.front()?;
        if deadline > now {
            return None;
        }
        self.deadlines.pop_front();
        self.order.remove(&key)
    }

    /// Moves a queued run to the top: before every run not moved, and
    /// before runs moved earlier. Its queue deadline is kept. Returns its
    /// new key.
    pub fn move_to_top(&mut self, key: QueueKey) -> Option<QueueKey> {
        let handle = self.order.remove(&key)?;
        self.moves += 1;
        let moved = QueueKey {
            band: 0,
            rank: (-(self.moves as i64), 0),
            seq: key.seq,
        };
        self.order.insert(moved, handle);
        if let Some(pos) = self.deadlines.iter().position(|(_, k)| *k == key) {
            self.deadlines[pos].1 = moved;
        }
        Some(moved)
    }

    /// Changes the capacity; runs already queued beyond it stay.
    pub fn set_capacity(&mut self, capacity: u32) {
        self.capacity = capacity;
    }

    /// Removes every queued run, in queue order.
    pub fn drain(&mut self) -> Vec<H> {
        self.deadlines.clear();
        std::mem::take(&mut self.order).into_values().collect()
    }

    /// Queued runs in queue order.
    pub fn iter(&self) -> impl Iterator<Item = H> + '_ {
        self.order.values().copied()
    }

    /// Runs queued after `key`, in queue order.
    pub fn after(&self, key: QueueKey) -> impl Iterator<Item = (QueueKey, H)> + '_ {
        self.order
            .range((Bound::Excluded(key), Bound::Unbounded))
            .map(|(k, h)| (*k, *h))
    }

    fn drop_stale_deadlines(&mut self) {
        while let Some((_, key)) = self.deadlines.front() {
            if self.order.contains_key(key) {
                break;
            }
            self.deadlines.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: u64, priority: i64, enqueued_ms: u64) -> QueuedRun {
        QueuedRun {
            run_id: id,
            flow: FlowId(0),
            priority,
            arrival: SimTime::from_millis(enqueued_ms),
            enqueued: SimTime::from_millis(enqueued_ms),
            duration: SimDuration::ZERO,
        }
    }

    fn push(q: &mut RunQueue<u64>, r: QueuedRun) -> QueueKey {
        q.push(r.run_id, PriorityThenFifo.rank(&r), r.enqueued)
            .expect("room")
    }

    #[test]
    fn high_priority_first_then_oldest() {
        let mut q = RunQueue::new(10, None);
        // N1 N2 H1 N3 H2, as in the service's documentation of priorities.
        push(&mut q, run(1, 100, 0));
        push(&mut q, run(2, 100, 1));
        push(&mut q, run(3, 200, 2));
        push(&mut q, run(4, 100, 3));
        push(&mut q, run(5, 200, 4));
        assert_eq!(q.iter().collect::<Vec<_>>(), vec![3, 5, 1, 2, 4]);
    }

    #[test]
    fn full_queue_rejects() {
        let mut q = RunQueue::new(2, None);
        push(&mut q, run(1, 100, 0));
        push(&mut q, run(2, 100, 0));
        assert!(q.is_full());
        assert_eq!(q.push(3, (0, 0), SimTime::ZERO), Err(QueueFull));
    }

    #[test]
    fn deadlines_skip_runs_that_left() {
        let mut q = RunQueue::new(10, Some(SimDuration::from_millis(100)));
        let k1 = push(&mut q, run(1, 100, 0));
        push(&mut q, run(2, 100, 10));
        push(&mut q, run(3, 100, 20));
        assert_eq!(q.remove(k1), Some(1));
        assert_eq!(q.next_deadline(), Some(SimTime::from_millis(110)));
        assert_eq!(q.pop_expired(SimTime::from_millis(109)), None);
        assert_eq!(q.pop_expired(SimTime::from_millis(110)), Some(2));
        assert_eq!(q.next_deadline(), Some(SimTime::from_millis(120)));
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn extended_prioritization_skips_unplaceable_head() {
        let mut q = RunQueue::new(10, None);
        push(&mut q, run(1, 100, 0));
        push(&mut q, run(2, 100, 1));
        let even_only = |h: u64| h.is_multiple_of(2);
        assert_eq!(q.first_placeable(true, even_only).map(|(_, h)| h), Some(2));
        assert_eq!(q.first_placeable(false, even_only), None);
    }

    #[test]
    fn moved_runs_go_first_last_moved_first_and_keep_their_deadline() {
        let mut q = RunQueue::new(10, Some(SimDuration::from_millis(100)));
        push(&mut q, run(1, 200, 0));
        let k2 = push(&mut q, run(2, 100, 1));
        let k3 = push(&mut q, run(3, 100, 2));
        q.move_to_top(k3).expect("queued");
        assert_eq!(q.iter().collect::<Vec<_>>(), vec![3, 1, 2]);
        q.move_to_top(k2).expect("queued");
        assert_eq!(q.iter().collect::<Vec<_>>(), vec![2, 3, 1]);
        // Run 3 still times out 100 ms after it was enqueued.
        assert_eq!(q.pop_expired(SimTime::from_millis(100)), Some(1));
        assert_eq!(q.pop_expired(SimTime::from_millis(101)), Some(2));
        assert_eq!(q.pop_expired(SimTime::from_millis(102)), Some(3));
    }
}
