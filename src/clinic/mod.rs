//! The clinic's own profile: its name, logo, address, contact details, tax
//! number, currency and the region phone numbers are read in. One record,
//! kept by managers, read by every signed-in page (the top bar, printouts)
//! and later by invoices.

pub mod api;
pub mod logo;
pub mod model;
pub mod region;
pub mod service;
pub mod store;
