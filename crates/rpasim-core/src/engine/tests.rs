//! Hand-computed timelines, exact to the millisecond.

use super::*;
use crate::arrival::ArrivalProcess;
use crate::distribution::Distribution;
use crate::ids::{EnvironmentId, MachineId};
use crate::model::{EnvironmentSpec, FlowSpec, MachineSpec, SchedulerSpec, TargetKind, TargetSpec};
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
        environments: vec![EnvironmentSpec::named("e")],
        targets: vec![TargetSpec {
            name: "pc".into(),
            kind: TargetKind::Machine,
            environment: EnvironmentId(0),
            queue_capacity: capacity,
            queue_timeout: queue_timeout.map(|m| SimDuration::from_millis(m * MIN)),
            run_timeout: run_timeout.map(|m| SimDuration::from_millis(m * MIN)),
            selection: SelectionPolicy::Random,
            options: Default::default(),
        }],
        machines: vec![MachineSpec {
            name: "pc".into(),
            target: TargetId(0),
            bots,
            hosted: None,
            options: Default::default(),
        }],
        flows: Vec::new(),
        hosted_groups: Vec::new(),
        events: Vec::new(),
        prices: None,
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
        attended: false,
        arrivals: ArrivalProcess::At(at.iter().map(|m| SimTime::from_millis(m * MIN)).collect()),
        recorded: None,
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

mod hosted {
    //! Hosted groups: cold starts, waves, capacity sharing, expiry, images.

    use super::*;
    use crate::model::{Action, HostedGroupSpec, ScaleIn, TimelineEvent};
    use crate::run::Host;

    const HOUR: u64 = 60 * MIN;

    /// Hosted groups (name, committed, max) sharing `capacity`, 10-minute
    /// provisioning, 3-hour cold threshold, 28-day expiry.
    fn model(capacity: u32, groups: &[(&str, u32, u32)], horizon_hours: u64) -> ModelSpec {
        let mut env = EnvironmentSpec::named("e");
        env.hosted_capacity = capacity;
        let mut spec = super::model(1, 500, None, None);
        spec.horizon = SimTime::from_millis(horizon_hours * HOUR);
        spec.environments = vec![env];
        spec.machines.clear();
        spec.targets = groups
            .iter()
            .map(|(name, _, _)| TargetSpec {
                name: (*name).into(),
                kind: TargetKind::HostedGroup,
                queue_timeout: None,
                ..spec.targets[0].clone()
            })
            .collect();
        spec.hosted_groups = groups
            .iter()
            .enumerate()
            .map(|(i, (_, committed, max))| HostedGroupSpec {
                target: TargetId::from_index(i),
                committed_bots: *committed,
                max_bots: *max,
                provisioning: Distribution::Constant(SimDuration::from_mins(10)),
                idle_cold_after: SimDuration::from_hours(3),
                expire_after_idle: Some(SimDuration::from_days(28)),
                scale_in: ScaleIn::Warm,
            })
            .collect();
        spec
    }

    fn flow_on(target: u32, name: &str, minutes: u64, at_minutes: &[u64]) -> FlowSpec {
        let mut f = flow(name, Priority::NORMAL, minutes, at_minutes);
        f.target = TargetId(target);
        f
    }

    fn starts(runs: &[RunRecord], target: u32) -> Vec<u64> {
        let mut s: Vec<u64> = runs
            .iter()
            .filter(|r| r.target == TargetId(target))
            .filter_map(|r| r.start.map(|t| t.as_millis()))
            .collect();
        s.sort_unstable();
        s
    }

    #[test]
    fn cold_group_warm_reuse_and_cold_again_after_three_hours() {
        let mut spec = model(5, &[("g", 0, 5)], 12);
        // Run 1 at 0 (30 min); run 2 two hours after run 1 ended (at 40 min);
        // run 3 three hours and one minute after run 2 ended.
        let end1 = 40;
        let arrive2 = end1 + 120;
        let end2 = arrive2 + 30;
        let arrive3 = end2 + 181;
        spec.flows.push(flow_on(0, "f", 30, &[0, arrive2, arrive3]));
        let (runs, _) = run(&spec);
        assert_eq!(
            runs[0].start,
            Some(SimTime::from_millis(600_000)),
            "a cold group provisions first"
        );
        assert_eq!(runs[0].cold_start, Some(SimDuration::from_mins(10)));
        assert_eq!(
            runs[1].wait(),
            Some(SimDuration::ZERO),
            "warm 2 h after the last use"
        );
        assert_eq!(runs[1].cold_start, None);
        assert_eq!(
            runs[2].wait(),
            Some(SimDuration::from_secs(600)),
            "cold again after 3 h"
        );
        assert_eq!(
            runs[2].start.map(|t| t.as_millis()),
            Some((arrive3 + 10) * MIN)
        );
    }

