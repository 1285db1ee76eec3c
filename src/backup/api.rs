use poem::Body;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, OpenApi};

use crate::App;
use crate::backup::model::{BackupInfo, BackupList};
use crate::backup::service;
use crate::http::ApiTags;
use crate::http::auth::StaffAuth;
use crate::http::operations::Operation;
use crate::kit::error::Result;
use crate::kit::permissions::{Access, Action};

pub struct BackupsApi;

#[derive(ApiResponse)]
enum BackupTaken {
    /// The snapshot was taken and verified.
    #[oai(status = 201)]
    Created(Json<BackupInfo>),
}

#[derive(ApiResponse)]
enum BackupArchive {
    /// The snapshot as one tar file (a folder with the database, the
    /// attachments and `manifest.json`); `clinicbox restore FILE` takes it back.
    #[oai(status = 200, content_type = "application/x-tar")]
    Archive(Binary<Body>, #[oai(header = "Content-Disposition")] String),
}

#[OpenApi(tag = "ApiTags::Backups")]
impl BackupsApi {
    /// List the snapshots kept in the data directory, newest first
    ///
    /// Each snapshot with its name and when it was taken. Snapshots are a copy of the data
    /// directory, verified when taken; restore one into an empty directory with `clinicbox
    /// restore`.
    #[oai(path = "/admin/backups", method = "get", operation_id = "list_backups")]
    async fn list(&self, app: Data<&App>, auth: StaffAuth) -> Result<Json<BackupList>> {
        auth.caller().require(Action::BackupManage)?;
        Ok(Json(BackupList { data: service::list(&app).await? }))
    }

    /// Download a snapshot
    ///
    /// For a copy kept off this machine: the snapshot named by `name` (from the list) as a tar
    /// archive, streamed. Audited as `backup.download`.
    #[oai(path = "/admin/backups/:name/archive", method = "get", operation_id = "download_backup")]
    async fn download(
        &self,
        app: Data<&App>,
        auth: StaffAuth,
        #[oai(validator(max_length = 40, pattern = "^[0-9]{8}T[0-9]{6}\\.[0-9]{3}Z$"))] name: Path<String>,
    ) -> Result<BackupArchive> {
        auth.caller().require(Action::BackupManage)?;
        let (filename, stream) = service::download(&app, auth.caller(), &name.0).await?;
        Ok(BackupArchive::Archive(
            Binary(Body::from_bytes_stream(stream)),
            format!("attachment; filename=\"{filename}\""),
        ))
    }

    /// Take a snapshot now
    ///
    /// A consistent copy of the database and attachments in
    /// `DATA/snapshots/`, verified, and made the latest. Old snapshots are
    /// pruned (one per day is kept for the configured number of days).
    #[oai(path = "/admin/backups", method = "post", operation_id = "create_backup")]
    async fn create(&self, app: Data<&App>, auth: StaffAuth) -> Result<BackupTaken> {
        auth.caller().require(Action::BackupManage)?;
        Ok(BackupTaken::Created(Json(service::take(&app, auth.caller()).await?)))
    }
}

/// Who may call each operation and the error codes that are its own.
pub const OPERATIONS: &[Operation] = &[
    Operation::new("list_backups", Access::Requires(&[Action::BackupManage])),
    Operation::new("create_backup", Access::Requires(&[Action::BackupManage])),
    Operation::new("download_backup", Access::Requires(&[Action::BackupManage])),
];
