//! Whether the process that made a staging path still lives: its pid, and
//! the lock it holds on the staging directory (which also covers a process
//! in another pid namespace sharing the file system).

use std::fs::File;
use std::io;
use std::path::Path;

/// Whether a process with this pid exists (on platforms where that cannot
/// be asked, it is assumed to: nothing is then cleaned up as stale).
pub(crate) fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        // EPERM: it exists but belongs to someone else.
        !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        )
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// An exclusive lock on a directory, held while the value lives.
#[derive(Debug)]
pub struct DirLock {
    _file: Option<File>,
}

/// Locks `dir` (exclusively, until the [`DirLock`] is dropped); `Ok(None)`
/// when another process holds its lock.
pub fn lock(dir: &Path) -> io::Result<Option<DirLock>> {
    #[cfg(unix)]
    {
        let file = File::open(dir)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(DirLock { _file: Some(file) })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(Some(DirLock { _file: None }))
    }
}

/// Whether the staging path `path`, made by process `pid`, was left by a
/// process that is gone.
pub(crate) fn stale(path: &Path, pid: u32) -> bool {
    if pid == std::process::id() || alive(pid) {
        return false;
    }
    if path.is_dir() {
        // A live process in another pid namespace still holds its lock.
        return matches!(lock(path), Ok(Some(_)));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_lives_and_an_absurd_pid_does_not() {
        assert!(alive(std::process::id()));
        assert!(!alive(u32::MAX));
    }

    #[cfg(unix)]
    #[test]
    fn a_locked_directory_cannot_be_locked_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let held = lock(dir.path()).expect("lock").expect("free");
        assert!(lock(dir.path()).expect("try").is_none());
        drop(held);
        assert!(lock(dir.path()).expect("lock").is_some());
    }
}
