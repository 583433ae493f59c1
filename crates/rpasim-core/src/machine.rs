//! Machines and their bots, with an index of the machines that have a free
//! bot per target, so that "is a bot free?" is O(1) and a selection policy
//! sees only candidates. A machine may be unavailable (a hosted machine
//! provisioning or restarting): its bots then count for nothing.

use smallvec::SmallVec;

use crate::ids::{MachineId, TargetId};
use crate::model::MachineSpec;
use crate::run::{Host, Placement};
use crate::selection::{Candidate, Candidates, FreeOrder};
use crate::time::SimTime;

mod order;

use order::SortedPools;
pub(crate) use order::key as order_key;

/// Why a machine does not accept runs; several may hold at once.
pub mod block {
    /// A hosted machine being provisioned.
    pub const PROVISIONING: u8 = 1;
    /// A hosted machine restarting.
    pub const RESTARTING: u8 = 2;
    /// Offline (outage).
    pub const OFFLINE: u8 = 4;
    /// In maintenance mode (its own, or its group's).
    pub const MAINTENANCE: u8 = 8;

    /// The class a set of reasons counts under when a pool's unavailable
    /// bots are counted (index in [`super::Fleet::unavailable_bots`]):
    /// maintenance before offline before provisioning or restarting.
    pub(crate) fn class(blocked: u8) -> Option<usize> {
        if blocked & MAINTENANCE != 0 {
            Some(0)
        } else if blocked & OFFLINE != 0 {
            Some(1)
        } else if blocked & (PROVISIONING | RESTARTING) != 0 {
            Some(2)
        } else {
            None
        }
    }
}

/// Runtime state of one machine.
#[derive(Debug, Clone)]
struct Machine {
    target: TargetId,
    bots: u32,
    /// Bit `i` set: bot `i + 1` is free.
    free_mask: u64,
    last_assigned: Option<SimTime>,
    /// When a run last ended on it (0 before any).
    last_released: SimTime,
    /// Accepts runs: no [`block`] reason holds and not removed.
    available: bool,
    /// The [`block`] reasons that hold.
    blocked: u8,
    /// The signed-in user's session is running an attended run.
    attended_busy: bool,
    /// Bit `i` set: bot `i + 1` has an open Windows session.
    sessions: u64,
    /// Deleted: its bots no longer belong to the pool.
    removed: bool,
    /// Position in its target's `free` list while it has a free bot.
    free_pos: Option<usize>,
}

/// Machines of a target's free list kept inside its [`PoolIndex`].
const FREE_INLINE: usize = 4;

/// Per-target bookkeeping.
#[derive(Debug, Clone, Default)]
struct PoolIndex {
    /// Machines with at least one free bot, in no particular (but
    /// deterministic) order. Inline up to [`FREE_INLINE`] machines: with
    /// thousands of standalone machines, a list on the heap is one more
    /// cache miss for every run that fills or frees its machine (measured:
    /// a tenth of the engine's time with 10,000 targets).
    free: SmallVec<[MachineId; FREE_INLINE]>,
    free_bots: u32,
    /// Bots of machines not removed.
    bots: u32,
    /// Bots of available machines.
    available_bots: u32,
    /// Bots of unavailable machines (not removed) by [`block::class`].
    unavailable_bots: [u32; 3],
}

/// All machines of a simulation and the free-bot index of every target.
#[derive(Debug, Clone)]
pub struct Fleet {
    machines: Vec<Machine>,
    pools: Vec<PoolIndex>,
    /// The free machines of the pools whose selection policy takes the
    /// first in an order, kept in it ([`Fleet::keep_order`]); `None` while
    /// no pool keeps one.
    sorted: Option<Box<SortedPools>>,
    /// Per machine, bit `i` set: bot `i + 1` is beyond the machine's bots
    /// (a `set` took it away) and still runs a run. It leaves when the run
    /// ends, or is a busy bot again if the machine gets its bots back
    /// first. Empty until a `set` takes a busy bot away; beside the
    /// machines, as rarely used state is.
    retiring: Vec<u64>,
}

