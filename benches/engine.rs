//! Engine benchmarks: the event heap alone, and whole M/M/20 simulations
//! beside the floor: a minimal hand-written loop of the same model.
//!
//! Run with `cargo bench` (`cargo bench --bench engine -- mm20` for the
//! engine against the floor). Figures for a release build are also printed
//! by `rpasim run SCENARIO --stats`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use std::hint::black_box;
use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rpasim_core::event::EventQueue;
use rpasim_core::observer::CountingObserver;
use rpasim_core::{SimTime, Simulation};
use rpasim_report::Recorder;

/// M/M/20 at utilization 0.8 with mean run time 1 minute, about `runs` runs.
fn mm20(runs: u64) -> rpasim_scenario::Scenario {
    let hours = runs / 960;
    let mut text = format!(
        "[simulation]\nseed = 1\nhorizon = \"{hours}h\"\nsample_every = \"1h\"\n\n\
         [[machine_groups]]\nname = \"pool\"\n\n\
         [[flows]]\nname = \"work\"\ntarget = \"pool\"\n\
         duration = {{ exponential = {{ mean = \"1m\" }} }}\narrivals = {{ poisson = {{ per_hour = 960 }} }}\n"
    );
    for m in 0..10 {
        text.push_str(&format!(
            "\n[[machines]]\nname = \"m{m}\"\ngroup = \"pool\"\nbots = 2\n"
        ));
    }
    rpasim_scenario::parse(&text, Path::new("bench.toml"), &[]).expect("valid benchmark scenario")
}

