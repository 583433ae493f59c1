//! Staging an output beside its target and swapping it into place.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::OutDirError;
use super::cleanup::{self, Registration};
use super::kind::{Contents, OutputKind, inspect};
use super::process::{self, DirLock};

/// `.<name>.partial-<pid>`: the staging name of `name` for this process.
pub fn partial_name(name: &str) -> String {
    format!(".{name}.partial-{}", std::process::id())
}

/// The staging path of `path` for this process (same directory).
pub fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(partial_name(&name))
}

/// `.<name>.partial-<pid>` -> (`name`, pid).
pub fn parse_partial(file_name: &str) -> Option<(&str, u32)> {
    let rest = file_name.strip_prefix('.')?;
    let (name, pid) = rest.rsplit_once(".partial-")?;
    if name.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name, pid.parse().ok()?))
}

/// `path` as a message should name it: a path in an output being staged
/// (`.<name>.partial-<pid>`, hidden, and gone once the command fails)
/// named as the output it stands for, saying that the output was not
/// replaced: "out (in its new version, not kept: the output is as it
/// was)", or "out/runs.csv (...)" for a file in it.
pub fn shown_path(path: &Path) -> String {
    let unstaged = unstaged(path);
    match unstaged == path {
        true => path.display().to_string(),
        false => format!(
            "{} (in its new version, not kept: the output is as it was)",
            unstaged.display()
        ),
    }
}

/// `path` with this process's staged outputs (`.<name>.partial-<pid>`)
/// named as the outputs they become once committed: what a file written
/// into a staged output should call its place.
pub fn unstaged(path: &Path) -> PathBuf {
    path.components()
        .map(
            |part| match parse_partial(&part.as_os_str().to_string_lossy()) {
                Some((output, pid)) if pid == std::process::id() => OsString::from(output),
                _ => part.as_os_str().to_os_string(),
            },
        )
        .collect()
}

/// `.<name>.old-<pid>`: where a platform without an atomic exchange puts
/// the previous output for a moment (restored by the next run if the
/// process died there).
fn aside_name(name: &str, pid: u32) -> String {
    format!(".{name}.old-{pid}")
}

fn parse_aside(file_name: &str) -> Option<(&str, u32)> {
    let rest = file_name.strip_prefix('.')?;
    let (name, pid) = rest.rsplit_once(".old-")?;
    if name.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name, pid.parse().ok()?))
}

/// Writes a file so that it appears whole or not at all: into its staging
/// name (removed if the process is interrupted), then renamed. What a
/// killed process left under a staging name of the same file is removed
/// first.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    remove_stale_copies(path)?;
    let tmp = partial_path(path);
    let (_registration, file) =
        cleanup::create(&tmp, || fs::File::create(&tmp)).ok_or_else(interrupted)?;
    let result = file
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| {
            cleanup::put_in_place(path, || fs::rename(&tmp, path))
                .unwrap_or_else(|| Err(interrupted()))
        });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes the staging files of `path` (`.<name>.partial-<pid>`) that dead
/// processes left beside it: a `report.html` that `plot` was writing when
/// killed, a baseline `check --update` was. A directory that cannot be
/// read is told by the write that follows.
fn remove_stale_copies(path: &Path) -> io::Result<()> {
    let (Some(name), Some(parent)) = (path.file_name(), path.parent()) else {
        return Ok(());
    };
    let parent = match parent.as_os_str().is_empty() {
        true => Path::new("."),
        false => parent,
    };
    let name = name.to_string_lossy();
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    remove_stale(entries, |file| {
        parse_partial(file)
            .filter(|(of, _)| *of == name)
            .map(|(_, pid)| pid)
    })
}

/// Creates the directory `path` inside an output being written, whose
/// parent must exist: unlike `fs::create_dir_all`, it never creates a
/// staging directory again after an interruption removed it (which left
/// it behind as debris). An existing directory is fine.
pub fn create_subdir(path: &Path) -> io::Result<()> {
    match fs::create_dir(path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        result => result,
    }
}

/// Removes the staging files (`.<name>.partial-<pid>`, and the legacy
/// `<stem>.partial-<pid>`) that dead processes left in `dir`.
pub fn clean_stale_files(dir: &Path) -> io::Result<()> {
    remove_stale(fs::read_dir(dir)?, |name| {
        parse_partial(name).map(|(_, pid)| pid).or_else(|| {
            let (stem, pid) = name.rsplit_once(".partial-")?;
            (!stem.is_empty()).then_some(())?;
            pid.parse().ok()
        })
    })
}

