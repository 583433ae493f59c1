//! The event loop: arrivals, dispatch, run completions, queue timeouts,
//! samples, and the timers of hosted groups and hosted machines.
//!
//! The path of one run: an `Arrival` event of its flow creates it
//! ([`Simulation::admit`]); it starts at once or enters its target's queue;
//! [`Simulation::dispatch`] places it on a free bot (a machine's, chosen by
//! the target's selection policy, or a hosted group's ready bot); a `RunEnd`
//! event frees the bot, hands the record to the observer and dispatches the
//! next queued run. Hosted groups scale in [`autoscale`], hosted machines
//! come and go in [`hosted_machines`].

mod autoscale;
mod certificates;
mod hosted_machines;
mod operations;
#[cfg(test)]
mod tests;
mod waiting;

use rand::RngExt;

use crate::arrival::ArrivalGenerator;
use crate::capacity::CapacityPolicy;
use crate::distribution::Sampler;
use crate::event::EventQueue;
use crate::hosted::HostedGroup;
use crate::ids::{EnvironmentId, FlowId, MachineId, TargetId};
use crate::inflight::{InFlight, InFlightRun, RunRef, Stage};
use crate::machine::Fleet;
use crate::model::{Action, ModelSpec, SpecError, TargetKind, TimelineEvent};
use crate::observer::{
    EnvironmentSample, Level, Notable, NotableKind, Observer, SimReport, TargetSample, TargetTotals,
};
use crate::prefetch::prefetch;
use crate::queue::{PriorityThenFifo, QueueDiscipline, QueueKey, QueuedRun, RunQueue};
use crate::random::{SimRng, Streams};
use crate::run::{Host, Outcome, Placement};
use crate::selection::MachineSelection;
use crate::time::{SimDuration, SimTime};
use crate::wait::{WaitClocks, WaitReason};

/// Something that happens at an instant. Small and plain (ids and integers)
/// because most of the engine's time goes to moving these through the heap.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// The next batch of a flow's arrivals (void if the flow's arrival
    /// generation changed since). `target` is the flow's target when it
    /// was scheduled: a hint for prefetching, read nowhere else.
    Arrival {
        flow: FlowId,
        generation: u32,
        target: TargetId,
    },
    /// A running run reaches its end on `target` (a prefetching hint too).
    RunEnd { run: RunRef, target: TargetId },
    /// The earliest queue deadline of a target may have passed.
    QueueTimeout(TargetId),
    /// Time to sample every target.
    Sample,
    /// The warm-up period is over: statistics start now.
    WarmupEnd,
    /// A hosted bot may have finished provisioning.
    BotReady {
        group: u32,
        slot: u16,
        generation: u32,
    },
    /// A hosted group may have been unused for `idle_cold_after`.
    ColdCheck(u32),
    /// A hosted group may have been unused for `expire_after_idle`.
    ExpiryCheck(u32),
    /// A hosted machine may have finished provisioning or restarting.
    MachineReady { machine: MachineId, generation: u32 },
    /// A hosted machine may have been unused for `delete_after_idle`.
    MachineIdleCheck(MachineId),
    /// A scenario event, by index.
    Timeline(u32),
    /// The end of a maintenance window (void if `epoch` is stale).
    MaintenanceEnd { window: u32, epoch: u32 },
    /// The end of an outage; `random` for the random-outage chain.
    OfflineEnd { machine: MachineId, random: bool },
    /// A random outage of a machine starts.
    Failure(MachineId),
    /// The renewal period of a machine group's certificate opens.
    RenewalStart(TargetId),
    /// A machine group's certificate reaches its expiry.
    CertificateExpiry(TargetId),
}

// The hints cost no memory: a heap entry is a 16-byte key and the event,
// 32 bytes as long as the event takes at most 16.
const _: () = assert!(size_of::<Event>() <= 16);

/// A flow during the simulation.
///
/// In C layout with the fields a run reads first at the front: with
/// thousands of flows each run's first touch of its flow is a cache miss,
/// and the fewer lines the hot fields span the fewer misses.
#[derive(Debug)]
#[repr(C)]
struct FlowState {
    /// Bumped to void a pending `Arrival` (the rate changed).
    arrival_generation: u32,
    /// Runs in the pending `Arrival` event's batch.
    pending_burst: u32,
    target: TargetId,
    /// The owner lost access to the target: later runs end `access_denied`.
    denied: bool,
    attended: bool,
    priority: i64,
    /// Runs created so far (a run's index within its flow is this + 1).
    runs_so_far: u64,
    failure_probability: f64,
    durations: Sampler,
    /// Recorded durations and outcomes, by run index (a replayed trace).
    recorded: Option<std::sync::Arc<Vec<crate::model::RecordedRun>>>,
    /// Boxed: untouched by most flows (no failures), so kept out of the
    /// cache lines of the hot fields (see `TargetState::selection_delay`).
    failure_rng: Box<SimRng>,
    arrivals: ArrivalGenerator,
    duration_rng: SimRng,
}

