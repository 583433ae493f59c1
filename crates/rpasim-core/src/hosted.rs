//! Hosted machine groups: bots created on demand from a VM image.
//!
//! A group has `max_bots` numbered slots. A slot is empty, or holds a bot
//! that is provisioning, ready (idle) or busy. Ready bots form a stack, so
//! the most recently used bot takes the next run. This module keeps one
//! group's state and its transitions; the engine decides when they happen
//! (scale-out, scale-in, capacity, timers).

use std::collections::BTreeSet;

use crate::distribution::Sampler;
use crate::ids::{EnvironmentId, TargetId};
use crate::model::{HostedGroupSpec, ScaleIn};
use crate::random::SimRng;
use crate::time::{SimDuration, SimTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BotState {
    Provisioning,
    /// `fresh`: just provisioned and not yet given a run.
    Ready {
        since: SimTime,
        fresh: bool,
    },
    Busy,
}

#[derive(Debug, Clone, Copy)]
struct Bot {
    state: BotState,
    /// Must be reprovisioned (image updated) before its next run.
    outdated: bool,
    /// How long its last provisioning took.
    provisioning_took: SimDuration,
    /// Has a Windows session open from an earlier run.
    session: bool,
}

/// A provisioning to schedule: the bot in `slot` is ready at `ready_at`
/// if `generation` still matches then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Provisioning {
    pub slot: u16,
    pub generation: u32,
    pub ready_at: SimTime,
}

/// One hosted group during a simulation.
#[derive(Debug)]
pub(crate) struct HostedGroup {
    pub target: TargetId,
    pub environment: EnvironmentId,
    pub committed: u32,
    pub max_bots: u32,
    pub idle_cold_after: SimDuration,
    pub expire_after_idle: Option<SimDuration>,
    pub scale_in: ScaleIn,
    slots: Vec<Option<Bot>>,
    /// Per slot, bumped whenever a pending provisioning becomes void.
    generations: Vec<u32>,
    ready: ReadyBots,
    /// How many bots `ready` holds: read for every group at every
    /// sharing of capacity, so kept beside it.
    ready_len: u32,
    /// The empty slots' indices, lowest first, in groups of more than
    /// [`IDLE_INDEX_FROM`] bots (for the reason [`ReadyBots`] says, at
    /// every bot provisioned); smaller groups look through their slots.
    empty: Option<BTreeSet<usize>>,
    provisioning: u32,
    busy: u32,
    sampler: Sampler,
    rng: SimRng,
    /// End of the last run (creation time before any).
    pub last_use: SimTime,
    pub cold_timer_armed: bool,
    pub expiry_timer_armed: bool,
    pub expired: bool,
    /// Since when the group has had runs no bot will serve.
    pub waiting_since: Option<SimTime>,
}

impl HostedGroup {
    pub fn new(spec: &HostedGroupSpec, environment: EnvironmentId, rng: SimRng) -> Self {
        let n = spec.max_bots as usize;
        HostedGroup {
            target: spec.target,
            environment,
            committed: spec.committed_bots,
            max_bots: spec.max_bots,
            idle_cold_after: spec.idle_cold_after,
            expire_after_idle: spec.expire_after_idle,
            scale_in: spec.scale_in,
            slots: vec![None; n],
            generations: vec![0; n],
            ready: ReadyBots::for_bots(n),
            ready_len: 0,
            empty: (n > IDLE_INDEX_FROM).then(|| (0..n).collect()),
            provisioning: 0,
            busy: 0,
            sampler: spec.provisioning.sampler(),
            rng,
            last_use: SimTime::ZERO,
            cold_timer_armed: false,
            expiry_timer_armed: false,
            expired: false,
            waiting_since: None,
        }
    }

    /// Bots that exist: provisioning, ready or busy (each holds capacity).
    pub fn total(&self) -> u32 {
        self.provisioning + self.ready_len + self.busy
    }

    pub fn ready_count(&self) -> u32 {
        self.ready_len
    }

    pub fn provisioning_count(&self) -> u32 {
        self.provisioning
    }

    pub fn busy_count(&self) -> u32 {
        self.busy
    }

    /// Bots beyond the commitment, which occupy shared capacity.
    pub fn shared_bots(&self) -> u32 {
        self.total().saturating_sub(self.committed)
    }

