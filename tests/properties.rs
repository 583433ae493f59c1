//! Invariants over random small models (proptest).

use crate::common;

use std::collections::BTreeMap;

use common::simulate_watched;
use proptest::prelude::*;
use rpasim_core::arrival::ArrivalProcess;
use rpasim_core::distribution::Distribution;
use rpasim_core::model::{
    EnvironmentSpec, FlowSpec, MachineSpec, ModelSpec, SchedulerSpec, TargetKind, TargetSpec,
};
use rpasim_core::observer::EnvironmentSample;
use rpasim_core::run::{Host, Priority};
use rpasim_core::selection::SelectionPolicy;
use rpasim_core::{
    EnvironmentId, Observer, Outcome, RunRecord, SimDuration, SimTime, TargetId, TargetSample,
};

/// Checks, as the simulation goes, what records alone cannot show.
#[derive(Debug, Default)]
struct Watch {
    capacities: Vec<u32>,
    bots: Vec<u32>,
    violations: Vec<String>,
}

impl Observer for Watch {
    fn run_queued(&mut self, time: SimTime, target: TargetId, queue_len: usize) {
        if queue_len > self.capacities[target.index()] as usize {
            self.violations
                .push(format!("{time}: queue of {target:?} holds {queue_len}"));
        }
    }

    fn run_finished(&mut self, _record: &RunRecord) {}

    fn sample(
        &mut self,
        time: SimTime,
        targets: &[TargetSample],
        _environments: &[EnvironmentSample],
    ) {
        for s in targets {
            let bots = self.bots[s.target.index()];
            if s.running + s.bots_ready != bots {
                self.violations.push(format!(
                    "{time}: {:?} running {} + ready {} != {bots}",
                    s.target, s.running, s.bots_ready
                ));
            }
        }
    }
}

fn duration() -> impl Strategy<Value = Distribution> {
    let mins = |m: u64| SimDuration::from_mins(m);
    prop_oneof![
        (1u64..90).prop_map(move |m| Distribution::Constant(mins(m))),
        (1u64..90).prop_map(move |m| Distribution::Exponential { mean: mins(m) }),
        (1u64..30, 0u64..60).prop_map(move |(a, b)| Distribution::Uniform {
            min: mins(a),
            max: mins(a + b)
        }),
        (1u64..60, 0u64..60).prop_map(move |(m, sd)| Distribution::LogNormal {
            mean: mins(m),
            sd: mins(sd)
        }),
    ]
}

fn arrivals() -> impl Strategy<Value = ArrivalProcess> {
    prop_oneof![
        (0.5f64..40.0).prop_map(|per_hour| ArrivalProcess::Poisson {
            per_hour,
            profile: None
        }),
        (1u64..240, 1u32..15).prop_map(|(every, burst)| ArrivalProcess::Every {
            start: SimTime::from_millis(17),
            every: SimDuration::from_mins(every),
            burst,
        }),
        prop::collection::vec(0u64..2_000, 1..30).prop_map(|mins| ArrivalProcess::At(
            mins.into_iter()
                .map(|m| SimTime::ZERO + SimDuration::from_mins(m))
                .collect()
        )),
    ]
}

prop_compose! {
    fn target()(
        kind in prop_oneof![Just(TargetKind::Machine), Just(TargetKind::MachineGroup)],
        queue_capacity in 0u32..8,
        queue_timeout in prop::option::of(10u64..300),
        run_timeout in prop::option::of(5u64..120),
        selection in prop::sample::select(SelectionPolicy::ALL.to_vec()),
        machines in prop::collection::vec(1u32..4, 0..4),
    ) -> (TargetSpec, Vec<u32>) {
        let spec = TargetSpec {
            name: String::new(),
            kind,
            environment: EnvironmentId(0),
            queue_capacity,
            queue_timeout: queue_timeout.map(SimDuration::from_mins),
            run_timeout: run_timeout.map(SimDuration::from_mins),
            selection, options: Default::default(),
        };
        // A standalone machine is exactly one machine.
        let machines = if kind == TargetKind::Machine { vec![machines.first().copied().unwrap_or(1)] } else { machines };
        (spec, machines)
    }
}

