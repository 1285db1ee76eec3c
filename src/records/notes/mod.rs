//! Clinical notes: drafts written from a template, signed (then never
//! changed), corrected by signed addenda, linked to an appointment; and the
//! completed appointments still waiting for their note.

pub mod api;
pub mod model;
pub mod service;
pub mod store;

/// Notes follow a patient's record into a merge and back out of its undo (a
/// signed note moves unchanged).
pub const NOTES: crate::patients::merging::HeldRecords =
    crate::patients::merging::HeldRecords::rows("notes", "clinical_notes");
