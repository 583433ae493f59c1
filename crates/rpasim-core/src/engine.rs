//! The event loop: arrivals, queue timeouts, run completions and samples.
//!
//! The path of one run: an `Arrival` event of its flow creates it
//! ([`Simulation::admit`]); it starts at once or enters its target's queue;
//! [`Simulation::dispatch`] places it on a bot chosen by the target's
//! selection policy; a `RunEnd` event frees the bot, hands the record to
//! the observer and dispatches the next queued run.

use rand::RngExt;

use crate::arrival::ArrivalGenerator;
use crate::distribution::Sampler;
use crate::event::EventQueue;
use crate::ids::{FlowId, TargetId};
use crate::inflight::{InFlight, InFlightRun, RunRef, Stage};
use crate::machine::Fleet;
use crate::model::{ModelSpec, SpecError};
use crate::observer::{Level, Observer, SimReport, TargetSample, TargetTotals};
use crate::queue::{PriorityThenFifo, QueueDiscipline, QueueKey, QueuedRun, RunQueue};
use crate::random::{SimRng, Streams};
use crate::run::Outcome;
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
    queue: RunQueue<RunRef>,
    discipline: Box<dyn QueueDiscipline>,
    selection: Box<dyn MachineSelection>,
    selection_rng: SimRng,
    run_timeout: Option<SimDuration>,
    /// Whether a `QueueTimeout` event is pending (at most one per target).
    timer_armed: bool,
    queued: Level,
    busy: Level,
    available: Level,
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
    runs: InFlight,
    next_run_id: u64,
    events_handled: u64,
    samples: Vec<TargetSample>,
    observer: O,
}

