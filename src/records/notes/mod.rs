//! Clinical notes: drafts written from a template, signed (then never
//! changed), corrected by signed addenda, linked to an appointment; and the
//! completed appointments still waiting for their note.

pub mod api;
pub mod merging;
pub mod model;
pub mod service;
pub mod store;