impl Fleet {
    /// The fleet of `machines`, every bot free, for `targets` targets.
    pub fn new(machines: &[MachineSpec], targets: usize) -> Self {
        let mut fleet = Fleet {
            machines: Vec::with_capacity(machines.len()),
            pools: vec![PoolIndex::default(); targets],
            sorted: None,
            retiring: Vec::new(),
        };
        for (i, spec) in machines.iter().enumerate() {
            let all_free = if spec.bots >= 64 {
                u64::MAX
            } else {
                (1u64 << spec.bots) - 1
            };
            fleet.machines.push(Machine {
                target: spec.target,
                bots: spec.bots,
                free_mask: all_free,
                last_assigned: None,
                last_released: SimTime::ZERO,
                available: true,
                blocked: 0,
                attended_busy: false,
                sessions: 0,
                removed: false,
                free_pos: None,
            });
            let pool = &mut fleet.pools[spec.target.index()];
            pool.bots += spec.bots;
            pool.available_bots += spec.bots;
            pool.free_bots += spec.bots;
            fleet.index_free(MachineId::from_index(i));
        }
        fleet
    }

    /// Free bots of a target's pool.
    pub fn free_bots(&self, target: TargetId) -> u32 {
        self.pools[target.index()].free_bots
    }

    /// Starts loading a target's free-bot index into the cache.
    pub(crate) fn prefetch_pool(&self, target: TargetId) {
        if let Some(p) = self.pools.get(target.index()) {
            // Two: an index may straddle a line boundary.
            crate::prefetch::prefetch(p, 2);
        }
    }

    /// Starts loading a machine's state into the cache.
    pub(crate) fn prefetch_machine(&self, machine: MachineId) {
        if let Some(m) = self.machines.get(machine.index()) {
            crate::prefetch::prefetch(m, 1);
        }
    }

    /// Bots of a target's pool (machines not deleted).
    pub fn bots(&self, target: TargetId) -> u32 {
        self.pools[target.index()].bots
    }

    /// Bots of a target's machines that accept runs.
    pub fn available_bots(&self, target: TargetId) -> u32 {
        self.pools[target.index()].available_bots
    }

    /// Bots of a target's machines that accept no runs, by why: in
    /// maintenance, offline, provisioning or restarting (a machine for
    /// several reasons counts under the first).
    pub fn unavailable_bots(&self, target: TargetId) -> [u32; 3] {
        self.pools[target.index()].unavailable_bots
    }

    /// Why a machine accepts no runs ([`block::class`]), if it does not.
    pub fn unavailable_class(&self, machine: MachineId) -> Option<usize> {
        let m = &self.machines[machine.index()];
        if m.removed {
            None
        } else {
            block::class(m.blocked)
        }
    }

    /// Whether a machine accepts runs.
    pub fn is_available(&self, machine: MachineId) -> bool {
        self.machines[machine.index()].available
    }

    /// Whether a machine has been deleted.
    pub fn is_removed(&self, machine: MachineId) -> bool {
        self.machines[machine.index()].removed
    }

    /// Runs a machine is running (on its bots or in the attended session).
    pub fn busy_bots(&self, machine: MachineId) -> u32 {
        let m = &self.machines[machine.index()];
        m.bots - m.free_mask.count_ones()
            + self.retiring(machine).count_ones()
            + u32::from(m.attended_busy)
    }

    /// When a run last ended on a machine.
    pub fn last_released(&self, machine: MachineId) -> SimTime {
        self.machines[machine.index()].last_released
    }

    /// Sets or clears one [`block`] reason; the machine accepts runs when
    /// none holds (running runs are the caller's business).
    pub fn set_blocked(&mut self, machine: MachineId, reason: u8, on: bool) {
        self.uncount_unavailable(machine);
        let m = &mut self.machines[machine.index()];
        if on {
            m.blocked |= reason;
        } else {
            m.blocked &= !reason;
        }
        let available = m.blocked == 0;
        self.set_available(machine, available);
        self.count_unavailable(machine);
    }

    /// Removes a machine's bots from its pool's unavailable counts (before
    /// a change of its bots or reasons; [`Self::count_unavailable`] after).
    fn uncount_unavailable(&mut self, machine: MachineId) {
        self.adjust_unavailable(machine, false);
    }

    /// Adds a machine's bots to its pool's unavailable counts.
    fn count_unavailable(&mut self, machine: MachineId) {
        self.adjust_unavailable(machine, true);
    }