    /// Creates a bot in the lowest empty slot; `None` at `max_bots`.
    pub fn provision(&mut self, now: SimTime) -> Option<Provisioning> {
        if self.total() >= self.max_bots {
            return None;
        }
        let index = match &mut self.empty {
            Some(empty) => {
                let lowest = *empty.first()?;
                if lowest >= self.max_bots as usize {
                    return None;
                }
                empty.remove(&lowest);
                lowest
            }
            None => self.slots[..self.max_bots as usize]
                .iter()
                .position(Option::is_none)?,
        };
        self.slots[index] = Some(Bot {
            state: BotState::Provisioning,
            outdated: false,
            provisioning_took: SimDuration::ZERO,
            session: false,
        });
        self.provisioning += 1;
        Some(self.start_provisioning(index, now))
    }

    fn start_provisioning(&mut self, index: usize, now: SimTime) -> Provisioning {
        let took = self.sampler.sample(&mut self.rng);
        self.generations[index] = self.generations[index].wrapping_add(1);
        if let Some(bot) = &mut self.slots[index] {
            bot.provisioning_took = took;
            bot.session = false;
        }
        Provisioning {
            slot: index as u16 + 1,
            generation: self.generations[index],
            ready_at: now + took,
        }
    }

    /// A provisioning finished; `false` if it had been voided.
    pub fn provisioned(&mut self, slot: u16, generation: u32, now: SimTime) -> bool {
        let i = usize::from(slot - 1);
        let current = self.generations.get(i) == Some(&generation);
        match &mut self.slots[i] {
            Some(bot) if current && bot.state == BotState::Provisioning => {
                bot.state = BotState::Ready {
                    since: now,
                    fresh: true,
                };
                self.provisioning -= 1;
                self.ready.push(slot, now);
                self.ready_len += 1;
                true
            }
            _ => false,
        }
    }

    /// Gives the most recently readied bot a run: its slot, the
    /// provisioning time the run waited for if the bot was provisioned for it
    /// at this very instant (a cold start), and whether the bot already had
    /// a session open.
    pub fn take_ready(&mut self, now: SimTime) -> Option<(u16, Option<SimDuration>, bool)> {
        let slot = self.ready.pop(&self.slots)?;
        self.ready_len -= 1;
        let bot = self.slots[usize::from(slot - 1)].as_mut()?;
        let cold = match bot.state {
            BotState::Ready { since, fresh: true } if since == now => Some(bot.provisioning_took),
            _ => None,
        };
        bot.state = BotState::Busy;
        let session = std::mem::replace(&mut bot.session, true);
        self.busy += 1;
        Some((slot, cold, session))
    }

    /// A run ended on `slot`: the bot becomes ready, or, if its image is
    /// outdated, starts reprovisioning (returned).
    pub fn release(&mut self, slot: u16, now: SimTime) -> Option<Provisioning> {
        let i = usize::from(slot - 1);
        let bot = self.slots[i].as_mut()?;
        self.busy -= 1;
        self.last_use = now;
        if u32::from(slot) > self.max_bots {
            // Beyond a lowered max_bots: the bot goes once its run is done.
            self.vacate(i);
            return None;
        }
        if bot.outdated {
            bot.outdated = false;
            bot.state = BotState::Provisioning;
            self.provisioning += 1;
            return Some(self.start_provisioning(i, now));
        }
        bot.state = BotState::Ready {
            since: now,
            fresh: false,
        };
        self.ready.push(slot, now);
        self.ready_len += 1;
        None
    }

    /// Changes `max_bots`: bots beyond it that are idle or provisioning go
    /// at once, busy ones when their run ends.
    pub fn set_max_bots(&mut self, max_bots: u32) {
        let n = max_bots as usize;
        self.ready.grow(n, &self.slots);
        let before = self.slots.len();
        if n > before {
            self.slots.resize(n, None);
            self.generations.resize(n, 0);
        }
        match &mut self.empty {
            // The slots added are empty.
            Some(empty) => empty.extend(before..n),
            None if n > IDLE_INDEX_FROM => {
                let empty = (0..self.slots.len()).filter(|i| self.slots[*i].is_none());
                self.empty = Some(empty.collect());
            }
            None => {}
        }
        for i in n..self.slots.len() {
            match self.slots[i].map(|b| b.state) {
                Some(BotState::Ready { .. }) => self.deprovision(i as u16 + 1),
                Some(BotState::Provisioning) => {
                    self.vacate(i);
                    self.provisioning -= 1;
                    self.generations[i] = self.generations[i].wrapping_add(1);
                }
                Some(BotState::Busy) | None => {}
            }
        }
        self.max_bots = max_bots;
    }

