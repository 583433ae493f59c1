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
    order: Order<H>,
    /// With [`keep_kinds`](Self::keep_kinds), the queued runs again by
    /// kind (unattended, attended), each in key order: the first run of a
    /// kind is then found without looking through the other kind's runs
    /// before it (a backlog of attended runs behind a busy user).
    by_kind: Option<Box<[BTreeMap<QueueKey, H>; 2]>>,
    /// (deadline, key) in enqueue order; entries whose key has left `order`
    /// are stale and skipped.
    deadlines: VecDeque<(SimTime, QueueKey)>,
    /// Whether the first deadline's run is known to be queued: looking it
    /// up is a B-tree search when runs leave out of order (priorities),
    /// and it was looked up again at every run that left, arrived or
    /// timed out (a fifth of the engine's time with a backlog).
    first_deadline_live: bool,
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
            order: Order::default(),
            by_kind: None,
            deadlines: VecDeque::new(),
            first_deadline_live: false,
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
        self.len() == 0
    }

    /// Whether an arriving run would be rejected.
    pub fn is_full(&self) -> bool {
        self.len() >= self.capacity as usize
    }

    /// Keeps the queued runs by kind from now on, so that
    /// [`first_placeable`](Self::first_placeable) looks up the first run of
    /// each kind instead of looking through the queue. Called before any
    /// run is queued (the kinds of runs already queued are not known).
    pub fn keep_kinds(&mut self) {
        debug_assert!(self.is_empty(), "kinds are kept from the start");
        self.by_kind = Some(Box::default());
    }

    /// Whether the queued runs are kept by kind too.
    #[cfg(test)]
    pub(crate) fn keeps_kinds(&self) -> bool {
        self.by_kind.is_some()
    }

    /// Adds a run (attended or not) with the given rank at time `now`.
    pub fn push(
        &mut self,
        handle: H,
        rank: Rank,
        now: SimTime,
        attended: bool,
    ) -> Result<QueueKey, QueueFull> {
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
        if let Some(kinds) = &mut self.by_kind {
            kinds[usize::from(attended)].insert(key, handle);
        }
        if let Some(timeout) = self.timeout {
            self.deadlines.push_back((now + timeout, key));
        }
        Ok(key)
    }

    /// The first run in queue order.
    pub fn first(&self) -> Option<(QueueKey, H)> {
        self.order.first()
    }

    /// The first run, in queue order, of a kind that can start:
    /// `placeable[0]` for unattended runs, `placeable[1]` for attended
    /// ones, where `attended` tells a run's kind. With `extended` false
    /// (strict head-of-line) only the first run is tried.
    pub fn first_placeable(
        &self,
        extended: bool,
        placeable: [bool; 2],
        attended: impl Fn(H) -> bool,
    ) -> Option<(QueueKey, H)> {
        if !extended {
            let (key, handle) = self.first()?;
            return placeable[usize::from(attended(handle))].then_some((key, handle));
        }
        match &self.by_kind {
            Some(kinds) => kinds
                .iter()
                .zip(placeable)
                .filter(|(_, can)| *can)
                .filter_map(|(runs, _)| runs.first_key_value())
                .map(|(key, handle)| (*key, *handle))
                .min_by_key(|(key, _)| *key),
            None => self
                .order
                .after(None)
                .find(|(_, handle)| placeable[usize::from(attended(*handle))]),
        }
    }

    /// Removes a run by its key; returns its handle if it was queued.
    pub fn remove(&mut self, key: QueueKey) -> Option<H> {
        let handle = self.order.remove(key)?;
        self.forget_kind(key);
        if self.deadlines.front().is_some_and(|(_, k)| *k == key) {
            self.first_deadline_live = false;
        }
        self.drop_stale_deadlines();
        Some(handle)
    }

    /// Removes a run that left the queue from its kind's runs.
    fn forget_kind(&mut self, key: QueueKey) -> Option<bool> {
        let kinds = self.by_kind.as_deref_mut()?;
        let attended = kinds[1].remove(&key).is_some();
        if !attended {
            kinds[0].remove(&key);
        }
        Some(attended)
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
        self.first_deadline_live = false;
        let handle = self.order.remove(key)?;
        self.forget_kind(key);
        Some(handle)
    }

    /// Moves a queued run to the top: before every run not moved, and
    /// before runs moved earlier. Its queue deadline is kept. Returns its
    /// new key.
    pub fn move_to_top(&mut self, key: QueueKey) -> Option<QueueKey> {
        let handle = self.order.remove(key)?;
        self.moves += 1;
        let moved = QueueKey {
            band: 0,
            rank: (-(self.moves as i64), 0),
            seq: key.seq,
        };
        self.order.insert(moved, handle);
        if let Some(attended) = self.forget_kind(key)
            && let Some(kinds) = &mut self.by_kind
        {
            kinds[usize::from(attended)].insert(moved, handle);
        }
        // Deadlines are in enqueue order, so by sequence number (a move
        // keeps it): a search, not a look through the queue.
        if let Ok(pos) = self
            .deadlines
            .binary_search_by_key(&key.seq, |(_, k)| k.seq)
            && self.deadlines[pos].1 == key
        {
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
        self.first_deadline_live = false;
        let drained = self.order.after(None).map(|(_, h)| h).collect();
        self.order = Order::default();
        if let Some(kinds) = &mut self.by_kind {
            kinds.iter_mut().for_each(BTreeMap::clear);
        }
        drained
    }

    /// Queued runs in queue order.
    pub fn iter(&self) -> impl Iterator<Item = H> + '_ {
        self.order.after(None).map(|(_, h)| h)
    }

    /// Runs queued after `key`, in queue order.
    pub fn after(&self, key: QueueKey) -> impl Iterator<Item = (QueueKey, H)> + '_ {
        self.order.after(Some(key))
    }

    /// Drops the deadlines of runs that left from the front, up to the
    /// first of a run still queued.
    fn drop_stale_deadlines(&mut self) {
        if self.first_deadline_live {
            return;
        }
        while let Some((_, key)) = self.deadlines.front() {
            if self.order.contains(*key) {
                break;
            }
            self.deadlines.pop_front();
        }
        self.first_deadline_live = !self.deadlines.is_empty();
    }
}

