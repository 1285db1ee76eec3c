//! When clinicians work: weekly rules at a centre in its local time, time
//! off, and extra one-off hours.

pub mod api;
pub mod model;
pub mod service;
pub mod store;