    /// Removes every idle bot (returns how many).
    pub fn deprovision_idle(&mut self) -> u32 {
        let slots = self.ready.take_all();
        self.ready_len = 0;
        for slot in &slots {
            self.vacate(usize::from(slot - 1));
        }
        slots.len() as u32
    }

    /// Removes one idle bot.
    pub fn deprovision(&mut self, slot: u16) {
        if self.ready.remove(slot, &self.slots) {
            self.ready_len -= 1;
            self.vacate(usize::from(slot - 1));
        }
    }

    /// Empties slot `i`.
    fn vacate(&mut self, i: usize) {
        self.slots[i] = None;
        if let Some(empty) = &mut self.empty {
            empty.insert(i);
        }
    }

    /// Removes every bot that is not running a run (expiry), voiding
    /// pending provisionings.
    pub fn deprovision_all_free(&mut self) {
        self.deprovision_idle();
        for i in 0..self.slots.len() {
            if self.slots[i].is_some_and(|b| b.state == BotState::Provisioning) {
                self.vacate(i);
                self.generations[i] = self.generations[i].wrapping_add(1);
            }
        }
        self.provisioning = 0;
    }

    /// The idle bot idle longest: (since, slot), the lowest slot among
    /// those idle as long.
    pub fn longest_idle(&self) -> Option<(SimTime, u16)> {
        self.ready.longest_idle(&self.slots)
    }

    /// A new VM image: later provisionings use `sampler` (if given); idle
    /// and provisioning bots start provisioning now (returned), busy bots
    /// when their run ends.
    pub fn update_image(&mut self, sampler: Option<Sampler>, now: SimTime) -> Vec<Provisioning> {
        if let Some(s) = sampler {
            self.sampler = s;
        }
        self.ready.clear();
        self.ready_len = 0;
        let mut started = Vec::new();
        for i in 0..self.slots.len() {
            let Some(bot) = &mut self.slots[i] else {
                continue;
            };
            match bot.state {
                BotState::Busy => bot.outdated = true,
                BotState::Provisioning => started.push(self.start_provisioning(i, now)),
                BotState::Ready { .. } => {
                    bot.state = BotState::Provisioning;
                    self.provisioning += 1;
                    started.push(self.start_provisioning(i, now));
                }
            }
        }
        started
    }
}

/// Groups of more bots than this keep their ready bots in a
/// [`TaggedStack`] with an index by idle time, and their empty slots in
/// an ordered set; smaller ones a plain stack and their slots, looked
/// through.
const IDLE_INDEX_FROM: usize = 64;

/// When a ready bot became idle.
fn idle_since(slots: &[Option<Bot>], slot: u16) -> Option<SimTime> {
    match slots.get(usize::from(slot - 1))?.as_ref()?.state {
        BotState::Ready { since, .. } => Some(since),
        _ => None,
    }
}

/// The ready bots' slots, the most recently readied on top (the next run
/// takes it), and the longest idle (the one given up when another group
/// needs the capacity).
///
/// In a large group, looking through the ready bots for the longest idle
/// at every capacity reclaimed, and through the stack for the bot to take
/// out, took time in proportion to the bots (three quarters of a run's
/// time with two groups of 2,500 bots taking turns). In groups of the
/// service's 50 bots, keeping the index at every run cost more than it
/// saved (5 to 8 % more time with ten groups): there the stack is looked
/// through as before.
#[derive(Debug)]
enum ReadyBots {
    /// At most [`IDLE_INDEX_FROM`] bots.
    Few(Vec<u16>),
    /// More: the stack with lazy removal, and the ready bots by (idle
    /// since, slot). Boxed, so that every group stays as small as it was:
    /// an environment's capacity is shared by reading every group's
    /// counts, at every change in one of them.
    Many(Box<Indexed>),
}

/// The ready bots of a large group.
#[derive(Debug)]
struct Indexed {
    stack: TaggedStack,
    idle: BTreeSet<(SimTime, u16)>,
}

impl ReadyBots {
    fn for_bots(bots: usize) -> Self {
        match bots > IDLE_INDEX_FROM {
            true => ReadyBots::Many(Box::new(Indexed {
                stack: TaggedStack::new(bots),
                idle: BTreeSet::new(),
            })),
            false => ReadyBots::Few(Vec::new()),
        }
    }

