//! Booking: centres, clinicians, services, availability, slots and appointments.

pub mod slots;
