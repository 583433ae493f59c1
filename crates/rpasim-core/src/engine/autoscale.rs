//! Hosted machine groups in the event loop: scale-out on waiting runs,
//! capacity sharing between the groups of an environment, scale-in of idle
//! bots, the 3-hour cold and 28-day expiry timers, and image updates.
//!
//! Rules (README, "Hosted machine groups"):
//! - a group provisions a bot for each queued run that no ready or
//!   provisioning bot will serve, up to `max_bots`, if capacity allows;
//! - a group below its commitment always gets a bot (committed slots are
//!   reserved); beyond it, groups compete for the shared slots through the
//!   environment's [`CapacityPolicy`](crate::capacity::CapacityPolicy);
//! - with no shared slot free, the idle bot idle longest in a group above
//!   its commitment is deprovisioned and its slot given to the waiting group;
//! - idle bots stay warm until the group has been unused (no run running)
//!   for `idle_cold_after`; with `scale_in = immediate` they go at once;
//! - a group that ran nothing for `expire_after_idle` is deleted.
//!
//! Timers are lazy: at most one cold and one expiry check is pending per
//! group; when it fires it re-checks and, if the group was used since,
//! re-arms for the new deadline.

use smallvec::SmallVec;

use super::{Event, Observer, Simulation};
use crate::capacity::CapacityRequest;
use crate::distribution::Distribution;
use crate::hosted::{HostedGroup, Provisioning};
use crate::ids::{EnvironmentId, TargetId};
use crate::model::ScaleIn;
use crate::observer::NotableKind;
use crate::run::Outcome;

impl<O: Observer> Simulation<O> {
    /// After anything changed in hosted group `h`: scale in, arm timers,
    /// and share the environment's capacity.
    pub(super) fn autoscale(&mut self, h: usize) {
        let g = &mut self.hosted[h];
        if g.scale_in == ScaleIn::Immediate {
            g.deprovision_idle();
        }
        if g.busy_count() == 0 {
            self.arm_cold_timer(h);
            self.arm_expiry_timer(h);
        }
        self.rebalance(self.hosted[h].environment, Some(h));
    }

    /// Gives capacity to the environment's groups with unserved queued runs
    /// until none waits or no capacity can be found; then brings up to
    /// date the bots and the wait reason of every group this changed, and
    /// of `changed`, the group whose change the caller reports.
    pub(super) fn rebalance(&mut self, environment: EnvironmentId, changed: Option<usize>) {
        let env = environment.index();
        // Mostly one or two groups: no allocation at every event.
        let mut touched: SmallVec<[usize; 4]> = changed.into_iter().collect();
        // After the capacity was lowered: idle bots go first; busy ones when
        // their run ends.
        while self.capacity_used(env) > self.environments[env].capacity
            && let Some(h) = self.reclaim_any_idle_bot(env)
        {
            touched.push(h);
        }
        loop {
            let requests = self.capacity_requests(env);
            if requests.is_empty() {
                break;
            }
            let group = if let Some(r) = requests.iter().find(|r| r.bots < r.committed) {
                r.group
            } else if self.shared_free(env) > 0 {
                let i = self.environments[env].policy.choose(&requests);
                requests[i.min(requests.len() - 1)].group
            } else if let Some(h) = self.reclaim_idle_bot(env) {
                touched.push(h);
                continue;
            } else {
                break;
            };
            touched.extend(self.targets[group.index()].hosted);
            self.provision_bot(group);
        }
        // Only these groups' bots or wait reasons can have changed: what
        // a group waits for depends on its own bots alone (a sync of every
        // group took a third of the time with ten groups).
        for i in 0..self.environments[env].groups.len() {
            let h = self.environments[env].groups[i];
            let target = self.hosted[h].target;
            let stale = self.targets[target.index()].available.value() != self.hosted[h].total();
            if stale || touched.contains(&h) {
                self.sync_available(target);
            }
        }
    }

    /// The environment's groups with queued runs that no ready or
    /// provisioning bot will serve, and room to grow.
    fn capacity_requests(&mut self, env: usize) -> Vec<CapacityRequest> {
        let mut requests = Vec::new();
        for &h in &self.environments[env].groups {
            let g = &mut self.hosted[h];
            let t = &self.targets[g.target.index()];
            let queued = t.queue.len() as u32;
            let unserved = queued.saturating_sub(g.provisioning_count() + g.ready_count());
            // A group in maintenance takes no new run, so it needs no bot.
            if g.expired || unserved == 0 || t.maintenance > 0 {
                g.waiting_since = None;
                continue;
            }
            let waiting_since = *g.waiting_since.get_or_insert(self.now);
            if g.total() < g.max_bots {
                requests.push(CapacityRequest {
                    group: g.target,
                    waiting_since,
                    queued,
                    bots: g.total(),
                    committed: g.committed,
                });
            }
        }
        requests
    }

    /// Shared slots of an environment that no bot or machine holds.
    fn shared_free(&self, env: usize) -> u32 {
        let e = &self.environments[env];
        let shared = e.capacity.saturating_sub(e.committed + e.hosted_machines);
        let used: u32 = e.groups.iter().map(|h| self.hosted[*h].shared_bots()).sum();
        shared.saturating_sub(used)
    }

