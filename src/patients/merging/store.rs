//! SQL for duplicate flags and merges.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::kit::error::{Error, Result};
use crate::kit::sql::CachedSql;
use crate::kit::time::{instant, optional_date, optional_instant, to_millis};
use crate::patients::merging::model::{FlagStatus, PatientBrief, PatientMerge, PossibleDuplicate};
use crate::patients::model::PatientStatus;

/// Flags `patient_id` as possibly `other_id`; flagging a pair twice keeps the first.
pub fn flag(
    tx: &Transaction,
    patient_id: i64,
    other_id: i64,
    reason: &str,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute_cached(
        "INSERT INTO patient_duplicate_flags (patient_id, other_id, reason, flagged_by, flagged_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (patient_id, other_id) DO NOTHING",
        params![patient_id, other_id, reason, by, to_millis(now)],
    )?;
    Ok(())
}

const BRIEF: &str = "p.id, p.given_name, p.family_name, p.date_of_birth, p.phone, p.email, p.status, \
    p.merged_into, p.created_at";

fn brief(row: &Row, at: usize) -> rusqlite::Result<PatientBrief> {
    Ok(PatientBrief {
        id: row.get(at)?,
        given_name: row.get(at + 1)?,
        family_name: row.get(at + 2)?,
        date_of_birth: optional_date(row, at + 3)?,
        // The E.164 number; written as the clinic writes it on the way out.
        phone_display: row.get(at + 4)?,
        email: row.get(at + 5)?,
        status: row.get(at + 6)?,
        merged_into_id: row.get(at + 7)?,
        created_at: instant(row, at + 8)?,
    })
}

fn flag_query(condition: &str) -> String {
    let other = BRIEF.replace("p.", "o.");
    format!(
        "SELECT f.id, f.reason, f.status, f.flagged_by, f.flagged_at, f.resolved_by, f.resolved_at, {BRIEF}, {other}
         FROM patient_duplicate_flags f
         JOIN patients p ON p.id = f.patient_id
         JOIN patients o ON o.id = f.other_id
         WHERE {condition}"
    )
}

fn flag_from_row(row: &Row) -> rusqlite::Result<PossibleDuplicate> {
    Ok(PossibleDuplicate {
        id: row.get(0)?,
        reason: row.get(1)?,
        status: row.get(2)?,
        flagged_by: row.get(3)?,
        flagged_at: instant(row, 4)?,
        resolved_by: row.get(5)?,
        resolved_at: optional_instant(row, 6)?,
        patient: brief(row, 7)?,
        other: brief(row, 16)?,
    })
}

pub fn get_flag(conn: &Connection, id: i64) -> Result<Option<PossibleDuplicate>> {
    Ok(conn.query_row_cached(&flag_query("f.id = ?1"), [id], flag_from_row).optional()?)
}

/// Flags with `status` (all when `None`), newest first: one page and the total.
pub fn list_flags(
    conn: &Connection,
    status: Option<FlagStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PossibleDuplicate>, i64)> {
    let status = status.map(|s| s.as_str());
    let total = conn.query_row_cached(
        "SELECT count(*) FROM patient_duplicate_flags WHERE ?1 IS NULL OR status = ?1",
        [status],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(&format!(
        "{} ORDER BY f.id DESC LIMIT ?2 OFFSET ?3",
        flag_query("(?1 IS NULL OR f.status = ?1)")
    ))?;
    let rows = stmt.query_map(params![status, limit, offset], flag_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok((rows, total))
}

/// Every flag naming the patient, on either side, newest first.
pub fn flags_of(conn: &Connection, patient_id: i64) -> Result<Vec<PossibleDuplicate>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{} ORDER BY f.id DESC LIMIT 100",
        flag_query("(f.patient_id = ?1 OR f.other_id = ?1)")
    ))?;
    let rows = stmt.query_map([patient_id], flag_from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn resolve_flag(tx: &Transaction, id: i64, status: FlagStatus, by: Option<i64>, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE patient_duplicate_flags SET status = ?2, resolved_by = ?3, resolved_at = ?4 WHERE id = ?1",
        params![id, status.as_str(), by, to_millis(now)],
    )?;
    Ok(())
}

