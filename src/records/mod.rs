//! The clinical record: notes that are drafted, signed and amended, and
//! questionnaires scored as they are entered (attachments and treatment
//! programmes join as sub-folders).
//! Clinical content is for clinicians and managers; every read of it is in
//! the audit log.

pub mod attachments;
pub mod notes;
pub mod questionnaires;