/// A target (queue + pool) during the simulation.
///
/// In C layout, the fields every run reads (refusal, fast path, start,
/// release) first, for the reason given at [`FlowState`].
#[derive(Debug)]
#[repr(C)]
struct TargetState {
    /// Set when the target stops accepting runs for good (deleted).
    closed: Option<Outcome>,
    kind: TargetKind,
    session_reuse: bool,
    /// Whether a `QueueTimeout` event is pending (at most one per target).
    timer_armed: bool,
    /// Open maintenance windows on the group (0: active).
    maintenance: u32,
    /// Queued attended runs (they need the machine's signed-in user).
    attended_queued: u32,
    /// Attended runs running (they hold no bot, so they are not in `busy`).
    attended_running: u32,
    /// Index in `Simulation::hosted` of a hosted group's bots.
    hosted: Option<usize>,
    /// The machine of a target that has exactly one (a standalone machine,
    /// or a group of one): always the only candidate, so no policy is
    /// asked and its selection stream, which serves nothing else, is not
    /// drawn from. That spares a cache miss per run on the stream when
    /// there are thousands of targets; outputs are the same.
    sole_machine: Option<MachineId>,
    run_timeout: Option<SimDuration>,
    selection: Box<dyn MachineSelection>,
    /// Delay before an assigned run starts, with its stream. Boxed, as
    /// rarely used state is: a generator is 300 bytes, and with thousands
    /// of targets every byte of a target's state that a run does not
    /// touch pushes the state it does touch out of the cache.
    selection_delay: Option<Box<(Sampler, SimRng)>>,
    /// Session sign-in time before a run, with its stream (boxed too).
    session_overhead: Option<Box<(Sampler, SimRng)>>,
    busy: Level,
    queue: RunQueue<RunRef>,
    queued: Level,
    /// Bots able to run: available machines' bots, or provisioned hosted bots.
    available: Level,
    environment: EnvironmentId,
    discipline: Box<dyn QueueDiscipline>,
    /// The machines serving the target.
    members: Vec<MachineId>,
    selection_rng: SimRng,
    /// Time spent per wait reason, for splitting queued runs' waits.
    wait: WaitClocks,
}

/// An environment's hosted capacity during the simulation.
#[derive(Debug)]
struct EnvironmentState {
    capacity: u32,
    /// Sum of the committed bots of its hosted groups.
    committed: u32,
    /// Hosted machines that exist (each holds one add-on).
    hosted_machines: u32,
    /// Its hosted groups, as indices in `Simulation::hosted`.
    groups: Vec<usize>,
    policy: Box<dyn CapacityPolicy>,
}

/// A hosted machine's timers during the simulation.
#[derive(Debug, Clone, Copy)]
struct HostedMachineState {
    /// Voids a pending `MachineReady` when the machine restarts again.
    generation: u32,
    delete_after_idle: Option<SimDuration>,
    idle_timer_armed: bool,
}

/// One simulation of a [`ModelSpec`], reporting to an observer `O`.
#[derive(Debug)]
pub struct Simulation<O> {
    now: SimTime,
    horizon: SimTime,
    warmup: SimTime,
    sample_every: SimDuration,
    extended_prioritization: bool,
    events: EventQueue<Event>,
    flows: Vec<FlowState>,
    targets: Vec<TargetState>,
    fleet: Fleet,
    hosted: Vec<HostedGroup>,
    environments: Vec<EnvironmentState>,
    /// The state of each hosted machine, by machine; empty when no machine
    /// is hosted, so that ending a run on a machine then reads nothing more
    /// (with thousands of machines, each entry read is a cache miss).
    hosted_machines: Vec<Option<HostedMachineState>>,
    machine_ops: Vec<operations::MachineOps>,
    requeue_lost_runs: bool,
    /// The certificate of each target, if it has one (and has not expired).
    certificates: Vec<Option<certificates::CertificateState>>,
    timeline: Vec<TimelineEvent>,
    runs: InFlight,
    /// The run on each machine bot, for scenarios where a machine can go
    /// away while it runs (`None` elsewhere: nothing to keep).
    runs_on_bots: Option<Box<crate::inflight::RunsOnBots>>,
    /// Where the runs `move_to_top` events name were queued, for scenarios
    /// with such events (`None` elsewhere).
    runs_to_move: Option<Box<crate::inflight::QueuedRunsToMove>>,
    next_run_id: u64,
    events_handled: u64,
    samples: Vec<TargetSample>,
    environment_samples: Vec<EnvironmentSample>,
    observer: O,
    /// Check after every event that each target's wait reason is current
    /// (and, where the engine trusts a count over a search, that the
    /// search would agree: the tests' mode).
    check_waits: bool,
    /// Whether to prefetch ([`Simulation::prefetch_for`]): only when the
    /// flows' and targets' state outgrows a core's own cache, where the
    /// hints save misses instead of costing instructions.
    prefetching: bool,
}

/// State beyond which flows and targets are prefetched: about a core's
/// level-2 cache.
const PREFETCH_ABOVE_BYTES: usize = 256 << 10;

/// How often [`Simulation::run_while`] asks whether to go on: every 65,536
/// events, a few milliseconds of simulation (so an interrupt is heeded at
/// once), and rarely enough that asking costs nothing measurable.
pub const ASK_EVERY_EVENTS: u64 = 1 << 16;

