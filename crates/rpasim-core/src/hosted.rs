//! Hosted machine groups: bots created on demand from a VM image.
//!
//! A group has `max_bots` numbered slots. A slot is empty, or holds a bot
//! that is provisioning, ready (idle) or busy. Ready bots form a stack, so
//! the most recently used bot takes the next run. This module keeps one
//! group's state and its transitions; the engine decides when they happen
//! (scale-out, scale-in, capacity, timers).

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
    ready: Vec<u16>,
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
            ready: Vec::new(),
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
        self.provisioning + self.ready.len() as u32 + self.busy
    }

    pub fn ready_count(&self) -> u32 {
        self.ready.len() as u32
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
        let index = self.slots[..self.max_bots as usize]
            .iter()
            .position(Option::is_none)?;
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
                self.ready.push(slot);
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
        let slot = self.ready.pop()?;
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
            self.slots[i] = None;
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
        self.ready.push(slot);
        None
    }

    /// Changes `max_bots`: bots beyond it that are idle or provisioning go
    /// at once, busy ones when their run ends.
    pub fn set_max_bots(&mut self, max_bots: u32) {
        let n = max_bots as usize;
        if n > self.slots.len() {
            self.slots.resize(n, None);
            self.generations.resize(n, 0);
        }
        for i in n..self.slots.len() {
            match self.slots[i].map(|b| b.state) {
                Some(BotState::Ready { .. }) => self.deprovision(i as u16 + 1),
                Some(BotState::Provisioning) => {
                    self.slots[i] = None;
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
        let slots = std::mem::take(&mut self.ready);
        for slot in &slots {
            self.slots[usize::from(slot - 1)] = None;
        }
        slots.len() as u32
    }

    /// Removes one idle bot.
    pub fn deprovision(&mut self, slot: u16) {
        if let Some(pos) = self.ready.iter().position(|s| *s == slot) {
            self.ready.remove(pos);
            self.slots[usize::from(slot - 1)] = None;
        }
    }

    /// Removes every bot that is not running a run (expiry), voiding
    /// pending provisionings.
    pub fn deprovision_all_free(&mut self) {
        self.deprovision_idle();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot.is_some_and(|b| b.state == BotState::Provisioning) {
                *slot = None;
                self.generations[i] = self.generations[i].wrapping_add(1);
            }
        }
        self.provisioning = 0;
    }

    /// The idle bot idle longest: (since, slot).
    pub fn longest_idle(&self) -> Option<(SimTime, u16)> {
        self.ready
            .iter()
            .filter_map(|s| match self.slots[usize::from(s - 1)]?.state {
                BotState::Ready { since, .. } => Some((since, *s)),
                _ => None,
            })
            .min()
    }

    /// A new VM image: later provisionings use `sampler` (if given); idle
    /// and provisioning bots start provisioning now (returned), busy bots
    /// when their run ends.
    pub fn update_image(&mut self, sampler: Option<Sampler>, now: SimTime) -> Vec<Provisioning> {
        if let Some(s) = sampler {
            self.sampler = s;
        }
        self.ready.clear();
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