    /// Room for `bots` bots: the index from more than [`IDLE_INDEX_FROM`].
    fn grow(&mut self, bots: usize, slots: &[Option<Bot>]) {
        if let ReadyBots::Few(few) = self
            && bots > IDLE_INDEX_FROM
        {
            let mut stack = TaggedStack::new(bots);
            let mut idle = BTreeSet::new();
            for slot in few.drain(..) {
                stack.push(slot);
                idle.extend(idle_since(slots, slot).map(|since| (since, slot)));
            }
            *self = ReadyBots::Many(Box::new(Indexed { stack, idle }));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        match self {
            ReadyBots::Few(few) => few.len(),
            ReadyBots::Many(many) => many.stack.len(),
        }
    }

    /// `slot` became ready at `since`.
    fn push(&mut self, slot: u16, since: SimTime) {
        match self {
            ReadyBots::Few(few) => few.push(slot),
            ReadyBots::Many(many) => {
                many.stack.push(slot);
                many.idle.insert((since, slot));
            }
        }
    }

    /// Takes the most recently readied slot (still ready in `slots`).
    fn pop(&mut self, slots: &[Option<Bot>]) -> Option<u16> {
        match self {
            ReadyBots::Few(few) => few.pop(),
            ReadyBots::Many(many) => {
                let slot = many.stack.pop()?;
                if let Some(since) = idle_since(slots, slot) {
                    many.idle.remove(&(since, slot));
                }
                Some(slot)
            }
        }
    }

    /// Takes `slot` out (still ready in `slots`); `false` if it is not
    /// ready.
    fn remove(&mut self, slot: u16, slots: &[Option<Bot>]) -> bool {
        match self {
            ReadyBots::Few(few) => match few.iter().position(|s| *s == slot) {
                Some(pos) => {
                    few.remove(pos);
                    true
                }
                None => false,
            },
            ReadyBots::Many(many) => {
                if !many.stack.remove(slot) {
                    return false;
                }
                if let Some(since) = idle_since(slots, slot) {
                    many.idle.remove(&(since, slot));
                }
                true
            }
        }
    }

    /// Takes every ready slot.
    fn take_all(&mut self) -> Vec<u16> {
        match self {
            ReadyBots::Few(few) => std::mem::take(few),
            ReadyBots::Many(many) => {
                many.idle.clear();
                many.stack.take_all()
            }
        }
    }

    fn clear(&mut self) {
        self.take_all();
    }

    /// The longest idle: (since, slot), the lowest slot among those idle
    /// as long.
    fn longest_idle(&self, slots: &[Option<Bot>]) -> Option<(SimTime, u16)> {
        match self {
            ReadyBots::Few(few) => few
                .iter()
                .filter_map(|s| idle_since(slots, *s).map(|since| (since, *s)))
                .min(),
            ReadyBots::Many(many) => many.idle.first().copied(),
        }
    }
}

/// No live entry in a [`TaggedStack`].
const NOT_READY: u64 = u64::MAX;

/// A stack of slots from which one can be taken out in the middle: it
/// leaves a stale entry there, skipped when it reaches the top and
/// dropped with every other when stale entries outnumber live ones, where
/// taking it out shifted the stack.
#[derive(Debug)]
struct TaggedStack {
    /// (slot, tag), most recent last; an entry is live while its slot's
    /// tag is its own.
    entries: Vec<(u16, u64)>,
    /// Per slot index, the tag of its live entry, or [`NOT_READY`].
    tags: Vec<u64>,
    next_tag: u64,
    live: usize,
}

impl TaggedStack {
    fn new(slots: usize) -> Self {
        TaggedStack {
            entries: Vec::new(),
            tags: vec![NOT_READY; slots],
            next_tag: 0,
            live: 0,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.live
    }

    fn push(&mut self, slot: u16) {
        let i = usize::from(slot - 1);
        if i >= self.tags.len() {
            self.tags.resize(i + 1, NOT_READY);
        }
        self.tags[i] = self.next_tag;
        self.entries.push((slot, self.next_tag));
        self.next_tag += 1;
        self.live += 1;
    }

    fn pop(&mut self) -> Option<u16> {
        while let Some((slot, tag)) = self.entries.pop() {
            let i = usize::from(slot - 1);
            if self.tags[i] == tag {
                self.tags[i] = NOT_READY;
                self.live -= 1;
                return Some(slot);
            }
        }
        None
    }

    /// Takes `slot` out wherever it is; `false` if it is not in.
    fn remove(&mut self, slot: u16) -> bool {
        let i = usize::from(slot - 1);
        if self.tags.get(i).is_none_or(|t| *t == NOT_READY) {
            return false;
        }
        self.tags[i] = NOT_READY;
        self.live -= 1;
        if self.entries.len() > 2 * self.live + 16 {
            let tags = &self.tags;
            self.entries
                .retain(|(slot, tag)| tags[usize::from(slot - 1)] == *tag);
        }
        true
    }

    /// Takes every slot (bottom first).
    fn take_all(&mut self) -> Vec<u16> {
        let mut slots = Vec::with_capacity(self.live);
        for (slot, tag) in self.entries.drain(..) {
            let i = usize::from(slot - 1);
            if self.tags[i] == tag {
                self.tags[i] = NOT_READY;
                slots.push(slot);
            }
        }
        self.live = 0;
        slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::Distribution;
    use crate::random::Streams;

    fn group(max_bots: u32) -> HostedGroup {
        let spec = HostedGroupSpec {
            target: TargetId(0),
            committed_bots: 0,
            max_bots,
            provisioning: Distribution::Constant(SimDuration::from_mins(10)),
            idle_cold_after: SimDuration::from_hours(3),
            expire_after_idle: None,
            scale_in: ScaleIn::Warm,
        };
        HostedGroup::new(&spec, EnvironmentId(0), Streams::new(0).stream("t"))
    }

    const T0: SimTime = SimTime::ZERO;

    #[test]
    fn life_cycle_counts_and_cold_starts() {
        let mut g = group(2);
        let p = g.provision(T0).expect("room");
        assert_eq!((p.slot, p.ready_at), (1, T0 + SimDuration::from_mins(10)));
        assert_eq!((g.total(), g.provisioning_count()), (1, 1));
        assert!(g.provisioned(p.slot, p.generation, p.ready_at));
        assert!(
            !g.provisioned(p.slot, p.generation, p.ready_at),
            "only once"
        );
        let (slot, cold, _) = g.take_ready(p.ready_at).expect("ready");
        assert_eq!((slot, cold), (1, Some(SimDuration::from_mins(10))));
        let later = p.ready_at + SimDuration::from_mins(30);
        assert_eq!(g.release(slot, later), None);
        assert_eq!(g.last_use, later);
        // A warm bot given a run later is not a cold start.
        assert_eq!(
            g.take_ready(later + SimDuration::from_mins(1)),
            Some((1, None, true))
        );
    }

    /// Operations on a group, driven by a property test.
    #[derive(Debug, Clone)]
    enum Op {
        Provision,
        Provisioned(usize),
        Take,
        Release(usize),
        Deprovision(usize),
        ReclaimLongestIdle,
        DeprovisionIdle,
        SetMaxBots(u32),
        UpdateImage,
        DeprovisionAllFree,
        Wait(u64),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            4 => Just(Op::Provision),
            4 => any::<usize>().prop_map(Op::Provisioned),
            4 => Just(Op::Take),
            4 => any::<usize>().prop_map(Op::Release),
            2 => any::<usize>().prop_map(Op::Deprovision),
            2 => Just(Op::ReclaimLongestIdle),
            1 => Just(Op::DeprovisionIdle),
            1 => prop_oneof![1..10u32, 60..100u32].prop_map(Op::SetMaxBots),
            1 => Just(Op::UpdateImage),
            1 => Just(Op::DeprovisionAllFree),
            3 => (0..3u64).prop_map(Op::Wait),
        ]
    }

    /// The indexes agree with the slots they index: the longest idle is
    /// the least (since, slot) of the ready bots, the empty slots are the
    /// empty ones, the ready stack holds exactly the ready bots.
    fn assert_indexes(g: &HostedGroup, stack: &[u16]) {
        let ready: Vec<(SimTime, u16)> = (0..g.slots.len())
            .filter_map(|i| match g.slots[i]?.state {
                BotState::Ready { since, .. } => Some((since, i as u16 + 1)),
                _ => None,
            })
            .collect();
        assert_eq!(g.longest_idle(), ready.iter().min().copied());
        let empty: Vec<usize> = (0..g.slots.len())
            .filter(|i| g.slots[*i].is_none())
            .collect();
        if let Some(index) = &g.empty {
            assert_eq!(index.iter().copied().collect::<Vec<_>>(), empty);
        }
        let mut live = stack.to_vec();
        live.sort_unstable();
        let mut slots: Vec<u16> = ready.iter().map(|(_, s)| *s).collect();
        slots.sort_unstable();
        assert_eq!(live, slots);
        assert_eq!(g.ready_count() as usize, stack.len());
        assert_eq!(g.ready.len(), stack.len());
        if let ReadyBots::Many(many) = &g.ready {
            let (stack, idle) = (&many.stack, &many.idle);
            assert!(
                stack.entries.len() <= 2 * stack.len() + 17,
                "stale entries bounded"
            );
            assert_eq!(idle.len(), stack.len(), "one index entry a ready bot");
        }
    }

    proptest::proptest! {
        /// The ready stack takes bots last readied first, as a plain
        /// stack with removal in place did (`stack` here), and every index
        /// stays true to the slots, whatever the operations.
        #[test]
        fn indexes_follow_the_slots_and_the_stack_keeps_its_order(
            ops in proptest::collection::vec(op(), 0..300),
            large in proptest::bool::ANY,
        ) {
            let mut g = group(if large { 80 } else { 6 });
            let mut now = T0;
            let (mut pending, mut busy, mut stack) = (Vec::new(), Vec::new(), Vec::<u16>::new());
            for op in ops {
                match op {
                    Op::Provision => pending.extend(g.provision(now)),
                    Op::Provisioned(k) if !pending.is_empty() => {
                        let p: Provisioning = pending.remove(k % pending.len());
                        if g.provisioned(p.slot, p.generation, now) {
                            stack.push(p.slot);
                        }
                    }
                    Op::Take => {
                        let taken = g.take_ready(now).map(|(slot, ..)| slot);
                        proptest::prop_assert_eq!(taken, stack.pop());
                        busy.extend(taken);
                    }
                    Op::Release(k) if !busy.is_empty() => {
                        let slot = busy.remove(k % busy.len());
                        match g.release(slot, now) {
                            Some(p) => pending.push(p),
                            None if u32::from(slot) <= g.max_bots => stack.push(slot),
                            None => {}
                        }
                    }
                    Op::Deprovision(k) if !stack.is_empty() => {
                        let slot = stack.remove(k % stack.len());
                        g.deprovision(slot);
                    }
                    Op::ReclaimLongestIdle => {
                        if let Some((_, slot)) = g.longest_idle() {
                            g.deprovision(slot);
                            stack.retain(|s| *s != slot);
                        }
                    }
                    Op::DeprovisionIdle => {
                        proptest::prop_assert_eq!(g.deprovision_idle() as usize, stack.len());
                        stack.clear();
                    }
                    Op::SetMaxBots(m) => {
                        g.set_max_bots(m);
                        stack.retain(|s| u32::from(*s) <= m);
                    }
                    Op::UpdateImage => {
                        pending.extend(g.update_image(None, now));
                        stack.clear();
                    }
                    Op::DeprovisionAllFree => {
                        g.deprovision_all_free();
                        stack.clear();
                    }
                    Op::Wait(minutes) => now += SimDuration::from_mins(minutes),
                    _ => {}
                }
                assert_indexes(&g, &stack);
            }
        }
    }

    #[test]
    fn max_bots_bounds_provisioning() {
        let mut g = group(2);
        assert!(g.provision(T0).is_some() && g.provision(T0).is_some());
        assert!(g.provision(T0).is_none());
    }

    #[test]
    fn image_update_reprovisions_idle_now_and_busy_later() {
        let mut g = group(3);
        for _ in 0..3 {
            let p = g.provision(T0).expect("room");
            g.provisioned(p.slot, p.generation, p.ready_at);
        }
        let t = T0 + SimDuration::from_mins(10);
        let busy = g.take_ready(t).expect("a bot").0;
        let now = t + SimDuration::from_mins(5);
        let started = g.update_image(None, now);
        assert_eq!(started.len(), 2, "the two idle bots");
        assert!(
            started
                .iter()
                .all(|p| p.ready_at == now + SimDuration::from_mins(10))
        );
        assert_eq!(
            (g.ready_count(), g.provisioning_count(), g.busy_count()),
            (0, 2, 1)
        );
        let end = now + SimDuration::from_mins(7);
        let again = g.release(busy, end).expect("outdated bot reprovisions");
        assert_eq!(
            (again.slot, again.ready_at),
            (busy, end + SimDuration::from_mins(10))
        );
        assert_eq!(g.total(), 3, "capacity is kept while reprovisioning");
    }
}
