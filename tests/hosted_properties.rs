//! Invariants of hosted groups and hosted capacity over random scenarios
//! (proptest): image updates, restarts, both capacity policies, both
//! scale-in settings.

use crate::common;

use std::collections::BTreeMap;

use common::simulate_watched;
use proptest::prelude::*;
use rpasim_core::arrival::ArrivalProcess;
use rpasim_core::distribution::Distribution;
use rpasim_core::model::{
    Action, CapacityPolicyKind, EnvironmentSpec, FlowSpec, HostedGroupSpec, HostedMachineSpec,
    MachineSpec, ModelSpec, ScaleIn, SchedulerSpec, TargetKind, TargetSpec, TimelineEvent,
};
use rpasim_core::observer::EnvironmentSample;
use rpasim_core::run::{Host, Priority};
use rpasim_core::selection::SelectionPolicy;
use rpasim_core::{
    EnvironmentId, MachineId, Observer, RunRecord, SimDuration, SimTime, TargetId, TargetSample,
};

/// Checks every sample (one a minute) against the capacity rules.
#[derive(Debug, Default)]
struct Watch {
    /// (committed, max) of hosted group targets.
    groups: BTreeMap<TargetId, (u32, u32)>,
    violations: Vec<String>,
}

impl Observer for Watch {
    fn run_finished(&mut self, _record: &RunRecord) {}

    fn sample(
        &mut self,
        time: SimTime,
        targets: &[TargetSample],
        environments: &[EnvironmentSample],
    ) {
        for e in environments {
            if e.used > e.capacity {
                self.violations.push(format!(
                    "{time}: environment uses {} of {}",
                    e.used, e.capacity
                ));
            }
        }
        for s in targets {
            let Some((committed, max)) = self.groups.get(&s.target).copied() else {
                continue;
            };
            let total = s.bots_ready + s.bots_provisioning + s.bots_busy;
            if total > max {
                self.violations.push(format!(
                    "{time}: {:?} has {total} bots, max {max}",
                    s.target
                ));
            }
            let unserved = s.queued > s.bots_ready + s.bots_provisioning;
            if unserved && total < committed {
                self.violations.push(format!(
                    "{time}: {:?} has waiting runs and {total} bots, below its {committed} committed",
                    s.target
                ));
            }
        }
    }
}

fn minutes(m: u64) -> SimDuration {
    SimDuration::from_mins(m)
}

fn provisioning() -> impl Strategy<Value = Distribution> {
    prop_oneof![
        (1u64..20).prop_map(|m| Distribution::Constant(minutes(m))),
        (1u64..10, 0u64..10).prop_map(|(a, b)| Distribution::Uniform {
            min: minutes(a),
            max: minutes(a + b)
        }),
    ]
}

prop_compose! {
    fn group()(
        max_bots in 1u32..5,
        committed in 0u32..3,
        provisioning in provisioning(),
        cold in 10u64..200,
        expire in prop::option::of(300u64..3_000),
        immediate in any::<bool>(),
    ) -> HostedGroupSpec {
        HostedGroupSpec {
            target: TargetId(0),
            committed_bots: committed.min(max_bots),
            max_bots,
            provisioning,
            idle_cold_after: minutes(cold),
            expire_after_idle: expire.map(minutes),
            scale_in: if immediate { ScaleIn::Immediate } else { ScaleIn::Warm },
        }
    }
}

