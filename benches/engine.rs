//! Engine benchmarks: the event heap alone, and whole M/M/20 simulations.
//!
//! Run with `cargo bench`. Figures for a release build are also printed by
//! `rpasim run SCENARIO --stats`.

use std::hint::black_box;
use std::path::Path;

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

fn simulation(c: &mut Criterion) {
    let s = mm20(100_000);
    let mut g = c.benchmark_group("mm20_100k_runs");
    g.sample_size(20);
    g.throughput(Throughput::Elements(100_000));
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

criterion_group!(benches, event_queue, simulation);
criterion_main!(benches);
