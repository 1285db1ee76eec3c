//! Two-factor sign-in with TOTP (RFC 6238) and single-use recovery codes.

pub mod model;
pub mod service;
pub mod store;
