//! The README's two commands share one build: every crate the binary is
//! built with has the same features when `cargo test --workspace` builds it
//! with the tests' dev-dependencies (the features listed in `Cargo.toml` as
//! "not used by the binary"). A crate with other features there is built a
//! second time, and with it everything above it, `rpasim-core` included.
//! So does the Python package's native crate, built in the workspace's
//! target directory by `.ci/run` and the README's tip.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::common::repo;

/// Each package `cargo tree` lists with `args` (name and version), with the
/// sets of features it is built with (two when the compiler's side, for
/// procedural macros, differs from the target's).
fn features(args: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(repo())
        .args(["tree", "--offline", "--locked", "--prefix", "none"])
        .args(["--format", "{p}|{f}"])
        .args(args)
        .output()
        .expect("cargo tree");
    assert!(
        out.status.success(),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).expect("UTF-8").lines() {
        let Some((package, features)) = line.trim_end_matches(" (*)").split_once('|') else {
            continue;
        };
        // "name vX.Y.Z (path or proc-macro)": the name and version.
        let id = package.split(' ').take(2).collect::<Vec<_>>().join(" ");
        packages.entry(id).or_default().insert(features.to_string());
    }
    packages
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
    let tests = features(&["--workspace", "-e", "normal,build,dev"]);
    let binary = features(&["-p", "rpasim", "-e", "normal,build"]);
    let python = features(&[
        "--manifest-path",
        "crates/rpasim-py/Cargo.toml",
        "-e",
        "normal,build",
    ]);
    let mut differ = differing(&binary, &tests, "the binary");
    differ.extend(differing(&python, &tests, "the Python package"));
    assert!(
        differ.is_empty(),
        "turn these features on in the dependencies \"not used\" of Cargo.toml \
         and crates/rpasim-py/Cargo.toml:\n{}",
        differ.join("\n")
    );
}
