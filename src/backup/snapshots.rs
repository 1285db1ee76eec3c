//! Rolling snapshots inside the data directory, so that even a plain copy
//! of a live directory holds a good backup: `snapshots/latest` (at most
//! one interval old, switched atomically) plus the last one of each day.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::App;
use crate::backup::SNAPSHOTS_DIR;
use crate::backup::archive::{self, Manifest};
use crate::kit::error::{Error, Result};

pub const LATEST: &str = "latest";
const NAME_FORMAT: &str = "%Y%m%dT%H%M%S%.3fZ";

/// Serialises snapshot-taking: the timer and the API may ask at once.
static TAKING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub name: String,
    pub path: PathBuf,
    pub manifest: Manifest,
}

fn parse_name(name: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(name, NAME_FORMAT).ok().map(|t| t.and_utc())
}

pub fn dir_of(data_dir: &Path) -> PathBuf {
    data_dir.join(SNAPSHOTS_DIR)
}

/// Snapshots present, newest first.
pub fn list(data_dir: &Path) -> Result<Vec<Snapshot>> {
    let root = dir_of(data_dir);
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(&root) else { return Ok(found) };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if parse_name(&name).is_none() || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(text) = fs::read_to_string(entry.path().join(archive::MANIFEST)) else { continue };
        let Ok(manifest) = serde_json::from_str::<Manifest>(&text) else { continue };
        found.push(Snapshot { name, path: entry.path(), manifest });
    }
    found.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(found)
}

/// Which snapshots to keep: the newest, and the newest of each of the last
/// `keep_days` days. Names sort by time.
pub fn to_keep(names: &[String], now: DateTime<Utc>, keep_days: i64) -> Vec<String> {
    let mut sorted: Vec<&String> = names.iter().filter(|n| parse_name(n).is_some()).collect();
    sorted.sort_by(|a, b| b.cmp(a));
    let mut keep = Vec::new();
    let mut days_seen = Vec::new();
    for (position, name) in sorted.into_iter().enumerate() {
        let Some(at) = parse_name(name) else { continue };
        let day = at.date_naive();
        let recent = (now.date_naive() - day).num_days() < keep_days;
        if position == 0 || (recent && !days_seen.contains(&day)) {
            keep.push(name.clone());
        }
        days_seen.push(day);
    }
    keep
}

/// Takes a snapshot now, points `latest` at it and prunes old ones.
pub fn take_blocking(data_dir: &Path, now: DateTime<Utc>, keep_days: i64) -> Result<Snapshot> {
    let root = dir_of(data_dir);
    fs::create_dir_all(&root)?;
    // Names sort by time and must be new: when the clock has not moved past
    // the newest snapshot (two in one millisecond, or the clock stepped
    // back), the name goes just after it.
    let mut name = now.format(NAME_FORMAT).to_string();
    let newest = fs::read_dir(&root)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| parse_name(n).is_some())
        .max();
    if let Some(newest) = newest.filter(|newest| *newest >= name)
        && let Some(at) = parse_name(&newest)
    {
        name = (at + chrono::Duration::milliseconds(1)).format(NAME_FORMAT).to_string();
    }
    let path = root.join(&name);
    let manifest = archive::create_backup(data_dir, &path, now)?;
    // A symlink swapped by rename: readers see the old or the new, never neither.
    let link = root.join(format!(".{LATEST}.new"));
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink(&name, &link)?;
    fs::rename(&link, root.join(LATEST))?;

    let names: Vec<String> = list(data_dir)?.into_iter().map(|s| s.name).collect();
    let keep = to_keep(&names, now, keep_days);
    for old in names.iter().filter(|n| !keep.contains(n)) {
        if let Err(err) = fs::remove_dir_all(root.join(old)) {
            tracing::warn!(snapshot = %old, error = %err, "could not remove an old snapshot");
        }
    }
    Ok(Snapshot { name, path, manifest })
}

pub async fn take(app: &App) -> Result<Snapshot> {
    let _one_at_a_time = TAKING.lock().await;
    let (data_dir, now, keep_days) = (app.config.data_dir.clone(), app.clock.now(), app.config.snapshot_keep_days);
    tokio::task::spawn_blocking(move || take_blocking(&data_dir, now, keep_days)).await.map_err(Error::internal)?
}

/// Keeps `latest` at most one interval old while the server runs.
/// After a new clinic's first change, the wait before its first snapshot
/// (a burst of writes, such as creating the first administrator, lands in one).
const FIRST_SNAPSHOT_SETTLE: chrono::Duration = chrono::Duration::seconds(1);

