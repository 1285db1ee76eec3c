//! Questionnaire responses follow a patient's record when it is merged into
//! another, and go back when the merge is undone.

use rusqlite::Transaction;

use crate::kit::error::Result;
use crate::patients::merging::{HeldRecords, MergeStep};
use crate::records::questionnaires::store;

/// Questionnaire responses, keyed by response id.
pub const RESPONSES: HeldRecords = HeldRecords { kind: "questionnaire_responses", move_onto, move_back };

fn move_onto(tx: &Transaction, step: MergeStep) -> Result<Vec<i64>> {
    let ids = store::ids_of_patient(tx, step.from)?;
    store::move_to_patient(tx, &ids, step.from, step.onto)?;
    Ok(ids)
}

fn move_back(tx: &Transaction, step: MergeStep, ids: &[i64]) -> Result<()> {
    store::move_to_patient(tx, ids, step.onto, step.from)
}
