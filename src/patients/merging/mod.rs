//! Two records of one person: pairs flagged as possible duplicates when staff
//! register a patient anyway, and merges that keep every record of both and
//! can be undone.
//!
//! Other features keep records about a patient (appointments today; notes,
//! invoices later). Each hands the merge a [`HeldRecords`] (listed in
//! `AppState::patient_records_elsewhere`), so patients need not know their
//! tables and a new feature joins merging by adding one entry.

pub mod api;
pub mod model;
pub mod service;
pub mod store;

use chrono::{DateTime, Utc};
use rusqlite::Transaction;

use crate::kit::error::Result;

/// One merge as the features that move records see it.
#[derive(Clone, Copy, Debug)]
pub struct MergeStep {
    pub merge_id: i64,
    /// The record merged away, and the one kept.
    pub from: i64,
    pub onto: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
}

/// Records a feature keeps about patients, moved by a merge and moved back
/// by its undo, inside the merge's transaction.
#[derive(Clone, Copy)]
pub struct HeldRecords {
    /// The key of the count in a merge's `moved`, e.g. `appointments`.
    pub kind: &'static str,
    /// Moves what `from` holds onto `onto`; the keys of what moved.
    pub move_onto: fn(&Transaction, MergeStep) -> Result<Vec<i64>>,
    /// Moves those (by the keys `move_onto` gave) back to `from`.
    pub move_back: fn(&Transaction, MergeStep, &[i64]) -> Result<()>,
}
