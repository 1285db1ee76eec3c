//! Snapshots as the API shows them.

use chrono::{DateTime, Utc};
use poem_openapi::Object;

#[derive(Object, Clone, Debug)]
pub struct BackupInfo {
    /// The snapshot's directory name under `DATA/snapshots/`.
    pub name: String,
    #[oai(serialize_with = "crate::kit::time::instant_json")]
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