/// The queued runs in key order, in two sorted parts: runs whose key came
/// after every key in `appended` when they were queued (with one priority
/// and first-in first-out order, all of them) are appended to a ring
/// buffer, and the others go to a B-tree. The service's order then costs a
/// push at the back and a pop at the front per run, where a B-tree alone
/// allocated, searched and rebalanced nodes for both (about a tenth of the
/// engine's time with a busy pool). A run leaving from the middle of the
/// ring (moved to the top, skipped by extended prioritization, timed out
/// under another discipline) leaves a hole there, where shifting a side of
/// the ring cost time in proportion to the queue (6 microseconds a move
/// behind a backlog of 50,000); the holes are dropped when they reach the
/// front, or all at once when they outnumber the runs (so the ring holds
/// at most twice the runs it keeps). Reading merges the two parts.
#[derive(Debug)]
struct Order<H> {
    /// Strictly increasing keys; `None`: a run that left (a hole), never
    /// at the front.
    appended: VecDeque<(QueueKey, Option<H>)>,
    /// The holes in `appended`.
    holes: usize,
    others: BTreeMap<QueueKey, H>,
}

impl<H> Default for Order<H> {
    fn default() -> Self {
        Order {
            appended: VecDeque::new(),
            holes: 0,
            others: BTreeMap::new(),
        }
    }
}

impl<H: Copy> Order<H> {
    fn len(&self) -> usize {
        self.appended.len() - self.holes + self.others.len()
    }

    /// Adds a run whose key is not queued yet.
    fn insert(&mut self, key: QueueKey, handle: H) {
        match self.appended.back() {
            Some((last, _)) if *last > key => {
                self.others.insert(key, handle);
            }
            _ => self.appended.push_back((key, Some(handle))),
        }
    }

    fn first(&self) -> Option<(QueueKey, H)> {
        let appended = self.appended.front().and_then(|(k, h)| Some((*k, (*h)?)));
        let other = self.others.first_key_value().map(|(k, h)| (*k, *h));
        match (appended, other) {
            (Some(a), Some(o)) => Some(if o.0 < a.0 { o } else { a }),
            (a, o) => a.or(o),
        }
    }

    /// Where `key` is, or would be, in `appended`.
    fn position(&self, key: QueueKey) -> Result<usize, usize> {
        self.appended.binary_search_by(|(k, _)| k.cmp(&key))
    }

    fn contains(&self, key: QueueKey) -> bool {
        // Before the front (a run that just left the head, as the oldest
        // deadline's run mostly is) or at it: no search.
        let in_appended = match self.appended.front() {
            Some((front, _)) if key <= *front => key == *front,
            Some(_) => self
                .position(key)
                .is_ok_and(|i| self.appended[i].1.is_some()),
            None => false,
        };
        in_appended || self.others.contains_key(&key)
    }

