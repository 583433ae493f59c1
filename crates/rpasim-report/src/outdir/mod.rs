//! Output directories that can never destroy anything of the user's.
//!
//! The rules (README, "What rpasim will never do to your files"):
//!
//! - An existing path is replaced only when it is an empty directory or an
//!   earlier output that rpasim recognises as its own: the marker file with
//!   rpasim's signature, and nothing but files rpasim writes ([`OutputKind`],
//!   [`inspect`]). Anything else is refused before anything is touched.
//! - Files are written into a staging directory beside the target,
//!   `.<name>.partial-<pid>`, locked while its process lives;
//!   [`StagedDir::commit`] swaps it into place with one atomic exchange, so
//!   there is no moment when the target is missing. Single files are
//!   written the same way ([`write_atomically`]).
//! - Staging left by a process that died (SIGKILL, power loss) is removed
//!   by the next command that writes the same target.
//! - Everything being staged is registered in [`cleanup`], so that the
//!   binary's signal handler removes it on SIGINT or SIGTERM.

pub mod cleanup;
mod kind;
mod process;
mod staging;

pub use kind::{Contents, Marker, OutputKind, before_line, inspect};
pub use process::{DirLock, lock as lock_dir};
pub use staging::{
    StagedDir, clean_stale_files, create_subdir, parse_partial, partial_name, partial_path,
    shown_path, unstaged, write_atomically,
};

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why an output could not be written.
#[derive(Debug)]
pub enum OutDirError {
    /// The target is not ours to replace (exit status 2): the message names
    /// the path and what is in the way.
    Refused(String),
    /// An I/O failure on a path (exit status 1).
    Io(PathBuf, io::Error),
}

impl OutDirError {
    pub(crate) fn io(path: &Path, e: io::Error) -> Self {
        OutDirError::Io(path.to_path_buf(), e)
    }
}

impl fmt::Display for OutDirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutDirError::Refused(m) => f.write_str(m),
            OutDirError::Io(path, e) => write!(f, "{}: {e}", shown_path(path)),
        }
    }
}

impl std::error::Error for OutDirError {}

impl From<OutDirError> for io::Error {
    fn from(e: OutDirError) -> Self {
        match e {
            OutDirError::Refused(m) => io::Error::new(io::ErrorKind::AlreadyExists, m),
            OutDirError::Io(path, e) => {
                io::Error::new(e.kind(), format!("{}: {e}", shown_path(&path)))
            }
        }
    }
}
