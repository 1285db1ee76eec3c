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
    how: Moving,
}

#[derive(Clone, Copy)]
enum Moving {
    /// Rows of a table with an `id` and a `patient_id` that simply change hands.
    Rows { table: &'static str },
    /// A feature's own way (an appointment's place is shared with its history).
    Custom {
        move_onto: fn(&Transaction, MergeStep) -> Result<Vec<i64>>,
        move_back: fn(&Transaction, MergeStep, &[i64]) -> Result<()>,
    },
}

impl HeldRecords {
    /// The rows of `table` whose `patient_id` is the merged record's.
    pub const fn rows(kind: &'static str, table: &'static str) -> Self {
        HeldRecords { kind, how: Moving::Rows { table } }
    }

    /// `move_onto` moves what `from` holds onto `onto` and gives the keys of
    /// what moved; `move_back` moves those back to `from`.
    pub const fn custom(
        kind: &'static str,
        move_onto: fn(&Transaction, MergeStep) -> Result<Vec<i64>>,
        move_back: fn(&Transaction, MergeStep, &[i64]) -> Result<()>,
    ) -> Self {
        HeldRecords { kind, how: Moving::Custom { move_onto, move_back } }
    }

    pub(crate) fn move_onto(&self, tx: &Transaction, step: MergeStep) -> Result<Vec<i64>> {
        match self.how {
            Moving::Rows { table } => store::move_rows(tx, table, step.from, step.onto),
            Moving::Custom { move_onto, .. } => move_onto(tx, step),
        }
    }

    pub(crate) fn move_back(&self, tx: &Transaction, step: MergeStep, ids: &[i64]) -> Result<()> {
        match self.how {
            Moving::Rows { table } => store::move_rows_back(tx, table, ids, step.onto, step.from),
            Moving::Custom { move_back, .. } => move_back(tx, step, ids),
        }
    }
}
