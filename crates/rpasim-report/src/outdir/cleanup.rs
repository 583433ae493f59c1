//! What to remove if the process is interrupted: every staging directory
//! and temporary file being written. The binary's signal handler calls
//! [`interrupt`]; the library itself handles no signal.
//!
//! Putting a staged output in place ([`put_in_place`]), creating what is
//! staged ([`create`], which also registers it: there is no registering
//! apart) and the removal exclude each other: an output is either in place
//! whole before the removal starts, or never put there, and nothing is
//! created that the removal does not see. Without that, a signal during a
//! commit removed the staging directory's files through the directory's
//! handle after the directory had been renamed into place: the new output
//! was emptied and, after an exchange, the previous one removed as the
//! old, so that nothing of either was left.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The process's registrations and whether it was interrupted (one
/// instance, [`PROCESS`]; the tests make their own).
struct State {
    paths: Mutex<Vec<(u64, PathBuf)>>,
    next: AtomicU64,
    interrupted: AtomicBool,
    /// Held while an output is put in place or staging created, and while
    /// interrupting.
    placing: Mutex<()>,
    /// Whether an output was put in place.
    placed: AtomicBool,
}

static PROCESS: State = State::new();

/// A path to remove on interruption, for as long as the value lives.
#[derive(Debug)]
pub struct Registration {
    id: u64,
    state: &'static State,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cleanup::State")
    }
}

/// Marks the process interrupted and removes every registered path. Other
/// threads may still be writing into them: a directory is retried until
/// it is gone. An output being put in place is first let finish (see
/// [`put_in_place`]); none is put in place after this.
pub fn interrupt() {
    PROCESS.interrupt();
}

/// Whether [`interrupt`] was called: errors that follow from the removal
/// are then not worth reporting.
pub fn interrupted() -> bool {
    PROCESS.interrupted.load(Ordering::SeqCst)
}

/// Runs `place`, which puts a staged output at `target` (a rename, an
/// exchange), unless the process was interrupted: then `None`, and
/// `place` is not run. Never while [`interrupt`] removes what is staged.
pub fn put_in_place<T, E>(
    target: &Path,
    place: impl FnOnce() -> Result<T, E>,
) -> Option<Result<T, E>> {
    PROCESS.put_in_place(target, place)
}

/// Runs `act` unless the process was interrupted (then `None`), never
/// while [`interrupt`] removes what is staged: for what must not happen
/// after that removal, such as making the directory a staged output goes
/// into (which may be one being staged, removed by the signal).
pub fn unless_interrupted<T>(act: impl FnOnce() -> T) -> Option<T> {
    PROCESS.unless_interrupted(act)
}

/// Registers `path` and runs `create`, which creates it, unless the
/// process was interrupted: then `None`, and `create` is not run. Never
/// while [`interrupt`] removes what is staged, so that nothing is created
/// after the removal (a file or directory the signal's thread would never
/// see) or before the registration.
pub fn create<T, E>(
    path: &Path,
    create: impl FnOnce() -> Result<T, E>,
) -> Option<(Registration, Result<T, E>)> {
    PROCESS.create(path, create)
}

/// Whether an output was put in place by this process where the user
/// sees it (not inside another output being staged): an interruption then
/// removes only what was still being written.
pub fn placed() -> bool {
    PROCESS.placed.load(Ordering::SeqCst)
}

impl State {
    const fn new() -> Self {
        State {
            paths: Mutex::new(Vec::new()),
            next: AtomicU64::new(0),
            interrupted: AtomicBool::new(false),
            placing: Mutex::new(()),
            placed: AtomicBool::new(false),
        }
    }

    fn register(&'static self, path: &Path) -> Registration {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        self.paths().push((id, path.to_path_buf()));
        Registration { id, state: self }
    }

    fn interrupt(&self) {
        let _placing = self.placing();
        self.interrupted.store(true, Ordering::SeqCst);
        let paths: Vec<PathBuf> = self.paths().iter().map(|(_, p)| p.clone()).collect();
        for path in paths {
            remove(&path);
        }
    }

    fn put_in_place<T, E>(
        &self,
        target: &Path,
        place: impl FnOnce() -> Result<T, E>,
    ) -> Option<Result<T, E>> {
        self.unless_interrupted(|| {
            let result = place();
            // A file or chart directory put in place inside an output being
            // staged is not yet where the user sees it.
            let staged = self.paths().iter().any(|(_, p)| target.starts_with(p));
            if result.is_ok() && !staged {
                self.placed.store(true, Ordering::SeqCst);
            }
            result
        })
    }