impl<O: Observer> Simulation<O> {
    /// Prepares a simulation: every stream is derived from `spec.seed` and
    /// the name of what it serves.
    pub fn new(spec: &ModelSpec, observer: O) -> Result<Self, SpecError> {
        spec.check()?;
        let streams = Streams::new(spec.seed);
        let mut sim = Simulation {
            now: SimTime::ZERO,
            horizon: spec.horizon,
            warmup: spec.warmup.min(spec.horizon),
            sample_every: spec.sample_every,
            extended_prioritization: spec.scheduler.extended_queue_prioritization,
            events: EventQueue::new(),
            flows: spec.flows.iter().map(|f| flow_state(f, &streams)).collect(),
            targets: Vec::with_capacity(spec.targets.len()),
            fleet: Fleet::new(&spec.machines, spec.targets.len()),
            hosted: Vec::new(),
            environments: Vec::new(),
            hosted_machines: if spec.machines.iter().any(|m| m.hosted.is_some()) {
                vec![None; spec.machines.len()]
            } else {
                Vec::new()
            },
            machine_ops: Vec::new(),
            requeue_lost_runs: spec.scheduler.requeue_lost_runs,
            certificates: spec
                .targets
                .iter()
                .map(|t| {
                    t.options
                        .certificate
                        .map(certificates::CertificateState::new)
                })
                .collect(),
            timeline: spec.events.clone(),
            runs: InFlight::default(),
            runs_on_bots: machines_can_go_away(spec)
                .then(|| Box::new(crate::inflight::RunsOnBots::new(spec.machines.len()))),
            runs_to_move: runs_to_move(spec),
            next_run_id: 0,
            events_handled: 0,
            samples: Vec::with_capacity(spec.targets.len()),
            environment_samples: Vec::with_capacity(spec.environments.len()),
            observer,
            check_waits: cfg!(test),
            prefetching: spec.flows.len() * size_of::<FlowState>()
                + spec.targets.len() * size_of::<TargetState>()
                > PREFETCH_ABOVE_BYTES,
        };
        sim.build_targets(spec, &streams);
        sim.build_environments(spec);
        sim.build_hosted_machines(spec, &streams);
        sim.build_machine_ops(spec, &streams);
        sim.schedule_initial_events();
        Ok(sim)
    }

    fn build_targets(&mut self, spec: &ModelSpec, streams: &Streams) {
        // One pass over the machines and the hosted groups, not one per
        // target.
        let mut members = vec![Vec::new(); spec.targets.len()];
        for (i, m) in spec.machines.iter().enumerate() {
            members[m.target.index()].push(MachineId::from_index(i));
        }
        let hosted_groups = spec.hosted_groups_by_target();
        let mut attended = vec![false; spec.targets.len()];
        for f in spec.flows.iter().filter(|f| f.attended) {
            attended[f.target.index()] = true;
        }
        for ((i, t), members) in spec.targets.iter().enumerate().zip(members) {
            let target = TargetId::from_index(i);
            let hosted = hosted_groups[i].map(|h| {
                let rng = streams.stream(&format!("hosted/{}/provisioning", t.name));
                self.hosted.push(HostedGroup::new(h, t.environment, rng));
                self.hosted.len() - 1
            });
            self.targets.push(TargetState {
                kind: t.kind,
                environment: t.environment,
                queue: RunQueue::new(t.queue_capacity, t.queue_timeout),
                discipline: Box::new(PriorityThenFifo),
                selection: t.selection.build(),
                selection_rng: streams.target_selection(&t.name),
                run_timeout: t.run_timeout,
                hosted,
                sole_machine: match members[..] {
                    [only] => Some(only),
                    _ => None,
                },
                members,
                maintenance: 0,
                selection_delay: t.options.selection_delay.as_ref().map(|d| {
                    Box::new((
                        d.sampler(),
                        streams.stream(&format!("target/{}/selection_delay", t.name)),
                    ))
                }),
                session_overhead: t.options.session_overhead.as_ref().map(|d| {
                    Box::new((
                        d.sampler(),
                        streams.stream(&format!("target/{}/session", t.name)),
                    ))
                }),
                session_reuse: t.options.session_reuse,
                attended_queued: 0,
                attended_running: 0,
                closed: None,
                timer_armed: false,
                queued: Level::new(0),
                busy: Level::new(0),
                available: Level::new(self.fleet.available_bots(target)),
                wait: WaitClocks::new(),
            });
            if attended[i] {
                // Attended runs may wait behind a busy user while
                // unattended ones start: the queue keeps them apart.
                self.targets[i].queue.keep_kinds();
            }
            self.keep_selection_order(target);
        }
    }

    fn build_environments(&mut self, spec: &ModelSpec) {
        for (i, e) in spec.environments.iter().enumerate() {
            let groups: Vec<usize> = (0..self.hosted.len())
                .filter(|h| self.hosted[*h].environment.index() == i)
                .collect();
            self.environments.push(EnvironmentState {
                capacity: e.hosted_capacity,
                committed: groups.iter().map(|h| self.hosted[*h].committed).sum(),
                hosted_machines: 0,
                groups,
                policy: e.capacity_policy.build(),
            });
        }
    }

    /// Checks after every event that the reason each target's queued runs
    /// wait for is up to date, panicking if not: a missed update would
    /// misattribute waits silently. Costs a pass over the targets per
    /// event; for property tests.
    pub fn check_wait_reasons(mut self) -> Self {
        self.check_waits = true;
        self
    }

