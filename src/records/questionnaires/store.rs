//! SQL for questionnaire responses.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::kit::error::{Error, Result};
use crate::kit::sql::CachedSql;
use crate::kit::time::{instant, to_millis};
use crate::records::questionnaires::model::QuestionnaireResponse;

const COLUMNS: &str =
    "id, patient_id, questionnaire, answers, score, severity, flags, appointment_id, entered_by, completed_at";

fn from_row(row: &Row) -> rusqlite::Result<QuestionnaireResponse> {
    let answers: String = row.get(3)?;
    let flags: String = row.get(6)?;
    Ok(QuestionnaireResponse {
        id: row.get(0)?,
        patient_id: row.get(1)?,
        questionnaire: row.get(2)?,
        answers: serde_json::from_str(&answers).unwrap_or_default(),
        score: row.get(4)?,
        severity: row.get(5)?,
        flags: serde_json::from_str(&flags).unwrap_or_default(),
        appointment_id: row.get(7)?,
        entered_by: row.get(8)?,
        completed_at: instant(row, 9)?,
    })
}

pub struct NewResponseRow<'a> {
    pub patient_id: i64,
    pub questionnaire: &'a str,
    pub answers: &'a [i64],
    pub score: i64,
    pub severity: Option<&'a str>,
    pub flags: &'a [String],
    pub appointment_id: Option<i64>,
    pub entered_by: Option<i64>,
}

pub fn insert(tx: &Transaction, r: &NewResponseRow, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO questionnaire_responses
           (patient_id, questionnaire, answers, score, severity, flags, appointment_id, entered_by, completed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            r.patient_id,
            r.questionnaire,
            json(r.answers)?,
            r.score,
            r.severity,
            json(r.flags)?,
            r.appointment_id,
            r.entered_by,
            to_millis(now)
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// A value stored as JSON text.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal_from("questionnaire response", e))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<QuestionnaireResponse>> {
    Ok(conn
        .query_row_cached(&format!("SELECT {COLUMNS} FROM questionnaire_responses WHERE id = ?1"), [id], from_row)
        .optional()?)
}

/// A patient's responses, newest first (to one questionnaire when given): a page and the total.
pub fn list(
    conn: &Connection,
    patient_id: i64,
    questionnaire: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<QuestionnaireResponse>, i64)> {
    let condition = "patient_id = ?1 AND (?2 IS NULL OR questionnaire = ?2)";
    let total = conn.query_row_cached(
        &format!("SELECT count(*) FROM questionnaire_responses WHERE {condition}"),
        params![patient_id, questionnaire],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM questionnaire_responses WHERE {condition}
         ORDER BY completed_at DESC, id DESC LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = stmt
        .query_map(params![patient_id, questionnaire, limit, offset], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok((rows, total))
}

/// Every response of the patient to one questionnaire, oldest first (at most 1,000).
pub fn series(conn: &Connection, patient_id: i64, questionnaire: &str) -> Result<Vec<QuestionnaireResponse>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM questionnaire_responses WHERE patient_id = ?1 AND questionnaire = ?2
         ORDER BY completed_at, id LIMIT 1000"
    ))?;
    let rows = stmt.query_map(params![patient_id, questionnaire], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
