//! Making, verifying and restoring one backup directory.

use crate::kit::sql::CachedSql;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::migrations;
use crate::kit::error::{Error, ErrorCode, Result};

pub const MANIFEST: &str = "manifest.json";
pub const DATABASE: &str = "clinicbox.db";
pub const FILES: &str = crate::config::FILES_DIR;
const FORMAT: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub clinicbox_version: String,
    pub created_at: DateTime<Utc>,
    pub schema_version: i64,
    /// Relative path → SHA-256 (hex) of every file in the backup but the manifest.
    pub files: BTreeMap<String, String>,
}

impl Manifest {
    pub fn size_bytes(&self, dir: &Path) -> u64 {
        self.files.keys().filter_map(|p| fs::metadata(dir.join(p)).ok()).map(|m| m.len()).sum()
    }
}

fn io_error(context: &str, path: &Path) -> impl Fn(io::Error) -> Error {
    let context = format!("{context} {}", path.display());
    move |e| Error::internal(format!("{context}: {e}"))
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(io_error("cannot read", path))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher).map_err(io_error("cannot read", path))?;
    Ok(hex::encode(hasher.finalize()))
}

fn sync_dir(path: &Path) -> Result<()> {
    File::open(path).and_then(|d| d.sync_all()).map_err(io_error("cannot sync", path))
}

/// Every regular file below `root`, as paths relative to it.
fn list_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = root.join(&relative);
        if !dir.exists() {
            continue;
        }
        for entry in fs::read_dir(&dir).map_err(io_error("cannot list", &dir))? {
            let entry = entry.map_err(io_error("cannot list", &dir))?;
            let kind = entry.file_type().map_err(io_error("cannot inspect", &entry.path()))?;
            let path = relative.join(entry.file_name());
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for relative in list_files(from)? {
        let target = to.join(&relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io_error("cannot create", parent))?;
        }
        fs::copy(from.join(&relative), &target).map_err(io_error("cannot copy to", &target))?;
        File::open(&target).and_then(|f| f.sync_all()).map_err(io_error("cannot sync", &target))?;
    }
    Ok(())
}

/// The installation key goes with the data, so signed links keep working.
fn copy_secret(from: &Path, to: &Path) -> Result<()> {
    let source = from.join(crate::secret::FILE);
    if source.exists() {
        let target = to.join(crate::secret::FILE);
        fs::copy(&source, &target).map_err(io_error("cannot copy", &source))?;
        File::open(&target).and_then(|f| f.sync_all()).map_err(io_error("cannot sync", &target))?;
    }
    Ok(())
}

/// `PRAGMA integrity_check` on a database file, opened read-only.
pub fn integrity_ok(path: &Path) -> std::result::Result<(), String> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| e.to_string())?;
    let answer: String = conn
        .query_row_cached("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| format!("integrity check: {e}"))?;
    if answer != "ok" {
        return Err(format!("integrity check: {answer}"));
    }
    migrations::verify(&conn).map_err(|e| e.to_string())?;
    Ok(())
}

fn ensure_empty_target(dest: &Path) -> Result<()> {
    if dest.exists() {
        let mut entries = fs::read_dir(dest).map_err(io_error("cannot read", dest))?;
        if entries.next().is_some() {
            return Err(Error::bad_request(
                ErrorCode::TargetNotEmpty,
                format!("{} is not empty; choose a new or empty directory", dest.display()),
            ));
        }
    }
    Ok(())
}

/// A temporary sibling of `dest`, renamed into place when complete, so a
/// half-written backup never looks like a backup.
fn staging_for(dest: &Path) -> Result<PathBuf> {
    let name = dest.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "backup".into());
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_error("cannot create", parent))?;
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io_error("cannot clear", &staging))?;
    }
    fs::create_dir_all(&staging).map_err(io_error("cannot create", &staging))?;
    Ok(staging)
}