    fn adjust_unavailable(&mut self, machine: MachineId, add: bool) {
        let Some(class) = self.unavailable_class(machine) else {
            return;
        };
        let m = &self.machines[machine.index()];
        let count = &mut self.pools[m.target.index()].unavailable_bots[class];
        if add {
            *count += m.bots;
        } else {
            *count -= m.bots;
        }
    }

    /// Whether a [`block`] reason holds for a machine.
    pub fn is_blocked(&self, machine: MachineId, reason: u8) -> bool {
        self.machines[machine.index()].blocked & reason != 0
    }

    /// Whether the signed-in user of an available machine is free for an
    /// attended run.
    pub fn attended_free(&self, machine: MachineId) -> bool {
        let m = &self.machines[machine.index()];
        m.available && !m.attended_busy
    }

    /// Takes the signed-in user's session for an attended run (bot 0).
    pub fn acquire_attended(&mut self, machine: MachineId, now: SimTime) -> Placement {
        let m = &mut self.machines[machine.index()];
        m.attended_busy = true;
        m.last_assigned = Some(now);
        self.resort(machine, true);
        Placement {
            host: Host::Machine(machine),
            bot: 0,
        }
    }

    /// Opens the session of a bot; `true` if it was already open (reused).
    pub fn open_session(&mut self, machine: MachineId, bot: u16) -> bool {
        let m = &mut self.machines[machine.index()];
        let bit = 1u64 << (bot - 1);
        let was_open = m.sessions & bit != 0;
        m.sessions |= bit;
        was_open
    }

    /// Closes every bot session of a machine (it went offline or restarted).
    pub fn close_sessions(&mut self, machine: MachineId) {
        self.machines[machine.index()].sessions = 0;
    }

    /// Changes a machine's number of bots: new bots are free; bots beyond
    /// the new number stop being offered now, and those running a run
    /// disappear when it ends.
    pub fn set_bots(&mut self, machine: MachineId, bots: u32) {
        self.uncount_unavailable(machine);
        let available = self.machines[machine.index()].available;
        self.set_available(machine, false);
        let mut retiring = self.retiring(machine);
        let m = &mut self.machines[machine.index()];
        let old = m.bots;
        let mask = |n: u32| if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        if bots > old {
            // Bots given back that still run a run are busy, not free.
            let back = mask(bots) & !mask(old);
            m.free_mask |= back & !retiring;
            retiring &= !back;
        } else {
            retiring |= mask(old) & !mask(bots) & !m.free_mask;
            m.free_mask &= mask(bots);
            m.sessions &= mask(bots);
        }
        m.bots = bots;
        let (target, removed) = (m.target, m.removed);
        self.set_retiring(machine, retiring);
        if !removed {
            self.pools[target.index()].bots = self.pools[target.index()].bots + bots - old;
        }
        self.set_available(machine, available);
        self.count_unavailable(machine);
    }

    /// Makes a machine accept runs, or stop accepting them (running runs
    /// are the caller's business).
    fn set_available(&mut self, machine: MachineId, available: bool) {
        let m = &mut self.machines[machine.index()];
        if m.available == available || m.removed {
            return;
        }
        m.available = available;
        let (target, bots, free) = (m.target, m.bots, m.free_mask.count_ones());
        let pool = &mut self.pools[target.index()];
        if available {
            pool.available_bots += bots;
            pool.free_bots += free;
            if free > 0 {
                self.index_free(machine);
            }
        } else {
            pool.available_bots -= bots;
            pool.free_bots -= free;
            self.unindex_free(machine);
        }
    }

    /// Deletes a machine for good: it stops accepting runs and its bots
    /// leave the pool.
    pub fn remove(&mut self, machine: MachineId) {
        self.uncount_unavailable(machine);
        self.set_available(machine, false);
        self.machines[machine.index()].blocked = u8::MAX;
        let m = &mut self.machines[machine.index()];
        if !m.removed {
            m.removed = true;
            let (target, bots) = (m.target, m.bots);
            self.pools[target.index()].bots -= bots;
        }
    }

    /// The target whose pool a machine serves.
    pub fn target_of(&self, machine: MachineId) -> TargetId {
        self.machines[machine.index()].target
    }

    /// Bots of one machine.
    pub fn machine_bots(&self, machine: MachineId) -> u32 {
        self.machines[machine.index()].bots
    }

