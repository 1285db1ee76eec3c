//! Backups: a backup is a directory holding a consistent copy of the
//! database, the attachment files and a manifest of SHA-256 sums. The same
//! format serves `clinicbox backup`, the rolling snapshots kept in
//! `DATA/snapshots/` while the server runs, and `clinicbox restore`.

pub mod api;
pub mod archive;
pub mod download;
pub mod model;
pub mod service;
pub mod snapshots;

/// Where rolling snapshots live inside the data directory.
pub const SNAPSHOTS_DIR: &str = "snapshots";

pub use archive::{Manifest, RestoreReport, create_backup, restore, verify_backup};