prop_compose! {
    fn model()(
        targets in prop::collection::vec(target(), 1..4),
        flows in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![Priority::NORMAL, Priority::HIGH, 150]), duration(), arrivals(), 0.0f64..0.3), 1..5),
        seed in any::<u64>(),
        hours in 6u64..72,
        extended in any::<bool>(),
    ) -> ModelSpec {
        let mut spec = ModelSpec {
            seed,
            horizon: SimTime::ZERO + SimDuration::from_hours(hours),
            warmup: SimTime::ZERO,
            sample_every: SimDuration::from_mins(7),
            scheduler: SchedulerSpec { extended_queue_prioritization: extended, requeue_lost_runs: false },
            environments: vec![EnvironmentSpec::named("env")],
            targets: Vec::new(),
            machines: Vec::new(),
            flows: Vec::new(),
            hosted_groups: Vec::new(),
            events: Vec::new(),
            prices: None,
        };
        for (i, (mut t, bots)) in targets.into_iter().enumerate() {
            t.name = format!("t{i}");
            for (j, b) in bots.into_iter().enumerate() {
                spec.machines.push(MachineSpec { name: format!("t{i}m{j}"), target: TargetId::from_index(i), bots: b, hosted: None, options: Default::default() });
            }
            spec.targets.push(t);
        }
        for (i, (target, priority, duration, arrivals, failure_probability)) in flows.into_iter().enumerate() {
            spec.flows.push(FlowSpec {
                name: format!("f{i}"),
                target: TargetId::from_index(target.index(spec.targets.len())),
                priority,
                duration,
                failure_probability,
                attended: false,
                arrivals,
                recorded: None,
            });
        }
        spec
    }
}