    #[test]
    fn burst_on_five_bots_runs_in_waves_and_bot_hours_add_up() {
        let mut spec = model(5, &[("g", 0, 5)], 10);
        spec.flows.push(flow_on(0, "burst", 30, &[0; 20]));
        let (runs, report) = run(&spec);
        let waves: Vec<u64> = starts(&runs, 0).iter().map(|ms| ms / MIN).collect();
        let expected: Vec<u64> = [10, 40, 70, 100].iter().flat_map(|w| [*w; 5]).collect();
        assert_eq!(waves, expected);
        let slots: std::collections::BTreeSet<u16> = runs
            .iter()
            .filter_map(|r| r.placement.map(|p| p.bot))
            .collect();
        assert_eq!(slots.len(), 5, "exactly five bots");
        assert_eq!(runs.iter().filter(|r| r.cold_start.is_some()).count(), 5);
        // Five bots from 0 until cold at 130 min + 3 h = 310 min.
        assert_eq!(report.targets[0].available_bot_ms, 5 * 310 * MIN);
        assert_eq!(report.targets[0].busy_bot_ms, 20 * 30 * MIN);
    }

    #[test]
    fn committed_bots_are_kept_and_idle_shared_bots_are_reclaimed() {
        // A (committed 2) and B share 4 add-ons; both get 10 half-hour runs at 0.
        let mut spec = model(4, &[("a", 2, 4), ("b", 0, 4)], 10);
        spec.flows.push(flow_on(0, "fa", 30, &[0; 10]));
        spec.flows.push(flow_on(1, "fb", 30, &[0; 10]));
        let (runs, _) = run(&spec);
        let minutes = |v: Vec<u64>| v.iter().map(|ms| ms / MIN).collect::<Vec<_>>();
        // First come first served: A asked first (declared first), so it
        // takes its 2 committed bots and the 2 shared ones.
        assert_eq!(
            minutes(starts(&runs, 0)),
            vec![10, 10, 10, 10, 40, 40, 40, 40, 70, 70]
        );
        // At 70 two of A's shared bots go idle: reclaimed for B, ready at 80.
        assert_eq!(
            minutes(starts(&runs, 1)),
            vec![80, 80, 110, 110, 140, 140, 170, 170, 200, 200]
        );
        let b_slots: std::collections::BTreeSet<u16> = runs
            .iter()
            .filter(|r| r.target == TargetId(1))
            .filter_map(|r| r.placement.map(|p| p.bot))
            .collect();
        assert_eq!(b_slots.len(), 2, "B never exceeds the shared pool");
        assert!(
            runs.iter()
                .all(|r| matches!(r.placement.map(|p| p.host), Some(Host::HostedGroup(_))))
        );
    }

    #[test]
    fn a_group_idle_for_28_days_expires_and_one_used_every_27_days_does_not() {
        let day = 24 * 60;
        let mut spec = model(2, &[("idle", 0, 2), ("busy", 0, 2)], 100 * 24);
        // "idle": a run at 0 (ends at 40 min), the next 28 days and 1 minute later.
        spec.flows.push(flow_on(
            0,
            "rare",
            30,
            &[0, 40 + 28 * day + 1, 40 + 60 * day],
        ));
        spec.flows.push(flow_on(
            1,
            "monthly",
            30,
            &[0, 27 * day, 54 * day, 81 * day],
        ));
        let (runs, _) = run(&spec);
        let outcomes = |t: u32| {
            runs.iter()
                .filter(|r| r.target == TargetId(t))
                .map(|r| r.outcome)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            outcomes(0),
            vec![
                Outcome::Succeeded,
                Outcome::GroupExpired,
                Outcome::GroupExpired
            ]
        );
        assert_eq!(outcomes(1), vec![Outcome::Succeeded; 4]);
    }

