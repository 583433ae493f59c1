//! The runs currently queued or running, in a slab of reusable slots.
//!
//! Memory is bounded by what is in flight, not by the number of runs: a
//! slot is freed when its run's record goes to the observer. Handles carry a
//! generation so that an event for a run that already ended (e.g. after a
//! cancellation) is recognised and ignored.

use std::collections::BTreeMap;

use crate::ids::{FlowId, MachineId, TargetId};
use crate::queue::QueueKey;
use crate::run::{Host, Outcome, Placement, RunRecord};
use crate::time::{SimDuration, SimTime};
use crate::wait::WaitSplit;

/// A handle to an in-flight run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RunRef {
    slot: u32,
    generation: u32,
}

/// Where an in-flight run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Waiting in its target's queue.
    Queued(QueueKey),
    /// Executing; `outcome` is what it will end with, decided at start.
    Running {
        start: SimTime,
        placement: Placement,
        outcome: Outcome,
        /// Provisioning waited for, if a cold start.
        cold_start: Option<SimDuration>,
    },
}

/// An in-flight run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InFlightRun {
    pub id: u64,
    pub flow: FlowId,
    /// Which of its flow's runs it is, from 1.
    pub flow_index: u64,
    pub target: TargetId,
    pub priority: i64,
    /// Needs its machine's signed-in user instead of a bot.
    pub attended: bool,
    /// How many times it has been started (re-queued runs start again).
    pub attempts: u32,
    pub arrival: SimTime,
    /// Sampled at arrival, so run k of a flow gets the same duration in
    /// every variant of a scenario.
    pub duration: SimDuration,
    /// Drawn at arrival, for the same reason.
    pub fails: bool,
    pub stage: Stage,
    /// Its wait by reason so far (while queued, with the target's clocks
    /// at its enqueue subtracted: see [`WaitSplit`]).
    pub waits: WaitSplit,
}

impl InFlightRun {
    /// The final record, ending at `end` (`None`: in flight) with `outcome`.
    pub fn record(&self, end: Option<SimTime>, outcome: Outcome) -> RunRecord {
        let (start, placement, cold_start) = match self.stage {
            Stage::Queued(_) => (None, None, None),
            Stage::Running {
                start,
                placement,
                cold_start,
                ..
            } => (Some(start), Some(placement), cold_start),
        };
        RunRecord {
            id: self.id,
            flow: self.flow,
            target: self.target,
            priority: self.priority,
            arrival: self.arrival,
            start,
            end,
            placement,
            outcome,
            cold_start,
            attempts: self.attempts,
            waits: self.waits,
        }
    }
}

#[derive(Debug)]
struct Slot {
    generation: u32,
    run: Option<InFlightRun>,
}

/// The slab of in-flight runs.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

impl InFlight {
    pub fn insert(&mut self, run: InFlightRun) -> RunRef {
        if let Some(slot) = self.free.pop() {
            let s = &mut self.slots[slot as usize];
            s.run = Some(run);
            return RunRef {
                slot,
                generation: s.generation,
            };
        }
        let slot = u32::try_from(self.slots.len()).expect("fewer than 2^32 runs in flight");
        self.slots.push(Slot {
            generation: 0,
            run: Some(run),
        });
        RunRef {
            slot,
            generation: 0,
        }
    }

    /// The run behind a handle, unless it has ended since.
    pub fn get(&self, r: RunRef) -> Option<&InFlightRun> {
        let s = self.slots.get(r.slot as usize)?;
        if s.generation != r.generation {
            return None;
        }
        s.run.as_ref()
    }

    /// Starts loading the slot of a run into the cache.
    pub fn prefetch(&self, r: RunRef) {
        if let Some(s) = self.slots.get(r.slot as usize) {
            crate::prefetch::prefetch(s, 4);
        }
    }

    /// The run behind a handle, mutably.
    pub fn get_mut(&mut self, r: RunRef) -> Option<&mut InFlightRun> {
        let s = self.slots.get_mut(r.slot as usize)?;
        if s.generation != r.generation {
            return None;
        }
        s.run.as_mut()
    }

