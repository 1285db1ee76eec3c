//! Appointments follow a patient's record when it is merged into another:
//! each place (individual or in a group) moves to the record kept, with a
//! line in the appointment's history, and moves back when the merge is undone.

use rusqlite::{Transaction, params};

use crate::db::changes::{self, ChangeOp};
use crate::kit::error::{Error, Result};
use crate::kit::sql::CachedSql;
use crate::patients::merging::{HeldRecords, MergeStep};
use crate::scheduling::appointments::store::record_history;

/// Appointment places, keyed by appointment id.
pub const ATTENDANCE: HeldRecords = HeldRecords::custom("appointments", move_onto, move_back);

fn json_ids(ids: &[i64]) -> Result<String> {
    serde_json::to_string(ids).map_err(|e| Error::internal_from("appointment ids", e))
}

/// Moves `from`'s places onto `onto`, except in a session where `onto`
/// already holds a place (both records stay in it, as they were).
fn move_onto(tx: &Transaction, step: MergeStep) -> Result<Vec<i64>> {
    let mut stmt = tx.prepare_cached(
        "SELECT appointment_id FROM appointment_attendees t WHERE patient_id = ?1
           AND NOT EXISTS (SELECT 1 FROM appointment_attendees k
                           WHERE k.appointment_id = t.appointment_id AND k.patient_id = ?2)
         ORDER BY appointment_id",
    )?;
    let ids: Vec<i64> =
        stmt.query_map(params![step.from, step.onto], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    shift(tx, &ids, step.from, step.onto, step, "patient_merged")?;
    Ok(ids)
}

fn move_back(tx: &Transaction, step: MergeStep, ids: &[i64]) -> Result<()> {
    shift(tx, ids, step.onto, step.from, step, "patient_merge_undone")
}

fn shift(tx: &Transaction, ids: &[i64], from: i64, to: i64, step: MergeStep, change: &str) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    tx.execute_cached(
        "UPDATE appointment_attendees SET patient_id = ?3
         WHERE appointment_id IN (SELECT value FROM json_each(?1)) AND patient_id = ?2",
        params![json_ids(ids)?, from, to],
    )?;
    let details = serde_json::json!({ "merge_id": step.merge_id, "from_patient_id": from, "to_patient_id": to });
    for id in ids {
        record_history(tx, *id, step.at, step.actor_id, change, Some(details.clone()))?;
        changes::record(tx, step.at, "appointment", *id, ChangeOp::Update)?;
    }
    Ok(())
}
