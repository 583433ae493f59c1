//! Machine selection: which machine with a free bot gets the next run.
//!
//! The service picks one at random; the other policies are what-ifs. A policy
//! sees only the candidates (machines of the target that are active and have
//! a free bot), so choosing is O(candidates), never a scan of every machine.
//! The built-in policies other than random take the first candidate in a
//! [`FreeOrder`], which the fleet keeps sorted for them: O(log candidates).

use std::fmt::Debug;

use rand::RngExt;

use crate::ids::MachineId;
use crate::random::SimRng;
use crate::time::SimTime;

/// What a policy knows of a candidate machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The machine.
    pub machine: MachineId,
    /// Its free bots (at least 1).
    pub free_bots: u32,
    /// Its bots.
    pub bots: u32,
    /// When it was last given a run, `None` if never.
    pub last_assigned: Option<SimTime>,
}

/// The machines a policy chooses from: never empty. A view, so a random
/// choice reads one entry instead of materialising the list.
#[derive(Debug, Clone, Copy)]
pub struct Candidates<'a> {
    inner: CandidatesInner<'a>,
}

#[derive(Debug, Clone, Copy)]
enum CandidatesInner<'a> {
    Fleet {
        ids: &'a [MachineId],
        fleet: &'a crate::machine::Fleet,
    },
    Slice(&'a [Candidate]),
}

impl<'a> Candidates<'a> {
    pub(crate) fn of_fleet(ids: &'a [MachineId], fleet: &'a crate::machine::Fleet) -> Self {
        Candidates {
            inner: CandidatesInner::Fleet { ids, fleet },
        }
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        match self.inner {
            CandidatesInner::Fleet { ids, .. } => ids.len(),
            CandidatesInner::Slice(s) => s.len(),
        }
    }

    /// Whether there is no candidate (never the case when a policy is asked).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The candidate at `index` (< `len()`).
    pub fn get(&self, index: usize) -> Candidate {
        match self.inner {
            CandidatesInner::Fleet { ids, fleet, .. } => fleet.candidate(ids[index]),
            CandidatesInner::Slice(s) => s[index],
        }
    }

    /// All candidates, in index order.
    pub fn iter(&self) -> impl Iterator<Item = Candidate> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The index of the candidate with the smallest key (first on ties).
    pub fn argmin_by_key<K: Ord>(&self, key: impl Fn(&Candidate) -> K) -> usize {
        self.iter()
            .enumerate()
            .min_by_key(|(_, c)| key(c))
            .map_or(0, |(i, _)| i)
    }

    /// The index of the first candidate in `order`; in
    /// [`FreeOrder::MachineId`] with `after`, the first with a larger id
    /// than `after`, wrapping around to the smallest. Looked up in
    /// O(log n) time where the fleet keeps this order for the target (for
    /// a policy whose [`MachineSelection::free_order`] is `order`),
    /// else found by a scan: the same candidate either way.
    pub fn first_in(&self, order: FreeOrder, after: Option<MachineId>) -> usize {
        // Every candidate is a machine of the target.
        if let CandidatesInner::Fleet { ids, fleet } = self.inner
            && let Some(any) = ids.first()
            && let Some(first) = fleet.first_free_in(fleet.target_of(*any), order, after)
            && let Some(index) = fleet.free_position(first)
        {
            return index;
        }
        let after = after.filter(|_| order == FreeOrder::MachineId);
        // Those after `after` first (false before true), then by key.
        self.argmin_by_key(|c| {
            let wrapped = after.is_some_and(|last| c.machine <= last);
            (wrapped, crate::machine::order_key(order, c))
        })
    }
}

/// An order of machines that a policy takes the first of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeOrder {
    /// Least recently given a run first, machines never given one before
    /// all; then by id.
    LeastRecentlyUsed,
    /// By id.
    MachineId,
    /// Most free bots first; then by id.
    MostFreeBots,
}

impl<'a> From<&'a [Candidate]> for Candidates<'a> {
    fn from(slice: &'a [Candidate]) -> Self {
        Candidates {
            inner: CandidatesInner::Slice(slice),
        }
    }
}

/// Chooses a machine among candidates.
///
/// A target with a single machine (a standalone machine, or a group of
/// one) never asks its policy: that machine is the only possible choice.
///
/// ```
/// use rpasim_core::selection::{Candidates, MachineSelection};
/// use rpasim_core::random::SimRng;
///
/// /// Fill the machine that is already busiest (pack runs together).
/// #[derive(Debug)]
/// struct Pack;
///
/// impl MachineSelection for Pack {
///     fn select(&mut self, candidates: &Candidates<'_>, _rng: &mut SimRng) -> usize {
///         candidates.argmin_by_key(|c| (c.free_bots, c.machine))
///     }
/// }
/// ```
pub trait MachineSelection: Debug + Send {
    /// The index in `candidates` (never empty) of the chosen machine. `rng`
    /// is the target's own selection stream.
    fn select(&mut self, candidates: &Candidates<'_>, rng: &mut SimRng) -> usize;

    /// The order, if any, in which the policy looks for a machine with
    /// [`Candidates::first_in`]: the fleet then keeps the target's free
    /// machines sorted in it, so that the lookup is O(log n) instead of
    /// a scan. `None` (the default) spares that upkeep.
    fn free_order(&self) -> Option<FreeOrder> {
        None
    }
}

/// The built-in selection policies, as named in scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SelectionPolicy {
    /// Uniformly at random (the service's behaviour).
    #[default]
    Random,
    /// The machine given a run longest ago (never used first).
    LeastRecentlyUsed,
    /// Machines in turn, in declaration order.
    RoundRobin,
    /// The machine with the most free bots (spreads load).
    MostFreeBots,
}

