//! What patients do themselves, without an account: for now, the link in
//! their messages that shows an appointment and lets them cancel it (or
//! give up their place in a group session) up to the clinic's notice.

pub mod api;
pub mod links;
pub mod model;
pub mod service;