fn write_manifest(dir: &Path, created_at: DateTime<Utc>) -> Result<Manifest> {
    let mut files = BTreeMap::new();
    for relative in list_files(dir)? {
        let key = relative.to_string_lossy().replace('\\', "/");
        if key == MANIFEST {
            continue;
        }
        files.insert(key, sha256_file(&dir.join(&relative))?);
    }
    let manifest = Manifest {
        format: FORMAT,
        clinicbox_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at,
        schema_version: migrations::latest_version(),
        files,
    };
    let path = dir.join(MANIFEST);
    let text = serde_json::to_string_pretty(&manifest).map_err(Error::internal)?;
    fs::write(&path, text).map_err(io_error("cannot write", &path))?;
    File::open(&path).and_then(|f| f.sync_all()).map_err(io_error("cannot sync", &path))?;
    Ok(manifest)
}

/// Makes a backup of a live data directory in `dest` (new or empty): a
/// consistent copy of the database taken inside one read transaction
/// (`VACUUM INTO`, which never blocks the server's writes), the files tree
/// and the manifest. The index is left out: it is rebuilt from the database.
pub fn create_backup(data_dir: &Path, dest: &Path, now: DateTime<Utc>) -> Result<Manifest> {
    let source = data_dir.join(DATABASE);
    if !source.exists() {
        return Err(Error::bad_request(ErrorCode::NoDatabase, format!("no database at {}", source.display())));
    }
    ensure_empty_target(dest)?;
    let staging = staging_for(dest)?;
    let result = (|| {
        let copy = staging.join(DATABASE);
        let conn = Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.execute_cached("VACUUM INTO ?1", [copy.to_string_lossy()])?;
        File::open(&copy).and_then(|f| f.sync_all()).map_err(io_error("cannot sync", &copy))?;
        integrity_ok(&copy).map_err(|e| Error::internal(format!("the backup copy failed its check: {e}")))?;
        copy_tree(&data_dir.join(FILES), &staging.join(FILES))?;
        copy_secret(data_dir, &staging)?;
        let manifest = write_manifest(&staging, now)?;
        sync_dir(&staging)?;
        if dest.exists() {
            fs::remove_dir(dest).map_err(io_error("cannot replace", dest))?;
        }
        fs::rename(&staging, dest).map_err(io_error("cannot move the backup to", dest))?;
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        Ok(manifest)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Checks a backup: the manifest reads, every listed file is there with
/// its recorded sum, and the database passes its integrity check.
pub fn verify_backup(dir: &Path) -> std::result::Result<Manifest, String> {
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| format!("the manifest cannot be read: {e}"))?;
    if manifest.format != FORMAT {
        return Err(format!("backup format {} is not supported", manifest.format));
    }
    if !manifest.files.contains_key(DATABASE) {
        return Err("the manifest lists no database".into());
    }
    for (relative, expected) in &manifest.files {
        if relative.split('/').any(|part| part == ".." || part.is_empty()) {
            return Err(format!("the manifest names an unsafe path: {relative}"));
        }
        let actual = sha256_file(&dir.join(relative)).map_err(|e| e.full_message())?;
        if &actual != expected {
            return Err(format!("{relative} does not match its manifest sum (altered or damaged)"));
        }
    }
    integrity_ok(&dir.join(DATABASE))?;
    Ok(manifest)
}

#[derive(Debug)]
pub struct RestoreReport {
    /// What was restored, in a sentence for the person running the command.
    pub summary: String,
    pub used_snapshot: Option<PathBuf>,
}

fn restore_verified(source: &Path, manifest: &Manifest, data_dir: &Path) -> Result<()> {
    let staging = staging_for(data_dir)?;
    let result = (|| {
        for relative in manifest.files.keys() {
            let target = staging.join(relative);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(io_error("cannot create", parent))?;
            }
            fs::copy(source.join(relative), &target).map_err(io_error("cannot copy to", &target))?;
            File::open(&target).and_then(|f| f.sync_all()).map_err(io_error("cannot sync", &target))?;
        }
        sync_dir(&staging)?;
        if data_dir.exists() {
            fs::remove_dir(data_dir).map_err(io_error("cannot replace", data_dir))?;
        }
        fs::rename(&staging, data_dir).map_err(io_error("cannot move into", data_dir))
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Newest first: the snapshot directories in a copied data directory.
fn snapshots_in(data_copy: &Path) -> Vec<(DateTime<Utc>, PathBuf)> {
    let mut found: Vec<(DateTime<Utc>, PathBuf)> = fs::read_dir(data_copy.join(crate::backup::SNAPSHOTS_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let text = fs::read_to_string(e.path().join(MANIFEST)).ok()?;
            let manifest: Manifest = serde_json::from_str(&text).ok()?;
            Some((manifest.created_at, e.path()))
        })
        .collect();
    found.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    found
}

/// Restores into `data_dir`, which must be new or empty.
///
/// `source` is either a backup (it has a manifest, which must verify) or a
/// plain copy of a data directory. A copy whose database fails its check,
/// as a copy taken while the server wrote can, is restored from the newest
/// snapshot inside it that verifies instead, and the report says so.
pub fn restore(source: &Path, data_dir: &Path, now: DateTime<Utc>) -> Result<RestoreReport> {
    ensure_empty_target(data_dir)?;
    if source.join(MANIFEST).exists() {
        let manifest = verify_backup(source)
            .map_err(|e| Error::bad_request(ErrorCode::BackupInvalid, format!("refusing to restore: {e}")))?;
        restore_verified(source, &manifest, data_dir)?;
        return Ok(RestoreReport {
            summary: format!("restored the backup of {}", manifest.created_at.format("%Y-%m-%d %H:%M:%S UTC")),
            used_snapshot: None,
        });
    }
    let database = source.join(DATABASE);
    if !database.exists() {
        return Err(Error::bad_request(
            ErrorCode::NotABackup,
            format!("{} holds neither a backup manifest nor a database", source.display()),
        ));
    }
    // Check the copy (with its WAL) in a scratch directory, never in place.
    let scratch = staging_for(&data_dir.with_file_name(".restore-check"))?;
    let copied = scratch.join("data");
    fs::create_dir_all(&copied).map_err(io_error("cannot create", &copied))?;
    for name in [DATABASE, "clinicbox.db-wal"] {
        if source.join(name).exists() {
            fs::copy(source.join(name), copied.join(name)).map_err(io_error("cannot copy", &source.join(name)))?;
        }
    }
    let report = match integrity_ok(&copied.join(DATABASE)) {
        Ok(()) => {
            // Made into a proper backup first: one clean file, verified, with sums.
            copy_tree(&source.join(FILES), &copied.join(FILES))?;
            copy_secret(source, &copied)?;
            let staged = scratch.join("backup");
            let manifest = create_backup(&copied, &staged, now)?;
            restore_verified(&staged, &manifest, data_dir)?;
            RestoreReport { summary: "restored the copied data directory".into(), used_snapshot: None }
        }
        Err(problem) => {
            let good = snapshots_in(source).into_iter().find_map(|(_, path)| {
                let manifest = verify_backup(&path).ok()?;
                Some((path, manifest))
            });
            let Some((snapshot, manifest)) = good else {
                let _ = fs::remove_dir_all(&scratch);
                return Err(Error::bad_request(
                    ErrorCode::NoGoodCopy,
                    format!("the copied database failed its check ({problem}) and no snapshot in it verifies"),
                ));
            };
            restore_verified(&snapshot, &manifest, data_dir)?;
            RestoreReport {
                summary: format!(
                    "the copied database failed its check ({problem}); restored the snapshot of {} instead",
                    manifest.created_at.format("%Y-%m-%d %H:%M:%S UTC")
                ),
                used_snapshot: Some(snapshot),
            }
        }
    };
    let _ = fs::remove_dir_all(&scratch);
    Ok(report)
}