    fn create<T, E>(
        &'static self,
        path: &Path,
        create: impl FnOnce() -> Result<T, E>,
    ) -> Option<(Registration, Result<T, E>)> {
        self.unless_interrupted(|| (self.register(path), create()))
    }

    fn unless_interrupted<T>(&self, act: impl FnOnce() -> T) -> Option<T> {
        let _placing = self.placing();
        match self.interrupted.load(Ordering::SeqCst) {
            true => None,
            false => Some(act()),
        }
    }

    // A panic while holding a lock leaves what it guards intact: keep
    // using it.
    fn paths(&self) -> MutexGuard<'_, Vec<(u64, PathBuf)>> {
        self.paths.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn placing(&self) -> MutexGuard<'_, ()> {
        self.placing.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.state.paths().retain(|(id, _)| *id != self.id);
    }
}

fn remove(path: &Path) {
    for _ in 0..20 {
        let result = match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
            Err(_) => return,
        };
        if result.is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A state of its own: interrupting the process's would stop every
    /// other test of this binary from committing.
    fn state() -> &'static State {
        Box::leak(Box::new(State::new()))
    }

    #[test]
    fn registered_paths_are_removed_and_dropped_ones_kept() {
        let state = state();
        let root = tempfile::tempdir().expect("temp dir");
        let (a, b) = (root.path().join("a"), root.path().join("b.txt"));
        std::fs::create_dir(&a).expect("mkdir");
        std::fs::write(a.join("x"), "x").expect("write");
        std::fs::write(&b, "b").expect("write");
        let keep = root.path().join("kept");
        std::fs::write(&keep, "k").expect("write");
        let (_ra, _rb) = (state.register(&a), state.register(&b));
        drop(state.register(&keep));
        state.interrupt();
        assert!(!a.exists() && !b.exists() && keep.exists());
        assert!(state.interrupted.load(Ordering::SeqCst));
    }

    #[test]
    fn nothing_is_created_after_an_interruption() {
        let state = state();
        let root = tempfile::tempdir().expect("temp dir");
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        let (registration, made) = state.create(&a, || std::fs::create_dir(&a)).expect("runs");
        made.expect("created");
        state.interrupt();
        assert!(!a.exists(), "registered as it was created, so removed");
        assert!(state.create(&b, || std::fs::create_dir(&b)).is_none());
        assert!(!b.exists());
        drop(registration);
    }

    #[test]
    fn nothing_is_put_in_place_after_an_interruption() {
        let state = state();
        let root = tempfile::tempdir().expect("temp dir");
        let staging = root.path().join(".out.partial-1");
        let _registration = state.register(&staging);
        let inside = staging.join("summary.csv");
        assert_eq!(state.put_in_place(&inside, || Ok::<_, ()>(1)), Some(Ok(1)));
        assert!(!state.placed.load(Ordering::SeqCst), "not yet the user's");
        let out = root.path().join("out");
        assert_eq!(state.put_in_place(&out, || Ok::<_, ()>(1)), Some(Ok(1)));
        assert!(state.placed.load(Ordering::SeqCst));
        state.interrupt();
        let mut ran = false;
        assert_eq!(
            state.put_in_place(&out, || {
                ran = true;
                Ok::<_, ()>(2)
            }),
            None
        );
        assert!(!ran);
    }

    /// A staged directory renamed into place while the signal's thread
    /// waits: the rename finishes, and the interruption then finds nothing
    /// registered at the staging path (its registration ends with the
    /// commit), so the output put in place keeps its files.
    #[test]
    fn an_interruption_waits_for_an_output_being_put_in_place() {
        let state = state();
        let root = tempfile::tempdir().expect("temp dir");
        let (staging, target) = (root.path().join(".out.partial-1"), root.path().join("out"));
        std::fs::create_dir(&staging).expect("mkdir");
        std::fs::write(staging.join("runs.csv"), "id\n").expect("write");
        let registration = state.register(&staging);
        let (started, start) = mpsc::channel();
        let signal = std::thread::spawn(move || {
            start.recv().expect("commit started");
            state.interrupt();
        });
        let placed = state.put_in_place(&target.clone(), || {
            started.send(()).expect("signal thread");
            // Give the signal's thread every chance to remove it now.
            std::thread::sleep(Duration::from_millis(50));
            std::fs::rename(&staging, &target)?;
            drop(registration);
            Ok::<_, std::io::Error>(())
        });
        assert!(matches!(placed, Some(Ok(()))));
        signal.join().expect("signal thread");
        assert!(
            target.join("runs.csv").exists(),
            "the output kept its files"
        );
        assert!(state.interrupted.load(Ordering::SeqCst));
    }
}
