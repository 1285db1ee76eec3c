//! The bytes of attachments, kept once each under `DATA/files/` by their
//! SHA-256 (`files/ab/ab12…`). A file is written to a temporary name,
//! fsynced and renamed into place before the row that names it commits, so
//! a row never names a file that is not whole; nothing here is ever deleted.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::kit::error::{Error, Result};

/// Where temporary uploads wait to be renamed; cleared at start.
const INCOMING: &str = "incoming";

#[derive(Clone, Debug)]
pub struct FileStore {
    root: PathBuf,
}

/// How a named file stands, for `clinicbox check`.
#[derive(Debug, PartialEq, Eq)]
pub enum FileState {
    Whole,
    Missing,
    Altered,
}

impl FileStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileStore { root: root.into() }
    }

    /// Creates the folders, and removes uploads a crash left half-written.
    pub fn prepare(&self) -> Result<()> {
        let incoming = self.root.join(INCOMING);
        if incoming.exists() {
            fs::remove_dir_all(&incoming).map_err(|e| io_error("cannot clear unfinished uploads", e))?;
        }
        fs::create_dir_all(&incoming).map_err(|e| io_error("cannot create the files folder", e))?;
        Ok(())
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }

    /// Where uploads wait while they arrive: on the same disk, so keeping one is a rename.
    pub fn incoming_dir(&self) -> PathBuf {
        self.root.join(INCOMING)
    }

    /// Keeps a whole, flushed file that hashes to `sha256` (moving it from
    /// `waiting`); the same bytes a second time are not stored again.
    /// Blocking: call from a blocking thread.
    pub fn keep(&self, waiting: &Path, sha256: &str) -> Result<()> {
        let target = self.path_of(sha256);
        if target.exists() {
            return Ok(());
        }
        let folder = target.parent().unwrap_or(&self.root);
        fs::create_dir_all(folder).map_err(|e| io_error("cannot create the files folder", e))?;
        fs::rename(waiting, &target).map_err(|e| io_error("cannot store an upload", e))?;
        // The rename is durable only once its folder is.
        File::open(folder).and_then(|dir| dir.sync_all()).map_err(|e| io_error("cannot flush the files folder", e))
    }

    /// Whether the file named `sha256` is there and still hashes to it.
    pub fn state_of(&self, sha256: &str) -> Result<FileState> {
        let mut file = match File::open(self.path_of(sha256)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(FileState::Missing),
            Err(e) => return Err(io_error("cannot open an attachment", e)),
        };
        let mut hasher = Sha256::new();
        io::copy(&mut file, &mut hasher).map_err(|e| io_error("cannot read an attachment", e))?;
        Ok(if hex::encode(hasher.finalize()) == sha256 { FileState::Whole } else { FileState::Altered })
    }
}

fn io_error(message: &str, e: io::Error) -> Error {
    Error::internal_from(message, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_are_kept_once_and_a_changed_file_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        store.prepare().unwrap();
        let bytes = b"%PDF-1.7 letter";
        let sha = hex::encode(Sha256::digest(bytes));
        let waiting = store.incoming_dir().join("a");
        fs::write(&waiting, bytes).unwrap();
        store.keep(&waiting, &sha).unwrap();
        assert!(!waiting.exists());
        let again = store.incoming_dir().join("b");
        fs::write(&again, bytes).unwrap();
        store.keep(&again, &sha).unwrap();
        assert_eq!(fs::read(store.path_of(&sha)).unwrap(), bytes);
        assert_eq!(store.state_of(&sha).unwrap(), FileState::Whole);
        fs::write(store.path_of(&sha), b"%PDF-1.7 lettex").unwrap();
        assert_eq!(store.state_of(&sha).unwrap(), FileState::Altered);
        fs::remove_file(store.path_of(&sha)).unwrap();
        assert_eq!(store.state_of(&sha).unwrap(), FileState::Missing);
    }

    #[test]
    fn a_restart_clears_what_a_crash_left_half_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        store.prepare().unwrap();
        fs::write(store.incoming_dir().join("upload-1"), b"half").unwrap();
        store.prepare().unwrap();
        assert_eq!(fs::read_dir(store.incoming_dir()).unwrap().count(), 0);
    }
}
