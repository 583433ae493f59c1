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
mod hosted_machines;
#[cfg(test)]
mod tests;

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
use crate::queue::{PriorityThenFifo, QueueDiscipline, QueueKey, QueuedRun, RunQueue};
use crate::random::{SimRng, Streams};
use crate::run::{Host, Outcome, Placement};
use crate::selection::MachineSelection;
use crate::time::{SimDuration, SimTime};

/// Something that happens at an instant. Small and plain (ids and integers)
/// because most of the engine's time goes to moving these through the heap.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// The next batch of a flow's arrivals.
    Arrival(FlowId),
    /// A running run reaches its end.
    RunEnd(RunRef),
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
}

/// A flow during the simulation.
#[derive(Debug)]
struct FlowState {
    target: TargetId,
    priority: i64,
    arrivals: ArrivalGenerator,
    /// Runs in the pending `Arrival` event's batch.
    pending_burst: u32,
    durations: Sampler,
    duration_rng: SimRng,
    failure_probability: f64,
    failure_rng: SimRng,
}

/// A target (queue + pool) during the simulation.
#[derive(Debug)]
struct TargetState {
    kind: TargetKind,
    environment: EnvironmentId,
    queue: RunQueue<RunRef>,
    discipline: Box<dyn QueueDiscipline>,
    selection: Box<dyn MachineSelection>,
    selection_rng: SimRng,
    run_timeout: Option<SimDuration>,
    /// Index in `Simulation::hosted` of a hosted group's bots.
    hosted: Option<usize>,
    /// Set when the target stops accepting runs for good (deleted).
    closed: Option<Outcome>,
    /// Whether a `QueueTimeout` event is pending (at most one per target).
    timer_armed: bool,
    queued: Level,
    busy: Level,
    /// Bots able to run: available machines' bots, or provisioned hosted bots.
    available: Level,
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
    hosted_machines: Vec<Option<HostedMachineState>>,
    timeline: Vec<TimelineEvent>,
    runs: InFlight,
    next_run_id: u64,
    events_handled: u64,
    samples: Vec<TargetSample>,
    environment_samples: Vec<EnvironmentSample>,
    observer: O,
}

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
            hosted_machines: vec![None; spec.machines.len()],
            timeline: spec.events.clone(),
            runs: InFlight::default(),
            next_run_id: 0,
            events_handled: 0,
            samples: Vec::with_capacity(spec.targets.len()),
            environment_samples: Vec::with_capacity(spec.environments.len()),
            observer,
        };
        sim.build_targets(spec, &streams);
        sim.build_environments(spec);
        sim.build_hosted_machines(spec, &streams);
        sim.schedule_initial_events();
        Ok(sim)
    }

    fn build_targets(&mut self, spec: &ModelSpec, streams: &Streams) {
        for (i, t) in spec.targets.iter().enumerate() {
            let target = TargetId::from_index(i);
            let hosted = spec.hosted_group(target).map(|h| {
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
                closed: None,
                timer_armed: false,
                queued: Level::new(0),
                busy: Level::new(0),
                available: Level::new(self.fleet.available_bots(target)),
            });
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

    /// Replaces the machine-selection policy of a target (before [`run`](Self::run)).
    pub fn set_selection(&mut self, target: TargetId, policy: Box<dyn MachineSelection>) {
        self.targets[target.index()].selection = policy;
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
    }

    /// Runs to the horizon and returns the observer with the engine's totals.
    /// Runs still queued or running at the horizon are reported `in_flight`.
    pub fn run(mut self) -> (O, SimReport) {
        while let Some((time, event)) = self.events.pop_until(self.horizon) {
            self.now = time;
            self.events_handled += 1;
            self.handle(event);
        }
        self.now = self.horizon;
        for run in self.runs.drain_by_arrival() {
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

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrival(flow) => self.on_arrival(flow),
            Event::RunEnd(run) => self.on_run_end(run),
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
        }
    }

    fn on_timeline(&mut self, i: usize) {
        match self.timeline[i].action.clone() {
            Action::UpdateImage {
                group,
                image,
                provisioning,
            } => self.update_image(group, &image, provisioning),
            Action::Restart { machine, duration } => self.restart_machine(machine, duration),
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
            detail,
        };
        self.observer.notable(self.now, &event);
    }

    fn schedule_next_arrival(&mut self, flow: FlowId) {
        let f = &mut self.flows[flow.index()];
        if let Some((time, burst)) = f.arrivals.next(self.now, self.horizon) {
            f.pending_burst = burst;
            self.events.schedule(time, Event::Arrival(flow));
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
        if let Some(outcome) = self.refusal(target) {
            self.finish(&run, outcome);
        } else if t.queue.is_empty() && self.ready_bots(target) > 0 {
            // Fast path, same result as queue-then-dispatch.
            let r = self.runs.insert(run);
            self.start_run(target, r);
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
        let duration = f.durations.sample(&mut f.duration_rng);
        let fails = f.failure_probability > 0.0 && f.failure_rng.random_bool(f.failure_probability);
        InFlightRun {
            id,
            flow,
            target: f.target,
            priority: f.priority,
            arrival: self.now,
            duration,
            fails,
            stage: Stage::Queued(QueueKey::default()),
        }
    }

    /// Puts a run in its target's queue (which has room).
    fn enqueue(&mut self, run: InFlightRun) {
        let target = run.target;
        let t = &mut self.targets[target.index()];
        let rank = t.discipline.rank(&QueuedRun {
            run_id: run.id,
            flow: run.flow,
            priority: run.priority,
            arrival: run.arrival,
            enqueued: self.now,
            duration: run.duration,
        });
        let r = self.runs.insert(run);
        let Ok(key) = t.queue.push(r, rank, self.now) else {
            unreachable!("callers check that the queue has room")
        };
        if let Some(stored) = self.runs.get_mut(r) {
            stored.stage = Stage::Queued(key);
        }
        t.queued.incr(self.now);
        let len = t.queue.len();
        self.observer.run_queued(self.now, target, len);
        self.arm_queue_timer(target);
    }

    /// Free bots that can take a run now.
    fn ready_bots(&self, target: TargetId) -> u32 {
        match self.targets[target.index()].hosted {
            Some(h) => self.hosted[h].ready_count(),
            None => self.fleet.free_bots(target),
        }
    }

    /// Starts queued runs of `target` while it has free bots, then lets the
    /// pool react (a hosted group scales).
    fn dispatch(&mut self, target: TargetId) {
        let extended = self.extended_prioritization;
        while self.ready_bots(target) > 0 {
            let t = &mut self.targets[target.index()];
            // Every run of a queue can use any free bot of its target, so the
            // head is placeable; the predicate is where run-specific
            // eligibility plugs in.
            let Some((key, r)) = t.queue.first_placeable(extended, |_| true) else {
                break;
            };
            t.queue.remove(key);
            t.queued.decr(self.now);
            self.start_run(target, r);
        }
        self.after_pool_change(target);
    }

    /// Bookkeeping after bots of `target` were taken or freed.
    fn after_pool_change(&mut self, target: TargetId) {
        if let Some(h) = self.targets[target.index()].hosted {
            self.autoscale(h);
        }
    }

    /// Starts run `r` on a free bot of `target`: a machine chosen by the
    /// target's policy, or the hosted group's most recently readied bot.
    fn start_run(&mut self, target: TargetId, r: RunRef) {
        let (placement, cold_start) = match self.targets[target.index()].hosted {
            Some(h) => {
                let Some((slot, cold)) = self.hosted[h].take_ready(self.now) else {
                    return;
                };
                let host = Host::HostedGroup(target);
                (Placement { host, bot: slot }, cold)
            }
            None => (self.acquire_machine_bot(target), None),
        };
        let t = &mut self.targets[target.index()];
        t.busy.incr(self.now);
        let Some(run) = self.runs.get_mut(r) else {
            return;
        };
        let (runs_for, outcome) = match t.run_timeout {
            Some(limit) if run.duration > limit => (limit, Outcome::RunTimeout),
            _ if run.fails => (run.duration, Outcome::Failed),
            _ => (run.duration, Outcome::Succeeded),
        };
        // The run waited for the provisioning only since it arrived.
        let cold_start = cold_start.map(|took| took.min(self.now - run.arrival));
        run.stage = Stage::Running {
            start: self.now,
            placement,
            outcome,
            cold_start,
        };
        let run_id = run.id;
        self.events.schedule(self.now + runs_for, Event::RunEnd(r));
        self.observer
            .run_started(self.now, run_id, target, placement);
    }

    /// Takes a bot of a machine picked by the target's selection policy.
    fn acquire_machine_bot(&mut self, target: TargetId) -> Placement {
        let t = &mut self.targets[target.index()];
        let candidates = self.fleet.candidates(target);
        let choice = t.selection.select(&candidates, &mut t.selection_rng);
        let machine = candidates.get(choice.min(candidates.len() - 1)).machine;
        self.fleet.acquire(machine, self.now)
    }

    fn on_run_end(&mut self, r: RunRef) {
        let Some(run) = self.runs.remove(r) else {
            return; // ended earlier (stale event)
        };
        let Stage::Running {
            placement, outcome, ..
        } = run.stage
        else {
            return;
        };
        self.release_bot(run.target, placement);
        self.finish(&run, outcome);
        self.dispatch(run.target);
    }

    /// Frees the bot a run held (the run has ended or been lost).
    fn release_bot(&mut self, target: TargetId, placement: Placement) {
        self.targets[target.index()].busy.decr(self.now);
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
        for r in drained {
            if let Some(run) = self.runs.remove(r) {
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
            if let Some(run) = self.runs.remove(r) {
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
                running: t.busy.value(),
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

fn flow_state(f: &crate::model::FlowSpec, streams: &Streams) -> FlowState {
    FlowState {
        target: f.target,
        priority: f.priority,
        arrivals: ArrivalGenerator::new(f.arrivals.clone(), streams.flow_arrivals(&f.name)),
        pending_burst: 0,
        durations: f.duration.sampler(),
        duration_rng: streams.flow_durations(&f.name),
        failure_probability: f.failure_probability,
        failure_rng: streams.flow_failures(&f.name),
    }
}
