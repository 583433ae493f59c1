//! The sweep directory: recognised before it is touched, locked while a
//! sweep writes it, and cleaned of what interrupted sweeps left.
//!
//! A sweep writes only into a directory that is new, empty, or holds the
//! same sweep (`sweep.toml`); one holding another sweep, or anything rpasim
//! did not write, is refused. `--resume` needs the `sweep.toml` that says
//! which sweep a `results.log` belongs to.

use std::fs;
use std::path::{Path, PathBuf};

use rpasim_report::outdir::{self, Contents, DirLock, Marker, OutputKind, inspect};

use crate::SweepError;
use crate::assemble::{SWEEP_CSV, SWEEP_FLOWS_CSV, SWEEP_SUMMARY_CSV, SWEEP_TARGETS_CSV};
use crate::grid::Shard;
use crate::results::RESULTS_LOG;
use crate::runner::{SWEEP_TOML, SweepManifest};

/// A sweep's directory (or a merged one): `sweep.toml` marks it.
pub static SWEEP_OUTPUT: OutputKind = OutputKind {
    name: "sweep",
    marker: Some(Marker {
        file: SWEEP_TOML,
        signed: is_sweep_manifest,
    }),
    files: &[
        SWEEP_TOML,
        RESULTS_LOG,
        SWEEP_CSV,
        SWEEP_TARGETS_CSV,
        SWEEP_SUMMARY_CSV,
        SWEEP_FLOWS_CSV,
        rpasim_report::REPORT_HTML,
    ],
    extensions: &[],
    dirs: &[(rpasim_report::CHARTS_DIR, &["png", "svg"])],
};

/// Whether a `sweep.toml` text was written by rpasim: `scenario_hash`,
/// then a line of `variants`.
///
/// Only the keys before `variants` are parsed when that line is there:
/// it lists every variant (a sweep of 100,000 variants writes about 3 MB),
/// so it may pass the marker's read limit, where the text is cut short.
fn is_sweep_manifest(text: &str) -> bool {
    let (head, variants_follow) = match outdir::before_line(text, "variants = ") {
        Some(head) => (head, true),
        None => (text, false),
    };
    head.parse::<toml::Table>().is_ok_and(|t| {
        t.get("scenario_hash").is_some_and(toml::Value::is_str)
            && (variants_follow || t.contains_key("variants"))
    })
}

fn refused(e: outdir::OutDirError) -> SweepError {
    match e {
        outdir::OutDirError::Refused(m) => SweepError::Invalid(m),
        io => SweepError::Failed(io.to_string()),
    }
}

/// A sweep directory held by this process.
#[derive(Debug)]
pub struct SweepDir {
    path: PathBuf,
    _lock: Option<DirLock>,
}