    /// Replaces the machine-selection policy of a target (before
    /// [`run`](Self::run)); a target with a single machine never asks it.
    pub fn set_selection(&mut self, target: TargetId, policy: Box<dyn MachineSelection>) {
        self.targets[target.index()].selection = policy;
        self.keep_selection_order(target);
    }

    /// Has the fleet keep the target's free machines sorted as its policy
    /// takes them, if it takes the first in an order and can choose
    /// between machines.
    fn keep_selection_order(&mut self, target: TargetId) {
        let t = &self.targets[target.index()];
        let order = match t.sole_machine {
            Some(_) => None,
            None => t.selection.free_order(),
        };
        self.fleet.keep_order(target, order);
    }

    /// Replaces the queue discipline of a target (before [`run`](Self::run)).
    pub fn set_discipline(&mut self, target: TargetId, discipline: Box<dyn QueueDiscipline>) {
        self.targets[target.index()].discipline = discipline;
    }

    /// Replaces the hosted-capacity policy of an environment (before [`run`](Self::run)).
    pub fn set_capacity_policy(
        &mut self,
        environment: EnvironmentId,
        policy: Box<dyn CapacityPolicy>,
    ) {
        self.environments[environment.index()].policy = policy;
    }

    fn schedule_initial_events(&mut self) {
        for f in 0..self.flows.len() {
            self.schedule_next_arrival(FlowId::from_index(f));
        }
        self.events.schedule(SimTime::ZERO, Event::Sample);
        if self.warmup > SimTime::ZERO {
            self.events.schedule(self.warmup, Event::WarmupEnd);
        }
        for (i, e) in self.timeline.iter().enumerate() {
            self.events.schedule(e.at, Event::Timeline(i as u32));
        }
        for h in 0..self.hosted.len() {
            self.arm_expiry_timer(h);
        }
        self.schedule_operations();
    }

    /// Runs to the horizon and returns the observer with the engine's totals.
    /// Runs still queued or running at the horizon are reported `in_flight`.
    pub fn run(self) -> (O, SimReport) {
        // Never asked to stop: the check compiles away.
        self.run_while(|_| true)
            .expect("a simulation that is never stopped runs to its horizon")
    }

    /// Runs as [`Simulation::run`] does, asking `go_on` every
    /// [`ASK_EVERY_EVENTS`] events whether to go on, with the simulated
    /// time reached (for a progress report); when it answers false, stops
    /// there and returns `None` (the observer dropped, its runs never
    /// finished). For callers that can be interrupted: Ctrl-C in a Python
    /// notebook, a sweep asked to stop, a policy that failed.
    pub fn run_while(mut self, mut go_on: impl FnMut(SimTime) -> bool) -> Option<(O, SimReport)> {
        while let Some((time, event)) = self.events.pop_until(self.horizon) {
            self.now = time;
            self.events_handled += 1;
            if self.prefetching {
                self.prefetch_for(event);
            }
            self.handle(event);
            if self.check_waits {
                self.assert_waits_current();
            }
            if self.events_handled.is_multiple_of(ASK_EVERY_EVENTS) && !go_on(self.now) {
                return None;
            }
        }
        Some(self.at_horizon())
    }

    /// At the horizon: the runs still in flight go to the observer, in
    /// order of arrival, with the engine's totals.
    fn at_horizon(mut self) -> (O, SimReport) {
        self.now = self.horizon;
        for slot in self.runs.slots_by_arrival() {
            let Some(mut run) = self.runs.take_slot(slot) else {
                continue;
            };
            if matches!(run.stage, Stage::Queued(_)) {
                self.leave_queue(&mut run);
            }
            self.observer
                .run_finished(&run.record(None, Outcome::InFlight));
        }
        let targets = self
            .targets
            .iter()
            .map(|t| TargetTotals {
                busy_bot_ms: t.busy.area_until(self.horizon),
                available_bot_ms: t.available.area_until(self.horizon),
                queued_run_ms: t.queued.area_until(self.horizon),
            })
            .collect();
        let report = SimReport {
            events: self.events_handled,
            runs: self.next_run_id,
            warmup: self.warmup,
            horizon: self.horizon,
            targets,
        };
        (self.observer, report)
    }

