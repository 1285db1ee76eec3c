use poem::web::Data;
use poem_openapi::payload::Json;
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
];