impl SweepDir {
    /// Opens `out` for the sweep `manifest`: creates it, or checks that it
    /// is empty or holds the same sweep (`resume` then keeps its results),
    /// locks it against a second sweep writing there at once, and removes
    /// the temporary files of interrupted ones.
    pub fn open(out: &Path, manifest: &SweepManifest, resume: bool) -> Result<Self, SweepError> {
        match inspect(out, &SWEEP_OUTPUT).map_err(refused)? {
            Contents::Missing => fs::create_dir_all(out).map_err(|e| SweepError::io(out, e))?,
            Contents::Empty => {}
            Contents::Ours => same_sweep(out, manifest, resume)?,
        }
        let lock = outdir::lock_dir(out).map_err(|e| SweepError::io(out, e))?;
        if lock.is_none() {
            return Err(SweepError::Failed(format!(
                "{}: another rpasim sweep is writing there now; wait for it, or use another --out",
                out.display()
            )));
        }
        outdir::clean_stale_files(out).map_err(|e| SweepError::io(out, e))?;
        Ok(SweepDir {
            path: out.to_path_buf(),
            _lock: lock,
        })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn same_sweep(out: &Path, manifest: &SweepManifest, resume: bool) -> Result<(), SweepError> {
    let existing = SweepManifest::read(out)?;
    if existing.same_sweep(manifest) {
        // Without --resume the directory is written anew, as any shard.
        return if resume {
            same_shard(out, &existing, manifest)
        } else {
            Ok(())
        };
    }
    let what = if resume {
        "--resume of a different sweep (scenario, values, seed, replications or metrics changed, \
         or results of another rpasim version)"
    } else {
        "it holds another sweep (its sweep.toml differs), which rpasim will not replace"
    };
    Err(SweepError::Invalid(format!(
        "{}: {what}; use another --out, or remove that directory yourself",
        out.display()
    )))
}

/// Checks that a directory of this sweep is resumed as the shard it
/// holds. A directory written before shards were recorded (no `shard`)
/// may be resumed as any; one that holds a shard only as that shard.
fn same_shard(
    out: &Path,
    existing: &SweepManifest,
    manifest: &SweepManifest,
) -> Result<(), SweepError> {
    let Some(held) = existing.shard else {
        return Ok(());
    };
    if existing.shard == manifest.shard {
        return Ok(());
    }
    let asked = match manifest.shard {
        Some(shard) => format!("shard {shard}"),
        None => "the whole sweep".to_string(),
    };
    // The likely cause of 1/1: one array task submitted again by itself.
    let alone = if manifest.shard.is_some_and(|s| s.count == 1) {
        format!(
            " (--shard auto in a Slurm task submitted again on its own, e.g. --array={}, \
             is shard 1/1: submit the whole array again instead, and its finished shards end at \
             once)",
            held.index
        )
    } else {
        String::new()
    };
    Err(SweepError::Invalid(format!(
        "{}: --resume as {asked}, but it holds shard {held} of this sweep; resume it with \
         --shard {held}{alone}, or use another --out",
        out.display()
    )))
}

/// Checks that the shards given to a merge are all there, when every one
/// records its shard (of the same count): the message then names the
/// missing shards, where the merge would name the first job without a
/// result. Shards without jobs (more shards than jobs) may be missing;
/// directories of other versions, of other counts or of a whole sweep are
/// left to the check of every job.
pub fn check_shards(dirs: &[PathBuf], manifests: &[SweepManifest]) -> Result<(), SweepError> {
    let shards: Option<Vec<Shard>> = manifests.iter().map(|m| m.shard).collect();
    let Some(shards) = shards else {
        return Ok(());
    };
    let Some(count) = shards.first().map(|s| s.count) else {
        return Ok(());
    };
    if shards.iter().any(|s| s.count != count) {
        return Ok(());
    }
    let jobs = manifests[0].variants.len() as u64 * u64::from(manifests[0].replications);
    let missing: Vec<String> = (1..=count)
        .filter(|i| u64::from(*i) <= jobs && !shards.iter().any(|s| s.index == *i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let given: Vec<String> = shards
        .iter()
        .zip(dirs)
        .map(|(s, d)| format!("{s} ({})", d.display()))
        .collect();
    Err(SweepError::Invalid(format!(
        "shards not given: {} (given: {}); run them (--shard I/{count}), or resume them, and \
         merge all {count}",
        rpasim_scenario::error::first_ten(&missing),
        rpasim_scenario::error::first_ten(&given),
    )))
}

/// Checks that `out` may receive the merge of `inputs`: it is none of
/// them (nor a shard directory with results of its own), and holds
/// nothing or an earlier merge of the same sweep.
pub fn check_merge_output(
    out: &Path,
    inputs: &[PathBuf],
    manifest: &SweepManifest,
) -> Result<(), SweepError> {
    if let Ok(real) = fs::canonicalize(out)
        && let Some(input) = inputs
            .iter()
            .find(|i| fs::canonicalize(i).is_ok_and(|i| i == real))
    {
        return Err(SweepError::Invalid(format!(
            "--out {} is the shard {} being merged; merge into another directory",
            out.display(),
            input.display()
        )));
    }
    if inspect(out, &SWEEP_OUTPUT).map_err(refused)? == Contents::Ours {
        if out.join(RESULTS_LOG).exists() {
            return Err(SweepError::Invalid(format!(
                "--out {} holds a sweep's results ({RESULTS_LOG}): it is a shard or a sweep \
                 directory, which a merge will not replace; merge into another directory",
                out.display()
            )));
        }
        same_sweep(out, manifest, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(seed: u64) -> SweepManifest {
        SweepManifest {
            base_seed: seed,
            ..crate::test_support::manifest(1)
        }
    }

    /// Missing shards are named when every directory records its shard;
    /// a shard without jobs may be missing, and directories that do not
    /// all record one (or one count) are left to the check of every job.
    #[test]
    fn missing_shards_are_named() {
        let of = |shard: Option<&str>| SweepManifest {
            shard: shard.map(|s| Shard::parse(s).expect("a shard")),
            replications: 3,
            ..manifest(1)
        };
        let dirs: Vec<PathBuf> = ["a", "b", "c"].iter().map(PathBuf::from).collect();
        let message = check_shards(&dirs[..2], &[of(Some("1/3")), of(Some("3/3"))])
            .expect_err("2/3 missing")
            .to_string();
        assert!(
            message.contains("shards not given: 2/3 (given: 1/3 (a), 3/3 (b))"),
            "{message}"
        );
        assert!(check_shards(&dirs, &[of(Some("1/3")), of(Some("2/3")), of(Some("3/3"))]).is_ok());
        // 3 jobs in 5 shards: 4/5 and 5/5 have none.
        let five = [of(Some("1/5")), of(Some("2/5")), of(Some("3/5"))];
        assert!(check_shards(&dirs, &five).is_ok());
        assert!(check_shards(&dirs[..2], &[of(Some("1/3")), of(None)]).is_ok());
        assert!(check_shards(&dirs[..2], &[of(Some("1/3")), of(Some("1/2"))]).is_ok());
    }

    /// A `sweep.toml` of many variants is recognised from the keys before
    /// its variants, even when only its first megabyte is read.
    #[test]
    fn a_long_sweep_manifest_is_recognised() {
        let mut m = manifest(1);
        m.keys = vec!["machines.a.bots".into(), "machines.b.bots".into()];
        m.dimensions = vec![1, 1];
        m.variants = (0..100_000)
            .map(|i| vec![(i % 300).to_string(), (i / 300).to_string()])
            .collect();
        let text = toml::to_string(&m).expect("serialises");
        assert!(text.len() > 1 << 20, "{} bytes", text.len());
        assert!(is_sweep_manifest(&text));
        assert!(is_sweep_manifest(&text[..1 << 20]));
        assert!(is_sweep_manifest(
            &toml::to_string(&manifest(1)).expect("toml")
        ));
        // Both keys are needed, the hash as a string.
        assert!(!is_sweep_manifest(&text.replacen(
            "scenario_hash",
            "hash",
            1
        )));
        assert!(!is_sweep_manifest(&text.replacen(
            "\nvariants = ",
            "\nvalues = ",
            1
        )));
        assert!(!is_sweep_manifest("scenario_hash = 1\nvariants = []\n"));
        assert!(!is_sweep_manifest("not toml\nvariants = []\n"));
    }

    #[test]
    fn another_sweep_or_foreign_files_are_refused() {
        let root = tempfile::tempdir().expect("temp dir");
        let out = root.path().join("s");
        let dir = SweepDir::open(&out, &manifest(1), false).expect("new");
        manifest(1).write(&out).expect("write");
        assert!(
            SweepDir::open(&out, &manifest(1), false).is_err(),
            "locked while the first is open"
        );
        drop(dir);
        SweepDir::open(&out, &manifest(1), true).expect("same sweep");
        let e = SweepDir::open(&out, &manifest(2), false).expect_err("another sweep");
        assert!(matches!(e, SweepError::Invalid(m) if m.contains("another sweep")));
        fs::write(out.join("notes.txt"), "mine").expect("write");
        let e = SweepDir::open(&out, &manifest(1), true).expect_err("foreign file");
        assert!(matches!(e, SweepError::Invalid(m) if m.contains("notes.txt")));
    }

    #[test]
    fn results_without_their_sweep_toml_are_refused() {
        let root = tempfile::tempdir().expect("temp dir");
        let out = root.path().join("s");
        fs::create_dir(&out).expect("mkdir");
        fs::write(out.join(RESULTS_LOG), "@job 0 1\nx\n").expect("write");
        let e = SweepDir::open(&out, &manifest(1), true).expect_err("no sweep.toml");
        assert!(matches!(e, SweepError::Invalid(m) if m.contains("sweep.toml")));
    }

    #[test]
    fn a_merge_never_writes_into_its_inputs() {
        let root = tempfile::tempdir().expect("temp dir");
        let shard = root.path().join("d1");
        SweepDir::open(&shard, &manifest(1), false).expect("new");
        manifest(1).write(&shard).expect("write");
        fs::write(shard.join(RESULTS_LOG), "").expect("write");
        let inputs = [shard.clone()];
        assert!(check_merge_output(&shard, &inputs, &manifest(1)).is_err());
        let other = root.path().join("d2");
        fs::create_dir(&other).expect("mkdir");
        manifest(1).write(&other).expect("write");
        fs::write(other.join(RESULTS_LOG), "").expect("write");
        assert!(check_merge_output(&other, &inputs, &manifest(1)).is_err());
        assert!(check_merge_output(&root.path().join("new"), &inputs, &manifest(1)).is_ok());
    }
}