fn simulate(spec: &ModelSpec) -> (Vec<RunRecord>, Watch, u64) {
    let watch = Watch {
        capacities: spec.targets.iter().map(|t| t.queue_capacity).collect(),
        bots: (0..spec.targets.len())
            .map(|t| {
                spec.machines_of(TargetId::from_index(t))
                    .map(|m| spec.machines[m.index()].bots)
                    .sum()
            })
            .collect(),
        violations: Vec::new(),
    };
    simulate_watched(spec, watch)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_run_ends_once_and_bots_never_overlap(spec in model()) {
        let (runs, watch, arrived) = simulate(&spec);
        prop_assert!(watch.violations.is_empty(), "{:?}", watch.violations);

        // Exactly one record per arrival, ids 0..n in arrival order.
        prop_assert_eq!(runs.len() as u64, arrived);
        for (i, r) in runs.iter().enumerate() {
            prop_assert_eq!(r.id, i as u64);
        }

        let mut busy: BTreeMap<(Host, u16), Vec<(SimTime, SimTime)>> = BTreeMap::new();
        for r in &runs {
            if let Some(start) = r.start {
                prop_assert!(start >= r.arrival, "run {} starts before it arrives", r.id);
                let p = r.placement.expect("a started run has a bot");
                let Host::Machine(machine) = p.host else { panic!("no hosted groups here") };
                prop_assert_eq!(spec.machines[machine.index()].target, r.target, "run on a machine of another target");
                let end = r.end.unwrap_or(spec.horizon);
                prop_assert!(end >= start);
                busy.entry((p.host, p.bot)).or_default().push((start, end));
            }
            match r.outcome {
                Outcome::InFlight => prop_assert!(r.end.is_none()),
                Outcome::QueueFull | Outcome::GroupEmpty => {
                    prop_assert!(r.start.is_none() && r.end == Some(r.arrival));
                }
                Outcome::QueueTimeout => {
                    let timeout = spec.targets[r.target.index()].queue_timeout.expect("a timeout is set");
                    prop_assert!(r.start.is_none());
                    prop_assert_eq!(r.end, Some(r.arrival + timeout));
                }
                Outcome::RunTimeout => {
                    let limit = spec.targets[r.target.index()].run_timeout.expect("a limit is set");
                    prop_assert_eq!(r.end, r.start.map(|s| s + limit));
                }
                Outcome::Succeeded | Outcome::Failed => prop_assert!(r.start.is_some() && r.end.is_some()),
                other => prop_assert!(false, "unexpected outcome {}", other),
            }
        }
        for (bot, mut spans) in busy {
            spans.sort();
            for w in spans.windows(2) {
                prop_assert!(w[0].1 <= w[1].0, "bot {:?} runs two runs at once: {:?} and {:?}", bot, w[0], w[1]);
            }
        }
    }

    #[test]
    fn same_seed_same_records(spec in model()) {
        let (a, _, _) = simulate(&spec);
        let (b, _, _) = simulate(&spec);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn bots_of_a_group_with_free_capacity_never_leave_runs_waiting(spec in model()) {
        // Work conservation: a run waits only while every bot of its target is busy.
        let (runs, _, _) = simulate(&spec);
        let bots: Vec<u32> = (0..spec.targets.len())
            .map(|t| spec.machines_of(TargetId::from_index(t)).map(|m| spec.machines[m.index()].bots).sum())
            .collect();
        for r in runs.iter().filter(|r| r.wait().is_some_and(|w| w > SimDuration::ZERO)) {
            let t = r.arrival;
            let busy = runs
                .iter()
                .filter(|o| o.target == r.target && o.start.is_some_and(|s| s <= t) && o.end.is_none_or(|e| e > t))
                .count() as u32;
            prop_assert_eq!(busy, bots[r.target.index()], "run {} waited at {} with a free bot", r.id, t);
        }
    }

    #[test]
    fn flow_rows_add_up_to_their_target_rows(spec in model()) {
        // summary-flows.csv: every count of a target is the sum of its flows'.
        let summary = common::summarize(&spec);
        for (t, target) in spec.targets.iter().enumerate() {
            let row = &summary.rows[t];
            let flows: Vec<_> = summary.flows.iter().filter(|f| f.target == target.name).collect();
            let sum = |f: &dyn Fn(&rpasim_report::SummaryRow) -> u64| flows.iter().map(|r| f(&r.stats)).sum::<u64>();
            prop_assert_eq!(sum(&|r| r.arrivals), row.arrivals);
            prop_assert_eq!(sum(&|r| r.started), row.started);
            prop_assert_eq!(sum(&|r| r.not_started), row.not_started);
            prop_assert_eq!(sum(&|r| r.cold_starts), row.cold_starts);
            for o in Outcome::ALL {
                prop_assert_eq!(sum(&|r| r.count(o)), row.count(o), "{}", o);
            }
            prop_assert!(flows.iter().all(|f| !f.stats.pool));
            for reason in rpasim_core::wait::WaitReason::ALL {
                let ms = |r: &rpasim_report::SummaryRow| r.reason_ms[reason.index()];
                prop_assert_eq!(flows.iter().map(|f| ms(&f.stats)).sum::<u128>(), ms(row));
            }
        }
        prop_assert_eq!(summary.flows.len(), spec.flows.len());
        // Where any run waited, the reasons' shares add up to 1.
        for row in summary.rows.iter().chain(summary.flows.iter().map(|f| &f.stats)) {
            let shares: Vec<f64> = rpasim_core::wait::WaitReason::ALL
                .iter()
                .filter_map(|r| row.reason_share(*r))
                .collect();
            if row.wait_hours() > 0.0 {
                prop_assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{:?}", shares);
            } else {
                prop_assert!(shares.is_empty());
            }
        }
    }
}
