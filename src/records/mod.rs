//! The clinical record: notes that are drafted, signed and amended (more
//! parts, such as attachments and questionnaires, join as sub-folders).
//! Clinical content is for clinicians and managers; every read of it is in
//! the audit log.

pub mod notes;