    /// Ends a run: frees its slot and invalidates its handles.
    pub fn remove(&mut self, r: RunRef) -> Option<InFlightRun> {
        self.end(r)?.run.take()
    }

    /// Ends a run like [`remove`](Self::remove), without moving it out
    /// (it is dropped in place). Returns whether it was in flight.
    pub fn discard(&mut self, r: RunRef) -> bool {
        self.end(r).map(|s| s.run = None).is_some()
    }

    /// The slot of the run behind `r`, if it is in flight, freed: its
    /// handles are invalid from now on and the slot is reused next.
    fn end(&mut self, r: RunRef) -> Option<&mut Slot> {
        let s = self.slots.get_mut(r.slot as usize)?;
        if s.generation != r.generation || s.run.is_none() {
            return None;
        }
        s.generation = s.generation.wrapping_add(1);
        self.free.push(r.slot);
        Some(s)
    }

    /// The runs executing on `host`, in slot order (a look through every
    /// run in flight; see [`RunsOnBots`] for machines).
    pub fn running_on(&self, host: Host) -> Vec<RunRef> {
        let mut refs = Vec::new();
        for (i, s) in self.slots.iter().enumerate() {
            if let Some(InFlightRun {
                stage: Stage::Running { placement, .. },
                ..
            }) = &s.run
                && placement.host == host
            {
                refs.push(RunRef {
                    slot: i as u32,
                    generation: s.generation,
                });
            }
        }
        refs
    }

    /// The handle of the in-flight run satisfying `pred`, if any.
    pub fn find(&self, pred: impl Fn(&InFlightRun) -> bool) -> Option<RunRef> {
        self.slots.iter().enumerate().find_map(|(i, s)| {
            s.run.as_ref().filter(|r| pred(r)).map(|_| RunRef {
                slot: i as u32,
                generation: s.generation,
            })
        })
    }

    /// The slots of every remaining run, in arrival order, for
    /// [`take_slot`](Self::take_slot) at the horizon. Sorting the slots,
    /// not the runs, holds 16 bytes a run beside the slab where a copy of
    /// every run held 176 (behind a backlog of a million runs, 160 MB more
    /// at the peak).
    pub fn slots_by_arrival(&self) -> Vec<usize> {
        let mut order: Vec<(u64, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.run.as_ref().map(|r| (r.id, i)))
            .collect();
        order.sort_unstable();
        order.into_iter().map(|(_, i)| i).collect()
    }

    /// Takes the run of slot `i` out, for good: the slab is not used
    /// again (at the horizon).
    pub fn take_slot(&mut self, i: usize) -> Option<InFlightRun> {
        self.slots.get_mut(i)?.run.take()
    }
}

/// The run each machine bot last started, kept for scenarios where a
/// machine can be taken away while it runs (outages, restarts): the runs
/// on a machine that goes offline are then its bots' entries still
/// running there, where a look through every run in flight took two
/// thirds of a run's time behind a backlog of 50,000. An entry is not
/// cleared when its run ends: it is checked against the run in flight.
#[derive(Debug, Default)]
pub(crate) struct RunsOnBots {
    /// By machine, by bot (0: the attended session).
    bots: Vec<Vec<Option<RunRef>>>,
}

impl RunsOnBots {
    /// An index of `machines` machines.
    pub fn new(machines: usize) -> Self {
        RunsOnBots {
            bots: vec![Vec::new(); machines],
        }
    }

    /// Run `r` started on this bot of machine `machine`.
    pub fn started(&mut self, machine: MachineId, bot: u16, r: RunRef) {
        let Some(bots) = self.bots.get_mut(machine.index()) else {
            return;
        };
        let bot = usize::from(bot);
        if bots.len() <= bot {
            bots.resize(bot + 1, None);
        }
        bots[bot] = Some(r);
    }

