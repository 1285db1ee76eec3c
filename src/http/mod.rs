//! The HTTP toolkit every feature's API uses: the principal extractor,
//! request context, error envelope, pagination, rate limits, tags and the
//! embedded assets. It imports no feature; `server` assembles the features
//! with it.

pub mod assets;
pub mod auth;
pub mod body_errors;
pub mod bounds;
pub mod context;
pub mod error;
pub mod operations;
pub mod pagination;
pub mod patch;
pub mod ratelimit;
pub mod responses;
pub mod spec;
pub mod tags;
pub mod tls;
pub mod uploads;
pub mod words;

pub use tags::ApiTags;

/// Request bodies above this are refused with 413. Attachments get their own limit.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
