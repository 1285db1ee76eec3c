//! Questionnaires assigned to a patient, once or every so many days: due on
//! a date in the clinic's zone, moved on by each response to them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::kit::error::Result;
use crate::kit::sql::CachedSql;
use crate::kit::time::{date_text, instant, optional_date, optional_instant, to_millis};
use crate::records::questionnaires::model::{Assignment, AssignmentStatus};

const COLUMNS: &str = "a.id, a.patient_id, a.questionnaire, a.every_days, a.next_due_on, a.status, a.last_response_id, \
    a.assigned_by, a.created_at, a.ended_at";

fn from_row(row: &Row) -> rusqlite::Result<Assignment> {
    Ok(Assignment {
        id: row.get(0)?,
        patient_id: row.get(1)?,
        questionnaire: row.get(2)?,
        every_days: row.get(3)?,
        next_due_on: optional_date(row, 4)?,
        status: row.get(5)?,
        last_response_id: row.get(6)?,
        assigned_by: row.get(7)?,
        created_at: instant(row, 8)?,
        ended_at: optional_instant(row, 9)?,
        patient_name: None,
    })
}

pub struct NewAssignmentRow<'a> {
    pub patient_id: i64,
    pub questionnaire: &'a str,
    pub every_days: Option<i64>,
    pub first_due_on: NaiveDate,
    pub assigned_by: Option<i64>,
}

pub fn insert(tx: &Transaction, row: &NewAssignmentRow, now: DateTime<Utc>) -> Result<i64> {
    tx.execute_cached(
        "INSERT INTO questionnaire_assignments
           (patient_id, questionnaire, every_days, next_due_on, status, assigned_by, created_at)
         VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6)",
        params![
            row.patient_id,
            row.questionnaire,
            row.every_days,
            date_text(row.first_due_on),
            row.assigned_by,
            to_millis(now)
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Assignment>> {
    Ok(conn
        .query_row_cached(&format!("SELECT {COLUMNS} FROM questionnaire_assignments a WHERE a.id = ?1"), [id], from_row)
        .optional()?)
}

/// A patient's assignments, the active ones first, newest first within.
pub fn of_patient(conn: &Connection, patient_id: i64) -> Result<Vec<Assignment>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM questionnaire_assignments a WHERE a.patient_id = ?1
         ORDER BY a.status = 'active' DESC, a.id DESC LIMIT 200"
    ))?;
    Ok(stmt.query_map([patient_id], from_row)?.collect::<rusqlite::Result<_>>()?)
}

/// Whether the patient already has an active assignment of this questionnaire.
pub fn active_exists(conn: &Connection, patient_id: i64, questionnaire: &str) -> Result<bool> {
    Ok(conn.query_row_cached(
        "SELECT EXISTS (SELECT 1 FROM questionnaire_assignments
                        WHERE patient_id = ?1 AND questionnaire = ?2 AND status = 'active')",
        params![patient_id, questionnaire],
        |r| r.get(0),
    )?)
}

/// Active assignments due on or before `on`, soonest first, with the patient's name.
pub fn due(conn: &Connection, on: NaiveDate, limit: i64) -> Result<Vec<Assignment>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, p.given_name || ' ' || p.family_name
         FROM questionnaire_assignments a JOIN patients p ON p.id = a.patient_id
         WHERE a.status = 'active' AND a.next_due_on <= ?1 AND p.status = 'active'
         ORDER BY a.next_due_on, a.id LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![date_text(on), limit], |row| {
        let mut assignment = from_row(row)?;
        assignment.patient_name = row.get(10)?;
        Ok(assignment)
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn end(tx: &Transaction, id: i64, now: DateTime<Utc>) -> Result<()> {
    tx.execute_cached(
        "UPDATE questionnaire_assignments SET status = 'ended', next_due_on = NULL, ended_at = ?2 WHERE id = ?1",
        params![id, to_millis(now)],
    )?;
    Ok(())
}

/// A response to `questionnaire` on `answered_on` completes the patient's
/// one-off assignments of it and moves each recurring one to `every_days`
/// after that date. The ids of the assignments it moved.
pub fn answered(
    tx: &Transaction,
    patient_id: i64,
    questionnaire: &str,
    response_id: i64,
    answered_on: NaiveDate,
) -> Result<Vec<i64>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, every_days FROM questionnaire_assignments
         WHERE patient_id = ?1 AND questionnaire = ?2 AND status = 'active'",
    )?;
    let open: Vec<(i64, Option<i64>)> = stmt
        .query_map(params![patient_id, questionnaire], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, every_days) in &open {
        let (status, next) = match every_days {
            Some(days) => (AssignmentStatus::Active, Some(date_text(answered_on + Duration::days(*days)))),
            None => (AssignmentStatus::Completed, None),
        };
        tx.execute_cached(
            "UPDATE questionnaire_assignments SET status = ?2, next_due_on = ?3, last_response_id = ?4 WHERE id = ?1",
            params![id, status, next, response_id],
        )?;
    }
    Ok(open.into_iter().map(|(id, _)| id).collect())
}