    /// Starts loading the state that `event`, about to be handled, and
    /// the event likely to follow it will touch (see [`crate::prefetch`]):
    /// the machine of `event` (its run was asked for one event earlier, so
    /// where it runs is known now), and the flow or run of the next event
    /// with its target, which the event carries: asked for one event
    /// ahead, not found through the flow or run when the event comes.
    fn prefetch_for(&self, event: Event) {
        if let Event::RunEnd { run, .. } = event
            && let Some(Stage::Running { placement, .. }) = self.runs.get(run).map(|r| &r.stage)
            && let Host::Machine(m) = placement.host
        {
            self.fleet.prefetch_machine(m);
        }
        let target = match self.events.upcoming() {
            Some(&Event::Arrival { flow, target, .. }) => {
                if let Some(f) = self.flows.get(flow.index()) {
                    // All of it: an arrival draws from both its generators.
                    prefetch(f, usize::MAX);
                }
                target
            }
            Some(&Event::RunEnd { run, target }) => {
                self.runs.prefetch(run);
                target
            }
            _ => return,
        };
        if let Some(t) = self.targets.get(target.index()) {
            // Its first lines, where the fields every run reads lead (C
            // layout); not what its pointers point to: reading them would
            // wait for the very lines asked for.
            prefetch(t, 4);
            self.fleet.prefetch_pool(target);
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrival {
                flow, generation, ..
            } => {
                if generation == self.flows[flow.index()].arrival_generation {
                    self.on_arrival(flow);
                }
            }
            Event::RunEnd { run, .. } => self.on_run_end(run),
            Event::QueueTimeout(target) => self.on_queue_timeout(target),
            Event::Sample => self.on_sample(),
            Event::WarmupEnd => self.on_warmup_end(),
            Event::BotReady {
                group,
                slot,
                generation,
            } => self.on_bot_ready(group as usize, slot, generation),
            Event::ColdCheck(group) => self.on_cold_check(group as usize),
            Event::ExpiryCheck(group) => self.on_expiry_check(group as usize),
            Event::MachineReady {
                machine,
                generation,
            } => self.on_machine_ready(machine, generation),
            Event::MachineIdleCheck(machine) => self.on_machine_idle_check(machine),
            Event::Timeline(i) => self.on_timeline(i as usize),
            Event::MaintenanceEnd { window, epoch } => {
                self.on_maintenance_end(window as usize, epoch)
            }
            Event::OfflineEnd { machine, random } => self.on_offline_end(machine, random),
            Event::Failure(machine) => self.on_failure(machine),
            Event::RenewalStart(target) => self.on_renewal_start(target),
            Event::CertificateExpiry(target) => self.on_certificate_expiry(target),
        }
    }

    /// A timeline action. Each handler brings the wait reasons of the
    /// targets it changes up to date as it changes them, as every pool
    /// change does (the tests check every target's reason after every
    /// event: [`Simulation::check_wait_reasons`]); a pass over every target
    /// here cost 33 microseconds an event with 10,000 targets.
    fn on_timeline(&mut self, i: usize) {
        match self.timeline[i].action.clone() {
            Action::UpdateImage {
                group,
                image,
                provisioning,
            } => self.update_image(group, &image, provisioning),
            Action::Restart { machine, duration } => self.restart_machine(machine, duration),
            Action::Maintenance { scope, duration } => self.start_maintenance(i, scope, duration),
            Action::Offline {
                machine,
                duration,
                requeue,
            } => {
                let requeue = requeue.unwrap_or(self.requeue_lost_runs);
                self.machine_offline(machine, duration, requeue, false);
            }
            Action::SetPriority { flow, priority } => self.set_priority(flow, priority),
            Action::MoveToTop { flow, run } => self.move_to_top(flow, run),
            Action::RevokeAccess { flows } => self.revoke_access(&flows),
            Action::Set {
                setting,
                value,
                key,
            } => self.apply_setting(setting, value, &key),
        }
    }

    fn notable(
        &mut self,
        kind: NotableKind,
        target: Option<TargetId>,
        machine: Option<MachineId>,
        detail: String,
    ) {
        let event = Notable {
            kind,
            target,
            machine,
            flow: None,
            detail,
        };
        self.observer.notable(self.now, &event);
    }

    /// Reports a notable event about a flow.
    fn flow_notable(&mut self, kind: NotableKind, flow: FlowId, detail: String) {
        let event = Notable {
            kind,
            target: Some(self.flows[flow.index()].target),
            machine: None,
            flow: Some(flow),
            detail,
        };
        self.observer.notable(self.now, &event);
    }

    fn schedule_next_arrival(&mut self, flow: FlowId) {
        let f = &mut self.flows[flow.index()];
        if let Some((time, burst)) = f.arrivals.next(self.now, self.horizon) {
            f.pending_burst = burst;
            let generation = f.arrival_generation;
            let target = f.target;
            self.events.schedule(
                time,
                Event::Arrival {
                    flow,
                    generation,
                    target,
                },
            );
        }
    }

    fn on_arrival(&mut self, flow: FlowId) {
        for _ in 0..self.flows[flow.index()].pending_burst {
            self.admit(flow);
        }
        self.schedule_next_arrival(flow);
    }

    /// Creates a run of `flow` now: it is refused (deleted or empty
    /// target), starts at once, is queued, or is rejected because the queue
    /// is full.
    fn admit(&mut self, flow: FlowId) {
        let run = self.new_run(flow);
        let target = run.target;
        let t = &self.targets[target.index()];
        let refusal = match self.flows[flow.index()].denied {
            true => Some(Outcome::AccessDenied),
            false => self.refusal(target),
        };
        if let Some(outcome) = refusal {
            self.finish(&run, outcome);
        } else if t.queue.is_empty() && self.can_place(target, run.attended) {
            // Fast path, same result as queue-then-dispatch.
            let attended = run.attended;
            let r = self.runs.insert(run);
            self.start_run(target, r, attended);
            self.after_pool_change(target);
        } else if t.queue.is_full() {
            self.finish(&run, Outcome::QueueFull);
        } else {
            self.enqueue(run);
            self.dispatch(target);
        }
    }

