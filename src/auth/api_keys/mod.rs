//! API keys for integrators: a bearer token with a role, issued by an
//! administrator, shown once, stored as a hash, listed with its last use,
//! revocable. What a key does is audited under the key.

pub mod api;
pub mod model;
pub mod service;
pub mod store;