/// No one has set the clinic up yet: no staff account exists.
async fn is_empty(app: &App) -> bool {
    app.db
        .read(|c| Ok(c.query_row("SELECT NOT EXISTS (SELECT 1 FROM staff)", [], |row| row.get::<_, bool>(0))?))
        .await
        .unwrap_or(false)
}

pub fn spawn(app: App, mut stop: watch::Receiver<bool>) -> Option<JoinHandle<()>> {
    let interval_minutes = app.config.snapshot_interval_minutes;
    if interval_minutes == 0 {
        return None;
    }
    let interval = chrono::Duration::minutes(interval_minutes as i64);
    Some(tokio::spawn(async move {
        let commits = app.db.watch_commits();
        // Commits seen at the last snapshot; a snapshot of an unchanged
        // database would only rewrite the same data.
        let mut snapshot_at_commit: Option<u64> = None;
        let newest = list(&app.config.data_dir).ok().and_then(|s| s.first().map(|s| s.manifest.created_at));
        let mut next_due = newest.map(|at| at + interval).unwrap_or_default();
        // A new clinic has nothing worth a snapshot until its first change;
        // then the first snapshot follows shortly, not an interval later.
        if newest.is_none() && is_empty(&app).await {
            // Housekeeping commits too (expired tokens): wait for a real change.
            let mut commits = commits.clone();
            loop {
                tokio::select! {
                    changed = commits.changed() => if changed.is_err() { return },
                    _ = stop.changed() => return,
                }
                if !is_empty(&app).await {
                    break;
                }
            }
            next_due = app.clock.now() + FIRST_SNAPSHOT_SETTLE;
        }
        loop {
            let wait = (next_due - app.clock.now()).to_std().unwrap_or(Duration::ZERO);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {},
                _ = stop.changed() => return,
            }
            let seen = *commits.borrow();
            if snapshot_at_commit == Some(seen) {
                next_due = app.clock.now() + interval;
                continue;
            }
            match take(&app).await {
                Ok(snapshot) => {
                    tracing::info!(snapshot = %snapshot.name, "snapshot taken");
                    snapshot_at_commit = Some(seen);
                    next_due = snapshot.manifest.created_at + interval;
                }
                Err(err) => {
                    tracing::error!(error = %err, "snapshot failed; retrying in a minute");
                    next_due = app.clock.now() + chrono::Duration::minutes(1);
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> String {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc).format(NAME_FORMAT).to_string()
    }

    #[test]
    fn keeps_the_newest_and_one_per_day_for_a_week() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z").unwrap().with_timezone(&Utc);
        let names: Vec<String> = [
            "2026-11-22T09:45:00Z",
            "2026-11-22T09:30:00Z",
            "2026-11-21T23:50:00Z",
            "2026-11-21T12:00:00Z",
            "2026-11-16T08:00:00Z",
            "2026-11-15T08:00:00Z",
            "2026-11-01T08:00:00Z",
        ]
        .iter()
        .map(|t| name(t))
        .collect();
        let keep = to_keep(&names, now, 7);
        let expected: Vec<String> =
            ["2026-11-22T09:45:00Z", "2026-11-21T23:50:00Z", "2026-11-16T08:00:00Z"].iter().map(|t| name(t)).collect();
        assert_eq!(keep, expected);
    }

    #[test]
    fn the_only_snapshot_is_always_kept() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z").unwrap().with_timezone(&Utc);
        let names = vec![name("2025-01-01T00:00:00Z")];
        assert_eq!(to_keep(&names, now, 7), names);
    }

    #[test]
    fn snapshots_taken_at_one_instant_get_new_names_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let _db = crate::db::Db::open(&dir.path().join("clinicbox.db"), crate::db::DbOptions::default()).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z").unwrap().with_timezone(&Utc);
        let first = take_blocking(dir.path(), now, 7).unwrap();
        let second = take_blocking(dir.path(), now, 7).unwrap();
        let earlier = take_blocking(dir.path(), now - chrono::Duration::hours(1), 7).unwrap();
        assert!(first.name < second.name && second.name < earlier.name, "{first:?} {second:?} {earlier:?}");
        assert_eq!(list(dir.path()).unwrap()[0].name, earlier.name, "the newest is the latest");
        // A folder left by a snapshot that never finished is not reused.
        let _unfinished = fs::create_dir(dir_of(dir.path()).join(name("2026-11-22T11:00:00Z")));
        let after_unfinished = take_blocking(dir.path(), now, 7).unwrap();
        assert!(after_unfinished.name > name("2026-11-22T11:00:00Z"));
    }
}