    /// The runs running on `machine`, in slot order (the order
    /// [`InFlight::running_on`] gives).
    pub fn on_machine(&self, machine: MachineId, runs: &InFlight) -> Vec<RunRef> {
        let host = Host::Machine(machine);
        let mut refs: Vec<RunRef> = self
            .bots
            .get(machine.index())
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(bot, r)| {
                let r = (*r)?;
                match runs.get(r)?.stage {
                    Stage::Running { placement, .. }
                        if placement.host == host && usize::from(placement.bot) == bot =>
                    {
                        Some(r)
                    }
                    _ => None,
                }
            })
            .collect();
        refs.sort_unstable_by_key(|r| r.slot);
        refs
    }
}

/// Where the runs named by `move_to_top` events were last queued, kept
/// for scenarios that have such events: the event then finds its run in
/// O(log events), where a look through every run in flight took 45
/// microseconds behind a backlog of 50,000. Only the runs an event names
/// are kept, so memory is bounded by the number of events; an entry is
/// not cleared when its run leaves the queue: it is checked against the
/// run in flight.
#[derive(Debug, Default)]
pub(crate) struct QueuedRunsToMove {
    /// By flow and the run's index among its flow's runs.
    runs: BTreeMap<(FlowId, u64), Option<RunRef>>,
}

impl QueuedRunsToMove {
    /// An index of the runs named by `wanted` (flow, index of its run).
    pub fn new(wanted: impl IntoIterator<Item = (FlowId, u64)>) -> Self {
        QueuedRunsToMove {
            runs: wanted.into_iter().map(|key| (key, None)).collect(),
        }
    }

    /// The `index`-th run of `flow` was queued as `r` (a run queued again
    /// after losing its machine is queued under a new handle).
    pub fn queued(&mut self, flow: FlowId, index: u64, r: RunRef) {
        if let Some(entry) = self.runs.get_mut(&(flow, index)) {
            *entry = Some(r);
        }
    }

    /// The `index`-th run of `flow`, if it was queued and is still in
    /// flight (queued or since started): a handle of a run that ended is
    /// stale, which its slot's generation tells.
    pub fn find(&self, flow: FlowId, index: u64, runs: &InFlight) -> Option<RunRef> {
        let r = (*self.runs.get(&(flow, index))?)?;
        runs.get(r).map(|_| r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{FlowId, TargetId};

    fn run(id: u64) -> InFlightRun {
        InFlightRun {
            id,
            flow: FlowId(0),
            flow_index: id,
            target: TargetId(0),
            priority: 0,
            attended: false,
            attempts: 1,
            arrival: SimTime::ZERO,
            duration: SimDuration::ZERO,
            fails: false,
            stage: Stage::Running {
                start: SimTime::ZERO,
                placement: Placement {
                    host: Host::Machine(MachineId(0)),
                    bot: 1,
                },
                outcome: Outcome::Succeeded,
                cold_start: None,
            },
            waits: Default::default(),
        }
    }

    #[test]
    fn stale_handles_are_ignored_after_reuse() {
        let mut s = InFlight::default();
        let a = s.insert(run(1));
        assert_eq!(s.remove(a).map(|r| r.id), Some(1));
        let b = s.insert(run(2));
        assert!(s.get_mut(a).is_none());
        assert!(s.remove(a).is_none());
        assert_eq!(s.get_mut(b).map(|r| r.id), Some(2));
    }

    #[test]
    fn a_discarded_run_frees_its_slot_once() {
        let mut s = InFlight::default();
        let a = s.insert(run(1));
        assert!(s.discard(a));
        assert!(!s.discard(a), "a stale handle");
        assert!(s.get(a).is_none());
        let b = s.insert(run(2));
        assert_eq!(b.slot, a.slot, "the slot is reused");
        assert!(!s.discard(a));
        assert_eq!(s.get(b).map(|r| r.id), Some(2));
        // Runs left at the horizon come out in arrival order, whatever
        // their slots (run 2 reuses the first slot).
        s.insert(run(9));
        s.insert(run(4));
        let left: Vec<u64> = s
            .slots_by_arrival()
            .into_iter()
            .filter_map(|i| s.take_slot(i).map(|r| r.id))
            .collect();
        assert_eq!(left, vec![2, 4, 9]);
        assert!(s.slots_by_arrival().is_empty(), "all taken");
    }
}
