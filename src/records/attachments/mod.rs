//! Files on a patient's record (referral letters, scans, results): checked
//! by their bytes, kept once each by hash, served only as downloads.

pub mod api;
pub mod files;
pub mod kinds;
pub mod model;
pub mod service;
pub mod store;

/// Attachments follow a patient's record into a merge and back out of its undo.
pub const ATTACHMENTS: crate::patients::merging::HeldRecords =
    crate::patients::merging::HeldRecords::rows("attachments", "attachments");