    #[test]
    fn image_update_reprovisions_busy_bots_when_their_runs_end() {
        let mut spec = model(3, &[("g", 0, 3)], 10);
        // Three runs start at 10 min and end at 50, 60 and 70 min.
        spec.flows.push(flow_on(0, "r40", 40, &[0]));
        spec.flows.push(flow_on(0, "r50", 50, &[0]));
        spec.flows.push(flow_on(0, "r60", 60, &[0]));
        // Two more arrive at 45 min, after the update at 30 min.
        spec.flows.push(flow_on(0, "late", 30, &[45, 45]));
        spec.events.push(TimelineEvent {
            at: SimTime::from_millis(30 * MIN),
            action: Action::UpdateImage {
                group: TargetId(0),
                image: "v2".into(),
                provisioning: None,
            },
        });
        let (runs, _) = run(&spec);
        let ends: Vec<_> = runs[..3]
            .iter()
            .map(|r| (r.outcome, minutes(r.end)))
            .collect();
        assert_eq!(
            ends,
            vec![
                (Outcome::Succeeded, Some(50)),
                (Outcome::Succeeded, Some(60)),
                (Outcome::Succeeded, Some(70))
            ],
            "no run is cut short"
        );
        // Each bot reprovisions from its run's end (10 min), so the late runs
        // start at 60 and 70 min, not at 50 and 60.
        assert_eq!(minutes(runs[3].start), Some(60));
        assert_eq!(minutes(runs[4].start), Some(70));
        assert_eq!(runs[3].cold_start, Some(SimDuration::from_mins(10)));
    }

    #[test]
    fn immediate_scale_in_deprovisions_idle_bots_at_once() {
        let mut spec = model(5, &[("g", 0, 5)], 10);
        spec.hosted_groups[0].scale_in = ScaleIn::Immediate;
        spec.flows.push(flow_on(0, "f", 30, &[0, 60]));
        let (runs, report) = run(&spec);
        // Each run waits for its own bot, which lives 10 + 30 minutes.
        assert_eq!(minutes(runs[1].start), Some(70));
        assert_eq!(report.targets[0].available_bot_ms, 2 * 40 * MIN);
    }

    #[test]
    fn an_updated_image_brings_its_own_provisioning_time() {
        let mut spec = model(3, &[("g", 0, 3)], 10);
        spec.flows.push(flow_on(0, "before", 10, &[0]));
        spec.flows.push(flow_on(0, "after", 10, &[30]));
        spec.hosted_groups[0].scale_in = ScaleIn::Immediate;
        spec.events.push(TimelineEvent {
            at: SimTime::from_millis(25 * MIN),
            action: Action::UpdateImage {
                group: TargetId(0),
                image: "slow".into(),
                provisioning: Some(Distribution::Constant(SimDuration::from_mins(25))),
            },
        });
        let (runs, _) = run(&spec);
        assert_eq!(minutes(runs[0].start), Some(10), "old image: 10 minutes");
        assert_eq!(minutes(runs[1].start), Some(55), "new image: 25 minutes");
    }
}

mod hosted_machines {
    //! Hosted machines: provisioning, restarts, deletion after inactivity.

    use super::*;
    use crate::model::{Action, HostedMachineSpec, TimelineEvent};

    const DAY: u64 = 24 * 60;

    /// One standalone hosted machine (1 bot, 30-minute provisioning) in an
    /// environment with `capacity` add-ons.
    fn model(capacity: u32, delete_after_days: Option<u64>) -> ModelSpec {
        let mut spec = super::model(1, 500, None, None);
        spec.horizon = SimTime::from_millis(40 * DAY * MIN);
        spec.environments[0].hosted_capacity = capacity;
        spec.targets[0].kind = TargetKind::HostedMachine;
        spec.machines[0].hosted = Some(HostedMachineSpec {
            provisioning: Distribution::Constant(SimDuration::from_mins(30)),
            delete_after_idle: delete_after_days.map(SimDuration::from_days),
        });
        spec
    }

    #[test]
    fn runs_wait_for_provisioning_and_a_restart_loses_running_runs() {
        let mut spec = model(1, None);
        spec.flows.push(flow("early", Priority::NORMAL, 10, &[0]));
        spec.flows
            .push(flow("interrupted", Priority::NORMAL, 20, &[45]));
        spec.flows.push(flow("during", Priority::NORMAL, 10, &[52]));
        spec.events.push(TimelineEvent {
            at: SimTime::from_millis(50 * MIN),
            action: Action::Restart {
                machine: MachineId(0),
                duration: SimDuration::from_mins(5),
            },
        });
        let (runs, report) = run(&spec);
        let got: Vec<_> = runs
            .iter()
            .map(|r| (r.outcome, minutes(r.start), minutes(r.end)))
            .collect();
        assert_eq!(
            got,
            vec![
                (Outcome::Succeeded, Some(30), Some(40)),
                (Outcome::MachineLost, Some(45), Some(50)),
                (Outcome::Succeeded, Some(55), Some(65)),
            ]
        );
        // Available from 30 to 50 and from 55 on.
        let horizon = 40 * DAY;
        assert_eq!(
            report.targets[0].available_bot_ms,
            (20 + horizon - 55) * MIN
        );
    }

