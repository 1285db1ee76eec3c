//! Shared value types every layer may use: the error type and its codes,
//! the clock, instants and their storage form, money, phone numbers, random
//! tokens, the request context and the principal. Nothing here imports a
//! feature or the HTTP toolkit.

pub mod clock;
pub mod context;
pub mod details;
pub mod error;
pub mod language;
pub mod money;
pub mod permissions;
pub mod phone;
pub mod principal;
pub mod private;
pub mod sql;
pub mod text;
pub mod time;
pub mod tokens;
