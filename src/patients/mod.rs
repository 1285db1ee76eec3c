//! Patient records: demographics, contact details, emergency contact and how
//! they found the clinic. Records are archived, never deleted.

pub mod api;
pub mod examples;
pub mod merging;
pub mod model;
pub mod scope;
pub mod service;
pub mod sharing;
pub mod store;