prop_compose! {
    fn model()(
        groups in prop::collection::vec(group(), 1..4),
        extra_capacity in 0u32..4,
        hosted_machine in any::<bool>(),
        proportional in any::<bool>(),
        flows in prop::collection::vec((any::<prop::sample::Index>(), 1u64..60, 0.5f64..20.0, 1u32..6), 1..5),
        updates in prop::collection::vec((any::<prop::sample::Index>(), 0u64..3_000), 0..3),
        restarts in prop::collection::vec((0u64..3_000, 1u64..30), 0..3),
        seed in any::<u64>(),
    ) -> ModelSpec {
        let committed: u32 = groups.iter().map(|g| g.committed_bots).sum();
        let widest = groups.iter().map(|g| g.max_bots).max().unwrap_or(1);
        let machines = u32::from(hosted_machine);
        let capacity = (committed + machines).max(widest) + extra_capacity;
        let mut env = EnvironmentSpec::named("env");
        env.hosted_capacity = capacity;
        env.capacity_policy = if proportional { CapacityPolicyKind::ProportionalToQueue } else { CapacityPolicyKind::FirstComeFirstServed };
        let target = |name: String, kind| TargetSpec {
            name,
            kind,
            environment: EnvironmentId(0),
            queue_capacity: 20,
            queue_timeout: Some(SimDuration::from_hours(3)),
            run_timeout: Some(SimDuration::from_hours(2)),
            selection: SelectionPolicy::Random, options: Default::default(),
        };
        let mut spec = ModelSpec {
            seed,
            horizon: SimTime::ZERO + SimDuration::from_hours(60),
            warmup: SimTime::ZERO,
            sample_every: minutes(1),
            scheduler: SchedulerSpec::default(),
            environments: vec![env],
            targets: Vec::new(),
            machines: Vec::new(),
            flows: Vec::new(),
            hosted_groups: Vec::new(),
            events: Vec::new(),
            prices: None,
        };
        for (i, mut g) in groups.into_iter().enumerate() {
            g.target = TargetId::from_index(i);
            spec.targets.push(target(format!("g{i}"), TargetKind::HostedGroup));
            spec.hosted_groups.push(g);
        }
        if hosted_machine {
            spec.targets.push(target("hm".into(), TargetKind::HostedMachine));
            spec.machines.push(MachineSpec {
                name: "hm".into(),
                target: TargetId::from_index(spec.targets.len() - 1),
                bots: 2,
                hosted: Some(HostedMachineSpec { provisioning: Distribution::Constant(minutes(30)), delete_after_idle: None }), options: Default::default(),
            });
            for (at, duration) in restarts {
                spec.events.push(TimelineEvent {
                    at: SimTime::ZERO + minutes(at),
                    action: Action::Restart { machine: MachineId(0), duration: minutes(duration) },
                });
            }
        }
        for (i, (t, mean, per_hour, burst)) in flows.into_iter().enumerate() {
            let arrivals = if i % 2 == 0 {
                ArrivalProcess::Poisson { per_hour, profile: None }
            } else {
                ArrivalProcess::Every { start: SimTime::ZERO + minutes(5), every: minutes(240), burst }
            };
            spec.flows.push(FlowSpec {
                name: format!("f{i}"),
                target: TargetId::from_index(t.index(spec.targets.len())),
                priority: Priority::NORMAL,
                duration: Distribution::Exponential { mean: minutes(mean) },
                failure_probability: 0.0,
                attended: false,
                arrivals,
                recorded: None,
            });
        }
        let groups = spec.hosted_groups.len();
        for (g, at) in updates {
            spec.events.push(TimelineEvent {
                at: SimTime::ZERO + minutes(at),
                action: Action::UpdateImage { group: TargetId::from_index(g.index(groups)), image: "v2".into(), provisioning: None },
            });
        }
        spec
    }
}

fn simulate(spec: &ModelSpec) -> (Vec<RunRecord>, Watch, u64) {
    let watch = Watch {
        groups: spec
            .hosted_groups
            .iter()
            .map(|g| (g.target, (g.committed_bots, g.max_bots)))
            .collect(),
        violations: Vec::new(),
    };
    simulate_watched(spec, watch)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn capacity_max_bots_and_commitments_hold(spec in model()) {
        let (runs, watch, arrived) = simulate(&spec);
        prop_assert!(watch.violations.is_empty(), "{:?}", &watch.violations[..watch.violations.len().min(5)]);
        // Run conservation: exactly one record per arrival.
        prop_assert_eq!(runs.len() as u64, arrived);
        for (i, r) in runs.iter().enumerate() {
            prop_assert_eq!(r.id, i as u64);
        }
        // No bot (machine bot or hosted slot) runs two runs at once.
        let mut busy: BTreeMap<(Host, u16), Vec<(SimTime, SimTime)>> = BTreeMap::new();
        for r in &runs {
            if let (Some(start), Some(p)) = (r.start, r.placement) {
                prop_assert!(start >= r.arrival);
                if let Host::HostedGroup(t) = p.host {
                    prop_assert_eq!(t, r.target);
                    let max = spec.hosted_groups.iter().find(|g| g.target == t).map_or(0, |g| g.max_bots);
                    prop_assert!(u32::from(p.bot) >= 1 && u32::from(p.bot) <= max, "slot {} of max {}", p.bot, max);
                }
                busy.entry((p.host, p.bot)).or_default().push((start, r.end.unwrap_or(spec.horizon)));
            }
            if let Some(cold) = r.cold_start {
                prop_assert!(r.wait().is_some_and(|w| w >= cold), "a cold start waits at least its provisioning");
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
}