    /// Why a target refuses every run, if it does.
    fn refusal(&self, target: TargetId) -> Option<Outcome> {
        let t = &self.targets[target.index()];
        if t.closed.is_some() {
            return t.closed;
        }
        // A machine group with no machine: the service fails the run.
        (t.kind == TargetKind::MachineGroup && self.fleet.bots(target) == 0)
            .then_some(Outcome::GroupEmpty)
    }

    /// Hands the record of a run that ends now to the observer.
    fn finish(&mut self, run: &InFlightRun, outcome: Outcome) {
        let record = run.record(Some(self.now), outcome);
        self.observer.run_finished(&record);
    }

    /// A new run of `flow` arriving now, with its duration and failure drawn
    /// from the flow's own streams.
    fn new_run(&mut self, flow: FlowId) -> InFlightRun {
        let id = self.next_run_id;
        self.next_run_id += 1;
        let f = &mut self.flows[flow.index()];
        let recorded = f
            .recorded
            .as_ref()
            .and_then(|r| r.get(f.runs_so_far as usize));
        let (duration, fails) = match recorded {
            Some(run) => (run.duration, run.failed),
            None => {
                let duration = f.durations.sample(&mut f.duration_rng);
                let fails =
                    f.failure_probability > 0.0 && f.failure_rng.random_bool(f.failure_probability);
                (duration, fails)
            }
        };
        f.runs_so_far += 1;
        InFlightRun {
            id,
            flow,
            flow_index: f.runs_so_far,
            target: f.target,
            priority: f.priority,
            attended: f.attended,
            arrival: self.now,
            duration,
            fails,
            attempts: 1,
            stage: Stage::Queued(QueueKey::default()),
            waits: Default::default(),
        }
    }

    /// Puts a run in its target's queue (which has room).
    fn enqueue(&mut self, mut run: InFlightRun) {
        let (target, attended) = (run.target, run.attended);
        let t = &mut self.targets[target.index()];
        run.waits.enter(&t.wait.read(self.now, attended));
        let rank = t.discipline.rank(&QueuedRun {
            run_id: run.id,
            flow: run.flow,
            priority: run.priority,
            arrival: run.arrival,
            enqueued: self.now,
            duration: run.duration,
        });
        let (flow, flow_index) = (run.flow, run.flow_index);
        let r = self.runs.insert(run);
        if let Some(index) = self.runs_to_move.as_deref_mut() {
            index.queued(flow, flow_index, r);
        }
        let Ok(key) = t.queue.push(r, rank, self.now, attended) else {
            unreachable!("callers check that the queue has room")
        };
        if let Some(stored) = self.runs.get_mut(r) {
            stored.stage = Stage::Queued(key);
        }
        t.queued.incr(self.now);
        t.attended_queued += u32::from(attended);
        let len = t.queue.len();
        if len == 1 {
            // The reason was not kept while nobody waited.
            self.refresh_wait(target);
        }
        self.observer.run_queued(self.now, target, len);
        self.arm_queue_timer(target);
    }

    /// Free bots that can take an unattended run now.
    fn ready_bots(&self, target: TargetId) -> u32 {
        let t = &self.targets[target.index()];
        match t.hosted {
            Some(_) if t.maintenance > 0 => 0,
            Some(h) => self.hosted[h].ready_count(),
            None => self.fleet.free_bots(target),
        }
    }

    /// Whether a run (attended or not) could start on `target` now.
    fn can_place(&self, target: TargetId, attended: bool) -> bool {
        if attended {
            // Attended runs target one machine: its signed-in user.
            let t = &self.targets[target.index()];
            t.members
                .first()
                .is_some_and(|m| self.fleet.attended_free(*m))
        } else {
            self.ready_bots(target) > 0
        }
    }

    /// Whether any queued run of `target` might start now.
    fn may_dispatch(&self, target: TargetId) -> bool {
        let attended_waiting = self.targets[target.index()].attended_queued > 0;
        self.ready_bots(target) > 0 || (attended_waiting && self.can_place(target, true))
    }

    /// Starts queued runs of `target` while it has free bots, then lets the
    /// pool react (a hosted group scales).
    fn dispatch(&mut self, target: TargetId) {
        let extended = self.extended_prioritization;
        // An empty queue first: its length is at hand, where the free bots
        // and the queue's first node may each be a cache miss.
        while !self.targets[target.index()].queue.is_empty() && self.may_dispatch(target) {
            let t = &self.targets[target.index()];
            let next = if t.attended_queued == 0 {
                // Only unattended runs wait, and a bot is free (we are in
                // the loop): the head starts, whatever the policy.
                t.queue.first()
            } else {
                self.first_placeable(target, extended)
            };
            let Some((key, r)) = next else {
                break;
            };
            let attended = self.runs.get(r).is_some_and(|run| run.attended);
            let t = &mut self.targets[target.index()];
            t.queue.remove(key);
            t.queued.decr(self.now);
            t.attended_queued -= u32::from(attended);
            let clocks = t.wait.read(self.now, attended);
            if let Some(run) = self.runs.get_mut(r) {
                run.waits.leave(&clocks);
            }
            self.start_run(target, r, attended);
        }
        self.after_pool_change(target);
    }

