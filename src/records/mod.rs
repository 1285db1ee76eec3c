//! The clinical record: notes that are drafted, signed and amended, files,
//! questionnaires scored as they are entered, and treatment programmes.
//! Clinical content is for clinicians and managers; every read of it is in
//! the audit log.

pub mod attachments;
pub mod notes;
pub mod programmes;
pub mod questionnaires;