    /// The machines of a target with a free bot.
    pub fn candidates(&self, target: TargetId) -> Candidates<'_> {
        Candidates::of_fleet(&self.pools[target.index()].free, self)
    }

    /// Keeps a target's free machines sorted in `order` from now on (a
    /// policy that takes the first in that order then chooses in O(log n)
    /// time), or stops keeping them sorted (`None`).
    pub fn keep_order(&mut self, target: TargetId, order: Option<FreeOrder>) {
        if order.is_none() && self.sorted.is_none() {
            return;
        }
        let free: Vec<Candidate> = self.candidates(target).iter().collect();
        let machines = self.machines.len();
        self.sorted
            .get_or_insert_default()
            .keep(target.index(), order, free.into_iter(), machines);
    }

    /// The first of a target's free machines in `order` (after `after`,
    /// wrapping around, in [`FreeOrder::MachineId`]), if the fleet keeps
    /// that order for the target and it has a free machine.
    pub(crate) fn first_free_in(
        &self,
        target: TargetId,
        order: FreeOrder,
        after: Option<MachineId>,
    ) -> Option<MachineId> {
        self.sorted.as_ref()?.first(target.index(), order, after)
    }

    /// The order a target's free machines are kept in, if any.
    #[cfg(test)]
    pub(crate) fn kept_order(&self, target: TargetId) -> Option<FreeOrder> {
        self.sorted.as_ref()?.order(target.index())
    }

    /// Where a machine is in its target's list of candidates, if it has a
    /// free bot.
    pub(crate) fn free_position(&self, machine: MachineId) -> Option<usize> {
        self.machines[machine.index()].free_pos
    }

    /// What a selection policy sees of a machine.
    pub fn candidate(&self, id: MachineId) -> Candidate {
        let m = &self.machines[id.index()];
        Candidate {
            machine: id,
            free_bots: m.free_mask.count_ones(),
            bots: m.bots,
            last_assigned: m.last_assigned,
        }
    }

    /// Takes the lowest-numbered free bot of `machine` at `now`.
    ///
    /// # Panics
    /// If the machine has no free bot (the caller picked a non-candidate).
    pub fn acquire(&mut self, machine: MachineId, now: SimTime) -> Placement {
        let m = &mut self.machines[machine.index()];
        assert!(m.free_mask != 0, "machine {machine:?} has no free bot");
        let bit = m.free_mask.trailing_zeros();
        m.free_mask &= !(1u64 << bit);
        m.last_assigned = Some(now);
        let (target, now_full) = (m.target, m.free_mask == 0);
        self.pools[target.index()].free_bots -= 1;
        if now_full {
            self.unindex_free(machine);
        } else {
            self.resort(machine, true);
        }
        Placement {
            host: Host::Machine(machine),
            bot: bit as u16 + 1,
        }
    }

    /// Frees bot `bot` (from 1, or 0 for the attended session) of
    /// `machine` at `now`.
    pub fn release(&mut self, machine: MachineId, bot: u16, now: SimTime) {
        let m = &mut self.machines[machine.index()];
        m.last_released = now;
        if bot == 0 {
            m.attended_busy = false;
            return;
        }
        let bit = 1u64 << (bot - 1);
        if u32::from(bot) > m.bots {
            // The bot was taken away by a `set` while it ran: it leaves.
            let retiring = self.retiring(machine) & !bit;
            self.set_retiring(machine, retiring);
            return;
        }
        debug_assert!(m.free_mask & bit == 0, "bot released twice");
        let was_full = m.free_mask == 0;
        m.free_mask |= bit;
        if !m.available {
            return; // counted again when the machine becomes available
        }
        let target = m.target;
        self.pools[target.index()].free_bots += 1;
        if was_full {
            self.index_free(machine);
        } else {
            self.resort(machine, true);
        }
    }

    fn index_free(&mut self, id: MachineId) {
        let target = self.machines[id.index()].target;
        let free = &mut self.pools[target.index()].free;
        self.machines[id.index()].free_pos = Some(free.len());
        free.push(id);
        self.resort(id, false);
    }

    /// Removes a machine from its target's free list (if it is there).
    fn unindex_free(&mut self, id: MachineId) {
        let target = self.machines[id.index()].target;
        let Some(pos) = self.machines[id.index()].free_pos.take() else {
            return;
        };
        let free = &mut self.pools[target.index()].free;
        free.swap_remove(pos);
        if let Some(moved) = free.get(pos).copied() {
            self.machines[moved.index()].free_pos = Some(pos);
        }
        if self.sorted.is_some() {
            self.order_remove(target, id);
        }
    }

    /// Takes a machine out of its target's sorted index, if it keeps one.
    #[inline(never)]
    fn order_remove(&mut self, target: TargetId, id: MachineId) {
        if let Some(sorted) = self.sorted.as_deref_mut() {
            sorted.remove(target.index(), id);
        }
    }

    /// A machine's bots taken away while busy (see `Fleet::retiring`).
    fn retiring(&self, machine: MachineId) -> u64 {
        self.retiring.get(machine.index()).copied().unwrap_or(0)
    }

    fn set_retiring(&mut self, machine: MachineId, bits: u64) {
        if bits == 0 && self.retiring.is_empty() {
            return;
        }
        if self.retiring.len() < self.machines.len() {
            self.retiring.resize(self.machines.len(), 0);
        }
        self.retiring[machine.index()] = bits;
    }

    /// Puts a machine in its target's sorted index, if it keeps one:
    /// just added to the free list (`moved` false), or moved after what
    /// it is sorted by changed (if it has a free bot).
    #[inline(always)]
    fn resort(&mut self, id: MachineId, moved: bool) {
        // No pool keeps an order (the common case): one load, and the
        // work out of line, so that the functions every run calls stay
        // as small as they were without the sorted index.
        if self.sorted.is_some() {
            self.resort_sorted(id, moved);
        }
    }

    #[inline(never)]
    fn resort_sorted(&mut self, id: MachineId, moved: bool) {
        let m = &self.machines[id.index()];
        if m.free_pos.is_none() {
            return;
        }
        let target = m.target.index();
        let c = self.candidate(id);
        if let Some(sorted) = self.sorted.as_deref_mut() {
            sorted.place(target, &c, moved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet() -> Fleet {
        let spec = |name: &str, bots| MachineSpec {
            name: name.into(),
            target: TargetId(0),
            bots,
            hosted: None,
            options: Default::default(),
        };
        Fleet::new(&[spec("a", 1), spec("b", 2)], 1)
    }

    #[test]
    fn index_tracks_machines_with_free_bots() {
        let mut f = fleet();
        let t = TargetId(0);
        assert_eq!(
            (f.free_bots(t), f.bots(t), f.candidates(t).len()),
            (3, 3, 2)
        );
        let p = f.acquire(MachineId(0), SimTime::ZERO);
        assert_eq!(p.bot, 1);
        assert_eq!((f.free_bots(t), f.candidates(t).len()), (2, 1));
        assert_eq!(f.candidates(t).get(0).machine, MachineId(1));
        let b1 = f.acquire(MachineId(1), SimTime::ZERO);
        let b2 = f.acquire(MachineId(1), SimTime::ZERO);
        assert_eq!((b1.bot, b2.bot), (1, 2));
        assert!(f.candidates(t).is_empty());
        f.release(MachineId(1), b1.bot, SimTime::ZERO);
        f.release(MachineId(0), p.bot, SimTime::ZERO);
        assert_eq!((f.free_bots(t), f.candidates(t).len()), (2, 2));
        assert_eq!(f.acquire(MachineId(1), SimTime::ZERO).bot, 1);
    }

    #[test]
    fn unavailable_machines_offer_no_bots() {
        let mut f = fleet();
        let t = TargetId(0);
        let p = f.acquire(MachineId(1), SimTime::ZERO);
        f.set_blocked(MachineId(1), block::OFFLINE, true);
        f.set_blocked(MachineId(1), block::MAINTENANCE, true);
        assert_eq!(
            (f.free_bots(t), f.available_bots(t), f.candidates(t).len()),
            (1, 1, 1)
        );
        assert_eq!(f.unavailable_bots(t), [2, 0, 0], "maintenance first");
        f.set_blocked(MachineId(1), block::OFFLINE, false);
        assert!(!f.is_available(MachineId(1)), "still in maintenance");
        f.set_bots(MachineId(1), 3);
        assert_eq!(f.unavailable_bots(t), [3, 0, 0]);
        f.set_bots(MachineId(1), 2);
        // A run ending on an unavailable machine frees no usable bot...
        f.release(MachineId(1), p.bot, SimTime::ZERO);
        assert_eq!(f.free_bots(t), 1);
        // ... until the machine is back.
        f.set_blocked(MachineId(1), block::MAINTENANCE, false);
        assert_eq!(
            (f.free_bots(t), f.available_bots(t), f.candidates(t).len()),
            (3, 3, 2)
        );
        assert_eq!(f.unavailable_bots(t), [0, 0, 0]);
        f.set_blocked(MachineId(0), block::OFFLINE, true);
        assert_eq!(f.unavailable_bots(t), [0, 1, 0]);
        f.remove(MachineId(0));
        assert_eq!(f.unavailable_bots(t), [0, 0, 0], "removed bots are gone");
        assert_eq!(
            (f.free_bots(t), f.bots(t), f.candidates(t).len()),
            (2, 2, 1)
        );
        f.set_blocked(MachineId(0), block::OFFLINE, false);
        assert_eq!(f.free_bots(t), 2, "a removed machine never comes back");
    }

    #[test]
    fn bots_can_be_added_and_removed() {
        let mut f = fleet();
        let t = TargetId(0);
        let busy = f.acquire(MachineId(1), SimTime::ZERO);
        f.set_bots(MachineId(1), 4);
        assert_eq!((f.bots(t), f.free_bots(t)), (5, 4));
        f.set_bots(MachineId(1), 1);
        // Bot 1 is busy; bots 2-4 are gone.
        assert_eq!((f.bots(t), f.free_bots(t)), (2, 1));
        f.release(MachineId(1), busy.bot, SimTime::ZERO);
        assert_eq!(f.free_bots(t), 2);
    }

    #[test]
    fn the_attended_session_is_one_per_machine() {
        let mut f = fleet();
        assert!(f.attended_free(MachineId(0)));
        let p = f.acquire_attended(MachineId(0), SimTime::ZERO);
        assert_eq!(p.bot, 0);
        assert!(!f.attended_free(MachineId(0)));
        assert_eq!(f.free_bots(TargetId(0)), 3, "unattended bots are not used");
        f.release(MachineId(0), 0, SimTime::ZERO);
        assert!(f.attended_free(MachineId(0)));
    }

    /// Machines of these bots, all in target 0.
    fn one_pool(bots: &[u32]) -> Vec<MachineSpec> {
        bots.iter()
            .enumerate()
            .map(|(i, b)| MachineSpec {
                name: format!("m{i}"),
                target: TargetId(0),
                bots: *b,
                hosted: None,
                options: Default::default(),
            })
            .collect()
    }

    /// The free index lists exactly the machines with a free bot, and
    /// counts their free bots, whether it fits inside its target's state
    /// or has spilled to the heap (more than `FREE_INLINE` machines).
    mod free_index {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn lists_the_machines_with_a_free_bot(
                bots in proptest::collection::vec(1..4u32, 1..12),
                steps in proptest::collection::vec((0..12usize, any::<bool>()), 0..200),
            ) {
                let specs = one_pool(&bots);
                let mut f = Fleet::new(&specs, 1);
                // The bots each machine runs, as the engine would hold them.
                let mut running: Vec<Vec<u16>> = vec![Vec::new(); bots.len()];
                for (m, take) in steps {
                    let m = m % bots.len();
                    let id = MachineId::from_index(m);
                    if take && running[m].len() < bots[m] as usize {
                        running[m].push(f.acquire(id, SimTime::ZERO).bot);
                    } else if let Some(bot) = running[m].pop() {
                        f.release(id, bot, SimTime::ZERO);
                    }
                    let t = TargetId(0);
                    let mut listed: Vec<u32> =
                        (0..f.candidates(t).len()).map(|i| f.candidates(t).get(i).machine.0).collect();
                    listed.sort_unstable();
                    let expected: Vec<u32> = (0..bots.len() as u32)
                        .filter(|i| running[*i as usize].len() < bots[*i as usize] as usize)
                        .collect();
                    prop_assert_eq!(listed, expected);
                    let free: u32 = (0..bots.len()).map(|i| bots[i] - running[i].len() as u32).sum();
                    prop_assert_eq!(f.free_bots(t), free);
                }
            }
        }
    }

    /// A fleet that keeps its free machines sorted finds the same first
    /// machine as a scan of its candidates, through every change of what
    /// they are sorted by: runs taken and ended (by bots and by the
    /// signed-in user), outages, bots added and removed, machines deleted.
    mod sorted_index {
        use super::*;
        use crate::selection::FreeOrder;
        use proptest::prelude::*;

        /// One change to the fleet, on machine `.1` at minute `.2`.
        #[derive(Debug, Clone, Copy)]
        enum Step {
            Take,
            End,
            TakeAttended,
            EndAttended,
            Block(bool),
            Bots(u32),
            Remove,
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                4 => Just(Step::Take),
                4 => Just(Step::End),
                1 => Just(Step::TakeAttended),
                1 => Just(Step::EndAttended),
                1 => any::<bool>().prop_map(Step::Block),
                1 => (1..5u32).prop_map(Step::Bots),
                1 => Just(Step::Remove),
            ]
        }

        /// The first candidate found by a scan of a copy of them.
        fn scanned(f: &Fleet, order: FreeOrder, after: Option<MachineId>) -> Option<MachineId> {
            let copy: Vec<Candidate> = f.candidates(TargetId(0)).iter().collect();
            let view: Candidates<'_> = copy.as_slice().into();
            (!view.is_empty()).then(|| view.get(view.first_in(order, after)).machine)
        }

        /// The first candidate as the fleet's index gives it.
        fn indexed(f: &Fleet, order: FreeOrder, after: Option<MachineId>) -> Option<MachineId> {
            let c = f.candidates(TargetId(0));
            (!c.is_empty()).then(|| c.get(c.first_in(order, after)).machine)
        }

        proptest! {
            #[test]
            fn finds_what_a_scan_finds(
                bots in proptest::collection::vec(1..4u32, 2..10),
                steps in proptest::collection::vec((step(), 0..10usize, 0..5u64), 0..150),
                after in proptest::option::of(0..10u32),
            ) {
                let specs = one_pool(&bots);
                let orders = [FreeOrder::LeastRecentlyUsed, FreeOrder::MachineId, FreeOrder::MostFreeBots];
                for order in orders {
                    let mut f = Fleet::new(&specs, 1);
                    f.keep_order(TargetId(0), Some(order));
                    let mut running: Vec<Vec<u16>> = vec![Vec::new(); bots.len()];
                    // Each machine's bots, and whether it accepts runs.
                    let mut count = bots.clone();
                    let mut open = vec![true; bots.len()];
                    let mut now = SimTime::ZERO;
                    for (step, m, minutes) in &steps {
                        let m = m % bots.len();
                        let id = MachineId::from_index(m);
                        now += crate::time::SimDuration::from_mins(*minutes);
                        match step {
                            Step::Take if f.candidates(TargetId(0)).iter().any(|c| c.machine == id) => {
                                running[m].push(f.acquire(id, now).bot);
                            }
                            Step::End => {
                                if let Some(bot) = running[m].pop() {
                                    f.release(id, bot, now);
                                }
                            }
                            Step::TakeAttended if f.attended_free(id) => {
                                f.acquire_attended(id, now);
                            }
                            Step::EndAttended => f.release(id, 0, now),
                            Step::Block(on) => {
                                f.set_blocked(id, block::OFFLINE, *on);
                                open[m] = !*on && !f.is_removed(id);
                            }
                            Step::Bots(n) => {
                                f.set_bots(id, *n);
                                count[m] = *n;
                            }
                            Step::Remove => {
                                f.remove(id);
                                open[m] = false;
                            }
                            _ => {}
                        }
                        // Free: the bots within each open machine's count
                        // that run nothing (a bot taken away and given back
                        // while it ran is busy).
                        let free: usize = (0..bots.len())
                            .filter(|m| open[*m])
                            .map(|m| (1..=count[m] as u16).filter(|b| !running[m].contains(b)).count())
                            .sum();
                        prop_assert_eq!(f.free_bots(TargetId(0)) as usize, free);
                        let sorted = f.sorted.as_ref().and_then(|s| s.len(0));
                        prop_assert_eq!(sorted, Some(f.pools[0].free.len()));
                        let after = after.map(MachineId);
                        prop_assert_eq!(indexed(&f, order, after), scanned(&f, order, after));
                    }
                }
            }
        }
    }
}
