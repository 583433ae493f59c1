//! Invariants under operations and faults (proptest): random offline
//! events (runs lost or re-queued), random outages, maintenance windows on
//! machines and groups, priority changes and moves to the top.
//!
//! A watcher rebuilds each machine's state from the notable events as the
//! engine reports them (the events log) and checks every run start against
//! it; records check conservation and bot overlaps.

use crate::common;

use std::collections::BTreeMap;

use common::simulate_watched;
use proptest::prelude::*;
use rpasim_core::arrival::ArrivalProcess;
use rpasim_core::distribution::Distribution;
use rpasim_core::model::{
    Action, EnvironmentSpec, FlowSpec, MachineOptions, MachineSpec, ModelSpec, RandomOutages,
    SchedulerSpec, Scope, TargetKind, TargetSpec, TimelineEvent,
};
use rpasim_core::observer::{Notable, NotableKind};
use rpasim_core::random::SimRng;
use rpasim_core::run::{Host, Placement, Priority};
use rpasim_core::selection::{Candidates, MachineSelection, SelectionPolicy};
use rpasim_core::{
    EnvironmentId, FlowId, MachineId, Observer, Outcome, RunRecord, SimDuration, SimTime,
    Simulation, TargetId,
};

/// Machine and group state rebuilt from notable events, and the checks.
#[derive(Debug, Default)]
struct Watch {
    group_of: Vec<TargetId>,
    offline: BTreeMap<MachineId, bool>,
    own_maintenance: BTreeMap<MachineId, u32>,
    group_maintenance: BTreeMap<TargetId, u32>,
    /// Run id -> (machine, start) of runs executing on a machine.
    running: BTreeMap<u64, (MachineId, SimTime)>,
    /// Run id -> (start of the interrupted attempt, when it was interrupted).
    interrupted: BTreeMap<u64, (SimTime, SimTime)>,
    violations: Vec<String>,
}

impl Watch {
    fn in_maintenance(&self, m: MachineId) -> bool {
        let g = self.group_of[m.index()];
        self.own_maintenance.get(&m).copied().unwrap_or(0) > 0
            || self.group_maintenance.get(&g).copied().unwrap_or(0) > 0
    }
}

impl Observer for Watch {
    fn run_started(&mut self, time: SimTime, run_id: u64, _target: TargetId, placement: Placement) {
        let Host::Machine(m) = placement.host else {
            return;
        };
        if self.offline.get(&m).copied().unwrap_or(false) {
            self.violations.push(format!(
                "{time}: run {run_id} started on offline machine {m:?}"
            ));
        }
        if self.in_maintenance(m) {
            self.violations.push(format!(
                "{time}: run {run_id} started on {m:?} in maintenance"
            ));
        }
        self.running.insert(run_id, (m, time));
    }

    fn run_finished(&mut self, record: &RunRecord) {
        self.running.remove(&record.id);
        if let Some((start, at)) = self.interrupted.get(&record.id).copied()
            && record.start == Some(start)
            && (record.outcome != Outcome::MachineLost || record.end != Some(at))
        {
            self.violations.push(format!(
                "run {} went on after its machine went offline at {at}: {record:?}",
                record.id
            ));
        }
    }

    fn notable(&mut self, time: SimTime, e: &Notable) {
        match (e.kind, e.machine, e.target) {
            (NotableKind::MachineOffline, Some(m), _) => {
                self.offline.insert(m, true);
                let lost: Vec<(u64, SimTime)> = self
                    .running
                    .iter()
                    .filter(|(_, (on, _))| *on == m)
                    .map(|(id, (_, start))| (*id, *start))
                    .collect();
                for (id, start) in lost {
                    self.running.remove(&id);
                    self.interrupted.insert(id, (start, time));
                }
            }
            (NotableKind::MachineOnline, Some(m), _) => {
                self.offline.insert(m, false);
            }
            (NotableKind::MaintenanceStarted, Some(m), _) if !e.detail.starts_with("ignored") => {
                *self.own_maintenance.entry(m).or_default() += 1;
            }
            (NotableKind::MaintenanceEnded, Some(m), _) => {
                *self.own_maintenance.entry(m).or_default() -= 1;
            }
            (NotableKind::MaintenanceStarted, None, Some(t)) => {
                *self.group_maintenance.entry(t).or_default() += 1;
            }
            (NotableKind::MaintenanceEnded, None, Some(t)) => {
                // The end of a group's maintenance returns every member to active.
                self.group_maintenance.insert(t, 0);
                for (m, g) in self.group_of.iter().enumerate() {
                    if *g == t {
                        self.own_maintenance.insert(MachineId::from_index(m), 0);
                    }
                }
            }
            _ => {}
        }
    }
}

