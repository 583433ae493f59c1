//! Recognising an earlier output of rpasim: a marker file with rpasim's
//! signature, and only the files rpasim writes.

use std::fs;
use std::io::Read;
use std::path::Path;

use super::OutDirError;
use super::staging::parse_partial;

/// The file that marks an output, and how to tell that rpasim wrote it.
#[derive(Debug)]
pub struct Marker {
    /// Its name in the directory.
    pub file: &'static str,
    /// Whether its text carries rpasim's signature.
    pub signed: fn(&str) -> bool,
}

/// The lines of `text` before the first line that starts with `start`
/// (`None` when no line does). A marker lists what grows with the output
/// (targets, variants) after its signature, and may be cut short at the
/// read limit: the signature is read from the lines before that list.
pub fn before_line<'a>(text: &'a str, start: &str) -> Option<&'a str> {
    text.match_indices('\n')
        .find(|(i, _)| text[i + 1..].starts_with(start))
        .map(|(i, _)| &text[..=i])
}

/// What one kind of output directory holds.
#[derive(Debug)]
pub struct OutputKind {
    /// What it is called in messages: "run output", "sweep".
    pub name: &'static str,
    /// The marker of an earlier output; `None` for a directory recognised
    /// by its files alone (the `charts/` of an output).
    pub marker: Option<Marker>,
    /// The files it may hold.
    pub files: &'static [&'static str],
    /// Extensions of other files it may hold (`charts/`: `png`, `svg`).
    pub extensions: &'static [&'static str],
    /// The subdirectories it may hold, each with the file extensions
    /// allowed in it.
    pub dirs: &'static [(&'static str, &'static [&'static str])],
}

/// What is at a target path that may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// Nothing.
    Missing,
    /// An empty directory.
    Empty,
    /// An earlier output of this kind.
    Ours,
}

/// The most of a marker file read: a manifest grows with the targets it
/// lists, but its signature comes first, so a longer one is read in part.
const MARKER_LIMIT: u64 = 1 << 20;

/// What is at `dir`: nothing, an empty directory or an earlier output of
/// `kind`; anything else is refused, naming what is in the way.
pub fn inspect(dir: &Path, kind: &OutputKind) -> Result<Contents, OutDirError> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Contents::Missing),
        Err(e) => return Err(OutDirError::io(dir, e)),
    };
    let shown = dir.display();
    if meta.file_type().is_symlink() {
        return Err(OutDirError::Refused(format!(
            "{shown} is a symbolic link; rpasim writes its {} only to a real directory \
             (give the path it points to, or another path)",
            kind.name
        )));
    }
    if !meta.is_dir() {
        return Err(OutDirError::Refused(format!(
            "{shown} exists and is not a directory; rpasim will not replace it \
             (choose another path for the {})",
            kind.name
        )));
    }
    let mut entries = fs::read_dir(dir).map_err(|e| OutDirError::io(dir, e))?;
    let mut empty = true;
    for entry in &mut entries {
        let entry = entry.map_err(|e| OutDirError::io(dir, e))?;
        empty = false;
        if !is_ours(kind, &entry) {
            return Err(foreign(dir, kind, &entry.file_name().to_string_lossy()));
        }
    }
    if empty {
        return Ok(Contents::Empty);
    }
    match &kind.marker {
        Some(marker) if !signed(&dir.join(marker.file), marker) => {
            Err(OutDirError::Refused(format!(
                "{shown} is not recognised as an rpasim {}: it has no {} written by rpasim; \
                 rpasim replaces only an empty directory or an earlier {} of its own \
                 (choose another path, or move the files away)",
                kind.name, marker.file, kind.name
            )))
        }
        _ => Ok(Contents::Ours),
    }
}

/// A directory holding a file that `kind` does not write: someone
/// else's, or another command's (a plan's output is not a run's), which
/// cannot be told apart here, so the message claims neither.
fn foreign(dir: &Path, kind: &OutputKind, entry: &str) -> OutDirError {
    OutDirError::Refused(format!(
        "{} holds {entry:?}, which is not a file of an rpasim {}: rpasim replaces only an \
         empty directory or an earlier {} of its own (choose another path, or move the \
         files away)",
        dir.display(),
        kind.name,
        kind.name
    ))
}

/// Whether the marker file exists and its first [`MARKER_LIMIT`] bytes
/// carry the signature.
fn signed(path: &Path, marker: &Marker) -> bool {
    let Ok(file) = fs::File::open(path) else {
        return false;
    };
    let mut bytes = Vec::new();
    if file.take(MARKER_LIMIT).read_to_end(&mut bytes).is_err() {
        return false;
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        // Cut inside a character at the limit: the text before it.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    (marker.signed)(text)
}

/// Whether a directory entry is one rpasim writes in an output of `kind`
/// (or staging debris of one).
fn is_ours(kind: &OutputKind, entry: &fs::DirEntry) -> bool {
    let Ok(kind_of) = entry.file_type() else {
        return false;
    };
    let name = entry.file_name();
    let Some(name) = name.to_str() else {
        return false;
    };
    // Staging debris carries the name of what it stages.
    let base = parse_partial(name).map_or(name, |(base, _)| base);
    if kind_of.is_file() {
        return kind.files.contains(&base)
            || has_extension(base, kind.extensions)
            || is_legacy_debris(kind, name);
    }
    if kind_of.is_dir()
        && let Some((_, extensions)) = kind.dirs.iter().find(|(d, _)| *d == base)
    {
        return holds_only(&entry.path(), extensions);
    }
    false
}

/// `sweep.partial-123`: the temporary name rpasim 0.1 gave `sweep.csv`
/// (and `sweep.toml`) while writing it.
fn is_legacy_debris(kind: &OutputKind, name: &str) -> bool {
    let Some((stem, pid)) = name.rsplit_once(".partial-") else {
        return false;
    };
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && kind
            .files
            .iter()
            .any(|f| f.rsplit_once('.').is_some_and(|(s, _)| s == stem))
}

/// Whether `dir` holds only regular files with one of `extensions`.
fn holds_only(dir: &Path, extensions: &[&str]) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.into_iter().all(|e| {
        e.is_ok_and(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let base = parse_partial(&name).map_or(&*name, |(b, _)| b);
            e.file_type().is_ok_and(|t| t.is_file()) && has_extension(base, extensions)
        })
    })
}