    /// Hosted capacity in use: bots of every group and hosted machines.
    pub(super) fn capacity_used(&self, env: usize) -> u32 {
        let e = &self.environments[env];
        e.hosted_machines
            + e.groups
                .iter()
                .map(|h| self.hosted[*h].total())
                .sum::<u32>()
    }

    /// Deprovisions the bot idle longest among groups holding shared slots;
    /// its group, or `None` if there is none.
    fn reclaim_idle_bot(&mut self, env: usize) -> Option<usize> {
        self.reclaim_where(env, |g| g.shared_bots() > 0)
    }

    /// Deprovisions the bot idle longest in the environment, committed or
    /// not; its group, or `None` if there is none.
    fn reclaim_any_idle_bot(&mut self, env: usize) -> Option<usize> {
        self.reclaim_where(env, |_| true)
    }

    fn reclaim_where(
        &mut self,
        env: usize,
        eligible: impl Fn(&HostedGroup) -> bool,
    ) -> Option<usize> {
        let victim = self.environments[env]
            .groups
            .iter()
            .filter(|h| eligible(&self.hosted[**h]))
            .filter_map(|h| {
                self.hosted[*h]
                    .longest_idle()
                    .map(|(since, slot)| (since, *h, slot))
            })
            .min();
        let (_, h, slot) = victim?;
        self.hosted[h].deprovision(slot);
        Some(h)
    }

    /// Starts provisioning one bot for the group of `target`.
    fn provision_bot(&mut self, target: TargetId) {
        let Some(h) = self.targets[target.index()].hosted else {
            return;
        };
        if let Some(p) = self.hosted[h].provision(self.now) {
            self.schedule_provisioning(h, p);
        }
    }

    pub(super) fn schedule_provisioning(&mut self, h: usize, p: Provisioning) {
        let event = Event::BotReady {
            group: h as u32,
            slot: p.slot,
            generation: p.generation,
        };
        self.events.schedule(p.ready_at, event);
    }

    pub(super) fn on_bot_ready(&mut self, h: usize, slot: u16, generation: u32) {
        if self.hosted[h].provisioned(slot, generation, self.now) {
            self.dispatch(self.hosted[h].target);
        }
    }

    fn arm_cold_timer(&mut self, h: usize) {
        let g = &mut self.hosted[h];
        if g.cold_timer_armed || g.ready_count() == 0 {
            return;
        }
        g.cold_timer_armed = true;
        let at = (g.last_use + g.idle_cold_after).max(self.now);
        self.events.schedule(at, Event::ColdCheck(h as u32));
    }

    pub(super) fn arm_expiry_timer(&mut self, h: usize) {
        let g = &mut self.hosted[h];
        let Some(after) = g.expire_after_idle else {
            return;
        };
        if g.expiry_timer_armed || g.expired {
            return;
        }
        g.expiry_timer_armed = true;
        let at = (g.last_use + after).max(self.now);
        self.events.schedule(at, Event::ExpiryCheck(h as u32));
    }

    pub(super) fn on_cold_check(&mut self, h: usize) {
        let g = &mut self.hosted[h];
        g.cold_timer_armed = false;
        if g.busy_count() > 0 {
            return; // in use: re-armed when its last run ends
        }
        if self.now < g.last_use + g.idle_cold_after {
            self.arm_cold_timer(h);
            return;
        }
        let gone = g.deprovision_idle();
        let target = g.target;
        if gone > 0 {
            let detail = format!("{gone} idle bots deprovisioned");
            self.notable(NotableKind::GroupCold, Some(target), None, detail);
        }
        self.rebalance(self.hosted[h].environment, Some(h));
    }

    pub(super) fn on_expiry_check(&mut self, h: usize) {
        let g = &mut self.hosted[h];
        g.expiry_timer_armed = false;
        let Some(after) = g.expire_after_idle else {
            return;
        };
        if g.expired || g.busy_count() > 0 {
            return;
        }
        if self.now < g.last_use + after {
            self.arm_expiry_timer(h);
            return;
        }
        g.expired = true;
        g.deprovision_all_free();
        let target = g.target;
        self.targets[target.index()].closed = Some(Outcome::GroupExpired);
        self.drain_queue(target, Outcome::GroupExpired);
        let detail = format!("no run for {after}");
        self.notable(NotableKind::GroupExpired, Some(target), None, detail);
        self.rebalance(self.hosted[h].environment, Some(h));
    }

    /// A new VM image for a hosted group.
    pub(super) fn update_image(
        &mut self,
        target: TargetId,
        image: &str,
        provisioning: Option<Distribution>,
    ) {
        let Some(h) = self.targets[target.index()].hosted else {
            return;
        };
        let sampler = provisioning.map(|d| d.sampler());
        for p in self.hosted[h].update_image(sampler, self.now) {
            self.schedule_provisioning(h, p);
        }
        self.notable(
            NotableKind::ImageUpdated,
            Some(target),
            None,
            image.to_string(),
        );
        self.autoscale(h);
    }
}