    /// The first queued run of `target` that can start now, attended ones
    /// waiting. Attended and unattended runs need different things, so the
    /// head may not be placeable while a later run is (extended
    /// prioritization) or blocks the queue (strict head-of-line).
    fn first_placeable(&self, target: TargetId, extended: bool) -> Option<(QueueKey, RunRef)> {
        // Whether a run can start depends on its kind alone.
        let placeable = [false, true].map(|attended| self.can_place(target, attended));
        let attended = |r: RunRef| self.runs.get(r).is_some_and(|run| run.attended);
        self.targets[target.index()]
            .queue
            .first_placeable(extended, placeable, attended)
    }

    /// Bookkeeping after bots of `target` were taken or freed: a hosted
    /// group scales, and the reason queued runs wait for is brought up to
    /// date.
    fn after_pool_change(&mut self, target: TargetId) {
        if let Some(h) = self.targets[target.index()].hosted {
            self.autoscale(h);
        }
        self.refresh_wait(target);
    }

    /// Starts run `r` (attended or not) on a free bot of `target`: a machine chosen by the
    /// target's policy, or the hosted group's most recently readied bot.
    fn start_run(&mut self, target: TargetId, r: RunRef, attended: bool) {
        let (placement, cold_start, session_open) = match self.targets[target.index()].hosted {
            Some(h) => {
                let Some((slot, cold, session)) = self.hosted[h].take_ready(self.now) else {
                    return;
                };
                let host = Host::HostedGroup(target);
                (Placement { host, bot: slot }, cold, session)
            }
            None if attended => {
                let machine = self.targets[target.index()].members[0];
                // The signed-in user's own session: no sign-in.
                (self.fleet.acquire_attended(machine, self.now), None, true)
            }
            None => {
                let p = self.acquire_machine_bot(target);
                let Host::Machine(m) = p.host else {
                    unreachable!("a machine bot")
                };
                (p, None, self.fleet.open_session(m, p.bot))
            }
        };
        let t = &mut self.targets[target.index()];
        if attended {
            t.attended_running += 1;
        } else {
            t.busy.incr(self.now);
        }
        // The bot is held from now; the run starts after the selection delay
        // and signs in (unless its bot's session is reused) before working.
        let delay = sample_opt(&mut t.selection_delay);
        let reused = session_open && (t.session_reuse || attended);
        let sign_in = if reused {
            SimDuration::ZERO
        } else {
            sample_opt(&mut t.session_overhead)
        };
        let Some(run) = self.runs.get_mut(r) else {
            return;
        };
        let work = sign_in + run.duration;
        let (runs_for, outcome) = match t.run_timeout {
            Some(limit) if work > limit => (limit, Outcome::RunTimeout),
            _ if run.fails => (work, Outcome::Failed),
            _ => (work, Outcome::Succeeded),
        };
        let start = self.now + delay;
        run.waits.add(WaitReason::Selection, delay);
        // The run waited for the provisioning only since it arrived.
        let cold_start = cold_start.map(|took| took.min(self.now - run.arrival));
        run.stage = Stage::Running {
            start,
            placement,
            outcome,
            cold_start,
        };
        let run_id = run.id;
        if let (Some(index), Host::Machine(m)) = (self.runs_on_bots.as_deref_mut(), placement.host)
        {
            index.started(m, placement.bot, r);
        }
        self.events
            .schedule(start + runs_for, Event::RunEnd { run: r, target });
        self.observer
            .run_started(self.now, run_id, target, placement);
    }

    /// Takes a bot of a machine picked by the target's selection policy
    /// (of its only machine if it has one).
    fn acquire_machine_bot(&mut self, target: TargetId) -> Placement {
        let t = &mut self.targets[target.index()];
        let machine = match t.sole_machine {
            Some(only) => only,
            None => {
                let candidates = self.fleet.candidates(target);
                let choice = t.selection.select(&candidates, &mut t.selection_rng);
                candidates.get(choice.min(candidates.len() - 1)).machine
            }
        };
        self.fleet.acquire(machine, self.now)
    }

    fn on_run_end(&mut self, r: RunRef) {
        let Some(run) = self.runs.get(r) else {
            return; // ended earlier (stale event)
        };
        // The record is made in place: the run is not moved out first.
        let ended = match run.stage {
            Stage::Running {
                placement, outcome, ..
            } => Some((run.target, placement, run.record(Some(self.now), outcome))),
            Stage::Queued(_) => None,
        };
        self.runs.discard(r);
        let Some((target, placement, record)) = ended else {
            return;
        };
        self.release_bot(target, placement);
        self.observer.run_finished(&record);
        self.dispatch(target);
    }

    /// Frees the bot a run held (the run has ended or been lost).
    fn release_bot(&mut self, target: TargetId, placement: Placement) {
        let t = &mut self.targets[target.index()];
        let attended = matches!(placement.host, Host::Machine(_)) && placement.bot == 0;
        if attended {
            t.attended_running -= 1;
        } else {
            t.busy.decr(self.now);
        }
        match placement.host {
            Host::Machine(m) => {
                self.fleet.release(m, placement.bot, self.now);
                self.arm_machine_idle_timer(m);
            }
            Host::HostedGroup(_) => {
                let Some(h) = self.targets[target.index()].hosted else {
                    return;
                };
                if let Some(p) = self.hosted[h].release(placement.bot, self.now) {
                    self.schedule_provisioning(h, p);
                }
            }
        }
    }

