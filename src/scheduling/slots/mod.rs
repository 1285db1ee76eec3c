//! Bookable slots: `compute` is the pure, DST-correct computation; `service`
//! gathers its inputs from the database.

pub mod api;
pub mod compute;
pub mod model;
pub mod service;
