//! SQL for attachments.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::kit::error::Result;
use crate::kit::sql::CachedSql;
use crate::kit::time::{instant, to_millis};
use crate::records::attachments::model::Attachment;

const COLUMNS: &str =
    "id, patient_id, note_id, filename, description, content_type, size, sha256, created_at, uploaded_by";

fn from_row(row: &Row) -> rusqlite::Result<Attachment> {
    Ok(Attachment {
        id: row.get(0)?,
        patient_id: row.get(1)?,
        note_id: row.get(2)?,
        filename: row.get(3)?,
        description: row.get(4)?,
        content_type: row.get(5)?,
        size: row.get(6)?,
        sha256: row.get(7)?,
        created_at: instant(row, 8)?,
        uploaded_by: row.get(9)?,
    })
}

pub struct NewAttachmentRow<'a> {
    pub patient_id: i64,
    pub note_id: Option<i64>,
    pub filename: &'a str,
    pub description: Option<&'a str>,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub uploaded_by: Option<i64>,
}

pub fn insert(tx: &Transaction, row: &NewAttachmentRow, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO attachments (patient_id, note_id, filename, description, content_type, size, sha256, uploaded_by,
                                  created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            row.patient_id,
            row.note_id,
            row.filename,
            row.description,
            row.content_type,
            row.size,
            row.sha256,
            row.uploaded_by,
            to_millis(now)
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Attachment>> {
    Ok(conn.query_row_cached(&format!("SELECT {COLUMNS} FROM attachments WHERE id = ?1"), [id], from_row).optional()?)
}

/// A patient's attachments, newest first, and how many there are.
pub fn list(conn: &Connection, patient_id: i64, limit: i64, offset: i64) -> Result<(Vec<Attachment>, i64)> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE patient_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![patient_id, limit, offset], from_row)?.collect::<rusqlite::Result<_>>()?;
    let total =
        conn.query_row_cached("SELECT count(*) FROM attachments WHERE patient_id = ?1", [patient_id], |r| r.get(0))?;
    Ok((rows, total))
}

/// Every hash a row names, with how many rows name it: what `clinicbox check` reads.
pub fn hashes(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare("SELECT sha256, count(*) FROM attachments GROUP BY sha256 ORDER BY sha256")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Attachments in id order after `after_id`, for a search index rebuild.
pub fn page_after(conn: &Connection, after_id: i64, limit: i64) -> Result<Vec<Attachment>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM attachments WHERE id > ?1 ORDER BY id LIMIT ?2"))?;
    Ok(stmt.query_map(params![after_id, limit], from_row)?.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row_cached("SELECT count(*) FROM attachments", [], |r| r.get(0))?)
}

/// The patient each of these attachments is on now.
pub fn patients_of(conn: &Connection, ids: &[i64]) -> Result<std::collections::HashMap<i64, i64>> {
    let ids = serde_json::to_string(ids).map_err(|e| crate::kit::error::Error::internal_from("attachment ids", e))?;
    let mut stmt =
        conn.prepare_cached("SELECT id, patient_id FROM attachments WHERE id IN (SELECT value FROM json_each(?1))")?;
    let rows = stmt.query_map([ids], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
