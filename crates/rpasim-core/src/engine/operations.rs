//! Operations and faults on the timeline: maintenance windows, outages
//! (scheduled and random), certificate renewal, priority changes,
//! move-to-top, access revocation and setting changes.
//!
//! Rules (README, "Operations and faults"):
//! - maintenance: no new run is assigned, running runs go on. A window on a
//!   machine of a group that is in maintenance is ignored (machines cannot
//!   be changed individually then); the end of a group's maintenance
//!   returns all its machines to active, closing their own windows.
//!   Overlapping windows on the same machine or group merge;
//! - offline: no new run; running runs end `machine_lost`, or go back to
//!   their queue (re-queued at the time of the loss, with a new queue
//!   timeout, if there is room); overlapping outages merge;
//! - certificates: see [`super::certificates`].

use super::{Event, Observer, Simulation};
use crate::distribution::Sampler;
use crate::ids::{FlowId, MachineId};
use crate::inflight::{RunRef, Stage};
use crate::machine::block;
use crate::model::{ModelSpec, Scope, Setting, Version};
use crate::observer::NotableKind;
use crate::random::{SimRng, Streams};
use crate::run::{Host, Outcome};
use crate::time::SimDuration;
use crate::wait::WaitReason;

/// Operational state of one machine.
#[derive(Debug)]
pub(super) struct MachineOps {
    pub(super) version: Version,
    /// Open outages (overlapping ones merge).
    pub(super) offline: u32,
    /// When it went offline, in ms from the start (negative: before it);
    /// `None` while online.
    pub(super) offline_since: Option<i64>,
    /// Open maintenance windows of its own.
    maintenance: u32,
    /// Bumped when its group's maintenance ends, voiding its own windows.
    epoch: u32,
    /// Random outages: time up, time down, and their stream.
    outages: Option<(Sampler, Sampler, SimRng)>,
}

impl<O: Observer> Simulation<O> {
    pub(super) fn build_machine_ops(&mut self, spec: &ModelSpec, streams: &Streams) {
        for (i, m) in spec.machines.iter().enumerate() {
            let outages = m.options.outages.as_ref().map(|o| {
                let rng = streams.stream(&format!("machine/{}/outages", m.name));
                (o.up.sampler(), o.repair.sampler(), rng)
            });
            let offline_since = m.options.offline_since.map(|d| -(d.as_millis() as i64));
            self.machine_ops.push(MachineOps {
                version: m.options.version,
                offline: u32::from(offline_since.is_some()),
                offline_since,
                maintenance: 0,
                epoch: 0,
                outages,
            });
            if offline_since.is_some() {
                let machine = MachineId::from_index(i);
                self.fleet.set_blocked(machine, block::OFFLINE, true);
                self.sync_available(m.target);
            }
        }
    }

    /// Schedules the first random outage of each machine and every
    /// certificate's renewal.
    pub(super) fn schedule_operations(&mut self) {
        for m in 0..self.machine_ops.len() {
            self.schedule_failure(MachineId::from_index(m));
        }
        self.schedule_certificates();
    }

    fn schedule_failure(&mut self, machine: MachineId) {
        if let Some((up, _, rng)) = &mut self.machine_ops[machine.index()].outages {
            let at = self.now + up.sample(rng);
            self.events.schedule(at, Event::Failure(machine));
        }
    }

    // ----- maintenance -------------------------------------------------

    pub(super) fn start_maintenance(&mut self, window: usize, scope: Scope, duration: SimDuration) {
        let end = self.now + duration;
        match scope {
            Scope::Machine(m) => {
                let group = self.fleet_target(m);
                if self.targets[group.index()].maintenance > 0 {
                    let detail = "ignored: its group is in maintenance".to_string();
                    self.notable(
                        NotableKind::MaintenanceStarted,
                        Some(group),
                        Some(m),
                        detail,
                    );
                    return;
                }
                let ops = &mut self.machine_ops[m.index()];
                ops.maintenance += 1;
                let epoch = ops.epoch;
                self.events.schedule(
                    end,
                    Event::MaintenanceEnd {
                        window: window as u32,
                        epoch,
                    },
                );
                self.notable(
                    NotableKind::MaintenanceStarted,
                    Some(group),
                    Some(m),
                    duration.to_string(),
                );
                self.refresh_machine(m);
            }
            Scope::Target(t) => {
                self.targets[t.index()].maintenance += 1;
                self.events.schedule(
                    end,
                    Event::MaintenanceEnd {
                        window: window as u32,
                        epoch: 0,
                    },
                );
                self.notable(
                    NotableKind::MaintenanceStarted,
                    Some(t),
                    None,
                    duration.to_string(),
                );
                for m in self.targets[t.index()].members.clone() {
                    self.refresh_machine(m);
                }
                self.dispatch(t);
            }
        }
    }

