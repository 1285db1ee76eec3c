//! Snapshots on request: listing them and taking one, audited.

use crate::App;
use crate::audit::{self, Actor};
use crate::backup::model::BackupInfo;
use crate::backup::snapshots::{self, Snapshot};
use crate::kit::error::Result;
use crate::kit::principal::Caller;

fn info(snapshot: &Snapshot, latest: bool) -> BackupInfo {
    BackupInfo {
        name: snapshot.name.clone(),
        created_at: snapshot.manifest.created_at,
        size_bytes: snapshot.manifest.size_bytes(&snapshot.path),
        files: snapshot.manifest.files.len() as u64,
        latest,
    }
}

/// The snapshots kept in the data directory, newest (the latest) first.
pub async fn list(app: &App) -> Result<Vec<BackupInfo>> {
    let data_dir = app.config.data_dir.clone();
    let found = tokio::task::spawn_blocking(move || snapshots::list(&data_dir)).await??;
    Ok(found.iter().enumerate().map(|(i, s)| info(s, i == 0)).collect())
}

/// A kept snapshot as a tar stream, audited: it holds every record.
pub async fn download(
    app: &App,
    caller: &Caller,
    name: &str,
) -> Result<(String, impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static)> {
    let data_dir = app.config.data_dir.clone();
    let found = tokio::task::spawn_blocking(move || snapshots::list(&data_dir)).await??;
    let snapshot =
        found.into_iter().find(|s| s.name == name).ok_or(crate::kit::error::Error::NotFound { entity: "backup" })?;
    let caller = caller.clone();
    let (now, audited) = (app.clock.now(), snapshot.name.clone());
    app.db
        .write(move |tx| {
            let details = serde_json::json!({ "snapshot": audited });
            audit::record(tx, now, Actor::from(&caller), "backup.download", "backup", None, Some(details))
        })
        .await?;
    let root = format!("clinicbox-backup-{}", snapshot.name);
    Ok((format!("{root}.tar"), crate::backup::download::tar_stream(snapshot.path, root)))
}

/// Takes a verified snapshot now, makes it the latest, and audits who asked.
pub async fn take(app: &App, caller: &Caller) -> Result<BackupInfo> {
    let snapshot = snapshots::take(app).await?;
    let caller = caller.clone();
    let (now, name) = (app.clock.now(), snapshot.name.clone());
    app.db
        .write(move |tx| {
            let details = serde_json::json!({ "snapshot": name });
            audit::record(tx, now, Actor::from(&caller), "backup.create", "backup", None, Some(details))
        })
        .await?;
    Ok(info(&snapshot, true))
}
