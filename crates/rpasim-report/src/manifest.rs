//! `manifest.toml`: what a run was, for tools that read its output later
//! (`rpasim plot` redraws charts from it and the CSVs).

use std::io::Read as _;
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
    /// Each later change of the capacity by a `set` event, in time order;
    /// empty when it never changes, and for outputs of earlier versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<CapacityChange>,
}

/// A change of an environment's hosted capacity during a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityChange {
    /// When, milliseconds.
    pub at_ms: u64,
    /// The capacity from then on.
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

/// Whether a `manifest.toml` text was written by rpasim: its root table
/// has an `rpasim_version` string (the key every version has written,
/// first).
///
/// Only the root table's own keys, before the first table header, are
/// parsed when they suffice: a manifest lists every target, so it grows
/// with them (about 50 bytes each), and its signature must be found as
/// quickly in the manifest of 100,000 targets as in one of ten, and in a
/// text cut short at the marker's read limit. The whole text is parsed
/// only when its root alone does not parse.
pub fn is_signed(text: &str) -> bool {
    let signed = |t: toml::Table| t.get("rpasim_version").is_some_and(toml::Value::is_str);
    let root = crate::outdir::before_line(text, "[").unwrap_or(text);
    match root.parse::<toml::Table>() {
        Ok(table) => signed(table),
        Err(_) => root.len() < text.len() && text.parse().is_ok_and(signed),
    }
}

/// The most bytes of a `manifest.toml` read: it lists every target, about
/// 50 bytes each, and a scenario has at most about 45,000.
pub const MOST_MANIFEST_BYTES: u64 = 64 << 20;

impl Manifest {
    /// Writes `manifest.toml` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(MANIFEST_TOML), text)
    }

    /// Reads `manifest.toml` from `dir`. A manifest that does not read
    /// is told by its line and what was wrong, without its text.
    pub fn read(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join(MANIFEST_TOML);
        let bytes = std::fs::metadata(&path)?.len();
        if bytes > MOST_MANIFEST_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{MANIFEST_TOML} has {bytes} bytes, more than rpasim writes ({} MB)",
                    MOST_MANIFEST_BYTES >> 20
                ),
            ));
        }
        let mut text = String::new();
        std::fs::File::open(&path)?
            .take(MOST_MANIFEST_BYTES)
            .read_to_string(&mut text)?;
        toml::from_str(&text).map_err(|e| {
            let message = unreadable(MANIFEST_TOML, &text, &e);
            std::io::Error::new(std::io::ErrorKind::InvalidData, message)
        })
    }
}

/// What is wrong with `text`, a TOML file rpasim wrote (`manifest.toml`,
/// `sweep.toml`) that does not read as one: its name, the line and the
/// parser's message without the values it quotes, never the text (the file
/// may have been replaced by anything).
pub fn unreadable(name: &str, text: &str, e: &toml::de::Error) -> String {
    let line = e.span().map_or(1, |s| {
        bytecount_lines(&text.as_bytes()[..s.start.min(text.len())])
    });
    format!("{name} line {line}: {}", without_values(e.message()))
}

/// A parser's message without the values it quotes from the file:
/// `invalid type: string "…", expected u64` becomes `invalid type,
/// expected u64`; a message that quotes nothing is kept.
fn without_values(message: &str) -> String {
    let message = message.trim();
    if !message.contains('"') {
        return message.to_string();
    }
    let what = message
        .split(':')
        .next()
        .unwrap_or("not as rpasim writes it");
    match message.rsplit_once(", expected ") {
        Some((_, expected)) if !expected.contains('"') => format!("{what}, expected {expected}"),
        _ => what.to_string(),
    }
}

/// The line (from 1) at the end of `before`.
fn bytecount_lines(before: &[u8]) -> usize {
    before.iter().filter(|b| **b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_that_does_not_read_is_told_without_its_text() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join(MANIFEST_TOML),
            "rpasim_version = \"0.1.0\"\nname = \"hunter2\"\nseed = \"not a number\"\n",
        )
        .expect("write");
        let e = Manifest::read(dir.path()).expect_err("refused");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        let message = e.to_string();
        assert_eq!(message, "manifest.toml line 3: invalid type, expected u64");
        assert!(
            !message.contains("hunter2") && !message.contains("not a number"),
            "{message}"
        );
    }

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
                changes: vec![CapacityChange {
                    at_ms: 1_209_600_000,
                    hosted_capacity: 18,
                }],
            }],
        };
        let dir = tempfile::tempdir().expect("temp dir");
        m.write(dir.path()).expect("write");
        assert_eq!(Manifest::read(dir.path()).expect("read"), m);
    }

    /// A manifest of many targets is recognised from its root table, even
    /// when only its first megabyte is read (cut inside a table).
    #[test]
    fn a_long_manifest_is_recognised_from_its_root() {
        let m = Manifest {
            rpasim_version: "0.1.0".into(),
            name: "many".into(),
            question: None,
            scenario: "many.toml".into(),
            seed: 1,
            horizon_ms: 3_600_000,
            warmup_ms: 0,
            sample_every_ms: 3_600_000,
            runs: 0,
            overrides: Vec::new(),
            targets: (0..30_000)
                .map(|i| ManifestTarget {
                    name: format!("vm{i:05}"),
                    kind: "machine".into(),
                    max_bots: None,
                    environment: None,
                })
                .collect(),
            environments: Vec::new(),
        };
        let text = toml::to_string(&m).expect("serialises");
        assert!(text.len() > 1 << 20, "{} bytes", text.len());
        assert!(is_signed(&text));
        assert!(is_signed(&text[..1 << 20]));
        // What decides is the root's `rpasim_version`, not its mention.
        let moved = text.replacen("rpasim_version", "version", 1);
        assert!(!is_signed(&moved));
        assert!(!is_signed("[targets]\nrpasim_version = \"0.1.0\"\n"));
        assert!(!is_signed("rpasim_version = 1\n[x]\n"));
        // A root that parses only whole (a string spanning a header-like
        // line) is still read whole.
        assert!(is_signed(
            "question = \"\"\"why\n[not a header]\"\"\"\nrpasim_version = \"0.1.0\"\n"
        ));
    }
}