    pub(super) fn on_maintenance_end(&mut self, window: usize, epoch: u32) {
        let crate::model::Action::Maintenance { scope, .. } = self.timeline[window].action else {
            return;
        };
        match scope {
            Scope::Machine(m) => {
                let ops = &mut self.machine_ops[m.index()];
                if ops.epoch != epoch || ops.maintenance == 0 {
                    return; // closed by its group's maintenance ending
                }
                ops.maintenance -= 1;
                let group = self.fleet_target(m);
                self.notable(
                    NotableKind::MaintenanceEnded,
                    Some(group),
                    Some(m),
                    String::new(),
                );
                self.refresh_machine(m);
            }
            Scope::Target(t) => {
                self.targets[t.index()].maintenance -= 1;
                if self.targets[t.index()].maintenance > 0 {
                    return;
                }
                self.notable(NotableKind::MaintenanceEnded, Some(t), None, String::new());
                for m in self.targets[t.index()].members.clone() {
                    let ops = &mut self.machine_ops[m.index()];
                    ops.maintenance = 0;
                    ops.epoch += 1;
                    self.refresh_machine(m);
                }
                self.dispatch(t);
            }
        }
    }

    /// Applies a machine's maintenance and outage state to the fleet, then
    /// lets its target dispatch.
    fn refresh_machine(&mut self, m: MachineId) {
        let target = self.fleet_target(m);
        let ops = &self.machine_ops[m.index()];
        let maintenance = ops.maintenance > 0 || self.targets[target.index()].maintenance > 0;
        let offline = ops.offline > 0;
        self.fleet.set_blocked(m, block::MAINTENANCE, maintenance);
        self.fleet.set_blocked(m, block::OFFLINE, offline);
        self.sync_available(target);
        self.dispatch(target);
    }

    // ----- outages -----------------------------------------------------

    /// A machine goes offline for `duration`; its running runs are lost or
    /// re-queued.
    pub(super) fn machine_offline(
        &mut self,
        m: MachineId,
        duration: SimDuration,
        requeue: bool,
        random: bool,
    ) {
        let ops = &mut self.machine_ops[m.index()];
        ops.offline += 1;
        if ops.offline == 1 {
            ops.offline_since = Some(self.now.as_millis() as i64);
            self.fleet.close_sessions(m);
            let target = self.fleet_target(m);
            self.notable(
                NotableKind::MachineOffline,
                Some(target),
                Some(m),
                duration.to_string(),
            );
            self.lose_runs_on(m, requeue);
            self.refresh_machine(m);
        }
        self.events.schedule(
            self.now + duration,
            Event::OfflineEnd { machine: m, random },
        );
    }

    pub(super) fn on_failure(&mut self, m: MachineId) {
        let Some((_, repair, rng)) = &mut self.machine_ops[m.index()].outages else {
            return;
        };
        let duration = repair.sample(rng);
        let requeue = self.requeue_lost_runs;
        self.machine_offline(m, duration, requeue, true);
    }

    pub(super) fn on_offline_end(&mut self, m: MachineId, random: bool) {
        let ops = &mut self.machine_ops[m.index()];
        ops.offline = ops.offline.saturating_sub(1);
        if ops.offline == 0 {
            ops.offline_since = None;
            let target = self.fleet_target(m);
            self.notable(
                NotableKind::MachineOnline,
                Some(target),
                Some(m),
                String::new(),
            );
            self.refresh_machine(m);
            self.note_connected(m);
        }
        if random {
            self.schedule_failure(m);
        }
    }

    /// The runs running on machine `m`: none without a busy bot or session
    /// (most machines an outage takes, found in O(1)), else those of its
    /// bots (scenarios with outages or restarts keep the run on each bot),
    /// else those a look through the runs in flight finds.
    pub(super) fn runs_on_machine(&self, m: MachineId) -> Vec<RunRef> {
        let found = if self.fleet.busy_bots(m) == 0 {
            Vec::new()
        } else if let Some(index) = self.runs_on_bots.as_deref() {
            index.on_machine(m, &self.runs)
        } else {
            self.runs.running_on(Host::Machine(m))
        };
        if self.check_waits {
            // The tests' checks: the count and the index agree with a look
            // through every run in flight.
            assert_eq!(found, self.runs.running_on(Host::Machine(m)));
        }
        found
    }

    /// Ends (or re-queues) the runs running on a machine that goes offline.
    fn lose_runs_on(&mut self, m: MachineId, requeue: bool) {
        for r in self.runs_on_machine(m) {
            let Some(mut run) = self.runs.remove(r) else {
                continue;
            };
            let Stage::Running {
                placement, start, ..
            } = run.stage
            else {
                continue;
            };
            self.release_bot(run.target, placement);
            if requeue && !self.targets[run.target.index()].queue.is_full() {
                run.attempts += 1;
                // Its wait goes on: the time it ran is lost, and a
                // selection delay cut short counts only up to now.
                if self.now >= start {
                    run.waits.add(WaitReason::Lost, self.now - start);
                } else {
                    run.waits.remove(WaitReason::Selection, start - self.now);
                }
                self.enqueue(run);
            } else {
                self.finish(&run, Outcome::MachineLost);
            }
        }
    }