/// The open flags between the two records, whichever side each is on.
pub fn open_flags_between(conn: &Connection, a: i64, b: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM patient_duplicate_flags WHERE status = 'open'
           AND ((patient_id = ?1 AND other_id = ?2) OR (patient_id = ?2 AND other_id = ?1))",
    )?;
    let ids = stmt.query_map(params![a, b], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Flags the merge closed, given back to open by its undo.
pub fn reopen_flags(tx: &Transaction, ids: &[i64]) -> Result<()> {
    let ids = serde_json::to_string(ids).map_err(|e| Error::internal_from("flag ids", e))?;
    tx.execute_cached(
        "UPDATE patient_duplicate_flags SET status = 'open', resolved_by = NULL, resolved_at = NULL
         WHERE id IN (SELECT value FROM json_each(?1))",
        [ids],
    )?;
    Ok(())
}

/// What a merge moved, by kind, and the flags it closed: stored so that
/// an undo moves exactly that back.
pub type Moved = BTreeMap<String, Vec<i64>>;

pub struct MergeRow {
    pub merge: PatientMerge,
    pub moved: Moved,
    pub merged_status: PatientStatus,
}

pub fn insert_merge(
    tx: &Transaction,
    kept: i64,
    merged: i64,
    merged_status: PatientStatus,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO patient_merges (kept_id, merged_id, merged_status, moved, merged_by, merged_at)
         VALUES (?1, ?2, ?3, '{}', ?4, ?5)",
        params![kept, merged, merged_status.as_str(), by, to_millis(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn set_moved(tx: &Transaction, id: i64, moved: &Moved) -> Result<()> {
    let moved = serde_json::to_string(moved).map_err(|e| Error::internal_from("merge moves", e))?;
    tx.execute_cached("UPDATE patient_merges SET moved = ?2 WHERE id = ?1", params![id, moved])?;
    Ok(())
}

pub fn mark_undone(tx: &Transaction, id: i64, by: Option<i64>, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE patient_merges SET undone_by = ?2, undone_at = ?3 WHERE id = ?1",
        params![id, by, to_millis(now)],
    )?;
    Ok(())
}

const MERGE_COLUMNS: &str = "id, kept_id, merged_id, merged_status, moved, merged_by, merged_at, undone_by, undone_at";

fn merge_from_row(row: &Row) -> rusqlite::Result<MergeRow> {
    let moved_text: String = row.get(4)?;
    let moved: Moved = serde_json::from_str(&moved_text).unwrap_or_default();
    Ok(MergeRow {
        merge: PatientMerge {
            id: row.get(0)?,
            kept_patient_id: row.get(1)?,
            merged_patient_id: row.get(2)?,
            // The flags are the merge's own business, not a moved record.
            moved: moved.iter().filter(|(kind, _)| *kind != FLAGS).map(|(k, v)| (k.clone(), v.len() as i64)).collect(),
            merged_by: row.get(5)?,
            merged_at: instant(row, 6)?,
            undone_by: row.get(7)?,
            undone_at: optional_instant(row, 8)?,
        },
        merged_status: row.get(3)?,
        moved,
    })
}

/// The key under which a merge keeps the flags it closed.
pub const FLAGS: &str = "duplicate_flags";

pub fn get_merge(conn: &Connection, id: i64) -> Result<Option<MergeRow>> {
    Ok(conn
        .query_row_cached(&format!("SELECT {MERGE_COLUMNS} FROM patient_merges WHERE id = ?1"), [id], merge_from_row)
        .optional()?)
}

/// Merges the patient took part in, kept or merged, newest first.
pub fn merges_of(conn: &Connection, patient_id: i64) -> Result<Vec<PatientMerge>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MERGE_COLUMNS} FROM patient_merges WHERE kept_id = ?1 OR merged_id = ?1 ORDER BY id DESC LIMIT 100"
    ))?;
    let rows =
        stmt.query_map([patient_id], merge_from_row)?.map(|r| r.map(|m| m.merge)).collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn set_merged_into(
    tx: &Transaction,
    patient_id: i64,
    into: Option<i64>,
    status: PatientStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute_cached(
        "UPDATE patients SET merged_into = ?2, status = ?3, updated_at = ?4 WHERE id = ?1",
        params![patient_id, into, status.as_str(), to_millis(now)],
    )?;
    Ok(())
}

/// Shares of `from` copied onto `onto` (the merged record keeps its own);
/// the staff ids newly shared, which an undo takes away again.
pub fn copy_shares(tx: &Transaction, step: super::MergeStep) -> Result<Vec<i64>> {
    let mut stmt = tx.prepare_cached(
        "SELECT staff_id FROM patient_shares s WHERE patient_id = ?1
           AND NOT EXISTS (SELECT 1 FROM patient_shares k WHERE k.patient_id = ?2 AND k.staff_id = s.staff_id)",
    )?;
    let staff: Vec<i64> =
        stmt.query_map(params![step.from, step.onto], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    for staff_id in &staff {
        crate::patients::scope::share(tx, step.onto, *staff_id, step.actor_id, step.at)?;
    }
    Ok(staff)
}

pub fn remove_copied_shares(tx: &Transaction, step: super::MergeStep, staff: &[i64]) -> Result<()> {
    for staff_id in staff {
        crate::patients::scope::unshare(tx, step.onto, *staff_id)?;
    }
    Ok(())
}

/// Hands `table`'s rows from one patient to another; their ids. `table` is
/// a constant a feature names (never input), so it is spliced in.
pub fn move_rows(tx: &Transaction, table: &str, from: i64, to: i64) -> Result<Vec<i64>> {
    let mut stmt = tx.prepare_cached(&format!("SELECT id FROM {table} WHERE patient_id = ?1 ORDER BY id"))?;
    let ids: Vec<i64> = stmt.query_map([from], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    move_rows_back(tx, table, &ids, from, to)?;
    Ok(ids)
}

/// Hands exactly the rows `ids` (still `from`'s) to `to`.
pub fn move_rows_back(tx: &Transaction, table: &str, ids: &[i64], from: i64, to: i64) -> Result<()> {
    let ids = serde_json::to_string(ids).map_err(|e| Error::internal_from("row ids", e))?;
    tx.execute_cached(
        &format!(
            "UPDATE {table} SET patient_id = ?3 WHERE id IN (SELECT value FROM json_each(?1)) AND patient_id = ?2"
        ),
        params![ids, from, to],
    )?;
    Ok(())
}
