//! Appointments from booking to completion: `booking` (new and moved
//! appointments under every rule), `series`, `sessions` (group seats and the
//! waitlist), `lifecycle` (status steps) and `service` (reads).

pub mod api;
pub mod booking;
pub mod examples;
pub mod follow_up;
pub mod lifecycle;
pub mod merging;
pub mod model;
pub mod scope;
pub mod series;
pub mod service;
pub mod sessions;
pub mod store;
