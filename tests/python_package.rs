//! The Python package's native crate (`crates/rpasim-py`, outside the
//! workspace) is built from a lock file of its own.

use std::collections::BTreeMap;

use crate::common::repo;

/// Each package of a `Cargo.lock` (its name and version), by name: the
/// versions it locks.
fn locked(path: &str) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(repo().join(path)).expect("a lock file");
    let lock: toml::Table = toml::from_str(&text).expect("TOML");
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock["package"].as_array().expect("packages") {
        let field = |key: &str| package[key].as_str().expect("a string").to_string();
        versions
            .entry(field("name"))
            .or_default()
            .push(field("version"));
    }
    versions
}

/// Every dependency the Python package shares with the command line is
/// locked at the same version: both compute the same results (a patch
/// release of a parser or of a random number crate must reach both at
/// once), and `.ci/run` builds the package in the workspace's target
/// directory so that the registry's crates they share are compiled once
/// (their features agree too: `build.rs`).
#[test]
fn the_python_package_locks_the_workspace_s_versions() {
    let workspace = locked("Cargo.lock");
    let python = locked("crates/rpasim-py/Cargo.lock");
    let mut shared = 0;
    for (name, versions) in &python {
        if let Some(ours) = workspace.get(name) {
            shared += 1;
            assert!(
                versions.iter().all(|v| ours.contains(v)),
                "{name}: crates/rpasim-py/Cargo.lock locks {versions:?}, the workspace {ours:?} \
                 (copy Cargo.lock to crates/rpasim-py/ and run \
                 `cargo metadata --manifest-path crates/rpasim-py/Cargo.toml`)"
            );
        }
    }
    // The rpasim crates, serde, toml, rand and the rest.
    assert!(shared > 100, "{shared} packages shared");
}