impl<O: Observer> Simulation<O> {
    /// Prepares a simulation: every stream is derived from `spec.seed` and
    /// the name of what it serves.
    pub fn new(spec: &ModelSpec, observer: O) -> Result<Self, SpecError> {
        spec.check()?;
        let streams = Streams::new(spec.seed);
        let fleet = Fleet::new(&spec.machines, spec.targets.len());
        let targets = spec
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| TargetState {
                queue: RunQueue::new(t.queue_capacity, t.queue_timeout),
                discipline: Box::new(PriorityThenFifo),
                selection: t.selection.build(),
                selection_rng: streams.target_selection(&t.name),
                run_timeout: t.run_timeout,
                timer_armed: false,
                queued: Level::new(0),
                busy: Level::new(0),
                available: Level::new(fleet.bots(TargetId::from_index(i))),
            })
            .collect();
        let flows = spec
            .flows
            .iter()
            .map(|f| FlowState {
                target: f.target,
                priority: f.priority,
                arrivals: ArrivalGenerator::new(f.arrivals.clone(), streams.flow_arrivals(&f.name)),
                pending_burst: 0,
                durations: f.duration.sampler(),
                duration_rng: streams.flow_durations(&f.name),
                failure_probability: f.failure_probability,
                failure_rng: streams.flow_failures(&f.name),
            })
            .collect();
        let mut sim = Simulation {
            now: SimTime::ZERO,
            horizon: spec.horizon,
            warmup: spec.warmup.min(spec.horizon),
            sample_every: spec.sample_every,
            extended_prioritization: spec.scheduler.extended_queue_prioritization,
            events: EventQueue::new(),
            flows,
            targets,
            fleet,
            runs: InFlight::default(),
            next_run_id: 0,
            events_handled: 0,
            samples: Vec::with_capacity(spec.targets.len()),
            observer,
        };
        sim.schedule_initial_events();
        Ok(sim)
    }

    /// Replaces the machine-selection policy of a target (before [`run`](Self::run)).
    pub fn set_selection(&mut self, target: TargetId, policy: Box<dyn MachineSelection>) {
        self.targets[target.index()].selection = policy;
    }

    /// Replaces the queue discipline of a target (before [`run`](Self::run)).
    pub fn set_discipline(&mut self, target: TargetId, discipline: Box<dyn QueueDiscipline>) {
        self.targets[target.index()].discipline = discipline;
    }

    fn schedule_initial_events(&mut self) {
        for f in 0..self.flows.len() {
            self.schedule_next_arrival(FlowId::from_index(f));
        }
        self.events.schedule(SimTime::ZERO, Event::Sample);
        if self.warmup > SimTime::ZERO {
            self.events.schedule(self.warmup, Event::WarmupEnd);
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
        }
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

    /// Creates a run of `flow` now: it starts at once, is queued, or is
    /// rejected because the queue is full.
    fn admit(&mut self, flow: FlowId) {
        let run = self.new_run(flow);
        let target = run.target;
        let t = &self.targets[target.index()];
        if self.fleet.bots(target) == 0 {
            // A machine group with no machine: the service fails the run.
            let record = run.record(Some(self.now), Outcome::GroupEmpty);
            self.observer.run_finished(&record);
        } else if t.queue.is_empty() && self.fleet.free_bots(target) > 0 {
            // Fast path, same result as queue-then-dispatch.
            let r = self.runs.insert(run);
            self.start_on_selected_machine(target, r);
        } else if t.queue.is_full() {
            let record = run.record(Some(self.now), Outcome::QueueFull);
            self.observer.run_finished(&record);
        } else {
            self.enqueue(run);
            self.dispatch(target);
        }
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

    /// Starts queued runs of `target` while it has free bots.
    fn dispatch(&mut self, target: TargetId) {
        let extended = self.extended_prioritization;
        while self.fleet.free_bots(target) > 0 {
            let t = &mut self.targets[target.index()];
            // Every run of a registered-machine queue can use any free bot,
            // so the head is placeable; the predicate is where run-specific
            // eligibility plugs in.
            let Some((key, r)) = t.queue.first_placeable(extended, |_| true) else {
                return;
            };
            t.queue.remove(key);
            t.queued.decr(self.now);
            self.start_on_selected_machine(target, r);
        }
    }

    /// Picks a machine by the target's policy and starts run `r` on it.
    fn start_on_selected_machine(&mut self, target: TargetId, r: RunRef) {
        let t = &mut self.targets[target.index()];
        let candidates = self.fleet.candidates(target);
        let choice = t.selection.select(&candidates, &mut t.selection_rng);
        let machine = candidates.get(choice.min(candidates.len() - 1)).machine;
        let placement = self.fleet.acquire(machine, self.now);
        t.busy.incr(self.now);
        let Some(run) = self.runs.get_mut(r) else {
            return;
        };
        let (runs_for, outcome) = match t.run_timeout {
            Some(limit) if run.duration > limit => (limit, Outcome::RunTimeout),
            _ if run.fails => (run.duration, Outcome::Failed),
            _ => (run.duration, Outcome::Succeeded),
        };
        run.stage = Stage::Running {
            start: self.now,
            placement,
            outcome,
        };
        let run_id = run.id;
        self.events.schedule(self.now + runs_for, Event::RunEnd(r));
        self.observer
            .run_started(self.now, run_id, target, placement);
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
        self.fleet.release(placement);
        self.targets[run.target.index()].busy.decr(self.now);
        self.observer
            .run_finished(&run.record(Some(self.now), outcome));
        self.dispatch(run.target);
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
                self.observer
                    .run_finished(&run.record(Some(self.now), Outcome::QueueTimeout));
            }
        }
        self.arm_queue_timer(target);
    }

    fn on_sample(&mut self) {
        self.samples.clear();
        for (i, t) in self.targets.iter().enumerate() {
            let target = TargetId::from_index(i);
            self.samples.push(TargetSample {
                target,
                queued: t.queued.value(),
                running: t.busy.value(),
                bots_ready: self.fleet.free_bots(target),
                bots_provisioning: 0,
            });
        }
        self.observer.sample(self.now, &self.samples);
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

#[cfg(test)]
mod tests {
    //! Hand-computed timelines, exact to the millisecond.

    use super::*;
    use crate::arrival::ArrivalProcess;
    use crate::distribution::Distribution;
    use crate::ids::EnvironmentId;
    use crate::model::{
        EnvironmentSpec, FlowSpec, MachineSpec, SchedulerSpec, TargetKind, TargetSpec,
    };
    use crate::run::{Priority, RunRecord};
    use crate::selection::SelectionPolicy;

    const MIN: u64 = 60_000;

    #[derive(Default)]
    struct Records(Vec<RunRecord>);

    impl Observer for Records {
        fn run_finished(&mut self, record: &RunRecord) {
            self.0.push(*record);
        }
    }

    /// One standalone machine with `bots` bots, limits as given.
    fn model(
        bots: u32,
        capacity: u32,
        queue_timeout: Option<u64>,
        run_timeout: Option<u64>,
    ) -> ModelSpec {
        ModelSpec {
            seed: 1,
            horizon: SimTime::from_millis(1_000 * MIN),
            warmup: SimTime::ZERO,
            sample_every: SimDuration::from_mins(10),
            scheduler: SchedulerSpec::default(),
            environments: vec![EnvironmentSpec { name: "e".into() }],
            targets: vec![TargetSpec {
                name: "pc".into(),
                kind: TargetKind::Machine,
                environment: EnvironmentId(0),
                queue_capacity: capacity,
                queue_timeout: queue_timeout.map(|m| SimDuration::from_millis(m * MIN)),
                run_timeout: run_timeout.map(|m| SimDuration::from_millis(m * MIN)),
                selection: SelectionPolicy::Random,
            }],
            machines: vec![MachineSpec {
                name: "pc".into(),
                target: TargetId(0),
                bots,
            }],
            flows: Vec::new(),
        }
    }

    /// A flow of constant `minutes` runs at the given minutes.
    fn flow(name: &str, priority: i64, minutes: u64, at: &[u64]) -> FlowSpec {
        FlowSpec {
            name: name.into(),
            target: TargetId(0),
            priority,
            duration: Distribution::Constant(SimDuration::from_mins(minutes)),
            failure_probability: 0.0,
            arrivals: ArrivalProcess::At(
                at.iter().map(|m| SimTime::from_millis(m * MIN)).collect(),
            ),
        }
    }

    fn run(spec: &ModelSpec) -> (Vec<RunRecord>, SimReport) {
        let (mut records, report) = Simulation::new(spec, Records::default())
            .expect("valid")
            .run();
        records.0.sort_by_key(|r| r.id);
        (records.0, report)
    }

    fn minutes(t: Option<SimTime>) -> Option<u64> {
        t.map(|t| t.as_millis() / MIN)
    }

    #[test]
    fn one_bot_serves_in_arrival_order() {
        let mut spec = model(1, 500, None, None);
        spec.flows.push(flow("f", Priority::NORMAL, 10, &[0, 0, 5]));
        let (runs, report) = run(&spec);
        let starts: Vec<_> = runs
            .iter()
            .map(|r| (minutes(r.start), minutes(r.end)))
            .collect();
        assert_eq!(
            starts,
            vec![
                (Some(0), Some(10)),
                (Some(10), Some(20)),
                (Some(20), Some(30))
            ]
        );
        assert_eq!(runs[2].wait(), Some(SimDuration::from_mins(15)));
        // Busy 30 of 1000 bot-minutes; queued 10 + 15 run-minutes.
        assert_eq!(report.targets[0].busy_bot_ms, 30 * MIN);
        assert_eq!(report.targets[0].available_bot_ms, 1_000 * MIN);
        assert_eq!(report.targets[0].queued_run_ms, 25 * MIN);
    }

    #[test]
    fn high_priority_runs_first_then_enqueue_order() {
        // A blocker occupies the bot while N1 N2 H1 N3 H2 queue, one a minute.
        let mut spec = model(1, 500, None, None);
        spec.flows.push(flow("blocker", Priority::NORMAL, 10, &[0]));
        spec.flows.push(flow("n1", Priority::NORMAL, 1, &[1]));
        spec.flows.push(flow("n2", Priority::NORMAL, 1, &[2]));
        spec.flows.push(flow("h1", Priority::HIGH, 1, &[3]));
        spec.flows.push(flow("n3", Priority::NORMAL, 1, &[4]));
        spec.flows.push(flow("h2", Priority::HIGH, 1, &[5]));
        let (runs, _) = run(&spec);
        let mut order: Vec<(u64, &str)> = runs
            .iter()
            .skip(1)
            .map(|r| {
                (
                    minutes(r.start).expect("started"),
                    spec.flows[r.flow.index()].name.as_str(),
                )
            })
            .collect();
        order.sort();
        assert_eq!(
            order,
            vec![(10, "h1"), (11, "h2"), (12, "n1"), (13, "n2"), (14, "n3")]
        );
    }

    #[test]
    fn queue_timeout_fires_exactly_at_the_deadline() {
        let mut spec = model(1, 500, Some(30), None);
        spec.flows.push(flow("long", Priority::NORMAL, 100, &[0]));
        spec.flows
            .push(flow("waiting", Priority::NORMAL, 5, &[10, 20, 95]));
        let (runs, _) = run(&spec);
        let ends: Vec<_> = runs
            .iter()
            .map(|r| (r.outcome, minutes(r.start), minutes(r.end)))
            .collect();
        assert_eq!(
            ends,
            vec![
                (Outcome::Succeeded, Some(0), Some(100)),
                (Outcome::QueueTimeout, None, Some(40)),
                (Outcome::QueueTimeout, None, Some(50)),
                (Outcome::Succeeded, Some(100), Some(105)),
            ]
        );
    }

    #[test]
    fn run_timeout_cuts_at_the_limit_and_frees_the_bot() {
        let mut spec = model(1, 500, None, Some(60));
        spec.flows.push(flow("endless", Priority::NORMAL, 90, &[0]));
        spec.flows.push(flow("next", Priority::NORMAL, 10, &[1]));
        let (runs, _) = run(&spec);
        assert_eq!(
            (runs[0].outcome, minutes(runs[0].end)),
            (Outcome::RunTimeout, Some(60))
        );
        assert_eq!(
            (runs[1].outcome, minutes(runs[1].start)),
            (Outcome::Succeeded, Some(60))
        );
    }

    #[test]
    fn full_queue_rejects_on_arrival() {
        let mut spec = model(1, 1, None, None);
        spec.flows.push(flow("f", Priority::NORMAL, 10, &[0, 1, 2]));
        let (runs, _) = run(&spec);
        let outcomes: Vec<_> = runs.iter().map(|r| (r.outcome, minutes(r.end))).collect();
        assert_eq!(
            outcomes,
            vec![
                (Outcome::Succeeded, Some(10)),
                (Outcome::Succeeded, Some(20)),
                (Outcome::QueueFull, Some(2))
            ]
        );
    }

    #[test]
    fn horizon_leaves_runs_in_flight_and_warmup_resets_integrals() {
        let mut spec = model(1, 500, None, None);
        spec.horizon = SimTime::from_millis(100 * MIN);
        spec.warmup = SimTime::from_millis(50 * MIN);
        spec.flows.push(flow("f", Priority::NORMAL, 80, &[0, 1]));
        let (runs, report) = run(&spec);
        assert_eq!(
            (runs[0].outcome, minutes(runs[0].end)),
            (Outcome::Succeeded, Some(80))
        );
        assert_eq!(
            (runs[1].outcome, minutes(runs[1].start), runs[1].end),
            (Outcome::InFlight, Some(80), None)
        );
        // From the warm-up at 50 to the horizon at 100: always busy; queued until 80.
        assert_eq!(report.targets[0].busy_bot_ms, 50 * MIN);
        assert_eq!(report.targets[0].available_bot_ms, 50 * MIN);
        assert_eq!(report.targets[0].queued_run_ms, 30 * MIN);
        assert_eq!(report.runs, 2);
    }

    #[test]
    fn an_empty_group_fails_runs_at_once() {
        let mut spec = model(1, 500, None, None);
        spec.targets.push(TargetSpec {
            name: "empty".into(),
            kind: TargetKind::MachineGroup,
            ..spec.targets[0].clone()
        });
        let mut f = flow("f", Priority::NORMAL, 10, &[3]);
        f.target = TargetId(1);
        spec.flows.push(f);
        let (runs, _) = run(&spec);
        assert_eq!(
            (runs[0].outcome, minutes(runs[0].end)),
            (Outcome::GroupEmpty, Some(3))
        );
    }
}