fn minutes(m: u64) -> SimDuration {
    SimDuration::from_mins(m)
}

/// A timeline event on `machines` machines, `groups` groups and `flows` flows.
fn event(machines: usize, groups: usize, flows: usize) -> impl Strategy<Value = TimelineEvent> {
    let at = (0u64..2_000).prop_map(|m| SimTime::ZERO + minutes(m));
    let action = prop_oneof![
        (0..machines, 1u64..240, prop::option::of(any::<bool>())).prop_map(|(m, d, requeue)| {
            Action::Offline {
                machine: MachineId::from_index(m),
                duration: minutes(d),
                requeue,
            }
        }),
        (0..machines, 1u64..240).prop_map(|(m, d)| Action::Maintenance {
            scope: Scope::Machine(MachineId::from_index(m)),
            duration: minutes(d),
        }),
        (0..groups, 1u64..240).prop_map(|(g, d)| Action::Maintenance {
            scope: Scope::Target(TargetId::from_index(g)),
            duration: minutes(d),
        }),
        (
            0..flows,
            prop::sample::select(vec![Priority::NORMAL, Priority::HIGH, 150])
        )
            .prop_map(|(f, p)| {
                Action::SetPriority {
                    flow: FlowId::from_index(f),
                    priority: p,
                }
            }),
        (0..flows, 1u64..40).prop_map(|(f, run)| Action::MoveToTop {
            flow: FlowId::from_index(f),
            run
        }),
    ];
    (at, action).prop_map(|(at, action)| TimelineEvent { at, action })
}

prop_compose! {
    fn model()(groups in 1usize..3, machines_per_group in 1usize..4, flows in 1usize..4)(
        groups in Just(groups),
        machines_per_group in Just(machines_per_group),
        bots in prop::collection::vec(1u32..3, groups * machines_per_group),
        outages in prop::collection::vec(prop::option::of((60u64..600, 5u64..90)), groups * machines_per_group),
        flows in prop::collection::vec((0..groups, 1u64..60, 1.0f64..20.0), flows),
        events in prop::collection::vec(event(groups * machines_per_group, groups, flows), 0..12),
        requeue_lost_runs in any::<bool>(),
        extended in any::<bool>(),
        seed in any::<u64>(),
    ) -> ModelSpec {
        let mut spec = ModelSpec {
            seed,
            horizon: SimTime::ZERO + SimDuration::from_hours(40),
            warmup: SimTime::ZERO,
            sample_every: minutes(30),
            scheduler: SchedulerSpec { extended_queue_prioritization: extended, requeue_lost_runs },
            environments: vec![EnvironmentSpec::named("env")],
            targets: (0..groups)
                .map(|g| TargetSpec {
                    name: format!("g{g}"),
                    kind: TargetKind::MachineGroup,
                    environment: EnvironmentId(0),
                    queue_capacity: 15,
                    queue_timeout: Some(SimDuration::from_hours(4)),
                    run_timeout: Some(SimDuration::from_hours(3)),
                    selection: SelectionPolicy::Random,
                    options: Default::default(),
                })
                .collect(),
            machines: Vec::new(),
            flows: Vec::new(),
            hosted_groups: Vec::new(),
            events,
            prices: None,
        };
        for (i, (b, outage)) in bots.into_iter().zip(outages).enumerate() {
            spec.machines.push(MachineSpec {
                name: format!("m{i}"),
                target: TargetId::from_index(i / machines_per_group),
                bots: b,
                hosted: None,
                options: MachineOptions {
                    outages: outage.map(|(up, repair)| RandomOutages {
                        up: Distribution::Exponential { mean: minutes(up) },
                        repair: Distribution::Exponential { mean: minutes(repair) },
                    }),
                    ..MachineOptions::default()
                },
            });
        }
        for (i, (g, mean, per_hour)) in flows.into_iter().enumerate() {
            spec.flows.push(FlowSpec {
                name: format!("f{i}"),
                target: TargetId::from_index(g),
                priority: Priority::NORMAL,
                duration: Distribution::Exponential { mean: minutes(mean) },
                failure_probability: 0.0,
                attended: false,
                arrivals: ArrivalProcess::Poisson { per_hour, profile: None },
                recorded: None,
            });
        }
        spec
    }
}

