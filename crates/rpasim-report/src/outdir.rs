//! Output directories that appear complete or not at all.
//!
//! Files are written into a hidden staging directory beside the target;
//! [`StagedDir::commit`] swaps it into place. If the run fails (or panics,
//! or the staging value is dropped), the staging directory is removed and a
//! previous output at the target is left untouched.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A staging directory for an output directory.
#[derive(Debug)]
pub struct StagedDir {
    staging: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Creates an empty staging directory for `target`, in the same parent
    /// (so that the final rename is atomic).
    pub fn create(target: &Path) -> io::Result<Self> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let name = target
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir(&staging)?;
        Ok(StagedDir {
            staging,
            target: target.to_path_buf(),
            committed: false,
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

    /// Replaces `target` (if any) by the staged directory.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        if self.target.exists() {
            let old = self.staging.with_extension("old");
            if old.exists() {
                fs::remove_dir_all(&old)?;
            }
            fs::rename(&self.target, &old)?;
            fs::rename(&self.staging, &self.target)?;
            fs::remove_dir_all(&old)?;
        } else {
            fs::rename(&self.staging, &self.target)?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_drop_discards() {
        let root = tempfile::tempdir().expect("temp dir");
        let target = root.path().join("out");
        fs::create_dir(&target).expect("mkdir");
        fs::write(target.join("old.txt"), "old").expect("write");

        let staged = StagedDir::create(&target).expect("stage");
        fs::write(staged.path().join("new.txt"), "new").expect("write");
        drop(staged);
        assert!(
            target.join("old.txt").exists(),
            "a failed run leaves the old output"
        );
        assert_eq!(
            fs::read_dir(root.path()).expect("ls").count(),
            1,
            "no staging left"
        );

        let staged = StagedDir::create(&target).expect("stage");
        fs::write(staged.path().join("new.txt"), "new").expect("write");
        staged.commit().expect("commit");
        assert!(target.join("new.txt").exists() && !target.join("old.txt").exists());
        assert_eq!(fs::read_dir(root.path()).expect("ls").count(), 1);
    }
}
