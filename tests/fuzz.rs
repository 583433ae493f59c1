//! Fuzzing in `cargo test`: mutants of the bundled scenarios (the
//! rpasim-fuzz mutator) are parsed, and simulated when valid and small.
//! None may panic; every refusal names a line or a key; every simulated
//! run is counted in exactly one outcome. The campaign through the binary,
//! with time and memory limits, is `rpasim-fuzz`'s `fuzz-campaign`.

use crate::common;

use std::fs;

use common::{bundled_scenarios, repo, run_in, stderr};
use proptest::prelude::*;
use rpasim_core::Outcome;
use rpasim_report::Recorder;
use rpasim_scenario::build::limits;

/// Simulations larger than this are only parsed (a test must stay quick).
const SIMULATED_RUNS: f64 = 50_000.0;

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn a_mutant_is_simulated_or_refused_with_a_location(scenario in 0usize..64, seed: u64) {
        let all = bundled_scenarios();
        let (path, text) = &all[scenario % all.len()];
        let mutant = rpasim_fuzz::mutate(text, seed);
        let parsed = std::panic::catch_unwind(|| rpasim_scenario::parse(&mutant.text, path, &[]));
        let Ok(parsed) = parsed else {
            return Err(TestCaseError::fail(format!("parse panicked: {:?}", mutant.mutations)));
        };
        let scenario = match parsed {
            Err(e) => {
                for p in &e.problems {
                    prop_assert!(
                        p.line.is_some() || p.key.is_some(),
                        "no location: {} after {:?}", p, mutant.mutations
                    );
                }
                return Ok(());
            }
            Ok(s) => s,
        };
        let (runs, _, _) = limits::estimate(&scenario.spec);
        if runs > SIMULATED_RUNS {
            return Ok(());
        }
        let spec = scenario.spec.clone();
        let simulated = std::panic::catch_unwind(move || {
            // The wait reasons checked after every event, in every mutant.
            let sim = rpasim_core::Simulation::new(&spec, Recorder::summary_only(&spec))
                .expect("a parsed scenario is a valid model")
                .check_wait_reasons();
            let (recorder, report) = sim.run();
            (recorder.finish(&report).expect("in memory"), report)
        });
        let Ok((summary, report)) = simulated else {
            return Err(TestCaseError::fail(format!("simulation panicked: {:?}", mutant.mutations)));
        };
        let all_row = summary.all();
        let ended: u64 = Outcome::ALL.iter().map(|o| all_row.count(*o)).sum();
        prop_assert_eq!(ended, all_row.arrivals);
        prop_assert!(all_row.arrivals <= report.runs);
        prop_assert_eq!(all_row.started + all_row.not_started, all_row.arrivals);
    }
}

/// A few mutants through the binary: exit 0 or 2, and a located message.
#[test]
fn mutants_through_the_binary_exit_0_or_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    #[cfg(unix)]
    std::os::unix::fs::symlink(repo().join("scenarios/traces"), dir.path().join("traces"))
        .expect("traces");
    let all = bundled_scenarios();
    let mut refused = 0;
    for seed in 0..40u64 {
        let (_, text) = &all[seed as usize % all.len()];
        let mutant = rpasim_fuzz::mutate(text, seed);
        fs::write(dir.path().join("m.toml"), &mutant.text).expect("write");
        let o = run_in(dir.path(), &["validate", "m.toml"]);
        match o.status.code() {
            Some(0) => {}
            Some(2) => {
                refused += 1;
                let said = stderr(&o);
                assert!(
                    said.contains("m.toml:"),
                    "{said} after {:?}",
                    mutant.mutations
                );
                assert!(!said.contains("internal error"), "{said}");
            }
            other => panic!(
                "exit {other:?}: {} after {:?}",
                stderr(&o),
                mutant.mutations
            ),
        }
    }
    assert!(refused > 5 && refused < 40, "{refused} of 40 refused");
}
