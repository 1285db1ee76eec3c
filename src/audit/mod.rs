//! The audit log: who did what to which record, and who read which patient.
//! Rows are written in the same transaction as the change they describe and
//! can never be updated or deleted (triggers enforce it).

pub mod api;
pub mod chain;
pub mod model;
pub mod service;
pub mod store;

pub use store::{Actor, record};
