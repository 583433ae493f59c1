//! The README's two commands share one build: every crate the binary is
//! built with has the same features when `cargo test --workspace` builds it
//! with the tests' dev-dependencies (the features listed in `Cargo.toml` as
//! "not used by the binary"). A crate with other features there is built a
//! second time, and with it everything above it, `rpasim-core` included.
//! The Python package's native crate, built in the workspace's target
//! directory by `.ci/run` and the README's tip, is checked the same way (it
//! then shares the registry's crates with the workspace's build).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::common::repo;

/// Each package `cargo tree` lists with `args` (name and version), with the
/// sets of features it is built with (two when the compiler's side, for
/// procedural macros, differs from the target's); an error when `cargo tree`
/// fails, offline and then online, with what it said.
fn features(args: &[&str]) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let tree = |offline: bool| {
        let mut command = Command::new(&cargo);
        command.current_dir(repo()).args(["tree", "--locked"]);
        if offline {
            // What the build downloaded is enough for its own trees.
            command.arg("--offline");
        }
        command
            .args(["--prefix", "none", "--format", "{p}|{f}"])
            .args(args)
            .output()
            .expect("cargo runs")
    };
    let out = Some(tree(true))
        .filter(|o| o.status.success())
        .unwrap_or_else(|| tree(false));
    if !out.status.success() {
        return Err(format!(
            "cargo tree {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).expect("UTF-8").lines() {
        let Some((package, features)) = line.trim_end_matches(" (*)").split_once('|') else {
            continue;
        };
        // "name vX.Y.Z (path or proc-macro)": the name and version.
        let id = package.split(' ').take(2).collect::<Vec<_>>().join(" ");
        packages.entry(id).or_default().insert(features.to_string());
    }
    Ok(packages)
}

/// The packages `build` shares with `tests` whose features differ, each
/// said as a line.
fn differing(
    build: &BTreeMap<String, BTreeSet<String>>,
    tests: &BTreeMap<String, BTreeSet<String>>,
    name: &str,
) -> Vec<String> {
    assert!(build.len() > 50, "{name}: {} packages", build.len());
    (build.iter())
        .filter(|(id, f)| tests.get(*id).is_some_and(|t| t != *f))
        .map(|(id, f)| format!("{id}: {f:?} for {name}, {:?} for the tests", tests[id]))
        .collect()
}

#[test]
fn the_tests_and_the_python_package_build_the_binarys_crates_with_its_features() {
    // The workspace's trees: what `cargo test` built is downloaded.
    let tests =
        features(&["--workspace", "-e", "normal,build,dev"]).unwrap_or_else(|e| panic!("{e}"));
    let binary =
        features(&["-p", "rpasim", "-e", "normal,build"]).unwrap_or_else(|e| panic!("{e}"));
    let mut differ = differing(&binary, &tests, "the binary");
    // The Python package's needs pyo3, which only its build downloads: on
    // a machine that never built it and cannot reach crates.io, said and
    // left out.
    match features(&[
        "--manifest-path",
        "crates/rpasim-py/Cargo.toml",
        "-e",
        "normal,build",
    ]) {
        Ok(python) => differ.extend(differing(&python, &tests, "the Python package")),
        Err(e) => eprintln!("the Python package's features not compared: {e}"),
    }
    assert!(
        differ.is_empty(),
        "turn these features on in the dependencies \"not used\" of Cargo.toml \
         and crates/rpasim-py/Cargo.toml:\n{}",
        differ.join("\n")
    );
}
