//! Search across the clinic's records: a Tantivy index derived from SQLite.
//!
//! The index is never the source of truth. One indexer task owns the only
//! `IndexWriter`, follows the change log, commits in batches and stores the
//! last change it applied in each commit, so after a crash it catches up
//! from there. A missing, unreadable or old-schema index is rebuilt from
//! SQLite in the background while the API keeps serving.

pub mod api;
pub mod documents;
pub mod index;
pub mod indexer;
pub mod model;
pub mod query;
pub mod service;

pub use index::{IndexState, SearchIndex};