    #[test]
    fn idle_hosted_machines_are_deleted_only_when_the_scenario_says() {
        let arrivals = [0, 40 + 14 * DAY + 1, 40 + 20 * DAY];
        let mut spec = model(0, Some(14));
        spec.flows.push(flow("f", Priority::NORMAL, 10, &arrivals));
        let (runs, _) = run(&spec);
        let outcomes: Vec<_> = runs.iter().map(|r| r.outcome).collect();
        assert_eq!(
            outcomes,
            vec![
                Outcome::Succeeded,
                Outcome::MachineExpired,
                Outcome::MachineExpired
            ]
        );

        let mut spec = model(1, None);
        spec.flows.push(flow("f", Priority::NORMAL, 10, &arrivals));
        let (runs, _) = run(&spec);
        assert!(runs.iter().all(|r| r.outcome == Outcome::Succeeded));
    }

    #[test]
    fn a_deleted_hosted_machine_leaves_its_group() {
        let mut spec = model(0, Some(1));
        spec.targets[0].kind = TargetKind::MachineGroup;
        spec.machines.push(MachineSpec {
            name: "registered".into(),
            target: TargetId(0),
            bots: 1,
            hosted: None,
            options: Default::default(),
        });
        // Two runs a day apart: the hosted machine (never used after the
        // first minutes) is deleted, the group keeps its registered machine.
        spec.flows
            .push(flow("f", Priority::NORMAL, 60, &[31, 31, 3 * DAY, 3 * DAY]));
        let (runs, _) = run(&spec);
        let starts: Vec<_> = runs.iter().map(|r| (r.outcome, minutes(r.start))).collect();
        assert_eq!(
            starts,
            vec![
                (Outcome::Succeeded, Some(31)),
                (Outcome::Succeeded, Some(31)),
                (Outcome::Succeeded, Some(3 * DAY)),
                (Outcome::Succeeded, Some(3 * DAY + 60)),
            ]
        );
    }
}

/// Prefetching is only a hint: with it and without, many machines with a
/// random flow each give the same runs, to the millisecond.
#[test]
fn prefetching_changes_no_run() {
    let machines = 600;
    let mut spec = model(1, 10, Some(30), None);
    spec.horizon = SimTime::from_millis(24 * 60 * MIN);
    spec.targets = (0..machines)
        .map(|i| TargetSpec {
            name: format!("pc{i}"),
            ..spec.targets[0].clone()
        })
        .collect();
    spec.machines = (0..machines)
        .map(|i| MachineSpec {
            name: format!("pc{i}"),
            target: TargetId(i),
            ..spec.machines[0].clone()
        })
        .collect();
    spec.flows = (0..machines)
        .map(|i| FlowSpec {
            target: TargetId(i),
            duration: Distribution::Exponential {
                mean: SimDuration::from_mins(10),
            },
            arrivals: ArrivalProcess::Poisson {
                per_hour: 4.0,
                profile: None,
            },
            ..flow(&format!("f{i}"), 0, 1, &[])
        })
        .collect();
    let with = |on: bool| {
        let mut sim = Simulation::new(&spec, Records::default()).expect("valid");
        assert!(sim.prefetching, "this model outgrows a core's cache");
        sim.prefetching = on;
        let (records, report) = sim.run();
        (records.0, report.events)
    };
    let (on, off) = (with(true), with(false));
    assert!(on.0.len() > 50_000, "{} runs", on.0.len());
    assert_eq!(on, off);
}