impl SelectionPolicy {
    /// Every policy, for listing in messages.
    pub const ALL: [SelectionPolicy; 4] = [
        SelectionPolicy::Random,
        SelectionPolicy::LeastRecentlyUsed,
        SelectionPolicy::RoundRobin,
        SelectionPolicy::MostFreeBots,
    ];

    /// The scenario name of the policy.
    pub fn name(self) -> &'static str {
        match self {
            SelectionPolicy::Random => "random",
            SelectionPolicy::LeastRecentlyUsed => "least_recently_used",
            SelectionPolicy::RoundRobin => "round_robin",
            SelectionPolicy::MostFreeBots => "most_free_bots",
        }
    }

    /// The policy called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// A fresh instance of the policy.
    pub fn build(self) -> Box<dyn MachineSelection> {
        match self {
            SelectionPolicy::Random => Box::new(Random),
            SelectionPolicy::LeastRecentlyUsed => Box::new(LeastRecentlyUsed),
            SelectionPolicy::RoundRobin => Box::new(RoundRobin::default()),
            SelectionPolicy::MostFreeBots => Box::new(MostFreeBots),
        }
    }
}

/// Uniformly random choice.
#[derive(Debug, Clone, Copy, Default)]
pub struct Random;

impl MachineSelection for Random {
    fn select(&mut self, candidates: &Candidates<'_>, rng: &mut SimRng) -> usize {
        rng.random_range(0..candidates.len())
    }
}

/// Least recently assigned first; ties to the lowest machine id.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeastRecentlyUsed;

impl MachineSelection for LeastRecentlyUsed {
    fn select(&mut self, candidates: &Candidates<'_>, _rng: &mut SimRng) -> usize {
        candidates.first_in(FreeOrder::LeastRecentlyUsed, None)
    }

    fn free_order(&self) -> Option<FreeOrder> {
        Some(FreeOrder::LeastRecentlyUsed)
    }
}

/// The next machine after the last chosen one, in id order, wrapping around.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundRobin {
    last: Option<MachineId>,
}

impl MachineSelection for RoundRobin {
    fn select(&mut self, candidates: &Candidates<'_>, _rng: &mut SimRng) -> usize {
        let i = candidates.first_in(FreeOrder::MachineId, self.last);
        self.last = Some(candidates.get(i).machine);
        i
    }

    fn free_order(&self) -> Option<FreeOrder> {
        Some(FreeOrder::MachineId)
    }
}

/// Most free bots first; ties to the lowest machine id.
#[derive(Debug, Clone, Copy, Default)]
pub struct MostFreeBots;

impl MachineSelection for MostFreeBots {
    fn select(&mut self, candidates: &Candidates<'_>, _rng: &mut SimRng) -> usize {
        candidates.first_in(FreeOrder::MostFreeBots, None)
    }

    fn free_order(&self) -> Option<FreeOrder> {
        Some(FreeOrder::MostFreeBots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Streams;

    fn candidate(id: u32, free: u32, last: Option<u64>) -> Candidate {
        Candidate {
            machine: MachineId(id),
            free_bots: free,
            bots: 4,
            last_assigned: last.map(SimTime::from_millis),
        }
    }

    fn pick(policy: &mut dyn MachineSelection, c: &[Candidate]) -> u32 {
        let mut rng = Streams::new(0).stream("t");
        c[policy.select(&c.into(), &mut rng)].machine.0
    }

    #[test]
    fn least_recently_used_prefers_never_used() {
        let c = [
            candidate(3, 1, Some(5)),
            candidate(1, 1, None),
            candidate(2, 1, Some(1)),
        ];
        assert_eq!(pick(&mut LeastRecentlyUsed, &c), 1);
        let c = [candidate(3, 1, Some(5)), candidate(2, 1, Some(1))];
        assert_eq!(pick(&mut LeastRecentlyUsed, &c), 2);
    }

    #[test]
    fn round_robin_cycles_in_id_order() {
        let c = [
            candidate(2, 1, None),
            candidate(0, 1, None),
            candidate(1, 1, None),
        ];
        let mut rr = RoundRobin::default();
        let order: Vec<u32> = (0..4).map(|_| pick(&mut rr, &c)).collect();
        assert_eq!(order, vec![0, 1, 2, 0]);
    }

    #[test]
    fn most_free_bots_spreads() {
        let c = [
            candidate(0, 1, None),
            candidate(1, 3, None),
            candidate(2, 3, None),
        ];
        assert_eq!(pick(&mut MostFreeBots, &c), 1);
    }

    #[test]
    fn random_is_roughly_uniform() {
        let c = vec![candidate(0, 1, None), candidate(1, 1, None)];
        let mut rng = Streams::new(0).stream("t");
        let view: Candidates<'_> = c.as_slice().into();
        let ones = (0..10_000)
            .filter(|_| Random.select(&view, &mut rng) == 1)
            .count();
        assert!((4_700..5_300).contains(&ones), "{ones}");
    }

    #[test]
    fn names_round_trip() {
        for p in SelectionPolicy::ALL {
            assert_eq!(SelectionPolicy::from_name(p.name()), Some(p));
        }
    }
}