    // ----- flows and queues --------------------------------------------

    pub(super) fn set_priority(&mut self, flow: FlowId, priority: i64) {
        self.flows[flow.index()].priority = priority;
        self.flow_notable(
            NotableKind::PriorityChanged,
            flow,
            format!("priority {priority}"),
        );
    }

    /// Moves the `run`-th run of `flow` to the top of its queue, if queued.
    pub(super) fn move_to_top(&mut self, flow: FlowId, run: u64) {
        let target = self.flows[flow.index()].target;
        let queued = |found: Option<RunRef>| {
            found.and_then(|r| match self.runs.get(r)?.stage {
                Stage::Queued(key) => Some((r, key)),
                Stage::Running { .. } => None,
            })
        };
        // Every scenario with such events keeps the index.
        let index = self.runs_to_move.as_deref();
        let found = queued(index.and_then(|index| index.find(flow, run, &self.runs)));
        if self.check_waits {
            // The tests' check: the index agrees with a look through every
            // run in flight.
            let scan = self.runs.find(|r| r.flow == flow && r.flow_index == run);
            assert_eq!(found, queued(scan));
        }
        let Some((r, key)) = found else {
            let detail = format!("run {run} is not queued: nothing moved");
            self.flow_notable(NotableKind::MovedToTop, flow, detail);
            return;
        };
        if let Some(moved) = self.targets[target.index()].queue.move_to_top(key)
            && let Some(run) = self.runs.get_mut(r)
        {
            run.stage = Stage::Queued(moved);
        }
        self.flow_notable(NotableKind::MovedToTop, flow, format!("run {run}"));
        self.dispatch(target);
    }

    pub(super) fn revoke_access(&mut self, flows: &[FlowId]) {
        for f in flows {
            self.flows[f.index()].denied = true;
            self.flow_notable(NotableKind::AccessRevoked, *f, String::new());
        }
    }

    // ----- settings ----------------------------------------------------

    /// Applies a `set` event: `setting`, named `key` in the scenario, to
    /// `value`; recorded as `key = value`, on the flow for a flow's setting.
    pub(super) fn apply_setting(&mut self, setting: Setting, value: f64, key: &str) {
        let count = value.max(0.0) as u32;
        // The key as the scenario names it: the setting's own names
        // (`HostedCapacity(EnvironmentId(0))`) reached events.csv.
        let detail = format!("{key} = {value}");
        let target = match setting {
            Setting::MachineBots(m) => {
                self.fleet.set_bots(m, count.max(1));
                Some(self.fleet_target(m))
            }
            Setting::MaxBots(t) | Setting::CommittedBots(t) => {
                let Some(h) = self.targets[t.index()].hosted else {
                    return;
                };
                if matches!(setting, Setting::MaxBots(_)) {
                    self.hosted[h].set_max_bots(count.max(1));
                } else {
                    self.hosted[h].committed = count;
                }
                let env = self.hosted[h].environment.index();
                self.environments[env].committed = self.environments[env]
                    .groups
                    .iter()
                    .map(|g| self.hosted[*g].committed)
                    .sum();
                Some(t)
            }
            Setting::HostedCapacity(e) => {
                self.environments[e.index()].capacity = count;
                let groups = self.environments[e.index()].groups.clone();
                groups.first().map(|h| self.hosted[*h].target)
            }
            Setting::QueueCapacity(t) => {
                self.targets[t.index()].queue.set_capacity(count);
                Some(t)
            }
            Setting::ArrivalRate(f) => {
                self.set_arrival_rate(f, value);
                self.flow_notable(NotableKind::SettingChanged, f, detail);
                return;
            }
            Setting::FailureProbability(f) => {
                self.flows[f.index()].failure_probability = value.clamp(0.0, 1.0);
                self.flow_notable(NotableKind::SettingChanged, f, detail);
                return;
            }
        };
        self.notable(NotableKind::SettingChanged, target, None, detail);
        if let Some(t) = target {
            self.sync_available(t);
            self.dispatch(t);
        }
    }

    fn set_arrival_rate(&mut self, flow: FlowId, per_hour: f64) {
        let f = &mut self.flows[flow.index()];
        if f.arrivals.set_rate(per_hour) {
            // Memoryless: the next arrival is drawn afresh from now.
            f.arrival_generation += 1;
            self.schedule_next_arrival(flow);
        }
    }
}
