//! Hosted machines in the event loop: provisioning at the start, restarts,
//! and deletion after a period without runs.
//!
//! A hosted machine holds one hosted add-on of its environment from the
//! start. It accepts runs once provisioned; a restart makes it unavailable
//! for a while and ends its running runs `machine_lost`. Where the scenario
//! says so (environments without hosted add-ons), a machine with no run for
//! `delete_after_idle` is deleted: a standalone one then refuses runs
//! (`machine_expired`); one in a group leaves the group.

use super::{Event, HostedMachineState, Observer, Simulation};
use crate::ids::MachineId;
use crate::machine::block;
use crate::model::{ModelSpec, TargetKind};
use crate::observer::NotableKind;
use crate::random::Streams;
use crate::run::Outcome;
use crate::time::{SimDuration, SimTime};

/// The state of `machine` among `states` if it is hosted (`states` is
/// empty when no machine is).
fn state_of(
    states: &mut [Option<HostedMachineState>],
    machine: MachineId,
) -> Option<&mut HostedMachineState> {
    states.get_mut(machine.index())?.as_mut()
}

impl<O: Observer> Simulation<O> {
    pub(super) fn build_hosted_machines(&mut self, spec: &ModelSpec, streams: &Streams) {
        for (i, m) in spec.machines.iter().enumerate() {
            let Some(hosted) = &m.hosted else { continue };
            let machine = MachineId::from_index(i);
            self.fleet.set_blocked(machine, block::PROVISIONING, true);
            let env = spec.targets[m.target.index()].environment.index();
            self.environments[env].hosted_machines += 1;
            self.hosted_machines[i] = Some(HostedMachineState {
                generation: 0,
                delete_after_idle: hosted.delete_after_idle,
                idle_timer_armed: false,
            });
            let mut rng = streams.stream(&format!("machine/{}/provisioning", m.name));
            let ready_at = SimTime::ZERO + hosted.provisioning.sampler().sample(&mut rng);
            self.events.schedule(
                ready_at,
                Event::MachineReady {
                    machine,
                    generation: 0,
                },
            );
            self.sync_available(m.target);
        }
    }

    pub(super) fn on_machine_ready(&mut self, machine: MachineId, generation: u32) {
        let current = state_of(&mut self.hosted_machines, machine)
            .is_some_and(|s| s.generation == generation);
        if !current || self.fleet.is_removed(machine) {
            return;
        }
        self.fleet
            .set_blocked(machine, block::PROVISIONING | block::RESTARTING, false);
        let target = self.fleet_target(machine);
        self.sync_available(target);
        self.notable(
            NotableKind::MachineReady,
            Some(target),
            Some(machine),
            String::new(),
        );
        self.arm_machine_idle_timer(machine);
        self.dispatch(target);
    }

    /// A hosted machine restarts: unavailable for `duration`; its running
    /// runs are lost.
    pub(super) fn restart_machine(&mut self, machine: MachineId, duration: SimDuration) {
        if self.fleet.is_removed(machine) {
            return;
        }
        let Some(state) = state_of(&mut self.hosted_machines, machine) else {
            return;
        };
        state.generation += 1;
        let generation = state.generation;
        self.fleet.set_blocked(machine, block::RESTARTING, true);
        self.fleet.close_sessions(machine);
        let target = self.fleet_target(machine);
        for r in self.runs_on_machine(machine) {
            let Some(run) = self.runs.remove(r) else {
                continue;
            };
            if let crate::inflight::Stage::Running { placement, .. } = run.stage {
                self.release_bot(run.target, placement);
            }
            self.finish(&run, Outcome::MachineLost);
        }
        self.sync_available(target);
        self.notable(
            NotableKind::MachineRestarted,
            Some(target),
            Some(machine),
            duration.to_string(),
        );
        self.events.schedule(
            self.now + duration,
            Event::MachineReady {
                machine,
                generation,
            },
        );
    }

    /// Arms the deletion check of an idle hosted machine.
    pub(super) fn arm_machine_idle_timer(&mut self, machine: MachineId) {
        let Some(state) = state_of(&mut self.hosted_machines, machine) else {
            return;
        };
        let Some(after) = state.delete_after_idle else {
            return;
        };
        if state.idle_timer_armed
            || self.fleet.busy_bots(machine) > 0
            || self.fleet.is_removed(machine)
        {
            return;
        }
        state.idle_timer_armed = true;
        let at = (self.fleet.last_released(machine) + after).max(self.now);
        self.events.schedule(at, Event::MachineIdleCheck(machine));
    }

    pub(super) fn on_machine_idle_check(&mut self, machine: MachineId) {
        let Some(state) = state_of(&mut self.hosted_machines, machine) else {
            return;
        };
        state.idle_timer_armed = false;
        let Some(after) = state.delete_after_idle else {
            return;
        };
        if self.fleet.busy_bots(machine) > 0 || self.fleet.is_removed(machine) {
            return;
        }
        if self.now < self.fleet.last_released(machine) + after {
            self.arm_machine_idle_timer(machine);
            return;
        }
        self.delete_machine(machine, after);
    }

    fn delete_machine(&mut self, machine: MachineId, after: SimDuration) {
        self.fleet.remove(machine);
        let target = self.fleet_target(machine);
        let env = self.environment_of(target);
        self.environments[env].hosted_machines -= 1;
        self.sync_available(target);
        let detail = format!("no run for {after}");
        self.notable(
            NotableKind::MachineDeleted,
            Some(target),
            Some(machine),
            detail,
        );
        if self.targets[target.index()].kind == TargetKind::HostedMachine {
            self.targets[target.index()].closed = Some(Outcome::MachineExpired);
            self.drain_queue(target, Outcome::MachineExpired);
        } else if self.fleet.bots(target) == 0 {
            self.drain_queue(target, Outcome::GroupEmpty);
        }
        // The machine's slot is free: no group changed yet.
        self.rebalance(crate::ids::EnvironmentId::from_index(env), None);
    }
}
