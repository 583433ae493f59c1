//! The future event list: a binary heap totally ordered by (time, sequence).
//!
//! Ties in time are broken by the order in which events were scheduled, so
//! that adding an unrelated event never reorders two others (a bug seen in
//! published simulators that used an unstable heap).
//!
//! Most events schedule another as they are handled (an arrival the next
//! arrival, a run's end the next run's end), so the earliest event stays at
//! the top of the heap while it is handled and the first event scheduled
//! meanwhile takes its place: one sift instead of a pop and a push. Keys are
//! unique, so the events come out in the same order either way.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// A min-heap of events of type `E`, popped in (time, insertion) order.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_seq: u64,
    /// The top of the heap was handed out by `pop_until` and is gone: the
    /// next `schedule` overwrites it, or the next pop removes it.
    taken: bool,
}

#[derive(Debug)]
struct Scheduled<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}

impl<E> Eq for Scheduled<E> {}

impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Scheduled<E> {
    /// (time, seq) as one number: a single comparison instead of two.
    fn key(&self) -> u128 {
        (u128::from(self.time.as_millis()) << 64) | u128::from(self.seq)
    }
}

impl<E> Ord for Scheduled<E> {
    /// Reversed, because `BinaryHeap` is a max-heap and we want the earliest.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            taken: false,
        }
    }

    /// Schedules `event` at `time`; it pops after every event already
    /// scheduled at the same time.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let scheduled = Scheduled { time, seq, event };
        if std::mem::take(&mut self.taken)
            && let Some(mut top) = self.heap.peek_mut()
        {
            // Dropping `top` sifts the new event down to its place.
            *top = scheduled;
            return;
        }
        self.heap.push(scheduled);
    }

    /// Removes and returns the earliest event if it is due at or before `limit`.
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        self.settle();
        let top = self.heap.peek()?;
        if top.time > limit {
            return None;
        }
        self.taken = true;
        Some((top.time, top.event))
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        if !self.taken {
            return self.heap.peek().map(|s| s.time);
        }
        // The top is gone: the earliest is one of its children.
        let children = self.heap.as_slice().iter().skip(1).take(2);
        children.map(|s| s.time).min()
    }

    /// The events likely to be handled next, while the earliest is being
    /// handled: its children in the heap (the next event is one of them
    /// unless the handling schedules an earlier one). For prefetching.
    pub fn upcoming(&self) -> impl Iterator<Item = &E> {
        let skip = usize::from(self.taken);
        self.heap
            .as_slice()
            .iter()
            .skip(skip)
            .take(2)
            .map(|s| &s.event)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - usize::from(self.taken)
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes the top if it was handed out and not overwritten.
    fn settle(&mut self) {
        if std::mem::take(&mut self.taken) {
            self.heap.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_time_events_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        let t = SimTime::from_millis(10);
        for i in 0..100 {
            q.schedule(t, i);
        }
        q.schedule(SimTime::from_millis(5), -1);
        let order: Vec<i32> =
            std::iter::from_fn(|| q.pop_until(SimTime::MAX).map(|(_, e)| e)).collect();
        assert_eq!(order[0], -1);
        assert_eq!(&order[1..], &(0..100).collect::<Vec<_>>()[..]);
    }

    #[test]
    fn pop_until_stops_at_the_limit() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_millis(20), "late");
        q.schedule(SimTime::from_millis(10), "on time");
        assert_eq!(
            q.pop_until(SimTime::from_millis(10)),
            Some((SimTime::from_millis(10), "on time"))
        );
        assert_eq!(q.pop_until(SimTime::from_millis(10)), None);
        assert_eq!(q.len(), 1);
    }

    /// While an event is handled, the next one (if nothing earlier is
    /// scheduled meanwhile) is among those `upcoming` shows.
    #[test]
    fn the_next_event_is_upcoming() {
        let mut q = EventQueue::new();
        for i in 0..200u64 {
            q.schedule(SimTime::from_millis(i * 7_919 % 1_009), i);
        }
        while q.pop_until(SimTime::MAX).is_some() {
            let upcoming: Vec<u64> = q.upcoming().copied().collect();
            assert!(upcoming.len() <= 2);
            let next = q.pop_until(SimTime::MAX).map(|(_, e)| e);
            assert_eq!(next.is_some(), !upcoming.is_empty());
            if let Some(next) = next {
                assert!(upcoming.contains(&next), "{next} in {upcoming:?}");
            }
        }
    }

    /// Scheduling while an event is being handled (overwriting the top)
    /// gives the same order as a pop followed by a push would.
    mod order {
        use super::*;
        use proptest::prelude::*;

        /// One step: `Some(delay)` schedules an event `delay` ms after the
        /// last popped time, `None` pops one.
        fn steps() -> impl Strategy<Value = Vec<Option<u64>>> {
            proptest::collection::vec(proptest::option::weighted(0.6, 0..50u64), 0..300)
        }

        proptest! {
            #[test]
            fn pops_follow_time_then_scheduling_order(steps in steps()) {
                let mut q = EventQueue::new();
                // The reference: every pending (time, seq), sorted on pop.
                let mut pending: Vec<(u64, u64)> = Vec::new();
                let (mut now, mut seq) = (0u64, 0u64);
                for step in steps {
                    match step {
                        Some(delay) => {
                            q.schedule(SimTime::from_millis(now + delay), seq);
                            pending.push((now + delay, seq));
                            seq += 1;
                        }
                        None => {
                            pending.sort_unstable();
                            let expected = (!pending.is_empty()).then(|| pending.remove(0));
                            let got = q.pop_until(SimTime::MAX);
                            prop_assert_eq!(got.map(|(t, s)| (t.as_millis(), s)), expected);
                            if let Some((t, _)) = expected {
                                now = t;
                            }
                        }
                    }
                    prop_assert_eq!(q.len(), pending.len());
                    pending.sort_unstable();
                    prop_assert_eq!(
                        q.peek_time().map(|t| t.as_millis()),
                        pending.first().map(|p| p.0)
                    );
                }
            }
        }
    }
}
