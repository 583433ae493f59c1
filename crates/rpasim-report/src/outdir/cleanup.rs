//! What to remove if the process is interrupted: every staging directory
//! and temporary file being written. The binary's signal handler calls
//! [`interrupt`]; the library itself handles no signal.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static PATHS: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// A path to remove on interruption, for as long as the value lives.
#[derive(Debug)]
pub struct Registration {
    id: u64,
}

/// Registers `path` (a file or a directory) for removal on interruption.
pub fn register(path: &Path) -> Registration {
    let id = NEXT.fetch_add(1, Ordering::SeqCst);
    lock().push((id, path.to_path_buf()));
    Registration { id }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock().retain(|(id, _)| *id != self.id);
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<(u64, PathBuf)>> {
    // A panic while holding the lock leaves the list intact: keep using it.
    PATHS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Marks the process interrupted and removes every registered path. Other
/// threads may still be writing into them: a directory is retried until
/// it is gone.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let paths: Vec<PathBuf> = lock().iter().map(|(_, p)| p.clone()).collect();
    for path in paths {
        remove(&path);
    }
}

/// Whether [`interrupt`] was called: errors that follow from the removal
/// are then not worth reporting.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
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

    #[test]
    fn registered_paths_are_removed_and_dropped_ones_kept() {
        let root = tempfile::tempdir().expect("temp dir");
        let (a, b) = (root.path().join("a"), root.path().join("b.txt"));
        std::fs::create_dir(&a).expect("mkdir");
        std::fs::write(a.join("x"), "x").expect("write");
        std::fs::write(&b, "b").expect("write");
        let keep = root.path().join("kept");
        std::fs::write(&keep, "k").expect("write");
        let (_ra, _rb) = (register(&a), register(&b));
        drop(register(&keep));
        interrupt();
        assert!(!a.exists() && !b.exists() && keep.exists());
        assert!(interrupted());
    }
}