fn has_extension(name: &str, extensions: &[&str]) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && extensions.contains(&ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    static KIND: OutputKind = OutputKind {
        name: "test output",
        marker: Some(Marker {
            file: "manifest.toml",
            signed: |t| t.contains("rpasim_version"),
        }),
        files: &["manifest.toml", "runs.csv"],
        extensions: &[],
        dirs: &[("charts", &["png", "svg"])],
    };

    fn refused(r: Result<Contents, OutDirError>) -> String {
        match r {
            Err(OutDirError::Refused(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn recognises_missing_empty_and_ours() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("out");
        assert_eq!(inspect(&dir, &KIND).expect("ok"), Contents::Missing);
        fs::create_dir(&dir).expect("mkdir");
        assert_eq!(inspect(&dir, &KIND).expect("ok"), Contents::Empty);
        fs::write(dir.join("manifest.toml"), "rpasim_version = \"0.1.0\"").expect("write");
        fs::write(dir.join("runs.csv"), "").expect("write");
        fs::create_dir(dir.join("charts")).expect("mkdir");
        fs::write(dir.join("charts/a.png"), "").expect("write");
        fs::write(dir.join(".runs.csv.partial-12"), "").expect("write");
        assert_eq!(inspect(&dir, &KIND).expect("ok"), Contents::Ours);
    }

    #[test]
    fn the_lines_before_a_line_that_starts_so() {
        let text = "a = 1\nb = \"[x\"\n[t]\nc = 2\n[u]\n";
        assert_eq!(before_line(text, "["), Some("a = 1\nb = \"[x\"\n"));
        assert_eq!(before_line(text, "c = "), Some("a = 1\nb = \"[x\"\n[t]\n"));
        // The first line has no line before it to end.
        assert_eq!(before_line("[t]\na = 1\n", "["), None);
        assert_eq!(before_line(text, "d = "), None);
    }

    /// A long marker is read up to the limit, even when the limit falls
    /// inside a character; bytes that are not UTF-8 before it are refused.
    #[test]
    fn a_marker_cut_at_the_limit_is_read_up_to_it() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("out");
        fs::create_dir(&dir).expect("mkdir");
        let mut text = "rpasim_version = \"0.1.0\"\n#".to_string();
        text.push_str(&"a".repeat(MARKER_LIMIT as usize - text.len() - 1));
        text.push_str("é and more");
        fs::write(dir.join("manifest.toml"), &text).expect("write");
        assert_eq!(inspect(&dir, &KIND).expect("ok"), Contents::Ours);
        let mut bytes = text.into_bytes();
        bytes[30] = 0xff;
        fs::write(dir.join("manifest.toml"), bytes).expect("write");
        assert!(refused(inspect(&dir, &KIND)).contains("no manifest.toml written by rpasim"));
    }

    #[test]
    fn refuses_what_is_not_ours_and_names_it() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("out");
        fs::create_dir(&dir).expect("mkdir");
        fs::write(dir.join("manifest.toml"), "rpasim_version = \"0.1.0\"").expect("write");
        fs::write(dir.join("thesis.tex"), "").expect("write");
        assert!(refused(inspect(&dir, &KIND)).contains("\"thesis.tex\""));
        fs::remove_file(dir.join("thesis.tex")).expect("rm");
        fs::create_dir(dir.join("charts")).expect("mkdir");
        fs::write(dir.join("charts/notes.txt"), "").expect("write");
        assert!(refused(inspect(&dir, &KIND)).contains("\"charts\""));
        fs::remove_dir_all(dir.join("charts")).expect("rm");
        // Our file names without the signature are not enough.
        fs::write(dir.join("manifest.toml"), "name = \"mine\"").expect("write");
        assert!(refused(inspect(&dir, &KIND)).contains("no manifest.toml written by rpasim"));
        let file = root.path().join("notes.txt");
        fs::write(&file, "x").expect("write");
        assert!(refused(inspect(&file, &KIND)).contains("not a directory"));
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_symbolic_link() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("real");
        fs::create_dir(&dir).expect("mkdir");
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).expect("symlink");
        assert!(refused(inspect(&link, &KIND)).contains("symbolic link"));
    }

    #[test]
    fn legacy_temporary_names_are_debris() {
        static SWEEP: OutputKind = OutputKind {
            name: "sweep",
            marker: None,
            files: &["sweep.csv", "sweep-summary.csv"],
            extensions: &[],
            dirs: &[],
        };
        assert!(is_legacy_debris(&SWEEP, "sweep.partial-123"));
        assert!(is_legacy_debris(&SWEEP, "sweep-summary.partial-9"));
        assert!(!is_legacy_debris(&SWEEP, "sweep.partial-"));
        assert!(!is_legacy_debris(&SWEEP, "thesis.partial-1"));
    }
}
