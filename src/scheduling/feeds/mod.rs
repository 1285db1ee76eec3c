//! Per-clinician iCalendar feeds reached by a signed link.

pub mod api;
pub mod calendar;
pub mod service;
pub mod store;
