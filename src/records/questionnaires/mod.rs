//! Questionnaires with published scoring (PHQ-9, GAD-7, a 0–10 mood rating)
//! and the clinic's own: answers entered by staff, scored and banded as they
//! are saved, never changed afterwards, read back as a series for outcome
//! charts; and questionnaires assigned to patients, once or recurring.

pub mod api;
pub mod assignments;
pub mod builtin;
pub mod custom;
pub mod model;
pub mod service;
pub mod store;

/// Responses follow a patient's record into a merge and back out of its undo.
pub const RESPONSES: crate::patients::merging::HeldRecords =
    crate::patients::merging::HeldRecords::rows("questionnaire_responses", "questionnaire_responses");

/// Assignments follow a patient's record into a merge and back out of its undo.
pub const ASSIGNMENTS: crate::patients::merging::HeldRecords =
    crate::patients::merging::HeldRecords::rows("questionnaire_assignments", "questionnaire_assignments");