/// A policy that counts how often it is asked, then takes the first.
#[derive(Debug)]
struct Counting(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl MachineSelection for Counting {
    fn select(&mut self, _: &crate::selection::Candidates<'_>, _: &mut SimRng) -> usize {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        0
    }
}

/// Runs `spec` with a counting policy on target 0: how often it was asked,
/// and the runs.
fn asked(spec: &ModelSpec) -> (usize, Vec<RunRecord>) {
    let count = std::sync::Arc::default();
    let mut sim = Simulation::new(spec, Records::default()).expect("valid");
    sim.set_selection(
        TargetId(0),
        Box::new(Counting(std::sync::Arc::clone(&count))),
    );
    let (records, _) = sim.run();
    (count.load(std::sync::atomic::Ordering::Relaxed), records.0)
}

/// A target with one machine takes it without asking its policy (the only
/// choice); a group of two asks once per run started.
#[test]
fn only_a_target_with_several_machines_asks_its_policy() {
    let mut spec = model(2, 500, None, None);
    spec.flows
        .push(flow("f", Priority::NORMAL, 10, &[0, 0, 0, 5]));
    let (times, runs) = asked(&spec);
    assert_eq!(times, 0);
    assert_eq!(runs.iter().filter(|r| r.start.is_some()).count(), 4);

    spec.targets[0].kind = TargetKind::MachineGroup;
    spec.machines[0].bots = 1;
    spec.machines.push(MachineSpec {
        name: "pc2".into(),
        ..spec.machines[0].clone()
    });
    let (times, runs) = asked(&spec);
    assert_eq!(runs.iter().filter(|r| r.start.is_some()).count(), 4);
    assert_eq!(times, 4);
}

/// The fleet keeps a group's free machines sorted only for a policy that
/// takes the first in an order and has machines to choose between, and a
/// queue keeps its runs by kind only where attended runs can wait: each
/// index serves where it is kept, and costs nothing elsewhere.
#[test]
fn indexes_are_kept_where_they_serve() {
    let mut spec = model(1, 500, None, None);
    spec.targets[0].kind = TargetKind::MachineGroup;
    spec.targets[0].selection = SelectionPolicy::LeastRecentlyUsed;
    spec.machines.push(MachineSpec {
        name: "pc2".into(),
        ..spec.machines[0].clone()
    });
    spec.flows.push(flow("f", Priority::NORMAL, 10, &[0]));
    let kept = |spec: &ModelSpec| {
        let sim = Simulation::new(spec, Records::default()).expect("valid");
        (
            sim.fleet.kept_order(TargetId(0)),
            sim.targets[0].queue.keeps_kinds(),
        )
    };
    use crate::selection::FreeOrder;
    assert_eq!(kept(&spec), (Some(FreeOrder::LeastRecentlyUsed), false));
    spec.targets[0].selection = SelectionPolicy::RoundRobin;
    assert_eq!(kept(&spec).0, Some(FreeOrder::MachineId));
    spec.targets[0].selection = SelectionPolicy::MostFreeBots;
    assert_eq!(kept(&spec).0, Some(FreeOrder::MostFreeBots));
    spec.targets[0].selection = SelectionPolicy::Random;
    assert_eq!(kept(&spec).0, None);

    // A policy replaced by one that declares no order: none kept.
    spec.targets[0].selection = SelectionPolicy::LeastRecentlyUsed;
    let mut sim = Simulation::new(&spec, Records::default()).expect("valid");
    let count = std::sync::Arc::default();
    sim.set_selection(TargetId(0), Box::new(Counting(count)));
    assert_eq!(sim.fleet.kept_order(TargetId(0)), None);

    // One machine: no choice, no order; an attended flow: runs by kind.
    let mut spec = model(2, 500, None, None);
    spec.targets[0].selection = SelectionPolicy::LeastRecentlyUsed;
    spec.flows.push(FlowSpec {
        attended: true,
        ..flow("desk", Priority::NORMAL, 10, &[0])
    });
    assert_eq!(kept(&spec), (None, true));
}

/// A run asked never to stop is the run; asked to stop, it stops at the
/// first question answered no, having asked every `ASK_EVERY_EVENTS`.
#[test]
fn run_while_asks_every_so_many_events_and_stops_when_told() {
    // 100,000 one-minute runs a minute apart on one bot: two events each,
    // and a sample every 10 minutes from 0 to the horizon (20,001).
    let mut spec = model(1, 10, None, None);
    spec.horizon = SimTime::from_millis(200_000 * MIN);
    let at: Vec<u64> = (0..100_000).collect();
    spec.flows.push(flow("f", 0, 1, &at));
    let (records, report) = run(&spec);
    let mut asked = 0u64;
    let mut times = Vec::new();
    let (mut again, report_again) = Simulation::new(&spec, Records::default())
        .expect("valid")
        .run_while(|now| {
            asked += 1;
            times.push(now.as_millis());
            true
        })
        .expect("never told to stop");
    again.0.sort_by_key(|r| r.id);
    assert_eq!(report.events, 220_001);
    assert_eq!(again.0, records);
    assert_eq!(report_again, report);
    assert_eq!(asked, report.events / ASK_EVERY_EVENTS);
    assert_eq!(asked, 3);
    // Asked with the time reached: later each time, within the horizon.
    assert!(times.windows(2).all(|t| t[0] < t[1]), "{times:?}");
    assert!(
        times[0] > 0 && times[2] < spec.horizon.as_millis(),
        "{times:?}"
    );

    let mut asked = 0u64;
    let stopped = Simulation::new(&spec, Records::default())
        .expect("valid")
        .run_while(|_| {
            asked += 1;
            asked < 2
        });
    assert!(stopped.is_none());
    assert_eq!(asked, 2, "no question after the no");
}
