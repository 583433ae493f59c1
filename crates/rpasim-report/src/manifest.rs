//! `manifest.toml`: what a run was, for tools that read its output later
//! (`rpasim plot` redraws charts from it and the CSVs).

use std::path::Path;

use serde::{Deserialize, Serialize};

/// File name of the manifest.
pub const MANIFEST_TOML: &str = "manifest.toml";

/// A run's identity and timing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Version of rpasim that wrote the output.
    pub rpasim_version: String,
    /// Scenario name.
    pub name: String,
    /// The question the scenario answers.
    pub question: Option<String>,
    /// The scenario file, as given on the command line.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Horizon, milliseconds.
    pub horizon_ms: u64,
    /// Warm-up, milliseconds.
    pub warmup_ms: u64,
    /// Sampling interval, milliseconds.
    pub sample_every_ms: u64,
    /// Runs simulated (warm-up included).
    pub runs: u64,
    /// The `--set` overrides applied to the scenario file (`key=value`),
    /// `--seed` included; empty for outputs of earlier versions.
    #[serde(default)]
    pub overrides: Vec<String>,
    /// Targets in summary order.
    pub targets: Vec<ManifestTarget>,
    /// Environments with hosted capacity at the start (for the charts'
    /// limit lines); empty for outputs of earlier versions.
    #[serde(default)]
    pub environments: Vec<ManifestEnvironment>,
}

/// An environment of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEnvironment {
    /// Name.
    pub name: String,
    /// Hosted capacity (add-ons) at the start.
    pub hosted_capacity: u32,
}

/// A target of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestTarget {
    /// Name.
    pub name: String,
    /// `machine`, `machine_group`, `hosted_group` or `hosted_machine`.
    pub kind: String,
    /// A hosted group's `max_bots` at the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bots: Option<u32>,
    /// A hosted group's environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// Whether a `manifest.toml` text was written by rpasim: a TOML table
/// with an `rpasim_version` string (the key every version has written).
pub fn is_signed(text: &str) -> bool {
    text.parse::<toml::Table>()
        .is_ok_and(|t| t.get("rpasim_version").is_some_and(toml::Value::is_str))
}

impl Manifest {
    /// Writes `manifest.toml` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(MANIFEST_TOML), text)
    }

    /// Reads `manifest.toml` from `dir`.
    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(dir.join(MANIFEST_TOML))?;
        toml::from_str(&text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let m = Manifest {
            rpasim_version: "0.1.0".into(),
            name: "q".into(),
            question: Some("why?".into()),
            scenario: "s.toml".into(),
            seed: 7,
            horizon_ms: 86_400_000,
            warmup_ms: 0,
            sample_every_ms: 300_000,
            runs: 12,
            overrides: vec!["machines.pc.bots=3".into()],
            targets: vec![ManifestTarget {
                name: "g".into(),
                kind: "hosted_group".into(),
                max_bots: Some(10),
                environment: Some("prod".into()),
            }],
            environments: vec![ManifestEnvironment {
                name: "prod".into(),
                hosted_capacity: 12,
            }],
        };
        let dir = tempfile::tempdir().expect("temp dir");
        m.write(dir.path()).expect("write");
        assert_eq!(Manifest::read(dir.path()).expect("read"), m);
    }
}
