//! Booking: centres, clinicians, services, availability, slots and
//! appointments, in parts that depend on each other downward only:
//! `appointments` and `slots` use `availability` and `setup`; `feeds` reads
//! `appointments`; `slots::compute` is pure and shared by all.

pub mod appointments;
pub mod availability;
pub mod feeds;
pub mod setup;
pub mod shared;
pub mod slots;
