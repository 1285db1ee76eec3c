//! Questionnaires with published scoring (PHQ-9, GAD-7, a 0–10 mood rating):
//! answers entered by staff, scored and banded as they are saved, never
//! changed afterwards, and read back as a series for outcome charts.

pub mod api;
pub mod builtin;
pub mod merging;
pub mod model;
pub mod service;
pub mod store;