fn simulate(spec: &ModelSpec) -> (Vec<RunRecord>, Watch, u64) {
    let watch = Watch {
        group_of: spec.machines.iter().map(|m| m.target).collect(),
        ..Watch::default()
    };
    simulate_watched(spec, watch)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn outages_and_maintenance_lose_no_run_and_host_none(spec in model()) {
        let (runs, watch, arrived) = simulate(&spec);
        prop_assert!(watch.violations.is_empty(), "{:?}", &watch.violations[..watch.violations.len().min(4)]);
        // Conservation: one record per arrival, whatever was lost or re-queued.
        prop_assert_eq!(runs.len() as u64, arrived);
        let requeue_somewhere = spec.scheduler.requeue_lost_runs
            || spec.events.iter().any(|e| matches!(e.action, Action::Offline { requeue: Some(true), .. }));
        for (i, r) in runs.iter().enumerate() {
            prop_assert_eq!(r.id, i as u64);
            prop_assert!(r.attempts == 1 || requeue_somewhere, "run {} re-queued without re-queueing", r.id);
        }
        let mut busy: BTreeMap<(Host, u16), Vec<(SimTime, SimTime)>> = BTreeMap::new();
        for r in &runs {
            if let (Some(start), Some(p)) = (r.start, r.placement) {
                prop_assert!(start >= r.arrival);
                busy.entry((p.host, p.bot)).or_default().push((start, r.end.unwrap_or(spec.horizon)));
            }
        }
        for (bot, mut spans) in busy {
            spans.sort();
            for w in spans.windows(2) {
                prop_assert!(w[0].1 <= w[1].0, "{:?} runs two runs at once: {:?} {:?}", bot, w[0], w[1]);
            }
        }
    }

    #[test]
    fn same_seed_same_records(spec in model()) {
        prop_assert_eq!(simulate(&spec).0, simulate(&spec).0);
    }

    /// The built-in policies that take the first machine in an order find
    /// it in the fleet's sorted index; hiding the order from the fleet
    /// makes them scan their candidates instead. Both choose the same
    /// machines through outages, maintenance and every operation, so the
    /// records are the same.
    #[test]
    fn sorted_selection_chooses_as_a_scan_does(
        spec in model(),
        policy in prop::sample::select(vec![
            SelectionPolicy::LeastRecentlyUsed,
            SelectionPolicy::RoundRobin,
            SelectionPolicy::MostFreeBots,
        ]),
    ) {
        let mut spec = spec;
        for t in &mut spec.targets {
            t.selection = policy;
        }
        let (indexed, _, _) = simulate(&spec);
        prop_assert_eq!(indexed, scanned(&spec));
    }
}

/// A policy passed through without its order: the fleet keeps no index
/// for it, and it scans its candidates.
#[derive(Debug)]
struct Scanning(Box<dyn MachineSelection>);

impl MachineSelection for Scanning {
    fn select(&mut self, candidates: &Candidates<'_>, rng: &mut SimRng) -> usize {
        self.0.select(candidates, rng)
    }
}

/// The records of `spec` with every target's policy scanning.
fn scanned(spec: &ModelSpec) -> Vec<RunRecord> {
    let mut sim = Simulation::new(spec, common::Collect::default()).expect("valid model");
    for (i, t) in spec.targets.iter().enumerate() {
        sim.set_selection(
            TargetId::from_index(i),
            Box::new(Scanning(t.selection.build())),
        );
    }
    sim.run().0.runs
}
