//! Staff accounts, sign-in, tokens, browser sessions, permissions and the
//! first-admin setup.

pub mod api;
pub mod model;
pub mod password;
pub mod permissions;
pub mod service;
pub mod setup;
pub mod staff_api;
pub mod store;
pub mod throttle;

pub use permissions::Action;
