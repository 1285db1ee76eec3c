//! Treatment programmes: a plan of sessions with the questionnaires that
//! track it and its goals; patients enrolled in one with a clinician, their
//! progress counted from the appointments completed, their goals noted on.

pub mod api;
pub mod model;
pub mod service;
pub mod store;

/// Enrolments follow a patient's record into a merge and back out of its undo.
pub const ENROLMENTS: crate::patients::merging::HeldRecords =
    crate::patients::merging::HeldRecords::rows("enrolments", "enrolments");
