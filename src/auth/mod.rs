//! Staff accounts, sign-in (password, MFA), tokens, browser sessions, API
//! keys, the clinic's security settings and the first-admin setup.

pub mod account;
pub mod account_api;
pub mod api;
pub mod api_keys;
pub mod grace;
pub mod mfa;
pub mod model;
pub mod password;
pub mod service;
pub mod settings;
pub mod setup;
pub mod sign_in;
pub mod staff_api;
pub mod store;
pub mod throttle;