    /// Ends every queued run of a target with `outcome` (the target is gone).
    fn drain_queue(&mut self, target: TargetId, outcome: Outcome) {
        let t = &mut self.targets[target.index()];
        let drained = t.queue.drain();
        t.queued.set(self.now, 0);
        t.attended_queued = 0;
        for r in drained {
            if let Some(mut run) = self.runs.remove(r) {
                self.leave_queue(&mut run);
                self.finish(&run, outcome);
            }
        }
    }

    /// Ensures a `QueueTimeout` event is pending for the target's earliest
    /// deadline. Deadlines only grow in enqueue order, so an armed timer is
    /// never later than the earliest live deadline.
    fn arm_queue_timer(&mut self, target: TargetId) {
        let t = &mut self.targets[target.index()];
        if t.timer_armed {
            return;
        }
        if let Some(deadline) = t.queue.next_deadline() {
            t.timer_armed = true;
            self.events.schedule(deadline, Event::QueueTimeout(target));
        }
    }

    fn on_queue_timeout(&mut self, target: TargetId) {
        self.targets[target.index()].timer_armed = false;
        while let Some(r) = self.targets[target.index()].queue.pop_expired(self.now) {
            self.targets[target.index()].queued.decr(self.now);
            if let Some(mut run) = self.runs.remove(r) {
                self.leave_queue(&mut run);
                self.finish(&run, Outcome::QueueTimeout);
            }
        }
        self.arm_queue_timer(target);
    }

    /// The target a machine serves.
    fn fleet_target(&self, machine: MachineId) -> TargetId {
        self.fleet.target_of(machine)
    }

    /// The index of a target's environment.
    fn environment_of(&self, target: TargetId) -> usize {
        self.targets[target.index()].environment.index()
    }

    /// Brings a target's count of bots able to run up to date.
    fn sync_available(&mut self, target: TargetId) {
        let value = match self.targets[target.index()].hosted {
            Some(h) => self.hosted[h].total(),
            None => self.fleet.available_bots(target),
        };
        self.targets[target.index()].available.set(self.now, value);
        self.refresh_wait(target);
    }

    fn on_sample(&mut self) {
        self.samples.clear();
        for (i, t) in self.targets.iter().enumerate() {
            let target = TargetId::from_index(i);
            let (ready, provisioning) = match t.hosted {
                Some(h) => (
                    self.hosted[h].ready_count(),
                    self.hosted[h].provisioning_count(),
                ),
                None => (self.fleet.free_bots(target), 0),
            };
            self.samples.push(TargetSample {
                target,
                queued: t.queued.value(),
                running: t.busy.value() + t.attended_running,
                bots_ready: ready,
                bots_provisioning: provisioning,
                bots_busy: t.busy.value(),
            });
        }
        self.environment_samples.clear();
        for i in 0..self.environments.len() {
            let (capacity, used) = (self.environments[i].capacity, self.capacity_used(i));
            self.environment_samples.push(EnvironmentSample {
                environment: EnvironmentId::from_index(i),
                capacity,
                used,
                free: capacity.saturating_sub(used),
            });
        }
        self.observer
            .sample(self.now, &self.samples, &self.environment_samples);
        let next = self.now + self.sample_every;
        if next <= self.horizon {
            self.events.schedule(next, Event::Sample);
        }
    }

    fn on_warmup_end(&mut self) {
        for t in &mut self.targets {
            t.queued.reset(self.now);
            t.busy.reset(self.now);
            t.available.reset(self.now);
        }
    }
}

/// Whether a machine can go offline or restart while it runs a run:
/// random outages, or an `offline` or `restart` event.
fn machines_can_go_away(spec: &ModelSpec) -> bool {
    spec.machines.iter().any(|m| m.options.outages.is_some())
        || spec
            .events
            .iter()
            .any(|e| matches!(e.action, Action::Offline { .. } | Action::Restart { .. }))
}

/// The index of the runs `move_to_top` events name, if there are any.
fn runs_to_move(spec: &ModelSpec) -> Option<Box<crate::inflight::QueuedRunsToMove>> {
    let wanted: Vec<(FlowId, u64)> = spec
        .events
        .iter()
        .filter_map(|e| match e.action {
            Action::MoveToTop { flow, run } => Some((flow, run)),
            _ => None,
        })
        .collect();
    (!wanted.is_empty()).then(|| Box::new(crate::inflight::QueuedRunsToMove::new(wanted)))
}

/// A draw from an optional distribution (zero when absent).
fn sample_opt(d: &mut Option<Box<(Sampler, SimRng)>>) -> SimDuration {
    match d.as_deref_mut() {
        Some((sampler, rng)) => sampler.sample(rng),
        None => SimDuration::ZERO,
    }
}

fn flow_state(f: &crate::model::FlowSpec, streams: &Streams) -> FlowState {
    FlowState {
        target: f.target,
        priority: f.priority,
        arrivals: ArrivalGenerator::new(f.arrivals.clone(), streams.flow_arrivals(&f.name)),
        pending_burst: 0,
        durations: f.duration.sampler(),
        duration_rng: streams.flow_durations(&f.name),
        failure_probability: f.failure_probability,
        failure_rng: Box::new(streams.flow_failures(&f.name)),
        attended: f.attended,
        runs_so_far: 0,
        arrival_generation: 0,
        denied: false,
        recorded: f.recorded.clone(),
    }
}
