//! The integration tests, as one test binary: each module is a file of
//! `tests/` (the binary, the scenario format, the outputs, queueing
//! theory, properties). One binary links the workspace's libraries once
//! and builds `common` once, where a binary per file linked them 22 times
//! (`Cargo.toml` sets `autotests = false`; `every_file_is_a_module` below
//! makes sure a new file of `tests/` is not left out).

mod common;

mod build;
mod charts;
mod cli;
mod empirical;
mod every_key;
mod files;
mod fuzz;
mod goals;
mod hosted_properties;
mod import;
mod inputs;
mod memory;
mod operations;
mod operations_properties;
mod plan;
mod properties;
mod python_package;
mod readme;
mod schema;
mod shell;
mod sweep;
mod theory;
mod verdicts;
mod wait_reasons;

/// Every `.rs` file of `tests/` is a module above: with `autotests = false`
/// a file not declared here would never be compiled, so its tests would
/// silently not run.
#[test]
fn every_file_is_a_module() {
    let dir = common::repo().join("tests");
    let this = include_str!("integration.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/") {
        let path = entry.expect("entry").path();
        let (Some(stem), Some("rs")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if stem != "integration" && !this.contains(&format!("\nmod {stem};\n")) {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "files of tests/ that no test binary compiles; add to tests/integration.rs: {}",
        missing
            .iter()
            .map(|m| format!("`mod {m};`"))
            .collect::<Vec<_>>()
            .join(" ")
    );
}