    fn remove(&mut self, key: QueueKey) -> Option<H> {
        // The front first: runs mostly leave from the head of the queue.
        if self.appended.front().is_some_and(|(k, _)| *k == key) {
            let handle = self.appended.pop_front().and_then(|(_, h)| h);
            self.drop_front_holes();
            return handle;
        }
        // A key before the front (a run moved to the top) is not in the
        // ring: no search there.
        let in_ring = match self.appended.front() {
            Some((front, _)) if key > *front => self.position(key).ok(),
            _ => None,
        };
        match in_ring {
            Some(i) => {
                let handle = self.appended[i].1.take()?;
                self.holes += 1;
                if self.holes > self.appended.len() / 2 {
                    self.appended.retain(|(_, h)| h.is_some());
                    self.holes = 0;
                }
                Some(handle)
            }
            None => self.others.remove(&key),
        }
    }

    /// Keeps the front of `appended` a run, not a hole.
    fn drop_front_holes(&mut self) {
        while self.appended.front().is_some_and(|(_, h)| h.is_none()) {
            self.appended.pop_front();
            self.holes -= 1;
        }
    }

    /// The runs after `key` (all of them for `None`), in key order.
    fn after(&self, key: Option<QueueKey>) -> impl Iterator<Item = (QueueKey, H)> + '_ {
        let (from, lower) = match key {
            Some(key) => (
                self.position(key).map_or_else(|i| i, |i| i + 1),
                Bound::Excluded(key),
            ),
            None => (0, Bound::Unbounded),
        };
        let mut appended = self
            .appended
            .range(from..)
            .filter_map(|(k, h)| Some((*k, (*h)?)))
            .peekable();
        let mut others = self
            .others
            .range((lower, Bound::Unbounded))
            .map(|(k, h)| (*k, *h))
            .peekable();
        std::iter::from_fn(move || match (appended.peek(), others.peek()) {
            (Some(a), Some(o)) if o.0 < a.0 => others.next(),
            (Some(_), _) => appended.next(),
            (None, _) => others.next(),
        })
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

    /// Queues `r`; runs with odd ids are attended.
    fn push(q: &mut RunQueue<u64>, r: QueuedRun) -> QueueKey {
        q.push(
            r.run_id,
            PriorityThenFifo.rank(&r),
            r.enqueued,
            odd(r.run_id),
        )
        .expect("room")
    }

