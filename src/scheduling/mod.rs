//! Booking: centres, clinicians, services, availability, slots and appointments.

pub mod api;
pub mod calendar;
pub mod model;
pub mod service;
pub mod slots;
pub mod store;
