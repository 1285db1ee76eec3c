//! Centres, clinicians, services and the booking policy.

pub mod api;
pub mod model;
pub mod service;
pub mod store;