/// Removes the files among `entries` whose name gives a staging
/// process's pid (`pid_of`) when that process is gone.
fn remove_stale(entries: fs::ReadDir, pid_of: impl Fn(&str) -> Option<u32>) -> io::Result<()> {
    for entry in entries {
        let entry = entry?;
        if let Some(pid) = pid_of(&entry.file_name().to_string_lossy())
            && entry.file_type()?.is_file()
            && process::stale(&entry.path(), pid)
        {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// A staging directory for an output directory. Dropped without
/// [`commit`](Self::commit), it is removed and the target left as it was.
#[derive(Debug)]
pub struct StagedDir {
    staging: PathBuf,
    target: PathBuf,
    parent: PathBuf,
    name: String,
    kind: &'static OutputKind,
    _lock: Option<DirLock>,
    registration: Option<Registration>,
}

/// The directory that holds `target`, and its name there. `.` and `..`
/// are resolved, so that `--out .` names the directory itself.
fn locate(target: &Path) -> Result<(PathBuf, String), OutDirError> {
    let abs = std::path::absolute(target).map_err(|e| OutDirError::io(target, e))?;
    let abs = match fs::symlink_metadata(&abs) {
        Ok(m) if !m.file_type().is_symlink() => {
            fs::canonicalize(&abs).map_err(|e| OutDirError::io(target, e))?
        }
        _ => abs,
    };
    let refused = |why: String| Err(OutDirError::Refused(format!("{}: {why}", target.display())));
    match (abs.parent(), abs.file_name()) {
        (Some(parent), Some(name)) if name != ".." => match name.to_str() {
            None => refused(
                "its name is not UTF-8 text, which the names rpasim stages an output under \
                 (.NAME.partial-PID) must be; give another"
                    .into(),
            ),
            Some(name) if name.len() > LONGEST_NAME => refused(format!(
                "a name of {} bytes is too long for an output: it is staged beside as \
                 .NAME.partial-PID, within the 255 bytes a file name may have; give one of at \
                 most {LONGEST_NAME}",
                name.len()
            )),
            Some(name) => Ok((parent.to_path_buf(), name.to_string())),
        },
        _ => {
            refused("not a directory rpasim can write an output to (give a named directory)".into())
        }
    }
}

/// The longest name of an output: its staging name (`.NAME.partial-PID`,
/// a pid of up to 10 digits) must fit in the 255 bytes of a file name.
const LONGEST_NAME: usize = 255 - ".".len() - ".partial-".len() - 10;

impl StagedDir {
    /// Checks that `target` may be replaced (refused, touching nothing, if
    /// it is not empty and not an earlier output of `kind`), removes the
    /// staging that dead processes left for it, and creates this
    /// process's staging directory beside it.
    pub fn create(target: &Path, kind: &'static OutputKind) -> Result<Self, OutDirError> {
        inspect(target, kind)?;
        let (parent, name) = locate(target)?;
        // Not after an interruption: the parent may be an output being
        // staged (a sweep's charts go into a merge's), which the signal
        // removed and which would be left behind if made again.
        cleanup::unless_interrupted(|| fs::create_dir_all(&parent))
            .ok_or_else(|| OutDirError::io(target, interrupted()))?
            .map_err(|e| OutDirError::io(&parent, e))?;
        recover_stale(&parent, &name, kind)?;
        let staging = parent.join(partial_name(&name));
        if staging.exists() {
            // Left by an earlier process with our pid: ours by name and pid.
            remove_ours(&staging, kind)?;
        }
        let (registration, made) = cleanup::create(&staging, || fs::create_dir(&staging))
            .ok_or_else(|| OutDirError::io(target, interrupted()))?;
        made.map_err(|e| OutDirError::io(&staging, e))?;
        let registration = Some(registration);
        let lock = process::lock(&staging).map_err(|e| OutDirError::io(&staging, e))?;
        Ok(StagedDir {
            staging,
            target: target.to_path_buf(),
            parent,
            name,
            kind,
            _lock: lock,
            registration,
        })
    }

    /// Where to write files now.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Where the files will be after [`commit`](Self::commit).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Puts the staged directory in place of the target, in one atomic
    /// exchange where the platform has one, then removes the previous
    /// output. The target is checked again first: if something not ours
    /// appeared there meanwhile, nothing is replaced.
    pub fn commit(mut self) -> Result<PathBuf, OutDirError> {
        let final_path = self.parent.join(&self.name);
        cleanup::put_in_place(&final_path, || self.put_in_place(&final_path))
            .unwrap_or_else(|| Err(OutDirError::io(&final_path, interrupted())))
    }

    /// [`commit`](Self::commit)'s work, once no interruption can remove
    /// the staging directory under it.
    fn put_in_place(&mut self, final_path: &Path) -> Result<PathBuf, OutDirError> {
        for _ in 0..8 {
            match inspect(final_path, self.kind)? {
                Contents::Missing => match rename_new(&self.staging, final_path) {
                    Ok(()) => return Ok(self.committed()),
                    // Another process committed first: replace its output.
                    Err(e) if exists_error(&e) => continue,
                    Err(e) => return Err(OutDirError::io(final_path, e)),
                },
                Contents::Empty | Contents::Ours => {
                    if self.replace(final_path)? {
                        return Ok(self.committed());
                    }
                }
            }
        }
        Err(OutDirError::Io(
            final_path.to_path_buf(),
            io::Error::other("the output kept changing while rpasim committed its own"),
        ))
    }

    fn committed(&mut self) -> PathBuf {
        self.registration = None;
        self.target.clone()
    }

    /// Swaps the staging directory with the earlier output at `target` and
    /// removes that one. `Ok(false)`: the target vanished; try again.
    fn replace(&mut self, target: &Path) -> Result<bool, OutDirError> {
        match exchange(&self.staging, target) {
            Ok(true) => {}
            Ok(false) => return self.replace_by_renames(target),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(OutDirError::io(target, e)),
        }
        // The previous output is now at the staging path. If something not
        // ours slipped in between the check and the exchange, put it back.
        if let Err(refusal) = inspect(&self.staging, self.kind) {
            let _ = exchange(&self.staging, target);
            return Err(refusal);
        }
        fs::remove_dir_all(&self.staging).map_err(|e| OutDirError::io(&self.staging, e))?;
        Ok(true)
    }

    /// Without an atomic exchange: the previous output goes aside, the new
    /// one in, and the previous one is removed. A process that dies in
    /// between leaves the previous output aside, restored by the next run.
    fn replace_by_renames(&mut self, target: &Path) -> Result<bool, OutDirError> {
        let aside = self.parent.join(aside_name(&self.name, std::process::id()));
        match fs::rename(target, &aside) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(OutDirError::io(target, e)),
        }
        if let Err(e) = fs::rename(&self.staging, target) {
            let _ = fs::rename(&aside, target);
            return Err(OutDirError::io(target, e));
        }
        fs::remove_dir_all(&aside).map_err(|e| OutDirError::io(&aside, e))?;
        Ok(true)
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if self.registration.is_some() {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Why nothing was put in place: the process was interrupted, and what
/// was staged is being removed.
pub(crate) fn interrupted() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "interrupted: not replaced")
}

fn exists_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::AlreadyExists | io::ErrorKind::DirectoryNotEmpty
    )
}

/// Renames `from` to `to`, failing if `to` exists (even empty).
fn rename_new(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(e) if !unsupported(e) => return Err(e.into()),
            Err(_) => {}
        }
    }
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::from(io::ErrorKind::AlreadyExists));
    }
    fs::rename(from, to)
}

