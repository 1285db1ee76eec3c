use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::App;
use crate::audit::{self, Actor};
use crate::auth::Action;
use crate::backup::snapshots::{self, Snapshot};
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::kit::error::{Error, Result};

pub struct BackupsApi;

#[derive(Object, Clone, Debug)]
pub struct BackupInfo {
    /// The snapshot's directory name under `DATA/snapshots/`.
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub size_bytes: u64,
    /// Number of files it holds (the database and attachments).
    pub files: u64,
    /// Whether `snapshots/latest` points at it.
    pub latest: bool,
}

#[derive(Object)]
pub struct BackupList {
    pub data: Vec<BackupInfo>,
}

#[derive(ApiResponse)]
enum BackupTaken {
    /// The snapshot was taken and verified.
    #[oai(status = 201)]
    Created(Json<BackupInfo>),
}

fn info(snapshot: &Snapshot, latest: bool) -> BackupInfo {
    BackupInfo {
        name: snapshot.name.clone(),
        created_at: snapshot.manifest.created_at,
        size_bytes: snapshot.manifest.size_bytes(&snapshot.path),
        files: snapshot.manifest.files.len() as u64,
        latest,
    }
}

#[OpenApi(tag = "ApiTags::Backups")]
impl BackupsApi {
    /// List the snapshots kept in the data directory, newest first
    #[oai(path = "/admin/backups", method = "get", operation_id = "list_backups")]
    async fn list(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<BackupList>> {
        auth.caller().require(Action::BackupManage)?;
        let data_dir = app.config.data_dir.clone();
        let found =
            tokio::task::spawn_blocking(move || snapshots::list(&data_dir)).await.map_err(Error::internal)??;
        let data = found.iter().enumerate().map(|(i, s)| info(s, i == 0)).collect();
        Ok(Json(BackupList { data }))
    }

    /// Take a snapshot now
    ///
    /// A consistent copy of the database and attachments in
    /// `DATA/snapshots/`, verified, and made the latest. Old snapshots are
    /// pruned (one per day is kept for the configured number of days).
    #[oai(path = "/admin/backups", method = "post", operation_id = "create_backup")]
    async fn create(&self, app: Data<&App>, auth: StaffAuth) -> Result<BackupTaken> {
        auth.caller().require(Action::BackupManage)?;
        let snapshot = snapshots::take(&app).await?;
        let caller = auth.caller().clone();
        let (now, name) = (app.clock.now(), snapshot.name.clone());
        app.db
            .write(move |tx| {
                let details = serde_json::json!({ "snapshot": name });
                audit::record(tx, now, Actor::from(&caller), "backup.create", "backup", None, Some(details))
            })
            .await?;
        Ok(BackupTaken::Created(Json(info(&snapshot, true))))
    }
}
