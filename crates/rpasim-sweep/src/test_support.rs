//! What the crate's unit tests share.

use std::path::{Path, PathBuf};

use crate::runner::{RESULTS_FORMAT, SweepManifest};

/// The manifest of a sweep of `s.toml` varying one key `k` over one value,
/// with `replications` of seed 1, not a shard.
pub(crate) fn manifest(replications: u32) -> SweepManifest {
    SweepManifest {
        scenario: "s.toml".into(),
        scenario_hash: "h".into(),
        base_seed: 1,
        replications,
        set: vec![],
        keys: vec!["k".into()],
        dimensions: vec![1],
        variants: vec![vec!["1".into()]],
        metrics: vec![],
        format: RESULTS_FORMAT,
        shard: None,
    }
}

/// Writes `s.toml` into `dir`: one machine `a` of one bot and its flow
/// `fa` of 20-minute runs (exponential) at `per_hour`, for `horizon`;
/// returns its path.
pub(crate) fn one_machine_scenario(dir: &Path, horizon: &str, per_hour: f64) -> PathBuf {
    let path = dir.join("s.toml");
    std::fs::write(
        &path,
        format!(
            "[simulation]\nseed = 3\nhorizon = \"{horizon}\"\n\n\
             [[machines]]\nname = \"a\"\nbots = 1\n\n\
             [[flows]]\nname = \"fa\"\ntarget = \"a\"\n\
             duration = {{ exponential = {{ mean = \"20m\" }} }}\n\
             arrivals = {{ poisson = {{ per_hour = {per_hour} }} }}\n"
        ),
    )
    .expect("write the test scenario");
    path
}
