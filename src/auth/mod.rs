//! Staff accounts, sign-in, tokens, browser sessions and the
//! first-admin setup.

pub mod api;
pub mod grace;
pub mod model;
pub mod password;
pub mod service;
pub mod setup;
pub mod staff_api;
pub mod store;
pub mod throttle;