fn event_queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_queue");
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("hold_1000_events_100k_ops", |b| {
        // The "hold" model: a steady population of pending events, each pop
        // scheduling a new one a pseudo-random time later.
        b.iter_batched(
            || {
                let mut q = EventQueue::new();
                for i in 0..1_000u64 {
                    q.schedule(SimTime::from_millis(i * 7_919 % 10_007), i);
                }
                q
            },
            |mut q| {
                let mut x = 1u64;
                for _ in 0..100_000 {
                    let (t, e) = q.pop_until(SimTime::MAX).expect("never empty");
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    q.schedule(SimTime::from_millis(t.as_millis() + (x >> 50)), e);
                }
                black_box(q.len())
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

/// The floor: M/M/20 as a minimal hand-written discrete-event loop (std
/// `BinaryHeap` of (time, sequence, event), ChaCha8 streams, exponential
/// draws, integer milliseconds, a FIFO queue), run for the horizon of
/// [`mm20`]`(runs)`. Returns the runs finished and their total wait (so
/// that nothing is optimised away). It is what the engine's design notes
/// measure: everything rpasim's engine does beyond it (runs with ids,
/// records, queue disciplines, selection policies, wait reasons, samples)
/// is its overhead.
fn hand_written_mm20(runs: u64) -> (u64, u64) {
    const ARRIVAL: u32 = 0;
    const END: u32 = 1;
    let horizon = runs / 960 * 3_600_000;
    let mut arrivals_rng = ChaCha8Rng::seed_from_u64(1);
    let mut durations_rng = ChaCha8Rng::seed_from_u64(2);
    let gap = Exp::new(960.0 / 3_600_000.0).expect("a positive rate");
    let duration = Exp::new(1.0 / 60_000.0).expect("a positive rate");
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut schedule = |heap: &mut BinaryHeap<_>, time: u64, event: u32| {
        heap.push(Reverse((time, seq, event)));
        seq += 1;
    };
    schedule(&mut heap, gap.sample(&mut arrivals_rng) as u64, ARRIVAL);
    let (mut free, mut queue) = (20u32, VecDeque::<u64>::new());
    let (mut finished, mut waited) = (0u64, 0u64);
    while let Some(Reverse((now, _, event))) = heap.pop() {
        if now > horizon {
            break;
        }
        if event == ARRIVAL {
            schedule(
                &mut heap,
                now + gap.sample(&mut arrivals_rng) as u64,
                ARRIVAL,
            );
            if free > 0 {
                free -= 1;
                schedule(
                    &mut heap,
                    now + duration.sample(&mut durations_rng) as u64,
                    END,
                );
            } else {
                queue.push_back(now);
            }
        } else {
            finished += 1;
            match queue.pop_front() {
                Some(arrived) => {
                    waited += now - arrived;
                    schedule(
                        &mut heap,
                        now + duration.sample(&mut durations_rng) as u64,
                        END,
                    );
                }
                None => free += 1,
            }
        }
    }
    (finished, waited)
}

fn simulation(c: &mut Criterion) {
    let s = mm20(100_000);
    let mut g = c.benchmark_group("mm20_100k_runs");
    g.sample_size(20);
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("hand_written_floor", |b| {
        b.iter(|| black_box(hand_written_mm20(100_000)));
    });
    g.bench_function("engine_only", |b| {
        b.iter(|| {
            let sim = Simulation::new(&s.spec, CountingObserver::default()).expect("valid");
            black_box(sim.run().0.finished)
        });
    });
    g.bench_function("with_summary_statistics", |b| {
        b.iter(|| {
            let sim = Simulation::new(&s.spec, Recorder::summary_only(&s.spec)).expect("valid");
            let (recorder, report) = sim.run();
            black_box(recorder.finish(&report).expect("no I/O").all().arrivals)
        });
    });
    g.finish();
}

/// `machines` standalone machines of one bot, each with its own flow (0.8
/// runs an hour, 10-minute runs), for `hours`: about `19.2 * machines *
/// hours / 24` runs spread over as many targets.
fn many_targets(machines: usize, hours: u64) -> rpasim_scenario::Scenario {
    let mut text =
        format!("[simulation]\nseed = 1\nhorizon = \"{hours}h\"\nsample_every = \"1h\"\n");
    for m in 0..machines {
        text.push_str(&format!(
            "\n[[machines]]\nname = \"vm{m:05}\"\nbots = 1\n\n\
             [[flows]]\nname = \"f{m:05}\"\ntarget = \"vm{m:05}\"\n\
             duration = {{ exponential = {{ mean = \"10m\" }} }}\n\
             arrivals = {{ poisson = {{ per_hour = 0.8 }} }}\n"
        ));
    }
    rpasim_scenario::parse(&text, Path::new("many.toml"), &[]).expect("valid benchmark scenario")
}

/// The same number of runs on one target (a pool of 20 one-bot machines,
/// 8,000 runs an hour of 8.1 s) as [`many_targets`]`(10_000, hours)`.
fn one_pool(hours: u64) -> rpasim_scenario::Scenario {
    let mut text = format!(
        "[simulation]\nseed = 1\nhorizon = \"{hours}h\"\nsample_every = \"1h\"\n\n\
         [[machine_groups]]\nname = \"pool\"\n\n\
         [[flows]]\nname = \"work\"\ntarget = \"pool\"\n\
         duration = {{ exponential = {{ mean = \"8100ms\" }} }}\narrivals = {{ poisson = {{ per_hour = 8000 }} }}\n"
    );
    for m in 0..20 {
        text.push_str(&format!(
            "\n[[machines]]\nname = \"m{m}\"\ngroup = \"pool\"\nbots = 1\n"
        ));
    }
    rpasim_scenario::parse(&text, Path::new("pool.toml"), &[]).expect("valid benchmark scenario")
}

/// The cost of targets: as many runs (about 192k, one simulated day) on
/// 10,000 targets and on one. The README's "flat in targets" figure.
fn targets(c: &mut Criterion) {
    let mut g = c.benchmark_group("192k_runs_engine_only");
    g.sample_size(10);
    g.throughput(Throughput::Elements(192_000));
    for (name, s) in [
        ("one_pool", one_pool(24)),
        ("10k_targets", many_targets(10_000, 24)),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let sim = Simulation::new(&s.spec, CountingObserver::default()).expect("valid");
                black_box(sim.run().0.finished)
            });
        });
    }
    g.finish();
}

criterion_group!(benches, event_queue, simulation, targets);
criterion_main!(benches);