/// Atomically exchanges two directories. `Ok(false)` where the platform or
/// file system cannot.
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => Ok(true),
            Err(e) if unsupported(e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

#[cfg(target_os = "linux")]
fn unsupported(e: rustix::io::Errno) -> bool {
    use rustix::io::Errno;
    e == Errno::INVAL || e == Errno::NOSYS || e == Errno::OPNOTSUPP
}

/// Removes a staging directory that its name says is ours, if its contents
/// agree; refuses otherwise.
fn remove_ours(path: &Path, kind: &OutputKind) -> Result<(), OutDirError> {
    let staged = OutputKind {
        marker: None,
        ..*kind
    };
    inspect(path, &staged)?;
    fs::remove_dir_all(path).map_err(|e| OutDirError::io(path, e))
}

/// Removes the staging directories that dead processes left beside
/// `parent/name`, and puts back a previous output that one left aside.
fn recover_stale(parent: &Path, name: &str, kind: &OutputKind) -> Result<(), OutDirError> {
    let entries = fs::read_dir(parent).map_err(|e| OutDirError::io(parent, e))?;
    let mut leftovers: Vec<(OsString, bool)> = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let text = file_name.to_string_lossy();
        let (found, aside) = match parse_partial(&text) {
            Some(found) => (Some(found), false),
            None => (parse_aside(&text), true),
        };
        if let Some((n, pid)) = found
            && n == name
            && process::stale(&entry.path(), pid)
        {
            leftovers.push((file_name.clone(), aside));
        }
    }
    let target = parent.join(name);
    for (file_name, aside) in leftovers {
        let path = parent.join(&file_name);
        if aside && fs::symlink_metadata(&target).is_err() {
            fs::rename(&path, &target).map_err(|e| OutDirError::io(&path, e))?;
        } else if remove_ours(&path, kind).is_err() {
            // Not recognisably ours after all: leave it alone.
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::kind::Marker;
    use super::*;

    static KIND: OutputKind = OutputKind {
        name: "test output",
        marker: Some(Marker {
            file: "manifest.toml",
            signed: |t| t.contains("rpasim_version"),
        }),
        files: &["manifest.toml", "new.txt", "old.txt"],
        extensions: &[],
        dirs: &[],
    };

    fn stage(target: &Path, file: &str) -> StagedDir {
        let staged = StagedDir::create(target, &KIND).expect("stage");
        fs::write(
            staged.path().join("manifest.toml"),
            "rpasim_version = \"x\"",
        )
        .expect("w");
        fs::write(staged.path().join(file), file).expect("write");
        staged
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_replaces_and_drop_discards() {
        let root = tempfile::tempdir().expect("temp dir");
        let target = root.path().join("out");
        stage(&target, "old.txt").commit().expect("first commit");
        drop(stage(&target, "new.txt"));
        assert!(
            target.join("old.txt").exists(),
            "a failed run leaves the old output"
        );
        assert_eq!(names(root.path()), vec!["out"], "no staging left");
        stage(&target, "new.txt").commit().expect("commit");
        assert!(target.join("new.txt").exists() && !target.join("old.txt").exists());
        assert_eq!(names(root.path()), vec!["out"]);
    }

    #[test]
    fn a_directory_not_ours_is_refused_untouched() {
        let root = tempfile::tempdir().expect("temp dir");
        let target = root.path().join("mywork");
        fs::create_dir(&target).expect("mkdir");
        fs::write(target.join("thesis.tex"), "years of work").expect("write");
        assert!(matches!(
            StagedDir::create(&target, &KIND),
            Err(OutDirError::Refused(_))
        ));
        assert_eq!(names(root.path()), vec!["mywork"]);
        assert_eq!(names(&target), vec!["thesis.tex"]);
    }

    #[test]
    fn something_foreign_appearing_before_the_commit_is_kept() {
        let root = tempfile::tempdir().expect("temp dir");
        let target = root.path().join("out");
        let staged = stage(&target, "new.txt");
        fs::create_dir(&target).expect("mkdir");
        fs::write(target.join("thesis.tex"), "mine").expect("write");
        assert!(matches!(staged.commit(), Err(OutDirError::Refused(_))));
        assert_eq!(names(&target), vec!["thesis.tex"]);
        assert_eq!(names(root.path()), vec!["out"]);
    }

    #[test]
    fn staging_of_a_dead_process_is_removed_and_a_set_aside_output_restored() {
        let root = tempfile::tempdir().expect("temp dir");
        let target = root.path().join("out");
        // A process (pid u32::MAX - 1 never exists) died while staging...
        let dead = root.path().join(".out.partial-4294967294");
        fs::create_dir(&dead).expect("mkdir");
        fs::write(dead.join("new.txt"), "half").expect("write");
        // ...and another between its two renames, without an exchange.
        let aside = root.path().join(".out.old-4294967294");
        fs::create_dir(&aside).expect("mkdir");
        fs::write(aside.join("manifest.toml"), "rpasim_version = \"x\"").expect("w");
        fs::write(aside.join("old.txt"), "old").expect("write");
        // A staging directory that is not ours by content is left alone.
        let odd = root.path().join(".out.partial-4294967293");
        fs::create_dir(&odd).expect("mkdir");
        fs::write(odd.join("thesis.tex"), "mine").expect("write");
        let staged = StagedDir::create(&target, &KIND).expect("stage");
        assert!(!dead.exists(), "stale staging removed");
        assert!(target.join("old.txt").exists(), "previous output restored");
        assert!(odd.join("thesis.tex").exists());
        drop(staged);
    }

    #[test]
    fn a_file_written_atomically_removes_what_dead_writers_of_it_left() {
        let root = tempfile::tempdir().expect("temp dir");
        let report = root.path().join("report.html");
        // Left by a killed process (pid u32::MAX - 1 never exists)...
        let dead = root.path().join(".report.html.partial-4294967294");
        fs::write(&dead, "half").expect("write");
        // ...and by one of another file, or still alive (this one).
        let other = root.path().join(".summary.csv.partial-4294967294");
        fs::write(&other, "half").expect("write");
        let alive = root
            .path()
            .join(format!(".report.html.partial-{}", std::process::id()));
        fs::write(&alive, "ours, being written").expect("write");
        let not_a_file = root.path().join(".report.html.partial-4294967293");
        fs::create_dir(&not_a_file).expect("mkdir");
        write_atomically(&report, b"<html>").expect("write");
        assert_eq!(fs::read(&report).expect("read"), b"<html>");
        assert!(!dead.exists());
        assert!(other.exists() && not_a_file.exists());
        // This process's own staging name is the one it writes through.
        assert!(!alive.exists());
    }

    #[test]
    fn a_name_too_long_to_stage_beside_or_not_text_is_refused() {
        let root = tempfile::tempdir().expect("temp dir");
        let longest = root.path().join("a".repeat(LONGEST_NAME));
        assert!(locate(&longest).is_ok());
        let staged = StagedDir::create(&longest, &KIND).expect("its staging name fits");
        drop(staged);
        let long = root.path().join("a".repeat(LONGEST_NAME + 1));
        assert!(matches!(
            StagedDir::create(&long, &KIND),
            Err(OutDirError::Refused(m)) if m.contains("236 bytes is too long")
        ));
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let odd = root.path().join(std::ffi::OsStr::from_bytes(b"x\xff"));
            assert!(matches!(
                locate(&odd),
                Err(OutDirError::Refused(m)) if m.contains("not UTF-8")
            ));
        }
        assert_eq!(names(root.path()), Vec::<String>::new());
    }

    #[test]
    fn dot_names_the_directory_itself() {
        let root = tempfile::tempdir().expect("temp dir");
        let (parent, name) = locate(&root.path().join("a/..").join("b")).expect("locate");
        assert_eq!(name, "b");
        assert!(
            parent.ends_with(".."),
            "a missing path stays as written: {parent:?}"
        );
        let (parent, name) = locate(&root.path().join(".")).expect("locate");
        assert_eq!(
            parent.join(name),
            fs::canonicalize(root.path()).expect("canonical")
        );
    }

    #[test]
    fn partial_names_round_trip() {
        let name = partial_name("runs.csv");
        assert_eq!(parse_partial(&name), Some(("runs.csv", std::process::id())));
        assert_eq!(parse_partial(".x.partial-"), None);
        // A path in this process's staged output is named as the output.
        let staged = Path::new("reports")
            .join(partial_name("q"))
            .join("runs.csv");
        assert_eq!(
            shown_path(&staged),
            format!(
                "{} (in its new version, not kept: the output is as it was)",
                Path::new("reports/q/runs.csv").display()
            )
        );
        assert_eq!(
            shown_path(Path::new("reports/.q.partial-1/x")),
            "reports/.q.partial-1/x"
        );
        assert_eq!(shown_path(Path::new("reports/q")), "reports/q");
        assert_eq!(unstaged(&staged), Path::new("reports/q/runs.csv"));
        assert_eq!(
            unstaged(Path::new("/a/.q.partial-1")),
            Path::new("/a/.q.partial-1")
        );
        assert_eq!(parse_partial("x.partial-1"), None);
        assert_eq!(parse_aside(".out.old-7"), Some(("out", 7)));
    }
}
