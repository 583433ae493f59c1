//! A pool's machines with a free bot, kept sorted the way a built-in
//! selection policy takes them, so that choosing is O(log n) instead of a
//! scan of every candidate: with a group of 5,000 machines a scan made
//! least-recently-used, round-robin and most-free-bots 15 to 20 times as
//! slow as they are with it.
//!
//! Each machine's place is a unique `u128` key (its id in the low 32 bits),
//! recorded when it is inserted, so that it can be found again after what
//! the key is made of (its last assignment, its free bots) has changed.

use std::collections::BTreeSet;

use crate::ids::MachineId;
use crate::selection::{Candidate, FreeOrder};

/// The key of `c` in `order`: ascending keys are the order in which a
/// policy prefers machines; unique, since the id comes last.
pub(crate) fn key(order: FreeOrder, c: &Candidate) -> u128 {
    let id = u128::from(c.machine.0);
    let rank = match order {
        // Never assigned (`None`) before any time.
        FreeOrder::LeastRecentlyUsed => {
            c.last_assigned.map_or(0, |t| u128::from(t.as_millis()) + 1)
        }
        FreeOrder::MachineId => 0,
        // A machine has at most 64 bots.
        FreeOrder::MostFreeBots => u128::from(64 - c.free_bots.min(64)),
    };
    (rank << 32) | id
}

/// The free machines of the pools that keep an order, each in its
/// [`FreeOrder`], beside the fleet: the state that every run touches stays
/// as small as it was for the pools that keep none (most of them).
#[derive(Debug, Clone, Default)]
pub(crate) struct SortedPools {
    /// Per target, its order and its free machines' keys, if it keeps one.
    pools: Vec<Option<OrderedFree>>,
    /// Per machine, its key while it is in its pool's index.
    keys: Vec<u128>,
}

#[derive(Debug, Clone)]
struct OrderedFree {
    order: FreeOrder,
    keys: BTreeSet<u128>,
}

impl SortedPools {
    /// Keeps `target`'s free machines in `order` (`None`: no longer),
    /// starting with these, of `machines` machines in all.
    pub(crate) fn keep(
        &mut self,
        target: usize,
        order: Option<FreeOrder>,
        free: impl Iterator<Item = Candidate>,
        machines: usize,
    ) {
        if self.pools.len() <= target {
            self.pools.resize(target + 1, None);
        }
        self.keys.resize(self.keys.len().max(machines), 0);
        self.pools[target] = order.map(|order| OrderedFree {
            order,
            keys: BTreeSet::new(),
        });
        for c in free {
            self.place(target, &c, false);
        }
    }

    /// Puts a machine with a free bot where its key says in `target`'s
    /// index, if it keeps one: added (`moved` false), or moved after what
    /// it is sorted by changed (its last assignment, its free bots).
    pub(crate) fn place(&mut self, target: usize, c: &Candidate, moved: bool) {
        let Some(Some(pool)) = self.pools.get_mut(target) else {
            return;
        };
        let k = key(pool.order, c);
        let old = std::mem::replace(&mut self.keys[c.machine.index()], k);
        if moved {
            if k == old {
                return;
            }
            pool.keys.remove(&old);
        }
        pool.keys.insert(k);
    }

    /// Removes a machine from `target`'s index (by the key it was
    /// inserted with), if it keeps one.
    pub(crate) fn remove(&mut self, target: usize, machine: MachineId) {
        let Some(Some(pool)) = self.pools.get_mut(target) else {
            return;
        };
        let removed = pool.keys.remove(&self.keys[machine.index()]);
        debug_assert!(
            removed,
            "a machine is removed with the key it was inserted with"
        );
    }

    /// The first free machine of `target` in `order`, if it keeps that
    /// order; with `after`, in [`FreeOrder::MachineId`], the first with a
    /// larger id, wrapping around to the smallest (round robin).
    pub(crate) fn first(
        &self,
        target: usize,
        order: FreeOrder,
        after: Option<MachineId>,
    ) -> Option<MachineId> {
        let pool = self
            .pools
            .get(target)?
            .as_ref()
            .filter(|p| p.order == order)?;
        let next = match after {
            Some(last) if order == FreeOrder::MachineId => {
                pool.keys.range(u128::from(last.0) + 1..).next()
            }
            _ => None,
        };
        let key = next.or_else(|| pool.keys.first())?;
        // The low 32 bits hold the id.
        Some(MachineId(*key as u32))
    }

    /// The order `target` keeps, if any.
    #[cfg(test)]
    pub(crate) fn order(&self, target: usize) -> Option<FreeOrder> {
        self.pools.get(target)?.as_ref().map(|p| p.order)
    }

    /// Machines in `target`'s index.
    #[cfg(test)]
    pub(crate) fn len(&self, target: usize) -> Option<usize> {
        self.pools.get(target)?.as_ref().map(|p| p.keys.len())
    }
}