    fn odd(h: u64) -> bool {
        h % 2 == 1
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
        assert_eq!(q.push(3, (0, 0), SimTime::ZERO, false), Err(QueueFull));
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
        // Run 1 (attended) cannot start, run 2 (unattended) can.
        let unattended_only = [true, false];
        assert_eq!(
            q.first_placeable(true, unattended_only, odd)
                .map(|(_, h)| h),
            Some(2)
        );
        assert_eq!(q.first_placeable(false, unattended_only, odd), None);
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

    #[test]
    fn runs_leaving_the_middle_leave_holes_that_stay_bounded() {
        let mut q = RunQueue::new(1_000, None);
        let keys: Vec<QueueKey> = (0..100).map(|i| push(&mut q, run(i, 100, i))).collect();
        // Every run but the first and the last ten leaves from the middle.
        for (i, key) in keys.iter().enumerate().take(90).skip(1) {
            assert_eq!(q.remove(*key), Some(i as u64));
            let ring = q.order.appended.len();
            assert!(
                ring <= 2 * q.len() + 1,
                "{ring} entries for {} runs",
                q.len()
            );
        }
        let left: Vec<u64> = std::iter::once(0).chain(90..100).collect();
        assert_eq!(q.iter().collect::<Vec<_>>(), left);
        assert_eq!(q.len(), 11);
        // The front leaves: the holes behind it go with it.
        assert_eq!(q.remove(keys[0]), Some(0));
        assert_eq!(q.first().map(|(_, h)| h), Some(90));
        assert_eq!(q.order.holes, q.order.appended.len() - q.len());
    }

    /// The queue keeps runs in key order whatever the mix of operations:
    /// checked against a plain ordered map.
    mod against_a_map {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Op {
            /// Queue a run of this priority (few levels, so that both
            /// parts of the queue are used).
            Push(i64),
            /// Remove the n-th queued run (modulo the length).
            Remove(usize),
            /// Move the n-th queued run to the top.
            MoveToTop(usize),
            /// Remove the n-th run that already left (a stale key).
            RemoveGone(usize),
            /// Time passes by this many ms; expired runs time out.
            Expire(u64),
        }

        fn ops() -> impl Strategy<Value = Vec<Op>> {
            let op = prop_oneof![
                4 => (0..3i64).prop_map(Op::Push),
                3 => (0..40usize).prop_map(Op::Remove),
                1 => (0..40usize).prop_map(Op::MoveToTop),
                1 => (0..40usize).prop_map(Op::RemoveGone),
                1 => (0..30u64).prop_map(Op::Expire),
            ];
            proptest::collection::vec(op, 0..200)
        }

        proptest! {
            #[test]
            fn order_matches_an_ordered_map(ops in ops(), kinds in any::<bool>()) {
                let timeout = SimDuration::from_millis(50);
                let mut q = RunQueue::new(1_000, Some(timeout));
                if kinds {
                    q.keep_kinds();
                }
                let mut reference: BTreeMap<QueueKey, u64> = BTreeMap::new();
                let (mut now, mut id) = (SimTime::ZERO, 0u64);
                let mut enqueued: Vec<SimTime> = Vec::new();
                let mut gone: Vec<QueueKey> = Vec::new();
                for op in ops {
                    let keys: Vec<QueueKey> = reference.keys().copied().collect();
                    match op {
                        Op::Push(priority) => {
                            let key = push(&mut q, run(id, priority, now.as_millis()));
                            enqueued.push(now);
                            reference.insert(key, id);
                            id += 1;
                        }
                        Op::Remove(n) if !keys.is_empty() => {
                            let key = keys[n % keys.len()];
                            prop_assert_eq!(q.remove(key), reference.remove(&key));
                            gone.push(key);
                        }
                        Op::RemoveGone(n) if !gone.is_empty() => {
                            prop_assert_eq!(q.remove(gone[n % gone.len()]), None);
                        }
                        Op::MoveToTop(n) if !keys.is_empty() => {
                            let key = keys[n % keys.len()];
                            let moved = q.move_to_top(key).expect("queued");
                            let handle = reference.remove(&key).expect("queued");
                            reference.insert(moved, handle);
                            gone.push(key);
                        }
                        Op::Expire(ms) => {
                            now += SimDuration::from_millis(ms);
                            // Exactly the runs queued `timeout` ago or
                            // earlier leave, oldest first (ids are in
                            // enqueue order, and every run was queued at
                            // its id's `enqueued[id]`).
                            let mut due: Vec<u64> = reference
                                .values()
                                .copied()
                                .filter(|h| enqueued[*h as usize] + timeout <= now)
                                .collect();
                            due.sort_unstable();
                            let expired: Vec<u64> =
                                std::iter::from_fn(|| q.pop_expired(now)).collect();
                            prop_assert_eq!(&expired, &due);
                            gone.extend(reference.iter().filter(|(_, h)| due.contains(h)).map(|(k, _)| *k));
                            reference.retain(|_, h| !due.contains(h));
                        }
                        _ => {}
                    }
                    let expected: Vec<u64> = reference.values().copied().collect();
                    prop_assert_eq!(q.iter().collect::<Vec<_>>(), expected);
                    prop_assert_eq!(q.len(), reference.len());
                    let earliest = reference.values().map(|h| enqueued[*h as usize] + timeout).min();
                    prop_assert_eq!(q.next_deadline(), earliest);
                    prop_assert_eq!(q.first(), reference.first_key_value().map(|(k, h)| (*k, *h)));
                    if let Some(key) = reference.keys().nth(reference.len() / 2).copied() {
                        let after: Vec<_> = reference
                            .range((Bound::Excluded(key), Bound::Unbounded))
                            .map(|(k, h)| (*k, *h))
                            .collect();
                        prop_assert_eq!(q.after(key).collect::<Vec<_>>(), after);
                    }
                    // The first run of a kind that can start, by a scan of
                    // the reference, strict or extended.
                    for placeable in [[false, false], [true, false], [false, true], [true, true]] {
                        let can = |h: u64| placeable[usize::from(odd(h))];
                        let first = reference.iter().find(|(_, h)| can(**h)).map(|(k, h)| (*k, *h));
                        prop_assert_eq!(q.first_placeable(true, placeable, odd), first);
                        let head = reference.first_key_value().filter(|(_, h)| can(**h)).map(|(k, h)| (*k, *h));
                        prop_assert_eq!(q.first_placeable(false, placeable, odd), head);
                    }
                }
                let remaining: Vec<u64> = reference.values().copied().collect();
                prop_assert_eq!(q.drain(), remaining);
                prop_assert!(q.is_empty());
                prop_assert_eq!(q.next_deadline(), None);
            }
        }
    }
}
