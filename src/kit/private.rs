//! The data directory and the database are the clinic's records: only the
//! account that runs Clinicbox may read them. SQLite gives its WAL and
//! shared-memory files the database file's mode, so a private database
//! keeps them private too.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its parents) if missing, and makes it `0700`.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
    tighten(dir, DIR_MODE)
}

/// Creates the database file `0600` before SQLite does, or tightens one
/// made by an older version, with its WAL and shared-memory files.
pub fn private_database(path: &Path) -> io::Result<()> {
    fs::OpenOptions::new().create(true).truncate(false).write(true).mode(FILE_MODE).open(path)?;
    tighten(path, FILE_MODE)?;
    for suffix in ["-wal", "-shm"] {
        let companion =
            path.with_file_name(format!("{}{suffix}", path.file_name().unwrap_or_default().to_string_lossy()));
        if companion.exists() {
            tighten(&companion, FILE_MODE)?;
        }
    }
    Ok(())
}

/// Writes `bytes` to a file only the owner can read (a key, a one-time
/// link), created `0600` so it is never readable by others even briefly.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(FILE_MODE).open(path)?;
    tighten(path, FILE_MODE)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn tighten(path: &Path, mode: u32) -> io::Result<()> {
    let current = fs::metadata(path)?.permissions().mode() & 0o777;
    if current != mode {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_or_old_data_directory_and_database_end_up_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let db = dir.join("clinicbox.db");
        private_database(&db).unwrap();
        assert_eq!(mode(&db), 0o600);

        // Left world-readable by an older version: tightened, contents kept.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(&db, b"kept").unwrap();
        fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(dir.join("clinicbox.db-wal"), b"").unwrap();
        fs::set_permissions(dir.join("clinicbox.db-wal"), fs::Permissions::from_mode(0o644)).unwrap();
        private_dir(&dir).unwrap();
        private_database(&db).unwrap();
        assert_eq!((mode(&dir), mode(&db), mode(&dir.join("clinicbox.db-wal"))), (0o700, 0o600, 0o600));
        assert_eq!(fs::read(&db).unwrap(), b"kept");
    }
}
